/*
 * ptshare.h: level-0 page tables shared between address spaces by fork
 * (ptshare.c; docs/cow.md, "Shared tables", for the protocol step by step).
 *
 * Fork gives the child the parent's level-0 tables themselves, not copies:
 * one level-1 entry (a link) per 2 MiB region, no leaf PTE and no frame
 * count touched. A shared table holds one reference on each frame it maps,
 * whatever number of address spaces link it; its own count of links lives
 * in its struct frame (pt_share, below).
 *
 * Sv39 gives a non-leaf PTE no permission bits (D, A and U must be 0), so a
 * link cannot be made read-only. Instead fork makes both links *dormant*:
 * V clear, the table's PPN kept, PTE_DORMANT set (an invalid PTE's other
 * bits are the software's, by the privileged spec). The MMU faults on a
 * dormant link; the kernel then wakes it (ptshare_wake): the first waker
 * of a table after fork write-protects its private writable leaves (W off,
 * COW on: one pass over the 512 entries), every waker makes its own link
 * valid again. Reads then run at full speed in every sharer. The first
 * change of a leaf by one sharer (a write fault, munmap, mprotect, a map
 * into the region, a copyout) first owns the table (ptshare_own): a copy
 * for this process alone (its leaves, COW, a frame reference each), or,
 * when this process is the table's last sharer, the table itself in place.
 *
 * Invariants (asserted where they are made, checked by the debug image):
 *  - links: the number of address spaces whose level-1 entry (valid or
 *    dormant) points at the table. A table with links > 1 is shared; no
 *    leaf of a shared table ever changes but for A (hardware or
 *    cow_pte_access) and the protection pass below.
 *  - protected: set once no private leaf of the table is writable. A valid
 *    link to a shared table exists only if it is protected; a table that is
 *    not protected has no valid link in any address space but, when
 *    links == 1, its owner's.
 *  - The protection pass runs under the table's lock (ptlock.h)
 *    at a moment no hart can walk the table (every link dormant, and every
 *    address space that made its link dormant flushed its whole ASID).
 *  - A link leaves an address space (own's copy, exit) only after the whole
 *    flush that drops the link from every walk cache of that address space,
 *    or when no hart can run it any more; so the last link's put may free
 *    the table and drop its frames at once.
 * And four steps the rules above imply, each of which the model
 * (test/model/share.pml) shows necessary by a broken variant:
 *  - own's copy through a dormant link protects the shared table itself
 *    first, without making its link valid (COPY_NO_PROTECT);
 *  - an own that made its link valid before copying owes the whole flush
 *    before its put, like any valid link (OWN_WAKES_NO_FLUSH);
 *  - a take-over in place clears PROTECTED before any leaf may become
 *    writable, so the next fork makes the links dormant again
 *    (TAKEOVER_KEEPS_PROTECTED);
 *  - the flush a fork asks for is owed on its -ENOMEM path too: the links
 *    it made dormant stay so (FORK_FAIL_NO_FLUSH).
 * One more the model does not reach (its COW fault keeps the lock): a COW
 * copy that lets its table's lock go must find its table still private
 * when it comes back, not only its PTE unchanged (cow.c): a fork meanwhile
 * may share the table, and a sibling's wake make the link valid with the
 * leaf unchanged.
 *
 * Locking: every change of a link, and every count of one more link, holds
 * the table's lock (ptlock.h), taken through the link with the link read
 * again under it (ptlock_find_link, ptlock_lock_link), so a link never
 * changes under a holder. Layout changes (fork, munmap, mprotect, sbrk, a
 * map) also hold mm->lock of the address space whose links they change; a
 * fault's wake or own (ptshare_fault) does not, and waits out a fork of
 * its address space instead (mm->fork_pending). Different address spaces
 * meet only on the table's lock and its pt_share word (atomic). Faults
 * meet a shared table only to read it: they change no leaf of a table
 * they do not own.
 */
#ifndef KINE_MM_PTSHARE_H
#define KINE_MM_PTSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/arch/riscv/pte.h"
#include "src/mm/frame.h"
#include "src/mm/mm.h"
#include "src/mm/phys.h"

/*
 * The struct frame.pt_share word of a page-table page (atomic). Busy PTEs
 * are one per hart at most (a busy window runs with interrupts off), so
 * five bits count them.
 */
#define PT_SHARE_LINKS     0x0007ffffu /* links: address spaces that point at it */
#define PT_SHARE_BUSY_ONE  (1u << 19)  /* one busy PTE (ptlock.h) */
#define PT_SHARE_BUSY      (0x1fu << 19)
#define PT_SHARE_PROTECTED (1u << 24) /* no private leaf is writable */
#define PT_SHARE_LOCK      (1u << 25) /* the table's lock (ptlock.h) */

/* Counters (atomic; read through the memstat system call). */
struct ptshare_stats {
	uint64_t links;     /* level-0 tables fork shared with a child (one link each) */
	uint64_t leaves;    /* leaf PTEs fork copied one by one (tables it could not share) */
	uint64_t wakes;     /* dormant links made valid again */
	uint64_t protects;  /* protection passes (the first wake of a table after fork) */
	uint64_t copies;    /* shared tables copied for one sharer (a frame reference per leaf) */
	uint64_t takeovers; /* shared tables taken over in place by their last sharer */
	uint64_t frees;     /* shared tables freed by their last put (their frames dropped there) */
	uint64_t drops;     /* shared tables an unmap of their whole 2 MiB let go of, uncopied */
};

extern struct ptshare_stats ptshare_stats;

/* Whether fork shares tables (boot option ptshare=on|off; on by default). */
extern bool ptshare_enabled;

/*
 * Fork's per-page copy of one level-0 table it does not share (mm.c,
 * mm_copy_table): n entries from table, mapping from va, into dst; 0 or
 * PT_ERR_NOMEM.
 */
typedef int (*ptshare_copy_fn)(uintptr_t va, pte_t *table, unsigned n, void *ctx);

/*
 * Fork: link into dst (whose user half is empty) every level-0 table of
 * src's user half whose 2 MiB meets the heap or the mmap range, or that
 * is shared already; copy every other one leaf by leaf through copy (with
 * copy_ctx), as fork without sharing does (ptshare.c, share_span; docs/cow.md,
 * "What is shared"). Call with src->lock held
 * (mm_lock). Sets *flush when a valid link of src became dormant: the
 * caller then owes src a whole-ASID shootdown (tlb_shootdown_tables)
 * before it lets the lock go, and copy's own flush otherwise. Returns 0,
 * or -ENOMEM (dst may then hold some links: mm_destroy drops them).
 */
int ptshare_fork(struct mm *src, struct mm *dst, bool *flush, ptshare_copy_fn copy, void *copy_ctx);

/*
 * A fault's slow path (cow.c), without mm->lock: va's link is dormant, or
 * its table is not mm's own. Under the table's lock, taken through the
 * link and with the link read again (ptlock_find_link): for a read or a
 * fetch (write false), wake a dormant link (protecting the table first if
 * nobody has since fork); for a write, make the table mm's own (ptshare_own's
 * step for one table). Returns 0 (done, or nothing linked there any more:
 * the access runs again either way), -ENOMEM, or PTSHARE_FORK_PENDING: a
 * fork of mm is on its way (mm->fork_pending), and the caller waits for
 * it to end, then calls again. No flush is owed to other harts when a
 * link only became valid; this hart's cached invalid walk is flushed here.
 */
int ptshare_fault(struct mm *mm, uintptr_t va, bool write, uintptr_t pc);
#define PTSHARE_FORK_PENDING 1

/*
 * The slow path's wake for a layout change or a kernel access under
 * mm->lock (mm_user_page). Returns true if it woke a dormant link, false if
 * there was none for va.
 */
bool ptshare_wake(struct mm *mm, uintptr_t va);

/*
 * Before any change of a leaf in [va, va + size) of mm, under mm->lock:
 * make every level-0 table of the range private to mm (copied, or taken
 * over in place), with a valid link. Returns 0 or -ENOMEM (tables owned so
 * far stay owned: nothing a caller can see changed).
 */
int ptshare_own(struct mm *mm, uintptr_t va, size_t size);

/*
 * Fault injection, the debug image only (ptshare=noforkwait): the slow path
 * does not wait for a fork on its way, the broken protocol whose protection
 * pass the TLB shadow must catch (tlb_shadow_protect_pass).
 */
extern bool ptshare_skip_fork_wait;

/*
 * munmap or an sbrk shrink of [va, va + size): every table fork shared
 * whose whole 2 MiB lies inside the range leaves mm without a copy (no
 * memory needed, no frame count touched): its link is cleared, and put
 * after the whole flush that drops it from mm's walk caches. Tables of mm
 * alone, and the partial ends, are left to the caller (ptshare_own, then
 * pt_unmap, which also takes away a level-1 table this leaves empty).
 */
void ptshare_unmap_shared(struct mm *mm, uintptr_t va, size_t size);

/* How many address spaces link table now (a snapshot: others may fork or exit). */
static inline uint32_t ptshare_links(paddr_t table)
{
	return __atomic_load_n(&pa_to_frame(table)->pt_share, __ATOMIC_ACQUIRE) & PT_SHARE_LINKS;
}

/*
 * Is the level-0 table that holds pte (a pointer into it) mm's alone and
 * free to change, with no ptshare_own owed? A write fault asks this before
 * it makes a leaf writable.
 */
static inline bool ptshare_private(const pte_t *pte)
{
	paddr_t table = virt_to_phys(pte) & ~(paddr_t)(PAGE_SIZE - 1);
	uint32_t word = __atomic_load_n(&pa_to_frame(table)->pt_share, __ATOMIC_ACQUIRE);

	/* Inline: the write fault asks it every time. */
	return (word & (PT_SHARE_LINKS | PT_SHARE_PROTECTED)) == 1;
}

/*
 * In the debug image (KINE_MM_CHECK), check every link of mm against the
 * invariants above that one address space can show, and panic naming the
 * table on any problem: a link to a page that is no live table, a valid
 * link to a shared table that is not protected, a protected table with a
 * writable private leaf. Nothing otherwise. Call with mm->lock held.
 */
void ptshare_check(struct mm *mm, const char *when);

/*
 * The debug image's global audit (nothing elsewhere): every live mm is on
 * the audit's list (ptshare_audit_add at creation, off it around its
 * teardown). At a settle (memstat_settle), ptshare_audit walks every
 * mm's links, one mm lock at a time, and compares, for every table page,
 * its links with the address spaces that link it, and for every frame a
 * table maps, its reference count with the number of tables that map it.
 * It holds no lock across mms, so it trusts its result only if nothing
 * changed meanwhile: every mm_lock, every user fault, every frame
 * allocation and free bumps ptshare_audit_gen (ptshare_audit_touch), and
 * an audit that sees it move is skipped, not failed. A quiet audit with a
 * mismatch panics, naming the frame.
 */
void ptshare_audit_add(struct mm *mm);
void ptshare_audit(void);

/*
 * mm_destroy's teardown runs between these two: off the list and under the
 * audit's lock, so that no audit sees its links gone from the list while
 * they are still in the tables, nor walks a tree being freed.
 */
void ptshare_audit_remove_begin(struct mm *mm);
void ptshare_audit_remove_end(void);

#ifdef KINE_MM_CHECK
extern uint64_t ptshare_audit_gen, ptshare_audit_inflight;
static inline void ptshare_audit_touch(void)
{
	__atomic_fetch_add(&ptshare_audit_gen, 1, __ATOMIC_RELAXED);
}

/*
 * A COW copy's temporary frame reference (cow.c), taken under the lock and
 * dropped without it: an audit that begins while one is held is skipped.
 */
static inline void ptshare_audit_inflight_add(int64_t n)
{
	__atomic_fetch_add(&ptshare_audit_inflight, (uint64_t)n, __ATOMIC_RELEASE);
}
#else
static inline void ptshare_audit_touch(void)
{
}

static inline void ptshare_audit_inflight_add(int64_t n)
{
	(void)n;
}
#endif

/* Audits run, skipped (something changed meanwhile) and their counts (debug image). */
struct ptshare_audit_stats {
	uint64_t runs, skipped;
	uint64_t tables, frames; /* what the last quiet audit checked */
};

extern struct ptshare_audit_stats ptshare_audit_stats;

/* Whether this image checks (the debug image): ptshare_check does something. */
bool ptshare_check_enabled(void);

/*
 * Fault injection, the debug image only (boot option ptshare=unprotected):
 * wakers skip the protection pass, so that a test can show the check
 * above catching the broken protocol.
 */
extern bool ptshare_skip_protect;

/*
 * Fault injection, the debug image only (ptshare=extraref): the first table
 * copy takes one frame reference too many, which the audit must catch.
 */
extern bool ptshare_extra_ref;

/*
 * mm (a struct mm *) lets go of its link to table, valid or dormant: at
 * exit (no hart can run mm any more), or after own's copy and its flush.
 * The last link drops the table's frames and frees it.
 */
void ptshare_put(paddr_t table, void *mm);

/*
 * Exit: ptshare_put for each level-0 table that one level-1 table's
 * SV39_ENTRIES entries (links) point at, valid or dormant, and
 * megapage_put for each megapage leaf among them. It is exit's
 * pt_destroy_leaf_tables release: one call per level-1 table, a tight
 * loop over its links.
 */
void ptshare_put_links(const pte_t *links, void *mm);

/* A fresh table page's pt_share: one link, not protected (pt_page_alloc). */
static inline void ptshare_init_table(paddr_t table)
{
	__atomic_store_n(&pa_to_frame(table)->pt_share, 1, __ATOMIC_RELAXED);
}

#endif
