/*
 * cow.c: the user page fault and the copy-on-write fault (cow.h, and
 * docs/cow.md for the protocol, step by step).
 *
 * Owns cow_stats and the busy state of a PTE: the one path in src/mm that
 * takes the bare mm->lock (not mm_lock) and may leave a PTE busy without
 * it (vm.h). Invariants it keeps:
 *  - a COW frame is never written and never freed while a PTE of a
 *    sharer may still reach it through a TLB: a copy holds a temporary
 *    reference, and drops the process's reference only after the new PTE
 *    is in and every hart that may cache the old one has flushed;
 *  - a busy PTE is made only under mm->lock and counted in mm->busy, and
 *    its owner finishes it with interrupts off and without the lock, so
 *    whoever waits for it with the lock held cannot wait forever;
 *  - a copy installs only over the PTE it copied for (but for A): any
 *    other change meanwhile throws the copy away.
 */
#include "src/mm/cow.h"

#include "src/arch/riscv/pagecopy.h"
#include "src/arch/riscv/pte.h"
#include "src/kernel/kernel.h"
#include "src/mm/frame.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptshare.h"
#include "src/mm/tlb.h"
#include "src/sched/hart.h"
#include "src/sched/perturb.h"
#include "user/include/kine/errno.h"

struct cow_stats cow_stats;

static void cow_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/*
 * Let mm->lock go. The debug image's audit clock moves first (ptshare.h):
 * a change made under the lock is bracketed by two ticks.
 */
static void fault_unlock(struct mm *mm)
{
	ptshare_audit_touch();
	spin_unlock(&mm->lock);
}

/* The PTE of va in mm now, or 0 if there is none (its table may be gone). */
static pte_t vm_pte_now(struct mm *mm, uintptr_t va, pte_t **where)
{
	*where = pt_walk(mm->root, PAGE_ALIGN_DOWN(va), false);
	return *where != NULL ? __atomic_load_n(*where, __ATOMIC_ACQUIRE) : 0;
}

/* The PTE a copy installs: the copy's frame, the old flags, writable, no longer COW. */
static pte_t vm_copy_pte(pte_t old, paddr_t copy)
{
	return pa_to_pte(copy) | (old & PTE_FLAGS_MASK & ~PTE_COW) | PTE_W | PTE_A | PTE_D;
}

/*
 * The busy window of a copy: pte is busy (vm_pte_busy) and belongs to us,
 * mm->lock is free, and interrupts are off, so nobody who waits for the
 * PTE with the lock held can wait for a thread that is not running. Flush
 * every hart that may cache the old translation, then install the copy.
 * Several such windows of one mm may overlap, and overlap a shootdown
 * under the lock (fork, munmap, mprotect); tlb.c allows it.
 */
static void vm_copy_install(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old, paddr_t copy)
{
	uint64_t was;

	tlb_shootdown(mm, va, PAGE_SIZE);
	__atomic_store_n(pte, vm_copy_pte(old, copy), __ATOMIC_RELEASE);
	/* Release: whoever sees busy fall to 0 sees the PTE above. */
	was = __atomic_fetch_sub(&mm->busy, 1, __ATOMIC_RELEASE);
	assert(was != 0); /* ours was counted */
}

/*
 * Replace the COW PTE old (still in place, under mm->lock) by the copy,
 * then let the lock go. A hart caches a translation only once the PTE's A
 * bit is set in memory, and fork left it clear (vm_cow_accessed): if the
 * swap below finds it still clear, no hart can use a translation of the
 * page, and the copy goes in at once with no flush at all. (Entries from
 * before the fork may survive in harts that fork's lazy shootdown skipped,
 * but such a hart flushes before it next runs the mm: fork bumped
 * tlb_gen. So this also relies on a hart leaving mm->active only after its
 * last use of the mm, as lazy shootdowns do; the model's LAZY_LEAVE_EARLY
 * breaks both.) Otherwise
 * the PTE is busy until the shootdown, which runs without the lock
 * (vm_copy_install), so that the other threads' faults do not wait for
 * its remote fence. The swap is atomic because an MMU may set A at any
 * moment; nothing else can change (only the lock holder does).
 */
static void vm_copy_replace(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old, paddr_t copy)
{
	pte_t was = __atomic_exchange_n(pte, old & ~(pte_t)(PTE_V | PTE_A), __ATOMIC_ACQ_REL);

	assert((was | PTE_A) == (old | PTE_A));
	if (!(was & PTE_A)) {
		__atomic_store_n(pte, vm_copy_pte(old, copy), __ATOMIC_RELEASE);
		cow_count(&cow_stats.untouched);
		fault_unlock(mm);
		return;
	}
	__atomic_fetch_add(&mm->busy, 1, __ATOMIC_RELAXED);
	irq_push_off();
	fault_unlock(mm); /* its release orders the busy count before the next owner */
	vm_copy_install(mm, va, pte, old, copy);
	irq_pop_off();
}

/*
 * The copy path, entered under mm->lock with old, the COW PTE, and refs,
 * the frame's count when we chose to copy; returns with the lock let go.
 * The allocation and the copy run without the lock, so other threads of
 * this process keep faulting meanwhile: our own reference keeps the old
 * frame from being freed (and from being taken over in place by another
 * sharer: with it the count stays above 1), and nobody writes a frame that
 * is COW everywhere. Back under the lock, the PTE must be the one we
 * copied for (but for A, which an MMU may have set); if another thread
 * resolved, unmapped or made it busy meanwhile, or a fork shared its
 * table, the copy is thrown away (an overlap) and the store is simply
 * retried. Otherwise the copy
 * replaces it (vm_copy_replace), and only then are the references on the
 * old frame dropped, so that no hart can reach the old frame through a
 * stale entry once it may be reused.
 */
static int vm_fault_copy(struct mm *mm, uintptr_t va, pte_t old, uint32_t refs)
{
	struct frame *f = pa_to_frame(pte_pa(old));
	paddr_t copy;
	pte_t *pte;
	bool fell, last;

	/*
	 * The temporary reference: without it the frame could be freed and
	 * come back to this very mm as a new page, COW again by a fork, and the
	 * re-check below would take that PTE for the one we copied for
	 * (docs/cow.md; the model's NO_TEMP_REF).
	 */
	frame_get(f);
	ptshare_audit_inflight_add(1); /* the debug audit's: until our last put */
	fault_unlock(mm);
	perturb_window(); /* seed=N: let another hart act inside the window */
	copy = frame_alloc(0);
	if (copy != 0)
		page_copy(phys_to_virt(copy), phys_to_virt(pte_pa(old)));
	/* Another sharer let the frame go while we copied (our own reference is the +1). */
	fell = frame_refcount(f) < refs + 1;
	if (copy == 0) {
		frame_put(f);
		ptshare_audit_inflight_add(-1);
		return -ENOMEM;
	}
	spin_lock(&mm->lock);
	ptshare_audit_touch();
	/*
	 * The same PTE, and still in a table of our own: a fork meanwhile may
	 * have shared the table, and a sibling thread's wake made our link
	 * valid again with the leaf unchanged; installing there would write
	 * the copy into the child's view too (docs/cow.md, "Shared tables").
	 */
	if ((vm_pte_now(mm, va, &pte) | PTE_A) != (old | PTE_A) || !ptshare_private(pte)) {
		fault_unlock(mm);
		cow_count(&cow_stats.overlaps);
		frame_free(copy, 0); /* never mapped: no flush owed */
		frame_put(f);
		ptshare_audit_inflight_add(-1);
		return 0;
	}
	vm_copy_replace(mm, va, pte, old, copy);
	/* Drop this process's reference and ours; the last one frees (the sharers are gone). */
	last = frame_put(f);
	last |= frame_put(f);
	ptshare_audit_inflight_add(-1);
	if (last)
		cow_count(&cow_stats.last_frees);
	/*
	 * We chose to copy because others held the frame; if one of them let
	 * go before our drop (its own copy, exit or munmap), we raced it.
	 */
	if (fell || last)
		cow_count(&cow_stats.overlaps);
	cow_count(&cow_stats.faults);
	cow_count(&cow_stats.copies);
	return 0;
}

/*
 * Under mm->lock: the PTE of va, once it is not busy. Another thread's
 * copy owns a busy PTE and finishes it without the lock, so wait with the
 * lock held (its table cannot go meanwhile).
 */
static pte_t vm_wait_pte(struct mm *mm, uintptr_t va, pte_t **where)
{
	pte_t e = vm_pte_now(mm, va, where);

	if (!vm_pte_busy(e))
		return e;
	cow_count(&cow_stats.busy_waits);
	while (vm_pte_busy(e)) {
		spin_wait_once();
		e = __atomic_load_n(*where, __ATOMIC_ACQUIRE);
	}
	return e;
}

/*
 * The copy-on-write fault (docs/cow.md). Under mm->lock, with the PTE once
 * it is not busy:
 *  - a PTE that is already writable was resolved by another thread of
 *    this process meanwhile (an overlap): nothing to do;
 *  - a PTE without PTE_COW is a real protection fault: -EFAULT;
 *  - the last owner of the frame (refcount 1) takes it over in place;
 *  - otherwise copy the frame (vm_fault_copy, which drops mm->lock while
 *    it allocates and copies, and for the shootdown).
 */
/*
 * vm_fault_write, with the PTE of va (pte, old: not busy) already found,
 * pte NULL if no level-0 entry is reachable. A COW leaf in a table fork
 * shared, or a link fork left dormant, first makes the table this
 * process's own (ptshare_own: a copy, or the table itself when this
 * process is its last sharer), so that the leaf may change.
 */
static int vm_fault_write_pte(struct mm *mm, uintptr_t va, pte_t *pte, pte_t old)
{
	uint32_t refs;

	assert(spin_holding(&mm->lock) && !vm_pte_busy(old));
	if (pte == NULL || ((old & PTE_COW) && !ptshare_private(pte))) {
		if (ptshare_own(mm, va, PAGE_SIZE) != 0) {
			fault_unlock(mm);
			return -ENOMEM;
		}
		old = vm_wait_pte(mm, va, &pte); /* the walk again, in the table now ours */
	}
	if (!(old & PTE_V) || !(old & PTE_U))
		goto fail;
	if (old & PTE_W) {
		cow_count(&cow_stats.overlaps);
		tlb_flush_local(mm, va); /* a stale read-only entry here sent us in */
		fault_unlock(mm);
		return 0;
	}
	if (!(old & PTE_COW))
		goto fail;
	refs = frame_refcount(pa_to_frame(pte_pa(old)));
	if (refs > 1)
		return vm_fault_copy(mm, va, old, refs);
	__atomic_store_n(pte, (old & ~PTE_COW) | PTE_W | PTE_A | PTE_D, __ATOMIC_RELEASE);
	/*
	 * Gaining W needs no shootdown: a stale read-only entry elsewhere only
	 * faults again. This hart's own would too, once more: flush it, unless
	 * A was still clear, which says this hart never cached one (its own
	 * earlier reads would have set A before our load of old).
	 */
	if (old & PTE_A)
		tlb_flush_local(mm, va);
	cow_count(&cow_stats.faults);
	cow_count(&cow_stats.reuses);
	fault_unlock(mm);
	return 0;
fail:
	fault_unlock(mm);
	return -EFAULT;
}

int vm_fault_write(struct mm *mm, uintptr_t va)
{
	pte_t *pte, old;

	assert(spin_holding(&mm->lock));
	if (va >= USER_END) {
		fault_unlock(mm);
		return -EFAULT;
	}
	old = vm_wait_pte(mm, va, &pte);
	return vm_fault_write_pte(mm, va, pte, old);
}

/* Does the PTE e allow the access? */
static bool vm_pte_allows(pte_t e, enum vm_access access)
{
	if (!(e & PTE_V) || !(e & PTE_U))
		return false;
	switch (access) {
	case VM_ACCESS_READ:
		return (e & PTE_R) != 0;
	case VM_ACCESS_WRITE:
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
 * setting it (fork leaves COW pages unaccessed, vm.c) comes here too: set
 * it for the hart, which may then cache the translation.
 */
static bool vm_access_ok(pte_t *pte, pte_t e, enum vm_access access)
{
	if (!vm_pte_allows(e, access))
		return false;
	if (!(e & PTE_A))
		__atomic_fetch_or(pte, PTE_A, __ATOMIC_RELAXED);
	return true;
}

int vm_user_fault(struct mm *mm, uintptr_t va, enum vm_access access)
{
	pte_t *pte, e;

	if (va >= USER_END)
		return -EFAULT;
	spin_lock(&mm->lock);          /* not mm_lock: wait for this page alone if it is busy */
	ptshare_audit_touch();         /* the debug audit's clock: a fault may change counts */
	e = vm_wait_pte(mm, va, &pte); /* one walk serves both checks below */
	if (vm_access_ok(pte, e, access)) {
		/*
		 * A was clear: the fault was the A bit's (a hart that does not
		 * set it, vm_access_ok set it now), and a flush of the page is
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
		fault_unlock(mm);
		return 0;
	}
	if (access == VM_ACCESS_WRITE)
		return vm_fault_write_pte(mm, va, pte, e); /* lets the lock go */
	if (pte == NULL && ptshare_wake(mm, va)) {
		fault_unlock(mm); /* the access runs again, through the woken link */
		return 0;
	}
	fault_unlock(mm);
	return -EFAULT;
}
