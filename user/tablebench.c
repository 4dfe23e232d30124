/*
 * tablebench: what a table page's whole-ASID flush costs (BENCHMARKS.md,
 * "Table pages"). Two operations that empty a level-0 table, timed one by
 * one:
 *
 *   munmap16   munmap of a 16-page region alone in its 2 MiB region (all
 *              16 pages touched first)
 *   thread     thread_create + thread_join of a thread whose stack is alone
 *              in its 2 MiB region (the join unmaps the stack)
 *
 *   tablebench [-i] [-s] [-r ROUNDS]
 *
 * -s keeps a second thread spinning on hart 1 all along, so every
 * shootdown reaches a remote hart (SBI RFENCE or IPI), as in a threaded
 * process; without it the process runs on hart 0 alone and its flushes are
 * local. -i reports instructions instead of guest ns: rdinstret, which
 * under QEMU's `-icount shift=3` advances 8 per instruction on every hart
 * (boot one hart, and no -s, for exact counts). Prints one line per
 * operation: the median and the minimum of ROUNDS (default 200).
 */
#include <kine/user.h>

#define PAGE       4096ul
#define REGION     (2ul << 20)
#define MAX_ROUNDS 1000

static int icount_mode;
static volatile int spinning = 1;

static unsigned long now(void)
{
	unsigned long t;

	if (icount_mode)
		__asm__ volatile("rdinstret %0" : "=r"(t));
	else
		__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

/* QEMU virt's timebase (10 MHz); -i: 8 virtual ns per instruction. */
static unsigned long to_unit(unsigned long d)
{
	return icount_mode ? d >> 3 : d * 100;
}

/* The next mmap region starts `skip` bytes below a 2 MiB boundary (tabletest's way). */
static int align_mmap_next(unsigned long skip)
{
	char *probe = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	unsigned long next, pad;

	if (probe == (char *)-1)
		return -1;
	next = (unsigned long)probe + PAGE;
	pad = (REGION - (next + skip) % REGION) % REGION;
	munmap(probe, PAGE);
	if (pad == 0)
		return 0;
	probe = mmap(0, pad, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
	if (probe == (char *)-1)
		return -1;
	return munmap(probe, pad);
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
	printf("tablebench: %s: %d rounds, median %lu %s, min %lu\n", what, n, v[n / 2],
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

int main(int argc, char **argv)
{
	static unsigned long v[MAX_ROUNDS];
	int rounds = 200, spin = 0, tid = -1;

	for (int i = 1; i < argc; i++) {
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
		fprintf(2, "usage: tablebench [-i] [-s] [-r ROUNDS (1-%d)]\n", MAX_ROUNDS);
		return 2;
	}
	set_affinity(0);
	if (spin && (tid = thread_create(spinner, 0)) < 0) {
		fprintf(2, "tablebench: no spinner thread\n");
		return 1;
	}
	if (bench_munmap16(v, rounds) < 0) {
		fprintf(2, "tablebench: munmap16 failed\n");
		return 1;
	}
	report(spin ? "munmap16 (a thread spinning on hart 1)" : "munmap16", v, rounds);
	if (bench_thread(v, rounds) < 0) {
		fprintf(2, "tablebench: thread create+join failed\n");
		return 1;
	}
	report(spin ? "thread create+join (a thread spinning on hart 1)" : "thread create+join", v,
	       rounds);
	spinning = 0;
	if (tid >= 0)
		thread_join(tid, 0);
	return 0;
}
