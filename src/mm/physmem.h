/*
 * physmem.h: the physical memory map, RAM minus what must never be used.
 *
 * physmem_init() takes RAM ranges and reserved ranges in any order
 * (overlapping, touching, partly or wholly outside RAM, empty) and computes
 * the free memory as a short list of page ranges. Pure computation: no
 * allocation, no machine access.
 *
 * Invariants of a struct physmem that physmem_init() accepted:
 *  - free[0..nfree) is sorted by base; every range has size > 0;
 *  - base and size are multiples of PHYSMEM_PAGE_SIZE;
 *  - ranges are disjoint and never adjacent (adjacent ones are merged), so
 *    free[i].base + free[i].size < free[i + 1].base;
 *  - every range lies inside one RAM range (after merging touching RAM);
 *  - no range overlaps any reserved range, not even by one byte: a page
 *    partly covered by a reservation is not free;
 *  - free_bytes is the sum of the sizes.
 */
#ifndef KINE_MM_PHYSMEM_H
#define KINE_MM_PHYSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYSMEM_PAGE_SIZE 4096ULL
#define PHYSMEM_MAX_FREE  32

/* [base, base + size). Same layout as struct phys_range in platform.h. */
struct physmem_range {
	uint64_t base;
	uint64_t size;
};

struct physmem {
	struct physmem_range free[PHYSMEM_MAX_FREE];
	int nfree;
	uint64_t free_bytes;
};

/*
 * Compute the free map. Ranges reaching past 2^64 are clipped there.
 * Returns 0, or -1 with a one-line reason in err[errlen] (err may be NULL)
 * when more than PHYSMEM_MAX_FREE ranges would be needed at any step or no
 * free page remains; *pm is then empty.
 */
int physmem_init(struct physmem *pm, const struct physmem_range *ram, int nram,
		 const struct physmem_range *reserved, int nreserved, char *err, size_t errlen);

/* Whether the byte at addr is inside a free range. */
bool physmem_is_free(const struct physmem *pm, uint64_t addr);

#endif
