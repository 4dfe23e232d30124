/*
 * megapage.c: 2 MiB megapages of private anonymous memory: their blocks'
 * references, and their leaves in address spaces (megapage.h has the
 * counting rules; docs/cow.md "Megapages" the protocol).
 *
 * Owns every level-1 leaf of a user address space. Invariants it keeps:
 *  - a megapage leaf changes only under its mm's lock (made at a mapping,
 *    copied at fork, made writable, split or taken out), so a fault that
 *    finds one takes mm->lock and reads it again;
 *  - a split links a table whose 512 leaves map the same frames with the
 *    same bits (A included), and keeps that table locked until it has
 *    flushed mm's whole ASID: once a fault can lock the table, no hart
 *    holds the megapage's translation, and a clear A in a 4 KiB leaf tells
 *    the COW fault (cow.c) truthfully that no hart cached the page; the
 *    whole map is dropped after that flush;
 *  - a block's frames are freed only by the last of the whole maps and of
 *    their own references, after every hart that could reach them flushed
 *    (a whole map is dropped only after the flush that took its leaf out).
 */
#include "src/mm/megapage.h"

#include "src/kernel/kernel.h"
#include "src/mm/frame.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptlock.h"
#include "src/mm/tlb.h"
#include "user/include/kine/errno.h"

#define MEGAPAGE_FRAMES (1u << MEGAPAGE_ORDER)

bool megapage_enabled, megapage_extra_map;
struct megapage_stats megapage_stats;
static uint32_t extra_map_taken; /* atomic: thp=extramap leaks one map, once */

bool megapage_set(bool on)
{
#ifdef KINE_EAGER_FORK
	on = false;
#endif
	megapage_enabled = on;
	return on;
}

static void megapage_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* ---- Blocks and their references ---- */

/* The first frame of the block pa lies in: it holds the whole maps. */
static struct frame *block_head(paddr_t pa)
{
	return pa_to_frame(pa & ~(paddr_t)(MEGAPAGE_SIZE - 1));
}

static uint32_t *maps_word(paddr_t pa)
{
	return &block_head(pa)->pt_share;
}

uint32_t megapage_maps(paddr_t pa)
{
	return __atomic_load_n(maps_word(pa), __ATOMIC_RELAXED);
}

/*
 * A fresh zeroed block with one whole map, its frames split so that each
 * may be freed alone later (each holds the whole maps' one reference), or
 * 0 if the buddy has no order-9 block free.
 */
static paddr_t block_alloc(void)
{
	paddr_t pa = frame_alloc_zeroed(MEGAPAGE_ORDER);
	struct frame *head;

	if (pa == 0)
		return 0;
	frame_split(pa, MEGAPAGE_ORDER);
	head = pa_to_frame(pa);
	for (unsigned i = 0; i < MEGAPAGE_FRAMES; i++)
		head[i].flags |= FRAME_F_MEGA;
	/* Published by the release store of the leaf that maps it. */
	__atomic_store_n(&head->pt_share, 1, __ATOMIC_RELAXED);
	return pa;
}

/* One more whole map, from one already held (relaxed, as frame_get). */
static void block_get(paddr_t pa)
{
	uint32_t old = __atomic_fetch_add(maps_word(pa), 1, __ATOMIC_RELAXED);

	assert(old > 0 && old < UINT32_MAX);
}

/*
 * The last whole map went: drop the one reference the whole maps held on
 * each frame. If no frame held anything else, nobody can take a new one
 * (a reference is only ever taken from one held): the block goes whole.
 */
static __attribute__((noinline)) void block_last(struct frame *head)
{
	paddr_t pa = frame_to_pa(head);

	for (unsigned i = 0; i < MEGAPAGE_FRAMES; i++) {
		if (frame_refcount(&head[i]) != 1) {
			for (unsigned j = 0; j < MEGAPAGE_FRAMES; j++)
				(void)frame_put(&head[j]);
			megapage_count(&megapage_stats.part_frees);
			return;
		}
	}
	frame_merge(pa, MEGAPAGE_ORDER);
	(void)frame_free(pa, MEGAPAGE_ORDER);
	megapage_count(&megapage_stats.whole_frees);
}

void megapage_put(paddr_t pa)
{
	/* Acquire: the last one sees every other holder's stores before the frees. */
	uint32_t old = __atomic_fetch_sub(maps_word(pa), 1, __ATOMIC_ACQ_REL);

	assert(old > 0);
	if (old == 1)
		block_last(block_head(pa));
}

/*
 * Does the one whole map the caller holds reach the block alone: no other
 * whole map, and no frame referenced by anything else? Under mm->lock,
 * which keeps the caller's own fork away; nobody else can gain a
 * reference then, so a true answer stays true.
 */
static bool block_owned_alone(paddr_t pa)
{
	struct frame *head = block_head(pa);

	if (megapage_maps(pa) != 1)
		return false;
	for (unsigned i = 0; i < MEGAPAGE_FRAMES; i++)
		if (frame_refcount(&head[i]) != 1)
			return false;
	return true;
}

/* ---- Leaves ---- */

bool megapage_map(struct mm *mm, uintptr_t va, uint64_t leaf)
{
	pte_t *link = pt_walk_link(mm->root, va, false);
	paddr_t pa;

	assert(spin_holding(&mm->lock) && va % MEGAPAGE_SIZE == 0);
	if (!megapage_enabled || (link != NULL && *link != 0))
		return false;
	pa = block_alloc();
	if (pa == 0) {
		megapage_count(&megapage_stats.fallbacks);
		return false;
	}
	link = pt_walk_link(mm->root, va, true); /* after the block: no empty table left behind */
	if (link == NULL) {
		megapage_put(pa);
		return false;
	}
	/* Release: the zeroed block before the leaf any hart may walk to it. */
	__atomic_store_n(link, pa_to_pte(pa) | leaf | PTE_V | PTE_A | ((leaf & PTE_W) ? PTE_D : 0),
			 __ATOMIC_RELEASE);
	megapage_count(&megapage_stats.maps);
	return true;
}

bool megapage_fork(pte_t *link, pte_t *child, uint64_t cow_a)
{
	pte_t e = *link;
	bool changed = false;

	assert(pte_is_leaf(e));
	if (!(e & VM_PTE_SHARED) && (e & PTE_W)) {
		/* As for a 4 KiB leaf (vm.c mm_copy_page): fork's shootdown follows. */
		e = (e & ~(PTE_W | PTE_A)) | PTE_COW | cow_a;
		pte_store(link, e);
		changed = true;
	}
	block_get(pte_pa(e));
	if (VM_INJECTED(megapage_extra_map) &&
	    __atomic_exchange_n(&extra_map_taken, 1, __ATOMIC_RELAXED) == 0)
		block_get(pte_pa(e)); /* injected: the audit must catch it */
	pte_store(child, e);
	return changed;
}

/*
 * Replace the megapage leaf e at link by a table of 512 leaves over the
 * same frames with the same bits, each holding a reference on its frame;
 * flush, then drop the whole map.
 *
 * The leaves take the megapage's A bit: clear says no hart has cached it
 * since fork, and a copy of a leaf whose A is clear skips its shootdown
 * (cow.c). A hart may still set A in the megapage leaf after our load of
 * e and cache it until our flush, so the new table stays locked from
 * before its link is published until that flush is over: no fault can
 * copy a frame of it (and trust a clear A) while a hart may still read
 * the frame through the megapage.
 */
static int split(struct mm *mm, pte_t *link, pte_t e)
{
	paddr_t table = pt_page_alloc(), pa = pte_pa(e);
	pte_t bits = (e & (PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D | PTE_RSW_MASK)) | PTE_V;
	pte_t *t;

	if (table == 0)
		return -ENOMEM;
	t = phys_to_virt(table);
	for (unsigned i = 0; i < MEGAPAGE_FRAMES; i++) {
		paddr_t frame = pa + (paddr_t)i * PAGE_SIZE;

		frame_get(pa_to_frame(frame));
		t[i] = pa_to_pte(frame) | bits;
	}
	ptlock_lock(table);
	/* Release: the filled table before the link a walker may follow. */
	__atomic_store_n(link, pa_to_pte(table) | PTE_V, __ATOMIC_RELEASE);
	tlb_shootdown_tables(mm); /* a level-1 entry changed: the whole ASID (pagetable.h) */
	ptlock_unlock(table);
	megapage_put(pa);
	megapage_count(&megapage_stats.splits);
	return 0;
}

static bool leaf_allows(pte_t e, enum vm_access access)
{
	if (!(e & PTE_U))
		return false;
	return access == VM_ACCESS_READ    ? (e & PTE_R) != 0
	       : access == VM_ACCESS_WRITE ? (e & PTE_W) != 0
					   : (e & PTE_X) != 0;
}

int megapage_fault(struct mm *mm, uintptr_t va, enum vm_access access)
{
	pte_t *link, e;
	int err = 0;

	mm_lock(mm);
	link = pt_walk_link(mm->root, va, false);
	e = link != NULL ? __atomic_load_n(link, __ATOMIC_ACQUIRE) : 0;
	if (!pte_is_leaf(e)) {
		/* Split or unmapped meanwhile: the caller starts over. */
	} else if (leaf_allows(e, access)) {
		/* A hart that does not set A, or a stale entry of this hart, sent us. */
		if (!(e & PTE_A))
			__atomic_fetch_or(link, PTE_A, __ATOMIC_RELAXED);
		tlb_flush_local_all(mm);
	} else if (access != VM_ACCESS_WRITE || !(e & PTE_COW)) {
		err = -EFAULT;
	} else if (block_owned_alone(pte_pa(e))) {
		/* Gaining W needs no shootdown: a stale read-only entry only faults again. */
		__atomic_store_n(link, (e & ~PTE_COW) | PTE_W | PTE_A | PTE_D, __ATOMIC_RELEASE);
		tlb_flush_local(mm, va);
		megapage_count(&megapage_stats.whole_reuses);
	} else {
		err = split(mm, link, e);
		if (err == 0)
			err = MEGAPAGE_SPLIT;
	}
	mm_check(mm, "megapage fault");
	mm_unlock(mm);
	return err;
}

int megapage_split_range_ends(struct mm *mm, uintptr_t va, size_t size)
{
	uintptr_t ends[2] = {va, va + size - 1};

	assert(spin_holding(&mm->lock));
	for (int i = 0; i < 2; i++) {
		uintptr_t slot = ends[i] & ~(uintptr_t)(MEGAPAGE_SIZE - 1);
		pte_t *link = ends[i] < USER_END ? pt_walk_link(mm->root, slot, false) : NULL;
		int err;

		/* Covered whole: both ends of the range lie on its edges. */
		if (link == NULL || !pte_is_leaf(*link) ||
		    (va <= slot && va + size >= slot + MEGAPAGE_SIZE))
			continue;
		err = split(mm, link, *link);
		if (err != 0)
			return err;
	}
	return 0;
}

void megapage_unmap_whole(struct mm *mm, uintptr_t va, size_t size)
{
	uintptr_t lo = (va + MEGAPAGE_SIZE - 1) & ~(uintptr_t)(MEGAPAGE_SIZE - 1);
	uintptr_t hi = (va + size) & ~(uintptr_t)(MEGAPAGE_SIZE - 1);

	assert(spin_holding(&mm->lock));
	for (uintptr_t slot = lo; slot < hi && slot < USER_END; slot += MEGAPAGE_SIZE) {
		pte_t *link = pt_walk_link(mm->root, slot, false);
		pte_t e;

		if (link == NULL || !pte_is_leaf(*link))
			continue;
		e = *link;
		__atomic_store_n(link, 0, __ATOMIC_RELEASE);
		/* Its frames may be reused once no hart can reach them: flush first. */
		tlb_shootdown(mm, slot, MEGAPAGE_SIZE);
		megapage_put(pte_pa(e));
	}
}

void *megapage_user_address(pte_t e, uintptr_t va, bool write)
{
	if (!pte_is_leaf(e) || !(e & PTE_U) || !(e & PTE_R) || (write && !(e & PTE_W)))
		return NULL;
	return (uint8_t *)phys_to_virt(pte_pa(e)) + (va & (MEGAPAGE_SIZE - 1));
}
