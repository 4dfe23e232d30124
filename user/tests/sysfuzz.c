/*
 * sysfuzz: random system calls with hostile arguments, from several
 * processes and threads on every hart, reproducible from a seed.
 *
 *	sysfuzz SEED ROUNDS PROCS [THREADS] [nocowprot]
 *
 * PROCS worker processes each run THREADS threads (default 4); every
 * thread makes ROUNDS random calls drawn from its own xorshift stream,
 * seeded from SEED and its index, so one seed always gives the same call
 * sequence per thread (and, under `./kine run --seed N`, the same
 * interleaving too). Arguments come from pools of hostile values: kernel
 * addresses (text 0xffffffff80200000, direct map 0xffffffc000000000),
 * unmapped and misaligned pointers, buffers running into an unmapped page,
 * read-only text, huge and negative lengths, negative, huge, closed and
 * wrong-way descriptors, bad flags, unknown call numbers, bad ELF files
 * for exec (badelf_* in the boot image: truncated copies of a real program
 * and garbage; kine execs only boot-image files), munmap and mprotect of
 * part of a region, mprotect of copy-on-write memory, fork from threads,
 * and a process that exits from one thread while another forks.
 *
 * Every result is checked against what the call may return (kine/errno.h,
 * docs/processes.md): a value in the documented range or one of the call's
 * documented errors, and where the kernel's answer is fully determined
 * (a read of a pipe holding N bytes, a join's status, the contents of a
 * page after fork) that exact answer. Anything else prints
 *	sysfuzz: UNEXPECTED worker W thread T call N: NAME(a0, a1, a2) = R
 * The fuzzer keeps itself alive on purpose: it never hands a valid
 * pointer with a length past its buffer, never reads an empty pipe or the
 * console, never unmaps or protects memory it did not map, and never kills
 * a process it did not fork, so a dead worker means a kernel bug.
 *
 * nocowprot: never write through a page that mprotect made writable (the
 * fuzzer found mprotect(PROT_WRITE) of a copy-on-write page making the
 * shared frame writable; fixed, docs/robustness.md: the option stays for
 * bisecting).
 *
 * At the end, with every worker and child reaped (orphans by the kernel),
 * the settled free-frame count must be what it was at the start. Last
 * line: "sysfuzz: PASS" or "sysfuzz: FAIL ..." with the command that
 * replays the run; exit status 0 on PASS.
 *
 * help: random hostile system calls (test)
 */
#include <stdbool.h>

#include "kine/user.h"

#define PAGE        4096ul
#define KTEXT       0xffffffff80200000ul /* the kernel's text */
#define KDIRECT     0xffffffc000000000ul /* the start of the direct map */
#define KRAM        0xffffffc080000000ul /* RAM (OpenSBI's) through the direct map */
#define USER_END    0x4000000000ul       /* first address above user space */
#define HOLE        0x1000000000ul       /* never mapped: above any heap, below mmap */
#define MAX_THREADS 4
#define NREG        6  /* mmap regions a thread keeps */
#define REG_PAGES   16 /* at most this many pages per region */
#define NFD         6  /* descriptors a thread keeps (dup, open, pipe) */
#define MAX_KIDS    4  /* children a worker lets run at once */
#define BUF         8192
#define PIPE_CAP    4096 /* a pipe's ring (src/kernel/pipe.c) */
#define STAT_SIZE   24   /* sizeof(struct stat) */

#define E(x)      (1ull << (x))
#define ANY_ERR   (~0ull)
#define NO_RESULT (-0x4000000000000000l) /* a range [NO_RESULT, NO_RESULT]: errors only */

/* One mmap region: which pages are mapped, readable, writable, and the tag each holds. */
struct region {
	uintptr_t addr;
	int pages;
	bool shared; /* MAP_SHARED: a fork child leaves it alone */
	uint32_t mapped, readable, writable;
	uint64_t tag[REG_PAGES];
};

/* One fuzzing thread. Each thread touches only its own fz. */
struct fz {
	uint64_t rng;
	int worker, thread;
	bool in_child;
	long calls, bad, tags;
	struct region reg[NREG];
	int pr, pw;   /* its own pipe (-1: none) */
	long pending; /* bytes in it */
	int fd[NFD];  /* other descriptors it opened (-1: free slot) */
	int tid[2];   /* threads it created and has not joined (0: none) */
	int kid[MAX_KIDS];
	char *edge; /* the last 8 bytes before an unmapped page */
	char buf[BUF];
};

/* Counters every worker adds to, in a MAP_SHARED page the controller made. */
struct shared {
	long calls, bad, forks, execs, children;
};

static struct shared *shared;
static struct fz fzs[MAX_THREADS];
static int live_kids;  /* atomic: this process's children not yet reaped */
static int heap_pages; /* atomic: pages this process's sbrk calls added */
static uint64_t seed;  /* the run's seed */
static bool nocowprot; /* skip writes through mprotect(PROT_WRITE)'d pages */
static int my_job;     /* the job the run started in (setjob and fgjob keep it) */
static int rounds;     /* calls per thread */

/* ---- the random stream ---- */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd(struct fz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

/* Uniform in [0, n). */
static long below(struct fz *f, long n)
{
	return (long)(rnd(f) % (uint64_t)n);
}

/* ---- checking ---- */

/*
 * r is fine when lo <= r <= hi, or r is -e for an e in errs. Otherwise
 * report it with the call's arguments.
 */
static bool check(struct fz *f, const char *name, long a0, long a1, long a2, long r, long lo,
		  long hi, uint64_t errs)
{
	if ((r >= lo && r <= hi) || (r < 0 && r > -64 && (errs & E(-r))))
		return true;
	f->bad++;
	printf("sysfuzz: UNEXPECTED worker %d thread %d%s call %ld: %s(%#lx, %#lx, %#lx) = %ld\n",
	       f->worker, f->thread, f->in_child ? " (child)" : "", f->calls, name, a0, a1, a2, r);
	return false;
}

static long sys(struct fz *f, long n, long a0, long a1, long a2, long a3)
{
	f->calls++;
	return kine_syscall(n, a0, a1, a2, a3, 0, 0);
}

/* ---- hostile values ---- */

/* An address the kernel must refuse for any access. */
static long bad_ptr(struct fz *f)
{
	static const uint64_t pool[] = {
	    0,        KTEXT,        KDIRECT, KRAM, ~0ul - 7, 0x8000000000000000ul,
	    USER_END, USER_END - 8, HOLE,    1,    PAGE - 1,
	};
	long i = below(f, sizeof(pool) / sizeof(pool[0]) + 2);

	if (i == sizeof(pool) / sizeof(pool[0]))
		return (long)(HOLE + (rnd(f) % (HOLE - PAGE))); /* anywhere in the hole */
	if (i > (long)(sizeof(pool) / sizeof(pool[0])))
		return (long)(rnd(f) | KDIRECT); /* anywhere in the kernel half */
	return (long)pool[i];
}

/* A length: small, page-sized, or absurd. */
static long any_len(struct fz *f)
{
	static const long pool[] = {0,        1,        8,        4095,       4096,
				    4097,     8192,     -1,       0x7fffffff, -0x7fffffff - 1,
				    1l << 31, 1l << 32, 1l << 40, -4096};
	long i = below(f, sizeof(pool) / sizeof(pool[0]) + 1);

	return i < (long)(sizeof(pool) / sizeof(pool[0])) ? pool[i] : below(f, 300);
}

/*
 * A descriptor no call may accept (-EBADF), whatever the other threads do.
 * Descriptors are ints (as on Unix): 1 << 32 is descriptor 0, so it is
 * not among them.
 */
static long bad_fd(struct fz *f)
{
	static const long pool[] = {-1,
				    -2,
				    16,
				    17,
				    63,
				    1 << 20,
				    0x7fffffff,
				    -0x7fffffff - 1,
				    (1l << 32) - 1,
				    (1l << 40) + 20};

	return pool[below(f, sizeof(pool) / sizeof(pool[0]))];
}

/* Any descriptor (own, console, or bad): for calls that never block. */
static long any_fd(struct fz *f)
{
	switch (below(f, 5)) {
	case 0:
		return below(f, 3);
	case 1:
		return f->pr;
	case 2:
		return f->pw;
	case 3:
		return f->fd[below(f, NFD)];
	default:
		return bad_fd(f);
	}
}

/* A string pointer: good, absent, too long, running into unmapped, or bad. */
static long any_path(struct fz *f)
{
	static const char *const names[] = {"hello",        "/hello",      "nosuchprogram",  "",
					    "badelf_trunc", "badelf_half", "badelf_garbage", "x/y"};
	static char long_path[300];

	switch (below(f, 5)) {
	case 0:
	case 1:
		return (long)names[below(f, sizeof(names) / sizeof(names[0]))];
	case 2:
		if (long_path[0] == 0)
			memset(long_path, 'a',
			       sizeof(long_path) - 1); /* races write the same bytes */
		return (long)long_path;
	case 3:
		memcpy(f->edge, "abcdefgh", 8); /* no NUL before the unmapped page */
		return (long)f->edge;
	default:
		return bad_ptr(f);
	}
}

/* ---- own resources ---- */

static void fd_keep(struct fz *f, int fd)
{
	for (int i = 0; i < NFD; i++)
		if (f->fd[i] < 0) {
			f->fd[i] = fd;
			return;
		}
	close(fd);
}

/* A fresh pipe for this thread (after a failed read or write left it unknown). */
static void pipe_renew(struct fz *f)
{
	int fds[2];

	if (f->pr >= 0) {
		close(f->pr);
		close(f->pw);
	}
	f->pr = f->pw = -1;
	f->pending = 0;
	if (pipe(fds) == 0) {
		f->pr = fds[0];
		f->pw = fds[1];
	}
}

/* ---- the calls ---- */

static void op_read(struct fz *f)
{
	long r, ptr, n;

	if (f->pr < 0 || f->pending == 0 || below(f, 3) == 0) {
		/* A descriptor that cannot be read: never blocks. */
		long fd = below(f, 2) ? bad_fd(f) : f->pw;

		ptr = below(f, 2) ? (long)f->buf : bad_ptr(f);
		n = any_len(f);
		r = sys(f, SYS_read, fd, ptr, n, 0);
		/* Lengths are ints too; which of the two errors comes first is not promised. */
		check(f, "read", fd, ptr, n, r, NO_RESULT, NO_RESULT,
		      E(EBADF) | ((int)n < 0 ? E(EINVAL) : 0));
		return;
	}
	if (below(f, 4) == 0) {
		/*
		 * Bytes wait: a bad buffer must fail, then the pipe's state is
		 * unknown. The edge fails only if more than its 8 bytes come.
		 */
		ptr = below(f, 2) || f->pending <= 8 ? bad_ptr(f) : (long)f->edge;
		n = below(f, 2) ? 64 : f->pending;
		r = sys(f, SYS_read, f->pr, ptr, n, 0);
		check(f, "read", f->pr, ptr, n, r, NO_RESULT, NO_RESULT, E(EFAULT));
		pipe_renew(f);
		return;
	}
	n = below(f, 3) == 0 ? -1 - below(f, 100) : 1 + below(f, BUF);
	r = sys(f, SYS_read, f->pr, (long)f->buf, n, 0);
	if (n < 0) {
		check(f, "read", f->pr, (long)f->buf, n, r, NO_RESULT, NO_RESULT, E(EINVAL));
		return;
	}
	/* A pipe holding `pending` bytes gives min(n, pending), at least one. */
	if (check(f, "read", f->pr, (long)f->buf, n, r, 1, n < f->pending ? n : f->pending, 0))
		f->pending -= r;
	else
		pipe_renew(f);
}

static void op_write(struct fz *f)
{
	long r, ptr, n, room = PIPE_CAP - f->pending;

	switch (below(f, 4)) {
	case 0: /* the wrong way, or no such descriptor */
		n = any_len(f);
		r = sys(f, SYS_write, below(f, 2) ? bad_fd(f) : f->pr, (long)f->buf, n, 0);
		check(f, "write", -1, (long)f->buf, n, r, NO_RESULT, NO_RESULT,
		      E(EBADF) | ((int)n < 0 ? E(EINVAL) : 0));
		return;
	case 1: /* the console with a bad buffer or a bad length: nothing is printed */
		ptr = bad_ptr(f);
		n = below(f, 2) ? 1 + below(f, 64) : -1 - below(f, 64);
		r = sys(f, SYS_write, 1 + below(f, 2), ptr, n, 0);
		check(f, "write", 1, ptr, n, r, NO_RESULT, NO_RESULT,
		      n < 0 ? E(EINVAL) : E(EFAULT));
		return;
	}
	if (f->pr < 0 || room == 0)
		return;
	if (below(f, 4) == 0) {
		ptr = below(f, 2) ? bad_ptr(f) : (long)f->edge;
		n = 1 + below(f, room < 64 ? room : 64);
		if (ptr == (long)f->edge && n <= 8)
			n = 9; /* runs into the unmapped page */
		if (n > room)
			return;
		r = sys(f, SYS_write, f->pw, ptr, n, 0);
		check(f, "write", f->pw, ptr, n, r, NO_RESULT, NO_RESULT, E(EFAULT));
		pipe_renew(f);
		return;
	}
	/* Room for n bytes: all of them go in at once (from the buffer or read-only text). */
	n = 1 + below(f, room);
	ptr = below(f, 3) ? (long)f->buf : (long)&op_write;
	r = sys(f, SYS_write, f->pw, ptr, n, 0);
	if (check(f, "write", f->pw, ptr, n, r, n, n, 0))
		f->pending += n;
	else
		pipe_renew(f);
}

static void op_fds(struct fz *f)
{
	long r, fd, ptr;
	int slot = (int)below(f, NFD);

	switch (below(f, 6)) {
	case 0: /* close: one of its own, or one that is surely not open */
		if (f->fd[slot] >= 0 && below(f, 2)) {
			r = sys(f, SYS_close, f->fd[slot], 0, 0, 0);
			check(f, "close", f->fd[slot], 0, 0, r, 0, 0, 0);
			f->fd[slot] = -1;
		} else {
			fd = bad_fd(f);
			r = sys(f, SYS_close, fd, 0, 0, 0);
			check(f, "close", fd, 0, 0, r, NO_RESULT, NO_RESULT, E(EBADF));
		}
		return;
	case 1:
		fd = any_fd(f);
		r = sys(f, SYS_dup, fd, 0, 0, 0);
		if (check(f, "dup", fd, 0, 0, r, 3, 15, E(EBADF) | E(EMFILE)) && r >= 0)
			fd_keep(f, (int)r);
		return;
	case 2: {
		int *fds = (int *)(f->buf + 16);

		ptr = below(f, 2) ? (long)fds : below(f, 2) ? (long)f->edge + 4 : bad_ptr(f);
		r = sys(f, SYS_pipe, ptr, 0, 0, 0);
		if (check(f, "pipe", ptr, 0, 0, r, 0, 0, E(EFAULT) | E(EMFILE) | E(ENOMEM)) &&
		    r == 0 && ptr == (long)fds) {
			fd_keep(f, fds[0]);
			fd_keep(f, fds[1]);
		}
		return;
	}
	case 3:
		fd = any_fd(f);
		ptr = below(f, 2) ? (long)f->buf : below(f, 2) ? (long)&op_fds : bad_ptr(f);
		r = sys(f, SYS_fstat, fd, ptr, 0, 0);
		check(f, "fstat", fd, ptr, 0, r, 0, 0, E(EBADF) | E(EFAULT));
		return;
	default: {
		long path = any_path(f), flags = below(f, 2) ? 0 : (long)rnd(f) & 0xfff;

		r = sys(f, SYS_open, path, flags, 0, 0);
		if (check(f, "open", path, flags, 0, r, 3, 15,
			  E(EFAULT) | E(ENOENT) | E(E2BIG) | E(EROFS) | E(EMFILE) | E(ENOMEM)) &&
		    r >= 0)
			fd_keep(f, (int)r);
		return;
	}
	}
}

/* ---- memory ---- */

static uint32_t page_mask(int first, int n)
{
	return (uint32_t)(((1ull << n) - 1) << first);
}

/* Write a new tag into every writable page of a region. */
static void touch(struct fz *f, struct region *g)
{
	for (int i = 0; i < g->pages; i++)
		if (g->writable & (1u << i)) {
			g->tag[i] = ((uint64_t)f->worker << 48) ^ ((uint64_t)f->thread << 40) ^
				    (uint64_t)++f->tags;
			*(volatile uint64_t *)(g->addr + i * PAGE + (i * 8) % PAGE) = g->tag[i];
		}
}

/* Every readable page must hold the tag last written to it (0 if none). */
static void verify(struct fz *f, struct region *g)
{
	for (int i = 0; i < g->pages; i++) {
		uint64_t got;

		if (!(g->readable & (1u << i)))
			continue;
		got = *(volatile uint64_t *)(g->addr + i * PAGE + (i * 8) % PAGE);
		if (got != g->tag[i]) {
			f->bad++;
			printf("sysfuzz: UNEXPECTED worker %d thread %d%s: page %d of %#lx holds "
			       "%#lx, want %#lx\n",
			       f->worker, f->thread, f->in_child ? " (child)" : "", i, g->addr, got,
			       g->tag[i]);
			g->tag[i] = got;
		}
	}
}

static long any_prot(struct fz *f)
{
	return below(f, 4) ? PROT_READ | PROT_WRITE : below(f, 8);
}

static void op_mmap(struct fz *f)
{
	static const long flag_pool[] = {MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED | MAP_ANONYMOUS,
					 MAP_ANONYMOUS, MAP_PRIVATE,
					 MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS};
	struct region *g = &f->reg[below(f, NREG)];
	long len, prot = any_prot(f), flags, r;
	int pages = 1 + (int)below(f, REG_PAGES);

	flags = below(f, 3) ? flag_pool[below(f, 2)] : flag_pool[below(f, 5)];
	switch (below(f, 6)) {
	case 0:
		len = below(f, 2) ? 0 : -1 - below(f, 4096);
		break;
	case 1:
		len = below(f, 2) ? 1l << 37 : 1l << 40; /* past the mmap area */
		break;
	default:
		len = pages * (long)PAGE - (below(f, 2) ? below(f, PAGE) : 0);
	}
	if (g->addr != 0) {
		/* Replace the region: verify, then unmap all of it. */
		verify(f, g);
		check(f, "munmap", (long)g->addr, g->pages * PAGE, 0,
		      sys(f, SYS_munmap, (long)g->addr, g->pages * (long)PAGE, 0, 0), 0, 0, 0);
		memset(g, 0, sizeof(*g));
	}
	r = sys(f, SYS_mmap, 0, len, prot, flags);
	if (!check(f, "mmap", len, prot, flags, r, 0x2000000000l, USER_END - PAGE,
		   E(EINVAL) | E(ENOMEM)) ||
	    r < 0)
		return;
	if (r % PAGE != 0 || len <= 0 || len > REG_PAGES * (long)PAGE) {
		check(f, "mmap (address)", len, prot, flags, r, NO_RESULT, NO_RESULT, 0);
		return;
	}
	g->addr = (uintptr_t)r;
	g->pages = pages;
	g->shared = (flags & MAP_SHARED) != 0;
	g->mapped = page_mask(0, pages);
	g->readable = (prot & (PROT_READ | PROT_WRITE)) ? g->mapped : 0;
	g->writable = (prot & PROT_WRITE) ? g->mapped : 0;
	if (below(f, 2))
		touch(f, g);
}

/* munmap or mprotect of part of a region, or of something the kernel must refuse. */
static void op_unmap_protect(struct fz *f)
{
	struct region *g = &f->reg[below(f, NREG)];
	bool protect = below(f, 2);
	long a, len, prot = any_prot(f), r;
	int first, n;

	if (g->addr == 0 || below(f, 5) == 0) {
		/* Refused whatever is mapped: unaligned, kernel, empty, wrapping, past user space. */
		switch (below(f, 5)) {
		case 0:
			a = (long)(g->addr ? g->addr : HOLE) + 1 + below(f, PAGE - 1);
			len = PAGE;
			break;
		case 1:
			a = below(f, 2) ? (long)KTEXT : (long)KDIRECT;
			len = PAGE;
			break;
		case 2:
			a = (long)HOLE;
			len = below(f, 2) ? 0 : -1;
			break;
		case 3:
			a = (long)(USER_END - PAGE);
			len = 2 * PAGE;
			break;
		default:
			a = (long)HOLE;
			len = (long)(~0ul - PAGE + 2);
		}
		r = sys(f, protect ? SYS_mprotect : SYS_munmap, a, len, prot, 0);
		check(f, protect ? "mprotect" : "munmap", a, len, prot, r, NO_RESULT, NO_RESULT,
		      E(EINVAL));
		return;
	}
	/* Some pages of the region: all, the first or second half, or one. */
	switch (below(f, 4)) {
	case 0:
		first = 0, n = g->pages;
		break;
	case 1:
		first = 0, n = (g->pages + 1) / 2;
		break;
	case 2:
		first = g->pages / 2, n = g->pages - g->pages / 2;
		break;
	default:
		first = (int)below(f, g->pages), n = 1;
	}
	a = (long)(g->addr + first * PAGE);
	len = n * (long)PAGE - (below(f, 4) == 0 ? below(f, PAGE) : 0); /* rounded up */
	verify(f, g);
	if (!protect) {
		r = sys(f, SYS_munmap, a, len, 0, 0);
		check(f, "munmap", a, len, 0, r, 0, 0, 0);
		g->mapped &= ~page_mask(first, n);
		g->readable &= g->mapped;
		g->writable &= g->mapped;
		for (int i = first; i < first + n; i++)
			g->tag[i] = 0; /* mapped again later: fresh zero pages */
		if (g->mapped == 0)
			memset(g, 0, sizeof(*g));
		return;
	}
	r = sys(f, SYS_mprotect, a, len, prot, 0);
	if (prot == 0 || (prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		check(f, "mprotect", a, len, prot, r, NO_RESULT, NO_RESULT, E(EINVAL));
		return;
	}
	if ((g->mapped & page_mask(first, n)) != page_mask(first, n)) {
		/* A hole: -ENOMEM, and pages before it may have changed: touch none of them. */
		check(f, "mprotect", a, len, prot, r, NO_RESULT, NO_RESULT, E(ENOMEM));
		g->readable &= ~page_mask(first, n);
		g->writable &= ~page_mask(first, n);
		return;
	}
	check(f, "mprotect", a, len, prot, r, 0, 0, 0);
	g->readable &= ~page_mask(first, n);
	g->writable &= ~page_mask(first, n);
	if (prot & (PROT_READ | PROT_WRITE))
		g->readable |= page_mask(first, n);
	if ((prot & PROT_WRITE) && !nocowprot)
		g->writable |= page_mask(first, n);
	if (below(f, 2))
		touch(f, g); /* through copy-on-write if a fork shares it */
}

static void op_sbrk(struct fz *f)
{
	static const long absurd[] = {1l << 40, -(1l << 62), -0x7fffffffffffffffl - 1,
				      0x7fffffffffffffffl, 1l << 37};
	long d, r;

	if (below(f, 3) == 0) {
		d = absurd[below(f, 5)];
		r = sys(f, SYS_sbrk, d, 0, 0, 0);
		check(f, "sbrk", d, 0, 0, r, NO_RESULT, NO_RESULT, E(ENOMEM) | E(EINVAL));
		return;
	}
	/* Grow by a few pages, or give back what this process grew. */
	if (__atomic_load_n(&heap_pages, __ATOMIC_RELAXED) < 64 && below(f, 2)) {
		d = (1 + below(f, 4)) * (long)PAGE;
		r = sys(f, SYS_sbrk, d, 0, 0, 0);
		if (check(f, "sbrk", d, 0, 0, r, 1, 0x2000000000l, E(ENOMEM)) && r > 0)
			__atomic_fetch_add(&heap_pages, (int)(d / PAGE), __ATOMIC_RELAXED);
		return;
	}
	d = __atomic_exchange_n(&heap_pages, 0, __ATOMIC_RELAXED) * (long)PAGE;
	if (d == 0)
		return;
	r = sys(f, SYS_sbrk, -d, 0, 0, 0);
	check(f, "sbrk", -d, 0, 0, r, 1, 0x2000000000l, 0);
}

/* ---- processes and threads ---- */

static void fuzz_calls(struct fz *f, long n);

/* exec in a child (one thread, so it really tries): a bad ELF, or a real program. */
static void child_exec(struct fz *f)
{
	static const char *const bad[] = {"badelf_trunc", "badelf_half", "badelf_garbage"};
	const char *name = bad[below(f, 3)];
	char *argv[] = {(char *)name, "0", NULL};
	long r;

	__atomic_fetch_add(&shared->execs, 1, __ATOMIC_RELAXED);
	if (below(f, 4) == 0) {
		argv[0] = "exitcode";
		r = sys(f, SYS_exec, (long)"exitcode", (long)argv, 0, 0);
		/* Only a failure returns; -EBUSY while threads it made still run. */
		check(f, "exec", (long)"exitcode", (long)argv, 0, r, NO_RESULT, NO_RESULT,
		      E(ENOMEM) | E(EBUSY));
		return;
	}
	r = sys(f, SYS_exec, (long)name, (long)argv, 0, 0);
	check(f, "exec", (long)name, (long)argv, 0, r, NO_RESULT, NO_RESULT,
	      E(ENOEXEC) | E(ENOMEM) | E(EBUSY));
}

/* A forked child: its own pipe, a few more calls on its copy of the state, then exit. */
static void child_main(struct fz *f)
{
	long inherited = f->calls; /* the parent counts those; calls go on numbering from here */

	f->in_child = true;
	f->bad = 0;
	f->rng = splitmix(f->rng ^ 0x5eed);
	f->pr = f->pw = -1; /* the copies stay open, unused */
	pipe_renew(f);
	f->tid[0] = f->tid[1] = 0;
	for (int i = 0; i < MAX_KIDS; i++)
		f->kid[i] = 0;
	for (int i = 0; i < NREG; i++) {
		if (f->reg[i].shared)
			memset(&f->reg[i], 0, sizeof(f->reg[i])); /* the parent writes it on */
		if (f->reg[i].addr != 0)
			verify(f, &f->reg[i]); /* the parent's pages as they were at fork */
	}
	fuzz_calls(f, below(f, 24));
	if (below(f, 6) == 0)
		child_exec(f);
	if (f->bad)
		__atomic_fetch_add(&shared->bad, f->bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shared->calls, f->calls - inherited, __ATOMIC_RELAXED);
	exit(0);
}

static int forker(void *arg)
{
	for (int i = 0; i < 20; i++) {
		int pid = fork();

		if (pid == 0)
			exit(0);
		yield();
	}
	return 0;
}

static int exit7(void *arg)
{
	exit(7);
}

/*
 * exit from one thread while another forks: the child process runs a
 * thread that forks in a loop and, from its first thread (or the other
 * way round), exits with status 7 after a few yields.
 */
static void exit_while_forking(struct fz *f)
{
	int yields = (int)below(f, 6), tid;

	if (below(f, 2)) {
		if ((tid = thread_create(forker, NULL)) < 0)
			exit(7);
		for (int i = 0; i < yields; i++)
			yield();
		exit(7);
	}
	tid = thread_create(exit7, NULL);
	if (tid < 0)
		exit(7);
	forker(NULL);
	exit(7);
}

static void op_fork(struct fz *f)
{
	int scenario = below(f, 8) == 0, slot = (int)below(f, MAX_KIDS);
	long r;

	if (__atomic_load_n(&live_kids, __ATOMIC_RELAXED) >= MAX_KIDS)
		return;
	r = sys(f, SYS_fork, 0, 0, 0, 0);
	if (r == 0) {
		if (scenario)
			exit_while_forking(f);
		child_main(f);
	}
	if (check(f, "fork", 0, 0, 0, r, 1, 0x7fffffff, E(ENOMEM) | E(EAGAIN)) && r > 0) {
		__atomic_fetch_add(&live_kids, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&shared->forks, 1, __ATOMIC_RELAXED);
		f->kid[slot] = (int)r;
	}
}

/* A child's status must be one the fuzzer gives: 0, 7, or -1 (killed). */
static void check_status(struct fz *f, int pid, int status)
{
	if (status != 0 && status != 7 && status != -1)
		check(f, "wait (status)", pid, status, 0, NO_RESULT, 0, 0, 0);
}

static void op_wait_kill(struct fz *f)
{
	long r, ptr, pid;

	if (below(f, 3) == 0) {
		/* kill: a child it forked (perhaps gone), or nobody. */
		pid = below(f, 2) ? f->kid[below(f, MAX_KIDS)] : below(f, 2) ? -1 : 1l << 30;
		r = sys(f, SYS_kill, pid, 0, 0, 0);
		check(f, "kill", pid, 0, 0, r, pid > 0 ? 0 : 1, 0, E(ESRCH));
		return;
	}
	/* wait blocks only while children run, and every child ends by itself. */
	ptr = below(f, 3) ? (long)f->buf : below(f, 2) ? 0 : bad_ptr(f);
	*(int *)f->buf = 12345;
	r = sys(f, SYS_wait, ptr, 0, 0, 0);
	if (!check(f, "wait", ptr, 0, 0, r, 1, 0x7fffffff, E(ECHILD) | E(EFAULT)))
		return;
	if (r > 0 || r == -EFAULT)
		__atomic_fetch_sub(&live_kids, 1, __ATOMIC_RELAXED);
	if (r > 0 && ptr == (long)f->buf)
		check_status(f, (int)r, *(int *)f->buf);
}

static int mini_thread(void *arg)
{
	yield();
	return (int)(long)arg;
}

static void op_thread(struct fz *f)
{
	int slot = (int)below(f, 2), status;
	long r, tid, ptr;

	if (f->tid[slot] == 0 && below(f, 2)) {
		r = thread_create(mini_thread, (void *)(long)(40 + slot));
		f->calls++;
		if (check(f, "thread_create", 0, 0, 0, r, 1, 0x7fffffff, E(EAGAIN) | E(ENOMEM)) &&
		    r > 0)
			f->tid[slot] = (int)r;
		return;
	}
	if (f->tid[slot] != 0 && below(f, 2)) {
		tid = f->tid[slot];
		ptr = below(f, 4) ? (long)&status : bad_ptr(f);
		status = -99;
		r = sys(f, SYS_thread_join, tid, ptr, 0, 0);
		f->tid[slot] = 0;
		if (ptr != (long)&status) {
			check(f, "thread_join", tid, ptr, 0, r, 0, 0, E(EFAULT));
			return;
		}
		if (check(f, "thread_join", tid, ptr, 0, r, 0, 0, 0) && status != 40 + slot)
			check(f, "thread_join (status)", tid, status, 0, NO_RESULT, 0, 0, 0);
		return;
	}
	/* Nobody's thread, or this thread itself. */
	tid = below(f, 2) ? -1 - below(f, 5) : below(f, 2) ? 1l << 30 : 0;
	r = sys(f, SYS_thread_join, tid, 0, 0, 0);
	check(f, "thread_join", tid, 0, 0, r, NO_RESULT, NO_RESULT, E(ESRCH) | E(EINVAL));
}

static void op_exec(struct fz *f)
{
	static char *none[] = {NULL};
	char *argv[4];
	long path = any_path(f), av, r;

	/* Never "hello" with good arguments: with one thread that would replace us. */
	switch (below(f, 5)) {
	case 0:
		av = bad_ptr(f);
		break;
	case 1:
		av = (long)none;
		break;
	case 2:
		argv[0] = "x";
		argv[1] = (char *)bad_ptr(f);
		argv[2] = NULL;
		if (argv[1] == NULL)
			argv[1] = (char *)KTEXT; /* {"x", NULL} would be good arguments */
		av = (long)argv;
		break;
	case 3:
		memcpy(f->edge, "abcdefgh", 8);
		argv[0] = "x", argv[1] = f->edge, argv[2] = NULL;
		av = (long)argv;
		break;
	default:
		av = (long)(f->edge + 4); /* an array running into the unmapped page */
	}
	if (av == 0)
		av = (long)none;
	r = sys(f, SYS_exec, path, av, 0, 0);
	check(f, "exec", path, av, 0, r, NO_RESULT, NO_RESULT,
	      E(EFAULT) | E(E2BIG) | E(EINVAL) | E(ENOENT) | E(ENOEXEC) | E(EBUSY) | E(ENOMEM));
}

#define PROCINFO_MAX 1024 /* records: PROC_MAX processes x PROC_THREADS threads */

/*
 * procinfo into its own buffer, the edge, or a bad pointer. With every
 * record copied into the buffer, the caller itself must be among them.
 */
static void op_procinfo(struct fz *f)
{
	long room = BUF / (long)sizeof(struct kine_procinfo), a, b, r;
	const struct kine_procinfo *rec = (const struct kine_procinfo *)f->buf;
	int me = getpid(), found = 0;

	a = below(f, 3) ? (long)f->buf : below(f, 2) ? (long)f->edge : bad_ptr(f);
	b = below(f, 2) ? below(f, room + 1) : any_len(f);
	if (a == (long)f->buf && b > room)
		b = room;
	r = sys(f, SYS_procinfo, a, b, 0, 0);
	/* Nothing copied (b <= 0) is no fault, whatever the pointer. */
	if (!check(f, "procinfo", a, b, 0, r, 1, PROCINFO_MAX,
		   (b > 0 && a != (long)f->buf ? E(EFAULT) : 0) | E(ENOMEM)))
		return;
	if (a != (long)f->buf || r <= 0 || r > b)
		return;
	for (long i = 0; i < r; i++)
		found |= rec[i].pid == me && rec[i].job == my_job;
	if (!found)
		check(f, "procinfo (own record)", a, b, me, NO_RESULT, 0, 0, 0);
}

/*
 * setjob and fgjob. Valid calls name the run's own job, so a Ctrl-C still
 * ends the whole run; the rest are refused: a negative pid or job, a pid
 * that is not a child (init's 1, a huge one).
 */
static void op_jobs(struct fz *f)
{
	static const long bad_pids[] = {1, 1l << 30, 0x7fffffff};
	long a, b, r;

	switch (below(f, 3)) {
	case 0:
		a = below(f, 2) ? 0 : f->kid[below(f, MAX_KIDS)];
		b = below(f, 4) ? my_job : -1 - below(f, 3);
		r = sys(f, SYS_setjob, a, b, 0, 0);
		/* A child of its own may be gone (reaped): ESRCH. */
		check(f, "setjob", a, b, 0, r, b < 0 ? 1 : 0, 0,
		      b < 0    ? E(EINVAL)
		      : a == 0 ? 0
			       : E(ESRCH));
		return;
	case 1:
		a = bad_pids[below(f, sizeof(bad_pids) / sizeof(bad_pids[0]))];
		b = below(f, 2) ? my_job : 0;
		if (below(f, 3) == 0)
			a = -1 - below(f, 1 << 20);
		r = sys(f, SYS_setjob, a, b, 0, 0);
		check(f, "setjob", a, b, 0, r, NO_RESULT, NO_RESULT, a < 0 ? E(EINVAL) : E(ESRCH));
		return;
	default:
		a = below(f, 2) ? my_job : -1 - below(f, 1 << 20);
		r = sys(f, SYS_fgjob, a, 0, 0, 0);
		check(f, "fgjob", a, 0, 0, r, a < 0 ? 1 : 0, a < 0 ? 0 : 0x7fffffff,
		      a < 0 ? E(EINVAL) : 0);
	}
}

/* bootfile: a file number (real, past the end, negative, huge) into good or bad memory. */
static void op_bootfile(struct fz *f)
{
	static const long idx[] = {-1, -0x7fffffff - 1, 0x7fffffff, 1l << 32, 1000};
	const struct kine_bootfile *bf = (const struct kine_bootfile *)f->buf;
	long a, b, r;
	int index;

	a = below(f, 2) ? below(f, 48) : idx[below(f, sizeof(idx) / sizeof(idx[0]))];
	b = below(f, 3) ? (long)f->buf : below(f, 2) ? (long)f->edge : bad_ptr(f);
	index = (int)a; /* the kernel takes an int: 1 << 32 is file 0 */
	r = sys(f, SYS_bootfile, a, b, 0, 0);
	if (index < 0)
		check(f, "bootfile", a, b, 0, r, NO_RESULT, NO_RESULT, E(EINVAL));
	else if (b == (long)f->buf)
		/* File 0 is always there (the image holds at least init). */
		check(f, "bootfile", a, b, 0, r, 0, 0, index == 0 ? 0 : E(ENOENT));
	else
		check(f, "bootfile", a, b, 0, r, NO_RESULT, NO_RESULT, E(EFAULT) | E(ENOENT));
	if (r == 0 && b == (long)f->buf && (bf->name[0] == '\0' || bf->pad != 0))
		check(f, "bootfile (record)", a, b, 0, NO_RESULT, 0, 0, 0);
}

static void op_misc(struct fz *f)
{
	static const long nums[] = {0, 17, 18, 19, 20, 37, 99, 1000, -1, 1l << 40};
	long r, a, b;

	switch (below(f, 13)) {
	case 10:
		op_procinfo(f);
		return;
	case 11:
		op_jobs(f);
		return;
	case 12:
		op_bootfile(f);
		return;
	case 0:
		a = below(f, 4) ? below(f, 2) : -1 - below(f, 3);
		r = sys(f, SYS_sleep, a, 0, 0, 0);
		check(f, "sleep", a, 0, 0, r, 0, 0, a < 0 ? E(EINVAL) : E(EINTR));
		return;
	case 1:
		a = below(f, 2) ? -1 + below(f, 9) : below(f, 2) ? -2 : 1 << 20;
		r = sys(f, SYS_set_affinity, a, 0, 0, 0);
		if (a < -1 || a >= 8)
			check(f, "set_affinity", a, 0, 0, r, NO_RESULT, NO_RESULT, E(EINVAL));
		else
			check(f, "set_affinity", a, 0, 0, r, 0, 0, a >= 1 ? E(EINVAL) : 0);
		if (a >= -1 && a < 8 && r == 0 && below(f, 2))
			set_affinity(-1);
		return;
	case 2:
		a = below(f, 3) ? (long)f->buf : below(f, 2) ? (long)f->edge : bad_ptr(f);
		b = below(f, 16) == 0;
		r = sys(f, SYS_memstat, a, b, 0, 0);
		check(f, "memstat", a, b, 0, r, 0, 0, E(EFAULT));
		return;
	case 3:
		if (below(f, 8) != 0)
			return;
		a = below(f, 2) ? (long)f->buf : bad_ptr(f);
		b = below(f, 2) ? below(f, BUF + 1) : any_len(f);
		if (a == (long)f->buf && (b < 0 || b > BUF))
			b = BUF;
		r = sys(f, SYS_lockstat, a, b, below(f, 4) ? 0 : 2, 0);
		check(f, "lockstat", a, b, 0, r, 0, 1 << 30, E(EFAULT) | E(EINVAL) | E(ENOMEM));
		return;
	case 4:
		a = any_path(f);
		r = sys(f, SYS_chdir, a, 0, 0, 0);
		check(f, "chdir", a, 0, 0, r, NO_RESULT, NO_RESULT, E(ENOSYS));
		return;
	case 5:
		a = nums[below(f, sizeof(nums) / sizeof(nums[0]))];
		r = sys(f, a, bad_ptr(f), any_len(f), (long)rnd(f), 0);
		check(f, "syscall", a, 0, 0, r, NO_RESULT, NO_RESULT, E(ENOSYS));
		return;
	case 6:
		r = sys(f, SYS_yield, 0, 0, 0, 0);
		check(f, "yield", 0, 0, 0, r, 0, 0, 0);
		return;
	case 7:
		r = sys(f, SYS_hart, 0, 0, 0, 0);
		check(f, "hart", 0, 0, 0, r, 0, 7, 0);
		return;
	case 8:
		r = sys(f, SYS_getpid, 0, 0, 0, 0);
		check(f, "getpid", 0, 0, 0, r, 1, 0x7fffffff, 0);
		return;
	default:
		r = sys(f, SYS_uptime, 0, 0, 0, 0);
		check(f, "uptime", 0, 0, 0, r, 0, 0x7fffffffffffffffl, 0);
	}
}

/* Weighted choice of an operation; a child skips the process-level ones. */
static void fuzz_calls(struct fz *f, long n)
{
	for (long i = 0; i < n; i++) {
		long w = below(f, 100);

		if (w < 12)
			op_read(f);
		else if (w < 24)
			op_write(f);
		else if (w < 36)
			op_fds(f);
		else if (w < 46)
			op_mmap(f);
		else if (w < 60)
			op_unmap_protect(f);
		else if (w < 64)
			op_sbrk(f);
		else if (w < 67 && !f->in_child)
			op_fork(f);
		else if (w < 71)
			op_wait_kill(f);
		else if (w < 75)
			op_thread(f);
		else if (w < 79)
			op_exec(f);
		else if (w < 84) {
			struct region *g = &f->reg[below(f, NREG)];

			if (g->addr != 0) {
				verify(f, g);
				touch(f, g);
			}
		} else
			op_misc(f);
	}
}

/* ---- workers ---- */

static int fuzz_thread(void *arg)
{
	struct fz *f = arg;
	char *m;

	/* The edge: two pages, the second unmapped for good (mmap never reuses it). */
	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	if (m == (void *)-1 || munmap(m + PAGE, PAGE) < 0) {
		printf("sysfuzz: worker %d thread %d: setup failed\n", f->worker, f->thread);
		return 1;
	}
	f->edge = m + PAGE - 8;
	f->pr = f->pw = -1;
	for (int i = 0; i < NFD; i++)
		f->fd[i] = -1;
	pipe_renew(f);
	fuzz_calls(f, rounds);
	for (int i = 0; i < NREG; i++)
		if (f->reg[i].addr != 0)
			verify(f, &f->reg[i]);
	for (int i = 0; i < 2; i++)
		if (f->tid[i] != 0)
			thread_join(f->tid[i], NULL);
	__atomic_fetch_add(&shared->bad, f->bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shared->calls, f->calls, __ATOMIC_RELAXED);
	return 0;
}

static void worker(int w, int threads)
{
	int tids[MAX_THREADS], status, pid, bad = 0;

	for (int t = 0; t < threads; t++) {
		fzs[t].worker = w;
		fzs[t].thread = t;
		fzs[t].rng = splitmix(seed ^ splitmix((uint64_t)(w * MAX_THREADS + t + 1))) | 1;
	}
	for (int t = 1; t < threads; t++)
		if ((tids[t] = thread_create(fuzz_thread, &fzs[t])) < 0) {
			printf("sysfuzz: worker %d: thread_create: %d\n", w, tids[t]);
			exit(2);
		}
	bad += fuzz_thread(&fzs[0]);
	for (int t = 1; t < threads; t++)
		if (thread_join(tids[t], &status) < 0 || status != 0)
			bad++;
	set_affinity(-1);
	/* Every child left: each ends by itself. */
	while ((pid = wait(&status)) > 0) {
		check_status(&fzs[0], pid, status);
		__atomic_fetch_sub(&live_kids, 1, __ATOMIC_RELAXED);
	}
	exit(bad != 0 || fzs[0].bad != 0 ? 1 : 0);
}

/* The job this process is in, from procinfo (0 if it cannot tell). */
static int own_job(void)
{
	static struct kine_procinfo recs[PROCINFO_MAX];
	long n = procinfo(recs, PROCINFO_MAX);

	for (long i = 0; i < n && i < PROCINFO_MAX; i++)
		if (recs[i].pid == getpid())
			return recs[i].job;
	return 0;
}

static uint64_t parse_u64(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

int main(int argc, char **argv)
{
	struct kine_memstat before, after;
	int procs, threads, status, pid, dead = 0, waited = 0;
	long start;

	if (argc < 4) {
		printf("usage: sysfuzz SEED ROUNDS PROCS [THREADS]\n");
		return 2;
	}
	seed = parse_u64(argv[1]);
	rounds = atoi(argv[2]);
	procs = atoi(argv[3]);
	threads = argc > 4 ? atoi(argv[4]) : MAX_THREADS;
	nocowprot = argc > 5 && strcmp(argv[5], "nocowprot") == 0;
	if (rounds < 0 || procs < 1 || procs > 16 || threads < 1 || threads > MAX_THREADS) {
		printf("sysfuzz: ROUNDS >= 0, PROCS 1..16, THREADS 1..%d\n", MAX_THREADS);
		return 2;
	}
	printf("sysfuzz: seed %lu, %d processes x %d threads x %d calls%s\n", (unsigned long)seed,
	       procs, threads, rounds, nocowprot ? ", nocowprot" : "");
	shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	if (shared == (void *)-1)
		return 2;
	/* Warm-up: what the kernel allocates once and keeps is there before the count. */
	if ((pid = fork()) == 0)
		exit(0);
	wait(NULL);
	if (memstat(&before, 1) < 0)
		return 2;
	my_job = own_job();
	start = uptime();
	for (int w = 0; w < procs; w++) {
		pid = fork();
		if (pid == 0)
			worker(w, threads);
		if (pid < 0)
			printf("sysfuzz: fork of worker %d: %d\n", w, pid);
	}
	while ((pid = wait(&status)) > 0) {
		waited++;
		if (status != 0) {
			dead++;
			printf("sysfuzz: worker pid %d ended with status %d\n", pid, status);
		}
	}
	/* Orphans (grandchildren of exits) go to the kernel's reaper: give it time. */
	for (int i = 0; i < 200; i++) {
		memstat(&after, 1);
		if (after.free == before.free)
			break;
		sleep(2);
	}
	printf("sysfuzz: %ld calls in %ld ticks, %ld forks, %ld execs, %ld unexpected\n",
	       shared->calls, uptime() - start, shared->forks, shared->execs, shared->bad);
	printf("sysfuzz: %d workers, %d failed; free frames %lu before, %lu after\n", waited, dead,
	       (unsigned long)before.free, (unsigned long)after.free);
	if (shared->bad == 0 && dead == 0 && waited == procs && after.free == before.free) {
		printf("sysfuzz: PASS\n");
		return 0;
	}
	printf("sysfuzz: FAIL; replay: ./kine fuzz-syscalls --seed %lu --calls %ld --procs %d "
	       "(add --deterministic for the same interleaving)\n",
	       (unsigned long)seed, (long)rounds * procs * threads, procs);
	return 1;
}
