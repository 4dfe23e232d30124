/*
 * uaccess.c: copyin, copyout, copyinstr (see uaccess.h).
 *
 * The copy goes page by page under mm->lock, which keeps each page mapped
 * while it is copied (the direct-map pointer stays valid).
 */
#include "src/mm/uaccess.h"

#include "src/arch/riscv/mmu.h"
#include "src/arch/riscv/pte.h"
#include "src/kernel/kernel.h"
#include "src/mm/frame.h"
#include "src/mm/pagetable.h"
#include "src/mm/tlb.h"
#include "src/sched/perturb.h"
#include "user/include/kine/errno.h"

static size_t chunk(uintptr_t va, size_t left)
{
	size_t in_page = PAGE_SIZE - (va % PAGE_SIZE);

	return left < in_page ? left : in_page;
}

struct cow_stats cow_stats;

static void cow_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* The PTE of va in mm now, or 0 if there is none (its table may be gone). */
static pte_t vm_pte_now(struct mm *mm, uintptr_t va, pte_t **where)
{
	*where = pt_walk(mm->root, PAGE_ALIGN_DOWN(va), false);
	return *where != NULL ? __atomic_load_n(*where, __ATOMIC_ACQUIRE) : 0;
}

/*
 * The copy path, entered under mm->lock with old, the COW PTE, and refs,
 * the frame's count when we chose to copy. The allocation and the copy
 * run without the lock, so other threads of this process keep faulting
 * meanwhile: our own reference keeps the old frame from being freed (and
 * from being taken over in place by another sharer: with it the count
 * stays above 1), and nobody writes a frame that is COW everywhere. Back
 * under the lock, the PTE must be the one we copied for; if another thread
 * resolved or unmapped it meanwhile, the copy is thrown away (an overlap)
 * and the store is simply retried. Otherwise clear the old PTE, flush every
 * hart that may cache it, install the copy writable, and only then drop
 * the references on the old frame, so that no hart can reach the old frame
 * through a stale entry once it may be reused.
 */
static int vm_fault_copy(struct mm *mm, uintptr_t va, pte_t old, uint32_t refs)
{
	struct frame *f = pa_to_frame(pte_pa(old));
	paddr_t copy;
	pte_t *pte;
	bool fell, last;

	frame_get(f);
	spin_unlock(&mm->lock);
	perturb_window(); /* seed=N: let another hart act inside the window */
	copy = frame_alloc(0);
	if (copy != 0)
		memcpy(phys_to_virt(copy), phys_to_virt(pte_pa(old)), PAGE_SIZE);
	/* Another sharer let the frame go while we copied (our own reference is the +1). */
	fell = frame_refcount(f) < refs + 1;
	spin_lock(&mm->lock);
	if (copy == 0) {
		frame_put(f);
		return -ENOMEM;
	}
	if (vm_pte_now(mm, va, &pte) != old) {
		cow_count(&cow_stats.overlaps);
		frame_free(copy, 0); /* never mapped: no flush owed */
		frame_put(f);
		return 0;
	}
	__atomic_store_n(pte, 0, __ATOMIC_RELEASE);
	tlb_shootdown(mm, va, PAGE_SIZE);
	/* The new PTE: the copy's frame with the old flags, writable, no longer COW. */
	__atomic_store_n(pte, pa_to_pte(copy) | (old & PTE_FLAGS_MASK & ~PTE_COW) | PTE_W | PTE_D,
			 __ATOMIC_RELEASE);
	/* Drop this process's reference and ours; the last one frees (the sharers are gone). */
	last = frame_put(f);
	last |= frame_put(f);
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
	mm_check(mm, "COW copy");
	return 0;
}

/*
 * The copy-on-write fault (docs/cow.md). Under mm->lock:
 *  - a PTE that is already writable was resolved by another thread of
 *    this process meanwhile (an overlap): nothing to do;
 *  - a PTE without PTE_COW is a real protection fault: -EFAULT;
 *  - the last owner of the frame (refcount 1) takes it over in place;
 *  - otherwise copy the frame (vm_fault_copy, which drops mm->lock while
 *    it allocates and copies).
 */
int vm_fault_write(struct mm *mm, uintptr_t va)
{
	pte_t *pte, old;
	uint32_t refs;

	assert(spin_holding(&mm->lock));
	if (va >= USER_END)
		return -EFAULT;
	old = vm_pte_now(mm, va, &pte);
	if (!(old & PTE_V) || !(old & PTE_U))
		return -EFAULT;
	if (old & PTE_W) {
		cow_count(&cow_stats.overlaps);
		tlb_flush_local(mm, va); /* a stale read-only entry here sent us in */
		return 0;
	}
	if (!(old & PTE_COW))
		return -EFAULT;
	refs = frame_refcount(pa_to_frame(pte_pa(old)));
	if (refs > 1)
		return vm_fault_copy(mm, va, old, refs);
	__atomic_store_n(pte, (old & ~PTE_COW) | PTE_W | PTE_D, __ATOMIC_RELEASE);
	/* Gaining W needs no shootdown: a stale read-only entry elsewhere only faults again. */
	tlb_flush_local(mm, va);
	cow_count(&cow_stats.faults);
	cow_count(&cow_stats.reuses);
	mm_check(mm, "COW reuse");
	return 0;
}

/*
 * Does the PTE for va now allow the access? Another thread may have been
 * in the middle of a COW fault on this page (its PTE is briefly clear
 * between the flush and the new PTE): once we hold the lock that fault is
 * over, and the access only needs to run again.
 */
static bool vm_access_ok(struct mm *mm, uintptr_t va, enum vm_access access)
{
	pte_t *pte = pt_walk(mm->root, PAGE_ALIGN_DOWN(va), false);
	pte_t e = pte != NULL ? __atomic_load_n(pte, __ATOMIC_ACQUIRE) : 0;

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

int vm_user_fault(struct mm *mm, uintptr_t va, enum vm_access access)
{
	int err = 0;

	if (va >= USER_END)
		return -EFAULT;
	spin_lock(&mm->lock);
	if (vm_access_ok(mm, va, access))
		tlb_flush_local(mm, va); /* a stale entry on this hart sent us here */
	else if (access == VM_ACCESS_WRITE)
		err = vm_fault_write(mm, va);
	else
		err = -EFAULT;
	spin_unlock(&mm->lock);
	return err;
}

int copyin(struct mm *mm, void *dst, uintptr_t usrc, size_t n)
{
	uint8_t *d = dst;

	if (usrc + n < usrc)
		return -EFAULT;
	spin_lock(&mm->lock);
	while (n > 0) {
		size_t c = chunk(usrc, n);
		const uint8_t *page = mm_user_page(mm, PAGE_ALIGN_DOWN(usrc), false);

		if (page == NULL) {
			spin_unlock(&mm->lock);
			return -EFAULT;
		}
		memcpy(d, page + usrc % PAGE_SIZE, c);
		d += c;
		usrc += c;
		n -= c;
	}
	spin_unlock(&mm->lock);
	return 0;
}

int copyout(struct mm *mm, uintptr_t udst, const void *src, size_t n)
{
	const uint8_t *s = src;

	if (udst + n < udst)
		return -EFAULT;
	spin_lock(&mm->lock);
	while (n > 0) {
		size_t c = chunk(udst, n);
		uint8_t *page = mm_user_page(mm, PAGE_ALIGN_DOWN(udst), true);

		/* 0 without a writable page: another thread changed it meanwhile; look again. */
		while (page == NULL && vm_fault_write(mm, udst) == 0)
			page = mm_user_page(mm, PAGE_ALIGN_DOWN(udst), true);
		if (page == NULL) {
			spin_unlock(&mm->lock);
			return -EFAULT;
		}
		memcpy(page + udst % PAGE_SIZE, s, c);
		s += c;
		udst += c;
		n -= c;
	}
	spin_unlock(&mm->lock);
	return 0;
}

long copyinstr(struct mm *mm, char *dst, uintptr_t usrc, size_t max)
{
	size_t len = 0;
	long ret = -E2BIG;

	spin_lock(&mm->lock);
	while (len < max && ret == -E2BIG) {
		uintptr_t va = usrc + len;
		size_t c = chunk(va, max - len);
		const char *page = mm_user_page(mm, PAGE_ALIGN_DOWN(va), false);

		if (page == NULL) {
			ret = -EFAULT;
			break;
		}
		for (size_t i = 0; i < c; i++, len++) {
			dst[len] = page[va % PAGE_SIZE + i];
			if (dst[len] == '\0') {
				ret = (long)len;
				break;
			}
		}
	}
	spin_unlock(&mm->lock);
	return ret;
}
