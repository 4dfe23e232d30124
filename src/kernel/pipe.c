/*
 * pipe.c: a ring buffer with a lock and two wait queues.
 *
 * p->lock guards the buffer, the indices and the open-end flags. The copy
 * to and from user memory happens outside the lock (copyin/copyout take
 * the address space's lock and may sleep later, once they can fault in
 * pages), through a small bounce buffer; so the lock is held only for
 * memcpy-sized moments. The ring wraps, so a chunk is at most two memcpys;
 * a read takes everything there (up to its size), a bounce at a time.
 *
 * The ring is 16 KiB, a block of its own (four frames): with 4 KiB, a
 * reader on one hart and a writer on another slept and woke each other
 * every few kilobytes, and each sleep costs a wake-up across harts
 * (BENCHMARKS.md, issue 19, "The fault path trimmed": the faster the two
 * sides ran, the more often they slept).
 */
#include "src/kernel/pipe.h"

#include "src/kernel/file.h"
#include "src/kernel/kernel.h"
#include "src/mm/slab.h"
#include "src/mm/uaccess.h"
#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"
#include "user/include/kine/errno.h"

#define PIPE_SIZE   (16 * 1024)
#define PIPE_BOUNCE 1024 /* on the kernel stack: a quarter of the frame limit */

struct pipe {
	struct spinlock lock;
	struct waitq readable;         /* readers wait for data or the last writer's close */
	struct waitq writable;         /* writers wait for room or the last reader's close */
	uint64_t nread, nwritten;      /* guarded by lock; bytes ever moved */
	bool reader_open, writer_open; /* guarded by lock */
	char *buf;                     /* PIPE_SIZE bytes; guarded by lock */
};

int pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));
	char *buf = kmalloc(PIPE_SIZE);
	struct file *r = kzalloc(sizeof(*r)), *w = kzalloc(sizeof(*w));

	if (p == NULL || buf == NULL || r == NULL || w == NULL) {
		kfree(p);
		kfree(buf);
		kfree(r);
		kfree(w);
		return -ENOMEM;
	}
	p->buf = buf;
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
	if (last) {
		kfree(p->buf);
		kfree(p);
	}
}

static bool pipe_killed(const bool *killed)
{
	return killed != NULL && __atomic_load_n(killed, __ATOMIC_ACQUIRE);
}

/* Move up to n bytes from the ring to dst (lock held): at most two memcpys. */
static long ring_take(struct pipe *p, char *dst, long n)
{
	long avail = (long)(p->nwritten - p->nread), got = n < avail ? n : avail;
	long at = (long)(p->nread % PIPE_SIZE), first = got < PIPE_SIZE - at ? got : PIPE_SIZE - at;

	memcpy(dst, p->buf + at, first);
	memcpy(dst + first, p->buf, got - first);
	p->nread += got;
	return got;
}

/* Move up to n bytes from src into the ring's free space (lock held). */
static long ring_put(struct pipe *p, const char *src, long n)
{
	long room = PIPE_SIZE - (long)(p->nwritten - p->nread), put = n < room ? n : room;
	long at = (long)(p->nwritten % PIPE_SIZE),
	     first = put < PIPE_SIZE - at ? put : PIPE_SIZE - at;

	memcpy(p->buf + at, src, first);
	memcpy(p->buf, src + first, put - first);
	p->nwritten += put;
	return put;
}

/*
 * Wait for data (or the writer's close), then take what is there up to n,
 * a bounce buffer at a time: returning after one small chunk would make
 * each chunk a round trip between the writer's hart and the reader's.
 */
long pipe_read(struct pipe *p, struct mm *mm, uintptr_t ubuf, long n, const bool *killed)
{
	char bounce[PIPE_BOUNCE];
	long got = 0, c;

	spin_lock(&p->lock);
	while (p->nread == p->nwritten && p->writer_open) {
		if (pipe_killed(killed)) {
			spin_unlock(&p->lock);
			return -EINTR;
		}
		waitq_sleep(&p->readable, &p->lock);
	}
	do {
		c = ring_take(p, bounce, n - got < PIPE_BOUNCE ? n - got : PIPE_BOUNCE);
		waitq_wake_all(&p->writable);
		spin_unlock(&p->lock);
		if (c > 0 && copyout(mm, ubuf + got, bounce, c) < 0)
			return got > 0 ? got : -EFAULT;
		got += c;
		spin_lock(&p->lock);
	} while (c > 0 && got < n && p->nread != p->nwritten);
	spin_unlock(&p->lock);
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
			i += ring_put(p, bounce + i, c - i);
		}
		waitq_wake_all(&p->readable);
		spin_unlock(&p->lock);
		done += c;
	}
	return done;
}
