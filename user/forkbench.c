/*
 * forkbench: the user side of kine's benchmarks (tools/bench/bench.py boots
 * the images and collects the lines; BENCHMARKS.md explains each case).
 *
 *   forkbench [-i] fork  [-r REPS] [-s STRIDE] MIB...
 *                                          fork+exit+wait, MIB resident
 *                                          (and fork_mem: megapages mapped);
 *                                          before each fork, one page in
 *                                          STRIDE written (default 1: every
 *                                          page; the first fork's all)
 *   forkbench [-i] exec  [-r REPS] MIB...  fork+exec+wait, MIB resident
 *   forkbench [-i] fault [-n PAGES] [-t 0] null trap, 4 KiB memcpy, and the
 *                                          copy, reuse and (unless -t 0)
 *                                          two-threaded copy fault (the
 *                                          other thread running on hart 1,
 *                                          then asleep there), one store
 *                                          per page
 *   forkbench scale [-i] [-n PAGES] [-r REPS] procs|threads HARTS...
 *                                          COW fault throughput of HARTS
 *                                          processes (or threads of one),
 *                                          each on its own hart, writing
 *                                          PAGES pages each of a region
 *                                          aligned to 2 MiB (a level-0
 *                                          table): a slice each (with
 *                                          PAGES a multiple of 512, whole
 *                                          tables each), or with -i
 *                                          (interleaved; after "scale",
 *                                          unlike the clock's -i) worker w
 *                                          pages w, w+N, w+2N, ... (N
 *                                          workers: with N*PAGES <= 512
 *                                          all in one table); lock
 *                                          classes mm and pte counted
 *   forkbench pipe [-r REPS] MIB           MIB MiB through a pipe in 64 KiB
 *                                          writes, hart 0 to a reader on
 *                                          hart 1: MB/s
 *   forkbench [-i] share [-r REPS] [-w WMIB] MIB...
 *                                          issue 20 (tables shared by fork):
 *                                          fork+exit+wait and fork+exec+wait
 *                                          with the ptshare counters, then
 *                                          (up to WMIB MiB, default 256) one
 *                                          fork whose child reads every page,
 *                                          then writes every page, timed in
 *                                          the child, with the frames the
 *                                          child holds at each step
 *                                          (tools/bench/forkshare.py)
 *   forkbench [-i] touch [-r REPS] MIB...  issue 23 (megapages): sbrk of MIB
 *                                          MiB from a 2 MiB boundary, then
 *                                          one store per page, with the
 *                                          page faults they took
 *   forkbench [-i] read [-r REPS] MIB...   read one word per page, then
 *                                          every word, of a MIB MiB heap
 *   forkbench [-i] mega [-r REPS]          a write fault on a shared
 *                                          megapage (split + 4 KiB copy),
 *                                          the next store's 4 KiB copy, and
 *                                          the whole reuse by the only
 *                                          owner (tools/bench/thp.py)
 *   forkbench nop                          exit 0 (what exec runs)
 *
 * Each measurement is one line `kine: bench {json}`, the format of the
 * kernel's own bench lines. Times are guest time from the time CSR, in ns
 * (timebase from the lockstat dump's header). With -i the clock is instret
 * instead: under QEMU's `-icount shift=3` it advances 8 per instruction,
 * on every hart alike, so the figures are instructions, the same from run
 * to run (boot with bench.py's deterministic mode, on as few harts as the
 * case needs: other harts' instructions count too).
 *
 * Latency cases run in a child pinned to hart 0 whose address space never
 * ran anywhere else, so its shootdowns stay local (as cowtest's solo).
 *
 * help: fork, exec and fault benchmarks (./kine bench)
 */
#include <kine/clock.h>
#include <kine/user.h>

#define PAGE       4096
#define MAX_SAMPLE 4096
#define MAX_HARTS  8

static int icount_mode;
static unsigned long timebase_hz = 10000000; /* QEMU virt's; replaced by the kernel's */

static unsigned long now(void)
{
	return kine_clock(icount_mode);
}

/* A clock difference in the unit the lines report: ns, or instructions. */
static unsigned long to_unit(unsigned long d)
{
	if (icount_mode)
		return d >> KINE_ICOUNT_SHIFT;
	return d * 1000000000ul / timebase_hz;
}

static const char *unit(void)
{
	return icount_mode ? "insns" : "ns";
}

/* ---- the kernel's counters ---- */

static char lockbuf[32768];

/* The first occurrence of key in s, or NULL (the C library has no strstr). */
static const char *find(const char *s, const char *key)
{
	size_t n = strlen(key);

	for (; *s != '\0'; s++)
		if (strncmp(s, key, n) == 0)
			return s;
	return NULL;
}

/* The lockstat dump's timebase, so that ns mean guest ns on any board. */
static void read_timebase(void)
{
	const char *p;

	if (lockstat(lockbuf, sizeof(lockbuf), 0) < 0)
		return;
	p = find(lockbuf, "timebase_hz=");
	if (p != NULL && atoi(p + 12) > 0)
		timebase_hz = (unsigned long)atoi(p + 12);
}

static unsigned long field(const char *line, const char *key)
{
	const char *p = find(line, key);
	unsigned long v = 0;

	if (p == NULL)
		return 0;
	for (p += strlen(key); *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return v;
}

/* One lock class's counts from the dump (docs/lockstat.md). */
struct class_counts {
	const char *name; /* the class to pick out, e.g. "mm" */
	unsigned long acq, con, bounce;
};

/* Is the dump line's name= field exactly name? */
static int is_class(const char *line, const char *name)
{
	const char *p = find(line, " name=");
	size_t n = strlen(name);

	return p != NULL && strncmp(p + 6, name, n) == 0 && (p[6 + n] == ' ' || p[6 + n] == '\0');
}

/*
 * Contentions since the last reset, all classes, and the most contended
 * class's name (into top, up to 23 characters); resets the counts. The
 * classes named in pick[0 .. npick) get their acquisitions, contentions
 * and acquisition bounces (summed over kinds, spin and sleep).
 */
static unsigned long lock_contentions(char *top, unsigned long *top_con, struct class_counts *pick,
				      int npick)
{
	unsigned long total = 0;
	char *line = lockbuf;

	top[0] = '\0';
	*top_con = 0;
	for (int i = 0; i < npick; i++)
		pick[i].acq = pick[i].con = pick[i].bounce = 0;
	if (lockstat(lockbuf, sizeof(lockbuf) - 1, LOCKSTAT_RESET) < 0)
		return 0;
	lockbuf[sizeof(lockbuf) - 1] = '\0';
	while (line != NULL && *line != '\0') {
		char *end = line, *next;

		while (*end != '\n' && *end != '\0')
			end++;
		next = *end == '\n' ? end + 1 : NULL;
		*end = '\0';
		if (strncmp(line, "lockstat v1 class ", 18) == 0) {
			unsigned long con = field(line, " con=");
			const char *name = find(line, " name=");

			total += con;
			for (int i = 0; i < npick; i++) {
				if (is_class(line, pick[i].name)) {
					pick[i].acq += field(line, " acq=");
					pick[i].con += con;
					pick[i].bounce += field(line, " acq_bounce=");
				}
			}
			if (con > *top_con && name != NULL) {
				int i = 0;

				for (name += 6; name[i] != ' ' && name[i] != '\0' && i < 23; i++)
					top[i] = name[i];
				top[i] = '\0';
				*top_con = con;
			}
		}
		line = next;
	}
	return total;
}

/* ---- samples ---- */

static unsigned long samples[MAX_SAMPLE];

static void sort(unsigned long *a, int n)
{
	for (int i = 1; i < n; i++) {
		unsigned long v = a[i];
		int j = i - 1;

		for (; j >= 0 && a[j] > v; j--)
			a[j + 1] = a[j];
		a[j + 1] = v;
	}
}

/* Print median, min, max and mean of samples[0..n) (clock units, converted). */
static void print_stats(int n)
{
	unsigned long sum = 0;

	for (int i = 0; i < n; i++)
		sum += samples[i];
	sort(samples, n);
	printf("\"n\":%d,\"unit\":\"%s\",\"median\":%lu,\"min\":%lu,\"max\":%lu,\"mean\":%lu}\n", n,
	       unit(), to_unit(samples[n / 2]), to_unit(samples[0]), to_unit(samples[n - 1]),
	       to_unit(sum / (unsigned long)n));
}

/*
 * fork/exec's -s: write one page in touch_stride before each fork but the
 * first. A diagnostic of guest time under QEMU, whose software TLB grows
 * with the pages a process touches and is cleared whole at every full
 * flush and satp write, at a cost that grows with it (BENCHMARKS.md, "Fork
 * with shared tables"): a stride of 512 (one page per 2 MiB) still makes
 * every shared table's link valid again before the next fork.
 */
static long touch_stride = 1;
static int touched_once;

static void touch(volatile char *p, long pages, char v)
{
	long stride = touched_once ? touch_stride : 1;

	touched_once = 1;
	for (long i = 0; i < pages; i += stride)
		p[i * PAGE] = v;
}

/* ---- fork and exec ---- */

/*
 * One timed fork+exit+wait (do_exec: fork+exec+wait) of this process, its
 * pages p[0 .. pages) written first with v (every page private and
 * writable, as in a busy parent): the time in *took, the counters just
 * before the fork in *before (if not NULL). 0, or fork's error or the
 * child's wrong status.
 */
static int fork_once(int do_exec, char *p, long pages, char v, unsigned long *took,
		     struct kine_memstat *before)
{
	char *argv[] = {"forkbench", "nop", 0};
	unsigned long t0;
	int pid, status = -1;

	touch(p, pages, v);
	if (before != NULL)
		memstat(before, 0);
	t0 = now();
	pid = fork();
	if (pid == 0) {
		if (do_exec)
			exec("forkbench", argv);
		exit(do_exec ? 1 : 0);
	}
	if (pid < 0)
		return pid;
	if (wait(&status) != pid || status != 0)
		return status != 0 ? status : -1;
	*took = now() - t0;
	return 0;
}

/*
 * fork+exit+wait (exec: fork+exec+wait) with mib MiB written just before.
 * A second line, fork_mem, says how the heap was mapped (megapages, or
 * 4 KiB pages where no order-9 block was free) and what the reps cost in
 * faults (after each fork the parent's next writes fault: one whole reuse
 * per megapage once the child is gone).
 */
static int bench_fork(int do_exec, int reps, int mib)
{
	long pages = (long)mib * 256;
	struct kine_memstat m0, m1, m2;
	char *p;

	memstat(&m0, 0);
	p = sbrk(pages * PAGE);
	memstat(&m1, 0);
	if (p == (void *)-1 || reps > MAX_SAMPLE)
		return 0;
	touched_once = 0; /* this size's first fork: every page */
	for (int r = 0; r < reps; r++) {
		int err = fork_once(do_exec, p, pages, (char)r, &samples[r], NULL);

		if (err != 0) {
			printf("forkbench: %s with %d MiB: failed (%d)\n",
			       do_exec ? "exec" : "fork", mib, err);
			sbrk(-pages * PAGE);
			return 0;
		}
	}
	memstat(&m2, 0);
	sbrk(-pages * PAGE);
	printf("kine: bench {\"bench\":\"%s\",\"mib\":%d,",
	       do_exec ? "fork_exec" : "fork_exit_wait", mib);
	print_stats(reps);
	printf("kine: bench {\"bench\":\"fork_mem\",\"exec\":%d,\"mib\":%d,\"mega_maps\":%lu,"
	       "\"mega_fallbacks\":%lu,\"page_faults\":%lu,\"mega_splits\":%lu,"
	       "\"mega_whole_reuses\":%lu,\"cow_copies\":%lu,\"cow_reuses\":%lu,\"wakes\":%lu,"
	       "\"takeovers\":%lu,\"reps\":%d}\n",
	       do_exec, mib, (unsigned long)(m2.mega_maps - m0.mega_maps),
	       (unsigned long)(m2.mega_fallbacks - m0.mega_fallbacks),
	       (unsigned long)(m2.page_faults - m1.page_faults),
	       (unsigned long)(m2.mega_splits - m1.mega_splits),
	       (unsigned long)(m2.mega_whole_reuses - m1.mega_whole_reuses),
	       (unsigned long)(m2.cow_copies - m1.cow_copies),
	       (unsigned long)(m2.cow_reuses - m1.cow_reuses),
	       (unsigned long)(m2.ptshare_wakes - m1.ptshare_wakes),
	       (unsigned long)(m2.ptshare_takeovers - m1.ptshare_takeovers), reps);
	return 1;
}

/* ---- shared tables (issue 20): fork, exec, and where the cost went ---- */

#define SD(f) ((unsigned long)(sb.f - sa.f))

/* A record that a size could not be measured (a fork or sbrk failed: out of memory). */
static void share_error(const char *what, int mib, int err)
{
	printf("kine: bench {\"bench\":\"%s\",\"mib\":%d,\"error\":%d}\n", what, mib, err);
}

/* fork+exit+wait (exec: fork+exec+wait), reps times, with the ptshare counters of the last. */
static int share_fork(int do_exec, int reps, int mib, char *p, long pages)
{
	const char *name = do_exec ? "share_fork_exec" : "share_fork_exit_wait";
	struct kine_memstat sa, sb;

	for (int r = 0; r < reps; r++) {
		int err = fork_once(do_exec, p, pages, (char)r, &samples[r], &sa);

		if (err != 0) {
			share_error(name, mib, err);
			return 0;
		}
		memstat(&sb, 0);
	}
	printf("kine: bench {\"bench\":\"%s\",\"mib\":%d,\"links\":%lu,\"leaves\":%lu,"
	       "\"wakes\":%lu,\"protects\":%lu,\"copies\":%lu,\"takeovers\":%lu,\"frees\":%lu,",
	       name, mib, SD(ptshare_links), SD(fork_leaves), SD(ptshare_wakes),
	       SD(ptshare_protects), SD(ptshare_copies), SD(ptshare_takeovers), SD(ptshare_frees));
	print_stats(reps);
	return 1;
}

/* What the child of share_rw measured, in a MAP_SHARED page. */
struct share_result {
	unsigned long read, write; /* clock units */
	unsigned long read_wakes, read_copies, write_copies, write_takeovers, write_cow_copies;
};

/*
 * One fork of a parent with `pages` written; the child, parked between
 * steps in a pipe read (so the parent's memstat runs while it holds what
 * it holds), reads every page, then writes every page. Returns 0 if the
 * fork failed or the child did not finish (out of memory).
 */
static int share_rw_once(char *p, long pages, struct share_result *res, unsigned long frames[4])
{
	int p2c[2], c2p[2], pid, status = -1;
	char c;

	if (pipe(p2c) < 0 || pipe(c2p) < 0)
		return 0;
	memset(res, 0, sizeof(*res));
	frames[0] = settled_free();
	pid = fork();
	if (pid == 0) {
		struct kine_memstat m0, m1, mw, m2;
		volatile char *v = p;
		char sink = 0;
		unsigned long t0, t1, t2;

		close(p2c[1]);
		close(c2p[0]);
		read(p2c[0], &c, 1);
		memstat(&m0, 0);
		t0 = now();
		for (long i = 0; i < pages; i++)
			sink += v[i * PAGE];
		t1 = now();
		memstat(&m1, 0);
		write(c2p[1], &sink, 1);
		read(p2c[0], &c, 1);
		memstat(&mw, 0);
		t2 = now();
		for (long i = 0; i < pages; i++)
			v[i * PAGE] = (char)(i + 1);
		res->write = now() - t2;
		memstat(&m2, 0);
		res->read = t1 - t0;
		res->read_wakes = (unsigned long)(m1.ptshare_wakes - m0.ptshare_wakes);
		res->read_copies = (unsigned long)(m1.ptshare_copies - m0.ptshare_copies);
		res->write_copies = (unsigned long)(m2.ptshare_copies - mw.ptshare_copies);
		res->write_takeovers = (unsigned long)(m2.ptshare_takeovers - mw.ptshare_takeovers);
		res->write_cow_copies = (unsigned long)(m2.cow_copies - mw.cow_copies);
		write(c2p[1], &sink, 1);
		read(p2c[0], &c, 1); /* EOF: the parent has counted */
		exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	if (pid < 0) {
		close(p2c[1]);
		close(c2p[0]);
		return 0;
	}
	frames[1] = settled_free();
	write(p2c[1], "r", 1);
	if (read(c2p[0], &c, 1) == 1) {
		frames[2] = settled_free();
		write(p2c[1], "w", 1);
		if (read(c2p[0], &c, 1) == 1)
			frames[3] = settled_free();
	}
	close(p2c[1]);
	close(c2p[0]);
	return wait(&status) == pid && status == 0;
}

static int share_rw(int reps, int mib, char *p, long pages, unsigned long *reads,
		    unsigned long *writes)
{
	struct share_result *res =
	    mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	unsigned long frames[4] = {0, 0, 0, 0};

	if (res == (void *)-1)
		return 0;
	for (int r = 0; r < reps; r++) {
		touch(p, pages, (char)r);
		if (!share_rw_once(p, pages, res, frames)) {
			share_error("share_child_read", mib, -ENOMEM);
			munmap(res, PAGE);
			return 0;
		}
		reads[r] = res->read;
		writes[r] = res->write;
	}
	/* Frames a forked child held: at fork (tables; eager: the copies too), after its reads, after its writes. */
	printf("kine: bench {\"bench\":\"share_frames\",\"mib\":%d,\"at_fork\":%ld,"
	       "\"after_read\":%ld,\"after_write\":%ld,\"pages\":%ld}\n",
	       mib, (long)(frames[0] - frames[1]), (long)(frames[0] - frames[2]),
	       (long)(frames[0] - frames[3]), pages);
	memcpy(samples, reads, sizeof(unsigned long) * (size_t)reps);
	printf("kine: bench {\"bench\":\"share_child_read\",\"mib\":%d,\"wakes\":%lu,"
	       "\"copies\":%lu,",
	       mib, res->read_wakes, res->read_copies);
	print_stats(reps);
	memcpy(samples, writes, sizeof(unsigned long) * (size_t)reps);
	printf("kine: bench {\"bench\":\"share_child_write\",\"mib\":%d,\"copies\":%lu,"
	       "\"takeovers\":%lu,\"cow_copies\":%lu,",
	       mib, res->write_copies, res->write_takeovers, res->write_cow_copies);
	print_stats(reps);
	munmap(res, PAGE);
	return 1;
}

/* Every size: fork, exec, then (up to wmib) the child's reads and writes. Never fails. */
static int bench_share(int reps, int wmib, int argc, char **argv)
{
	/*
	 * Before the sbrk of any size (malloc grows the heap too); not in .bss,
	 * which would move the pages the fault cases count.
	 */
	unsigned long *reads = malloc(sizeof(unsigned long) * 3);
	unsigned long *writes = malloc(sizeof(unsigned long) * 3);
	unsigned long warm;

	if (reads == NULL || writes == NULL)
		return 0;
	/*
	 * One fork+exit+wait and one fork+exec+wait untimed first: the first
	 * size's figures were otherwise a boot's first forks (in guest time
	 * under QEMU, 1.5x the next size's, whatever the mode).
	 */
	if (fork_once(0, NULL, 0, 0, &warm, NULL) != 0 ||
	    fork_once(1, NULL, 0, 0, &warm, NULL) != 0)
		return 0;
	for (int i = 0; i < argc; i++) {
		int mib = atoi(argv[i]);
		long pages = (long)mib * 256;
		char *p = sbrk(pages * PAGE);

		if (p == (void *)-1) {
			share_error("share_fork_exit_wait", mib, -ENOMEM);
			continue;
		}
		share_fork(0, reps, mib, p, pages);
		share_fork(1, reps, mib, p, pages);
		if (mib <= wmib)
			share_rw(reps < 3 ? reps : 3, mib, p, pages, reads, writes);
		sbrk(-pages * PAGE);
	}
	return 1;
}

/* ---- fault latency ---- */

/*
 * A child that keeps its references to every frame until released, parked
 * in a pipe read so that it takes no hart time meanwhile. It says it is
 * about to block through a MAP_SHARED flag; on the same hart as the parent
 * it runs until it blocks before the parent resumes.
 */
static volatile char sink; /* reads that must happen */
static volatile int *parked;
static int park_pipe[2];

static int fork_parked(void)
{
	int pid;

	*parked = 0;
	if (pipe(park_pipe) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(park_pipe[1]);
		*parked = 1;
		read(park_pipe[0], &c, 1);
		exit(0);
	}
	close(park_pipe[0]);
	while (pid > 0 && !*parked)
		yield();
	return pid;
}

static void release_parked(int pid)
{
	int w;

	close(park_pipe[1]); /* the child's read returns 0 */
	do
		w = wait(0);
	while (w >= 0 && w != pid);
}

static struct kine_memstat ms0, ms1;

/* One timed store per page; prints the line with the COW and TLB counter deltas. */
static void timed_stores(const char *name, volatile char *p, int pages, char v)
{
	memstat(&ms0, 0);
	for (int i = 0; i < pages; i++) {
		unsigned long t0 = now();

		p[(long)i * PAGE] = v;
		samples[i] = now() - t0;
	}
	memstat(&ms1, 0);
	printf("kine: bench {\"bench\":\"fault_%s\",\"cow_faults\":%lu,\"copies\":%lu,"
	       "\"untouched\":%lu,\"reuses\":%lu,\"remote_shootdowns\":%lu,\"remote_harts\":%lu,"
	       "\"local_only\":%lu,",
	       name, (unsigned long)(ms1.cow_faults - ms0.cow_faults),
	       (unsigned long)(ms1.cow_copies - ms0.cow_copies),
	       (unsigned long)(ms1.cow_untouched - ms0.cow_untouched),
	       (unsigned long)(ms1.cow_reuses - ms0.cow_reuses),
	       (unsigned long)(ms1.tlb_shootdowns - ms0.tlb_shootdowns),
	       (unsigned long)(ms1.tlb_harts - ms0.tlb_harts),
	       (unsigned long)(ms1.tlb_local_only - ms0.tlb_local_only));
	print_stats(pages);
}

/*
 * The second thread of the two-threaded copy cases, pinned to hart 1. It
 * never writes the measured pages.
 *  - HELPER_READS: once the fork is done, it reads every measured page
 *    (so hart 1's TLB may hold each: fork left them unaccessed, and now
 *    they are not), then stays in user mode on hart 1, reading a flag of
 *    the shared page until the measurement ends: hart 1 runs the mm
 *    throughout (mm->active), and every copy fault on hart 0 must fence it.
 *  - HELPER_SPINS: the same, without reading the pages: none is in any
 *    TLB, and the copy faults need no fence at all (src/mm/cow.c).
 *  - HELPER_SLEEPS: it ran on hart 1 and waits in a pipe read there, so
 *    hart 1 is in the mm's mask but not running it, and lazy shootdowns
 *    leave it alone (src/mm/tlb.c; it flushes when it next loads the mm).
 */
enum helper_mode { HELPER_SLEEPS, HELPER_SPINS, HELPER_READS };

static volatile int helper_ready;
static volatile int *helper_stop; /* in the shared page: never copied on write */
static volatile int *helper_go;   /* ... the fork is done: read the pages */
static volatile int *helper_read; /* ... they are read */
static int helper_pipe[2];
static volatile char *helper_pages;
static int helper_npages;

static int helper(void *arg)
{
	enum helper_mode mode = (enum helper_mode)(long)arg;
	char c;

	set_affinity(1);
	helper_ready = 1;
	if (mode == HELPER_SLEEPS) {
		read(helper_pipe[0], &c, 1);
		return 0;
	}
	while (!*helper_go)
		;
	if (mode == HELPER_READS)
		for (int i = 0; i < helper_npages; i++)
			c += helper_pages[(long)i * PAGE];
	*helper_read = c | 1;
	while (!*helper_stop)
		;
	return 0;
}

/* A copy case with a second thread on hart 1 (enum helper_mode). */
static int copy_two_threads(const char *name, volatile char *p, int pages, enum helper_mode mode,
			    char v)
{
	int pid, tid;

	helper_ready = 0;
	*helper_stop = *helper_go = *helper_read = 0;
	helper_pages = p;
	helper_npages = pages;
	if (mode == HELPER_SLEEPS && pipe(helper_pipe) < 0)
		return 0;
	tid = thread_create(helper, (void *)(long)mode);
	while (tid >= 0 && !helper_ready)
		yield();
	if (tid < 0)
		return 0;
	if (mode == HELPER_SLEEPS)
		sleep(2); /* until it blocks in its read (20 ms; it needs microseconds) */
	touch(p, pages, v);
	pid = fork_parked();
	*helper_go = 1;
	while (mode != HELPER_SLEEPS && !*helper_read)
		;
	timed_stores(name, p, pages, (char)(v + 1));
	if (mode == HELPER_SLEEPS) {
		write(helper_pipe[1], "x", 1);
	} else {
		*helper_stop = 1;
	}
	release_parked(pid);
	thread_join(tid, 0);
	if (mode == HELPER_SLEEPS) {
		close(helper_pipe[0]);
		close(helper_pipe[1]);
	}
	return 1;
}

static int bench_fault(int pages, int mt)
{
	volatile char *p;
	char *src, *dst;
	int pid;

	if (pages > MAX_SAMPLE)
		pages = MAX_SAMPLE;
	parked = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	p = sbrk((long)pages * PAGE);
	src = sbrk((long)pages * PAGE);
	/*
	 * dst starts 7 pages further than pages * PAGE from src: with a power
	 * of two apart, page i of each would share a slot of QEMU's direct-mapped
	 * software TLB and every access would miss (5x slower than the kernel's
	 * copy between two frames of its direct map).
	 */
	dst = sbrk((long)(pages + 7) * PAGE);
	if (parked == (void *)-1 || p == (void *)-1 || src == (void *)-1 || dst == (void *)-1)
		return 0;
	helper_stop = parked + 16;
	helper_go = parked + 17;
	helper_read = parked + 18;
	dst += 7 * PAGE;

	/* The null trap: a system call that does nothing, there and back. */
	for (int i = 0; i < pages; i++) {
		unsigned long t0 = now();

		getpid();
		samples[i] = now() - t0;
	}
	printf("kine: bench {\"bench\":\"null_syscall\",");
	print_stats(pages);

	/* The copy alone: 4 KiB, a different pair of pages each time. */
	touch(src, pages, 's');
	touch(dst, pages, 'd');
	for (int i = 0; i < pages; i++) {
		unsigned long t0 = now();

		memcpy(dst + (long)i * PAGE, src + (long)i * PAGE, PAGE);
		samples[i] = now() - t0;
	}
	printf("kine: bench {\"bench\":\"memcpy_4k\",");
	print_stats(pages);

	/*
	 * Copy: a parked child still holds every frame. The first access to
	 * each page since fork is the store, so no TLB holds the page and the
	 * copy flushes nothing (src/mm/cow.c); copy_read reads every page first,
	 * so each copy must flush this hart's entry.
	 */
	touch(p, pages, 'a');
	pid = fork_parked();
	timed_stores("copy", p, pages, 'b');
	release_parked(pid);
	pid = fork_parked();
	for (int i = 0; i < pages; i++)
		sink += p[(long)i * PAGE];
	timed_stores("copy_read", p, pages, 'B');
	release_parked(pid);

	/* Reuse: the child is gone, this process is the last owner of each frame. */
	pid = fork();
	if (pid == 0)
		exit(0);
	wait(0);
	timed_stores("reuse", p, pages, 'c');

	/*
	 * Copy in a two-threaded process whose other thread runs on hart 1
	 * and has read every page (every copy fences hart 1), whose other
	 * thread runs there but never touched them (no copy fences anyone),
	 * and whose other thread sleeps there (lazy shootdowns fence nobody).
	 */
	if (!mt)
		return 1;
	return copy_two_threads("copy_mt", p, pages, HELPER_READS, 'e') &&
	       copy_two_threads("copy_mt_untouched", p, pages, HELPER_SPINS, 'g') &&
	       copy_two_threads("copy_mt_sleep", p, pages, HELPER_SLEEPS, 'i');
}

/* ---- megapages (issue 23, tools/bench/thp.py) ---- */

#define MEGA (512l * PAGE) /* what one level-1 leaf maps: 2 MiB */

/* Counter deltas over one measured window, summed over the reps. */
struct mega_delta {
	unsigned long faults, maps, fallbacks, splits, whole_reuses, cow_copies, cow_reuses,
	    table_copies, takeovers;
};

#define MD(f) ((unsigned long)(b->f - a->f))

static void mega_add(struct mega_delta *d, const struct kine_memstat *a,
		     const struct kine_memstat *b)
{
	d->faults += MD(page_faults);
	d->maps += MD(mega_maps);
	d->fallbacks += MD(mega_fallbacks);
	d->splits += MD(mega_splits);
	d->whole_reuses += MD(mega_whole_reuses);
	d->cow_copies += MD(cow_copies);
	d->cow_reuses += MD(cow_reuses);
	d->table_copies += MD(ptshare_copies);
	d->takeovers += MD(ptshare_takeovers);
}

/* One line: the counter deltas (totals over n reps), then the stats of t[0..n). */
static void mega_print(const char *name, int mib, const struct mega_delta *d, unsigned long *t,
		       int n)
{
	printf("kine: bench {\"bench\":\"%s\",", name);
	if (mib >= 0)
		printf("\"mib\":%d,", mib);
	printf("\"page_faults\":%lu,\"maps\":%lu,\"fallbacks\":%lu,\"splits\":%lu,"
	       "\"whole_reuses\":%lu,\"cow_copies\":%lu,\"cow_reuses\":%lu,\"table_copies\":%lu,"
	       "\"takeovers\":%lu,",
	       d->faults, d->maps, d->fallbacks, d->splits, d->whole_reuses, d->cow_copies,
	       d->cow_reuses, d->table_copies, d->takeovers);
	memcpy(samples, t, sizeof(unsigned long) * (size_t)n);
	print_stats(n);
}

/*
 * Move the break up to a 2 MiB boundary, so that the next sbrk of whole
 * MiBs is judged on whole megapages (each sbrk call is judged alone).
 */
static void align_break(void)
{
	unsigned long b = (unsigned long)sbrk(0);

	if (b % MEGA != 0)
		sbrk((long)(MEGA - b % MEGA));
}

/*
 * The cost of mapping a heap and using it: sbrk(MIB MiB) from a 2 MiB
 * boundary, then one store per page, reps times (shrunk back in between).
 * kine maps anonymous memory at sbrk (megapages taken and zeroed there),
 * so the stores should take no fault at all: the line counts them.
 */
static int bench_touch(int reps, int mib)
{
	long pages = (long)mib * 256;
	unsigned long *t_sbrk = malloc(sizeof(unsigned long) * (size_t)reps);
	unsigned long *t_store = malloc(sizeof(unsigned long) * (size_t)reps);
	unsigned long *t_all = malloc(sizeof(unsigned long) * (size_t)reps);
	struct kine_memstat *m = malloc(2 * sizeof(*m));
	struct mega_delta d;

	if (t_sbrk == NULL || t_store == NULL || t_all == NULL || m == NULL)
		return 0;
	memset(&d, 0, sizeof(d));
	align_break();
	for (int r = 0; r < reps; r++) {
		unsigned long t0, t1, t2;
		volatile char *p;

		memstat(&m[0], 0);
		t0 = now();
		p = sbrk(pages * PAGE);
		t1 = now();
		if (p == (void *)-1) {
			share_error("touch", mib, -ENOMEM);
			return 0;
		}
		for (long i = 0; i < pages; i++)
			p[i * PAGE] = (char)(r + 1);
		t2 = now();
		memstat(&m[1], 0);
		sbrk(-pages * PAGE);
		mega_add(&d, &m[0], &m[1]);
		t_sbrk[r] = t1 - t0;
		t_store[r] = t2 - t1;
		t_all[r] = t2 - t0;
	}
	mega_print("touch_sbrk", mib, &d, t_sbrk, reps);
	mega_print("touch_stores", mib, &d, t_store, reps);
	mega_print("touch", mib, &d, t_all, reps);
	return 1;
}

/*
 * Reading a heap of MIB MiB (from a 2 MiB boundary, every page written
 * first): one word per page, then every word, reps times each. What
 * megapages change here is the TLB's reach (docs/cow.md, "Megapages").
 */
static int bench_read(int reps, int mib)
{
	long pages = (long)mib * 256, words = pages * (PAGE / (long)sizeof(long));
	unsigned long *t_pages = malloc(sizeof(unsigned long) * (size_t)reps);
	unsigned long *t_words = malloc(sizeof(unsigned long) * (size_t)reps);
	struct kine_memstat *m = malloc(3 * sizeof(*m));
	struct mega_delta map, rd;
	volatile long *p;
	long sum = 0;

	if (t_pages == NULL || t_words == NULL || m == NULL)
		return 0;
	memset(&map, 0, sizeof(map));
	memset(&rd, 0, sizeof(rd));
	align_break();
	memstat(&m[0], 0);
	p = sbrk(pages * PAGE);
	if (p == (void *)-1) {
		share_error("read_pages", mib, -ENOMEM);
		return 0;
	}
	touch((volatile char *)p, pages, 1);
	memstat(&m[1], 0);
	mega_add(&map, &m[0], &m[1]);
	for (int r = 0; r < reps; r++) {
		unsigned long t0 = now();

		for (long i = 0; i < pages; i++)
			sum += p[i * (PAGE / (long)sizeof(long))];
		t_pages[r] = now() - t0;
		t0 = now();
		for (long i = 0; i < words; i++)
			sum += p[i];
		t_words[r] = now() - t0;
	}
	memstat(&m[2], 0);
	mega_add(&rd, &m[1], &m[2]);
	sink = (char)sum;
	sbrk(-pages * PAGE);
	/* maps and fallbacks: the heap's mapping; page_faults: the reads' (0 expected). */
	map.faults = rd.faults;
	mega_print("read_pages", mib, &map, t_pages, reps);
	mega_print("read_words", mib, &map, t_words, reps);
	return 1;
}

/*
 * A write fault on a shared megapage. Each rep maps a fresh 4 MiB of
 * private memory (so a 2 MiB-aligned 2 MiB lies inside it: a megapage
 * with thp=on), writes its first page, then
 *  - forks a child that stays parked (it keeps mapping the block whole):
 *    one store to page 5 (mega_split_store: the split, then the 4 KiB COW
 *    copy of that page), then one to page 6 (mega_split_next: a plain
 *    4 KiB COW copy in the table the split made);
 *  - on a second fresh mapping, forks a child that exits at once: one
 *    store (mega_reuse_store: the megapage made writable whole).
 * With thp=off the same stores are the 4 KiB COW faults of a table fork
 * shared (ptshare=on: the first one copies the table too). mega_plain_store
 * is a store that does not fault, for scale. Timed windows hold only the
 * store: every page the counters' copyouts write is made this process's
 * own before the window opens.
 */
static int bench_mega(int reps)
{
	unsigned long *t_first = malloc(sizeof(unsigned long) * (size_t)reps);
	unsigned long *t_next = malloc(sizeof(unsigned long) * (size_t)reps);
	unsigned long *t_reuse = malloc(sizeof(unsigned long) * (size_t)reps);
	unsigned long *t_plain = malloc(sizeof(unsigned long) * (size_t)reps);
	struct kine_memstat *m = malloc(3 * sizeof(*m));
	struct mega_delta first, next, reuse, plain, maps;

	parked = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	if (t_first == NULL || t_next == NULL || t_reuse == NULL || t_plain == NULL || m == NULL ||
	    parked == (void *)-1)
		return 0;
	memset(&first, 0, sizeof(first));
	memset(&next, 0, sizeof(next));
	memset(&reuse, 0, sizeof(reuse));
	memset(&plain, 0, sizeof(plain));
	memset(&maps, 0, sizeof(maps));
	for (int r = 0; r < reps; r++) {
		for (int reuse_case = 0; reuse_case < 2; reuse_case++) {
			unsigned long t0, t1, t2, t3;
			char *map;
			volatile char *p;
			int pid;

			memstat(&m[0], 0);
			map =
			    mmap(0, 2 * MEGA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
			memstat(&m[1], 0);
			if (map == (void *)-1)
				return 0;
			mega_add(&maps, &m[0], &m[1]);
			p = (char *)(((unsigned long)map + MEGA - 1) & ~(MEGA - 1));
			p[0] = 1;
			if (!reuse_case) {
				memstat(&m[0], 0);
				t0 = now();
				p[PAGE] = 1;
				t1 = now();
				memstat(&m[1], 0);
				mega_add(&plain, &m[0], &m[1]);
				t_plain[r] = t1 - t0;
				pid = fork_parked();
			} else {
				pid = fork();
				if (pid == 0)
					exit(0);
				if (pid > 0)
					wait(0);
			}
			if (pid < 0)
				return 0;
			/* After fork: copy-on-write pages of our own before any window. */
			memstat(&m[1], 0);
			memstat(&m[2], 0);
			memstat(&m[0], 0);
			t0 = now();
			p[5 * PAGE] = 2;
			t1 = now();
			memstat(&m[1], 0);
			if (reuse_case) {
				mega_add(&reuse, &m[0], &m[1]);
				t_reuse[r] = t1 - t0;
			} else {
				t2 = now();
				p[6 * PAGE] = 3;
				t3 = now();
				memstat(&m[2], 0);
				release_parked(pid);
				mega_add(&first, &m[0], &m[1]);
				mega_add(&next, &m[1], &m[2]);
				t_first[r] = t1 - t0;
				t_next[r] = t3 - t2;
			}
			if (p[5 * PAGE] != 2 || p[7 * PAGE] != 0) {
				printf("forkbench: mega: wrong contents after the store\n");
				return 0;
			}
			munmap(map, 2 * MEGA);
		}
	}
	/* maps and fallbacks: the 2 x reps fresh mappings'; the rest: each window's own. */
	first.maps = next.maps = reuse.maps = plain.maps = maps.maps;
	first.fallbacks = next.fallbacks = reuse.fallbacks = plain.fallbacks = maps.fallbacks;
	mega_print("mega_plain_store", -1, &plain, t_plain, reps);
	mega_print("mega_split_store", -1, &first, t_first, reps);
	mega_print("mega_split_next", -1, &next, t_next, reps);
	mega_print("mega_reuse_store", -1, &reuse, t_reuse, reps);
	return 1;
}

/* ---- fault throughput ---- */

struct scale_shared {
	volatile int arrived;
	volatile int go;
	unsigned long t0[MAX_HARTS], t1[MAX_HARTS];
};

#define TABLE_SPAN (512l * PAGE) /* what one level-0 table maps: 2 MiB */

static struct scale_shared *sh;
static volatile char *region; /* aligned to TABLE_SPAN */
static int region_pages;      /* per worker */
static int interleaved;       /* -i: worker w writes pages w, w+N, w+2N, ... */
static int workers;           /* N of the measurement running */

/*
 * Worker w on hart w: wait for the start, then one store per page of its
 * own: its slice (the region's pages w*PAGES ..), or interleaved, pages
 * w, w+N, w+2N, ... of the region's first N*PAGES.
 */
static void scale_work(int w)
{
	long first = interleaved ? w : (long)w * region_pages;
	long stride = interleaved ? workers : 1;

	set_affinity(w);
	__atomic_add_fetch(&sh->arrived, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		yield();
	sh->t0[w] = now();
	for (long i = 0; i < region_pages; i++)
		region[(first + i * stride) * PAGE] = (char)w;
	__atomic_store_n(&sh->t1[w], now(), __ATOMIC_RELEASE);
}

static int scale_thread(void *arg)
{
	scale_work((int)(long)arg);
	return 0;
}

/* Start the workers together; print the throughput and what it cost. */
static void scale_measure(const char *mode, int n, int rep)
{
	unsigned long first = ~0ul, last = 0, faults = (unsigned long)n * region_pages, el;
	unsigned long con, top_con;
	struct class_counts cls[2] = {{.name = "mm"}, {.name = "pte"}};
	char top[24];

	while (__atomic_load_n(&sh->arrived, __ATOMIC_ACQUIRE) < n)
		yield();
	memstat(&ms0, 0);
	lock_contentions(top, &top_con, cls, 2); /* reset */
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	for (int w = 0; w < n; w++)
		while (__atomic_load_n(&sh->t1[w], __ATOMIC_ACQUIRE) == 0)
			yield();
	memstat(&ms1, 0);
	con = lock_contentions(top, &top_con, cls, 2);
	for (int w = 0; w < n; w++) {
		first = sh->t0[w] < first ? sh->t0[w] : first;
		last = sh->t1[w] > last ? sh->t1[w] : last;
	}
	el = last - first;
	printf("kine: bench {\"bench\":\"fault_scale\",\"mode\":\"%s\",\"harts\":%d,\"rep\":%d,"
	       "\"faults\":%lu,\"elapsed_ns\":%lu,\"faults_per_s\":%lu,\"cow_faults\":%lu,"
	       "\"allocs\":%lu,\"global_lock\":%lu,\"remote_drains\":%lu,\"remote_frees\":%lu,"
	       "\"remote_shootdowns\":%lu,\"contentions\":%lu,\"top_class\":\"%s\","
	       "\"top_class_con\":%lu,\"layout\":\"%s\",\"mm_acq\":%lu,\"mm_con\":%lu,"
	       "\"mm_bounce\":%lu,\"pte_acq\":%lu,\"pte_con\":%lu,\"pte_bounce\":%lu}\n",
	       mode, n, rep, faults, to_unit(el), el ? faults * timebase_hz / el : 0,
	       (unsigned long)(ms1.cow_faults - ms0.cow_faults),
	       (unsigned long)(ms1.allocs - ms0.allocs),
	       (unsigned long)(ms1.global_lock - ms0.global_lock),
	       (unsigned long)(ms1.remote_drains - ms0.remote_drains),
	       (unsigned long)(ms1.remote_frees - ms0.remote_frees),
	       (unsigned long)(ms1.tlb_shootdowns - ms0.tlb_shootdowns), con, top, top_con,
	       interleaved ? "interleaved" : "slices", cls[0].acq, cls[0].con, cls[0].bounce,
	       cls[1].acq, cls[1].con, cls[1].bounce);
}

/* procs: n processes, each writing its slice. threads: n threads of one child. */
static int bench_scale(int threads, int n, int reps)
{
	int pid, tid[MAX_HARTS];

	workers = n;
	for (int rep = 0; rep < reps; rep++) {
		memset(sh, 0, sizeof(*sh));
		touch(region, (long)n * region_pages,
		      'p'); /* the parent's own pages, shared at fork */
		if (!threads) {
			/*
			 * Each worker is forked on its own hart (it inherits the pin), so
			 * its address space never meets another hart.
			 */
			for (int w = 0; w < n; w++) {
				set_affinity(w);
				if (fork() == 0) {
					scale_work(w);
					exit(0);
				}
			}
			set_affinity(0);
			scale_measure("procs", n, rep);
			for (int w = 0; w < n; w++)
				wait(0);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			for (long w = 0; w < n; w++)
				tid[w] = thread_create(scale_thread, (void *)w);
			scale_measure("threads", n, rep);
			for (int w = 0; w < n; w++)
				thread_join(tid[w], 0);
			exit(0);
		}
		wait(0);
	}
	return 1;
}

/* ---- pipe throughput ---- */

#define PIPE_CHUNK 65536
/*
 * Allocated when the case runs: a 64 KiB array in .bss would move the data
 * pages the fault cases count (forkbench_virt_smp2 expects their numbers).
 */
static char *pipe_chunk;

/* The child: read to EOF on hart 1; exit 0 if exactly total bytes came. */
static void pipe_reader(int fd, long total)
{
	long got = 0;
	int n;

	set_affinity(1);
	while ((n = read(fd, pipe_chunk, PIPE_CHUNK)) > 0)
		got += n;
	exit(got == total ? 0 : 1);
}

/*
 * MIB MiB through a pipe in 64 KiB writes from hart 0 to a reader on hart
 * 1, timed from the first write to the reader's exit: MB/s (10^6 bytes).
 */
static int bench_pipe(int reps, int mib)
{
	long total = (long)mib << 20;
	int status;

	pipe_chunk = malloc(PIPE_CHUNK);
	if (pipe_chunk == NULL)
		return 0;
	for (int r = 0; r < reps; r++) {
		int fds[2], pid;
		unsigned long t0;

		if (pipe(fds) < 0)
			return 0;
		pid = fork();
		if (pid == 0) {
			close(fds[1]);
			pipe_reader(fds[0], total);
		}
		close(fds[0]);
		t0 = now();
		for (long done = 0; pid > 0 && done < total;) {
			int w = write(fds[1], pipe_chunk, PIPE_CHUNK);

			if (w <= 0)
				break;
			done += w;
		}
		close(fds[1]);
		if (pid < 0 || wait(&status) != pid || status != 0) {
			printf("forkbench: pipe: pid %d status %d\n", pid, status);
			return 0;
		}
		samples[r] = now() - t0;
	}
	sort(samples, reps);
	if (!icount_mode) {
		/* MB/s with one decimal: bytes * 10^4 / ns = tenths of MB/s. */
		unsigned long tenths = (unsigned long)total * 10000 / to_unit(samples[reps / 2]);

		printf("kine: bench {\"bench\":\"pipe_mb_s\",\"mib\":%d,\"n\":%d,\"unit\":"
		       "\"MB/s\",\"median\":%lu.%lu}\n",
		       mib, reps, tenths / 10, tenths % 10);
	}
	printf("kine: bench {\"bench\":\"pipe\",\"mib\":%d,", mib);
	print_stats(reps);
	return 1;
}

/* ---- main ---- */

static int usage(void)
{
	printf("usage: forkbench [-i] fork|exec [-r REPS] [-s STRIDE] MIB... | fault [-n PAGES] "
	       "[-t 0] | "
	       "scale [-i] [-n PAGES] [-r REPS] procs|threads HARTS... | pipe [-r REPS] MIB | "
	       "share [-r REPS] [-w WMIB] MIB... | touch|read [-r REPS] MIB... | mega [-r REPS] | "
	       "nop\n");
	return 2;
}

/* The latency cases: in a child pinned to hart 0 whose address space never left it. */
static int run_pinned(const char *what, int reps, int pages, int mt, int argc, char **argv)
{
	int wmib = pages;

	int ok = 1, status = -1, pid;

	set_affinity(0);
	pid = fork();
	if (pid == 0) {
		if (strcmp(what, "fault") == 0)
			exit(bench_fault(pages, mt) ? 0 : 1);
		if (strcmp(what, "share") == 0)
			exit(bench_share(reps, wmib, argc, argv) ? 0 : 1);
		/*
		 * The megapage cases count page faults, and the counters are
		 * the whole system's: first let the parent reach its wait()
		 * (its stack writes after fork fault too), 20 ms.
		 */
		if (strcmp(what, "mega") == 0 || strcmp(what, "touch") == 0 ||
		    strcmp(what, "read") == 0)
			sleep(2);
		if (strcmp(what, "mega") == 0)
			exit(bench_mega(reps) ? 0 : 1);
		if (strcmp(what, "touch") == 0 || strcmp(what, "read") == 0) {
			for (int i = 0; i < argc; i++)
				ok &= strcmp(what, "touch") == 0 ? bench_touch(reps, atoi(argv[i]))
								 : bench_read(reps, atoi(argv[i]));
			exit(ok ? 0 : 1);
		}
		for (int i = 0; i < argc; i++)
			ok &= bench_fork(strcmp(what, "exec") == 0, reps, atoi(argv[i]));
		exit(ok ? 0 : 1);
	}
	if (pid < 0 || wait(&status) != pid)
		return 1;
	return status;
}

int main(int argc, char **argv)
{
	int reps = 5, pages = 1024, mt = 1, wmib = 256, a = 1;
	const char *what;

	if (a < argc && strcmp(argv[a], "-i") == 0) {
		icount_mode = 1;
		a++;
	}
	if (a >= argc)
		return usage();
	what = argv[a++];
	if (strcmp(what, "nop") == 0)
		return 0;
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "-i") == 0 && strcmp(what, "scale") == 0) {
			interleaved = 1; /* scale's -i: no value */
			a--;
		} else if (strcmp(argv[a], "-r") == 0)
			reps = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-n") == 0)
			pages = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-t") == 0)
			mt = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-s") == 0)
			touch_stride = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "-w") == 0)
			wmib = atoi(argv[a + 1]);
		else
			return usage();
	}
	if (reps < 1 || reps > MAX_SAMPLE || pages < 1 || touch_stride < 1)
		return usage();
	read_timebase();
	printf("kine: bench {\"bench\":\"clock\",\"unit\":\"%s\",\"timebase_hz\":%lu}\n", unit(),
	       timebase_hz);
	if (strcmp(what, "pipe") == 0) {
		set_affinity(0);
		return a < argc && bench_pipe(reps, atoi(argv[a])) ? 0 : 1;
	}
	if (strcmp(what, "share") == 0)
		return run_pinned(what, reps, wmib, mt, argc - a, argv + a);
	if (strcmp(what, "fork") == 0 || strcmp(what, "exec") == 0 || strcmp(what, "fault") == 0 ||
	    strcmp(what, "touch") == 0 || strcmp(what, "read") == 0 || strcmp(what, "mega") == 0)
		return run_pinned(what, reps, pages, mt, argc - a, argv + a);
	if (strcmp(what, "scale") != 0 || a >= argc)
		return usage();
	{
		int threads = strcmp(argv[a], "threads") == 0, most = 1;
		char *map;

		if (!threads && strcmp(argv[a], "procs") != 0)
			return usage();
		for (int i = a + 1; i < argc; i++)
			most = atoi(argv[i]) > most ? atoi(argv[i]) : most;
		if (most > MAX_HARTS)
			return usage();
		region_pages = pages;
		sh = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
		/* A table's span more, to start the region at a table's first page. */
		map = mmap(0, (size_t)most * pages * PAGE + TABLE_SPAN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS);
		if (sh == (void *)-1 || map == (void *)-1)
			return 1;
		region = (char *)(((unsigned long)map + TABLE_SPAN - 1) & ~(TABLE_SPAN - 1));
		set_affinity(0);
		for (int i = a + 1; i < argc; i++)
			if (!bench_scale(threads, atoi(argv[i]), reps))
				return 1;
	}
	return 0;
}
