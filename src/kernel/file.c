/*
 * file.c: open files and descriptor tables.
 */
#include "src/kernel/file.h"

#include "src/kernel/exec.h"
#include "src/kernel/kernel.h"
#include "src/kernel/pipe.h"
#include "src/mm/slab.h"
#include "src/mm/uaccess.h"
#include "src/sched/proc.h"
#include "user/include/kine/errno.h"
#include "user/include/kine/stat.h"

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
	if (f->kind == FILE_PIPE_READ || f->kind == FILE_PIPE_WRITE)
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

struct file *file_open_boot(const char *name, int *err)
{
	const void *data;
	size_t size;
	struct file *f;

	if (!bootimage_find(name, &data, &size)) {
		*err = -ENOENT;
		return NULL;
	}
	if ((f = kzalloc(sizeof(*f))) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	*f = (struct file){.refs = 1, .kind = FILE_BOOT, .data = data, .size = size};
	spin_init(&f->lock, "file");
	return f;
}

static long boot_read_user(struct file *f, struct proc *p, uintptr_t ubuf, long n)
{
	uint64_t off;
	long c;

	spin_lock(&f->lock);
	off = f->offset;
	c = (uint64_t)n < f->size - off ? n : (long)(f->size - off);
	f->offset += c;
	spin_unlock(&f->lock);
	if (c > 0 && copyout(p->mm, ubuf, f->data + off, c) < 0)
		return -EFAULT;
	return c;
}

void file_stat(const struct file *f, struct stat *st)
{
	*st = (struct stat){.dev = 1, .ino = 0, .nlink = 1};
	switch (f->kind) {
	case FILE_CONSOLE:
		st->type = T_DEVICE;
		break;
	case FILE_BOOT:
		st->type = T_FILE;
		st->size = f->size;
		break;
	default:
		st->type = T_PIPE;
		break;
	}
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
	case FILE_BOOT:
		return boot_read_user(f, p, ubuf, n);
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
		spin_lock(&t->lock);
		t->fd[fd] = f;
		spin_unlock(&t->lock);
	}
	return 0;
}

void fdtable_copy(struct fdtable *dst, struct fdtable *src)
{
	spin_lock(&src->lock);
	for (int fd = 0; fd < FD_MAX; fd++) {
		dst->fd[fd] = src->fd[fd];
		if (dst->fd[fd] != NULL)
			file_get(dst->fd[fd]);
	}
	spin_unlock(&src->lock);
}

/* One lock round for the whole table (not one per slot: exit is on fork's path). */
void fdtable_close_all(struct fdtable *t)
{
	struct file *open[FD_MAX];

	spin_lock(&t->lock);
	for (int fd = 0; fd < FD_MAX; fd++) {
		open[fd] = t->fd[fd];
		t->fd[fd] = NULL;
	}
	spin_unlock(&t->lock);
	for (int fd = 0; fd < FD_MAX; fd++)
		if (open[fd] != NULL)
			file_put(open[fd]); /* outside the lock, as in fd_close */
}

int fd_install(struct fdtable *t, struct file *f)
{
	int got = -EMFILE;

	spin_lock(&t->lock);
	for (int fd = 0; fd < FD_MAX && got < 0; fd++) {
		if (t->fd[fd] == NULL) {
			t->fd[fd] = f;
			got = fd;
		}
	}
	spin_unlock(&t->lock);
	return got;
}

struct file *fd_get(struct fdtable *t, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	spin_lock(&t->lock);
	if ((f = t->fd[fd]) != NULL)
		file_get(f);
	spin_unlock(&t->lock);
	return f;
}

int fd_close(struct fdtable *t, int fd)
{
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->fd[fd];
	t->fd[fd] = NULL;
	spin_unlock(&t->lock);
	if (f == NULL)
		return -EBADF;
	file_put(f); /* outside the lock: closing a pipe end wakes its peer */
	return 0;
}
