/*
 * file.c: open files and descriptor tables.
 */
#include "src/kernel/file.h"

#include "src/kernel/kernel.h"
#include "src/kernel/pipe.h"
#include "src/mm/slab.h"
#include "src/mm/uaccess.h"
#include "src/sched/proc.h"
#include "user/include/kine/errno.h"

#define CONSOLE_CHUNK 256

struct file *file_console(void)
{
	struct file *f = kzalloc(sizeof(*f));

	if (f != NULL)
		*f = (struct file){.refs = 1, .kind = FILE_CONSOLE};
	return f;
}

void file_get(struct file *f)
{
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	uint32_t old = __atomic_fetch_sub(&f->refs, 1, __ATOMIC_ACQ_REL);

	assert(old >= 1);
	if (old > 1)
		return;
	if (f->kind != FILE_CONSOLE)
		pipe_close(f->pipe, f->kind == FILE_PIPE_WRITE);
	kfree(f);
}

static long console_read_user(struct proc *p, uintptr_t ubuf, long n)
{
	char buf[CONSOLE_CHUNK];
	long got = console_read(buf, n < CONSOLE_CHUNK ? n : CONSOLE_CHUNK, &p->killed);

	if (got > 0 && copyout(p->mm, ubuf, buf, got) < 0)
		return -EFAULT;
	return got;
}

static long console_write_user(struct proc *p, uintptr_t ubuf, long n)
{
	char buf[CONSOLE_CHUNK];
	long done = 0;

	while (done < n) {
		long c = n - done < CONSOLE_CHUNK ? n - done : CONSOLE_CHUNK;

		if (copyin(p->mm, buf, ubuf + done, c) < 0)
			return done > 0 ? done : -EFAULT;
		console_write(buf, c);
		done += c;
	}
	return done;
}

long file_read(struct file *f, uintptr_t ubuf, long n)
{
	struct proc *p = proc_current();

	if (n < 0)
		return -EINVAL;
	switch (f->kind) {
	case FILE_CONSOLE:
		return console_read_user(p, ubuf, n);
	case FILE_PIPE_READ:
		return pipe_read(f->pipe, p->mm, ubuf, n, &p->killed);
	default:
		return -EBADF;
	}
}

long file_write(struct file *f, uintptr_t ubuf, long n)
{
	struct proc *p = proc_current();

	if (n < 0)
		return -EINVAL;
	switch (f->kind) {
	case FILE_CONSOLE:
		return console_write_user(p, ubuf, n);
	case FILE_PIPE_WRITE:
		return pipe_write(f->pipe, p->mm, ubuf, n, &p->killed);
	default:
		return -EBADF;
	}
}

int fdtable_init_console(struct fdtable *t)
{
	struct file *f = file_console();

	if (f == NULL)
		return -ENOMEM;
	for (int fd = 0; fd < 3; fd++) {
		if (fd > 0)
			file_get(f);
		t->fd[fd] = f;
	}
	return 0;
}

void fdtable_copy(struct fdtable *dst, const struct fdtable *src)
{
	for (int fd = 0; fd < FD_MAX; fd++) {
		dst->fd[fd] = src->fd[fd];
		if (dst->fd[fd] != NULL)
			file_get(dst->fd[fd]);
	}
}

void fdtable_close_all(struct fdtable *t)
{
	for (int fd = 0; fd < FD_MAX; fd++) {
		if (t->fd[fd] != NULL)
			file_put(t->fd[fd]);
		t->fd[fd] = NULL;
	}
}

int fd_install(struct fdtable *t, struct file *f)
{
	for (int fd = 0; fd < FD_MAX; fd++) {
		if (t->fd[fd] == NULL) {
			t->fd[fd] = f;
			return fd;
		}
	}
	return -EMFILE;
}

struct file *fd_file(struct fdtable *t, int fd)
{
	return fd >= 0 && fd < FD_MAX ? t->fd[fd] : NULL;
}
