/*
 * pt_frames.h: the kernel's page-table pages (pt_frames.c): the per-hart
 * runs they come from (pt_pool_init; pagetable.h's pt_page_alloc and
 * pt_page_free hand them out and take them back), and the batches of
 * table pages taken out of a live page table, kept until the whole flush
 * that lets them go.
 *
 * A hart's walker may cache the non-leaf links it follows, and only an
 * sfence.vma with rs1 = x0 drops them (pagetable.h, "Table pages"). So a
 * table page that leaves a tree other harts may walk is retired, not
 * freed: the caller collects it here (pt_retire is a struct pt_release's
 * table callback) and frees the lot with pt_retired_free() once every hart
 * that may hold a link has flushed the whole address space. The one
 * mechanism serves both kinds of tree:
 *  - a user address space (mm.c): the unmap's shootdown becomes a whole-
 *    ASID one (tlb_shootdown_tables), and the pages go right after it;
 *  - the kernel's stack window (kstack.c): the pages wait, with their
 *    stacks, until every hart has flushed everything at its quiescent point.
 *
 * A struct pt_retired belongs to one caller at a time, who serializes its
 * use (mm.c: mm->lock; kstack.c: kstack_lock). The pages are linked through
 * their struct frame (an allocated frame is on no other list), so a batch
 * holds any number of them without memory of its own.
 */
#ifndef KINE_MM_PT_FRAMES_H
#define KINE_MM_PT_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "src/mm/frame.h"
#include "src/mm/phys.h"

struct mm;

struct pt_retired {
	struct mm *mm;            /* the user address space they left, or NULL: the kernel's */
	struct frame_list tables; /* the retired table pages */
};

/* Table-page counters (atomic; read through the memstat system call). */
struct pt_stats {
	uint64_t retired; /* table pages taken out of a live tree */
	uint64_t freed;   /* ... and freed after their whole flush */
};

extern struct pt_stats pt_stats;

/* Set up the per-hart runs table pages come from (pt_frames.c), after slab_init. */
void pt_pool_init(void);

/* An empty batch for table pages that leave mm's tree (NULL: the kernel's). */
void pt_retired_init(struct pt_retired *r, struct mm *mm);

/* A struct pt_release table callback: r is the struct pt_retired. */
void pt_retire(paddr_t table, void *r);

static inline bool pt_retired_empty(const struct pt_retired *r)
{
	return r->tables.count == 0;
}

/*
 * Free every page of r, now that every hart that may have cached a link to
 * one has flushed the whole address space (the debug image checks it for
 * user tables: tlb_shadow.h). r is empty afterwards.
 */
void pt_retired_free(struct pt_retired *r);

#endif
