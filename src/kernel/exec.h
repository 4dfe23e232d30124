/*
 * exec.h: starting programs from the boot image.
 *
 * The boot image is a cpio newc archive handed over as the initrd; its
 * files are static RISC-V ELF executables.
 */
#ifndef KINE_KERNEL_EXEC_H
#define KINE_KERNEL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc;

#define EXEC_MAX_ARGS 16

/* Remember where the boot image is (physical range; size 0: none). */
void bootimage_init(uint64_t pa, uint64_t size);

/* A regular file of the boot image by name (a leading '/' ignored). */
bool bootimage_find(const char *name, const void **data, size_t *size);

struct cpio_entry;

/*
 * The boot image's regular file number index (from 0, in the image's
 * order) into *e; false past the last one (or in a damaged image, which
 * ends the list where the damage starts).
 */
bool bootimage_file(long index, struct cpio_entry *e);

/*
 * Load program argv[0] from the boot image into a new process and start
 * it. Returns 0 and the process in *out, or -ENOENT (no such program),
 * -ENOEXEC (not a valid kine executable: the reason is printed), -E2BIG,
 * -ENOMEM.
 */
int exec_spawn(int argc, const char *const argv[], struct proc **out);

/*
 * The exec system call: replace the calling process's program with program
 * `name` of the boot image, which sees argv. On success
 * the user registers are set up for the new program and the return value
 * is argc (for a0); on failure the old program continues and gets the
 * error.
 */
int exec_replace(const char *name, int argc, const char *const argv[]);

#endif
