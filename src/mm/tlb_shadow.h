/*
 * tlb_shadow.h: the debug image's shadow of every hart's TLB.
 *
 * QEMU 7.2 flushes its whole TLB whenever satp's ASID changes and treats
 * every sfence.vma as a full flush, so a missing shootdown never shows up
 * there by itself. The shadow records, per hart, which address spaces
 * (by mm id, under which ASID tag, as of which of the mm's shootdowns)
 * the hart may still cache, following the architecture's rules rather
 * than QEMU's, and panics when:
 *  - a hart loads an ASID while it may still cache another address
 *    space's entries under that tag (a missing rollover flush), or its own
 *    entries from before a shootdown that skipped it;
 *  - after a shootdown, a hart outside its target set runs the mm now and
 *    may still use an entry from before it (a missing target). A hart
 *    that does not run the mm may be skipped (tlb.c's lazy shootdowns):
 *    the load check above catches it if it then loads the mm unflushed;
 *  - a table page of an mm is freed while some hart may still follow a
 *    cached non-leaf link to it without a whole flush first. The shadow
 *    takes an entry (mm, tag) to stand also for every table page linked
 *    into mm since that entry's last whole flush: a page-walk cache may
 *    hold any of those links. When a page is unlinked, the harts with an
 *    entry for mm may hold it; a hart is cleared by a whole-ASID shootdown
 *    that reaches it, by a full or ASID flush of its own, or by a
 *    shootdown that skipped it while it ran something else (it must then
 *    flush the ASID before it loads mm: the load check). A flush by
 *    address clears nobody, as on hardware;
 *  - a COW copy reads a frame while a hart that runs its mm may still
 *    store through a writable entry that a fork took away and whose
 *    shootdown has not reached that hart yet: the store could land in the
 *    old frame after the copy read it, a write the process loses.
 *
 * Compiled in with KINE_MM_CHECK (//:kernel_debug); empty otherwise.
 */
#ifndef KINE_MM_TLB_SHADOW_H
#define KINE_MM_TLB_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "src/mm/mm.h"

struct mm;

#ifdef KINE_MM_CHECK

static inline bool tlb_shadow_enabled(void)
{
	return true;
}

/*
 * hart loaded mm (NULL: the kernel's table) under context ctx (0 without
 * ASIDs); flushed: it flushed everything first; asid_flushed: it flushed
 * ctx's ASID (a lazy shootdown's debt, tlb.c).
 */
void tlb_shadow_switch(int hart, struct mm *mm, uint64_t ctx, bool flushed, bool asid_flushed);

/* A rollover to new_gen: every hart owes a full flush before it loads that generation. */
void tlb_shadow_rollover(uint64_t new_gen);

/*
 * Shootdown number gen of mm reached the harts in targets (self is the
 * sender); whole: it flushed mm's whole ASID (rs1 = x0), not pages.
 */
void tlb_shadow_shootdown(struct mm *mm, uint64_t targets, uint64_t gen, int self, bool whole);

/* The table page at pa was unlinked from mm's tree (under mm->lock). */
void tlb_shadow_table_unlinked(struct mm *mm, uint64_t pa);

/*
 * mm is being destroyed, its tables freed whole without a shootdown: panic
 * if a hart still runs it (its ASID's cached entries, links included, are
 * harmless only because no hart loads it again, and its ASID goes to
 * another mm only after a rollover's full flush: the load check).
 */
void tlb_shadow_mm_destroy(struct mm *mm);

/*
 * The table page at pa, unlinked from mm's tree, is about to be freed:
 * panic, naming the hart, if any hart may still walk through a cached link
 * to it without a whole flush first.
 */
void tlb_shadow_table_free(struct mm *mm, uint64_t pa);

/*
 * Fork just took W from a leaf of mm, or made a link to writable leaves
 * dormant: until a shootdown begun after this reaches it, a hart that runs
 * mm may still store through its old writable entry.
 */
void tlb_shadow_write_taken(struct mm *mm);

/*
 * A COW copy decided to copy a frame of mm, under the lock of its table:
 * the first shootdown number that covers every leaf a fork of mm has
 * taken W from by now (0: none), for tlb_shadow_copy_source. Read there,
 * not at the copy: a fork that begins after the decision write-protects
 * other pages, not the one this copy reads (that one is COW already).
 */
static inline uint64_t tlb_shadow_write_cover(struct mm *mm)
{
	return __atomic_load_n(&mm->wp_cover, __ATOMIC_ACQUIRE);
}

/*
 * A COW copy on this hart is about to read a frame of mm, decided with
 * cover (tlb_shadow_write_cover): panic, naming the hart, if another hart
 * that runs mm may still store through a writable entry that a fork took
 * away before the decision (its shootdown numbered cover or later has not
 * reached that hart), so that the store could land in the old frame after
 * the copy read it.
 */
void tlb_shadow_copy_source(struct mm *mm, uint64_t cover);

/*
 * A fault's slow path on this hart is about to write-protect a shared
 * table of mm (ptshare.c), decided with cover as above: panic, naming the
 * hart, if another hart that runs mm has not seen shootdown cover, as it
 * may still walk the table through a link a fork made dormant, or store
 * through a writable entry of it: the pass needs a table nobody walks.
 */
void tlb_shadow_protect_pass(struct mm *mm, uint64_t cover);

#else

static inline bool tlb_shadow_enabled(void)
{
	return false;
}

static inline void tlb_shadow_switch(int hart, struct mm *mm, uint64_t ctx, bool flushed,
				     bool asid_flushed)
{
	(void)hart, (void)mm, (void)ctx, (void)flushed, (void)asid_flushed;
}

static inline void tlb_shadow_rollover(uint64_t new_gen)
{
	(void)new_gen;
}

static inline void tlb_shadow_shootdown(struct mm *mm, uint64_t targets, uint64_t gen, int self,
					bool whole)
{
	(void)mm, (void)targets, (void)gen, (void)self, (void)whole;
}

static inline void tlb_shadow_table_unlinked(struct mm *mm, uint64_t pa)
{
	(void)mm, (void)pa;
}

static inline void tlb_shadow_table_free(struct mm *mm, uint64_t pa)
{
	(void)mm, (void)pa;
}

static inline void tlb_shadow_mm_destroy(struct mm *mm)
{
	(void)mm;
}

static inline void tlb_shadow_write_taken(struct mm *mm)
{
	(void)mm;
}

static inline uint64_t tlb_shadow_write_cover(struct mm *mm)
{
	(void)mm;
	return 0;
}

static inline void tlb_shadow_copy_source(struct mm *mm, uint64_t cover)
{
	(void)mm, (void)cover;
}

static inline void tlb_shadow_protect_pass(struct mm *mm, uint64_t cover)
{
	(void)mm, (void)cover;
}

#endif

#endif
