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
 *    the load check above catches it if it then loads the mm unflushed.
 *
 * Compiled in with KINE_MM_CHECK (//:kernel_debug); empty otherwise.
 */
#ifndef KINE_MM_TLB_SHADOW_H
#define KINE_MM_TLB_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

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

/* Shootdown number gen of mm reached the harts in targets (self is the sender). */
void tlb_shadow_shootdown(struct mm *mm, uint64_t targets, uint64_t gen, int self);

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

static inline void tlb_shadow_shootdown(struct mm *mm, uint64_t targets, uint64_t gen, int self)
{
	(void)mm, (void)targets, (void)gen, (void)self;
}

#endif

#endif
