/*
 * ptlock.h: the lock of each level-0 page table, and the lockless walk
 * that reaches it (ptlock.c; docs/cow.md, "Split table locks").
 *
 * A user page fault takes no process-wide lock: it walks mm's tree without
 * one, locks the level-0 table that holds its PTE, and checks again that
 * the table is still linked where it found it. mm->lock serializes the
 * changes of the layout (mmap, munmap, mprotect, sbrk, fork, exec, exit)
 * among themselves; they meet the faults only in the tables they change,
 * under those tables' locks.
 *
 * The rules, each kept where the code changes a table:
 *  - The table lock is a bit of the table page's struct frame (pt_share,
 *    ptshare.h), class "pte" in lockstat. A leaf of a table linked in a
 *    live mm changes only under that table's lock (but for A, which an
 *    MMU or cow_pte_access may set at any time, and a busy PTE's install by
 *    its owner, below). Taken after mm->lock, never before it, and a hart
 *    holds at most one.
 *  - Unlinking a table from mm (munmap, an sbrk shrink, ptshare's copy or
 *    drop of a shared table, fork making a link dormant, a fault's wake)
 *    holds its lock. So a fault that holds the lock and found the link
 *    unchanged after taking it knows the table stays linked, and its own,
 *    until it lets go. A fault's own by copy moves a link with no mm->lock
 *    (ptshare.c): so a layout change, too, locks a table through a link it
 *    read only inside a walk section, reading the link again under the
 *    lock (ptlock_lock_link).
 *  - Walk sections: a fault walks mm's root and level-1 table and locks the
 *    level-0 table inside ptlock_walk_begin .. ptlock_walk_end, a per-hart mark. A
 *    table page unlinked from mm is freed only after ptlock_walk_wait(mm) has
 *    seen every walk section of mm that was open at the unlink end. So a
 *    walk never reads a freed table page, nor takes the lock bit of a frame
 *    that is no longer a table (the bit shares its word with the slab's
 *    fields). The mark is a store to this hart's own cache line: no fault
 *    writes anything that every fault of mm writes.
 *  - Busy PTEs (mm.h) are counted per table (ptlock_busy_add, under the
 *    lock; ptlock_busy_done, by the owner, without it). A layout change
 *    takes the lock with ptlock_lock_quiet, which also waits for the count
 *    to reach 0: with the lock held, 0 stays 0.
 */
#ifndef KINE_MM_PTLOCK_H
#define KINE_MM_PTLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/pte.h"
#include "src/mm/frame.h"
#include "src/mm/mm.h"
#include "src/mm/pagetable.h"
#include "src/mm/phys.h"
#include "src/mm/ptshare.h"
#include "src/sync/bitlock.h"

/* The table locks' class ("pte" in lockstat). */
extern struct bitlock_class ptlock_class;

/*
 * The debug image's check at a fault's unlock (ptlock.c); nothing otherwise.
 * ptlock_unlock below calls it only where KINE_MM_CHECK is defined, which
 * is the vm library's own define: every caller of ptlock_unlock is in it.
 */
void ptlock_held_link_check(paddr_t table);

/* Lock and unlock level-0 table (its page's physical address). */
void ptlock_lock(paddr_t table);

static inline __attribute__((always_inline)) void ptlock_unlock(paddr_t table)
{
#ifdef KINE_MM_CHECK
	ptlock_held_link_check(table);
#endif
	bit_unlock(&pa_to_frame(table)->pt_share, PT_SHARE_LOCK, &ptlock_class);
}

/* ptlock_lock, then wait until no PTE of the table is busy: for layout changes. */
void ptlock_lock_quiet(paddr_t table);

/*
 * ptlock_lock_quiet for a layout change that locks many tables in a row
 * under mm->lock (fork: one per 2 MiB resident), where interrupts are off
 * already: an uncontended take is one AMO and is not counted by lockstat
 * (counting it would double fork's cost per table); a contended one goes
 * the counted way. Returns which, for ptlock_unlock_batch.
 */
bool ptlock_lock_batch_slow(paddr_t table, bool taken);

static inline bool ptlock_lock_batch_at(struct frame *f, paddr_t table)
{
#ifdef KINE_MM_CHECK
	/* The debug image takes every table lock the counted way, which lockcheck sees. */
	(void)f;
	return ptlock_lock_batch_slow(table, false);
#else
	uint32_t old = __atomic_fetch_or(&f->pt_share, PT_SHARE_LOCK, __ATOMIC_ACQUIRE);

	if (__builtin_expect((old & (PT_SHARE_LOCK | PT_SHARE_BUSY)) == 0, 1))
		return false; /* taken, uncounted, and nothing busy: it cannot become so */
	/* Contended (taken the counted way), or taken with a busy PTE to wait out. */
	return ptlock_lock_batch_slow(table, !(old & PT_SHARE_LOCK));
#endif
}

static inline bool ptlock_lock_batch(paddr_t table)
{
	return ptlock_lock_batch_at(pa_to_frame(table), table);
}

static inline void ptlock_unlock_batch(paddr_t table, bool counted)
{
	if (counted)
		ptlock_unlock(table);
	else
		__atomic_fetch_and(&pa_to_frame(table)->pt_share, ~PT_SHARE_LOCK, __ATOMIC_RELEASE);
}

/* Does this hart hold table's lock? (For asserts.) */
bool ptlock_holding(paddr_t table);

/* The table that holds pte (a pointer into a level-0 table). */
static inline paddr_t ptlock_table_of(const pte_t *pte)
{
	return virt_to_phys(pte) & ~(paddr_t)(PAGE_SIZE - 1);
}

/* A PTE of table becomes busy (under its lock), and its owner is done (without it). */
void ptlock_busy_add(paddr_t table);
void ptlock_busy_done(paddr_t table);

/*
 * The wait for every walk section of mm open now to end. (A section,
 * ptlock.c's ptlock_walk_begin .. ptlock_walk_end, is per hart, with interrupts off
 * in between; sections do not nest; only ptlock_find, ptlock_find_link,
 * and the layout changes' ptlock_walk_layout_begin open them.) Never called
 * inside a section of this hart's own, which it would wait for forever
 * (asserted), nor holding a table lock a walker may spin for.
 */
void ptlock_walk_wait(struct mm *mm);

/*
 * A layout change's walk section (mm->lock held): around its reads of
 * links whose tables it then locks (ptlock_lock_link), and around the
 * debug image's whole-tree checks (mm.c mm_check), since a fault's own by
 * copy may move a link and put its old table meanwhile (ptshare.c): the
 * put waits for the section. Never around a ptlock_walk_wait, which would wait
 * for it.
 */
void ptlock_walk_layout_begin(struct mm *mm);
void ptlock_walk_layout_end(void);

/* What ptlock_find found for va. */
enum ptlock_found {
	PTLOCK_NONE,    /* no level-0 table (nothing is mapped there) */
	PTLOCK_DORMANT, /* a dormant link: wake or own it first (ptshare.h) */
	PTLOCK_HUGE,   /* a megapage leaf or a lazy slot: nothing locked, mm->lock's (megapage.h) */
	PTLOCK_SHARED, /* locked: a table other address spaces link, or protected */
	PTLOCK_OWN,    /* locked: mm's own table, free to change */
};

/*
 * The fault path's walk: find va's level-0 table in mm without mm->lock,
 * lock it, and make sure it is still linked there. For PTLOCK_OWN and
 * PTLOCK_SHARED, *pte points at va's entry and the table is locked
 * (ptlock_unlock(ptlock_table_of(*pte))). pc: the caller's call site, for
 * lockstat.
 */
enum ptlock_found ptlock_find(struct mm *mm, uintptr_t va, pte_t **pte, uintptr_t pc);

/*
 * The slow path's walk (ptshare_fault): as ptlock_find, but to the link
 * (level-1 entry) for va, and through a dormant link too. Returns the
 * link's value, its table locked (ptlock_unlock(pte_pa(value))) and the
 * link checked again under the lock, *link pointing at it; or 0 if no
 * table is linked there (nothing locked).
 */
pte_t ptlock_find_link(struct mm *mm, uintptr_t va, pte_t **link, uintptr_t pc);

/* What ptlock_lock_link took. */
struct ptlock_held {
	struct frame *frame; /* the table's */
	uint32_t word;       /* its pt_share once taken: PT_SHARE_LOCK set, no PTE busy */
	bool counted;        /* for ptlock_unlock_batch */
};

/*
 * The fast way of a layout change's lock through a link, for a caller that
 * loaded the link (acquire, inside its walk section) and found e, a link
 * (pte_is_link), whose table's struct frame is f: one AMO takes the lock
 * uncounted, and true if nothing was busy and the link is still e, with
 * *word the table's pt_share as taken (PT_SHARE_LOCK set), so that fork
 * decides from it without loading it again (its link count may fall
 * meanwhile, a sharer's put takes no lock, but not to 0 while the
 * caller's link is counted). Otherwise false, nothing held: the caller
 * goes ptlock_lock_link's way. The debug image always does (it records
 * the table its walk loaded).
 */
static inline __attribute__((always_inline)) bool ptlock_try_link(pte_t *link, pte_t e,
								  struct frame *f, uint32_t *word)
{
#ifdef KINE_MM_CHECK
	(void)link, (void)e, (void)f, (void)word;
	return false;
#else
	uint32_t old = __atomic_fetch_or(&f->pt_share, PT_SHARE_LOCK, __ATOMIC_ACQUIRE);

	if (__builtin_expect((old & (PT_SHARE_LOCK | PT_SHARE_BUSY)) == 0 &&
				 __atomic_load_n(link, __ATOMIC_RELAXED) == e,
			     1)) {
		*word = old | PT_SHARE_LOCK;
		return true;
	}
	if (!(old & PT_SHARE_LOCK)) /* ours, but a PTE is busy or the link moved */
		__atomic_fetch_and(&f->pt_share, ~PT_SHARE_LOCK, __ATOMIC_RELEASE);
	return false;
#endif
}

/*
 * A layout change's lock of the table behind link (valid or dormant), a
 * level-1 entry of its mm, inside its walk section (ptlock_walk_layout_begin),
 * which guards the read of the link against a fault's own by copy: that
 * may move the link and put the old table meanwhile (ptshare.c). Reads the
 * link again under the lock. Returns the link's value, locked as
 * ptlock_lock_batch does, and in *held what it took; or 0 if it links no
 * table (nothing locked, held->frame NULL). map: the frame table, loaded
 * once by a loop over many links (frame.h). Its fast way is
 * ptlock_try_link; its slow way, out of line, ptlock_lock_link_slow
 * (ptlock.c), which a caller whose ptlock_try_link failed calls itself.
 */
pte_t ptlock_lock_link_slow(pte_t *link, struct ptlock_held *held);

static inline pte_t ptlock_lock_link(pte_t *link, const struct frame_map *map,
				     struct ptlock_held *held)
{
	pte_t e = __atomic_load_n(link, __ATOMIC_ACQUIRE);

	if (__builtin_expect(pte_is_link(e), 1)) {
		held->frame = frame_map_at(map, pte_pa(e));
		held->counted = false;
		if (__builtin_expect(ptlock_try_link(link, e, held->frame, &held->word), 1))
			return e;
	}
	return ptlock_lock_link_slow(link, held);
}

/* Store e into link, whose table this hart locked through it (ptlock_find_link). */
void ptlock_link_store(pte_t *link, pte_t e);

/*
 * The debug image's shadow check (nothing elsewhere): panic if an open
 * walk section of mm has loaded table page table, now being freed. Called
 * by the TLB shadow's check of every user table page freed
 * (tlb_shadow_table_free).
 */
void ptlock_walk_check_free(struct mm *mm, paddr_t table);

/*
 * Fault injection, the debug image only: ptlock=nograce (table frees skip
 * ptlock_walk_wait) and ptlock=norecheck (ptlock_find trusts the link it read
 * before taking the lock), the broken protocols the checks must catch.
 */
extern bool ptlock_skip_grace, ptlock_skip_recheck;

/* Counters (atomic; read through the memstat system call). */
struct ptlock_stats {
	uint64_t retries;     /* finds whose link changed while they took the lock */
	uint64_t grace_waits; /* ptlock_walk_waits that waited for a hart's walk section */
};

extern struct ptlock_stats ptlock_stats;

#endif
