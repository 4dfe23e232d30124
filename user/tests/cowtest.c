/*
 * cowtest: copy-on-write fork, scenario by scenario (docs/cow.md).
 *
 *   bigfork   touch more than half of free memory, fork, the child exits,
 *             the parent frees it: only copy-on-write can do this (eager
 *             copy runs out of memory)
 *   three     parent and two children write the same inherited pages,
 *             each its own value; each sees only its own
 *   piperead  a read() from a pipe into an inherited page breaks COW in
 *             the kernel's copyout, exactly like a user store
 *   race      parent and child pinned to different harts meet at a
 *             MAP_SHARED barrier and write the same inherited page at the
 *             same instant, round after round (each reads it first, so
 *             that the copy must flush the hart's entry: an untouched
 *             page's copy flushes nothing, and is over too soon to meet the
 *             other's); each must see its own data
 *             and none of the other's, and on two harts the kernel must have
 *             counted overlaps (a sharer copied or released the frame during
 *             a copy): proof that the race happened
 *   snapshot  two threads of the parent keep writing a page on other harts
 *             while the parent forks again and again; each child's snapshot
 *             must never change afterwards (no writer may reach the shared
 *             frame through a stale writable TLB entry)
 *   many      a fork tree of 8 processes sharing one page all write it at
 *             once; each sees only its own value
 *   solo      a single-threaded process pinned to one hart forks and writes
 *             its pages over and over: every shootdown stays on its hart (a
 *             local sfence.vma), none reaches another hart
 *   threads   one thread per hart reads every page of a region (so every
 *             hart may cache it), then all write their own word of every
 *             page at once, while one of them forks: copies of pages other
 *             harts hold must shoot them down, with the PTE busy meanwhile
 *             (src/mm/cow.c); each page must end with every thread's word, and
 *             the child's snapshot must hold the words before the round
 *   cowprot   mprotect(PROT_WRITE) of an inherited page in the child: the
 *             parent keeps its own value (the frame was not made writable)
 *   counters  every COW fault was a copy or a reuse; the TLB counters
 * Prints one line per scenario with what it saw; exits 0 when all pass.
 * `cowtest N` sets the number of harts to race on; `cowtest N race` runs
 * the race alone (the seeded runs of docs/robustness.md), `cowtest N
 * threads` the threads scenario alone.
 *
 * help: copy-on-write fork, scenario by scenario (test)
 */
#include <kine/user.h>

#define PAGE        4096
#define THREE_PAGES 64
#define RACE_ROUNDS 1000

static int fail(const char *what)
{
	printf("cowtest: %s: FAIL\n", what);
	return 0;
}

static int test_bigfork(void)
{
	struct kine_memstat ms;
	long pages, bytes;
	char *p;
	int pid, status = -1;

	memstat(&ms, 1);
	pages = (long)(ms.free * 6 / 10);
	bytes = pages * PAGE;
	p = sbrk(bytes);
	if (p == (void *)-1)
		return fail("bigfork: sbrk");
	for (long i = 0; i < pages; i++)
		p[i * PAGE] = (char)i;
	pid = fork();
	if (pid == 0)
		exit(p[PAGE * (pages - 1)] == (char)(pages - 1) ? 0 : 1);
	if (pid < 0) {
		printf("cowtest: bigfork: fork with %ld MiB touched: error %d\n", bytes >> 20, pid);
		sbrk(-bytes);
		return 0;
	}
	wait(&status);
	sbrk(-bytes);
	printf(
	    "cowtest: bigfork: fork with %ld MiB touched (60%% of free memory): child status %d\n",
	    bytes >> 20, status);
	return status == 0;
}

static int check_pages(volatile char *buf, char want)
{
	for (int i = 0; i < THREE_PAGES; i++)
		if (buf[i * PAGE] != want || buf[i * PAGE + PAGE - 1] != want)
			return 0;
	return 1;
}

static void write_pages(volatile char *buf, char v)
{
	for (int i = 0; i < THREE_PAGES; i++) {
		buf[i * PAGE] = v;
		buf[i * PAGE + PAGE - 1] = v;
	}
}

static int test_three(void)
{
	volatile char *buf =
	    mmap(0, THREE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	int ok = 1, status;

	if (buf == (void *)-1)
		return fail("three: mmap");
	write_pages(buf, 'P');
	for (int c = 0; c < 2; c++) {
		if (fork() == 0) {
			char me = (char)('a' + c);

			yield();
			write_pages(buf, me);
			exit(check_pages(buf, me) ? 0 : 1);
		}
	}
	write_pages(buf, 'Q');
	for (int c = 0; c < 2; c++) {
		wait(&status);
		ok &= status == 0;
	}
	ok &= check_pages(buf, 'Q');
	munmap((void *)buf, THREE_PAGES * PAGE);
	printf("cowtest: three: three processes wrote %d shared pages: %s\n", THREE_PAGES,
	       ok ? "each saw its own" : "MIXED UP");
	return ok;
}

static int test_piperead(void)
{
	static char buf[PAGE] __attribute__((aligned(PAGE)));
	int fds[2], status = -1;

	memset(buf, 'p', sizeof(buf));
	if (pipe(fds) < 0)
		return fail("piperead: pipe");
	if (fork() == 0) {
		close(fds[1]);
		int n = read(fds[0], buf, 100);
		exit(n == 100 && buf[0] == 'x' && buf[99] == 'x' && buf[100] == 'p' ? 0 : 1);
	}
	close(fds[0]);
	char msg[100];
	memset(msg, 'x', sizeof(msg));
	write(fds[1], msg, sizeof(msg));
	close(fds[1]);
	wait(&status);
	printf("cowtest: piperead: child read into its copy: status %d; parent's page %s\n", status,
	       buf[0] == 'p' ? "untouched" : "CHANGED");
	return status == 0 && buf[0] == 'p';
}

/* A barrier for two processes in MAP_SHARED memory: a generation counter. */
struct barrier {
	volatile int arrived;
	volatile int generation;
	int single_hart;
};

static void barrier_wait(struct barrier *b)
{
	int gen = b->generation;

	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == 2) {
		b->arrived = 0;
		__atomic_store_n(&b->generation, gen + 1, __ATOMIC_RELEASE);
	} else {
		while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen)
			if (b->single_hart)
				yield(); /* on one hart, spinning only waits for the next tick */
	}
}

static int test_race(int nharts)
{
	struct barrier *b = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	static volatile long page[PAGE / sizeof(long)] __attribute__((aligned(PAGE)));
	struct kine_memstat before, after;
	int bad = 0, status;

	if (b == (void *)-1)
		return fail("race: mmap");
	page[0] = -1;
	b->single_hart = nharts == 1;
	memstat(&before, 0);
	for (int r = 0; r < RACE_ROUNDS; r++) {
		int pid = fork();

		if (pid == 0) {
			set_affinity(nharts > 1 ? 1 : 0);
			(void)page[1]; /* accessed: the copy must flush (a longer window) */
			barrier_wait(b);
			page[0] = 1000000 + r;
			page[PAGE / sizeof(long) - 1] = 1000000 + r;
			barrier_wait(b);
			exit(page[0] == 1000000 + r && page[PAGE / sizeof(long) - 1] == 1000000 + r
				 ? 0
				 : 1);
		}
		set_affinity(0);
		(void)page[1];
		barrier_wait(b);
		page[0] = r;
		page[PAGE / sizeof(long) - 1] = r;
		barrier_wait(b);
		wait(&status);
		bad += status != 0 || page[0] != r || page[PAGE / sizeof(long) - 1] != r;
	}
	set_affinity(-1);
	memstat(&after, 0);
	unsigned long met = (unsigned long)(after.cow_overlaps - before.cow_overlaps);

	printf("cowtest: race: %d rounds on %d harts, %d wrong, %lu overlaps met\n", RACE_ROUNDS,
	       nharts > 1 ? 2 : 1, bad, met);
	/* On two harts the test must show that it raced. */
	if (nharts > 1 && met == 0)
		printf("cowtest: race: never met another sharer mid-copy: the race was not "
		       "exercised\n");
	return bad == 0 && (nharts == 1 || met > 0);
}

#define SNAP_FORKS   40
#define SNAP_WRITERS 2

static volatile long snap_page[PAGE / sizeof(long)] __attribute__((aligned(PAGE)));
static volatile int snap_stop;

static int snap_writer(void *arg)
{
	long i = (long)arg;

	while (!snap_stop)
		snap_page[i * 64]++; /* each writer its own counter in the page */
	return 0;
}

static int test_snapshot(void)
{
	int tid[SNAP_WRITERS], changed = 0, status;

	for (long i = 0; i < SNAP_WRITERS; i++)
		tid[i] = thread_create(snap_writer, (void *)i);
	for (int f = 0; f < SNAP_FORKS; f++) {
		int pid = fork();

		if (pid == 0) {
			long before[SNAP_WRITERS];
			int moved = 0;

			for (int i = 0; i < SNAP_WRITERS; i++)
				before[i] = snap_page[i * 64];
			sleep(1);
			for (int i = 0; i < SNAP_WRITERS; i++)
				moved += snap_page[i * 64] != before[i];
			exit(moved);
		}
		wait(&status);
		changed += status != 0;
	}
	snap_stop = 1;
	for (int i = 0; i < SNAP_WRITERS; i++)
		if (tid[i] >= 0)
			thread_join(tid[i], 0);
	printf("cowtest: snapshot: %d forks under %d writing threads, %d snapshots changed\n",
	       SNAP_FORKS, SNAP_WRITERS, changed);
	return changed == 0 && tid[0] >= 0;
}

static volatile long many_page[PAGE / sizeof(long)] __attribute__((aligned(PAGE)));

static int test_many(void)
{
	int me = 0, status, wrong = 0;

	many_page[0] = -1;
	/* Three rounds of fork: 8 processes share the page. */
	for (int level = 0; level < 3; level++)
		if (fork() == 0)
			me |= 1 << level;
	for (int i = 0; i < 200; i++) {
		many_page[0] = me;
		many_page[PAGE / sizeof(long) - 1] = me;
		wrong += many_page[0] != me || many_page[PAGE / sizeof(long) - 1] != me;
		yield();
	}
	/* Each process waits for its own children, then reports up. */
	for (int level = 0; level < 3; level++)
		if (!(me & (1 << level)) && wait(&status) >= 0)
			wrong += status;
	if (me != 0)
		exit(wrong);
	printf("cowtest: many: 8 processes wrote one shared page at once, %d wrong\n", wrong);
	return wrong == 0;
}

#define SOLO_PAGES  32
#define SOLO_ROUNDS 20

static volatile char solo_buf[SOLO_PAGES * PAGE] __attribute__((aligned(PAGE)));

static void solo_write(char v)
{
	for (int i = 0; i < SOLO_PAGES; i++)
		solo_buf[i * PAGE] = v;
}

static int solo_check(char v)
{
	for (int i = 0; i < SOLO_PAGES; i++)
		if (solo_buf[i * PAGE] != v)
			return 0;
	return 1;
}

/* The solo process: a fresh address space that only ever runs on one hart. */
static int solo_run(void)
{
	struct kine_memstat before, after;
	int bad = 0, status;

	solo_write('s');
	memstat(&before, 0);
	for (int r = 0; r < SOLO_ROUNDS; r++) {
		int pid = fork();

		if (pid == 0) {
			solo_write('c');
			exit(solo_check('c') ? 0 : 1);
		}
		solo_write((char)('a' + r % 2));
		bad += wait(&status) != pid || status != 0 || !solo_check((char)('a' + r % 2));
	}
	memstat(&after, 0);
	unsigned long remote = (unsigned long)(after.tlb_shootdowns - before.tlb_shootdowns);
	unsigned long local = (unsigned long)(after.tlb_local_only - before.tlb_local_only);

	printf("cowtest: solo: %d forks on one hart, %lu COW faults, %lu local-only flushes, %lu "
	       "remote shootdowns, %d wrong\n",
	       SOLO_ROUNDS, (unsigned long)(after.cow_faults - before.cow_faults), local, remote,
	       bad);
	return bad == 0 && remote == 0 && local > 0 ? 0 : 1;
}

static int test_solo(int nharts)
{
	int pid, status;

	/* The child inherits the pin: its address space never meets another hart. */
	set_affinity(nharts > 1 ? 1 : 0);
	pid = fork();
	if (pid == 0)
		exit(solo_run());
	set_affinity(-1);
	if (pid < 0 || wait(&status) != pid)
		return fail("solo: fork");
	return status == 0;
}

static volatile long prot_page[PAGE / sizeof(long)] __attribute__((aligned(PAGE)));

/*
 * cowprot: mprotect(PROT_WRITE) of an inherited page must not make the
 * shared frame writable: the child's store after it stays the child's.
 * Also for a page that was read-only at fork (shared without the COW bit).
 */
#define TH_PAGES   16
#define TH_WORK    48 /* thread-rounds: each round fences every other hart, slow past 2 host cores */
#define TH_THREADS 8
#define TH_SLOT    (PAGE / sizeof(long) / TH_THREADS) /* longs between two threads' words */

static volatile long th_buf[TH_PAGES * PAGE / sizeof(long)] __attribute__((aligned(PAGE)));
static volatile int th_round, th_read, th_done, th_stop; /* shared by the threads */
static int th_nthreads, th_rounds;

/* Spin until *v reaches want; yield, so that threads sharing a hart get on. */
static void th_wait(volatile int *v, int want)
{
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want)
		yield();
}

static long th_value(int round, long t)
{
	return round * 100 + t;
}

/* Thread t, on hart t: each round, read every page, wait for all, write its word of each. */
static int th_worker(void *arg)
{
	long t = (long)arg;
	long sum = 0;

	set_affinity((int)t);
	for (int r = 1; r <= th_rounds; r++) {
		th_wait(&th_round, r);
		if (th_stop)
			break;
		for (int i = 0; i < TH_PAGES; i++)
			sum += th_buf[i * (PAGE / sizeof(long))];
		__atomic_add_fetch(&th_read, 1, __ATOMIC_ACQ_REL);
		th_wait(&th_read, r * th_nthreads);
		for (int i = 0; i < TH_PAGES; i++)
			th_buf[i * (PAGE / sizeof(long)) + t * TH_SLOT] = th_value(r, t);
		/* Thread 0 also forks mid-round: fork waits for every busy PTE (mm.c). */
		if (t == 0) {
			int pid = fork();

			if (pid == 0)
				exit(0);
			if (pid > 0)
				wait(0);
		}
		__atomic_add_fetch(&th_done, 1, __ATOMIC_ACQ_REL);
	}
	return (int)(sum & 1);
}

/* The round's child: the words of the round before, until the parent's check is over. */
static int th_child_check(int round, int fd)
{
	char c;
	int bad = 0;

	read(fd, &c, 1);
	for (int i = 0; i < TH_PAGES; i++)
		for (long t = 0; t < th_nthreads; t++)
			bad += th_buf[i * (PAGE / sizeof(long)) + t * TH_SLOT] !=
			       th_value(round - 1, t);
	return bad != 0;
}

static int test_threads(int nharts)
{
	struct kine_memstat before, after;
	int tid[TH_THREADS], lost = 0, changed = 0;

	th_nthreads = nharts < 2 ? 2 : nharts > TH_THREADS ? TH_THREADS : nharts;
	th_rounds = TH_WORK / th_nthreads;
	for (int i = 0; i < TH_PAGES; i++)
		for (long t = 0; t < th_nthreads; t++)
			th_buf[i * (PAGE / sizeof(long)) + t * TH_SLOT] = th_value(0, t);
	for (long t = 0; t < th_nthreads; t++)
		tid[t] = thread_create(th_worker, (void *)t);
	memstat(&before, 0);
	for (int r = 1; r <= th_rounds; r++) {
		int fds[2], pid, status;

		if (pipe(fds) < 0)
			return fail("threads: pipe");
		pid = fork(); /* holds every frame: each write copies */
		if (pid == 0) {
			close(fds[1]);
			exit(th_child_check(r, fds[0]));
		}
		close(fds[0]);
		__atomic_store_n(&th_round, r, __ATOMIC_RELEASE);
		th_wait(&th_done, r * th_nthreads);
		for (int i = 0; i < TH_PAGES; i++)
			for (long t = 0; t < th_nthreads; t++)
				lost += th_buf[i * (PAGE / sizeof(long)) + t * TH_SLOT] !=
					th_value(r, t);
		close(fds[1]); /* the child's read returns */
		wait(&status);
		changed += pid < 0 || status != 0;
	}
	for (int t = 0; t < th_nthreads; t++)
		if (tid[t] >= 0)
			thread_join(tid[t], 0);
	memstat(&after, 0);
	printf("cowtest: threads: %d threads wrote %d shared pages in %d rounds: %d words lost, "
	       "%d snapshots changed; %lu remote shootdowns, %lu busy waits, %lu untouched\n",
	       th_nthreads, TH_PAGES, th_rounds, lost, changed,
	       (unsigned long)(after.tlb_shootdowns - before.tlb_shootdowns),
	       (unsigned long)(after.cow_busy_waits - before.cow_busy_waits),
	       (unsigned long)(after.cow_untouched - before.cow_untouched));
	return lost == 0 && changed == 0 && tid[th_nthreads - 1] >= 0;
}

static int test_cowprot(void)
{
	int status, bad = 0;

	for (int ro = 0; ro < 2; ro++) {
		prot_page[0] = 1;
		if (ro && mprotect((void *)prot_page, PAGE, PROT_READ) < 0)
			return fail("cowprot: mprotect read-only");
		int pid = fork();

		if (pid == 0) {
			int err = mprotect((void *)prot_page, PAGE, PROT_READ | PROT_WRITE);

			prot_page[0] = 2;
			exit(err == 0 && prot_page[0] == 2 ? 0 : 1);
		}
		wait(&status);
		mprotect((void *)prot_page, PAGE, PROT_READ | PROT_WRITE);
		bad += status != 0 || prot_page[0] != 1;
		printf("cowtest: cowprot: child made its inherited %s page writable and wrote it: "
		       "status %d; parent sees %ld\n",
		       ro ? "read-only" : "copy-on-write", status, prot_page[0]);
	}
	return bad == 0;
}

int main(int argc, char **argv)
{
	int nharts = argc > 1 ? atoi(argv[1]) : 1;
	struct kine_memstat ms;
	int ok = 1;

	/* `cowtest N race`: the race alone, for the seeded runs (docs/robustness.md). */
	if (argc > 2 && strcmp(argv[2], "race") == 0) {
		ok = test_race(nharts);
		printf("cowtest: %s\n", ok ? "PASS" : "FAIL");
		return ok ? 0 : 1;
	}
	if (argc > 2 && strcmp(argv[2], "threads") == 0) {
		ok = test_threads(nharts);
		printf("cowtest: %s\n", ok ? "PASS" : "FAIL");
		return ok ? 0 : 1;
	}

	ok &= test_bigfork();
	ok &= test_three();
	ok &= test_piperead();
	ok &= test_race(nharts);
	ok &= test_snapshot();
	ok &= test_many();
	ok &= test_solo(nharts);
	ok &= test_threads(nharts);
	ok &= test_cowprot();
	memstat(&ms, 0);
	printf("cowtest: counters: %lu faults = %lu copies + %lu reuses: %s\n",
	       (unsigned long)ms.cow_faults, (unsigned long)ms.cow_copies,
	       (unsigned long)ms.cow_reuses,
	       ms.cow_faults == ms.cow_copies + ms.cow_reuses ? "adds up" : "DOES NOT ADD UP");
	ok &= ms.cow_faults == ms.cow_copies + ms.cow_reuses;
	printf("cowtest: tlb: %lu shootdowns to %lu remote harts, %lu local only, %lu whole-ASID, "
	       "%lu switch flushes, %lu ASID rollovers, %lu last frees\n",
	       (unsigned long)ms.tlb_shootdowns, (unsigned long)ms.tlb_harts,
	       (unsigned long)ms.tlb_local_only, (unsigned long)ms.tlb_full_asid,
	       (unsigned long)ms.tlb_switch_flushes, (unsigned long)ms.asid_rollovers,
	       (unsigned long)ms.cow_last_frees);
	printf("cowtest: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
