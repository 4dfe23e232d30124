/*
 * tabletest: page-table pages leaving a live address space (docs/cow.md,
 * "Table pages"). Each scenario empties a level-0 table while threads of
 * the process run on other harts, so the table's free must wait for a
 * whole-ASID shootdown that reaches them (the debug image's shadow TLB
 * panics otherwise, naming the hart that may still hold the link).
 *
 *   munmap   a page alone in its 2 MiB region, read by a thread on every
 *            other hart, is unmapped while they keep running
 *   threads  a thread whose stack is alone in its 2 MiB region is created
 *            and joined (the join unmaps the stack)
 *   sbrk     the heap grows across a 2 MiB boundary and shrinks back
 *   reuse    the freed table page may come back as heap: a child fills new
 *            heap pages with PTE-shaped words (valid, R W X U A D leaves)
 *            and loads from the unmapped address, which must still fault:
 *            on a core with a page-walk cache a missing whole flush would
 *            let the load walk into the heap page instead
 *   counters the kernel's table counters moved by at least the tables above
 *
 * `tabletest N` runs them all on N harts, `tabletest N SCENARIO` one alone.
 *
 * `tabletest bench [-i] [-s] [-r ROUNDS]` times, one by one, the two
 * operations whose cost the table rule changes (BENCHMARKS.md, "Table
 * pages"): munmap of a 16-page region alone in its 2 MiB region (all 16
 * pages touched first), and thread_create + thread_join of a thread whose
 * stack is alone in its region. -s keeps a second thread spinning on hart 1,
 * so every shootdown reaches a remote hart; without it the process runs on
 * hart 0 alone. -i reports instructions (rdinstret: 8 per instruction
 * under QEMU's `-icount shift=3`, every hart's alike: boot one hart and
 * leave out -s for exact counts) instead of guest ns (virt's 10 MHz time).
 * Prints the median and minimum of ROUNDS (default 200) per operation.
 * Prints one line per scenario; exits 0 when all pass. The harness checks
 * that the settled free-frame count comes back exactly.
 *
 * help: page-table pages freed while threads run (test)
 */
#include <kine/clock.h>
#include <kine/region.h>
#include <kine/user.h>

#define PAGE       4096ul
#define REGION     (2ul << 20) /* what one level-0 table maps */
#define ROUNDS     16
#define MAXHARTS   8
#define MAX_ROUNDS 1000 /* bench */

static int nharts;
static unsigned long *readers_page; /* atomic: the page the readers read */
static int phase;                   /* atomic: 0: read it; 1: keep off it; 2: exit */
static int stop_round;              /* atomic: bumped each time phase goes to 1 */
static int acks;                    /* atomic: readers that saw a stop_round and kept off */
static int readers_ready;           /* atomic */

/*
 * A thread on its own hart that keeps this address space running there,
 * reading readers_page while phase is 0. Once it sees phase 1 it acks the
 * stop round: its last load of the page is then over.
 */
static int reader(void *arg)
{
	unsigned long sum = 0;
	int acked = 0;

	set_affinity((int)(long)arg);
	__atomic_fetch_add(&readers_ready, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		int ph = __atomic_load_n(&phase, __ATOMIC_SEQ_CST);
		int round = __atomic_load_n(&stop_round, __ATOMIC_SEQ_CST);
		unsigned long *p = __atomic_load_n(&readers_page, __ATOMIC_SEQ_CST);

		if (ph == 2)
			break;
		if (ph == 0 && p != 0) {
			sum += *(volatile unsigned long *)p; /* the walk caches its table links */
		} else if (ph == 1 && round != acked) {
			acked = round;
			__atomic_fetch_add(&acks, 1, __ATOMIC_SEQ_CST);
		}
	}
	return (int)(sum & 1);
}

/* Stop the readers' loads of readers_page, and wait until none is in flight. */
static void readers_keep_off(void)
{
	int round;

	__atomic_store_n(&phase, 1, __ATOMIC_SEQ_CST);
	round = __atomic_add_fetch(&stop_round, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&acks, __ATOMIC_SEQ_CST) < (nharts - 1) * round)
		;
}

static int start_readers(int tid[])
{
	readers_ready = 0;
	acks = 0;
	stop_round = 0;
	phase = 1;
	for (int h = 0; h < nharts; h++)
		tid[h] = -1;
	for (int h = 1; h < nharts; h++)
		if ((tid[h] = thread_create(reader, (void *)(long)h)) < 0)
			return -1;
	while (readers_ready < nharts - 1)
		yield();
	return 0;
}

static void stop_readers(int tid[])
{
	__atomic_store_n(&phase, 2, __ATOMIC_SEQ_CST);
	for (int h = 1; h < nharts; h++)
		if (tid[h] >= 0)
			thread_join(tid[h], 0);
}

static int test_munmap(void)
{
	int tid[MAXHARTS], wrong = 0;

	if (start_readers(tid) < 0 || align_mmap_next(0) < 0)
		return 0;
	for (int r = 0; r < ROUNDS; r++) {
		unsigned long *p =
		    mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);

		if (p == (unsigned long *)-1 || (unsigned long)p % REGION != 0) {
			wrong++;
			break;
		}
		p[0] = r;
		__atomic_store_n(&readers_page, p, __ATOMIC_SEQ_CST);
		__atomic_store_n(&phase, 0, __ATOMIC_SEQ_CST);
		for (int i = 0; i < 1000; i++) /* let the readers walk it */
			wrong += ((volatile unsigned long *)p)[0] != (unsigned long)r;
		readers_keep_off();
		/* The readers keep running this address space, on their harts. */
		if (munmap(p, PAGE) < 0)
			wrong++;
		/* The next page must land alone in the next 2 MiB region. */
		if (align_mmap_next(0) < 0)
			wrong++;
	}
	stop_readers(tid);
	printf("tabletest: munmap: %d pages alone in their 2 MiB region unmapped under %d "
	       "readers, %d wrong\n",
	       ROUNDS, nharts - 1, wrong);
	return wrong == 0;
}

/* Touch the new thread's stack; return arg if what it wrote held. */
static int stack_user(void *arg)
{
	volatile char buf[3072];

	for (unsigned i = 0; i < sizeof(buf); i += 512)
		buf[i] = (char)(i / 512);
	return buf[3072 - 512] == 5 ? (int)(long)arg : -1;
}

static int test_threads(void)
{
	int tid[MAXHARTS], wrong = 0;

	if (start_readers(tid) < 0)
		return 0;
	for (int r = 0; r < ROUNDS; r++) {
		int t, status = -1;

		/* A stack goes one guard page above the area's next address. */
		if (align_mmap_next(PAGE) < 0)
			return 0;
		t = thread_create(stack_user, (void *)(long)r);
		if (t < 0 || thread_join(t, &status) < 0 || status != r)
			wrong++;
	}
	stop_readers(tid);
	printf("tabletest: threads: %d threads with a stack alone in its 2 MiB region joined "
	       "under %d readers, %d wrong\n",
	       ROUNDS, nharts - 1, wrong);
	return wrong == 0;
}

static int test_sbrk(void)
{
	int tid[MAXHARTS], wrong = 0;

	if (start_readers(tid) < 0)
		return 0;
	for (int r = 0; r < ROUNDS; r++) {
		char *old = sbrk(0);
		unsigned long grow = REGION + REGION - (unsigned long)old % REGION;
		char *p = sbrk((long)grow);

		if (p == (char *)-1) {
			wrong++;
			break;
		}
		for (unsigned long off = 0; off < grow; off += PAGE)
			p[off] = 1;
		if (sbrk(-(long)grow) == (char *)-1)
			wrong++;
	}
	stop_readers(tid);
	printf("tabletest: sbrk: %d heaps grown across two 2 MiB boundaries and shrunk back "
	       "under %d readers, %d wrong\n",
	       ROUNDS, nharts - 1, wrong);
	return wrong == 0;
}

/* A valid leaf for any physical page, as a forged table would hold. */
#define FORGED_LEAF(ppn) (((unsigned long)(ppn) << 10) | 0xdful) /* D A U X W R V */

static void reuse_child(void)
{
	volatile unsigned long *p;
	unsigned long *heap;

	if (align_mmap_next(0) < 0)
		exit(2);
	p = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	if (p == (unsigned long *)-1)
		exit(2);
	p[0] = 42;
	(void)p[0];
	munmap((void *)p, PAGE);
	/* Heap pages: the table page just freed may be among them. */
	heap = sbrk(64 * PAGE);
	if (heap == (unsigned long *)-1)
		exit(2);
	for (unsigned long i = 0; i < 64 * PAGE / sizeof(long); i++)
		heap[i] = FORGED_LEAF(0x80000 + i % 512);
	(void)p[0]; /* must fault: the process dies with status -1 */
	exit(3);
}

static int test_reuse(void)
{
	int status = 0, pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0)
		reuse_child();
	wait(&status);
	printf("tabletest: reuse: a load from the unmapped page after its table came back as "
	       "heap: child status %d\n",
	       status);
	return status == -1;
}

/* ---- bench: what the whole-ASID flush of a table costs ---- */

static int icount_mode;
static volatile int spinning = 1; /* the -s thread spins while set */

static unsigned long now(void)
{
	return kine_clock(icount_mode);
}

/* QEMU virt's timebase (10 MHz: 100 ns a tick), or instructions with -i. */
static unsigned long to_unit(unsigned long d)
{
	return icount_mode ? d >> KINE_ICOUNT_SHIFT : d * 100;
}

static int spinner(void *arg)
{
	(void)arg;
	set_affinity(1);
	while (spinning)
		;
	return 0;
}

static int nothing(void *arg)
{
	return (int)(long)arg;
}

static void sort(unsigned long *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void report(const char *what, unsigned long *v, int n)
{
	sort(v, n);
	printf("tabletest: bench: %s: %d rounds, median %lu %s, min %lu\n", what, n, v[n / 2],
	       icount_mode ? "insns" : "ns", v[0]);
}

static int bench_munmap16(unsigned long *v, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		char *p;
		unsigned long t0;

		if (align_mmap_next(0) < 0)
			return -1;
		p = mmap(0, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
		if (p == (char *)-1)
			return -1;
		for (int i = 0; i < 16; i++)
			p[i * PAGE] = 1;
		t0 = now();
		if (munmap(p, 16 * PAGE) < 0)
			return -1;
		v[r] = to_unit(now() - t0);
	}
	return 0;
}

static int bench_thread(unsigned long *v, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		unsigned long t0;
		int tid, status;

		if (align_mmap_next(PAGE) < 0) /* a stack goes one guard page up */
			return -1;
		t0 = now();
		tid = thread_create(nothing, (void *)(long)r);
		if (tid < 0 || thread_join(tid, &status) < 0 || status != r)
			return -1;
		v[r] = to_unit(now() - t0);
	}
	return 0;
}

static int bench_main(int argc, char **argv)
{
	static unsigned long v[MAX_ROUNDS];
	int rounds = 200, spin = 0, tid = -1;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-i") == 0)
			icount_mode = 1;
		else if (strcmp(argv[i], "-s") == 0)
			spin = 1;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else
			rounds = -1;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(2, "usage: tabletest bench [-i] [-s] [-r ROUNDS (1-%d)]\n", MAX_ROUNDS);
		return 2;
	}
	set_affinity(0);
	if (spin && (tid = thread_create(spinner, 0)) < 0) {
		fprintf(2, "tabletest: bench: no spinner thread\n");
		return 1;
	}
	if (bench_munmap16(v, rounds) < 0) {
		fprintf(2, "tabletest: bench: munmap16 failed\n");
		return 1;
	}
	report(spin ? "munmap16 (a thread spinning on hart 1)" : "munmap16", v, rounds);
	if (bench_thread(v, rounds) < 0) {
		fprintf(2, "tabletest: bench: thread create+join failed\n");
		return 1;
	}
	report(spin ? "thread create+join (a thread spinning on hart 1)" : "thread create+join", v,
	       rounds);
	spinning = 0;
	if (tid >= 0)
		thread_join(tid, 0);
	return 0;
}

/* tabletest N SCENARIO: that scenario alone (to see which one a broken kernel trips). */
static int run_one(const char *name)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} scenarios[] = {
	    {"munmap", test_munmap},
	    {"threads", test_threads},
	    {"sbrk", test_sbrk},
	    {"reuse", test_reuse},
	};

	for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(name, scenarios[i].name) == 0)
			return scenarios[i].fn() ? 0 : 1;
	fprintf(2, "tabletest: no scenario '%s' (munmap, threads, sbrk, reuse)\n", name);
	return 1;
}

int main(int argc, char **argv)
{
	struct kine_memstat before, after;
	unsigned long retired, freed, flushes;
	int ok = 1;

	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return bench_main(argc, argv);
	nharts = argc > 1 ? atoi(argv[1]) : 1;
	if (nharts < 1 || nharts > MAXHARTS) {
		fprintf(2, "tabletest: harts must be 1 to %d\n", MAXHARTS);
		return 1;
	}
	if (argc > 2)
		return run_one(argv[2]);
	if (memstat(&before, 0) < 0)
		return 1;
	ok &= test_munmap();
	ok &= test_threads();
	ok &= test_sbrk();
	ok &= test_reuse();
	if (memstat(&after, 1) < 0)
		return 1;
	retired = after.pt_retired - before.pt_retired;
	freed = after.pt_freed - before.pt_freed;
	flushes = after.tlb_table_flushes - before.tlb_table_flushes;
	printf("tabletest: counters: %lu table pages retired, %lu freed, %lu whole-ASID "
	       "shootdowns for them: %s\n",
	       retired, freed, flushes,
	       retired >= 3 * ROUNDS && freed == retired && flushes >= 3 * ROUNDS ? "enough"
										  : "too few");
	ok &= retired >= 3 * ROUNDS && freed == retired && flushes >= 3 * ROUNDS;
	printf("tabletest: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
