/*
 * stat.h: what fstat reports, and open's flags (kine's ABI).
 *
 *	int open(const char *path, int flags);   read-only files of the boot image
 *	int fstat(int fd, struct stat *st);
 *
 * The layout is xv6's, so xv6 programs read it unchanged.
 */
#ifndef KINE_UAPI_STAT_H
#define KINE_UAPI_STAT_H

#include <stdint.h>

#define T_DIR    1 /* (none exist: the boot image is flat) */
#define T_FILE   2 /* a file of the boot image */
#define T_DEVICE 3 /* the console */
#define T_PIPE   4 /* either end of a pipe */

struct stat {
	int dev;
	unsigned int ino;
	short type;
	short nlink;
	uint64_t size;
};

#define O_RDONLY 0x000
#define O_WRONLY 0x001
#define O_RDWR   0x002
#define O_CREATE 0x200
#define O_TRUNC  0x400

#endif
