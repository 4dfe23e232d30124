/*
 * megatest: 2 MiB megapages of private anonymous memory under fork
 * (src/mm/megapage.h, docs/cow.md "Megapages").
 *
 *   fork     a 64 MiB heap of megapages, forked; parent and child write
 *            interleaved pages at once, on two harts (even pages the
 *            parent's, odd the child's), then each checks every word of the
 *            64 MiB: its own pages, and the other's as they were at fork
 *   threads  after a fork, two threads of the parent write interleaved
 *            pages of the same megapages at once (both fault on one
 *            megapage: one splits, the other finds the split); the child
 *            checks that its snapshot did not change
 *   tree     a fork tree of depth 3 over 8 MiB of megapages: every process
 *            writes its own stripe, then checks its whole snapshot
 *   reuse    a fork whose child exits at once: the parent's first write
 *            makes each megapage writable whole, with no split
 *   munmap   one page in the middle of a megapage unmapped and one made
 *            read-only: the rest keeps its contents, a child's load from
 *            the hole and store to the read-only page are killed
 *   oom      a split that finds no page for its table: the writer is
 *            killed, its parent is not, and nothing leaks
 *   lazy     sbrk reserves its 2 MiB slots without a frame; the first touch
 *            of each fills it (zeroed); a fork before the first touch
 *            leaves each process to fill its own; munmap and mprotect of
 *            reserved slots, whole and in part; a first touch that finds
 *            no memory kills the toucher alone
 *
 * `megatest` runs them all (the harness checks that the settled free-frame
 * count comes back exactly); `megatest SCENARIO` one alone. Each scenario
 * prints one line and the counters it moved; exits 0 when all pass.
 *
 * help: 2 MiB megapages under fork, split, unmap and OOM (test)
 */
#include <kine/memstat.h>
#include <kine/mman.h>
#include <kine/user.h>
#include <stdbool.h>

#define PAGE  4096ul
#define MEGA  (2ul << 20)
#define MiB   (1ul << 20)
#define WORDS (PAGE / sizeof(unsigned long))

/* A heap region of size bytes starting on a 2 MiB boundary, or 0. */
static unsigned long *mega_heap(unsigned long size)
{
	unsigned long brk = (unsigned long)sbrk(0);
	unsigned long pad = (MEGA - brk % MEGA) % MEGA;

	if (sbrk((long)pad) == (void *)-1 || sbrk((long)size) == (void *)-1)
		return 0;
	return (unsigned long *)(brk + pad);
}

/* Give the heap back down to base (the pad below it stays until exit). */
static void heap_release(void *base)
{
	unsigned long brk = (unsigned long)sbrk(0);

	sbrk(-(long)(brk - (unsigned long)base));
}

static unsigned long pattern(unsigned long page, unsigned long word, unsigned long who)
{
	return (page << 20) ^ (word * 0x9e3779b97f4a7c15ul) ^ (who << 56);
}

static void fill_page(unsigned long *heap, unsigned long page, unsigned long who)
{
	for (unsigned long w = 0; w < WORDS; w++)
		heap[page * WORDS + w] = pattern(page, w, who);
}

/* Words of the page that are not who's pattern. */
static unsigned long check_page(const unsigned long *heap, unsigned long page, unsigned long who)
{
	unsigned long bad = 0;

	for (unsigned long w = 0; w < WORDS; w++)
		bad += heap[page * WORDS + w] != pattern(page, w, who);
	return bad;
}

static struct kine_memstat stats(void)
{
	struct kine_memstat m;

	memstat(&m, 0);
	return m;
}

/* ---- fork: parent and child write at once ---- */

/* Write the pages of parity `odd` as who, then check all: wrong words. */
static unsigned long write_and_check(unsigned long *heap, unsigned long pages, int odd,
				     unsigned long who)
{
	unsigned long bad = 0;

	for (unsigned long p = (unsigned long)odd; p < pages; p += 2)
		fill_page(heap, p, who);
	for (unsigned long p = 0; p < pages; p++)
		bad += check_page(heap, p, (p % 2 == (unsigned long)odd) ? who : 0);
	return bad;
}

static bool scenario_fork(void)
{
	unsigned long size = 64 * MiB, pages = size / PAGE, bad;
	struct kine_memstat m0 = stats(), m1;
	unsigned long *heap = mega_heap(size);
	int pid, status = -2;

	if (heap == 0) {
		printf("megatest: fork: no 64 MiB heap\n");
		return false;
	}
	for (unsigned long p = 0; p < pages; p++)
		fill_page(heap, p, 0);
	pid = fork();
	if (pid == 0) {
		set_affinity(1);
		exit(write_and_check(heap, pages, 1, 2) == 0 ? 0 : 1);
	}
	set_affinity(0);
	bad = write_and_check(heap, pages, 0, 1);
	wait(&status);
	set_affinity(-1);
	m1 = stats();
	heap_release(heap);
	printf("megatest: fork: 64 MiB in %lu megapages, parent and child wrote alternate pages: "
	       "%lu wrong words, child status %d; %lu splits\n",
	       (unsigned long)(m1.mega_maps - m0.mega_maps), bad, status,
	       (unsigned long)(m1.mega_splits - m0.mega_splits));
	return bad == 0 && status == 0 && m1.mega_maps - m0.mega_maps == size / MEGA &&
	       m1.mega_splits - m0.mega_splits >= size / MEGA;
}

/* ---- threads: two threads of one process split the same megapages ---- */

static unsigned long *thr_heap;
static unsigned long thr_pages;
static int thr_go; /* atomic */

static int thr_writer(void *arg)
{
	long odd = (long)arg;

	set_affinity((int)odd);
	while (__atomic_load_n(&thr_go, __ATOMIC_SEQ_CST) == 0)
		;
	for (unsigned long p = (unsigned long)odd; p < thr_pages; p += 2)
		fill_page(thr_heap, p, 3);
	return 0;
}

static bool scenario_threads(void)
{
	unsigned long size = 16 * MiB, bad = 0;
	int fds[2], pid, status = -2, tid[2];
	char c = 0;

	thr_heap = mega_heap(size);
	thr_pages = size / PAGE;
	if (thr_heap == 0 || pipe(fds) != 0) {
		printf("megatest: threads: no heap or pipe\n");
		return false;
	}
	for (unsigned long p = 0; p < thr_pages; p++)
		fill_page(thr_heap, p, 0);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		read(fds[0], &c, 1); /* the parent's threads are done */
		for (unsigned long p = 0; p < thr_pages; p++)
			bad += check_page(thr_heap, p, 0);
		exit(bad == 0 ? 0 : 1);
	}
	close(fds[0]);
	__atomic_store_n(&thr_go, 0, __ATOMIC_SEQ_CST);
	tid[0] = thread_create(thr_writer, (void *)0);
	tid[1] = thread_create(thr_writer, (void *)1);
	__atomic_store_n(&thr_go, 1, __ATOMIC_SEQ_CST);
	thread_join(tid[0], 0);
	thread_join(tid[1], 0);
	write(fds[1], &c, 1);
	close(fds[1]);
	wait(&status);
	for (unsigned long p = 0; p < thr_pages; p++)
		bad += check_page(thr_heap, p, 3);
	heap_release(thr_heap);
	printf("megatest: threads: 2 threads wrote alternate pages of 8 shared megapages: %lu "
	       "wrong words, child's snapshot status %d\n",
	       bad, status);
	return bad == 0 && status == 0;
}

/* ---- tree: nested forks, each writing a stripe ---- */

#define TREE_DEPTH 3

/* Check every page: stripe s (page % 4 == s) holds who_of[s]. */
static unsigned long check_tree(const unsigned long *heap, unsigned long pages,
				const unsigned long *who_of)
{
	unsigned long bad = 0;

	for (unsigned long p = 0; p < pages; p++)
		bad += check_page(heap, p, who_of[p % 4]);
	return bad;
}

/* One process at level `level` of the tree: fork two children, write, check. */
static unsigned long tree_node(unsigned long *heap, unsigned long pages, int level,
			       unsigned long *who_of, unsigned long me)
{
	unsigned long bad = 0;
	int n = 0, status;

	if (level < TREE_DEPTH) {
		for (int k = 0; k < 2; k++) {
			int pid = fork();

			if (pid == 0) {
				unsigned long id = me * 2 + (unsigned long)k + 1;

				exit(tree_node(heap, pages, level + 1, who_of, id) == 0 ? 0 : 1);
			}
			if (pid > 0)
				n++;
		}
	}
	/* My stripe, (level % 4): write it as me. */
	for (unsigned long p = (unsigned long)(level % 4); p < pages; p += 4)
		fill_page(heap, p, me + 16);
	who_of[level % 4] = me + 16;
	bad += check_tree(heap, pages, who_of);
	for (int k = 0; k < n; k++) {
		status = -2;
		wait(&status);
		bad += status != 0;
	}
	return bad + (unsigned long)(level < TREE_DEPTH && n != 2);
}

static bool scenario_tree(void)
{
	unsigned long size = 8 * MiB, pages = size / PAGE, bad;
	unsigned long who_of[4] = {0, 0, 0, 0};
	unsigned long *heap = mega_heap(size);

	if (heap == 0) {
		printf("megatest: tree: no heap\n");
		return false;
	}
	for (unsigned long p = 0; p < pages; p++)
		fill_page(heap, p, 0);
	bad = tree_node(heap, pages, 0, who_of, 0);
	heap_release(heap);
	printf("megatest: tree: depth %d over 4 megapages, every process wrote its stripe and "
	       "checked its snapshot: %lu wrong\n",
	       TREE_DEPTH, bad);
	return bad == 0;
}

/* ---- reuse: the only owner makes the megapage writable whole ---- */

static bool scenario_reuse(void)
{
	unsigned long size = 4 * MiB, pages = size / PAGE, bad = 0;
	unsigned long *heap = mega_heap(size);
	struct kine_memstat m0, m1;
	int pid, status = -2;

	if (heap == 0) {
		printf("megatest: reuse: no heap\n");
		return false;
	}
	for (unsigned long p = 0; p < pages; p++)
		fill_page(heap, p, 0);
	pid = fork();
	if (pid == 0)
		exit(0);
	wait(&status);
	m0 = stats();
	for (unsigned long p = 0; p < pages; p += 2)
		fill_page(heap, p, 5);
	m1 = stats();
	for (unsigned long p = 0; p < pages; p++)
		bad += check_page(heap, p, p % 2 == 0 ? 5 : 0);
	heap_release(heap);
	printf(
	    "megatest: reuse: the child gone, the parent wrote 2 COW megapages: %lu reused whole, "
	    "%lu split, %lu wrong\n",
	    (unsigned long)(m1.mega_whole_reuses - m0.mega_whole_reuses),
	    (unsigned long)(m1.mega_splits - m0.mega_splits), bad);
	return bad == 0 && m1.mega_whole_reuses - m0.mega_whole_reuses == 2 &&
	       m1.mega_splits == m0.mega_splits;
}

/* ---- munmap and mprotect inside a megapage ---- */

/* Fork a child that loads (store: stores) at p: its status. */
static int child_touch(volatile unsigned long *p, bool store)
{
	int pid = fork(), status = -2;

	if (pid == 0) {
		if (store)
			*p = 1;
		else
			(void)*p;
		exit(0);
	}
	wait(&status);
	return status;
}

static bool scenario_munmap(void)
{
	unsigned long size = 4 * MiB, pages = size / PAGE, bad = 0;
	unsigned long *heap = mega_heap(size);
	unsigned long hole = 100, ro = 300;
	int load, store;

	if (heap == 0) {
		printf("megatest: munmap: no heap\n");
		return false;
	}
	for (unsigned long p = 0; p < pages; p++)
		fill_page(heap, p, 0);
	if (munmap(&heap[hole * WORDS], PAGE) != 0 ||
	    mprotect(&heap[ro * WORDS], PAGE, PROT_READ) != 0) {
		printf("megatest: munmap: munmap or mprotect failed\n");
		return false;
	}
	for (unsigned long p = 0; p < pages; p++)
		if (p != hole)
			bad += check_page(heap, p, 0);
	load = child_touch(&heap[hole * WORDS], false);
	store = child_touch(&heap[ro * WORDS], true);
	for (unsigned long p = 0; p < pages; p++)
		if (p != hole && p != ro)
			fill_page(heap, p, 6);
	for (unsigned long p = 0; p < pages; p++)
		if (p != hole)
			bad += check_page(heap, p, p == ro ? 0 : 6);
	heap_release(heap);
	printf(
	    "megatest: munmap: a page unmapped and one made read-only inside a megapage: %lu "
	    "wrong; a child's load from the hole: status %d, store to the read-only page: status "
	    "%d\n",
	    bad, load, store);
	return bad == 0 && load == -1 && store == -1;
}

/* ---- oom: a split finds no page ---- */

static bool scenario_oom(void)
{
	unsigned long size = 2 * MiB;
	unsigned long *heap = mega_heap(size);
	void *eaten;
	int fds[2], pid, status = -2;
	char c = 0;

	if (heap == 0 || pipe(fds) != 0) {
		printf("megatest: oom: no heap or pipe\n");
		return false;
	}
	fill_page(heap, 0, 0);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		read(fds[0], &c, 1);
		fill_page(heap, 7, 7); /* the split (or the copy after it) finds no page */
		exit(0);
	}
	close(fds[0]);
	/*
	 * Eat every free frame, page by page at the end: in steps below 2 MiB,
	 * which sbrk maps at once (a 2 MiB step would only reserve a slot).
	 */
	eaten = sbrk(0);
	for (long step = (long)MiB; step >= (long)PAGE; step /= 2)
		while (sbrk(step) != (void *)-1)
			;
	write(fds[1], &c, 1);
	close(fds[1]);
	wait(&status);
	sbrk(-(long)((unsigned long)sbrk(0) - (unsigned long)eaten));
	heap_release(heap);
	printf("megatest: oom: the child wrote a shared megapage with no free page: status %d\n",
	       status);
	return status == -1;
}

/* ---- lazy: reserved at sbrk, filled at the first touch ---- */

/* Fork a child that stores to p after eating every free frame: its status. */
static int child_fill_oom(volatile unsigned long *p)
{
	int pid = fork(), status = -2;

	if (pid == 0) {
		for (long step = (long)MiB; step >= (long)PAGE; step /= 2)
			while (sbrk(step) != (void *)-1)
				;
		*p = 1; /* the first touch: no block, no 512 frames */
		exit(0);
	}
	wait(&status);
	return status;
}

static bool scenario_lazy(void)
{
	unsigned long size = 16 * MiB, pages = size / PAGE, slots = size / MEGA, bad = 0;
	unsigned long free0 = settled_free(), free1, free2;
	struct kine_memstat m0 = stats(), m1;
	unsigned long *heap = mega_heap(size);
	int pid, status = -2, store = -2, oom;

	if (heap == 0) {
		printf("megatest: lazy: no heap\n");
		return false;
	}
	free1 = settled_free();
	/* A fork before any touch: the child fills its own slots, and sees zeros. */
	pid = fork();
	if (pid == 0) {
		for (unsigned long p = 0; p < pages; p += 3)
			fill_page(heap, p, 8);
		/* Its own pages hold its pattern; every other page is still zero. */
		for (unsigned long p = 0; p < pages; p++)
			bad += p % 3 == 0
				   ? check_page(heap, p, 8)
				   : (heap[p * WORDS] != 0 || heap[p * WORDS + WORDS - 1] != 0);
		exit(bad == 0 ? 0 : 1);
	}
	wait(&status);
	for (unsigned long p = 0; p < pages; p++)
		bad += heap[p * WORDS] != 0 || heap[p * WORDS + 7] != 0; /* the parent's: zero */
	free2 = settled_free();
	m1 = stats();
	/* munmap of one whole reserved slot and of one page of another; mprotect of a third. */
	unsigned long *more = mega_heap(4 * MEGA);
	int unmap_whole = more ? munmap(&more[0], MEGA) : -1;
	int unmap_part = more ? munmap(&more[(MEGA + 5 * PAGE) / sizeof(*more)], PAGE) : -1;
	int prot = more ? mprotect(&more[2 * MEGA / sizeof(*more)], MEGA, PROT_READ) : -1;
	unsigned long zero = more ? more[2 * MEGA / sizeof(*more)] : 1;

	if (more != 0)
		store = child_touch(&more[2 * MEGA / sizeof(*more) + 9], true);
	oom = more ? child_fill_oom(&more[3 * MEGA / sizeof(*more)]) : -2;
	heap_release(heap);
	printf("megatest: lazy: %lu MiB reserved in %lu slots took %lu frames; the first touches "
	       "of child and parent filled %lu with megapages (the parent's: %lu frames); a fork "
	       "before the first touch: child "
	       "status %d, %lu wrong; munmap of a slot whole %d, in part %d; mprotect %d, read "
	       "%lu, store status %d; a first touch with no memory: status %d\n",
	       size / MiB, slots, free0 - free1, (unsigned long)(m1.mega_fills - m0.mega_fills),
	       free1 - free2, status, bad, unmap_whole, unmap_part, prot, zero, store, oom);
	return free0 - free1 < 16 && m1.mega_reserves - m0.mega_reserves == slots &&
	       m1.mega_fills - m0.mega_fills == 2 * slots &&
	       free1 - free2 >= slots * (MEGA / PAGE) && status == 0 && bad == 0 &&
	       unmap_whole == 0 && unmap_part == 0 && prot == 0 && zero == 0 && store == -1 &&
	       oom == -1;
}

struct scenario {
	const char *name;
	bool (*run)(void);
};

static const struct scenario scenarios[] = {
    {"fork", scenario_fork},   {"threads", scenario_threads}, {"tree", scenario_tree},
    {"reuse", scenario_reuse}, {"munmap", scenario_munmap},   {"oom", scenario_oom},
    {"lazy", scenario_lazy},
};

int main(int argc, char **argv)
{
	bool ok = true;
	int ran = 0;

	for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (argc > 1 && strcmp(argv[1], scenarios[i].name) != 0)
			continue;
		ok &= scenarios[i].run();
		ran++;
	}
	if (ran == 0) {
		fprintf(2, "megatest: no scenario %s\n", argv[1]);
		return 2;
	}
	printf("megatest: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
