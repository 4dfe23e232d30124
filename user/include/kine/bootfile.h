/*
 * bootfile.h: what the bootfile system call reports (kine's ABI), for ls.
 *
 *	int bootfile(int index, struct kine_bootfile *out);
 *
 * The boot image's regular files, numbered from 0 in the image's order:
 * 0 with file `index` in *out, -ENOENT past the last one, -EINVAL for a
 * negative index, -EFAULT for a bad out. The image is read-only, so the
 * numbering never changes while the system runs.
 */
#ifndef KINE_UAPI_BOOTFILE_H
#define KINE_UAPI_BOOTFILE_H

#include <stdint.h>

#define KINE_BOOTFILE_NAME 256 /* bytes of a name, NUL included (open's path limit) */

struct kine_bootfile {
	uint64_t size;                 /* bytes */
	uint32_t mode;                 /* type and permission bits, as the image stores them */
	uint32_t pad;                  /* 0 */
	char name[KINE_BOOTFILE_NAME]; /* NUL-terminated */
};

#endif
