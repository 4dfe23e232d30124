/*
 * region.h: memory laid out for the page-table tests (user/lib/region.c):
 * private regions that start where a level-0 table's span starts, so a test
 * knows which table each page is in, and pages shared across fork.
 */
#ifndef KINE_UAPI_REGION_H
#define KINE_UAPI_REGION_H

/* What one level-0 page table maps. */
#define TABLE_SPAN (2ul << 20)

/*
 * Make the next mmap start skip bytes below a TABLE_SPAN boundary (skip 0:
 * on it): 0, or -1 when mmap failed.
 */
int align_mmap_next(unsigned long skip);
/* size bytes of private memory starting on a TABLE_SPAN boundary, or NULL. */
unsigned long *aligned_region(unsigned long size);
/* A page of MAP_SHARED memory (what a fork's processes all see), or NULL. */
volatile long *shared_page(void);

#endif
