/*
 * sharetest: level-0 page tables shared by fork (issue 20; src/mm/ptshare.h,
 * docs/cow.md). Every scenario checks exact snapshots, so the same program
 * tests per-page copy-on-write fork too (boot option ptshare=off).
 *
 *   tree      a fork tree of depth 4 (31 processes) over a heap of TREE MiB
 *             (default 64): each level writes its own stripe of the heap
 *             while its children run, and every process checks every word
 *             of its snapshot (what its own history wrote) right after
 *             fork, and again after its own writes once its children
 *             (which wrote theirs meanwhile) are gone
 *   exec      fork+exec storms (4 children at a time, 16 rounds) from a
 *             parent with EXEC MiB resident (default 256), which rewrites a
 *             page between rounds; the parent checks every word after
 *   munmap    the child unmaps a page in the middle of a shared 2 MiB
 *             region: it sees the rest, its own child dies loading the
 *             page, the parent still reads it and writes it; neither sees
 *             the other's writes
 *   mprotect  the child makes a page of a shared region read-only: it
 *             reads it, the parent still writes it, and the child's store
 *             to it kills the child alone; a page the parent made
 *             read-only stays writable in the child
 *   syscalls  the child's first access to a shared table is the kernel's:
 *             a write() from it (copyin), a read() into it (copyout); then
 *             munmap of a whole shared table and across two, and the heap
 *             shrunk across shared tables and grown back (zero pages)
 *   race      a child and two threads of its parent, each on its own hart,
 *             read a shared table, meet at a barrier and write it at the
 *             same instant (three owners of one table at once), 200 rounds:
 *             each sees its own words and none of the other process's
 *   threads   threads of the parent keep writing their own pages (each
 *             word the sweep's number, in order) while the process forks:
 *             each child's snapshot is one instant of every sweep (a prefix
 *             of v+1 then v, with v between the counts the parent read
 *             before and after fork), and it never changes afterwards while
 *             the threads go on; the child writes the same tables meanwhile
 *   oom       the child fills memory to the last frame, then changes
 *             (mprotect) and writes a shared region: the change may fail
 *             with -ENOMEM, the store must kill the child (a console line),
 *             the parent's region is intact and nothing leaks
 *   counters  a fork of a TREE MiB heap links its tables and copies no
 *             leaf of them (fork_leaves grows by at most 4 tables: the
 *             stack, text and data below an empty heap, which fork copies
 *             leaf by leaf: ptshare.c, share_span); the child's reads wake
 *             links and copy no table, its writes copy tables, the
 *             parent's later writes take them over, and the last link's
 *             exit frees them. Skipped, saying so, when fork shares no
 *             table (ptshare=off)
 *
 * `sharetest [-t TREE_MIB] [-x EXEC_MIB] [-c THREADS] [SCENARIO...]` runs
 * the scenarios named (default: all, in the order above); THREADS is the
 * number of writer threads of `threads` (default 3). It first says whether
 * fork shares tables at all (a 4 MiB heap forked once: ptshare_links). Each runs in a
 * process of its own and ends with the settled free-frame count (memstat
 * with settle, every child reaped) exactly where it started:
 * "sharetest: NAME: free frames N before, N after", then "sharetest: NAME:
 * PASS" (or FAIL with what went wrong). Last line "sharetest: PASS" (exit
 * 0) or "sharetest: FAIL".
 *
 * help: page tables shared by fork: snapshots, unshare, OOM, counters (test)
 */
#include <stdbool.h>

#include "kine/barrier.h"
#include "kine/region.h"
#include "kine/user.h"

#define PAGE   4096ul
#define MiB    (1024ul * 1024)
#define REGION (2ul << 20)                    /* what one level-0 table maps */
#define WPP    (PAGE / sizeof(unsigned long)) /* words per page */

static int tree_mib = 64, exec_mib = 256, nthreads = 3;
static bool sharing; /* fork shared tables (ptshare_links grew) */

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
				printf(
				    "sharetest: %s: pid %d: word %lu (page %lu) holds %#lx, want "
				    "%#lx: FAIL\n",
				    who, getpid(), i, i / WPP, w[i], val(tag, i));
			bad++;
		}
	}
	return bad;
}

/* A counter's delta between two memstats. */
#define D(a, b, f) ((unsigned long)((b).f - (a).f))

static void ms(struct kine_memstat *m)
{
	memstat(m, 0);
}

/* One byte through a pipe: a step of a two-process scenario. */
static void signal_fd(int fd)
{
	write(fd, "x", 1);
}

static int wait_fd(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/* Pre-write some stack and the data pages, so that the child's own table
 * copies for them happen now and not inside a later measurement. */
static volatile unsigned long scratch_global;

__attribute__((noinline)) static void touch_stack_deep(int depth)
{
	volatile char buf[3072];

	for (unsigned i = 0; i < sizeof(buf); i += 512)
		buf[i] = (char)i;
	if (depth > 0)
		touch_stack_deep(depth - 1);
	scratch_global += buf[512];
}

/* About 32 KiB of stack, in frames the toolchain's frame limit allows. */
static void touch_stack(void)
{
	touch_stack_deep(10);
}

/* ---- tree ---- */

#define TREE_DEPTH   4
#define TREE_FANOUT  2
#define TREE_STRIPES 16

static volatile unsigned long *tree_heap;
static unsigned long tree_words;
static unsigned long stamp[TREE_STRIPES]; /* who last wrote each stripe, in this history */

static unsigned long stripe_from(int s)
{
	return tree_words / TREE_STRIPES * (unsigned long)s;
}

static void tree_write(int s, unsigned long tag)
{
	fill(tree_heap, stripe_from(s), stripe_from(s + 1), tag);
	stamp[s] = tag;
}

static unsigned long tree_check(void)
{
	unsigned long bad = 0;

	for (int s = 0; s < TREE_STRIPES; s++)
		bad += check("tree", tree_heap, stripe_from(s), stripe_from(s + 1), stamp[s]);
	return bad;
}

/*
 * A process at level `level`: check the snapshot; a child writes stripe
 * 2 * level - 1; fork the next level (if any) and write stripe 2 * level
 * while the children run; check again; reap; check again. Returns the
 * number of wrong words plus failed children (capped for an exit status).
 */
static int tree_node(int level)
{
	unsigned long bad = tree_check(), tag = (unsigned long)getpid() * 64;
	int kids = 0, status;

	if (level > 0)
		tree_write(2 * level - 1, tag + 1);
	if (level < TREE_DEPTH) {
		for (int c = 0; c < TREE_FANOUT; c++) {
			int pid = fork();

			if (pid == 0)
				exit(tree_node(level + 1));
			if (pid < 0) {
				printf("sharetest: tree: level %d: fork: error %d: FAIL\n", level,
				       pid);
				bad++;
			} else {
				kids++;
			}
		}
		tree_write(2 * level, tag + 2);
	}
	while (kids-- > 0) {
		if (wait(&status) < 0 || status != 0) {
			printf("sharetest: tree: level %d: a child ended with status %d: FAIL\n",
			       level + 1, status);
			bad++;
		}
	}
	bad += tree_check();
	return bad > 100 ? 100 : (int)bad;
}

static bool scenario_tree(void)
{
	unsigned long bytes = (unsigned long)tree_mib * MiB;
	int bad;

	tree_heap = sbrk((long)bytes);
	if (tree_heap == (void *)-1) {
		printf("sharetest: tree: sbrk %d MiB failed: FAIL\n", tree_mib);
		return false;
	}
	tree_words = bytes / sizeof(unsigned long);
	for (int s = 0; s < TREE_STRIPES; s++)
		tree_write(s, 1);
	bad = tree_node(0);
	printf("sharetest: tree: depth %d, %d processes over %d MiB, %d wrong\n", TREE_DEPTH,
	       (1 << (TREE_DEPTH + 1)) - 1, tree_mib, bad);
	return bad == 0;
}

/* ---- exec ---- */

#define EXEC_ROUNDS 16
#define EXEC_BURST  4

static bool scenario_exec(void)
{
	unsigned long bytes = (unsigned long)exec_mib * MiB, pages = bytes / PAGE, step, bad = 0;
	volatile unsigned long *heap = sbrk((long)bytes);
	char *argv[] = {"exitcode", "0", 0};
	int failed = 0, status;

	if (heap == (void *)-1) {
		printf("sharetest: exec: sbrk %d MiB failed: FAIL\n", exec_mib);
		return false;
	}
	step = pages / EXEC_ROUNDS;
	fill(heap, 0, pages * WPP, 1);
	for (int r = 0; r < EXEC_ROUNDS; r++) {
		for (int c = 0; c < EXEC_BURST; c++) {
			int pid = fork();

			if (pid == 0) {
				exec("exitcode", argv);
				exit(99);
			}
			if (pid < 0) {
				printf("sharetest: exec: fork: error %d: FAIL\n", pid);
				failed++;
			}
		}
		/* While the children exec: this page's table is shared with those not yet there. */
		fill(heap, r * step * WPP, (r * step + 1) * WPP, 2 + (unsigned long)r);
		while (wait(&status) >= 0)
			if (status != 0) {
				printf("sharetest: exec: a child ended with status %d: FAIL\n",
				       status);
				failed++;
			}
	}
	for (unsigned long p = 0; p < pages; p++) {
		unsigned long tag = p % step == 0 && p / step < EXEC_ROUNDS ? 2 + p / step : 1;

		bad += check("exec", heap, p * WPP, (p + 1) * WPP, tag);
	}
	printf("sharetest: exec: %d fork+exec from %d MiB resident, %d failed, %lu words wrong\n",
	       EXEC_ROUNDS * EXEC_BURST, exec_mib, failed, bad);
	return failed == 0 && bad == 0;
}

/* ---- munmap and mprotect inside a shared region ---- */

#define R_PAGES   512 /* one 2 MiB region */
#define P_TAG     11  /* the region's contents at fork */
#define HOLE      256 /* munmap: the page the child unmaps */
#define C_PAGE    100 /* the child writes it */
#define Q_PAGE    101 /* the parent writes it */
#define RO_CHILD  300 /* mprotect: the child makes it read-only */
#define RO_PARENT 400 /* ... the parent does */

static void write_page(volatile unsigned long *r, int p, unsigned long tag)
{
	fill(r, (unsigned long)p * WPP, (unsigned long)(p + 1) * WPP, tag);
}

/* The region's pages as one process should see them: a tag each, 0 for a hole. */
static unsigned long want[R_PAGES];

static void want_all(unsigned long tag)
{
	for (int p = 0; p < R_PAGES; p++)
		want[p] = tag;
}

static unsigned long check_want(const char *who, volatile unsigned long *r)
{
	unsigned long bad = 0;

	for (int p = 0; p < R_PAGES; p++)
		if (want[p] != 0)
			bad += check(who, r, (unsigned long)p * WPP, (unsigned long)(p + 1) * WPP,
				     want[p]);
	return bad;
}

/* The munmap child: returns its wrong words plus a grandchild that lived. */
static int munmap_child(volatile unsigned long *r, int to_parent, int from_parent)
{
	unsigned long bad = 0;
	int pid, status = 0;

	if (munmap((void *)(r + HOLE * WPP), PAGE) < 0) {
		printf("sharetest: munmap: child: munmap failed: FAIL\n");
		return 1;
	}
	want_all(P_TAG);
	want[HOLE] = 0;
	bad += check_want("munmap child", r);
	/* Its own child inherits the hole: a load from it must kill it. */
	pid = fork();
	if (pid == 0) {
		(void)r[HOLE * WPP + 7];
		exit(3);
	}
	if (pid < 0 || wait(&status) != pid || status != -1) {
		printf("sharetest: munmap: the load from the unmapped page: status %d, want -1: "
		       "FAIL\n",
		       status);
		bad++;
	}
	write_page(r, C_PAGE, 12);
	want[C_PAGE] = 12;
	signal_fd(to_parent);
	wait_fd(from_parent);
	/* The parent wrote Q_PAGE and the hole meanwhile: not here. */
	bad += check_want("munmap child", r);
	return bad > 100 ? 100 : (int)bad;
}

static bool scenario_munmap(void)
{
	volatile unsigned long *r = aligned_region(R_PAGES * PAGE);
	int to_parent[2], from_parent[2], pid, status = -2;
	unsigned long bad = 0;

	if (r == NULL || pipe(to_parent) < 0 || pipe(from_parent) < 0) {
		printf("sharetest: munmap: set-up failed: FAIL\n");
		return false;
	}
	fill(r, 0, R_PAGES * WPP, P_TAG);
	pid = fork();
	if (pid == 0)
		exit(munmap_child(r, to_parent[1], from_parent[0]));
	if (pid < 0 || wait_fd(to_parent[0]) < 0) {
		printf("sharetest: munmap: fork or child failed: FAIL\n");
		return false;
	}
	/* The child unmapped the hole and wrote C_PAGE: the parent sees neither. */
	want_all(P_TAG);
	bad += check_want("munmap parent", r);
	write_page(r, HOLE, 13);
	write_page(r, Q_PAGE, 13);
	want[HOLE] = want[Q_PAGE] = 13;
	signal_fd(from_parent[1]);
	wait(&status);
	bad += check_want("munmap parent", r);
	printf("sharetest: munmap: child unmapped page %d of a shared 2 MiB region: child status "
	       "%d, parent %lu words wrong\n",
	       HOLE, status, bad);
	return status == 0 && bad == 0;
}

static bool scenario_mprotect(void)
{
	volatile unsigned long *r = aligned_region(R_PAGES * PAGE);
	volatile long *res = shared_page();
	int to_parent[2], from_parent[2], pid, status = -2;
	unsigned long bad = 0;

	if (r == NULL || res == NULL || pipe(to_parent) < 0 || pipe(from_parent) < 0) {
		printf("sharetest: mprotect: set-up failed: FAIL\n");
		return false;
	}
	fill(r, 0, R_PAGES * WPP, P_TAG);
	res[0] = res[1] = res[2] = -1;
	pid = fork();
	if (pid == 0) {
		if (mprotect((void *)(r + RO_CHILD * WPP), PAGE, PROT_READ) < 0)
			exit(1);
		want_all(P_TAG);
		res[0] = (long)check_want("mprotect child", r);
		write_page(r, C_PAGE, 12);
		want[C_PAGE] = 12;
		signal_fd(to_parent[1]);
		wait_fd(from_parent[0]);
		/* The parent made RO_PARENT read-only and wrote RO_CHILD: not here. */
		write_page(r, RO_PARENT, 14);
		want[RO_PARENT] = 14;
		res[1] = (long)check_want("mprotect child", r);
		r[RO_CHILD * WPP] = 1; /* read-only here: this process dies */
		res[2] = 1;
		exit(3);
	}
	if (pid < 0 || wait_fd(to_parent[0]) < 0) {
		printf("sharetest: mprotect: fork or child failed: FAIL\n");
		return false;
	}
	want_all(P_TAG);
	bad += check_want("mprotect parent", r);
	if (mprotect((void *)(r + RO_PARENT * WPP), PAGE, PROT_READ) < 0)
		bad++;
	write_page(r, RO_CHILD, 13); /* writable here whatever the child did */
	want[RO_CHILD] = 13;
	signal_fd(from_parent[1]);
	wait(&status);
	bad += check_want("mprotect parent", r);
	printf("sharetest: mprotect: child made page %d read-only: it read %ld and %ld words "
	       "wrong, its store %s: status %d; parent %lu words wrong\n",
	       RO_CHILD, res[0], res[1], res[2] == 1 ? "WENT THROUGH" : "killed it", status, bad);
	return status == -1 && res[0] == 0 && res[1] == 0 && res[2] == -1 && bad == 0;
}

/* ---- the kernel's own accesses and changes in shared tables ---- */

#define K_TABLES 6 /* a 12 MiB region: a table for each case */
#define K_WORDS  (REGION / sizeof(unsigned long))
#define K_HEAP   (3 * REGION) /* sbrk: the child shrinks the heap by this, and grows it back */

/*
 * The child's first access to each table of a shared region is the
 * kernel's, or a change: copyin from table 0 (a write() to a pipe), copyout
 * into table 1 (a read() from a pipe), munmap of the whole of table 2 and
 * of a range across tables 3 and 4, then the heap shrunk across 2 MiB
 * boundaries and grown back (its new pages must be zero). The parent's
 * region and heap must not change; the child checks what it sees.
 */
static int syscalls_child(volatile unsigned long *r, volatile unsigned long *heap,
			  unsigned long heap_words, int to_parent, int from_parent)
{
	unsigned long bad = 0, msg[64], *end;

	/* copyin: the link to table 0 is dormant, the kernel reads through it. */
	if (write(to_parent, (const void *)(r + 5 * WPP), sizeof(msg)) != sizeof(msg)) {
		printf("sharetest: syscalls: child: write() from a shared table failed: FAIL\n");
		return 100; /* the parent's read then ends */
	}
	close(to_parent);
	/* copyout: into table 1, dormant and shared: it must become this process's. */
	if (read(from_parent, msg, sizeof(msg)) != sizeof(msg) ||
	    read(from_parent, (void *)(r + K_WORDS + 7 * WPP), sizeof(msg)) != sizeof(msg))
		bad++;
	for (unsigned long i = 0; i < 64; i++)
		bad += r[K_WORDS + 7 * WPP + i] != msg[i];
	bad += check("syscalls child", r, K_WORDS + 7 * WPP + 64, 2 * K_WORDS, P_TAG);
	bad += check("syscalls child", r, K_WORDS, K_WORDS + 7 * WPP, P_TAG);
	/* munmap: all of table 2; the last MiB of table 3 and the first of table 4. */
	if (munmap((void *)(r + 2 * K_WORDS), REGION) < 0 ||
	    munmap((void *)(r + 3 * K_WORDS + K_WORDS / 2), REGION) < 0)
		bad++;
	bad += check("syscalls child", r, 3 * K_WORDS, 3 * K_WORDS + K_WORDS / 2, P_TAG);
	bad += check("syscalls child", r, 4 * K_WORDS + K_WORDS / 2, K_TABLES * K_WORDS, P_TAG);
	/* sbrk: shrink across 2 MiB boundaries of the shared heap, grow back: fresh zero pages. */
	end = sbrk(0);
	if (sbrk(-(long)K_HEAP) == (void *)-1 ||
	    sbrk((long)K_HEAP) != (void *)((char *)end - K_HEAP))
		bad++;
	bad += check("syscalls child heap", heap, 0, heap_words - K_HEAP / sizeof(long), 21);
	for (unsigned long i = heap_words - K_HEAP / sizeof(long); i < heap_words; i++)
		bad += heap[i] != 0;
	return bad > 100 ? 100 : (int)bad;
}

static bool scenario_syscalls(void)
{
	volatile unsigned long *r = aligned_region(K_TABLES * REGION);
	unsigned long heap_bytes = 8 * MiB, heap_words = heap_bytes / sizeof(long), msg[64],
		      got[64];
	volatile unsigned long *heap = sbrk((long)heap_bytes);
	int to_parent[2], from_parent[2], pid, status = -2;
	unsigned long bad = 0;

	if (r == NULL || heap == (void *)-1 || pipe(to_parent) < 0 || pipe(from_parent) < 0) {
		printf("sharetest: syscalls: set-up failed: FAIL\n");
		return false;
	}
	fill(r, 0, K_TABLES * K_WORDS, P_TAG);
	fill(heap, 0, heap_words, 21);
	pid = fork();
	if (pid == 0) {
		close(to_parent[0]);
		close(from_parent[1]);
		exit(syscalls_child(r, heap, heap_words, to_parent[1], from_parent[0]));
	}
	close(to_parent[1]);
	close(from_parent[0]);
	if (pid < 0) {
		printf("sharetest: syscalls: fork: error %d: FAIL\n", pid);
		return false;
	}
	/* What the child's write() copied in from its table 0: the region's words. */
	if (read(to_parent[0], got, sizeof(got)) != sizeof(got))
		bad++;
	for (unsigned long i = 0; i < 64; i++) {
		bad += got[i] != val(P_TAG, 5 * WPP + i);
		msg[i] = ~i;
	}
	write(from_parent[1], msg, sizeof(msg));
	write(from_parent[1], msg, sizeof(msg));
	wait(&status);
	bad += check("syscalls parent", r, 0, K_TABLES * K_WORDS, P_TAG);
	bad += check("syscalls parent heap", heap, 0, heap_words, 21);
	printf("sharetest: syscalls: copyin and copyout through shared tables, munmap of shared "
	       "tables, sbrk shrink across them: child status %d, parent %lu words wrong\n",
	       status, bad);
	return status == 0 && bad == 0;
}

/* ---- sharers unsharing one table at the same instant ---- */

#define RACE_ROUNDS 200

static struct barrier *race_b; /* MAP_SHARED: the parent, its thread and the child meet */
static volatile unsigned long *race_r;
static int race_round;           /* atomic: the round the thread is to join */
static unsigned long race_wrong; /* atomic: what the parent's thread saw wrong */

/* Word w of page p of the region. */
#define RW(p, w) race_r[(unsigned long)(p)*WPP + (w)]

/*
 * The parent's second thread: each round, with the parent and the child,
 * read the table (wake), meet, write its own word of the round's page
 * (own: copy or takeover), meet again.
 */
static int race_thread(void *arg)
{
	(void)arg;
	set_affinity(2);
	for (int r = 0; r < RACE_ROUNDS; r++) {
		int p = r % R_PAGES;

		while (__atomic_load_n(&race_round, __ATOMIC_ACQUIRE) <= r)
			yield();
		(void)RW((p + 1) % R_PAGES, 0);
		barrier_wait(race_b);
		RW(p, 3) = 3000 + (unsigned long)r;
		barrier_wait(race_b);
		if (RW(p, 3) != 3000 + (unsigned long)r)
			__atomic_fetch_add(&race_wrong, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * Round r: the round's page holds A, B, C in words 1, 2, 3; the parent
 * forks; parent (hart 0), its thread (hart 2) and the child (hart 1) read
 * the table, meet, and write words 2, 3 and 1 at once: three sharers own
 * one table at the same instant (the child and the parent's first writer
 * copy or take it over, the parent's second writer finds it owned). Each
 * must see its own words and none of the other process's.
 */
static bool scenario_race(void)
{
	int tid, wrong = 0, one_hart;
	struct kine_memstat m0, m1;

	race_r = aligned_region(R_PAGES * PAGE);
	race_b = (struct barrier *)shared_page();
	if (race_r == NULL || race_b == NULL) {
		printf("sharetest: race: set-up failed: FAIL\n");
		return false;
	}
	barrier_init(race_b, 3);
	race_round = 0;
	race_wrong = 0;
	one_hart = set_affinity(1) < 0;
	set_affinity(-1);
	fill(race_r, 0, R_PAGES * WPP, P_TAG);
	ms(&m0);
	tid = thread_create(race_thread, 0);
	if (tid < 0) {
		printf("sharetest: race: thread_create: error %d: FAIL\n", tid);
		return false;
	}
	for (int r = 0; r < RACE_ROUNDS; r++) {
		int p = r % R_PAGES, pid, status = -2;
		unsigned long a = 100 + (unsigned long)r, b = 200 + (unsigned long)r;

		RW(p, 1) = a;
		RW(p, 2) = b;
		RW(p, 3) = 300 + (unsigned long)r;
		set_affinity(0);
		pid = fork();
		if (pid == 0) {
			set_affinity(one_hart ? 0 : 1);
			(void)RW((p + 2) % R_PAGES, 0);
			barrier_wait(race_b);
			RW(p, 1) = 1000 + (unsigned long)r;
			barrier_wait(race_b);
			/* Its own word, and the others as they were at fork. */
			exit(RW(p, 1) != 1000 + (unsigned long)r || RW(p, 2) != b ||
			     RW(p, 3) != 300 + (unsigned long)r);
		}
		if (pid < 0) {
			printf("sharetest: race: fork: error %d: FAIL\n", pid);
			wrong++;
			break;
		}
		__atomic_store_n(&race_round, r + 1, __ATOMIC_RELEASE);
		(void)RW(p, 0);
		barrier_wait(race_b);
		RW(p, 2) = 2000 + (unsigned long)r;
		barrier_wait(race_b);
		if (wait(&status) != pid || status != 0)
			wrong++;
		/* Its own words (both threads'), and the child's never. */
		if (RW(p, 1) != a || RW(p, 2) != 2000 + (unsigned long)r ||
		    RW(p, 3) != 3000 + (unsigned long)r)
			wrong++;
	}
	set_affinity(-1);
	thread_join(tid, 0);
	wrong += (int)race_wrong;
	ms(&m1);
	printf("sharetest: race: %d rounds of a child and two threads of its parent writing one "
	       "shared table at once, %d wrong (%lu table copies, %lu takeovers)\n",
	       RACE_ROUNDS, wrong, D(m0, m1, ptshare_copies), D(m0, m1, ptshare_takeovers));
	return wrong == 0;
}

/* ---- threads writing while the process forks ---- */

#define TH_MAX    8
#define TH_PAGES  8
#define TH_WORDS  (TH_PAGES * WPP)
#define TH_ROUNDS 20

static volatile unsigned long *th_words; /* thread t's: th_words[t * TH_WORDS ...] */
static unsigned long th_done[TH_MAX];    /* atomic: the last sweep thread t finished */
static int th_stop;                      /* atomic */
static unsigned long th_lost;            /* atomic: a thread found its own word changed */
static unsigned long th_lo[TH_MAX];      /* th_done before the fork */
static volatile long *th_ctl;            /* MAP_SHARED: hi[], steps */
#define TH_HI(t)    th_ctl[t]
#define TH_HI_READY th_ctl[TH_MAX]
#define TH_CHECKED  th_ctl[TH_MAX + 1]
#define TH_GO       th_ctl[TH_MAX + 2]

static int th_writer(void *arg)
{
	long t = (long)arg;
	unsigned long *w = (unsigned long *)th_words + t * TH_WORDS;

	for (unsigned long v = 1; !__atomic_load_n(&th_stop, __ATOMIC_ACQUIRE); v++) {
		/*
		 * In order: a snapshot of one instant is a prefix of v, the rest
		 * v - 1. Each word is read before it is written: after a fork the
		 * read comes first (it wakes the link), then the store, which must
		 * still fault (the wake write-protected the table).
		 */
		for (unsigned long i = 0; i < TH_WORDS; i++) {
			if (__atomic_load_n(&w[i], __ATOMIC_ACQUIRE) != v - 1)
				__atomic_fetch_add(&th_lost, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&w[i], v, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&th_done[t], v, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * Thread t's words as the child sees them: a prefix of x + 1, then x (k
 * words of x + 1), with x >= lo and the top <= hi + 1. Returns x * TH_WORDS
 * + k (what must not change afterwards), or -1 if the form is wrong.
 */
static long th_shape(int t, unsigned long lo, unsigned long hi)
{
	volatile unsigned long *w = th_words + t * TH_WORDS;
	unsigned long x = w[TH_WORDS - 1], k = 0, top;

	while (k < TH_WORDS && w[k] == x + 1)
		k++;
	for (unsigned long i = k; i < TH_WORDS; i++)
		if (w[i] != x) {
			printf("sharetest: threads: child: thread %d's word %lu is %lu after %lu "
			       "words of %lu and before x = %lu: not one instant: FAIL\n",
			       t, i, w[i], k, x + 1, x);
			return -1;
		}
	top = k > 0 ? x + 1 : x;
	if (x < lo || top > hi + 1) {
		printf("sharetest: threads: child: thread %d's sweep %lu..%lu is outside %lu..%lu "
		       "(before and after fork): FAIL\n",
		       t, x, top, lo, hi + 1);
		return -1;
	}
	return (long)(x * TH_WORDS + k);
}

static void th_wait_ctl(volatile long *v, long want)
{
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) != want)
		yield();
}

static int th_child(int round, volatile unsigned long *mine)
{
	long shape[TH_MAX];
	int bad = 0;

	/* Unshare the tables the threads write, while they write them in the parent. */
	fill(mine, 0, WPP, (unsigned long)round);
	th_wait_ctl(&TH_HI_READY, round);
	for (int t = 0; t < nthreads; t++) {
		shape[t] = th_shape(t, th_lo[t], (unsigned long)TH_HI(t));
		bad += shape[t] < 0;
	}
	__atomic_store_n(&TH_CHECKED, round, __ATOMIC_RELEASE);
	th_wait_ctl(&TH_GO, round);
	for (int t = 0; t < nthreads; t++) {
		long again = th_shape(t, th_lo[t], (unsigned long)TH_HI(t));

		if (shape[t] >= 0 && again != shape[t]) {
			printf("sharetest: threads: child: thread %d's words changed after the "
			       "check (%ld, then %ld): FAIL\n",
			       t, shape[t], again);
			bad++;
		}
	}
	bad += check("threads child", mine, 0, WPP, (unsigned long)round) != 0;
	return bad;
}

static bool scenario_threads(void)
{
	/* Thread 0's pages straddle the 2 MiB boundary; the child's page is in the second table. */
	volatile unsigned long *region = aligned_region(2 * REGION);
	volatile unsigned long *mine;
	int tid[TH_MAX], changed = 0, failed = 0, status;

	th_ctl = shared_page();
	if (region == NULL || th_ctl == NULL) {
		printf("sharetest: threads: set-up failed: FAIL\n");
		return false;
	}
	th_words = region + (REGION - 4 * PAGE) / sizeof(unsigned long);
	mine = region + (REGION + 64 * PAGE) / sizeof(unsigned long);
	th_stop = 0;
	th_lost = 0;
	for (int t = 0; t < nthreads; t++) {
		th_done[t] = 0;
		tid[t] = thread_create(th_writer, (void *)(long)t);
		if (tid[t] < 0) {
			printf("sharetest: threads: thread_create: error %d: FAIL\n", tid[t]);
			return false;
		}
	}
	for (int r = 1; r <= TH_ROUNDS; r++) {
		int pid;

		for (int t = 0; t < nthreads; t++)
			th_lo[t] = __atomic_load_n(&th_done[t], __ATOMIC_ACQUIRE);
		pid = fork();
		if (pid == 0)
			exit(th_child(r, mine));
		for (int t = 0; t < nthreads; t++)
			TH_HI(t) = (long)__atomic_load_n(&th_done[t], __ATOMIC_ACQUIRE);
		__atomic_store_n(&TH_HI_READY, r, __ATOMIC_RELEASE);
		if (pid < 0) {
			failed++;
			continue;
		}
		th_wait_ctl(&TH_CHECKED, r);
		/* Two more whole sweeps of every thread while the child holds its snapshot. */
		for (int t = 0; t < nthreads; t++)
			while (__atomic_load_n(&th_done[t], __ATOMIC_ACQUIRE) <
			       (unsigned long)TH_HI(t) + 2)
				yield();
		__atomic_store_n(&TH_GO, r, __ATOMIC_RELEASE);
		if (wait(&status) != pid || status != 0)
			changed++;
	}
	__atomic_store_n(&th_stop, 1, __ATOMIC_RELEASE);
	for (int t = 0; t < nthreads; t++)
		thread_join(tid[t], 0);
	printf("sharetest: threads: %d forks under %d writing threads, %d snapshots wrong or "
	       "changed, %d forks failed, %lu words lost in the parent\n",
	       TH_ROUNDS, nthreads, changed, failed, th_lost);
	return changed == 0 && failed == 0 && th_lost == 0;
}

/* ---- out of memory while unsharing ---- */

#define OOM_PAGES 1024 /* 4 MiB: two tables */

/* The child: every free frame taken, then a change and a store in the shared region. */
static void oom_child(volatile unsigned long *r, volatile long *res)
{
	static const unsigned long chunks[] = {MiB, 64 * 1024, PAGE};
	unsigned long cur, pad, held = 0;
	struct kine_memstat m;

	touch_stack();
	/* The heap's end to just past a 2 MiB boundary: the last pages go in a table of its own. */
	cur = (unsigned long)sbrk(0);
	pad = (REGION - cur % REGION) % REGION + PAGE;
	if (sbrk((long)pad) == (void *)-1)
		exit(4);
	*(volatile char *)(cur + pad - 1) = 1;
	for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		while (mmap(0, chunks[i], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS) !=
		       (void *)-1)
			held += chunks[i] / PAGE;
	/* Each page now needs one frame and no table. */
	while (sbrk((long)PAGE) != (void *)-1)
		held++;
	memstat(&m, 1);
	res[0] = (long)held;
	res[1] = (long)m.free;
	/* A change in the shared region: with sharing, the table copy finds no page. */
	res[2] = mprotect((void *)(r + 3 * WPP), PAGE, PROT_READ);
	res[3] = (long)check("oom child", r, 0, OOM_PAGES * WPP, P_TAG);
	r[5 * WPP] = 1; /* the first store: a table copy, or a page copy; no page for either */
	res[4] = 1;
	exit(3);
}

static bool scenario_oom(void)
{
	volatile unsigned long *r = aligned_region(OOM_PAGES * PAGE);
	volatile long *res = shared_page();
	int pid, status = -2;
	unsigned long bad;

	if (r == NULL || res == NULL) {
		printf("sharetest: oom: set-up failed: FAIL\n");
		return false;
	}
	fill(r, 0, OOM_PAGES * WPP, P_TAG);
	res[0] = res[1] = res[2] = res[3] = res[4] = -1;
	pid = fork();
	if (pid == 0)
		oom_child(r, res);
	if (pid < 0 || wait(&status) != pid) {
		printf("sharetest: oom: fork failed: FAIL\n");
		return false;
	}
	bad = check("oom parent", r, 0, OOM_PAGES * WPP, P_TAG);
	/* The parent's tables are its own again (taken over): it writes them. */
	fill(r, 0, OOM_PAGES * WPP, P_TAG + 1);
	bad += check("oom parent", r, 0, OOM_PAGES * WPP, P_TAG + 1);
	printf("sharetest: oom: child held %ld more pages (%ld frames left); its mprotect in the "
	       "shared region returned %ld; it read %ld words wrong; its store %s: status %d\n",
	       res[0], res[1], res[2], res[3], res[4] == 1 ? "WENT THROUGH" : "killed it", status);
	printf("sharetest: oom: parent %lu words wrong\n", bad);
	return status == -1 && res[4] == -1 && res[3] == 0 && (res[2] == 0 || res[2] == -ENOMEM) &&
	       res[0] > 0 && bad == 0;
}

/* ---- counters ---- */

static bool counter_ok(const char *what, unsigned long got, const char *rel, unsigned long want)
{
	bool ok = rel[0] == '>' ? got >= want : rel[0] == '<' ? got <= want : got == want;

	printf("sharetest: counters: %s: %lu (want %s %lu): %s\n", what, got, rel, want,
	       ok ? "ok" : "FAIL");
	return ok;
}

/* `sharetest waitall FD`: what the counters' parent execs into: close FD, reap, exit. */
static int waitall(int fd)
{
	int status, bad = 0;

	close(fd);
	while (wait(&status) >= 0)
		bad += status != 0;
	return bad;
}

static bool scenario_counters(void)
{
	unsigned long bytes = (unsigned long)tree_mib * MiB, pages = bytes / PAGE;
	unsigned long tables = bytes / REGION, most = tables > 2 ? tables - 2 : 1;
	struct kine_memstat m0, m1, m2;
	volatile char *heap;
	volatile long *res;
	int go[2], pid, status = -2;
	bool ok = true;

	ms(&m0);
	heap = sbrk((long)bytes);
	res = shared_page();
	if (heap == (void *)-1 || res == NULL || pipe(go) < 0) {
		printf("sharetest: counters: set-up failed: FAIL\n");
		return false;
	}
	for (unsigned long p = 0; p < pages; p++)
		heap[p * PAGE] = 1;
	if (!sharing) {
		printf("sharetest: counters: skipped: fork shares no table (ptshare=off, or a "
		       "kernel without sharing); the snapshot checks ran all the same\n");
		return true;
	}
	ms(&m1);
	if (m1.mega_maps != m0.mega_maps) {
		/* The counts below are of 4 KiB tables: test/qemu/BUILD runs this with thp=off. */
		printf(
		    "sharetest: counters: skipped: the heap got 2 MiB megapages (thp=on), which "
		    "fork shares as one PTE each, not as tables; the snapshot checks ran all the "
		    "same\n");
		return true;
	}
	ms(&m0);
	pid = fork();
	if (pid == 0) {
		struct kine_memstat c0, c1, c2;
		char sink = 0;

		touch_stack();
		wait_fd(go[0]);
		ms(&c0);
		for (unsigned long p = 0; p < pages; p++)
			sink += heap[p * PAGE];
		ms(&c1);
		for (unsigned long p = 0; p < pages; p++)
			heap[p * PAGE] = 2;
		ms(&c2);
		res[0] = (long)D(c0, c1, ptshare_wakes);
		res[1] = (long)D(c0, c1, ptshare_copies);
		res[2] = (long)(D(c1, c2, ptshare_copies) + D(c1, c2, ptshare_takeovers));
		exit(sink == (char)pages ? 0 : 1);
	}
	ms(&m1);
	ok &= counter_ok("tables fork linked (the heap's, but for its two ends)",
			 D(m0, m1, ptshare_links), ">=", most);
	ok &= counter_ok("leaves fork copied (text, data, stack: at most 4 tables)",
			 D(m0, m1, fork_leaves), "<=", 4 * 512);
	signal_fd(go[1]);
	if (pid < 0 || wait(&status) != pid || status != 0) {
		printf("sharetest: counters: child status %d: FAIL\n", status);
		return false;
	}
	ok &= counter_ok("links the child's reads woke", (unsigned long)res[0], ">=", most);
	ok &= counter_ok("tables the child's reads copied", (unsigned long)res[1], "==", 0);
	ok &= counter_ok("tables the child's writes copied or took over", (unsigned long)res[2],
			 ">=", most);
	ms(&m1);
	for (unsigned long p = 0; p < pages; p++)
		heap[p * PAGE] = 3;
	ms(&m2);
	ok &= counter_ok("tables the parent took over, the child gone",
			 D(m1, m2, ptshare_takeovers), ">=", most);
	return ok;
}

/* The last link goes with the child: the parent dropped its own at exec. */
static bool scenario_frees(void)
{
	unsigned long bytes = (unsigned long)tree_mib * MiB;
	unsigned long tables = bytes / REGION, most = tables > 2 ? tables - 2 : 1;
	volatile char *heap;
	struct kine_memstat m0, m1;
	int p[2], pid, status = -2;
	char fd[12], *argv[] = {"sharetest", "waitall", fd, 0};

	if (!sharing)
		return true;
	ms(&m0);
	pid = fork();
	if (pid == 0) {
		heap = sbrk((long)bytes);
		if (heap == (void *)-1 || pipe(p) < 0)
			exit(1);
		for (unsigned long o = 0; o < bytes; o += PAGE)
			heap[o] = 1;
		if (fork() == 0) {
			close(p[1]);
			wait_fd(p[0]); /* EOF once the parent's new program closed it */
			exit(0);
		}
		snprintf(fd, sizeof(fd), "%d", p[1]);
		exec("sharetest", argv);
		exit(1);
	}
	if (pid < 0 || wait(&status) != pid || status != 0) {
		printf("sharetest: counters: frees: status %d: FAIL\n", status);
		return false;
	}
	ms(&m1);
	if (m1.mega_maps != m0.mega_maps) {
		printf(
		    "sharetest: counters: frees: skipped: the heap got 2 MiB megapages (thp=on), "
		    "which are no tables\n");
		return true;
	}
	return counter_ok("tables freed by the last link (parent exec'd, then the child exited)",
			  D(m0, m1, ptshare_frees), ">=", most);
}

static bool scenario_counters_all(void)
{
	bool ok = scenario_counters();

	return scenario_frees() && ok;
}

/* ---- main ---- */

static const struct {
	const char *name;
	bool (*fn)(void);
} scenarios[] = {
    {"tree", scenario_tree},
    {"exec", scenario_exec},
    {"munmap", scenario_munmap},
    {"mprotect", scenario_mprotect},
    {"syscalls", scenario_syscalls},
    {"race", scenario_race},
    {"threads", scenario_threads},
    {"oom", scenario_oom},
    {"counters", scenario_counters_all},
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* Whether fork shares tables: a 4 MiB heap forked once, ptshare_links before and after. */
static bool detect_sharing(void)
{
	struct kine_memstat a, b;
	volatile char *h = sbrk(4 * MiB);
	int pid;

	if (h == (void *)-1)
		return false;
	for (unsigned long o = 0; o < 4 * MiB; o += PAGE)
		h[o] = 1;
	ms(&a);
	pid = fork();
	if (pid == 0)
		exit(0);
	ms(&b);
	if (pid > 0)
		wait(0);
	sbrk(-(long)(4 * MiB));
	printf("sharetest: fork of a 4 MiB heap linked %lu shared tables and copied %lu leaves: "
	       "sharing %s\n",
	       D(a, b, ptshare_links), D(a, b, fork_leaves), D(a, b, ptshare_links) ? "on" : "off");
	return D(a, b, ptshare_links) > 0;
}

/* One scenario in a process of its own; the settled count must come back. */
static bool run(int i)
{
	uint64_t before = settled_free(), after;
	int pid = fork(), status = -2;
	bool ok;

	if (pid == 0)
		exit(scenarios[i].fn() ? 0 : 1);
	ok = pid > 0 && wait(&status) == pid && status == 0;
	after = settled_free_like(before);
	printf("sharetest: %s: free frames %lu before, %lu after\n", scenarios[i].name,
	       (unsigned long)before, (unsigned long)after);
	ok = ok && before == after;
	printf("sharetest: %s: %s\n", scenarios[i].name,
	       ok                ? "PASS"
	       : before == after ? "FAIL"
				 : "FAIL (frames leaked)");
	return ok;
}

static int usage(void)
{
	printf("usage: sharetest [-t TREE_MIB] [-x EXEC_MIB] [-c THREADS (1-%d)] "
	       "[tree|exec|munmap|mprotect|syscalls|race|threads|oom|counters...]\n",
	       TH_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	struct kine_memstat audit0, audit1;
	bool ok = true, chosen[NSCEN] = {false}, any = false;
	int a = 1;

	if (argc == 3 && strcmp(argv[1], "waitall") == 0)
		return waitall(atoi(argv[2]));
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "-t") == 0)
			tree_mib = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-x") == 0)
			exec_mib = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-c") == 0)
			nthreads = atoi(argv[a + 1]);
		else
			return usage();
	}
	if (tree_mib < 2 || exec_mib < 1 || nthreads < 1 || nthreads > TH_MAX)
		return usage();
	for (; a < argc; a++) {
		unsigned i = 0;

		while (i < NSCEN && strcmp(argv[a], scenarios[i].name) != 0)
			i++;
		if (i == NSCEN)
			return usage();
		chosen[i] = any = true;
	}
	/* Warm-up: what the kernel keeps after a first fork is there before the counts. */
	if (fork() == 0)
		exit(0);
	wait(0);
	sharing = detect_sharing();
	ms(&audit0);
	for (unsigned i = 0; i < NSCEN; i++)
		if (!any || chosen[i])
			ok &= run((int)i);
	ms(&audit1);
	/* The debug image audits every count at each settle (a broken count panics there). */
	if (D(audit0, audit1, audit_runs) + D(audit0, audit1, audit_skipped) > 0)
		printf("sharetest: debug count audits at the settles: %lu ran, %lu skipped\n",
		       D(audit0, audit1, audit_runs), D(audit0, audit1, audit_skipped));
	printf("sharetest: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
