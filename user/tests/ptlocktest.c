/*
 * ptlocktest: faults under split table locks (issue 21; src/mm/ptlock.h,
 * docs/cow.md). A fault locks only the level-0 table of its PTE and walks
 * the tree without mm->lock; layout changes free or change tables under
 * those walks. Every scenario checks every word it wrote, so the same
 * program tests the faultlock=mm baseline too.
 *
 *   tables    a fork's child with N threads (N = harts, at least 2), each
 *             writing (COW-faulting) every word of its own 2 MiB table of
 *             inherited pages at once, then checking them; the parent's
 *             copy unchanged; ROUNDS rounds (from the second on, a page in
 *             16 was read by the parent, so its copy must flush other harts)
 *   unmap     in a fork's child, writer threads fault in 64 pages of their
 *             own tables of an inherited region A (stores, copyout by read() from a
 *             pipe, copyin by write() to it) while the main thread mmaps a
 *             2-table region B, fills it, and munmaps its first table
 *             whole and its second in two halves (the second empties it),
 *             over and over: table pages freed under the writers' walks.
 *             Other threads aim write() and read() of a pipe at B's pages
 *             themselves, as they are unmapped: each must succeed (and copy
 *             the right bytes) or return -EFAULT. ROUNDS rounds (forks)
 *   fork      writer threads sweep their own pages (straddling table
 *             boundaries) while the main thread forks 3 * ROUNDS times:
 *             each child's snapshot is one instant of every sweep (a prefix
 *             of sweep v + 1, the rest v, v between the counts before and
 *             after fork) and stays so while the parent's threads go on;
 *             no store of the parent's threads is lost
 *   onetable  N threads of a fork's child writing interleaved pages of ONE
 *             2 MiB table (page p by thread p mod N) at once: every
 *             fault wants the same table lock; ROUNDS rounds
 *   mprotect  in a fork's child, writer threads fault in the first 64 pages
 *             of their own tables while the main thread mprotects the
 *             second half of each of those tables, and two other tables whole and
 *             across their boundary, read-only and back (writing a page of
 *             each in between); ROUNDS rounds
 *   forkcopy  a 16 MiB process forks 2 * ROUNDS times (with -w MAX, up to
 *             MAX while no copy has waited) while pairs of threads meet on a fresh page
 *             of its first table each round, both at work before the fork
 *             starts: a writer storing a count through its hart's
 *             writable entry (and checking its last store is still
 *             there), a copier whose
 *             read() into the page breaks COW as soon as fork has taken W
 *             from it, most likely before fork's shootdown has reached the
 *             writer: the copy must wait for it, or the writer's store
 *             lands in the child's frame alone (a lost write). Counts the
 *             copies that waited (memstat's cow_fork_waits)
 *
 * `ptlocktest [-r ROUNDS] [-n THREADS] [-w MAX] [SCENARIO...]` runs the
 * scenarios named (default: all, in the order above); ROUNDS defaults to
 * 4, THREADS to the number of harts (at least 2, at most 8), MAX (forkcopy's
 * forks while no copy has waited) to none. Each runs in a process of
 * its own and prints one result line, then "ptlocktest: NAME: free frames N
 * before, N after" (the settled count, every child reaped) and
 * "ptlocktest: NAME: PASS" (or FAIL). Last line "ptlocktest: PASS" (exit 0)
 * or "ptlocktest: FAIL".
 *
 * help: faults under split page-table locks: races with munmap, fork, mprotect (test)
 */
#include <stdbool.h>

#include "kine/barrier.h"
#include "kine/region.h"
#include "kine/user.h"

#define PAGE   4096ul
#define REGION (2ul << 20)                    /* what one level-0 table maps */
#define WPP    (PAGE / sizeof(unsigned long)) /* words per page */
#define TPAGES (REGION / PAGE)                /* pages per table: 512 */
#define TWORDS (REGION / sizeof(unsigned long))
#define TH_MAX 8

static int rounds = 4, nthreads = 2, nharts = 1;

/* What the words hold: a tag and the word's index, mixed. */
static unsigned long val(unsigned long tag, unsigned long i)
{
	return tag * 0x9e3779b97f4a7c15ul ^ i;
}

static void fill(volatile unsigned long *w, unsigned long from, unsigned long to, unsigned long tag)
{
	for (unsigned long i = from; i < to; i++)
		w[i] = val(tag, i);
}

/* Words of [from, to) that are not val(tag, i); the first one printed. */
static unsigned long check(const char *who, volatile unsigned long *w, unsigned long from,
			   unsigned long to, unsigned long tag)
{
	unsigned long bad = 0;

	for (unsigned long i = from; i < to; i++) {
		if (w[i] != val(tag, i)) {
			if (bad == 0)
				printf("ptlocktest: %s: pid %d: word %lu (page %lu) holds %#lx, "
				       "want %#lx: FAIL\n",
				       who, getpid(), i, i / WPP, w[i], val(tag, i));
			bad++;
		}
	}
	return bad;
}

static int capped(unsigned long bad)
{
	return bad > 100 ? 100 : (int)bad;
}

/* Thread t on hart t mod harts (a hint: the scheduler may still move it). */
static void spread(long t)
{
	if (nharts > 1)
		set_affinity((int)(t % nharts));
}

static unsigned long rng_next(unsigned long *s)
{
	unsigned long x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- tables and onetable: N threads of a fork's child writing at once ---- */

static volatile unsigned long *wr_region;
static struct barrier wr_barrier; /* the threads of the child */
static bool wr_interleaved;       /* onetable: page p by thread p mod N; else table t by thread t */
static unsigned long wr_bad;      /* atomic */

static unsigned long wr_tag(long t)
{
	return 10 + (unsigned long)t;
}

static int wr_thread(void *arg)
{
	long t = (long)arg;
	unsigned long bad = 0;

	spread(t);
	barrier_wait(&wr_barrier);
	if (wr_interleaved) {
		for (unsigned long p = (unsigned long)t; p < TPAGES; p += (unsigned long)nthreads)
			fill(wr_region, p * WPP, (p + 1) * WPP, wr_tag(t));
		barrier_wait(&wr_barrier);
		for (unsigned long p = (unsigned long)t; p < TPAGES; p += (unsigned long)nthreads)
			bad +=
			    check("onetable child", wr_region, p * WPP, (p + 1) * WPP, wr_tag(t));
	} else {
		fill(wr_region, (unsigned long)t * TWORDS, (unsigned long)(t + 1) * TWORDS,
		     wr_tag(t));
		barrier_wait(&wr_barrier);
		bad += check("tables child", wr_region, (unsigned long)t * TWORDS,
			     (unsigned long)(t + 1) * TWORDS, wr_tag(t));
	}
	__atomic_fetch_add(&wr_bad, bad, __ATOMIC_RELAXED);
	return 0;
}

/* The child of one round: N threads at once, then every word again from the main thread. */
static int wr_child(void)
{
	int tid[TH_MAX];
	unsigned long bad = 0;

	wr_bad = 0;
	barrier_init(&wr_barrier, nthreads);
	for (int t = 0; t < nthreads; t++) {
		tid[t] = thread_create(wr_thread, (void *)(long)t);
		if (tid[t] < 0) {
			printf("ptlocktest: thread_create: error %d: FAIL\n", tid[t]);
			return 100;
		}
	}
	for (int t = 0; t < nthreads; t++)
		thread_join(tid[t], 0);
	bad = wr_bad;
	if (wr_interleaved) {
		for (unsigned long p = 0; p < TPAGES; p++)
			bad += check("onetable child", wr_region, p * WPP, (p + 1) * WPP,
				     wr_tag((long)(p % (unsigned long)nthreads)));
	} else {
		for (int t = 0; t < nthreads; t++)
			bad += check("tables child", wr_region, (unsigned long)t * TWORDS,
				     (unsigned long)(t + 1) * TWORDS, wr_tag(t));
	}
	return capped(bad);
}

static bool scenario_writers(bool interleaved)
{
	const char *name = interleaved ? "onetable" : "tables";
	unsigned long words = interleaved ? TWORDS : (unsigned long)nthreads * TWORDS;
	unsigned long child_bad = 0, parent_bad = 0;

	wr_interleaved = interleaved;
	wr_region = aligned_region(words * sizeof(unsigned long));
	if (wr_region == NULL) {
		printf("ptlocktest: %s: set-up failed: FAIL\n", name);
		return false;
	}
	fill(wr_region, 0, words, 1);
	for (int r = 0; r < rounds; r++) {
		int pid = fork(), status = -2;

		if (pid == 0)
			exit(wr_child());
		if (pid < 0 || wait(&status) != pid || status != 0) {
			printf("ptlocktest: %s: round %d: child status %d (pid %d): FAIL\n", name,
			       r, status, pid);
			child_bad += status > 0 ? (unsigned long)status : 1;
		}
		/*
		 * A page in 16 read here (its A bit set in the parent's table, which the
		 * next fork shares): the child's copies of those must flush other harts.
		 * The rest stay untouched since fork. Every word once all rounds are done.
		 */
		for (unsigned long p = 0; p < words / WPP; p += 16)
			parent_bad += check(name, wr_region, p * WPP, (p + 1) * WPP, 1);
	}
	parent_bad += check(name, wr_region, 0, words, 1);
	if (interleaved)
		printf("ptlocktest: onetable: %d rounds of %d threads writing interleaved pages "
		       "of one 2 MiB table after fork: %lu wrong in the children, %lu wrong in "
		       "the parent\n",
		       rounds, nthreads, child_bad, parent_bad);
	else
		printf("ptlocktest: tables: %d rounds of %d threads each writing its own 2 MiB "
		       "table after fork: %lu wrong in the children, %lu wrong in the parent\n",
		       rounds, nthreads, child_bad, parent_bad);
	return child_bad == 0 && parent_bad == 0;
}

static bool scenario_tables(void)
{
	return scenario_writers(false);
}

static bool scenario_onetable(void)
{
	return scenario_writers(true);
}

/* ---- writers for unmap and mprotect: stores, copyout and copyin in their own pages ---- */

#define CH       512 /* bytes per pipe transfer */
#define CHW      (CH / sizeof(unsigned long))
#define SWEEPS   2
#define FA_PAGES 64 /* each writer's, at the start of its table */

static volatile unsigned long *fa_region; /* writer t: pages [t * TPAGES, t * TPAGES + fa_pages) */
static unsigned long fa_pages;            /* pages each writer owns in its table */
static int fa_writers;
/*
 * The writers' pipes: writer t uses pipe t mod FA_PIPES, each write() and
 * its read() together under that pipe's lock (a process has 16 descriptors).
 */
#define FA_PIPES 4
static int fa_pipe[FA_PIPES][2];
static int fa_plock[FA_PIPES]; /* atomic */
static unsigned long fa_buf[TH_MAX][CHW];
static unsigned long fa_bad; /* atomic: wrong words the writers saw */
static int fa_done;          /* atomic: writers finished */
static int fa_stop;          /* atomic: the syscall threads stop */

static void pipe_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		yield();
}

static void pipe_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static unsigned long fa_tag(int sweep)
{
	return sweep == 0 ? 1 : 1000 + (unsigned long)sweep;
}

/*
 * Each page of the writer's range, sweep by sweep: check it holds the
 * sweep before's words, then write this sweep's: by stores, or (every
 * fourth page) by read() from the writer's pipe (the kernel's copyout
 * faults it), and every fourth page read back through write() (copyin).
 */
static int fa_writer(void *arg)
{
	long t = (long)arg;
	volatile unsigned long *w = fa_region + (unsigned long)t * TWORDS;
	unsigned long bad = 0, *buf = fa_buf[t];
	int *pfd = fa_pipe[t % FA_PIPES], *lock = &fa_plock[t % FA_PIPES];

	spread(t + 1);
	for (int s = 1; s <= SWEEPS; s++) {
		unsigned long old = fa_tag(s - 1), tag = fa_tag(s);

		for (unsigned long p = 0; p < fa_pages; p++) {
			unsigned long from = p * WPP;

			bad += check("writer", w, from, from + WPP, old);
			if (p % 4 == 1) {
				for (unsigned long c = 0; c < WPP; c += CHW) {
					for (unsigned long i = 0; i < CHW; i++)
						buf[i] = val(tag, from + c + i);
					pipe_lock(lock);
					if (write(pfd[1], buf, CH) != CH ||
					    read(pfd[0], (void *)(w + from + c), CH) != CH)
						bad++;
					pipe_unlock(lock);
				}
			} else {
				fill(w, from, from + WPP, tag);
			}
			if (p % 4 == 2) {
				pipe_lock(lock);
				if (write(pfd[1], (const void *)(w + from), CH) != CH ||
				    read(pfd[0], buf, CH) != CH)
					bad++;
				pipe_unlock(lock);
				for (unsigned long i = 0; i < CHW; i++)
					bad += buf[i] != val(tag, from + i);
			}
		}
	}
	for (unsigned long p = 0; p < fa_pages; p++)
		bad += check("writer", w, p * WPP, (p + 1) * WPP, fa_tag(SWEEPS));
	__atomic_fetch_add(&fa_bad, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&fa_done, 1, __ATOMIC_RELEASE);
	return 0;
}

static bool fa_writers_done(void)
{
	return __atomic_load_n(&fa_done, __ATOMIC_ACQUIRE) == fa_writers;
}

/* Start the writers (after fork, in the child): -1 if one did not start. */
static int fa_start(int *tid)
{
	fa_bad = 0;
	fa_done = 0;
	fa_stop = 0;
	for (int t = 0; t < fa_writers; t++) {
		tid[t] = thread_create(fa_writer, (void *)(long)t);
		if (tid[t] < 0) {
			printf("ptlocktest: thread_create: error %d: FAIL\n", tid[t]);
			return -1;
		}
	}
	return 0;
}

/* Set up the writers' region (fa_writers tables) and pipes, in the scenario's process. */
static bool fa_setup(unsigned long pages)
{
	fa_writers = nthreads - 1 < 1 ? 1 : nthreads - 1;
	fa_pages = pages;
	fa_region = aligned_region((unsigned long)fa_writers * REGION);
	if (fa_region == NULL)
		return false;
	for (int t = 0; t < fa_writers; t++) {
		if (t < FA_PIPES && pipe(fa_pipe[t]) < 0)
			return false;
		fill(fa_region + (unsigned long)t * TWORDS, 0, pages * WPP, fa_tag(0));
	}
	return true;
}

/* The parent's view of the writers' pages: still sweep 0's. */
static unsigned long fa_parent_check(const char *who)
{
	unsigned long bad = 0;

	for (int t = 0; t < fa_writers; t++)
		bad +=
		    check(who, fa_region + (unsigned long)t * TWORDS, 0, fa_pages * WPP, fa_tag(0));
	return bad;
}

/* ---- unmap ---- */

#define B_BYTES (2 * REGION)
#define B_PAGES (B_BYTES / PAGE)
#define B_BYTE  0xa5

static unsigned long *b_cur; /* atomic: the unmapper's region B now */
static int sp_pipe[TH_MAX][2];
static unsigned char sp_buf[TH_MAX][CH];

/* Results of a round, in MAP_SHARED memory for the parent. */
struct unmap_res {
	long bad, munmaps, calls, ok, efault, wrong;
};
static volatile struct unmap_res *ures;

/*
 * A thread aiming write() (copyin) and read() (copyout) at B's pages as
 * they come and go: each call moves the whole chunk or returns -EFAULT;
 * what write() took must be B's bytes. read() writes B's own bytes back.
 */
static int same_pages_thread(void *arg)
{
	long x = (long)arg;
	int *pfd = sp_pipe[x];
	unsigned char *buf = sp_buf[x];
	unsigned long seed = 0x9e3779b97f4a7c15ul * (unsigned long)(x + 1), calls = 0, ok = 0,
		      efault = 0, wrong = 0;

	spread(x);
	while (!__atomic_load_n(&fa_stop, __ATOMIC_ACQUIRE)) {
		unsigned char *b = (unsigned char *)__atomic_load_n(&b_cur, __ATOMIC_ACQUIRE);
		unsigned long r = rng_next(&seed);
		unsigned char *at;
		long n;

		if (b == NULL) {
			yield();
			continue;
		}
		at = b + (r % B_PAGES) * PAGE + (r >> 32) % (PAGE / CH) * CH;
		calls++;
		if (r & (1ul << 20)) {
			n = write(pfd[1], at, CH);
			if (n == CH) {
				ok++;
				if (read(pfd[0], buf, CH) != CH)
					wrong++;
				for (unsigned i = 0; i < CH; i++)
					if (buf[i] != B_BYTE) {
						if (wrong == 0)
							printf("ptlocktest: unmap: write() from "
							       "%p took byte %u = %#x, want %#x: "
							       "FAIL\n",
							       (void *)at, i, buf[i], B_BYTE);
						wrong++;
						break;
					}
			} else if (n == -EFAULT) {
				efault++;
			} else {
				printf("ptlocktest: unmap: write() from %p returned %ld: FAIL\n",
				       (void *)at, n);
				wrong++;
			}
		} else {
			memset(buf, B_BYTE, CH);
			if (write(pfd[1], buf, CH) != CH) {
				wrong++;
				continue;
			}
			n = read(pfd[0], at, CH);
			if (n == CH) {
				ok++;
			} else if (n == -EFAULT) {
				efault++;
			} else if (n > 0 && n < CH) {
				ok++; /* part of it went in: drain the rest */
				if (read(pfd[0], buf, CH - (int)n) != CH - n)
					wrong++;
			} else {
				printf("ptlocktest: unmap: read() into %p returned %ld: FAIL\n",
				       (void *)at, n);
				wrong++;
			}
		}
	}
	__atomic_fetch_add(&ures->calls, (long)calls, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ures->ok, (long)ok, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ures->efault, (long)efault, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ures->wrong, (long)wrong, __ATOMIC_RELAXED);
	return 0;
}

/* Bytes of [b + from, b + to) that are not B_BYTE (the first one printed). */
static unsigned long b_check(volatile unsigned char *b, unsigned long from, unsigned long to)
{
	unsigned long bad = 0;

	for (unsigned long i = from; i < to; i++)
		if (b[i] != B_BYTE) {
			if (bad == 0)
				printf("ptlocktest: unmap: region B byte %lu holds %#x, want "
				       "%#x: FAIL\n",
				       i, b[i], B_BYTE);
			bad++;
		}
	return bad;
}

/* The child of one round: writers in A, the same-pages threads in B, and the unmapper (this thread). */
static int unmap_child(int nsame)
{
	int tid[TH_MAX], sid[TH_MAX];
	unsigned long bad = 0;
	long munmaps = 0;

	if (fa_start(tid) < 0)
		return 100;
	for (int x = 0; x < nsame; x++) {
		sid[x] = thread_create(same_pages_thread, (void *)(long)x);
		if (sid[x] < 0)
			return 100;
	}
	for (int cycle = 0; cycle < 2 || !fa_writers_done(); cycle++) {
		volatile unsigned char *b = (volatile unsigned char *)aligned_region(B_BYTES);

		if (b == NULL) {
			printf("ptlocktest: unmap: mmap of region B failed: FAIL\n");
			bad++;
			break;
		}
		memset((void *)b, B_BYTE, B_BYTES);
		__atomic_store_n(&b_cur, (unsigned long *)b, __ATOMIC_RELEASE);
		bad += b_check(b, 0, B_BYTES);
		/* Its first table whole: the table page goes (after the walks) under the writers. */
		if (munmap((void *)b, REGION) < 0)
			bad++;
		bad += b_check(b, REGION, B_BYTES);
		/* Its second in two halves: the second call empties the table. */
		if (munmap((void *)(b + REGION), REGION / 2) < 0)
			bad++;
		bad += b_check(b, REGION + REGION / 2, B_BYTES);
		if (munmap((void *)(b + REGION + REGION / 2), REGION / 2) < 0)
			bad++;
		munmaps += 3;
	}
	__atomic_store_n(&fa_stop, 1, __ATOMIC_RELEASE);
	for (int t = 0; t < fa_writers; t++)
		thread_join(tid[t], 0);
	for (int x = 0; x < nsame; x++)
		thread_join(sid[x], 0);
	bad += fa_bad;
	__atomic_fetch_add(&ures->munmaps, munmaps, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ures->bad, (long)bad, __ATOMIC_RELAXED);
	return capped(bad);
}

static bool scenario_unmap(void)
{
	int nsame = nthreads >= 4 ? 2 : 1, failed = 0;
	unsigned long parent_bad = 0;
	struct kine_memstat m0, m1;

	ures = (volatile struct unmap_res *)shared_page();
	if (ures == NULL || !fa_setup(FA_PAGES)) {
		printf("ptlocktest: unmap: set-up failed: FAIL\n");
		return false;
	}
	for (int x = 0; x < nsame; x++)
		if (pipe(sp_pipe[x]) < 0) {
			printf("ptlocktest: unmap: pipe failed: FAIL\n");
			return false;
		}
	memstat(&m0, 0);
	for (int r = 0; r < rounds; r++) {
		int pid = fork(), status = -2;

		if (pid == 0)
			exit(unmap_child(nsame));
		if (pid < 0 || wait(&status) != pid || status != 0) {
			printf("ptlocktest: unmap: round %d: child status %d: FAIL\n", r, status);
			failed++;
		}
		parent_bad += fa_parent_check("unmap parent");
	}
	memstat(&m1, 0);
	/* Whether the frees met walks: the kernel's counters (any process's, mostly ours). */
	printf("ptlocktest: unmap: %d rounds, %d writers in their tables under %ld munmaps of "
	       "whole and emptied tables: %ld wrong in the children, %lu wrong in the parent; "
	       "same pages: %ld calls, %ld moved, %ld -EFAULT, %ld wrong (%lu table pages freed, "
	       "%lu waited for a walk, %lu faults retried)\n",
	       rounds, fa_writers, ures->munmaps, ures->bad, parent_bad, ures->calls, ures->ok,
	       ures->efault, ures->wrong, (unsigned long)(m1.pt_freed - m0.pt_freed),
	       (unsigned long)(m1.ptlock_grace_waits - m0.ptlock_grace_waits),
	       (unsigned long)(m1.ptlock_retries - m0.ptlock_retries));
	return failed == 0 && ures->bad == 0 && parent_bad == 0 && ures->wrong == 0 &&
	       ures->calls == ures->ok + ures->efault;
}

/* ---- mprotect ---- */

#define G_TABLES 2

static volatile unsigned long *g_region;
static unsigned long g_want[G_TABLES * TPAGES]; /* the tag of each page of G */
static unsigned long h_want[TH_MAX][TPAGES];    /* of each writer table's other half */
static volatile long *mres;                     /* [0] wrong, [1] mprotects */

/* Check the pages [from, to) of w against want[]. */
static unsigned long want_check(const char *who, volatile unsigned long *w, unsigned long from,
				unsigned long to, const unsigned long *want)
{
	unsigned long bad = 0;

	for (unsigned long p = from; p < to; p++)
		bad += check(who, w, p * WPP, (p + 1) * WPP, want[p]);
	return bad;
}

/* Make [p, p + n) read-only, check it, make it writable, write page w of it. */
static unsigned long toggle(volatile unsigned long *base, unsigned long p, unsigned long n,
			    unsigned long *want, unsigned long wp, unsigned long tag, long *count)
{
	unsigned long bad = 0;

	if (mprotect((void *)(base + p * WPP), n * PAGE, PROT_READ) < 0)
		bad++;
	bad += want_check("mprotect", base, p, p + n, want);
	if (mprotect((void *)(base + p * WPP), n * PAGE, PROT_READ | PROT_WRITE) < 0)
		bad++;
	*count += 2;
	fill(base, wp * WPP, (wp + 1) * WPP, tag);
	want[wp] = tag;
	return bad;
}

static int mprotect_child(void)
{
	int tid[TH_MAX];
	unsigned long bad = 0, half = TPAGES / 2;
	long count = 0;

	for (int t = 0; t < fa_writers; t++)
		for (unsigned long p = 0; p < TPAGES; p++)
			h_want[t][p] = 1;
	for (unsigned long p = 0; p < G_TABLES * TPAGES; p++)
		g_want[p] = 1;
	if (fa_start(tid) < 0)
		return 100;
	for (int cycle = 0; cycle < 2 || !fa_writers_done(); cycle++) {
		unsigned long tag = 3000 + (unsigned long)cycle, wp = (unsigned long)cycle % half;

		/* The other half of each writer's table: the same table lock as its faults. */
		for (int t = 0; t < fa_writers; t++)
			bad += toggle(fa_region + (unsigned long)t * TWORDS, half, half, h_want[t],
				      half + wp, tag, &count);
		/* Other tables: each whole, then across their boundary. */
		for (unsigned long g = 0; g < G_TABLES; g++)
			bad += toggle(g_region, g * TPAGES, TPAGES, g_want, g * TPAGES + wp, tag,
				      &count);
		bad +=
		    toggle(g_region, TPAGES - 8, 16, g_want, TPAGES - 8 + cycle % 16, tag, &count);
	}
	for (int t = 0; t < fa_writers; t++)
		thread_join(tid[t], 0);
	bad += fa_bad;
	for (int t = 0; t < fa_writers; t++)
		bad += want_check("mprotect child", fa_region + (unsigned long)t * TWORDS, half,
				  TPAGES, h_want[t]);
	bad += want_check("mprotect child", g_region, 0, G_TABLES * TPAGES, g_want);
	__atomic_fetch_add(&mres[0], (long)bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&mres[1], count, __ATOMIC_RELAXED);
	return capped(bad);
}

static bool scenario_mprotect(void)
{
	unsigned long parent_bad = 0;
	int failed = 0;

	mres = shared_page();
	if (mres == NULL || !fa_setup(FA_PAGES) ||
	    (g_region = aligned_region(G_TABLES * REGION)) == NULL) {
		printf("ptlocktest: mprotect: set-up failed: FAIL\n");
		return false;
	}
	/* The writers' tables whole (the other halves too; word i of each) and G: tag 1. */
	for (int t = 0; t < fa_writers; t++)
		fill(fa_region + (unsigned long)t * TWORDS, 0, TWORDS, 1);
	fill(g_region, 0, G_TABLES * TWORDS, 1);
	for (int r = 0; r < rounds; r++) {
		int pid = fork(), status = -2;

		if (pid == 0)
			exit(mprotect_child());
		if (pid < 0 || wait(&status) != pid || status != 0) {
			printf("ptlocktest: mprotect: round %d: child status %d: FAIL\n", r,
			       status);
			failed++;
		}
		for (int t = 0; t < fa_writers; t++)
			parent_bad += check("mprotect parent",
					    fa_region + (unsigned long)t * TWORDS, 0, TWORDS, 1);
		parent_bad += check("mprotect parent", g_region, 0, G_TABLES * TWORDS, 1);
	}
	printf("ptlocktest: mprotect: %d rounds, %d writers in their tables under %ld mprotects "
	       "of their tables' other halves and of other tables: %ld wrong in the children, "
	       "%lu wrong in the parent\n",
	       rounds, fa_writers, mres[1], mres[0], parent_bad);
	return failed == 0 && mres[0] == 0 && parent_bad == 0;
}

/* ---- fork: threads writing while the process forks ---- */

#define FK_PAGES 32
#define FK_WORDS (FK_PAGES * WPP)

static volatile unsigned long *fk_region;
static int fk_writers;
static unsigned long fk_done[TH_MAX]; /* atomic: the last sweep thread t finished */
static int fk_stop;                   /* atomic */
static unsigned long fk_lost;         /* atomic: a thread found its own word changed */
static unsigned long fk_lo[TH_MAX];   /* fk_done before the fork */
static volatile long *fk_ctl;         /* MAP_SHARED: hi[], steps */
#define FK_HI(t)    fk_ctl[t]
#define FK_HI_READY fk_ctl[TH_MAX]
#define FK_CHECKED  fk_ctl[TH_MAX + 1]
#define FK_GO       fk_ctl[TH_MAX + 2]

/* Word i of thread t in sweep v: all three in it. */
static unsigned long fk_val(unsigned long v, long t, unsigned long i)
{
	return v << 32 | (unsigned long)t << 24 | i;
}

/* Thread t's 32 pages: 16 on each side of the boundary between tables t and t + 1. */
static volatile unsigned long *fk_words(long t)
{
	return fk_region + (unsigned long)(t + 1) * TWORDS - 16 * WPP;
}

static int fk_writer(void *arg)
{
	long t = (long)arg;
	unsigned long *w = (unsigned long *)fk_words(t);

	for (unsigned long v = 1; !__atomic_load_n(&fk_stop, __ATOMIC_ACQUIRE); v++) {
		for (unsigned long i = 0; i < FK_WORDS; i++) {
			if (__atomic_load_n(&w[i], __ATOMIC_ACQUIRE) != fk_val(v - 1, t, i))
				__atomic_fetch_add(&fk_lost, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&w[i], fk_val(v, t, i), __ATOMIC_RELEASE);
		}
		__atomic_store_n(&fk_done[t], v, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * Thread t's words as the child sees them: a prefix of x + 1, then x, with
 * x >= lo and the top <= hi + 1. Returns x * FK_WORDS + k (what must not
 * change afterwards), or -1 if the form is wrong.
 */
static long fk_shape(long t, unsigned long lo, unsigned long hi)
{
	volatile unsigned long *w = fk_words(t);
	unsigned long x = w[FK_WORDS - 1] >> 32, k = 0, top;

	while (k < FK_WORDS && w[k] == fk_val(x + 1, t, k))
		k++;
	for (unsigned long i = k; i < FK_WORDS; i++)
		if (w[i] != fk_val(x, t, i)) {
			printf("ptlocktest: fork: child: thread %ld's word %lu is %#lx after %lu "
			       "words of sweep %lu, want %#lx: not one instant: FAIL\n",
			       t, i, w[i], k, x + 1, fk_val(x, t, i));
			return -1;
		}
	top = k > 0 ? x + 1 : x;
	if (x < lo || top > hi + 1) {
		printf("ptlocktest: fork: child: thread %ld's sweep %lu..%lu is outside %lu..%lu "
		       "(before and after fork): FAIL\n",
		       t, x, top, lo, hi + 1);
		return -1;
	}
	return (long)(x * FK_WORDS + k);
}

static void fk_wait_ctl(volatile long *v, long want)
{
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) != want)
		yield();
}

static int fk_child(int round, volatile unsigned long *mine)
{
	long shape[TH_MAX];
	int bad = 0;

	/* Its own writes in the threads' tables meanwhile: faults of the child in them. */
	fill(mine, 0, 4 * WPP, (unsigned long)round);
	fk_wait_ctl(&FK_HI_READY, round);
	for (int t = 0; t < fk_writers; t++) {
		shape[t] = fk_shape(t, fk_lo[t], (unsigned long)FK_HI(t));
		bad += shape[t] < 0;
	}
	__atomic_store_n(&FK_CHECKED, round, __ATOMIC_RELEASE);
	fk_wait_ctl(&FK_GO, round);
	for (int t = 0; t < fk_writers; t++) {
		long again = fk_shape(t, fk_lo[t], (unsigned long)FK_HI(t));

		if (shape[t] >= 0 && again != shape[t]) {
			printf("ptlocktest: fork: child: thread %d's words changed after the check "
			       "(%ld, then %ld): FAIL\n",
			       t, shape[t], again);
			bad++;
		}
	}
	bad += check("fork child", mine, 0, 4 * WPP, (unsigned long)round) != 0;
	return bad;
}

static bool scenario_fork(void)
{
	int forks = 3 * rounds, tid[TH_MAX], changed = 0, failed = 0, status;
	volatile unsigned long *mine;
	unsigned long bad = 0;

	fk_writers = nthreads - 1 < 2 ? 2 : nthreads - 1;
	fk_region = aligned_region((unsigned long)(fk_writers + 1) * REGION);
	fk_ctl = shared_page();
	if (fk_region == NULL || fk_ctl == NULL) {
		printf("ptlocktest: fork: set-up failed: FAIL\n");
		return false;
	}
	/* The child's pages: in thread 0's first table, beside its pages. */
	mine = fk_region + TWORDS - 32 * WPP;
	fk_stop = 0;
	fk_lost = 0;
	for (long t = 0; t < fk_writers; t++) {
		volatile unsigned long *w = fk_words(t);

		for (unsigned long i = 0; i < FK_WORDS; i++)
			w[i] = fk_val(0, t, i);
		fk_done[t] = 0;
	}
	for (int t = 0; t < fk_writers; t++) {
		tid[t] = thread_create(fk_writer, (void *)(long)t);
		if (tid[t] < 0) {
			printf("ptlocktest: fork: thread_create: error %d: FAIL\n", tid[t]);
			return false;
		}
	}
	for (int r = 1; r <= forks; r++) {
		int pid;

		for (int t = 0; t < fk_writers; t++)
			fk_lo[t] = __atomic_load_n(&fk_done[t], __ATOMIC_ACQUIRE);
		pid = fork();
		if (pid == 0)
			exit(fk_child(r, mine));
		for (int t = 0; t < fk_writers; t++)
			FK_HI(t) = (long)__atomic_load_n(&fk_done[t], __ATOMIC_ACQUIRE);
		__atomic_store_n(&FK_HI_READY, r, __ATOMIC_RELEASE);
		if (pid < 0) {
			failed++;
			continue;
		}
		fk_wait_ctl(&FK_CHECKED, r);
		/* One more whole sweep of every thread while the child holds its snapshot. */
		for (int t = 0; t < fk_writers; t++)
			while (__atomic_load_n(&fk_done[t], __ATOMIC_ACQUIRE) <
			       (unsigned long)FK_HI(t) + 2)
				yield();
		__atomic_store_n(&FK_GO, r, __ATOMIC_RELEASE);
		if (wait(&status) != pid || status != 0)
			changed++;
	}
	__atomic_store_n(&fk_stop, 1, __ATOMIC_RELEASE);
	for (int t = 0; t < fk_writers; t++)
		thread_join(tid[t], 0);
	/* Every thread's words: its last sweep, whole. */
	for (long t = 0; t < fk_writers; t++) {
		volatile unsigned long *w = fk_words(t);
		unsigned long v = fk_done[t];

		for (unsigned long i = 0; i < FK_WORDS; i++)
			if (w[i] != fk_val(v, t, i)) {
				if (bad == 0)
					printf("ptlocktest: fork: parent: thread %ld's word %lu is "
					       "%#lx, want %#lx: FAIL\n",
					       t, i, w[i], fk_val(v, t, i));
				bad++;
			}
	}
	bad += fk_lost;
	printf("ptlocktest: fork: %d forks under %d writing threads: %d snapshots wrong or "
	       "changed, %d forks failed, %lu words wrong in the parent\n",
	       forks, fk_writers, changed, failed, bad);
	return changed == 0 && failed == 0 && bad == 0;
}

/* ---- forkcopy: a COW copy inside a fork, while another hart still writes ---- */

#define FC_TABLES 8 /* 16 MiB touched: in per-page mode fork spends a while on it */
#define FC_PAIRS  3
/*
 * Whether a copy meets fork's window is up to how the host schedules the
 * harts: with -w MAX, when none has waited after 2 * ROUNDS forks, go on
 * forking up to MAX times (for the modes that require a wait: per-page
 * fork, where the window exists).
 */
static long fc_max_forks;

static volatile unsigned long *fc_region;
static int fc_pairs;
static long fc_page;              /* atomic: the round whose page the writers write */
static long fc_round;             /* atomic: the round whose fork is on its way; 0: none */
static int fc_stop;               /* atomic */
static long fc_seen[FC_PAIRS];    /* atomic: the page writer j last stored to */
static long fc_armed[FC_PAIRS];   /* atomic: the round copier j copies into */
static unsigned long fc_lost;     /* atomic: a writer found its own last store gone */
static unsigned long fc_copyouts; /* atomic: copyouts into the page during forks */
static int fc_pipe[FC_PAIRS][2];

/* Pair j's page in round r: fresh each round, so no hart holds an entry of it from before. */
static volatile unsigned long *fc_pagep(long r, int j)
{
	return fc_region + ((unsigned long)(r * fc_pairs + j) % TPAGES) * WPP;
}

/*
 * The writer of pair j: stores a count into word 0 of the round's page,
 * checking before each store that the word still holds its last one. Its
 * hart keeps a writable entry for the page from before each fork until
 * the fork's shootdown reaches it: the stale writer a copy must not miss.
 */
static int fc_writer(void *arg)
{
	int j = (int)(long)arg;

	set_affinity(nharts > 2 ? 1 + j % (nharts - 1) : -1);
	for (;;) {
		long page = __atomic_load_n(&fc_page, __ATOMIC_ACQUIRE);
		volatile unsigned long *w;
		unsigned long last;

		if (__atomic_load_n(&fc_stop, __ATOMIC_ACQUIRE))
			return 0;
		w = fc_pagep(page, j);
		last = w[0] + 1;
		w[0] = last; /* a store: this hart's entry for the page is a writable one */
		__atomic_store_n(&fc_seen[j], page, __ATOMIC_RELEASE);
		while (__atomic_load_n(&fc_page, __ATOMIC_ACQUIRE) == page) {
			if (w[0] != last)
				__atomic_fetch_add(&fc_lost, 1, __ATOMIC_RELAXED);
			w[0] = ++last;
		}
	}
}

/*
 * The copier of pair j: once the round's fork is on its way, read() into
 * word 1 of the same page, over and over: copyout checks the PTE itself
 * (no TLB entry of this hart is involved), so its first call after fork
 * took W from the page breaks COW, most likely while fork still works on
 * the other tables, before its shootdown.
 */
static int fc_copier(void *arg)
{
	int j = (int)(long)arg;
	long done = 0;

	set_affinity(nharts > 2 ? 1 + (j + fc_pairs) % (nharts - 1) : -1);
	for (;;) {
		long r = __atomic_load_n(&fc_round, __ATOMIC_ACQUIRE);
		volatile unsigned long *w;
		unsigned long v = 0;

		if (__atomic_load_n(&fc_stop, __ATOMIC_ACQUIRE))
			return 0;
		if (r == 0 || r == done) {
			yield();
			continue;
		}
		w = fc_pagep(r, j);
		while (__atomic_load_n(&fc_round, __ATOMIC_ACQUIRE) == r) {
			v++;
			if (write(fc_pipe[j][1], &v, sizeof(v)) != sizeof(v) ||
			    read(fc_pipe[j][0], (void *)&w[1], sizeof(v)) != sizeof(v) || w[1] != v)
				__atomic_fetch_add(&fc_lost, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&fc_copyouts, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&fc_armed[j], r, __ATOMIC_RELEASE);
		}
		done = r;
	}
}

/* Has a copy waited for a fork's shootdown since m0? */
static bool fc_waited(const struct kine_memstat *m0)
{
	struct kine_memstat m;

	memstat(&m, 0);
	return m.cow_fork_waits > m0->cow_fork_waits;
}

static bool scenario_forkcopy(void)
{
	long forks = 2 * rounds, r;
	int tid[2 * FC_PAIRS], nt = 0, failed = 0;
	struct kine_memstat m0, m1;

	fc_pairs = (nthreads - 1) / 2 < 1 ? 1 : (nthreads - 1) / 2;
	if (fc_pairs > FC_PAIRS)
		fc_pairs = FC_PAIRS;
	fc_region = aligned_region(FC_TABLES * REGION);
	if (fc_region == NULL) {
		printf("ptlocktest: forkcopy: set-up failed: FAIL\n");
		return false;
	}
	fill(fc_region, 0, FC_TABLES * TWORDS, 0); /* every page resident: fork has work */
	for (unsigned long i = 0; i < TPAGES; i++)
		fc_region[i * WPP] = 0;
	fc_page = 0;
	fc_round = 0;
	fc_stop = 0;
	fc_lost = fc_copyouts = 0;
	for (int j = 0; j < fc_pairs; j++) {
		fc_seen[j] = fc_armed[j] = -1;
		if (pipe(fc_pipe[j]) < 0) {
			printf("ptlocktest: forkcopy: pipe failed: FAIL\n");
			return false;
		}
	}
	memstat(&m0, 0);
	for (int j = 0; j < fc_pairs; j++) {
		tid[nt++] = thread_create(fc_writer, (void *)(long)j);
		tid[nt++] = thread_create(fc_copier, (void *)(long)j);
		if (tid[nt - 1] < 0 || tid[nt - 2] < 0) {
			printf("ptlocktest: forkcopy: thread_create failed: FAIL\n");
			return false;
		}
	}
	for (r = 1; r <= forks || (r <= fc_max_forks && !fc_waited(&m0)); r++) {
		int pid;

		__atomic_store_n(&fc_page, r, __ATOMIC_RELEASE);
		for (int j = 0; j < fc_pairs; j++)
			while (__atomic_load_n(&fc_seen[j], __ATOMIC_ACQUIRE) != r)
				yield(); /* each writer's hart has its page's entry now */
		__atomic_store_n(&fc_round, r, __ATOMIC_RELEASE);
		for (int j = 0; j < fc_pairs; j++)
			while (__atomic_load_n(&fc_armed[j], __ATOMIC_ACQUIRE) != r)
				yield(); /* each copier is copying into its page now */
		pid = fork();
		if (pid == 0)
			exit(0);
		__atomic_store_n(&fc_round, 0, __ATOMIC_RELEASE); /* the copiers rest */
		if (pid < 0 || wait(0) != pid)
			failed++;
	}
	__atomic_store_n(&fc_stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&fc_page, 0, __ATOMIC_RELEASE);
	for (int i = 0; i < nt; i++)
		thread_join(tid[i], 0);
	memstat(&m1, 0);
	for (int j = 0; j < fc_pairs; j++) {
		close(fc_pipe[j][0]);
		close(fc_pipe[j][1]);
	}
	printf("ptlocktest: forkcopy: %ld forks of %d MiB, %d writer and copier pairs: %lu "
	       "copyouts, %lu copies waited for a fork's shootdown, %lu writes lost, %d forks "
	       "failed\n",
	       r - 1, FC_TABLES * 2, fc_pairs, fc_copyouts,
	       (unsigned long)(m1.cow_fork_waits - m0.cow_fork_waits), fc_lost, failed);
	return fc_lost == 0 && failed == 0;
}

/* ---- main ---- */

static const struct {
	const char *name;
	bool (*fn)(void);
} scenarios[] = {
    {"tables", scenario_tables},     {"unmap", scenario_unmap},
    {"fork", scenario_fork},         {"onetable", scenario_onetable},
    {"mprotect", scenario_mprotect}, {"forkcopy", scenario_forkcopy},
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* One scenario in a process of its own; the settled count must come back. */
static bool run(int i)
{
	uint64_t before = settled_free(), after;
	long t0 = uptime();
	int pid = fork(), status = -2;
	bool ok;

	if (pid == 0)
		exit(scenarios[i].fn() ? 0 : 1);
	ok = pid > 0 && wait(&status) == pid && status == 0;
	after = settled_free_like(before);
	printf("ptlocktest: %s: free frames %lu before, %lu after\n", scenarios[i].name,
	       (unsigned long)before, (unsigned long)after);
	ok = ok && before == after;
	printf("ptlocktest: %s: %s (%ld ticks)\n", scenarios[i].name,
	       ok                ? "PASS"
	       : before == after ? "FAIL"
				 : "FAIL (frames leaked)",
	       uptime() - t0);
	return ok;
}

static int usage(void)
{
	printf("usage: ptlocktest [-r ROUNDS] [-n THREADS (2-%d)] [-w MAX] "
	       "[tables|unmap|fork|onetable|mprotect|forkcopy...]\n",
	       TH_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	bool ok = true, chosen[NSCEN] = {false}, any = false;
	int a = 1;

	while (nharts < TH_MAX && set_affinity(nharts) == 0)
		nharts++;
	set_affinity(-1);
	nthreads = nharts < 2 ? 2 : nharts;
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "-r") == 0)
			rounds = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-n") == 0)
			nthreads = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-w") == 0)
			fc_max_forks = atoi(argv[a + 1]);
		else
			return usage();
	}
	if (rounds < 1 || nthreads < 2 || nthreads > TH_MAX)
		return usage();
	for (; a < argc; a++) {
		unsigned i = 0;

		while (i < NSCEN && strcmp(argv[a], scenarios[i].name) != 0)
			i++;
		if (i == NSCEN)
			return usage();
		chosen[i] = any = true;
	}
	printf("ptlocktest: %d harts, %d threads, %d rounds\n", nharts, nthreads, rounds);
	/* Warm-up: what the kernel keeps after a first fork is there before the counts. */
	if (fork() == 0)
		exit(0);
	wait(0);
	for (unsigned i = 0; i < NSCEN; i++)
		if (!any || chosen[i])
			ok &= run((int)i);
	printf("ptlocktest: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
