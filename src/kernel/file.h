/*
 * file.h: open files and each process's file descriptor table.
 *
 * A struct file is shared by every descriptor that refers to it (dup,
 * fork); its reference count is atomic and the last file_put() closes it.
 * The kinds so far: the console, and either end of a pipe.
 */
#ifndef KINE_KERNEL_FILE_H
#define KINE_KERNEL_FILE_H

#include <stdbool.h>
#include <stdint.h>

struct pipe;
struct proc;

#include "src/sync/spinlock.h"

struct stat;

enum file_kind { FILE_CONSOLE, FILE_PIPE_READ, FILE_PIPE_WRITE, FILE_BOOT };

struct file {
	uint32_t refs; /* atomic */
	enum file_kind kind;
	struct pipe *pipe;   /* FILE_PIPE_* */
	const uint8_t *data; /* FILE_BOOT: the file's bytes in the boot image */
	uint64_t size;       /* FILE_BOOT */
	uint64_t offset;     /* FILE_BOOT: guarded by lock (shared by dup'd fds) */
	struct spinlock lock;
};

#define FD_MAX 16 /* descriptors per process */

/* A new console file (refcount 1), or NULL. */
struct file *file_console(void);

void file_get(struct file *f);
void file_put(struct file *f);

/* Read or write through f from or to user memory of the calling process. */
long file_read(struct file *f, uintptr_t ubuf, long n);
long file_write(struct file *f, uintptr_t ubuf, long n);

/* A file of the boot image opened for reading, or NULL with *err set. */
struct file *file_open_boot(const char *name, int *err);

/* fstat: fill *st for f. */
void file_stat(const struct file *f, struct stat *st);

/*
 * Descriptor tables (struct fdtable lives in the process). lock guards
 * fd[]; a thread that uses a file holds its own reference (fd_get), so a
 * close by another thread of the process cannot free it under its feet.
 */
struct fdtable {
	struct spinlock lock;
	struct file *fd[FD_MAX];
};

/* fds 0, 1, 2 on the console: 0, or -ENOMEM. */
int fdtable_init_console(struct fdtable *t);

/* A copy sharing every file (fork). */
void fdtable_copy(struct fdtable *dst, struct fdtable *src);

/* Close every descriptor (exit). */
void fdtable_close_all(struct fdtable *t);

/* The lowest free descriptor now referring to f (which it takes over), or -EMFILE. */
int fd_install(struct fdtable *t, struct file *f);

/* The file behind fd with a reference for the caller (file_put it), or NULL. */
struct file *fd_get(struct fdtable *t, int fd);

/* Close fd: 0, or -EBADF. */
int fd_close(struct fdtable *t, int fd);

#endif
