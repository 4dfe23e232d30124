/*
 * physmem_test.c: the free memory map. Hand-made cases with exact expected
 * ranges (merging, inward alignment, reservations outside or across RAM,
 * overflow of the range table, the top of the address space), then random
 * cases checked page by page against a brute-force reference. Every result
 * is also checked against the invariants promised in physmem.h.
 */
#include "src/mm/physmem.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdlib.h>

#define PG      PHYSMEM_PAGE_SIZE
#define R(b, s) ((struct physmem_range){(b), (s)})

static struct physmem pm;
static char err[96];

/* Whether [base, end) lies inside the union of the RAM ranges. */
static bool inside_ram(uint64_t base, uint64_t end, const struct physmem_range *ram, int nram)
{
	bool moved = true;

	while (base < end && moved) {
		moved = false;
		for (int i = 0; i < nram; i++) {
			uint64_t rb = ram[i].base;
			uint64_t re = ram[i].size > UINT64_MAX - rb ? UINT64_MAX : rb + ram[i].size;
			if (ram[i].size && rb <= base && base < re) {
				base = re;
				moved = true;
			}
		}
	}
	return base >= end;
}

/* The invariants physmem.h promises. */
static void check_invariants(const struct physmem_range *ram, int nram,
			     const struct physmem_range *resv, int nresv)
{
	uint64_t total = 0;

	CHECK(pm.nfree >= 1 && pm.nfree <= PHYSMEM_MAX_FREE);
	for (int i = 0; i < pm.nfree; i++) {
		uint64_t b = pm.free[i].base, e = b + pm.free[i].size;
		CHECK(pm.free[i].size > 0);
		CHECK_EQ(b % PG, 0);
		CHECK_EQ(pm.free[i].size % PG, 0);
		if (i + 1 < pm.nfree)
			CHECK(e < pm.free[i + 1].base); /* sorted, disjoint, not adjacent */
		CHECK(inside_ram(b, e, ram, nram));
		for (int j = 0; j < nresv; j++) {
			uint64_t rb = resv[j].base;
			uint64_t re =
			    resv[j].size > UINT64_MAX - rb ? UINT64_MAX : rb + resv[j].size;
			CHECK(resv[j].size == 0 || re <= b || rb >= e);
		}
		total += pm.free[i].size;
	}
	CHECK_EQ(pm.free_bytes, total);
}

static int run(const struct physmem_range *ram, int nram, const struct physmem_range *resv,
	       int nresv)
{
	int rc = physmem_init(&pm, ram, nram, resv, nresv, err, sizeof(err));

	if (rc == 0)
		check_invariants(ram, nram, resv, nresv);
	else
		CHECK(pm.nfree == 0 && pm.free_bytes == 0 && err[0]);
	return rc;
}

static void expect(int i, uint64_t base, uint64_t size)
{
	CHECK(i < pm.nfree);
	CHECK_EQ(pm.free[i].base, base);
	CHECK_EQ(pm.free[i].size, size);
}

static void test_cases(void)
{
	SECTION("virt 256 MiB: OpenSBI, kernel, DTB reserved");
	{
		struct physmem_range ram[] = {R(0x80000000, 0x10000000)};
		struct physmem_range resv[] = {R(0x8fe00000, 0x191b), R(0x80000000, 0x80000),
					       R(0x80200000, 0x123456)};
		CHECK_EQ(run(ram, 1, resv, 3), 0);
		CHECK_EQ(pm.nfree, 3);
		expect(0, 0x80080000, 0x180000);
		expect(1, 0x80324000, 0x8fe00000 - 0x80324000);
		expect(2, 0x8fe02000, 0x1fe000);
		CHECK(physmem_is_free(&pm, 0x80080000));
		CHECK(!physmem_is_free(&pm, 0x8007ffff));
		CHECK(!physmem_is_free(&pm, 0x80323fff));
		CHECK(physmem_is_free(&pm, 0x8fffffff));
		CHECK(!physmem_is_free(&pm, 0x90000000));
	}

	SECTION("RAM in any order, overlapping and touching, merges");
	{
		struct physmem_range ram[] = {R(0x5000, 0x1000), R(0x2000, 0x3000),
					      R(0x1000, 0x2000), R(0x10000, 0), R(0x20000, 0x1000)};
		CHECK_EQ(run(ram, 5, NULL, 0), 0);
		CHECK_EQ(pm.nfree, 2);
		expect(0, 0x1000, 0x5000);
		expect(1, 0x20000, 0x1000);
		CHECK_EQ(pm.free_bytes, 0x6000);
	}

	SECTION("two touching half pages make a page; unaligned RAM shrinks inward");
	{
		struct physmem_range ram[] = {R(0x2800, 0x1000), R(0x1800, 0x1000),
					      R(0x10001, 0x3ffe)};
		CHECK_EQ(run(ram, 3, NULL, 0), 0);
		CHECK_EQ(pm.nfree, 2);
		expect(0, 0x2000, 0x1000);
		expect(1, 0x11000, 0x2000);
	}

	SECTION("reservations: outside RAM, across its edges, one byte, empty, duplicated");
	{
		struct physmem_range ram[] = {R(0x100000, 0x100000)};
		struct physmem_range resv[] = {
		    R(0x0, 0x1000), R(0x300000, 0x1000), R(0xff000, 0x1800), R(0x1ff000, 0x10000),
		    R(0x150000, 1), R(0x160000, 0),      R(0x150fff, 1),     R(0x150000, 1)};
		CHECK_EQ(run(ram, 1, resv, 8), 0);
		CHECK_EQ(pm.nfree, 2);
		expect(0, 0x101000, 0x4f000);
		expect(1, 0x151000, 0x1ff000 - 0x151000);
	}

	SECTION("everything reserved: error");
	{
		struct physmem_range ram[] = {R(0x1000, 0x3000)};
		struct physmem_range resv[] = {R(0x2001, 0xffe)};
		CHECK_EQ(run(ram, 1, resv, 1), 0); /* pages 1 and 3 survive */
		CHECK_EQ(pm.nfree, 2);
		struct physmem_range all[] = {R(0, UINT64_MAX)};
		CHECK_EQ(run(ram, 1, all, 1), -1);
		CHECK_STREQ(err, "physmem: no free page in RAM");
		CHECK_EQ(run(ram, 0, NULL, 0), -1);
		struct physmem_range tiny[] = {R(0x1001, 0xffe)};
		CHECK_EQ(run(tiny, 1, NULL, 0), -1);
	}

	SECTION("table limits: 32 free ranges fit, 33 do not; 33 RAM ranges do not");
	{
		struct physmem_range ram[] = {R(0, 66 * PG)};
		struct physmem_range resv[32];
		for (int i = 0; i < 31; i++)
			resv[i] = R((uint64_t)(2 * i + 1) * PG, 1);
		CHECK_EQ(run(ram, 1, resv, 31), 0);
		CHECK_EQ(pm.nfree, 32);
		resv[31] = R(64 * PG - 1, 1); /* splits the last range, pages 62-65 */
		CHECK_EQ(run(ram, 1, resv, 32), -1);
		CHECK_STREQ(err, "physmem: more than 32 free ranges");
		struct physmem_range many[33];
		for (int i = 0; i < 33; i++)
			many[i] = R((uint64_t)(2 * i) * PG, PG);
		CHECK_EQ(run(many, 33, NULL, 0), -1);
		CHECK_STREQ(err, "physmem: more than 32 RAM ranges");
		many[32] = R(PG, PG); /* touches ranges 0 and 1: merges instead */
		CHECK_EQ(run(many, 33, NULL, 0), 0);
		CHECK_EQ(pm.nfree, 31);
		expect(0, 0, 3 * PG);
	}

	SECTION("the top of the address space: ends clipped, nothing wraps");
	{
		struct physmem_range ram[] = {R(0xffffffffffff0000ULL, 0x100000)};
		CHECK_EQ(run(ram, 1, NULL, 0), 0);
		expect(0, 0xffffffffffff0000ULL, 0xf000);
		struct physmem_range resv[] = {R(0xfffffffffffff800ULL, 0x10000),
					       R(0xffffffffffff0800ULL, 0x10)};
		CHECK_EQ(run(ram, 1, resv, 2), 0);
		expect(0, 0xffffffffffff1000ULL, 0xe000);
		struct physmem_range top[] = {R(0xfffffffffffff001ULL, 0xfff)};
		CHECK_EQ(run(top, 1, NULL, 0), -1);
		CHECK(!physmem_is_free(&pm, 0));
	}
}

/* Random maps over 16 pages, compared page by page with brute force. */
static void test_random(int iters)
{
	enum { NPAGES = 16, SPACE = NPAGES * 4096, GRAIN = 512 };
	static uint8_t ram_bytes[SPACE], resv_bytes[SPACE];
	struct physmem_range ram[6], resv[8];
	int failures_before = check_failures;

	SECTION("%d random maps against a brute-force page model (seed 0x9a9e)", iters);
	tu_srand(0x9a9e);
	for (int it = 0; it < iters; it++) {
		int nram = 1 + (int)(tu_rand() % 6), nresv = (int)(tu_rand() % 9);
		memset(ram_bytes, 0, sizeof(ram_bytes));
		memset(resv_bytes, 0, sizeof(resv_bytes));
		for (int i = 0; i < nram; i++) {
			uint64_t b = (tu_rand() % (SPACE / GRAIN)) * GRAIN;
			uint64_t s = (tu_rand() % (SPACE / GRAIN / 2)) * GRAIN;
			if (b + s > SPACE)
				s = SPACE - b;
			ram[i] = R(b, s);
			memset(ram_bytes + b, 1, s);
		}
		for (int i = 0; i < nresv; i++) {
			uint64_t b = tu_rand() % SPACE;
			uint64_t s = tu_rand() % (SPACE / 4);
			if (b + s > SPACE)
				s = SPACE - b;
			resv[i] = R(b, s);
			memset(resv_bytes + b, 1, s);
		}
		/* Reference: a page is free iff all of it is RAM and none reserved. */
		bool free_page[NPAGES];
		int nfree_pages = 0;
		for (int p = 0; p < NPAGES; p++) {
			bool ok = true;
			for (int j = 0; j < 4096 && ok; j++)
				ok = ram_bytes[p * 4096 + j] && !resv_bytes[p * 4096 + j];
			free_page[p] = ok;
			nfree_pages += ok;
		}
		int rc = run(ram, nram, resv, nresv);
		CHECK_EQ(rc, nfree_pages ? 0 : -1);
		if (rc)
			continue;
		CHECK_EQ(pm.free_bytes, (uint64_t)nfree_pages * 4096);
		for (int p = 0; p < NPAGES; p++)
			CHECK_EQ(physmem_is_free(&pm, (uint64_t)p * 4096 + 123), free_page[p]);
		if (check_failures != failures_before) {
			printf("   first mismatch at iteration %d\n", it);
			break;
		}
	}
}

int main(void)
{
	test_cases();
	test_random(3000);
	return check_summary("physmem_test");
}
