/*
 * pagetable_test.c: the page-table API (src/mm/pagetable.h) on the host.
 *
 * Table pages come from an arena standing in for RAM at physical
 * 0x80000000, through a counting allocator that can be told to fail after
 * N pages and that poisons what is freed, so a leak, a double free or a
 * walk through a freed table shows up. The frames being mapped are only
 * numbers (never touched). Each scenario starts from a fresh root, checks
 * exact PTE values, and ends with pt_destroy() and no table page left.
 */
#include "src/mm/pagetable.h"
#include "test/host/check.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* src/base/check.h's hooks: the kernel panics, a host test aborts. */
void check_failed(const char *expr, const char *file, int line) __attribute__((noreturn));
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void check_failed(const char *expr, const char *file, int line)
{
	printf("%s:%d: invariant failed: %s\n", file, line, expr);
	abort();
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("fatal: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	abort();
}

#define PG          PAGE_SIZE
#define SZ_2M       SV39_SIZE_2M
#define SZ_1G       SV39_SIZE_1G
#define HALF        (1UL << 38)          /* each canonical half */
#define UPPER       0xffffffc000000000UL /* first address of the upper half */
#define NONCANON    0x0000400000000000UL /* in the gap between the halves */
#define RAM_BASE    0x80000000UL         /* the arena's fake physical base */
#define ARENA_PAGES 256
#define F           0x100000000UL /* frames to map: 4 GiB, 1 GiB-aligned, never touched */

#define V_A   (PTE_V | PTE_A)
#define V_A_D (PTE_V | PTE_A | PTE_D)

/* ---- The table-page allocator ---- */

static uint8_t *arena;
static bool in_use[ARENA_PAGES];
static int live;             /* table pages handed out and not freed */
static long fail_after = -1; /* pages still granted before failing; -1: never fail */

paddr_t pt_page_alloc(void)
{
	if (fail_after == 0)
		return 0;
	if (fail_after > 0)
		fail_after--;
	for (int i = 0; i < ARENA_PAGES; i++) {
		if (!in_use[i]) {
			in_use[i] = true;
			live++;
			memset(arena + i * PG, 0, PG);
			return RAM_BASE + i * PG;
		}
	}
	return 0;
}

void pt_page_free(paddr_t pa)
{
	size_t i = (pa - RAM_BASE) / PG;

	CHECK(pa >= RAM_BASE && pa % PG == 0 && i < ARENA_PAGES);
	if (pa < RAM_BASE || i >= ARENA_PAGES)
		return;
	CHECK(in_use[i]); /* a double free */
	in_use[i] = false;
	live--;
	/* Poison: a walk through a freed table meets nonsense, and the checks see it. */
	memset(arena + i * PG, 0xa5, PG);
}

/* ---- Helpers ---- */

/*
 * Table pages an unmap (or a failed map) handed back. The call must have
 * unlinked each one already and left it empty; the test frees them after
 * the call, as the kernel does after its whole flush.
 */
static paddr_t retired[64];
static int nretired;
static long retired_total; /* every table page handed back so far */

static void retire_table(paddr_t table, void *ctx)
{
	(void)ctx;
	CHECK(nretired < 64);
	retired[nretired++] = table;
	retired_total++;
}

static const struct pt_release undo = {.frame = NULL, .table = retire_table, .ctx = NULL};

/* What the kernel does after its flush: free what the last call retired. */
static void free_retired(void)
{
	for (int i = 0; i < nretired; i++) {
		const pte_t *t = (const pte_t *)phys_to_virt(retired[i]);

		for (unsigned e = 0; e < SV39_ENTRIES; e++)
			CHECK_EQ(t[e], 0); /* unlinked only once empty */
		pt_page_free(retired[i]);
	}
	nretired = 0;
}

static paddr_t fresh(void)
{
	paddr_t root;

	CHECK_EQ(live, 0);
	CHECK_EQ(nretired, 0);
	root = pt_create();
	CHECK(root != 0);
	CHECK_EQ(live, 1);
	return root;
}

struct drops {
	paddr_t pa[2048]; /* the first ones, in call order */
	long n;           /* all of them */
};

static void record_drop(paddr_t pa, void *ctx)
{
	struct drops *d = ctx;

	if (d->n < 2048)
		d->pa[d->n] = pa;
	d->n++;
}

static int unmap_drops(paddr_t root, uintptr_t va, size_t size, struct drops *d)
{
	struct pt_release rel = {.frame = record_drop, .table = retire_table, .ctx = d};
	int err = pt_unmap(root, va, size, &rel);

	free_retired();
	return err;
}

static int unmap_range(paddr_t root, uintptr_t va, size_t size)
{
	int err = pt_unmap(root, va, size, &undo);

	free_retired();
	return err;
}

/* Destroy the table, expecting `frames` 4 KiB frames still mapped. */
static void finish(paddr_t root, long frames)
{
	static struct drops d;

	d.n = 0;
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 0);
	pt_destroy(root, record_drop, &d);
	CHECK_EQ(d.n, frames);
	CHECK_EQ(live, 0);
}

/* The leaf that maps va: pa, flag bits and level, exactly. */
static void expect_leaf(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags, unsigned level)
{
	paddr_t got_pa = 0;
	uint64_t got_flags = 0;
	unsigned got_level = 9;

	CHECK_EQ(pt_lookup(root, va, &got_pa, &got_flags, &got_level), PT_OK);
	CHECK_EQ(got_pa, pa);
	CHECK_EQ(got_flags, flags);
	CHECK_EQ(got_level, level);
}

static void expect_unmapped(paddr_t root, uintptr_t va)
{
	CHECK_EQ(pt_lookup(root, va, NULL, NULL, NULL), PT_ERR_NOTMAPPED);
}

/* Every leaf of a table, both halves, in address order. */
struct leaf {
	uintptr_t va;
	pte_t pte;
	unsigned level;
};

struct dump {
	struct leaf l[4096];
	int n;
};

static int dump_one(uintptr_t va, pte_t *pte, unsigned level, void *ctx)
{
	struct dump *d = ctx;

	if (d->n < 4096)
		d->l[d->n] = (struct leaf){va, *pte, level};
	d->n++;
	return 0;
}

static void dump(paddr_t root, struct dump *d)
{
	d->n = 0;
	CHECK_EQ(pt_for_each_leaf(root, 0, HALF, dump_one, d), 0);
	CHECK_EQ(pt_for_each_leaf(root, UPPER, HALF, dump_one, d), 0);
}

static bool same_dump(const struct dump *a, const struct dump *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n && i < 4096; i++)
		if (a->l[i].va != b->l[i].va || a->l[i].pte != b->l[i].pte ||
		    a->l[i].level != b->l[i].level)
			return false;
	return true;
}

static struct dump before, after;

/* How many leaves of each level map [va, va + size). */
static void count_levels(paddr_t root, uintptr_t va, size_t size, int n[3])
{
	dump(root, &after);
	n[0] = n[1] = n[2] = 0;
	for (int i = 0; i < after.n && i < 4096; i++)
		if (after.l[i].va >= va && after.l[i].va - va < size)
			n[after.l[i].level]++;
}

/* ---- Scenarios ---- */

static void map_single_pages(void)
{
	paddr_t root = fresh();
	pte_t *pte;

	SECTION("map single pages: exact PTE bits, A always, D iff W, software bits as given");
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	expect_leaf(root, 0x1000, F, V_A_D | PTE_R | PTE_W, 0);
	expect_leaf(root, 0x1234, F + 0x234, V_A_D | PTE_R | PTE_W, 0);
	pte = pt_walk(root, 0x1000, false);
	CHECK(pte != NULL);
	if (pte)
		CHECK_EQ(*pte, pa_to_pte(F) | V_A_D | PTE_R | PTE_W);
	CHECK_EQ(live, 3); /* the root, one level-1 and one level-0 table */

	CHECK_EQ(pt_map(root, 0x2000, F + 0x10000, PG, PTE_R, 0, &undo), PT_OK);
	expect_leaf(root, 0x2000, F + 0x10000, V_A | PTE_R, 0);
	CHECK_EQ(pt_map(root, 0x3000, F + 0x20000, PG, PTE_R | PTE_X | PTE_U, 0, &undo), PT_OK);
	expect_leaf(root, 0x3000, F + 0x20000, V_A | PTE_R | PTE_X | PTE_U, 0);
	CHECK_EQ(pt_map(root, 0x4000, F + 0x30000, PG, PTE_R | PTE_COW, 0, &undo), PT_OK);
	expect_leaf(root, 0x4000, F + 0x30000, V_A | PTE_R | PTE_COW, 0);
	CHECK_EQ(pt_map(root, 0x5000, F + 0x40000, PG, PTE_R | PTE_W | PTE_COW | PTE_SW1, 0, &undo),
		 PT_OK);
	expect_leaf(root, 0x5000, F + 0x40000, V_A_D | PTE_R | PTE_W | PTE_COW | PTE_SW1, 0);
	CHECK_EQ(pt_map(root, 0x6000, F + 0x50000, PG, PTE_X, 0, &undo), PT_OK);
	expect_leaf(root, 0x6000, F + 0x50000, V_A | PTE_X, 0);
	CHECK_EQ(pt_map(root, UPPER, F + 0x60000, PG, PTE_R | PTE_W | PTE_G, 0, &undo), PT_OK);
	expect_leaf(root, UPPER, F + 0x60000, V_A_D | PTE_R | PTE_W | PTE_G, 0);
	expect_unmapped(root, 0x7000);
	expect_unmapped(root, 0x0);
	expect_unmapped(root, UPPER + PG);
	CHECK_EQ(live, 5); /* plus a level-1 and a level-0 table for the upper page */
	finish(root, 7);
}

static void map_range(void)
{
	paddr_t root = fresh();
	uintptr_t va = 0x1fa000; /* 16 pages across the 2 MiB boundary at 0x200000 */
	int n[3];

	SECTION("map a range of 4 KiB pages across a level-0 table boundary");
	CHECK_EQ(pt_map(root, va, F + 0x5000, 16 * PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	for (int i = 0; i < 16; i++)
		expect_leaf(root, va + i * PG, F + 0x5000 + i * PG, V_A_D | PTE_R | PTE_W, 0);
	expect_unmapped(root, va - PG);
	expect_unmapped(root, va + 16 * PG);
	count_levels(root, 0, HALF, n);
	CHECK_EQ(n[0], 16);
	CHECK_EQ(n[1] + n[2], 0);
	CHECK_EQ(live, 4); /* root, level 1, two level-0 tables */
	finish(root, 16);
}

static void huge_1g(void)
{
	paddr_t root = fresh();

	SECTION("PT_MAP_HUGE: an aligned 1 GiB range is one level-2 leaf, no table added");
	CHECK_EQ(pt_map(root, SZ_1G, F, SZ_1G, PTE_R | PTE_W, PT_MAP_HUGE, &undo), PT_OK);
	expect_leaf(root, SZ_1G, F, V_A_D | PTE_R | PTE_W, 2);
	expect_leaf(root, SZ_1G + 0x12345678, F + 0x12345678, V_A_D | PTE_R | PTE_W, 2);
	expect_leaf(root, 2 * SZ_1G - 1, F + SZ_1G - 1, V_A_D | PTE_R | PTE_W, 2);
	expect_unmapped(root, 2 * SZ_1G);
	CHECK_EQ(live, 1);
	dump(root, &after);
	CHECK_EQ(after.n, 1);
	CHECK_EQ(after.l[0].pte, pa_to_pte(F) | V_A_D | PTE_R | PTE_W);

	SECTION("pt_walk meets the 1 GiB leaf: NULL, with or without alloc, nothing added");
	CHECK(pt_walk(root, SZ_1G + PG, false) == NULL);
	CHECK(pt_walk(root, SZ_1G + PG, true) == NULL);
	CHECK_EQ(live, 1);
	finish(root, SZ_1G / PG);
}

static void huge_mixed(void)
{
	uintptr_t va = UPPER + SZ_1G; /* a direct map of RAM at 0x80000000 */
	paddr_t pa = RAM_BASE;
	size_t size = SZ_1G + SZ_2M + 3 * PG;
	paddr_t root = fresh();
	int n[3];

	SECTION("PT_MAP_HUGE, direct-map shape: 1 GiB + 2 MiB + 3 x 4 KiB leaves");
	CHECK_EQ(pt_map(root, va, pa, size, PTE_R | PTE_W | PTE_G, PT_MAP_HUGE, &undo), PT_OK);
	count_levels(root, va, size, n);
	CHECK_EQ(n[2], 1);
	CHECK_EQ(n[1], 1);
	CHECK_EQ(n[0], 3);
	expect_leaf(root, va, pa, V_A_D | PTE_R | PTE_W | PTE_G, 2);
	expect_leaf(root, va + SZ_1G + 5, pa + SZ_1G + 5, V_A_D | PTE_R | PTE_W | PTE_G, 1);
	expect_leaf(root, va + SZ_1G + SZ_2M + 2 * PG + 5, pa + SZ_1G + SZ_2M + 2 * PG + 5,
		    V_A_D | PTE_R | PTE_W | PTE_G, 0);
	expect_unmapped(root, va + size);
	CHECK_EQ(live, 3);
	finish(root, size / PG);
}

static void huge_2m_and_fallback(void)
{
	paddr_t root = fresh();
	int n[3];

	SECTION("PT_MAP_HUGE: an aligned 4 MiB range is two level-1 leaves");
	CHECK_EQ(pt_map(root, 0x600000, F + SZ_2M, 2 * SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	expect_leaf(root, 0x600000, F + SZ_2M, V_A | PTE_R, 1);
	expect_leaf(root, 0x800000 + PG, F + 2 * SZ_2M + PG, V_A | PTE_R, 1);
	count_levels(root, 0x600000, 2 * SZ_2M, n);
	CHECK_EQ(n[1], 2);
	CHECK_EQ(n[0] + n[2], 0);
	CHECK_EQ(live, 2);
	CHECK_EQ(unmap_range(root, 0x600000, 2 * SZ_2M), PT_OK);
	CHECK_EQ(live, 1);

	SECTION("PT_MAP_HUGE with pa 4 KiB off alignment: all 4 KiB leaves");
	CHECK_EQ(pt_map(root, 0x600000, F + SZ_2M + PG, 2 * SZ_2M, PTE_R, PT_MAP_HUGE, &undo),
		 PT_OK);
	count_levels(root, 0x600000, 2 * SZ_2M, n);
	CHECK_EQ(n[0], 1024);
	CHECK_EQ(n[1] + n[2], 0);
	expect_leaf(root, 0x600000, F + SZ_2M + PG, V_A | PTE_R, 0);
	CHECK_EQ(live, 4);
	CHECK_EQ(unmap_range(root, 0x600000, 2 * SZ_2M), PT_OK);

	SECTION("PT_MAP_HUGE with a range 4 KiB short of 2 MiB: all 4 KiB leaves");
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M - PG, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	count_levels(root, 0, HALF, n);
	CHECK_EQ(n[0], 511);
	CHECK_EQ(n[1] + n[2], 0);
	CHECK_EQ(unmap_range(root, SZ_2M, SZ_2M), PT_OK);

	SECTION("without PT_MAP_HUGE an aligned 2 MiB range is 512 leaves of 4 KiB");
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R, 0, &undo), PT_OK);
	count_levels(root, 0, HALF, n);
	CHECK_EQ(n[0], 512);
	CHECK_EQ(n[1] + n[2], 0);
	CHECK_EQ(unmap_range(root, SZ_2M, SZ_2M), PT_OK);

	SECTION("PT_MAP_HUGE, va 1 GiB-aligned, pa only 2 MiB-aligned: 512 leaves of 2 MiB");
	CHECK_EQ(pt_map(root, SZ_1G, F + SZ_2M, SZ_1G, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	count_levels(root, 0, HALF, n);
	CHECK_EQ(n[1], 512);
	CHECK_EQ(n[0] + n[2], 0);
	CHECK_EQ(live, 2);
	finish(root, SZ_1G / PG);
}

static void huge_into_existing_tables(void)
{
	paddr_t root = fresh();
	int n[3];

	SECTION("PT_MAP_HUGE where pt_walk(alloc) left tables: smaller leaves go into them");
	CHECK(pt_walk(root, SZ_1G, true) != NULL);
	CHECK_EQ(live, 3);
	CHECK_EQ(pt_map(root, SZ_1G, F, SZ_1G, PTE_R | PTE_W, PT_MAP_HUGE, &undo), PT_OK);
	count_levels(root, 0, HALF, n);
	CHECK_EQ(n[0], 512); /* the first 2 MiB, in the level-0 table that was there */
	CHECK_EQ(n[1], 511);
	CHECK_EQ(n[2], 0);
	expect_leaf(root, SZ_1G, F, V_A_D | PTE_R | PTE_W, 0);
	expect_leaf(root, SZ_1G + SZ_2M, F + SZ_2M, V_A_D | PTE_R | PTE_W, 1);
	CHECK_EQ(live, 3);
	finish(root, SZ_1G / PG);
}

static void walk(void)
{
	paddr_t root = fresh();
	pte_t *p;

	SECTION("pt_walk without alloc on an empty table: NULL, nothing added");
	CHECK(pt_walk(root, 0x5000, false) == NULL);
	CHECK_EQ(live, 1);

	SECTION("pt_walk with alloc: adds two tables, returns the empty level-0 entry");
	p = pt_walk(root, 0x5000, true);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(*p, 0);
	CHECK_EQ(live, 3);
	CHECK(pt_walk(root, 0x5000, false) == p);
	CHECK(pt_walk(root, 0x6000, true) == p + 1);
	CHECK(pt_walk(root, 0x4000, false) == p - 1);
	CHECK_EQ(live, 3);

	SECTION("a leaf stored through pt_walk's pointer is what pt_lookup sees");
	*p = pa_to_pte(F) | V_A | PTE_R;
	expect_leaf(root, 0x5000, F, V_A | PTE_R, 0);

	SECTION("pt_walk: non-canonical va is NULL; out of memory halfway adds nothing");
	CHECK(pt_walk(root, NONCANON, true) == NULL);
	fail_after = 1; /* GiB 2 needs a level-1 and a level-0 table: only one is granted */
	CHECK(pt_walk(root, 2 * SZ_1G, true) == NULL);
	fail_after = -1;
	CHECK_EQ(live, 3);

	SECTION("pt_walk under a 2 MiB leaf: NULL, nothing added");
	CHECK_EQ(pt_map(root, 0xc00000, F + SZ_2M, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	CHECK(pt_walk(root, 0xc01000, true) == NULL);
	CHECK(pt_walk(root, 0xc01000, false) == NULL);
	CHECK_EQ(live, 3);

	SECTION("pt_walk in the upper half uses root entries 256..511");
	p = pt_walk(root, UPPER, true);
	CHECK(p != NULL);
	CHECK_EQ(live, 5);
	CHECK(pt_walk(root, 0, false) != p);
	CHECK_EQ(unmap_range(root, UPPER, PG), PT_OK); /* frees the empty tables */
	CHECK_EQ(live, 3);

	SECTION("pt_unlink_empty_table: only an empty level-0 table, returned, not freed");
	p = pt_walk(root, UPPER + SZ_2M, true);
	CHECK(p != NULL);
	CHECK_EQ(live, 5);
	*p = pa_to_pte(F) | PTE_V | PTE_R | PTE_A;
	CHECK_EQ(pt_unlink_empty_table(root, UPPER + SZ_2M), 0); /* not empty */
	CHECK_EQ(pt_unlink_empty_table(root, UPPER), 0);         /* no table there */
	CHECK_EQ(pt_unlink_empty_table(root, NONCANON), 0);
	CHECK_EQ(pt_unlink_empty_table(root, 0xc00000), 0); /* a 2 MiB leaf, not a table */
	*p = 0;
	{
		paddr_t t = pt_unlink_empty_table(root, UPPER + SZ_2M + PG);

		CHECK(t != 0);
		CHECK(pt_walk(root, UPPER + SZ_2M, false) == NULL);
		CHECK_EQ(live, 5); /* the caller frees it, after its flush */
		pt_page_free(t);
	}
	CHECK_EQ(live, 4); /* the level-1 table stays */
	finish(root, 1 + 512);
}

static void unmap(void)
{
	static struct drops d;
	paddr_t root = fresh();

	SECTION("unmap the middle of a range: drop once per frame, with its pa");
	CHECK_EQ(pt_map(root, 0x10000, F, 8 * PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	d.n = 0;
	CHECK_EQ(unmap_drops(root, 0x12000, 4 * PG, &d), PT_OK);
	CHECK_EQ(d.n, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(d.pa[i], F + 0x2000 + i * PG);
	expect_leaf(root, 0x11000, F + PG, V_A_D | PTE_R | PTE_W, 0);
	expect_leaf(root, 0x16000, F + 6 * PG, V_A_D | PTE_R | PTE_W, 0);
	for (int i = 2; i < 6; i++)
		expect_unmapped(root, 0x10000 + i * PG);

	SECTION("unmap over holes: only mapped frames are dropped; emptied tables are freed");
	d.n = 0;
	CHECK_EQ(unmap_drops(root, 0x10000, 8 * PG, &d), PT_OK);
	CHECK_EQ(d.n, 4);
	CHECK_EQ(d.pa[0], F);
	CHECK_EQ(d.pa[1], F + PG);
	CHECK_EQ(d.pa[2], F + 6 * PG);
	CHECK_EQ(d.pa[3], F + 7 * PG);
	CHECK_EQ(live, 1);
	d.n = 0;
	CHECK_EQ(unmap_drops(root, 0x10000, 8 * PG, &d), PT_OK); /* all holes */
	CHECK_EQ(d.n, 0);

	SECTION("unmap across a 1 GiB boundary frees all four tables");
	CHECK_EQ(pt_map(root, SZ_1G - 2 * PG, F, 4 * PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(live, 5);
	CHECK_EQ(unmap_range(root, SZ_1G - 2 * PG, 4 * PG), PT_OK);
	CHECK_EQ(live, 1);

	SECTION("unmap refuses to split a 2 MiB leaf; unmapping all of it drops 512 frames");
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	d.n = 0;
	CHECK_EQ(unmap_drops(root, SZ_2M + PG, PG, &d), PT_ERR_HUGE);
	CHECK_EQ(unmap_drops(root, SZ_2M - PG, 2 * PG, &d), PT_ERR_HUGE);
	CHECK_EQ(unmap_drops(root, SZ_2M + SZ_2M - PG, 2 * PG, &d), PT_ERR_HUGE);
	CHECK_EQ(d.n, 0);
	expect_leaf(root, SZ_2M, F + SZ_2M, V_A | PTE_R, 1);
	CHECK_EQ(unmap_drops(root, 0, 3 * SZ_2M, &d), PT_OK); /* leaf plus holes */
	CHECK_EQ(d.n, 512);
	for (int i = 0; i < 512; i++)
		CHECK_EQ(d.pa[i], F + SZ_2M + i * PG);
	CHECK_EQ(live, 1);

	SECTION("unmap refuses to split a 1 GiB leaf; a range around it drops 262144 frames");
	CHECK_EQ(pt_map(root, SZ_1G, F, SZ_1G, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	d.n = 0;
	CHECK_EQ(unmap_drops(root, SZ_1G, SZ_2M, &d), PT_ERR_HUGE);
	CHECK_EQ(d.n, 0);
	CHECK_EQ(unmap_drops(root, SZ_1G - PG, SZ_1G + 2 * PG, &d), PT_OK);
	CHECK_EQ(d.n, SZ_1G / PG);
	CHECK_EQ(d.pa[0], F);
	CHECK_EQ(d.pa[2047], F + 2047 * PG);
	CHECK_EQ(live, 1);
	finish(root, 0);
}

static void destroy_with_leaf_child(void)
{
	paddr_t root = pt_create();

	pt_map(root, 0x1000, F, PG, PTE_R, 0, &undo);
	pt_destroy(root, NULL, NULL); /* must not return */
	exit(0);
}

static void destroy(void)
{
	paddr_t root = fresh();
	pid_t pid;
	int status = 0;

	SECTION("pt_destroy drops every frame still mapped and frees every table page");
	CHECK_EQ(pt_map(root, 0x1000, F, 3 * PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	CHECK_EQ(pt_map(root, UPPER, RAM_BASE, SZ_1G, PTE_R | PTE_W, PT_MAP_HUGE, &undo), PT_OK);
	CHECK_EQ(live, 3);
	finish(root, 3 + 512 + SZ_1G / PG);

	SECTION("pt_destroy without drop on an emptied table");
	root = fresh();
	CHECK_EQ(pt_map(root, 0x3fff000, F, 2 * PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(unmap_range(root, 0x3fff000, 2 * PG), PT_OK);
	pt_destroy(root, NULL, NULL);
	CHECK_EQ(live, 0);

	SECTION("pt_destroy without drop while a leaf remains is fatal");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		destroy_with_leaf_child();
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void protect(void)
{
	paddr_t root = fresh();
	int n[3];

	CHECK_EQ(pt_map(root, 0x10000, F, 4 * PG, PTE_R | PTE_W, 0, &undo), PT_OK);

	SECTION("protect: W off and COW on keeps A and D, and the frame");
	CHECK_EQ(pt_protect(root, 0x10000, 4 * PG, PTE_COW, PTE_W, 0), PT_OK);
	for (int i = 0; i < 4; i++)
		expect_leaf(root, 0x10000 + i * PG, F + i * PG, V_A_D | PTE_R | PTE_COW, 0);

	SECTION("protect: W on and COW off");
	CHECK_EQ(pt_protect(root, 0x11000, PG, PTE_W, PTE_COW, 0), PT_OK);
	expect_leaf(root, 0x11000, F + PG, V_A_D | PTE_R | PTE_W, 0);
	expect_leaf(root, 0x12000, F + 2 * PG, V_A_D | PTE_R | PTE_COW, 0);

	SECTION("protect: W on a page mapped read-only (no D) sets D");
	CHECK_EQ(pt_map(root, 0x20000, F + 0x20000, PG, PTE_R, 0, &undo), PT_OK);
	expect_leaf(root, 0x20000, F + 0x20000, V_A | PTE_R, 0);
	CHECK_EQ(pt_protect(root, 0x20000, PG, PTE_W, 0, 0), PT_OK);
	expect_leaf(root, 0x20000, F + 0x20000, V_A_D | PTE_R | PTE_W, 0);
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 0);

	SECTION("protect refuses results that are not valid leaves, changing nothing");
	dump(root, &before);
	CHECK_EQ(pt_protect(root, 0x11000, PG, 0, PTE_R, 0), PT_ERR_INVAL);     /* W without R */
	CHECK_EQ(pt_protect(root, 0x10000, 2 * PG, 0, PTE_R, 0), PT_ERR_INVAL); /* no R|W|X left */
	CHECK_EQ(pt_protect(root, 0x12000, PG, 0, PTE_R | PTE_W | PTE_X, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, 0x10000, PG, PTE_A, 0, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, 0x10000, PG, 0, PTE_D, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, 0x10000, PG, 0, PTE_V, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, 0x10000, PG, PTE_X, PTE_X, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, 0x10000, PG, PTE_X, 0, 2), PT_ERR_INVAL);
	dump(root, &after);
	CHECK(same_dump(&before, &after));

	SECTION("protect over a hole: PT_ERR_NOTMAPPED and nothing changed, unless skipping");
	CHECK_EQ(pt_protect(root, 0x10000, 16 * PG, PTE_X, 0, 0), PT_ERR_NOTMAPPED);
	CHECK_EQ(pt_protect(root, 0x30000, PG, PTE_X, 0, 0), PT_ERR_NOTMAPPED);
	dump(root, &after);
	CHECK(same_dump(&before, &after));
	CHECK_EQ(pt_protect(root, 0x10000, 16 * PG, PTE_X, 0, PT_PROTECT_SKIP_HOLES), PT_OK);
	expect_leaf(root, 0x10000, F, V_A_D | PTE_R | PTE_X | PTE_COW, 0);
	expect_leaf(root, 0x11000, F + PG, V_A_D | PTE_R | PTE_W | PTE_X, 0);
	expect_leaf(root, 0x20000, F + 0x20000, V_A_D | PTE_R | PTE_W, 0); /* just past the range */
	CHECK_EQ(pt_protect(root, 0x30000, PG, PTE_X, 0, PT_PROTECT_SKIP_HOLES), PT_OK);

	SECTION("protect refuses to split a 2 MiB leaf; all of it changes as one leaf");
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	CHECK_EQ(pt_protect(root, SZ_2M, PG, PTE_W, 0, 0), PT_ERR_HUGE);
	CHECK_EQ(pt_protect(root, SZ_2M + SZ_2M - PG, 2 * PG, PTE_W, 0, PT_PROTECT_SKIP_HOLES),
		 PT_ERR_HUGE);
	expect_leaf(root, SZ_2M, F + SZ_2M, V_A | PTE_R, 1);
	CHECK_EQ(pt_protect(root, SZ_2M, SZ_2M, PTE_W, 0, 0), PT_OK);
	expect_leaf(root, SZ_2M, F + SZ_2M, V_A_D | PTE_R | PTE_W, 1);
	count_levels(root, SZ_2M, SZ_2M, n);
	CHECK_EQ(n[1], 1);
	finish(root, 4 + 1 + 512);
}

static void map_over_existing(void)
{
	paddr_t root = fresh();
	int before_live;

	SECTION("mapping over an existing leaf fails and changes nothing");
	CHECK_EQ(pt_map(root, 0x3000, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	dump(root, &before);
	before_live = live;
	CHECK_EQ(pt_map(root, 0x3000, F + PG, PG, PTE_R | PTE_W, 0, &undo), PT_ERR_EXIST);
	free_retired();
	CHECK_EQ(pt_map(root, 0x1000, F + PG, 4 * PG, PTE_R, 0, &undo),
		 PT_ERR_EXIST); /* 2 mapped first */
	free_retired();
	CHECK_EQ(pt_map(root, SZ_2M + PG, F, PG, PTE_R, 0, &undo),
		 PT_ERR_EXIST); /* under a 2 MiB leaf */
	free_retired();
	CHECK_EQ(pt_map(root, SZ_2M, F, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_ERR_EXIST);
	free_retired();
	CHECK_EQ(pt_map(root, 0, F, SZ_1G, PTE_R, PT_MAP_HUGE, &undo), PT_ERR_EXIST);
	free_retired();
	CHECK_EQ(pt_map(root, 0, F, SZ_1G, PTE_R, 0, &undo), PT_ERR_EXIST);
	free_retired();
	dump(root, &after);
	CHECK(same_dump(&before, &after));
	CHECK_EQ(live, before_live);
	finish(root, 1 + 512);
}

static void bad_arguments(void)
{
	paddr_t root = fresh();

	SECTION("unaligned, empty, non-canonical, half-crossing and wrapping ranges: INVAL");
	CHECK_EQ(pt_map(root, 0x1001, F, PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F + 1, PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG + 1, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, 0, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, NONCANON, F, PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0xffff800000000000UL, F, PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, HALF - PG, F, 2 * PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, UPPER - PG, F, 2 * PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0xfffffffffffff000UL, F, 2 * PG, PTE_R, 0, &undo), PT_ERR_INVAL);

	SECTION("bad perm, flags or pa: INVAL");
	CHECK_EQ(pt_map(root, 0x1000, F, PG, 0, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_W, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_W | PTE_X, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R | PTE_V, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R | PTE_A, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R | PTE_W | PTE_D, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R | (1UL << PTE_PPN_SHIFT), 0, &undo),
		 PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R | (1UL << 61), 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R, 2, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, 1UL << SV39_PA_BITS, PG, PTE_R, 0, &undo), PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, (1UL << SV39_PA_BITS) - PG, 2 * PG, PTE_R, 0, &undo),
		 PT_ERR_INVAL);
	CHECK_EQ(pt_map(root, 0x1000, (1UL << SV39_PA_BITS) - PG, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(unmap_range(root, 0x1000, PG), PT_OK);
	CHECK_EQ(live, 1);

	SECTION("unmap, protect, for_each_leaf and lookup check their ranges too");
	CHECK_EQ(unmap_range(root, 0x1001, PG), PT_ERR_INVAL);
	CHECK_EQ(unmap_range(root, 0x1000, 0), PT_ERR_INVAL);
	CHECK_EQ(unmap_range(root, NONCANON, PG), PT_ERR_INVAL);
	CHECK_EQ(unmap_range(root, HALF - PG, 2 * PG), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, 0x1000, PG + 1, PTE_X, 0, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_protect(root, NONCANON, PG, PTE_X, 0, 0), PT_ERR_INVAL);
	CHECK_EQ(pt_for_each_leaf(root, 0x1000, 0, dump_one, &after), PT_ERR_INVAL);
	CHECK_EQ(pt_for_each_leaf(root, NONCANON, PG, dump_one, &after), PT_ERR_INVAL);
	CHECK_EQ(pt_lookup(root, NONCANON, NULL, NULL, NULL), PT_ERR_INVAL);
	CHECK_EQ(live, 1);
	for (int e = PT_ERR_HUGE; e <= PT_OK; e++)
		CHECK(strcmp(pt_strerror(e), "unknown error") != 0);
	CHECK_STREQ(pt_strerror(-99), "unknown error");
	finish(root, 0);
}

static void out_of_memory(void)
{
	uintptr_t va = SZ_1G - 2 * SZ_2M; /* 8 MiB across the 1 GiB boundary */
	paddr_t root = fresh();
	int before_live;

	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, UPPER, F, PG, PTE_R, 0, &undo), PT_OK);
	dump(root, &before);
	before_live = live;
	CHECK_EQ(before_live, 5);

	/*
	 * The range needs 5 new tables: level 0 for the last two 2 MiB of
	 * GiB 0, a level-1 table for GiB 1 and level 0 for its first 4 MiB.
	 */
	SECTION("out of memory after N of 5 table pages (4 KiB leaves): table as before");
	for (int n = 0; n < 5; n++) {
		fail_after = n;
		CHECK_EQ(pt_map(root, va, F, 4 * SZ_2M, PTE_R | PTE_W, 0, &undo), PT_ERR_NOMEM);
		free_retired();
		fail_after = -1;
		dump(root, &after);
		CHECK(same_dump(&before, &after));
		CHECK_EQ(live, before_live);
		CHECK_EQ(pt_check_ad(root, NULL, NULL), 0);
	}
	fail_after = 5;
	CHECK_EQ(pt_map(root, va, F, 4 * SZ_2M, PTE_R | PTE_W, 0, &undo), PT_OK);
	fail_after = -1;
	CHECK_EQ(live, before_live + 5);
	CHECK_EQ(unmap_range(root, va, 4 * SZ_2M), PT_OK);
	CHECK_EQ(live, before_live);

	/*
	 * A 2 MiB leaf and a 1 GiB leaf need no table; the 4 KiB page after
	 * them needs two. Failing there must take back both huge leaves.
	 */
	SECTION("out of memory after two huge leaves were mapped: table as before");
	va = SZ_1G - SZ_2M;
	for (int n = 0; n < 2; n++) {
		fail_after = n;
		CHECK_EQ(pt_map(root, va, F + va, SZ_2M + SZ_1G + PG, PTE_R, PT_MAP_HUGE, &undo),
			 PT_ERR_NOMEM);
		fail_after = -1;
		dump(root, &after);
		CHECK(same_dump(&before, &after));
		CHECK_EQ(live, before_live);
	}

	SECTION("a leaf in the middle of the range (PT_ERR_EXIST late): table as before");
	CHECK_EQ(pt_map(root, SZ_1G + 0x5000, F, PG, PTE_R, 0, &undo), PT_OK);
	dump(root, &before);
	before_live = live;
	CHECK_EQ(pt_map(root, SZ_1G - 2 * SZ_2M, F, 4 * SZ_2M, PTE_R, 0, &undo), PT_ERR_EXIST);
	free_retired();
	dump(root, &after);
	CHECK(same_dump(&before, &after));
	CHECK_EQ(live, before_live);
	finish(root, 3);
}

struct reports {
	int n;
	uintptr_t va[8];
	const char *why[8];
};

static void record_report(uintptr_t va, pte_t pte, const char *why, void *ctx)
{
	struct reports *r = ctx;

	(void)pte;
	if (r->n < 8) {
		r->va[r->n] = va;
		r->why[r->n] = why;
	}
	r->n++;
}

static void check_ad(void)
{
	paddr_t root = fresh();
	pte_t *root_table = phys_to_virt(root);
	struct reports r = {0};
	uintptr_t bad_huge = sv39_va_extend(300UL << 30);
	pte_t *p[4];

	SECTION("the A/D checker passes on tables built by pt_map and pt_protect");
	CHECK_EQ(pt_map(root, 0x1000, F, 4 * PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, 0x5000, F, PG, PTE_R | PTE_X | PTE_U, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R | PTE_W, PT_MAP_HUGE, &undo), PT_OK);
	CHECK_EQ(
	    pt_map(root, UPPER, RAM_BASE, SZ_1G + PG, PTE_R | PTE_W | PTE_G, PT_MAP_HUGE, &undo),
	    PT_OK);
	CHECK_EQ(pt_protect(root, 0x1000, 2 * PG, PTE_COW, PTE_W, 0), PT_OK);
	CHECK_EQ(pt_protect(root, 0x1000, PG, PTE_W, PTE_COW, 0), PT_OK);
	CHECK_EQ(pt_check_ad(root, record_report, &r), 0);
	CHECK_EQ(r.n, 0);

	SECTION("planted faults are each reported once, in address order, with the reason");
	root_table[0] |= PTE_U; /* the table pointer for GiB 0 */
	p[0] = pt_walk(root, 0x7000, true);
	p[1] = pt_walk(root, 0x8000, true);
	p[2] = pt_walk(root, 0x9000, true);
	p[3] = pt_walk(root, 0xa000, true);
	CHECK(p[0] && p[1] && p[2] && p[3]);
	if (!(p[0] && p[1] && p[2] && p[3]))
		return;
	*p[0] = pa_to_pte(F) | PTE_V | PTE_R;                 /* no A */
	*p[1] = pa_to_pte(F) | PTE_V | PTE_R | PTE_W | PTE_A; /* writable, no D */
	*p[2] = pa_to_pte(F) | PTE_V | PTE_W | PTE_A | PTE_D; /* W without R */
	*p[3] = pa_to_pte(F) | V_A | PTE_R | (1UL << 54);     /* a reserved bit */
	root_table[300] = pa_to_pte(F + SZ_2M) | V_A | PTE_R; /* 1 GiB leaf, 2 MiB-aligned */
	CHECK_EQ(pt_check_ad(root, record_report, &r), 6);
	CHECK_EQ(r.n, 6);
	CHECK_EQ(r.va[0], 0);
	CHECK_STREQ(r.why[0], "table pointer with A, D or U");
	CHECK_EQ(r.va[1], 0x7000);
	CHECK_STREQ(r.why[1], "leaf without A");
	CHECK_EQ(r.va[2], 0x8000);
	CHECK_STREQ(r.why[2], "writable leaf without D");
	CHECK_EQ(r.va[3], 0x9000);
	CHECK_STREQ(r.why[3], "W without R");
	CHECK_EQ(r.va[4], 0xa000);
	CHECK_STREQ(r.why[4], "reserved bits set");
	CHECK_EQ(r.va[5], bad_huge);
	CHECK_STREQ(r.why[5], "huge leaf with a misaligned frame");
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 6);

	SECTION("after removing the plants the checker passes again");
	root_table[0] &= ~PTE_U;
	root_table[300] = 0;
	for (int i = 0; i < 4; i++)
		*p[i] = 0;
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 0);
	finish(root, 5 + 512 + SZ_1G / PG + 1);
}

struct visits {
	int n, stop_at;
	uintptr_t va[8];
	unsigned level[8];
};

static int record_visit(uintptr_t va, pte_t *pte, unsigned level, void *ctx)
{
	struct visits *v = ctx;

	(void)pte;
	if (v->n < 8) {
		v->va[v->n] = va;
		v->level[v->n] = level;
	}
	v->n++;
	return v->n == v->stop_at ? 7 : 0;
}

static void for_each_leaf(void)
{
	paddr_t root = fresh();
	struct visits v = {0};

	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, 0x5000, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_2M, F + SZ_2M, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	CHECK_EQ(pt_map(root, UPPER, F, PG, PTE_R, 0, &undo), PT_OK);

	SECTION("pt_for_each_leaf: leaves in address order, with their levels");
	CHECK_EQ(pt_for_each_leaf(root, 0, 2 * SZ_2M, record_visit, &v), 0);
	CHECK_EQ(v.n, 3);
	CHECK_EQ(v.va[0], 0x1000);
	CHECK_EQ(v.va[1], 0x5000);
	CHECK_EQ(v.va[2], SZ_2M);
	CHECK_EQ(v.level[2], 1);

	SECTION("pt_for_each_leaf: a huge leaf that begins below va is visited at its start");
	v.n = 0;
	CHECK_EQ(pt_for_each_leaf(root, SZ_2M + 3 * PG, PG, record_visit, &v), 0);
	CHECK_EQ(v.n, 1);
	CHECK_EQ(v.va[0], SZ_2M);

	SECTION("pt_for_each_leaf: a non-zero return stops the walk and is returned");
	v.n = 0;
	v.stop_at = 2;
	CHECK_EQ(pt_for_each_leaf(root, 0, HALF, record_visit, &v), 7);
	CHECK_EQ(v.n, 2);
	v.n = 0;
	v.stop_at = 0;
	CHECK_EQ(pt_for_each_leaf(root, UPPER, HALF, record_visit, &v), 0);
	CHECK_EQ(v.n, 1);
	CHECK_EQ(v.va[0], UPPER);
	finish(root, 3 + 512);
}

/* What pt_for_each_leaf_table passed, call by call. */
struct runs {
	uintptr_t va[8];
	pte_t *pte[8];
	unsigned n[8];
	int calls;
	int stop_at; /* return 7 at this call; 0: never */
};

static int record_run(uintptr_t va, pte_t *pte, unsigned n, void *ctx)
{
	struct runs *r = ctx;

	if (r->calls < 8) {
		r->va[r->calls] = va;
		r->pte[r->calls] = pte;
		r->n[r->calls] = n;
	}
	r->calls++;
	return r->calls == r->stop_at ? 7 : 0;
}

static void for_each_leaf_table(void)
{
	paddr_t root = fresh();
	struct runs r = {0};

	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, 0x5000, F + PG, PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_2M + 10 * PG, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, UPPER, F, PG, PTE_R, 0, &undo), PT_OK);

	SECTION("pt_for_each_leaf_table: one call per level-0 table, entries as pt_walk's");
	CHECK_EQ(pt_for_each_leaf_table(root, 0, HALF, record_run, &r), 0);
	CHECK_EQ(r.calls, 2);
	CHECK_EQ(r.va[0], 0);
	CHECK_EQ(r.n[0], SV39_ENTRIES);
	CHECK(r.pte[0] == pt_walk(root, 0, false));
	CHECK_EQ(r.pte[0][1], pa_to_pte(F) | V_A | PTE_R);
	CHECK_EQ(r.pte[0][5], pa_to_pte(F + PG) | V_A_D | PTE_R | PTE_W);
	CHECK_EQ(r.pte[0][2], 0);
	CHECK_EQ(r.va[1], SZ_2M);
	CHECK(r.pte[1] == pt_walk(root, SZ_2M, false));

	SECTION("pt_for_each_leaf_table: a range that starts and ends inside tables");
	r.calls = 0;
	CHECK_EQ(pt_for_each_leaf_table(root, 0x3000, SZ_2M, record_run, &r), 0);
	CHECK_EQ(r.calls, 2);
	CHECK_EQ(r.va[0], 0x3000);
	CHECK_EQ(r.n[0], SV39_ENTRIES - 3);
	CHECK(r.pte[0] == pt_walk(root, 0x3000, false));
	CHECK_EQ(r.pte[0][2], pa_to_pte(F + PG) | V_A_D | PTE_R | PTE_W);
	CHECK_EQ(r.va[1], SZ_2M);
	CHECK_EQ(r.n[1], 3);

	SECTION("pt_for_each_leaf_table: the upper half; a non-zero return stops the walk");
	r.calls = 0;
	CHECK_EQ(pt_for_each_leaf_table(root, UPPER, HALF, record_run, &r), 0);
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(r.va[0], UPPER);
	r.calls = 0;
	r.stop_at = 1;
	CHECK_EQ(pt_for_each_leaf_table(root, 0, HALF, record_run, &r), 7);
	CHECK_EQ(r.calls, 1);

	SECTION("pt_for_each_leaf_table: a huge leaf in the range is PT_ERR_HUGE; bad range INVAL");
	CHECK_EQ(pt_map(root, SZ_1G, F + SZ_1G, SZ_2M, PTE_R, PT_MAP_HUGE, &undo), PT_OK);
	r.calls = 0;
	r.stop_at = 0;
	CHECK_EQ(pt_for_each_leaf_table(root, 0, HALF, record_run, &r), PT_ERR_HUGE);
	CHECK_EQ(r.calls, 2); /* the tables below it were visited */
	CHECK_EQ(pt_for_each_leaf_table(root, 0x1234, PG, record_run, &r), PT_ERR_INVAL);
	finish(root, 4 + 512);
}

/*
 * pt_destroy_leaf_tables' release, once per level-1 table: count the valid
 * entries of each level-0 table linked (or dormant) there, then free it.
 * A 2 MiB leaf is refused, as the kernel's release does (abort: SIGABRT).
 */
static void count_leaves(const pte_t *links, void *ctx)
{
	long *n = ctx;

	for (unsigned l = 0; l < SV39_ENTRIES; l++) {
		const pte_t *t;

		if (links[l] == 0)
			continue;
		if (!pte_is_table(links[l]) && !pte_is_dormant(links[l]))
			abort();
		t = phys_to_virt(pte_pa(links[l]));
		for (unsigned i = 0; i < SV39_ENTRIES; i++)
			if (pte_valid(t[i]))
				(*n)++;
		pt_page_free(pte_pa(links[l]));
	}
}

static void destroy_leaf_tables_child(void)
{
	paddr_t root = pt_create();
	long n = 0;

	pt_map(root, SZ_2M, F, SZ_2M, PTE_R, PT_MAP_HUGE, &undo);
	pt_destroy_leaf_tables(root, count_leaves, &n); /* must not return */
	exit(0);
}

static void destroy_leaf_tables(void)
{
	paddr_t root = fresh();
	long n = 0;
	pid_t pid;
	int status = 0;

	SECTION("pt_destroy_leaf_tables: each level-0 table once, then every table page freed");
	CHECK_EQ(pt_map(root, 0x1000, F, 3 * PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_1G - PG, F, 2 * PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, UPPER, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(live, 8); /* the root; 2 + 1 level-0 and 2 level-1 below; 2 in the upper half */
	pt_destroy_leaf_tables(root, count_leaves, &n);
	CHECK_EQ(n, 6);
	CHECK_EQ(live, 0);

	SECTION("pt_destroy_leaf_tables with a huge leaf is fatal");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		destroy_leaf_tables_child();
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/*
 * pt_for_each_link_table's fn: record each link's address (non-zero
 * entries only), then make it dormant; and each call's run.
 */
struct links_seen {
	int n, calls;
	uintptr_t va[8];
	pte_t was[8];
	unsigned runs[4];
};

static int record_link(uintptr_t va, pte_t *links, unsigned n, void *ctx)
{
	struct links_seen *l = ctx;

	if (l->calls < 4)
		l->runs[l->calls] = n;
	l->calls++;
	for (unsigned i = 0; i < n; i++, va += SZ_2M) {
		if (links[i] == 0)
			continue;
		if (l->n < 8) {
			l->va[l->n] = va;
			l->was[l->n] = links[i];
		}
		l->n++;
		if (pte_is_table(links[i]))
			links[i] =
			    pa_to_pte(pte_pa(links[i])) | PTE_DORMANT; /* as fork leaves it */
	}
	return 0;
}

static void walk_dormant_child(paddr_t root)
{
	pt_walk(root, 0x1000, true); /* a walk that would add a table under a dormant link */
	exit(0);
}

static void dormant_links(void)
{
	paddr_t root = fresh();
	struct links_seen l = {0};
	long n = 0;
	pid_t pid;
	int status = 0;
	pte_t *link;

	SECTION("pt_for_each_link_table: one call per level-1 table, links valid or dormant");
	CHECK_EQ(pt_map(root, 0x1000, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, 3 * SZ_2M, F, PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	CHECK_EQ(pt_map(root, SZ_1G + SZ_2M, F, PG, PTE_R, 0, &undo), PT_OK);
	CHECK_EQ(pt_for_each_link_table(root, 0, 2 * SZ_1G, record_link, &l), 0);
	CHECK_EQ(l.n, 3);
	CHECK_EQ(l.calls, 2);
	CHECK_EQ(l.runs[0], SV39_ENTRIES);
	CHECK_EQ(l.va[0], 0);
	CHECK_EQ(l.va[1], 3 * SZ_2M);
	CHECK_EQ(l.va[2], SZ_1G + SZ_2M);
	CHECK(pte_is_table(l.was[0]) && pte_is_table(l.was[1]) && pte_is_table(l.was[2]));
	l.n = 0;
	l.calls = 0;
	CHECK_EQ(pt_for_each_link_table(root, 0, 2 * SZ_1G, record_link, &l), 0);
	CHECK_EQ(l.n, 3); /* dormant links are handed over too */
	CHECK(pte_is_dormant(l.was[0]) && !pte_valid(l.was[0]));
	CHECK_EQ(pt_for_each_link_table(root, 2 * SZ_2M, 2 * SZ_2M, record_link, &l), 0);
	CHECK_EQ(l.n, 4);     /* only the link of [6 MiB, 8 MiB) */
	CHECK_EQ(l.calls, 3); /* one call, for the entries 2 and 3 */
	CHECK_EQ(l.runs[2], 2);
	CHECK_EQ(l.va[3], 3 * SZ_2M);

	SECTION("pt_walk_link finds the level-1 entry; a dormant link hides its leaves");
	link = pt_walk_link(root, 3 * SZ_2M + 5 * PG, false);
	CHECK(link != NULL && pte_is_dormant(*link));
	CHECK(pt_walk(root, 3 * SZ_2M, false) == NULL);
	CHECK_EQ(pt_lookup(root, 3 * SZ_2M, NULL, NULL, NULL), PT_ERR_NOTMAPPED);
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 0); /* a dormant link is a valid level-1 form */

	SECTION("a walk that would fill a dormant link is fatal");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		walk_dormant_child(root);
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);

	SECTION("pt_destroy_leaf_tables hands dormant tables to release like linked ones");
	*link = pa_to_pte(pte_pa(*link)) | PTE_V; /* one woken again */
	pt_destroy_leaf_tables(root, count_leaves, &n);
	CHECK_EQ(n, 3);
	CHECK_EQ(live, 0);
}

static void top_of_address_space(void)
{
	static struct drops d;
	uintptr_t top2m = 0xffffffffffe00000UL;
	paddr_t root = fresh();

	SECTION("the last 2 MiB of the address space (va + size wraps to 0)");
	CHECK_EQ(pt_map(root, top2m, F, SZ_2M, PTE_R | PTE_W, PT_MAP_HUGE, &undo), PT_OK);
	expect_leaf(root, top2m, F, V_A_D | PTE_R | PTE_W, 1);
	expect_leaf(root, UINTPTR_MAX, F + SZ_2M - 1, V_A_D | PTE_R | PTE_W, 1);
	CHECK_EQ(unmap_range(root, UINTPTR_MAX - PG + 1, PG), PT_ERR_HUGE);
	d.n = 0;
	CHECK_EQ(unmap_drops(root, top2m, SZ_2M, &d), PT_OK);
	CHECK_EQ(d.n, 512);
	CHECK_EQ(live, 1);
	CHECK_EQ(pt_map(root, UINTPTR_MAX - PG + 1, F, PG, PTE_R, 0, &undo), PT_OK);
	expect_leaf(root, UINTPTR_MAX - PG + 1, F, V_A | PTE_R, 0);
	CHECK_EQ(live, 3);
	finish(root, 1);
}

static void pte_format(void)
{
	SECTION("pte.h: bit positions, PPN round trip, VPNs, canonical rule, satp");
	CHECK_EQ(PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_A | PTE_D, 0xff);
	CHECK_EQ(PTE_COW, 0x100);
	CHECK_EQ(PTE_SW1, 0x200);
	CHECK_EQ(pa_to_pte(0x80201000UL), 0x80201000UL >> 2);
	CHECK_EQ(pte_pa(pa_to_pte(0xfffffffffff000UL) | 0x3ff), 0xfffffffffff000UL);
	CHECK_EQ(pte_pa(PTE_RESERVED_MASK | PTE_FLAGS_MASK), 0);
	CHECK_EQ(sv39_vpn(0x7fc0201000UL, 2), 0x1ff);
	CHECK_EQ(sv39_vpn(0x7fc0201000UL, 1), 1);
	CHECK_EQ(sv39_vpn(0x7fc0201000UL, 0), 1);
	CHECK_EQ(sv39_level_size(0), SV39_SIZE_4K);
	CHECK_EQ(sv39_level_size(1), SV39_SIZE_2M);
	CHECK_EQ(sv39_level_size(2), SV39_SIZE_1G);
	CHECK(sv39_va_canonical(0));
	CHECK(sv39_va_canonical(HALF - 1));
	CHECK(!sv39_va_canonical(HALF));
	CHECK(!sv39_va_canonical(NONCANON));
	CHECK(!sv39_va_canonical(UPPER - 1));
	CHECK(sv39_va_canonical(UPPER));
	CHECK(sv39_va_canonical(UINTPTR_MAX));
	CHECK_EQ(sv39_va_extend(HALF), UPPER);
	CHECK_EQ(sv39_va_extend(HALF - 1), HALF - 1);
	CHECK_EQ(satp_make(0x80400000UL, 5), (8UL << 60) | (5UL << 44) | 0x80400UL);
	CHECK_EQ(satp_make(0x80400000UL, 0x1ffff), (8UL << 60) | (0xffffUL << 44) | 0x80400UL);
	CHECK_EQ(satp_asid(satp_make(0x80400000UL, 0xabcd)), 0xabcd);
}

/*
 * Table pages leave a tree only through the caller: an unmap hands each
 * emptied table back, unlinked and empty but not freed (a walker may
 * still cache the link until the caller's whole flush), and a walk that
 * runs out of memory links nothing, so it has nothing to hand back.
 */
static void retire(void)
{
	uintptr_t va = SZ_1G + 5 * SZ_2M; /* alone in its GiB: a level-1 and a level-0 table */
	paddr_t root = fresh();
	long before = retired_total;

	SECTION("unmap hands back the tables it empties, unlinked, and frees none");
	CHECK_EQ(pt_map(root, va, F, PG, PTE_R | PTE_W, 0, &undo), PT_OK);
	CHECK_EQ(live, 3);
	CHECK_EQ(pt_unmap(root, va, PG, &undo), PT_OK);
	CHECK_EQ(nretired, 2);
	CHECK_EQ(retired_total - before, 2);
	CHECK_EQ(live, 3); /* still allocated: the caller frees them after its flush */
	CHECK_EQ(((pte_t *)phys_to_virt(root))[1], 0);
	expect_unmapped(root, va);
	free_retired();
	CHECK_EQ(live, 1);

	SECTION("a walk out of memory links nothing and hands nothing back");
	fail_after = 1; /* the level-1 table, then none for level 0 */
	CHECK(pt_walk(root, va, true) == NULL);
	fail_after = -1;
	CHECK_EQ(nretired, 0);
	CHECK_EQ(live, 1);
	CHECK_EQ(((pte_t *)phys_to_virt(root))[1], 0);

	SECTION("a failed multi-page map hands back the tables it had added");
	fail_after = 3; /* level 1 and 0 for the first 2 MiB, level 0 of the second: then none */
	CHECK_EQ(pt_map(root, SZ_1G, F, 3 * SZ_2M, PTE_R, 0, &undo), PT_ERR_NOMEM);
	fail_after = -1;
	CHECK_EQ(nretired, 3);
	CHECK_EQ(((pte_t *)phys_to_virt(root))[1], 0);
	free_retired();
	finish(root, 0);
}

/*
 * Lazy slots (pagetable.h): a level-1 entry with V clear, PTE_LAZY and leaf
 * bits, no frame. A walk that would fill it finds PT_ERR_EXIST; pt_unmap
 * clears one its range covers whole and refuses to cut one; pt_check_ad
 * accepts it at level 1 only, without a frame.
 */
static void lazy_slots(void)
{
	paddr_t root = fresh();
	struct drops d = {0};
	pte_t *link;

	SECTION("a lazy slot: mapping into it is PT_ERR_EXIST, and nothing is added");
	link = pt_walk_link(root, SZ_2M, true);
	CHECK(link != NULL && *link == 0);
	*link = PTE_LAZY | PTE_R | PTE_W | PTE_U;
	CHECK(pte_is_lazy(*link) && !pte_is_dormant(*link) && !pte_valid(*link));
	CHECK_EQ(pt_map(root, SZ_2M + 3 * PG, F, PG, PTE_R, 0, &undo), PT_ERR_EXIST);
	CHECK(pt_walk(root, SZ_2M, true) == NULL);
	CHECK(pte_is_lazy(*link));
	CHECK_EQ(pt_lookup(root, SZ_2M, NULL, NULL, NULL), PT_ERR_NOTMAPPED);
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 0);

	SECTION("pt_check_ad: a lazy slot with a frame is a problem");
	*link |= pa_to_pte(F);
	CHECK_EQ(pt_check_ad(root, NULL, NULL), 1);
	*link &= ~PTE_PPN_MASK;

	SECTION("pt_unmap refuses to cut a lazy slot, and clears one it covers whole");
	CHECK_EQ(unmap_drops(root, SZ_2M + PG, PG, &d), PT_ERR_HUGE);
	CHECK_EQ(unmap_drops(root, SZ_2M - PG, 2 * PG, &d), PT_ERR_HUGE);
	CHECK(pte_is_lazy(*link));
	CHECK_EQ(unmap_drops(root, 0, 3 * SZ_2M, &d), PT_OK);
	CHECK_EQ(d.n, 0);                                /* no frame to drop */
	CHECK(pt_walk_link(root, SZ_2M, false) == NULL); /* the emptied level-1 table went */
	pt_destroy(root, NULL, NULL);
}

/* pt_next_used: the first used entry from i on, four empty ones at a time. */
static void next_used(void)
{
	pte_t t[SV39_ENTRIES] = {0};

	SECTION("pt_next_used: empty, full, each position, a count not a multiple of 4");
	CHECK_EQ(pt_next_used(t, 0, SV39_ENTRIES), SV39_ENTRIES);
	CHECK_EQ(pt_next_used(t, SV39_ENTRIES, SV39_ENTRIES), SV39_ENTRIES);
	for (size_t k = 0; k < 9; k++) {
		t[k] = 1;
		for (size_t i = 0; i <= k; i++)
			CHECK_EQ(pt_next_used(t, i, SV39_ENTRIES), k);
		CHECK_EQ(pt_next_used(t, k + 1, SV39_ENTRIES), SV39_ENTRIES);
		CHECK_EQ(pt_next_used(t, 0, k), k); /* beyond n is not looked at */
		t[k] = 0;
	}
	t[SV39_ENTRIES - 1] = 1;
	CHECK_EQ(pt_next_used(t, 0, SV39_ENTRIES), SV39_ENTRIES - 1);
	CHECK_EQ(pt_next_used(t, 5, 7), 7);
	for (size_t k = 0; k < SV39_ENTRIES; k++)
		t[k] = 1;
	for (size_t i = 0; i < SV39_ENTRIES; i++)
		CHECK_EQ(pt_next_used(t, i, SV39_ENTRIES), i);
}

/* pte_is_link: pte_is_table || pte_is_dormant for every level-1 entry kine makes. */
static void link_kinds(void)
{
	const pte_t pa = pa_to_pte(RAM_BASE + 7 * PAGE_SIZE);
	const pte_t rwxu = PTE_R | PTE_W | PTE_X | PTE_U;
	const pte_t kinds[] = {
	    0,                                            /* empty */
	    pa | PTE_V,                                   /* a link */
	    pa | PTE_DORMANT,                             /* a dormant link */
	    pa | PTE_V | PTE_R | PTE_A,                   /* a huge leaf, read-only */
	    pa | PTE_V | rwxu | PTE_A | PTE_D,            /* a huge leaf, writable */
	    pa | PTE_V | PTE_X | PTE_U | PTE_A,           /* a huge leaf, execute-only */
	    pa | PTE_V | PTE_R | PTE_U | PTE_COW | PTE_A, /* a huge COW leaf */
	    PTE_LAZY | PTE_R | PTE_W | PTE_U,             /* a lazy slot */
	    PTE_LAZY,                                     /* a lazy slot with no access */
	};

	SECTION("pte_is_link: a link or a dormant link, nothing else");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		CHECK_EQ(pte_is_link(kinds[k]), pte_is_table(kinds[k]) || pte_is_dormant(kinds[k]));
	CHECK(pte_is_link(pa | PTE_V));
	CHECK(pte_is_link(pa | PTE_DORMANT));
	CHECK(!pte_is_link(PTE_LAZY | PTE_R));
}

int main(void)
{
	arena = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
	if (!arena)
		return 1;
	phys_map_offset = (uintptr_t)arena - RAM_BASE;

	pte_format();
	map_single_pages();
	map_range();
	huge_1g();
	huge_mixed();
	huge_2m_and_fallback();
	huge_into_existing_tables();
	walk();
	unmap();
	destroy();
	protect();
	map_over_existing();
	bad_arguments();
	out_of_memory();
	check_ad();
	for_each_leaf();
	for_each_leaf_table();
	destroy_leaf_tables();
	dormant_links();
	lazy_slots();
	next_used();
	link_kinds();
	top_of_address_space();
	retire();

	free(arena);
	return check_summary("pagetable_test");
}
