/*
 * pipe.c: a ring buffer with a lock and two wait queues.
 *
 * p->lock guards the buffer, the indices and the open-end flags. The copy
 * to and from user memory happens outside the lock (copyin/copyout take
 * the address space's lock and may sleep later, once they can fault in
 * pages), through a small bounce buffer; so the lock is held only for
 * memcpy-sized moments.
 */
#include "src/kernel/pipe.h"

#include "src/kernel/file.h"
#include "src/kernel/kernel.h"
#include "src/mm/slab.h"
#include "src/mm/uaccess.h"
#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"
#include "user/include/kine/errno.h"

#define PIPE_SIZE   4096
#define PIPE_BOUNCE 256

struct pipe {
	struct spinlock lock;
	struct waitq readable;         /* readers wait for data or the last writer's close */
	struct waitq writable;         /* writers wait for room or the last reader's close */
	uint64_t nread, nwritten;      /* guarded by lock; bytes ever moved */
	bool reader_open, writer_open; /* guarded by lock */
	char buf[PIPE_SIZE];           /* guarded by lock */
};

int pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));
	struct file *r = kzalloc(sizeof(*r)), *w = kzalloc(sizeof(*w));

	if (p == NULL || r == NULL || w == NULL) {
		kfree(p);
		kfree(r);
		kfree(w);
		return -ENOMEM;
	}
	spin_init(&p->lock, "pipe");
	waitq_init(&p->readable, "pipe_readable");
	waitq_init(&p->writable, "pipe_writable");
	p->reader_open = p->writer_open = true;
	*r = (struct file){.refs = 1, .kind = FILE_PIPE_READ, .pipe = p};
	*w = (struct file){.refs = 1, .kind = FILE_PIPE_WRITE, .pipe = p};
	*rd = r;
	*wr = w;
	return 0;
}

void pipe_close(struct pipe *p, bool writer)
{
	bool last;

	spin_lock(&p->lock);
	if (writer) {
		p->writer_open = false;
		waitq_wake_all(&p->readable);
	} else {
		p->reader_open = false;
		waitq_wake_all(&p->writable);
	}
	last = !p->reader_open && !p->writer_open;
	spin_unlock(&p->lock);
	if (last)
		kfree(p);
}

static bool pipe_killed(const bool *killed)
{
	return killed != NULL && __atomic_load_n(killed, __ATOMIC_ACQUIRE);
}

long pipe_read(struct pipe *p, struct mm *mm, uintptr_t ubuf, long n, const bool *killed)
{
	char bounce[PIPE_BOUNCE];
	long got = 0;

	spin_lock(&p->lock);
	while (p->nread == p->nwritten && p->writer_open) {
		if (pipe_killed(killed)) {
			spin_unlock(&p->lock);
			return -EINTR;
		}
		waitq_sleep(&p->readable, &p->lock);
	}
	while (got < n && p->nread != p->nwritten && got < PIPE_BOUNCE)
		bounce[got++] = p->buf[p->nread++ % PIPE_SIZE];
	waitq_wake_all(&p->writable);
	spin_unlock(&p->lock);
	if (got > 0 && copyout(mm, ubuf, bounce, got) < 0)
		return -EFAULT;
	return got;
}

long pipe_write(struct pipe *p, struct mm *mm, uintptr_t ubuf, long n, const bool *killed)
{
	char bounce[PIPE_BOUNCE];
	long done = 0;

	while (done < n) {
		long c = n - done < PIPE_BOUNCE ? n - done : PIPE_BOUNCE, i = 0;

		if (copyin(mm, bounce, ubuf + done, c) < 0)
			return done > 0 ? done : -EFAULT;
		spin_lock(&p->lock);
		while (i < c) {
			if (!p->reader_open || pipe_killed(killed)) {
				spin_unlock(&p->lock);
				return done + i > 0 ? done + i : (p->reader_open ? -EINTR : -EPIPE);
			}
			if (p->nwritten - p->nread == PIPE_SIZE) {
				waitq_wake_all(&p->readable);
				waitq_sleep(&p->writable, &p->lock);
				continue;
			}
			p->buf[p->nwritten++ % PIPE_SIZE] = bounce[i++];
		}
		waitq_wake_all(&p->readable);
		spin_unlock(&p->lock);
		done += c;
	}
	return done;
}
