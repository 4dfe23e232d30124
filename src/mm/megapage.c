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
 *    same permissions (COW leaves with A clear where harts set A, as fork
 *    makes them), and keeps that table locked until it has flushed mm's
 *    whole ASID: once a fault can lock the table, no hart holds the
 *    megapage's translation, and a clear A in a 4 KiB leaf tells the COW
 *    fault (cow.c) truthfully that no hart cached the page; the whole map
 *    is dropped after that flush;
 *  - a block's frames are freed only by the last of the whole maps and of
 *    their own references, after every hart that could reach them flushed
 *    (a whole map is dropped only after the flush that took its leaf out).
 */
#include "src/mm/megapage.h"

#include "src/arch/riscv/mmu.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/mm/frame.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptlock.h"
#include "src/mm/slab.h"
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

/*
 * The whole maps of every 2 MiB of the frame table, one word each, side by
 * side: fork's and exit's one atomic per megapage then stay within a page
 * or two of memory, where a word in each block's first struct frame would
 * cost a TLB miss per block (two blocks' struct frames lie 12 KiB apart).
 * 4 KiB per 2 GiB of RAM. Set by megapage_init, read-only after.
 */
static uint32_t *block_maps;
static uint64_t block_count;

_Static_assert(BUDDY_MAX_ORDER >= MEGAPAGE_ORDER, "the frame table starts on a block boundary");

void megapage_init(void)
{
	block_count = (frame_table_len + MEGAPAGE_FRAMES - 1) / MEGAPAGE_FRAMES;
	block_maps = kzalloc(block_count * sizeof(*block_maps));
	if (block_maps == NULL)
		panic("megapage: no memory for %lu blocks' counts", (unsigned long)block_count);
}

/* The first frame of the block pa lies in. */
static struct frame *block_head(paddr_t pa)
{
	return pa_to_frame(pa & ~(paddr_t)(MEGAPAGE_SIZE - 1));
}

/*
 * The block's whole maps, from pa alone: the frame table starts on a
 * 2^BUDDY_MAX_ORDER-page boundary, so its 2 MiB blocks are physical ones.
 * (Fork and exit come here once per megapage: no struct frame is read.)
 */
static uint32_t *maps_word(paddr_t pa)
{
	uint64_t block =
	    (pa >> (PAGE_SHIFT + MEGAPAGE_ORDER)) - (frame_table_base_pfn >> MEGAPAGE_ORDER);

	assert(block < block_count);
	return &block_maps[block];
}

uint32_t megapage_maps(paddr_t pa)
{
	/* Acquire: a reader of the frames' counts after this sees the splits behind it. */
	return __atomic_load_n(maps_word(pa), __ATOMIC_ACQUIRE);
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
	assert(megapage_maps(pa) == 0);
	__atomic_store_n(maps_word(pa), 1, __ATOMIC_RELAXED);
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
	(void)frame_put_pa(pa, MEGAPAGE_ORDER);
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
 * reference then, so a true answer stays true. The load of the maps is an
 * acquire: another address space's split takes its frame references
 * before its release drop of its whole map, so a reader that sees that
 * drop sees those references too (RISC-V's memory model would otherwise
 * let it read the frames' old counts of 1).
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

bool megapage_reserve(struct mm *mm, uintptr_t va, uint64_t leaf)
{
	pte_t *link;

	assert(spin_holding(&mm->lock) && va % MEGAPAGE_SIZE == 0);
	if (!megapage_enabled)
		return false;
	link = pt_walk_link(mm->root, va, true);
	if (link == NULL || *link != 0)
		return false; /* no level-1 table to be had, or a table there already */
	/* No frame yet: no hart can reach anything through it, so no order is needed. */
	pte_store(link, leaf | PTE_LAZY);
	megapage_count(&megapage_stats.reserves);
	return true;
}

bool megapage_fork(pte_t *link, pte_t *child, uint64_t cow_a)
{
	pte_t e = *link;
	bool changed = false;

	if (pte_is_lazy(e)) {
		pte_store(child, e); /* each fills its own at its first touch */
		return false;
	}
	assert(pte_is_leaf(e));
	if (!(e & VM_PTE_SHARED) && (e & PTE_W)) {
		/* As for a 4 KiB leaf (mm.c mm_copy_page): fork's shootdown follows. */
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
 * COW leaves start with A clear where the harts set A themselves, as fork
 * leaves them: a copy of a leaf whose A is clear skips its shootdown
 * (cow.c), and clear is true once the flush below is over, which drops
 * every megapage entry (a hart that walks a new leaf before then sets its
 * A). Until then a hart may still read the frames through the megapage, so
 * the new table stays locked from before its link is published until that
 * flush is over: no fault can copy a frame of it, trusting a clear A,
 * while a stale megapage entry can still reach the old frame. (Copying the
 * megapage's own A would be as safe, but one read of the megapage since
 * fork would then make all 512 copies shoot down.)
 */
static int split(struct mm *mm, pte_t *link, pte_t e)
{
	paddr_t table = pt_page_alloc(), pa = pte_pa(e);
	pte_t bits = (e & (PTE_R | PTE_W | PTE_X | PTE_U | PTE_D | PTE_RSW_MASK)) | PTE_V;
	pte_t *t;

	/* A COW leaf as fork makes one (mm.c mm_cow_accessed); any other keeps A. */
	bits |= (e & PTE_COW) && mmu_sets_accessed() ? 0 : PTE_A;

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

/* fill's fallback: 512 zeroed frames in a new table, or -ENOMEM with nothing kept. */
static int fill_small(pte_t *link, pte_t leaf)
{
	paddr_t table = pt_page_alloc();
	pte_t *t;

	if (table == 0)
		return -ENOMEM;
	t = phys_to_virt(table);
	for (unsigned i = 0; i < MEGAPAGE_FRAMES; i++) {
		paddr_t pa = frame_alloc_zeroed(0);

		if (pa == 0) {
			while (i-- > 0)
				(void)frame_put_pa(pte_pa(t[i]), 0);
			pt_page_free(table); /* never linked: no hart saw it */
			return -ENOMEM;
		}
		t[i] = pa_to_pte(pa) | leaf | PTE_V | PTE_A | ((leaf & PTE_W) ? PTE_D : 0);
	}
	/* Release: the filled table (and its zeroed frames) before the link. */
	__atomic_store_n(link, pa_to_pte(table) | PTE_V, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The lazy slot e at link, at its first touch: a fresh zeroed megapage, or
 * when no order-9 block is free, a table of 512 fresh zeroed 4 KiB pages
 * (the fallback, counted). Its memory was reserved but never mapped, so no
 * hart holds a translation of it and nothing needs a shootdown; this hart
 * may cache the invalid entry it faulted on, so it flushes its own ASID.
 */
static int fill(struct mm *mm, pte_t *link, pte_t e)
{
	pte_t leaf = e & (PTE_R | PTE_W | PTE_X | PTE_U);
	paddr_t pa = block_alloc();

	if (pa != 0) {
		/* Release: the zeroed block before the leaf any hart may walk to it. */
		__atomic_store_n(
		    link, pa_to_pte(pa) | leaf | PTE_V | PTE_A | ((leaf & PTE_W) ? PTE_D : 0),
		    __ATOMIC_RELEASE);
		megapage_count(&megapage_stats.maps);
		megapage_count(&megapage_stats.fills);
	} else {
		int err = fill_small(link, leaf);

		if (err != 0)
			return err;
		megapage_count(&megapage_stats.fills);
		megapage_count(&megapage_stats.fallbacks);
	}
	tlb_flush_local_all(mm);
	return 0;
}

static bool leaf_allows(pte_t e, enum cow_access access)
{
	if (!(e & PTE_U))
		return false;
	return access == COW_ACCESS_READ    ? (e & PTE_R) != 0
	       : access == COW_ACCESS_WRITE ? (e & PTE_W) != 0
					    : (e & PTE_X) != 0;
}

int megapage_fault(struct mm *mm, uintptr_t va, enum cow_access access)
{
	pte_t *link, e;
	int err = 0;

	mm_lock(mm);
	link = pt_walk_link(mm->root, va, false);
	e = link != NULL ? __atomic_load_n(link, __ATOMIC_ACQUIRE) : 0;
	if (pte_is_lazy(e)) {
		/* The first touch: an access the mapping allows fills it, then runs again. */
		err = leaf_allows(e, access) ? fill(mm, link, e) : -EFAULT;
	} else if (!pte_is_leaf(e)) {
		/* Split or unmapped meanwhile: the caller starts over. */
	} else if (leaf_allows(e, access)) {
		/* A hart that does not set A, or a stale entry of this hart, sent us. */
		if (!(e & PTE_A))
			__atomic_fetch_or(link, PTE_A, __ATOMIC_RELAXED);
		tlb_flush_local_all(mm);
	} else if (access != COW_ACCESS_WRITE || !(e & PTE_COW)) {
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

/*
 * Make the slot at link 4 KiB leaves in a table: a lazy slot is filled
 * first (a partial change of a reservation needs its pages: rare), a
 * megapage split.
 */
static int break_up(struct mm *mm, pte_t *link)
{
	if (pte_is_lazy(*link)) {
		int err = fill(mm, link, *link);

		if (err != 0)
			return err;
	}
	return pte_is_leaf(*link) ? split(mm, link, *link) : 0;
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
		if (link == NULL || (!pte_is_leaf(*link) && !pte_is_lazy(*link)) ||
		    (va <= slot && va + size >= slot + MEGAPAGE_SIZE))
			continue;
		err = break_up(mm, link);
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

		if (link != NULL && pte_is_lazy(*link)) {
			pte_store(link, 0); /* a reservation: no frame, no translation */
			continue;
		}
		if (link == NULL || !pte_is_leaf(*link))
			continue;
		e = *link;
		__atomic_store_n(link, 0, __ATOMIC_RELEASE);
		/* Its frames may be reused once no hart can reach them: flush first. */
		tlb_shootdown(mm, slot, MEGAPAGE_SIZE);
		megapage_put(pte_pa(e));
	}
}

size_t megapage_protect_lazy(struct mm *mm, uintptr_t va, size_t size, uint64_t want, bool apply)
{
	uintptr_t lo = (va + MEGAPAGE_SIZE - 1) & ~(uintptr_t)(MEGAPAGE_SIZE - 1);
	uintptr_t hi = (va + size) & ~(uintptr_t)(MEGAPAGE_SIZE - 1);
	size_t pages = 0;

	assert(spin_holding(&mm->lock));
	for (uintptr_t slot = lo; slot < hi && slot < USER_END; slot += MEGAPAGE_SIZE) {
		pte_t *link = pt_walk_link(mm->root, slot, false);

		if (link == NULL || !pte_is_lazy(*link))
			continue;
		pages += MEGAPAGE_SIZE / PAGE_SIZE;
		/* No frame is shared yet: W is granted as it is, with R. */
		if (apply)
			pte_store(link, (*link & ~(pte_t)(PTE_R | PTE_W | PTE_X)) | want |
					    ((want & PTE_W) ? PTE_R : 0));
	}
	return pages;
}

void *megapage_user_address(pte_t e, uintptr_t va, bool write)
{
	if (!pte_is_leaf(e) || !(e & PTE_U) || !(e & PTE_R) || (write && !(e & PTE_W)))
		return NULL;
	return (uint8_t *)phys_to_virt(pte_pa(e)) + (va & (MEGAPAGE_SIZE - 1));
}
