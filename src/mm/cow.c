/*
 * cow.c: the user page fault and the copy-on-write fault (cow.h, and
 * docs/cow.md for the protocol, step by step).
 *
 * A fault takes no process-wide lock: it finds the level-0 table of its
 * PTE without one and locks that table alone (ptlock_find, ptlock.h). A
 * link fork left dormant, or a COW leaf in a table another address space
 * still links, sends it to the slow path first, to wake the link or make
 * the table its own, under the table's lock too (cow_fault_link,
 * ptshare_fault); then it starts over.
 *
 * Owns the COW counters (per hart) and the busy state of a PTE: the one
 * path in src/mm that may leave a PTE busy without holding its table's
 * lock (mm.h). Invariants it keeps:
 *  - a COW frame is never written and never freed while a PTE of a
 *    sharer may still reach it through a TLB: a copy keeps its PTE busy
 *    (cow_copy_busy) or holds a temporary reference (cow_copy_unlocked),
 *    and drops the process's reference only after the new PTE is in and
 *    every hart that may cache the old one has flushed;
 *  - a copy reads the frame only once no fork of mm is on its way to its
 *    shootdown (cow_fork_wait): until then another hart may still store
 *    into it through a writable entry fork took away;
 *  - a leaf changes only under its table's lock, in a table that is mm's
 *    own (links 1, not protected); a busy PTE is made only so and counted
 *    in its table (ptlock_busy_add), and its owner finishes it with
 *    interrupts off and without the lock, so whoever waits for it with the
 *    lock held cannot wait forever;
 *  - a copy installs only over the PTE it copied for (but for A), in a
 *    table still mm's own: a busy copy's PTE cannot change meanwhile; an
 *    unlocked copy re-checks it, and any other change throws it away.
 */
#include "src/mm/cow.h"

#include <stddef.h>

#include "src/arch/riscv/pagecopy.h"
#include "src/arch/riscv/pte.h"
#include "src/base/assert.h"
#include "src/mm/frame.h"
#include "src/mm/megapage.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptlock.h"
#include "src/mm/ptshare.h"
#include "src/mm/tlb.h"
#include "src/mm/tlb_shadow.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/perturb.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"

bool cow_fault_serialized, cow_skip_fork_wait;

/*
 * The counters, one set per hart on a line of its own: a fault writes no
 * cache line that the faults of other harts write. (The index may be stale
 * if the thread moves: the add is atomic, so a count is never lost.)
 */
static struct {
	struct cow_stats s;
} __attribute__((aligned(64))) cow_hart[HART_LOCAL_MAX];

#define cow_count(field)                                                                           \
	__atomic_fetch_add(&cow_hart[this_hart()->index].s.field, 1, __ATOMIC_RELAXED)

void cow_stats_read(struct cow_stats *out)
{
	uint64_t *sum = (uint64_t *)out;

	*out = (struct cow_stats){0};
	for (int h = 0; h < HART_LOCAL_MAX; h++) {
		const uint64_t *c = (const uint64_t *)&cow_hart[h].s;

		for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
			sum[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
	}
	/* Every COW fault ends in one of the two: one count fewer per fault. */
	out->faults = out->copies + out->reuses;
}

/* cow_user_fault's internal answers: make the table mm's own first, then start over; */
#define FAULT_OWN 1
/* or resolve a megapage's fault under mm->lock (megapage.h), then start over. */
#define FAULT_HUGE 2

/*
 * Around each stretch under a table lock. The debug image's audit clock
 * moves at both ends (ptshare.h): a change made under the lock is
 * bracketed by two ticks. The faultlock=mm baseline also takes the bare
 * mm->lock, as every fault did before tables had locks.
 */
static void fault_enter(struct mm *mm)
{
	if (cow_fault_serialized)
		spin_lock(&mm->lock);
	ptshare_audit_touch();
}

static void fault_exit(struct mm *mm)
{
	ptshare_audit_touch();
	if (cow_fault_serialized)
		spin_unlock(&mm->lock);
}

/* Let the table that holds pte go, and leave. */
static inline __attribute__((always_inline)) void fault_unlock(struct mm *mm, pte_t *pte)
{
	ptlock_unlock(ptlock_table_of(pte));
	fault_exit(mm);
}

/* The PTE a copy installs: the copy's frame, the old flags, writable, no longer COW. */
static pte_t cow_pte_copied(pte_t old, paddr_t copy)
{
	return pa_to_pte(copy) | (old & PTE_FLAGS_MASK & ~PTE_COW) | PTE_W | PTE_A | PTE_D;
}

/*
 * The busy window of a copy: pte is busy (mm_pte_busy) and belongs to us,
 * its table's lock is free, and interrupts are off, so nobody who waits
 * for the PTE with the lock held can wait for a thread that is not
 * running. Flush every hart that may cache the old translation (flush:
 * the swap that made it busy found A set; clear, no hart caches it), then
 * install the copy and end the busy count. Several such windows of one mm may overlap, and
 * overlap a shootdown under mm->lock (fork, munmap, mprotect); tlb.c
 * allows it. The table cannot go meanwhile: its unlink waits for the busy
 * count to fall (ptlock_lock_quiet).
 */
static void cow_pte_install(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old, paddr_t copy,
			    bool flush)
{
	if (flush)
		tlb_shootdown(mm, va, PAGE_SIZE);
	__atomic_store_n(pte, cow_pte_copied(old, copy), __ATOMIC_RELEASE);
	ptlock_busy_done(ptlock_table_of(pte)); /* its release: the install before the count */
}

/*
 * Replace the COW PTE old (still in place, its table locked) by the copy,
 * then let the lock go. A hart caches a translation only once the PTE's A
 * bit is set in memory, and fork left it clear (mm_cow_accessed): if the
 * swap below finds it still clear, no hart can use a translation of the
 * page, and the copy goes in at once with no flush at all. (Entries from
 * before the fork may survive in harts that fork's lazy shootdown skipped,
 * but such a hart flushes before it next runs the mm: fork bumped
 * tlb_gen. So this also relies on a hart leaving mm->active only after its
 * last use of the mm, as lazy shootdowns do; the model's LAZY_LEAVE_EARLY
 * breaks both.) Otherwise
 * the PTE is busy until the shootdown, which runs without the lock
 * (cow_pte_install), so that the other threads' faults do not wait for
 * its remote fence. The swap is atomic because an MMU may set A at any
 * moment; nothing else can change (only the lock holder does).
 */
static void cow_pte_replace(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old, paddr_t copy)
{
	pte_t was = __atomic_exchange_n(pte, old & ~(pte_t)(PTE_V | PTE_A), __ATOMIC_ACQ_REL);

	assert((was | PTE_A) == (old | PTE_A));
	if (!(was & PTE_A)) {
		__atomic_store_n(pte, cow_pte_copied(old, copy), __ATOMIC_RELEASE);
		cow_count(untouched);
		fault_unlock(mm, pte);
		return;
	}
	ptlock_busy_add(ptlock_table_of(pte));
	hart_irq_push_off();
	fault_unlock(mm, pte); /* its release orders the busy count before the next owner */
	cow_pte_install(mm, va, pte, old, copy, true);
	hart_irq_pop_off();
}

/*
 * cow_pte_settled's wait (cow.h), under the table lock, for a busy PTE. Another thread's
 * copy owns a busy PTE and finishes it without the lock, so wait with the
 * lock held (the table cannot go meanwhile).
 */
pte_t cow_pte_settle_wait(pte_t *pte)
{
	pte_t e = __atomic_load_n(pte, __ATOMIC_ACQUIRE);

	cow_count(busy_waits);
	while (mm_pte_busy(e)) {
		spin_wait_once();
		e = __atomic_load_n(pte, __ATOMIC_ACQUIRE);
	}
	return e;
}

/*
 * Before a copy reads the frame: a fork of mm that took W from leaves may
 * not have finished its shootdown (mm.c mm_copy_locked), and until it has,
 * a thread on another hart may still store through its entry from before
 * fork, into this very frame. Copied now, such a store would land in the
 * old frame (the child's) after our read: a write the process loses. We
 * saw the COW leaf under its table lock after fork let that lock go, so we
 * see fork_pending set if that fork is still on its way; its release of 0
 * comes after every hart flushed. Rare (a copy inside a fork), so yield.
 */
static void cow_fork_wait(struct mm *mm)
{
	if (__builtin_expect(__atomic_load_n(&mm->fork_pending, __ATOMIC_ACQUIRE) == 0, 1))
		return;
	if (VM_INJECTED(cow_skip_fork_wait))
		return; /* fault injection: the shadow's copy check must catch it */
	cow_count(fork_waits);
	while (__atomic_load_n(&mm->fork_pending, __ATOMIC_ACQUIRE) != 0)
		thread_yield();
}

/* Enter, find and lock va's table; NULL (and left) unless it is mm's own. */
static pte_t *fault_find_own(struct mm *mm, uintptr_t va, uintptr_t pc)
{
	pte_t *pte;
	enum ptlock_found found;

	fault_enter(mm);
	found = ptlock_find(mm, va, &pte, pc);
	if (found == PTLOCK_OWN)
		return pte;
	if (found == PTLOCK_SHARED)
		ptlock_unlock(ptlock_table_of(pte));
	fault_exit(mm);
	return NULL;
}

/*
 * A copy's frame, with the old frame's contents: 0 if there is none.
 * cover: the debug shadow's snapshot when the copy was decided.
 */
static paddr_t cow_frame_dup(struct mm *mm, pte_t old, uint64_t cover)
{
	paddr_t copy = frame_alloc(0);

	if (copy != 0) {
		tlb_shadow_copy_source(mm, cover); /* debug: no stale writer left */
		page_copy(phys_to_virt(copy), phys_to_virt(pte_pa(old)));
	}
	return copy;
}

/*
 * Count a copy done. fell: the frame's count fell while we copied; last:
 * our drop was its last reference. We chose to copy because others held
 * the frame; if one of them let go meanwhile (its own copy, exit or
 * munmap), we raced it.
 */
static void cow_count_copy(bool fell, bool last)
{
	if (last)
		cow_count(last_frees);
	if (fell || last)
		cow_count(overlaps);
	cow_count(copies);
}

/*
 * The unlocked copy, entered with old, the COW PTE at pte (its table
 * locked, mm's own), and refs, the frame's count when we chose to copy;
 * returns with the lock let go. The allocation and the copy run without the lock,
 * so other threads keep faulting in this table meanwhile: our own
 * reference keeps the old frame from being freed (and from being taken
 * over in place by another sharer: with it the count stays above 1), and
 * nobody writes a frame that is COW everywhere. Then the walk again: the
 * table must be the PTE's, still mm's own, and the PTE the one we copied
 * for (but for A, which an MMU may have set); if another thread resolved,
 * unmapped or made it busy meanwhile, or a fork shared its table, the copy
 * is thrown away (an overlap) and the store is simply retried. Otherwise
 * the copy replaces it (cow_pte_replace), and only then are the references
 * on the old frame dropped, so that no hart can reach the old frame
 * through a stale entry once it may be reused.
 */
static __attribute__((noinline)) int cow_copy_unlocked(struct mm *mm, uintptr_t va, pte_t *pte,
						       pte_t old, uint32_t refs, uintptr_t pc,
						       uint64_t cover)
{
	struct frame *f = pa_to_frame(pte_pa(old));
	paddr_t copy;
	bool fell, last;

	/*
	 * The temporary reference: without it the frame could be freed and
	 * come back to this very mm as a new page, COW again by a fork, and the
	 * re-check below would take that PTE for the one we copied for
	 * (docs/cow.md; the model's NO_TEMP_REF).
	 */
	frame_get(f);
	ptshare_audit_inflight_add(1); /* the debug audit's: until our last put */
	fault_unlock(mm, pte);
	perturb_window(); /* seed=N: let another hart act inside the window */
	cow_fork_wait(mm);
	copy = cow_frame_dup(mm, old, cover);
	/* Another sharer let the frame go while we copied (our own reference is the +1). */
	fell = frame_refcount(f) < refs + 1;
	if (copy == 0) {
		frame_put(f);
		ptshare_audit_inflight_add(-1);
		return -ENOMEM;
	}
	/*
	 * The same PTE, and in a table still our own: a fork meanwhile may
	 * have shared the table, and a sibling thread's wake made our link
	 * valid again with the leaf unchanged; installing there would write
	 * the copy into the child's view too (docs/cow.md, "Shared tables").
	 */
	pte = fault_find_own(mm, va, pc);
	if (pte == NULL || (cow_pte_settled(pte) | PTE_A) != (old | PTE_A)) {
		if (pte != NULL)
			fault_unlock(mm, pte);
		cow_count(overlaps);
		frame_put_pa(copy, 0); /* never mapped: no flush owed */
		frame_put(f);
		ptshare_audit_inflight_add(-1);
		return 0;
	}
	cow_pte_replace(mm, va, pte, old, copy);
	/* Drop this process's reference and ours; the last one frees (the sharers are gone). */
	last = frame_put(f);
	last |= frame_put(f);
	ptshare_audit_inflight_add(-1);
	cow_count_copy(fell, last);
	return 0;
}

/*
 * The common copy: the PTE made busy first, under the lock, and the
 * allocation, the copy, the shootdown and the install all in its busy
 * window (interrupts off, no lock), entered with old, the COW PTE at pte
 * (its table locked, mm's own) and refs, the frame's count when we chose
 * to copy. A busy PTE is the copy's alone until it installs: no other
 * fault changes it (they wait for it, cow_pte_settled), and no layout
 * change takes its table's lock until the busy count falls (fork, the
 * wake's protection, munmap, mprotect: ptlock_lock_quiet and
 * ptlock_lock_batch), so the table stays linked, mm's own, and the PTE
 * keeps its reference on the old frame, which nobody can write (it is
 * COW everywhere). So nothing is re-walked or re-checked, and no
 * temporary reference is needed. The swap tells A, as in cow_pte_replace:
 * clear, no hart caches the page, and no shootdown is owed.
 */
static int cow_copy_busy(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old, uint32_t refs,
			 uint64_t cover)
{
	struct frame *f = pa_to_frame(pte_pa(old));
	paddr_t table = ptlock_table_of(pte), copy;
	pte_t was = __atomic_exchange_n(pte, old & ~(pte_t)(PTE_V | PTE_A), __ATOMIC_ACQ_REL);
	bool fell, last;

	assert((was | PTE_A) == (old | PTE_A)); /* only an MMU's A changes it without the lock */
	ptlock_busy_add(table);
	ptshare_audit_inflight_add(1); /* the debug audit's: the busy PTE still holds f */
	hart_irq_push_off();
	fault_unlock(mm, pte); /* its release orders the busy count before the next owner */
	copy = cow_frame_dup(mm, old, cover);
	if (copy == 0) {
		__atomic_store_n(pte, was, __ATOMIC_RELEASE); /* as it was: nothing changed */
		ptlock_busy_done(table);
		hart_irq_pop_off();
		ptshare_audit_inflight_add(-1);
		return -ENOMEM;
	}
	if (!(was & PTE_A))
		cow_count(untouched);
	cow_pte_install(mm, va, pte, old, copy, was & PTE_A);
	hart_irq_pop_off();
	/* Another sharer let the frame go while we copied. */
	fell = frame_refcount(f) < refs;
	last = frame_put(f); /* the process's reference: the last one frees */
	ptshare_audit_inflight_add(-1);
	cow_count_copy(fell, last);
	return 0;
}

/*
 * Copy the frame of old, the COW PTE at pte (its table locked, mm's own);
 * refs: its count when we chose to copy. Returns with the lock let go. The
 * busy way is the rule. A fork of mm on its way takes the unlocked way
 * (its wait for the fork may yield, which a busy window may not), and so
 * does one copy in 8 of a seeded run, so that its races stay in reach.
 */
static int cow_copy(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old, uint32_t refs, uintptr_t pc)
{
	uint64_t cover = tlb_shadow_write_cover(mm); /* debug: 0 elsewhere */

	if (__builtin_expect(__atomic_load_n(&mm->fork_pending, __ATOMIC_ACQUIRE) != 0, 0) ||
	    perturb_yield())
		return cow_copy_unlocked(mm, va, pte, old, refs, pc, cover);
	return cow_copy_busy(mm, va, pte, old, refs, cover);
}

/*
 * A write fault on old, the PTE at pte (not busy; its table locked, found
 * as `found`); returns with the lock let go:
 *  - a PTE that is already writable was resolved by another thread of
 *    this process meanwhile (an overlap): nothing to do;
 *  - a PTE without PTE_COW is a real protection fault: -EFAULT;
 *  - a COW leaf in a table that is not mm's own: FAULT_OWN;
 *  - the last owner of the frame (refcount 1) takes it over in place;
 *  - otherwise copy the frame (cow_copy).
 */
static int cow_pte_write(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old,
			 enum ptlock_found found, uintptr_t pc)
{
	uint32_t refs;

	if (!(old & PTE_V) || !(old & PTE_U))
		goto fail;
	if (old & PTE_W) {
		cow_count(overlaps);
		tlb_flush_local(mm, va); /* a stale read-only entry here sent us in */
		fault_unlock(mm, pte);
		return 0;
	}
	if (!(old & PTE_COW))
		goto fail;
	if (found != PTLOCK_OWN) {
		fault_unlock(mm, pte);
		return FAULT_OWN;
	}
	refs = frame_refcount(pa_to_frame(pte_pa(old)));
	if (refs > 1)
		return cow_copy(mm, va, pte, old, refs, pc);
	__atomic_store_n(pte, (old & ~PTE_COW) | PTE_W | PTE_A | PTE_D, __ATOMIC_RELEASE);
	/*
	 * Gaining W needs no shootdown: a stale read-only entry elsewhere only
	 * faults again. This hart's own would too, once more: flush it, unless
	 * A was still clear, which says this hart never cached one (its own
	 * earlier reads would have set A before our load of old).
	 */
	if (old & PTE_A)
		tlb_flush_local(mm, va);
	cow_count(reuses);
	fault_unlock(mm, pte);
	return 0;
fail:
	fault_unlock(mm, pte);
	return -EFAULT;
}

/* Does the PTE e allow the access? */
static bool cow_pte_allows(pte_t e, enum cow_access access)
{
	if (!(e & PTE_V) || !(e & PTE_U))
		return false;
	switch (access) {
	case COW_ACCESS_READ:
		return (e & PTE_R) != 0;
	case COW_ACCESS_WRITE:
		return (e & PTE_W) != 0;
	default:
		return (e & PTE_X) != 0;
	}
}

/*
 * Does the PTE for va now allow the access? Another thread may have been
 * in the middle of a COW fault on this page (its PTE busy until the copy
 * is installed): once it is not busy that fault is over, and the access
 * only needs to run again. A hart that faults on a clear A bit instead of
 * setting it (fork leaves COW pages unaccessed, mm.c) comes here too: set
 * it for the hart, which may then cache the translation. (Setting A is
 * the one change a table other address spaces link may see: ptshare.h.)
 */
static bool cow_pte_access(pte_t *pte, pte_t e, enum cow_access access)
{
	if (!cow_pte_allows(e, access))
		return false;
	if (!(e & PTE_A))
		__atomic_fetch_or(pte, PTE_A, __ATOMIC_RELAXED);
	return true;
}

/* The fault under va's table lock alone: 0, -EFAULT, -ENOMEM or FAULT_OWN. */
static int cow_fault_leaf(struct mm *mm, uintptr_t va, enum cow_access access, uintptr_t pc)
{
	enum ptlock_found found;
	pte_t *pte, e;

	fault_enter(mm);
	found = ptlock_find(mm, va, &pte, pc);
	if (found < PTLOCK_SHARED) {
		fault_exit(mm);
		return found == PTLOCK_NONE      ? -EFAULT
		       : found == PTLOCK_DORMANT ? FAULT_OWN
						 : FAULT_HUGE;
	}
	e = cow_pte_settled(pte);
	if (cow_pte_access(pte, e, access)) {
		/*
		 * A was clear: the fault was the A bit's (a hart that does not
		 * set it, cow_pte_access set it now), and a flush of the page is
		 * enough. Otherwise a stale entry on this hart sent us here: a
		 * leaf, or an invalid link another thread has woken since
		 * (ptshare_wake), which a flush by address need not drop: flush
		 * the whole ASID. (A hart that met both faults once more, A set
		 * by then, and takes the whole flush.)
		 */
		if (e & PTE_A)
			tlb_flush_local_all(mm);
		else
			tlb_flush_local(mm, va);
		fault_unlock(mm, pte);
		return 0;
	}
	if (access == COW_ACCESS_WRITE)
		return cow_pte_write(mm, va, pte, e, found, pc); /* lets the lock go */
	fault_unlock(mm, pte);
	return -EFAULT;
}

/*
 * The slow path, under the table's lock alone (ptshare_fault): wake a
 * dormant link for a read or an instruction fetch; for a write, make the
 * table mm's own (a copy, or the table itself for its last sharer). A fork
 * of mm on its way is waited out first. 0 or -ENOMEM.
 */
static int cow_fault_link(struct mm *mm, uintptr_t va, enum cow_access access, uintptr_t pc)
{
	for (;;) {
		int err;

		fault_enter(mm);
		err = ptshare_fault(mm, va, access == COW_ACCESS_WRITE, pc);
		fault_exit(mm);
		if (err != PTSHARE_FORK_PENDING)
			return err;
		cow_fork_wait(mm);
	}
}

/*
 * A megapage's fault (megapage_fault, under mm->lock); after a split, the
 * 4 KiB COW fault that copies the one page written, from the start. Out of
 * line: rare, and cow_user_fault's common path keeps no register for it.
 */
static __attribute__((noinline)) int cow_fault_huge(struct mm *mm, uintptr_t va,
						    enum cow_access access)
{
	int err = megapage_fault(mm, va, access);

	return err == MEGAPAGE_SPLIT ? cow_user_fault(mm, va, access) : err;
}

__attribute__((noinline)) int cow_user_fault(struct mm *mm, uintptr_t va, enum cow_access access)
{
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);

	if (va >= USER_END)
		return -EFAULT;
	for (;;) {
		int err = cow_fault_leaf(mm, va, access, pc);

		if (err <= 0)
			return err; /* one test on the common path: 0 or -errno */
		if (err == FAULT_HUGE)
			return cow_fault_huge(mm, va, access);
		err = cow_fault_link(mm, va, access, pc);
		/*
		 * A read or fetch just runs again through the woken link (and
		 * faults once more only if the page does not allow it, or on a
		 * clear A where the hart does not set it). A write goes on here:
		 * its COW leaf is still to resolve, and a second trap costs more
		 * than a second walk.
		 */
		if (err != 0 || access != COW_ACCESS_WRITE)
			return err;
	}
}
