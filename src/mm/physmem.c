/*
 * physmem.c: computing the free physical memory map.
 *
 * Works on whole pages, which makes the order of operations irrelevant to
 * the result: a page is free exactly when it lies inside (merged) RAM and
 * touches no reserved byte. So the steps are
 *   1. merge the RAM ranges exactly (two touching half-pages make a page),
 *   2. shrink each merged RAM range inward to page boundaries,
 *   3. grow each reserved range outward to page boundaries and cut it out.
 * The working set lives in pm->free itself, kept sorted, disjoint and
 * non-adjacent after every step (see physmem.h for the invariants).
 * Arithmetic uses exclusive ends clipped at 2^64 - 1, so nothing wraps.
 */
#include "src/mm/physmem.h"

#define PAGE_MASK (PHYSMEM_PAGE_SIZE - 1)

static uint64_t end_of(uint64_t base, uint64_t size)
{
	return size > UINT64_MAX - base ? UINT64_MAX : base + size;
}

/*
 * Clipped at the last page boundary: no free range ever reaches past it,
 * because RAM ends are clipped at 2^64 - 1 and then rounded down.
 */
static uint64_t round_up(uint64_t x)
{
	return x > UINT64_MAX - PAGE_MASK ? UINT64_MAX & ~PAGE_MASK : (x + PAGE_MASK) & ~PAGE_MASK;
}

static uint64_t round_down(uint64_t x)
{
	return x & ~PAGE_MASK;
}

static int fail(struct physmem *pm, char *err, size_t errlen, const char *why)
{
	size_t i = 0;

	pm->nfree = 0;
	pm->free_bytes = 0;
	if (err && errlen) {
		while (why[i] && i + 1 < errlen) {
			err[i] = why[i];
			i++;
		}
		err[i] = 0;
	}
	return -1;
}

static void remove_at(struct physmem *pm, int i)
{
	for (int j = i; j + 1 < pm->nfree; j++)
		pm->free[j] = pm->free[j + 1];
	pm->nfree--;
}

static void insert_at(struct physmem *pm, int i, uint64_t base, uint64_t end)
{
	for (int j = pm->nfree; j > i; j--)
		pm->free[j] = pm->free[j - 1];
	pm->free[i].base = base;
	pm->free[i].size = end - base;
	pm->nfree++;
}

/*
 * Add [base, end) to the sorted set, absorbing every range it overlaps or
 * touches. False if the set is full and nothing could be absorbed.
 */
static bool add_range(struct physmem *pm, uint64_t base, uint64_t end)
{
	int i = 0;

	while (i < pm->nfree) {
		uint64_t b = pm->free[i].base, e = b + pm->free[i].size;
		if (e < base || b > end) {
			i++;
			continue;
		}
		base = b < base ? b : base;
		end = e > end ? e : end;
		remove_at(pm, i);
	}
	if (pm->nfree == PHYSMEM_MAX_FREE)
		return false;
	for (i = 0; i < pm->nfree && pm->free[i].base < base; i++)
		;
	insert_at(pm, i, base, end);
	return true;
}

/* Shrink every range inward to page boundaries, dropping empty ones. */
static void align_inward(struct physmem *pm)
{
	int i = 0;

	while (i < pm->nfree) {
		uint64_t b = round_up(pm->free[i].base);
		uint64_t e = round_down(pm->free[i].base + pm->free[i].size);
		if (e <= b) {
			remove_at(pm, i);
			continue;
		}
		pm->free[i].base = b;
		pm->free[i].size = e - b;
		i++;
	}
}

/* Cut [base, end) out of the set. False if a split would overflow it. */
static bool cut_range(struct physmem *pm, uint64_t base, uint64_t end)
{
	int i = 0;

	while (i < pm->nfree) {
		uint64_t b = pm->free[i].base, e = b + pm->free[i].size;
		if (e <= base || b >= end) {
			i++;
		} else if (base <= b && end >= e) {
			remove_at(pm, i);
		} else if (base <= b) {
			pm->free[i].base = end; /* cut the head */
			pm->free[i].size = e - end;
			i++;
		} else if (end >= e) {
			pm->free[i].size = base - b; /* cut the tail */
			i++;
		} else {
			if (pm->nfree == PHYSMEM_MAX_FREE)
				return false;
			pm->free[i].size = base - b; /* split in two */
			insert_at(pm, i + 1, end, e);
			i += 2;
		}
	}
	return true;
}

int physmem_init(struct physmem *pm, const struct physmem_range *ram, int nram,
		 const struct physmem_range *reserved, int nreserved, char *err, size_t errlen)
{
	pm->nfree = 0;
	pm->free_bytes = 0;
	for (int i = 0; i < nram; i++) {
		if (ram[i].size == 0)
			continue;
		if (!add_range(pm, ram[i].base, end_of(ram[i].base, ram[i].size)))
			return fail(pm, err, errlen, "physmem: more than 32 RAM ranges");
	}
	align_inward(pm);
	for (int i = 0; i < nreserved; i++) {
		if (reserved[i].size == 0)
			continue;
		uint64_t b = round_down(reserved[i].base);
		uint64_t e = round_up(end_of(reserved[i].base, reserved[i].size));
		if (!cut_range(pm, b, e))
			return fail(pm, err, errlen, "physmem: more than 32 free ranges");
	}
	if (pm->nfree == 0)
		return fail(pm, err, errlen, "physmem: no free page in RAM");
	for (int i = 0; i < pm->nfree; i++)
		pm->free_bytes += pm->free[i].size;
	if (err && errlen)
		err[0] = 0;
	return 0;
}

bool physmem_is_free(const struct physmem *pm, uint64_t addr)
{
	for (int i = 0; i < pm->nfree; i++) {
		if (addr >= pm->free[i].base && addr - pm->free[i].base < pm->free[i].size)
			return true;
	}
	return false;
}
