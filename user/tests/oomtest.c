/*
 * oomtest: running out of memory, and processes killed halfway through
 * memory work, must leave every frame where it was.
 *
 *	oomtest forkbomb       processes that each hold memory fork until
 *	                       memory or the process table runs out: every
 *	                       fork returns a pid, -ENOMEM or -EAGAIN, every
 *	                       mmap an address or -ENOMEM
 *	oomtest storm          children write every page of a big inherited
 *	                       region at once, more copies than memory holds:
 *	                       the ones whose copy-on-write fault finds no
 *	                       frame are killed (status -1, a console line)
 *	oomtest killfork SEED  a process on one hart forks a large address
 *	                       space in a loop while this one kills it at
 *	                       seeded moments from another hart
 *	oomtest killfault SEED the same with a process taking COW faults
 *
 * Each mode takes the settled free-frame count (memstat with settle)
 * before and after, once every process it made has been reaped; they must
 * be equal. Last line "oomtest: MODE: PASS" (exit 0) or "... FAIL".
 *
 * help: running out of memory, and kills midway, leak nothing (test)
 */
#include <stdbool.h>

#include "kine/user.h"

#define PAGE 4096ul
#define MiB  (1024ul * 1024)

/* Counters the processes of a run share (MAP_SHARED). */
struct counts {
	long forks, fork_enomem, fork_eagain, fork_other;
	long mmaps, mmap_enomem, mmap_other;
	long procs;
	long storm_target, storm_written, storm_dead; /* the storm's children */
};

static struct counts *counts;
static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void add(long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* ---- fork bomb ---- */

/* Hold up to `mib` MiB (mmap maps eagerly), one MiB at a time. */
static void hold(int mib)
{
	for (int i = 0; i < mib; i++) {
		void *m = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);

		add(&counts->mmaps);
		if (m == (void *)-1) {
			/* The wrapper says -1; the raw call says why. */
			long r = kine_syscall(SYS_mmap, 0, MiB, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, 0, 0);
			if (r == -ENOMEM)
				add(&counts->mmap_enomem);
			else if (r < 0)
				add(&counts->mmap_other);
			return;
		}
	}
}

/* Fork until a fork fails (or four children), children doing the same; then reap. */
static void bomb(int depth)
{
	int status;

	add(&counts->procs);
	hold(8);
	for (int i = 0; i < 4 && depth < 6; i++) {
		int pid = fork();

		if (pid == 0) {
			bomb(depth + 1);
			exit(0);
		}
		add(&counts->forks);
		if (pid == -ENOMEM)
			add(&counts->fork_enomem);
		else if (pid == -EAGAIN)
			add(&counts->fork_eagain);
		else if (pid < 0)
			add(&counts->fork_other);
		if (pid < 0)
			break;
	}
	while (wait(&status) > 0)
		;
}

static bool forkbomb(void)
{
	int status, pid;

	pid = fork();
	if (pid == 0) {
		bomb(0);
		exit(0);
	}
	if (pid < 0 || wait(&status) != pid)
		return false;
	printf("oomtest: forkbomb: %ld processes, %ld forks: %ld -ENOMEM, %ld -EAGAIN, %ld other\n",
	       counts->procs, counts->forks, counts->fork_enomem, counts->fork_eagain,
	       counts->fork_other);
	printf("oomtest: forkbomb: %ld mmaps of 1 MiB: %ld -ENOMEM, %ld other\n", counts->mmaps,
	       counts->mmap_enomem, counts->mmap_other);
	return counts->fork_other == 0 && counts->mmap_other == 0 && counts->mmap_enomem > 0;
}

/* ---- fault storm ---- */

#define STORM_CHILDREN 4

/*
 * A child that wrote all its copies keeps them until every sibling has
 * written its own or was killed trying: so the copies of all children are
 * live at once, and memory runs out whatever the interleaving (a child
 * that exited early would hand its frames to the next one).
 */
static void storm_hold(void)
{
	add(&counts->storm_written);
	while (__atomic_load_n(&counts->storm_written, __ATOMIC_RELAXED) +
		   __atomic_load_n(&counts->storm_dead, __ATOMIC_RELAXED) <
	       __atomic_load_n(&counts->storm_target, __ATOMIC_RELAXED))
		sleep(1);
}

static bool storm(void)
{
	struct kine_memstat st;
	uint64_t size;
	int finished = 0, killed = 0, other = 0, status;
	char *m;

	/* A third of free memory, inherited by 4 children: their copies need 4/3 of it. */
	memstat(&st, 1);
	size = st.free / 3 * PAGE;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	if (m == (void *)-1)
		return false;
	for (uint64_t o = 0; o < size; o += PAGE)
		m[o] = 1;
	counts->storm_target = STORM_CHILDREN;
	counts->storm_written = counts->storm_dead = 0;
	for (int i = 0; i < STORM_CHILDREN; i++) {
		int pid = fork();

		if (pid == 0) {
			for (uint64_t o = 0; o < size; o += PAGE)
				m[o] = (char)(2 + i); /* a COW copy per page */
			storm_hold();
			exit(0);
		}
		if (pid < 0) {
			other++;
			__atomic_fetch_sub(&counts->storm_target, 1, __ATOMIC_RELAXED);
		}
	}
	while (wait(&status) > 0) {
		if (status == 0) {
			finished++;
		} else if (status == -1) {
			killed++;
			add(&counts->storm_dead);
		} else {
			other++;
		}
	}
	/* The parent's own pages were never touched by the children. */
	for (uint64_t o = 0; o < size; o += PAGE)
		if (m[o] != 1)
			other++;
	munmap(m, size);
	printf("oomtest: storm: %d children wrote %lu MiB each: %d finished, %d killed, %d wrong\n",
	       STORM_CHILDREN, (unsigned long)(size / MiB), finished, killed, other);
	return killed > 0 && other == 0;
}

/* ---- kills in the middle of fork and of faults ---- */

#define KILL_ROUNDS 16
#define KILL_MIB    8

static void spin_delay(uint64_t loops)
{
	for (volatile uint64_t i = 0; i < loops; i++)
		;
}

/* The victim: pinned to hart 1, forks (or writes COW pages) until killed. */
static void victim(char *m, size_t size, bool faults)
{
	set_affinity(1);
	for (;;) {
		if (faults) {
			/* Share the region again, then copy it page by page. */
			int pid = fork();

			if (pid == 0)
				exit(0);
			for (size_t o = 0; o < size; o += PAGE)
				m[o]++;
			if (pid > 0)
				wait(NULL);
		} else {
			int pid = fork();

			if (pid == 0)
				exit(0);
			if (pid > 0)
				wait(NULL);
		}
	}
}

static bool kill_midway(bool faults)
{
	size_t size = KILL_MIB * MiB;
	int killed = 0, wrong = 0, status;
	char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);

	if (m == (void *)-1)
		return false;
	for (size_t o = 0; o < size; o += PAGE)
		m[o] = 1;
	set_affinity(0);
	for (int r = 0; r < KILL_ROUNDS; r++) {
		int pid = fork();

		if (pid == 0)
			victim(m, size, faults);
		if (pid < 0)
			return false;
		spin_delay(next() % 2000000);
		if (kill(pid) != 0 || wait(&status) != pid)
			wrong++;
		else if (status == -1)
			killed++;
		else
			wrong++;
	}
	set_affinity(-1);
	munmap(m, size);
	printf("oomtest: %s: %d rounds, %d killed mid-%s, %d wrong\n",
	       faults ? "killfault" : "killfork", KILL_ROUNDS, killed, faults ? "fault" : "fork",
	       wrong);
	return killed == KILL_ROUNDS && wrong == 0;
}

int main(int argc, char **argv)
{
	uint64_t before, after, seed;
	const char *mode = argc > 1 ? argv[1] : "";
	bool ok;

	seed = argc > 2 ? (uint64_t)atoi(argv[2]) : 1;
	rng = seed * 0x9e3779b97f4a7c15ull | 1;
	counts = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	if (counts == (void *)-1)
		return 2;
	/* Warm-up: what the kernel keeps after a first fork is there before the count. */
	if (fork() == 0)
		exit(0);
	wait(NULL);
	before = settled_free();
	if (strcmp(mode, "forkbomb") == 0)
		ok = forkbomb();
	else if (strcmp(mode, "storm") == 0)
		ok = storm();
	else if (strcmp(mode, "killfork") == 0 || strcmp(mode, "killfault") == 0) {
		printf("oomtest: %s: seed %lu\n", mode, (unsigned long)seed);
		ok = kill_midway(strcmp(mode, "killfault") == 0);
	} else {
		printf("usage: oomtest forkbomb|storm|killfork SEED|killfault SEED\n");
		return 2;
	}
	after = settled_free_like(before);
	printf("oomtest: %s: free frames %lu before, %lu after\n", mode, (unsigned long)before,
	       (unsigned long)after);
	ok = ok && before == after;
	printf("oomtest: %s: %s\n", mode, ok ? "PASS" : "FAIL");
	if (!ok && seed != 1)
		printf("oomtest: replay: ./kine run --seed %lu --run \"oomtest %s %lu\"\n",
		       (unsigned long)seed, mode, (unsigned long)seed);
	return ok ? 0 : 1;
}
