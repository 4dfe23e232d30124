/*
 * tlb.h: which harts may cache an address space's translations, and the
 * shootdowns that reach exactly those (docs/cow.md, "Shootdowns").
 *
 * Every mm carries a hart mask (mm->harts): a hart sets its bit before it
 * loads the mm's table, and a shootdown flushes the harts in the mask. A
 * bit is cleared only once the hart cannot use the mm's cached entries
 * any more: with ASIDs, when the mm moves to a new ASID generation (asid.c
 * narrows the mask: every other hart flushes before it runs the new
 * generation); without ASIDs, when the hart switches away (it flushes then).
 *
 * The ordering that makes the mask enough: a shootdown stores the PTE,
 * then (seq_cst) reads the mask; a switch sets its bit (seq_cst), then
 * loads satp and walks. Either the shootdown sees the bit and flushes that
 * hart, or the hart's walks see the new PTE.
 */
#ifndef KINE_MM_TLB_H
#define KINE_MM_TLB_H

#include <stddef.h>
#include <stdint.h>

struct mm;

/* Shootdown counters (atomic; read through the memstat system call). */
struct tlb_stats {
	uint64_t shootdowns;     /* shootdowns that had to reach another hart */
	uint64_t harts_targeted; /* remote harts those reached, in all */
	uint64_t local_only;     /* shootdowns this hart alone could need: sfence.vma, no SBI */
	uint64_t full_asid;      /* shootdowns that flushed the whole ASID (any reason) */
	uint64_t table_flushes;  /* ... of them owed to table pages leaving the tree */
	uint64_t switch_flushes; /* full flushes at switches (no ASIDs, or a rollover) */
	uint64_t harts_skipped;  /* harts a shootdown left to flush lazily (not running the mm) */
	uint64_t lazy_flushes;   /* ASID flushes at a switch, owed to skipped shootdowns */
};

extern struct tlb_stats tlb_stats;

/* How shootdowns reach other harts. */
enum tlb_remote {
	TLB_REMOTE_DEFAULT, /* the build's: IPI in //:kernel_ipi, else SBI */
	TLB_REMOTE_SBI,     /* SBI RFENCE: the firmware sends and waits */
	TLB_REMOTE_IPI,     /* kine's own IPIs and flush requests, waited for in the kernel */
};

/*
 * Pick the ASID mode for `asid_bits` and `harts` (asid_init), the page
 * count past which a shootdown flushes the whole ASID instead of a range
 * (0: the default, 64), and how remote harts are flushed. Once, on the
 * boot hart, before any user address space runs.
 */
void tlb_init(unsigned asid_bits, int harts, unsigned threshold_pages, enum tlb_remote remote);

/*
 * Make mm this hart's address space (NULL: the kernel's own table). With
 * ASIDs, no flush unless a rollover is pending here; without, a full flush.
 */
void tlb_activate(struct mm *mm);

/*
 * After PTEs of mm in [va, va + size) lost a permission or their frame
 * (size (size_t)-1: anywhere in the user half): flush every hart that may
 * hold one of them, and return once all have. Call with mm->lock held, or
 * as the owner of the busy PTE that covers the range (a COW copy, mm.h),
 * after the PTE stores, before a frame they mapped may be reused.
 */
void tlb_shootdown(struct mm *mm, uintptr_t va, size_t size);

/*
 * After table pages left mm's tree (they wait in a struct pt_retired): a
 * whole-ASID flush (sfence.vma rs1 = x0), the only kind that drops the
 * non-leaf links a walker may cache, on this hart and every hart that runs
 * mm now; the harts that only may cache mm flush its ASID before they next
 * load it (the lazy rule above), and cannot walk its tree until then. On
 * return the retired pages may be freed (once ptlock_walk_wait, ptlock.h, has
 * seen the lockless walks out too). Call after the stores that unlinked
 * them: with mm->lock held (a layout change), or from a fault's own by
 * copy of a shared table (ptshare.c), whose unlink held the table's lock.
 * A megapage's split (megapage.c) calls it too, under mm->lock: its leaf
 * became a link, a change of a level-1 entry like any other.
 */
void tlb_shootdown_tables(struct mm *mm);

/*
 * Flush this hart's entry for va in mm only: after a PTE of mm gained a
 * permission (other harts' stale entries only cause a spurious fault,
 * which re-checks under the table's lock), or when a stale entry sent this hart
 * into the fault handler.
 */
void tlb_flush_local(struct mm *mm, uintptr_t va);

/*
 * Flush this hart's entries of mm's whole ASID (everything, without
 * ASIDs): after a link (non-leaf PTE) of mm became valid, since a hart may
 * cache an invalid entry and a flush by address drops leaf entries only.
 */
void tlb_flush_local_all(struct mm *mm);

/* Page count past which a shootdown flushes the whole ASID. */
extern unsigned tlb_range_threshold;

/* "SBI RFENCE" or "IPI": how remote harts are flushed (tlb_init). */
const char *tlb_shootdown_mode(void);

/*
 * With IPI shootdowns: answer the flush requests other harts sent this
 * one (a local sfence.vma each). Called from the software-interrupt
 * handler and (IPI shootdowns only) from every spin-wait loop; cheap when
 * nothing is pending, and nothing ever is with SBI shootdowns.
 */
void tlb_ipi_poll(void);

#endif
