/*
 * ptshare.c: level-0 tables shared by fork (ptshare.h; docs/cow.md,
 * "Shared tables").
 *
 * Owns the pt_share word of every user level-0 table page and the links
 * (level-1 entries) that fork shares, wakes and owns. The invariants are
 * ptshare.h's; the ones this file makes, in the order it makes them:
 *  - fork shares a table only where its 2 MiB meets the heap or the mmap
 *    range, or where it is shared already (share_span, fork_copies_table); any
 *    other table of the parent's own it copies leaf by leaf, as fork
 *    without sharing does;
 *  - fork stores the child's entry and makes a link of the parent dormant
 *    (with the whole flush that follows, owed by the caller) unless the
 *    table is protected or the link dormant already, then counts the
 *    child's link in the atomic step that unlocks the table, all under
 *    the table's lock once none of its PTEs is busy (the parent's faults
 *    change its leaves, wake and own it under that lock alone, ptlock.h),
 *    the link read again under the lock;
 *  - a fault's wake or own (ptshare_fault) acts only under the table's
 *    lock taken through its link, the link read again under it, and never
 *    while a fork of its address space is on its way (mm->fork_pending);
 *  - a waker protects a table under its lock before any link to it is
 *    made valid again, so no hart ever walks a shared table whose private
 *    leaves are writable;
 *  - own's copy takes a frame reference for every leaf before its link
 *    goes in, and puts the old table only after the whole flush of this
 *    address space (if its link was valid) and the end of every walk of
 *    it that may lead to the table (valid or dormant), waiting for both
 *    with no table lock held and outside any walk section, so a table and
 *    its frames go only once no walk cache of any sharer, and no lockless
 *    walk, can reach them;
 *  - every link it takes away (own's copy, unmap's drop, fork's dormant
 *    link) changes under the table's lock.
 */
#include "src/mm/ptshare.h"

#include "src/arch/riscv/mmu.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/lib/fmt.h"
#include "src/mm/frame.h"
#include "src/mm/megapage.h"
#include "src/mm/memstat.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptlock.h"
#include "src/mm/tlb.h"
#include "src/mm/tlb_shadow.h"
#include "user/include/kine/errno.h"

struct ptshare_stats ptshare_stats;
bool ptshare_enabled = true;

/* Set once a table has been shared: its last put counts as a shared table's free. */
#define PT_SHARE_WAS_SHARED (1u << 26)

static void ptshare_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint32_t *share_word(paddr_t table)
{
	return &pa_to_frame(table)->pt_share;
}

static uint32_t share_read(paddr_t table)
{
	return __atomic_load_n(share_word(table), __ATOMIC_ACQUIRE);
}

/*
 * The A bit protection gives the leaves it makes COW (as fork's per-page
 * copy does, mm.c mm_cow_accessed): clear where the harts set A
 * themselves, since no hart can hold a translation through a table whose
 * every link is dormant and flushed; set where a clear A would fault.
 */
static pte_t protect_accessed(void)
{
	return mmu_sets_accessed() ? 0 : PTE_A;
}

/*
 * Write-protect the private writable leaves of table, once per sharing,
 * under the table's lock (held by the caller), so that two sharers waking
 * it at once on two harts do it once, and neither makes its link valid
 * before the pass is over. No hart can walk the table meanwhile
 * (ptshare.h), so each leaf is one plain store. MAP_SHARED leaves stay
 * writable: they are meant to be shared. mm, cover: the caller's address
 * space and the debug shadow's snapshot (ptshare_fault).
 */
static void protect_locked(paddr_t table, struct mm *mm, uint64_t cover)
{
	uint32_t *word = share_word(table);
	pte_t *t = phys_to_virt(table);
	pte_t cow_a = protect_accessed();

	assert(ptlock_holding(table));
	/* A busy PTE would be skipped, then installed writable: wait it out, lock held. */
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) & PT_SHARE_BUSY)
		spin_wait_once();
	if (__atomic_load_n(word, __ATOMIC_RELAXED) & PT_SHARE_PROTECTED)
		return;
	tlb_shadow_protect_pass(mm, cover); /* debug: no hart of mm may still walk it */
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		pte_t e = t[i];

		if (pte_valid(e) && (e & PTE_W) && !(e & VM_PTE_SHARED))
			pte_store(&t[i], (e & ~(PTE_W | PTE_A)) | PTE_COW | cow_a);
	}
	__atomic_fetch_or(word, PT_SHARE_PROTECTED, __ATOMIC_RELAXED);
	ptshare_count(&ptshare_stats.protects, 1);
	/* The caller's unlock: its release puts these stores before any waker's valid link. */
}

/*
 * Fault injection for the debug image's check (ptshare=unprotected): wakers
 * skip the protection pass, the broken protocol whose first valid link to
 * a shared, writable table the check must catch.
 */
bool ptshare_skip_protect;

/*
 * Fault injection for the debug image's audit (ptshare=extraref): a table
 * copy takes one reference too many on its first frame, the leak the
 * audit must name at the next settle (nothing else would, before exit).
 */
bool ptshare_extra_ref;

bool ptshare_skip_fork_wait;
static uint32_t extra_refs_taken; /* the injection fires for the first copy that counts 0 */

#ifdef KINE_MM_CHECK
static int check_link(uintptr_t va, pte_t *link, void *ctx);
#define PTSHARE_CHECK_LINK(va, link, when) ((void)check_link((va), (link), (void *)(when)))
#else
#define PTSHARE_CHECK_LINK(va, link, when) ((void)0)
#endif

/* ---- Fork ---- */

struct fork_ctx {
	struct mm *src, *dst;
	bool flush;     /* a valid link of src became dormant */
	uint64_t links; /* links shared */
	ptshare_copy_fn copy;
	void *copy_ctx;
};

/*
 * Which tables fork shares: those whose 2 MiB meets the heap or the mmap
 * range (docs/cow.md, "What is shared"), the tables that grow with a
 * process, full of pages neither process may touch again. The others
 * (the stack, and text and data below an empty heap) are a handful of
 * tables that both processes write right after fork, the stack
 * at once: shared, each would cost both processes a wake, a whole local
 * flush and a table copy, more than the per-page copy of its few leaves.
 * The table where the heap begins is shared with the data below it once
 * the heap has a page: copied leaf by leaf it would cost a large heap's
 * fork up to 512 leaves. While the heap is empty it is copied: a process
 * that writes its data right after fork paid a wake and a whole flush for
 * it (134 against 120 us of guest time for an empty process's
 * fork+exit+wait, though 6,000 instructions fewer). A policy of cost
 * alone: sharing is right for any table.
 *
 * As a span of link indices of one level-1 table (links from va, n of
 * them), so that fork's loop tests a link with two compares: [*first,
 * *end) meet [lo, hi).
 */
static void share_span(uintptr_t va, size_t n, uintptr_t lo, uintptr_t hi, size_t *first,
		       size_t *end)
{
	uintptr_t top = va + (uintptr_t)n * SV39_SIZE_2M;

	if (lo >= hi || hi <= va || lo >= top) {
		*first = *end = 0;
		return;
	}
	*first = lo <= va ? 0 : (lo - va) / SV39_SIZE_2M;
	*end = hi >= top ? n : (hi - va + SV39_SIZE_2M - 1) / SV39_SIZE_2M;
}

/* Is link i in [first, end)? One compare: below first wraps around. */
static inline bool in_span(size_t i, size_t first, size_t end)
{
	return i - first < end - first;
}

/*
 * Fork copies the table behind the parent's link e leaf by leaf when fork
 * does not share its region and the table is the parent's own: a valid
 * link, one link, not protected. A table already shared (or dormant, or
 * protected) is shared again: copying it would need an own first, and it
 * costs fork nothing more. Stable under src->lock: only a fork of src
 * shares a table of src, and a fault owns only shared ones.
 */
static bool fork_copies_table(pte_t e)
{
	return pte_is_table(e) && ptshare_private(phys_to_virt(pte_pa(e)));
}

/*
 * Share the table behind the parent's link e (not 0) with the child, whose
 * entry is still 0; the table locked by this hart, f its struct frame,
 * word its pt_share as the lock found it, counted whether the lock was
 * taken the counted way (ptlock.h). A dormant link (an earlier fork's, not
 * woken since) stays so, and a protected table keeps its valid links:
 * nothing in it is writable by anyone. Any other link becomes dormant in both, so that the
 * first access of either faults and protects the table (ptshare_fault).
 * Inline in fork's loop: fork's cost is this, once per table.
 *
 * All under the table's lock, once no PTE of it is busy: the parent's
 * faults change its leaves under that lock while it is theirs alone, and
 * wake, own or copy it under that lock too, so the link is read again
 * under it (ptlock_try_link, ptlock_lock_link: a fault's own by copy may
 * have just moved it to a copy of the parent's own).
 */
static inline __attribute__((always_inline)) void fork_one(pte_t *link, pte_t *child, pte_t e,
							   struct frame *f, uint32_t word,
							   bool counted, bool *flush)
{
	/*
	 * word as the lock found it: only a holder changes PROTECTED and
	 * WAS_SHARED, and the links cannot fall to 0 (the parent's is counted).
	 */
	uint32_t count = 1 + (~word & PT_SHARE_WAS_SHARED); /* the bit, if not set yet */

	assert(word & PT_SHARE_LOCK); /* ours: the unlock subtracts it */
	assert((word & PT_SHARE_LINKS) - 1 < PT_SHARE_LINKS - 1); /* 1 .. max - 1 */
	if (!pte_valid(e) || (word & PT_SHARE_PROTECTED)) {
		pte_store(child, e);
	} else {
		e = pa_to_pte(pte_pa(e)) | PTE_DORMANT;
		pte_store(link, e);
		pte_store(child, e);
		*flush = true;
	}
	/*
	 * The child's link counted as the lock goes: one AMO for both where
	 * the lock was taken uncounted (the lock bit, set, is subtracted). The
	 * count cannot reach 0 meanwhile (the parent's link is counted and
	 * stays), so no sharer's put can free the table; and whoever takes the
	 * lock next sees the link and its count together.
	 */
	if (__builtin_expect(!counted, 1)) {
		__atomic_fetch_add(&f->pt_share, count - PT_SHARE_LOCK, __ATOMIC_RELEASE);
	} else {
		__atomic_fetch_add(&f->pt_share, count, __ATOMIC_RELAXED);
		ptlock_unlock(pte_pa(e));
	}
}

/*
 * fork_one's way through a contended (or, debug, recorded) lock, once
 * ptlock_try_link failed. Out of line, and so returns whether a link
 * became dormant: what the loop passes by address to it would live in
 * memory for the whole loop.
 */
static __attribute__((noinline)) bool fork_one_slow(pte_t *link, pte_t *child)
{
	struct ptlock_held h;
	bool flush = false;
	pte_t e = ptlock_lock_link_slow(link, &h);

	assert(e != 0); /* only a layout change takes a link away, and fork is one */
	fork_one(link, child, e, h.frame, h.word, h.counted, &flush);
	return flush;
}

/*
 * A megapage leaf of the parent: one PTE for the child, one whole map more
 * (megapage.h); a writable one becomes COW in the parent, under fork's
 * whole-ASID flush like a link made dormant (returns whether it did). A
 * lazy slot: its copy.
 */
static bool fork_megapage(pte_t *link, pte_t *child)
{
	return megapage_fork(link, child, mmu_sets_accessed() ? 0 : PTE_A);
}

/*
 * One level-1 table of the parent: one walk finds (or adds) the child's
 * level-1 table, whose entries line up with the parent's (the child's
 * are all 0: its user half is empty). One walk section for all its links
 * (ptlock_lock_link): a fork of a 1 GiB process shares 512 of them. A link
 * is 0 or not for as long as fork holds mm->lock (only a layout change
 * adds or clears one); a fault may only move it to another table meanwhile.
 */
static int fork_links(uintptr_t va, pte_t *links, unsigned n, void *arg)
{
	struct fork_ctx *c = arg;
	pte_t *child = pt_walk_link(c->dst->root, va, true);
	const struct frame_map map = frame_map_now();
	uint64_t shared = 0;
	bool flush = false;
	size_t heap0, heap1, mmap0, mmap1;
	int err = 0;

	if (child == NULL)
		return PT_ERR_NOMEM;
	share_span(va, n, c->src->brk_base, c->src->brk, &heap0, &heap1);
	share_span(va, n, USER_MMAP_BASE, c->src->mmap_next, &mmap0, &mmap1);
	ptlock_walk_layout_begin(c->src);
	for (size_t i = pt_next_used(links, 0, n); i < n; i = pt_next_used(links, i + 1, n)) {
		/* Acquire: ptlock_try_link's rule (a fault's own by copy may move it). */
		pte_t e = __atomic_load_n(&links[i], __ATOMIC_ACQUIRE);

		assert(child[i] == 0);
		if (__builtin_expect(!pte_is_link(e), 0)) {
			flush |= fork_megapage(&links[i], &child[i]);
		} else if (__builtin_expect(!in_span(i, heap0, heap1) &&
						!in_span(i, mmap0, mmap1) && fork_copies_table(e),
					    0)) {
			/*
			 * Inside the walk section, as fork_one: what waits for
			 * it (ptlock_walk_wait) holds no table lock, and allocating
			 * the child's table waits for nothing that does.
			 */
			err = c->copy(va + i * SV39_SIZE_2M, phys_to_virt(pte_pa(e)), SV39_ENTRIES,
				      c->copy_ctx);
			if (err != 0)
				break;
		} else {
			struct frame *f = frame_map_at(&map, pte_pa(e));
			uint32_t word;

			if (__builtin_expect(ptlock_try_link(&links[i], e, f, &word), 1))
				fork_one(&links[i], &child[i], e, f, word, false, &flush);
			else
				flush |= fork_one_slow(&links[i], &child[i]);
			shared++;
		}
	}
	ptlock_walk_layout_end();
	/* Writable entries of src live on until the flush the caller owes (debug shadow). */
	if (flush && !c->flush)
		tlb_shadow_write_taken(c->src);
	c->flush |= flush;
	c->links += shared;
	return err;
}

int ptshare_fork(struct mm *src, struct mm *dst, bool *flush, ptshare_copy_fn copy, void *copy_ctx)
{
	struct fork_ctx c = {
	    .src = src, .dst = dst, .flush = false, .links = 0, .copy = copy, .copy_ctx = copy_ctx};
	int err;

	assert(spin_holding(&src->lock));
	err = pt_for_each_link_table(src->root, 0, USER_END, fork_links, &c);
	assert(err == 0 || err == PT_ERR_NOMEM); /* user mappings have no 1 GiB leaves */
	ptshare_count(&ptshare_stats.links, c.links);
	*flush = c.flush;
	return err == 0 ? 0 : -ENOMEM;
}

/* ---- Waking and owning (the fault's slow path: the table's lock, no mm->lock) ---- */

/*
 * Make link, a dormant link whose table this hart locked through it,
 * valid. A hart may cache an invalid entry, and a flush by address drops
 * leaf entries only (privileged spec, SFENCE.VMA), so this hart flushes
 * mm's whole ASID; other harts of mm that cached the invalid link fault
 * once more and flush theirs (cow.c, cow_fault_leaf).
 */
static void link_validate(struct mm *mm, pte_t *link, paddr_t table)
{
	ptlock_link_store(link, pa_to_pte(table) | PTE_V);
	tlb_flush_local_all(mm);
	ptshare_count(&ptshare_stats.wakes, 1);
}

/*
 * Wake the link e (locked), for a read or a fetch: the first waker of a
 * shared table protects it. The last sharer need not: no other link can
 * appear but by its own fork, which takes the table's lock. Lets it go.
 */
static void wake_locked(struct mm *mm, uintptr_t va, pte_t *link, pte_t e, uint64_t cover)
{
	paddr_t table = pte_pa(e);

	if (pte_is_dormant(e)) {
		if ((share_read(table) & PT_SHARE_LINKS) > 1 && !ptshare_skip_protect)
			protect_locked(table, mm, cover);
		link_validate(mm, link, table);
		PTSHARE_CHECK_LINK(va, link, "wake");
	}
	ptlock_unlock(table);
}

/* A copy of table for one sharer: the same leaves, one more frame reference each. */
static paddr_t table_copy(paddr_t table)
{
	paddr_t copy = pt_page_alloc();
	const pte_t *from = phys_to_virt(table);
	pte_t *to;

	if (copy == 0)
		return 0;
	to = phys_to_virt(copy);
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		pte_t e = __atomic_load_n(&from[i], __ATOMIC_RELAXED); /* an MMU may set A */

		assert(e == 0 || pte_valid(e)); /* a shared table holds no busy PTE (mm.h) */
		if (!pte_valid(e))
			continue;
		assert(pte_is_leaf(e) && ((e & PTE_COW) || !(e & PTE_W) || (e & VM_PTE_SHARED)));
		frame_get(pa_to_frame(pte_pa(e)));
		/* Taken by one copy alone: two harts may copy tables at once. */
		if (__builtin_expect(ptshare_extra_ref, 0) &&
		    __atomic_fetch_add(&extra_refs_taken, 1, __ATOMIC_RELAXED) == 0)
			frame_get(pa_to_frame(pte_pa(e))); /* injected: the audit must catch it */
		to[i] = e;
	}
	return copy;
}

/*
 * Give mm a private copy of the shared table behind link (e, locked), and
 * let the lock go. A dormant link is protected first (the copy's leaves
 * must be COW: the frames stay in the shared table too). The copy is
 * linked under the old table's lock (an unlink, ptlock.h); then, without
 * it and outside any walk section (a walk spinning for that lock inside
 * its section would wait for us as we wait for it): the flush that drops
 * a valid old link from mm's walk caches, the wait for every walk of mm
 * that may be on its way to the old table, and only then the put that may
 * free it.
 */
static int own_by_copy(struct mm *mm, uintptr_t va, pte_t *link, pte_t e, uint64_t cover)
{
	paddr_t table = pte_pa(e), copy;
	bool was_valid = pte_valid(e);

	if (!was_valid)
		protect_locked(table, mm, cover);
	assert(share_read(table) & PT_SHARE_PROTECTED);
	copy = table_copy(table);
	if (copy == 0) {
		ptlock_unlock(table);
		return -ENOMEM;
	}
	ptlock_link_store(link, pa_to_pte(copy) | PTE_V);
	PTSHARE_CHECK_LINK(va, link, "table copy");
	ptlock_unlock(table);
	if (was_valid) {
		tlb_shadow_table_unlinked(mm, table);
		tlb_shootdown_tables(mm);
	} else {
		tlb_flush_local_all(mm); /* as link_validate: an invalid entry may be cached */
	}
	ptlock_walk_wait(mm); /* no walk of mm is on its way to the old table's lock */
	if (was_valid)
		tlb_shadow_table_free(mm, table); /* panics if a hart of mm may still walk it */
	ptshare_count(&ptshare_stats.copies, 1);
	ptshare_put(table, mm);
	return 0;
}

/*
 * Make the table behind link (e, locked) mm's alone, with a valid link,
 * and let the lock go. Its last sharer keeps it in place, writable again:
 * nobody else links it, and only a fork of mm could add a link, under the
 * lock we hold. Clearing PROTECTED comes first, so that the next fork
 * makes the links dormant again.
 */
static int own_locked(struct mm *mm, uintptr_t va, pte_t *link, pte_t e, uint64_t cover)
{
	paddr_t table = pte_pa(e);
	uint32_t word = share_read(table);

	if ((word & PT_SHARE_LINKS) > 1)
		return own_by_copy(mm, va, link, e, cover);
	if (!pte_valid(e) || (word & PT_SHARE_PROTECTED)) {
		__atomic_fetch_and(share_word(table), ~PT_SHARE_PROTECTED, __ATOMIC_RELAXED);
		if (!pte_valid(e))
			link_validate(mm, link, table);
		if (word & PT_SHARE_WAS_SHARED)
			ptshare_count(&ptshare_stats.takeovers, 1);
	}
	ptlock_unlock(table);
	return 0;
}

int ptshare_fault(struct mm *mm, uintptr_t va, bool write, uintptr_t pc)
{
	pte_t *link;
	/* Debug: the shadow's snapshot, read before fork_pending (tlb_shadow.h). */
	uint64_t cover = tlb_shadow_write_cover(mm);
	pte_t e = ptlock_find_link(mm, va, &link, pc);

	if (e == 0)
		return 0; /* unlinked meanwhile: the access runs again and finds out */
	/*
	 * A fork of mm on its way may have made this link dormant and not yet
	 * flushed: until its shootdown, a hart of mm may still walk the table
	 * through the link it cached. Wait it out, as the fault did on
	 * mm->lock before: the protection pass needs a table nobody walks.
	 * (A fork that has not reached this table yet will take its lock, and
	 * find it as we leave it.)
	 */
	if (__atomic_load_n(&mm->fork_pending, __ATOMIC_ACQUIRE) != 0 &&
	    !VM_INJECTED(ptshare_skip_fork_wait)) {
		ptlock_unlock(pte_pa(e));
		return PTSHARE_FORK_PENDING;
	}
	if (!write) {
		wake_locked(mm, va, link, e, cover);
		return 0;
	}
	return own_locked(mm, va, link, e, cover);
}

bool ptshare_wake(struct mm *mm, uintptr_t va)
{
	pte_t *link;
	pte_t e;

	assert(spin_holding(&mm->lock)); /* no fork of mm is on its way */
	e = va < USER_END ? ptlock_find_link(mm, va, &link, (uintptr_t)__builtin_return_address(0))
			  : 0;
	if (e == 0)
		return false;
	wake_locked(mm, va, link, e, tlb_shadow_write_cover(mm));
	return pte_is_dormant(e);
}

int ptshare_own(struct mm *mm, uintptr_t va, size_t size)
{
	uintptr_t end = va + size;

	assert(spin_holding(&mm->lock)); /* no fork of mm is on its way */
	if (size == 0 || va >= USER_END)
		return 0;
	if (end > USER_END || end < va)
		end = USER_END;
	for (uintptr_t slot = va & ~(SV39_SIZE_2M - 1); slot < end; slot += SV39_SIZE_2M) {
		pte_t *link;
		pte_t e = ptlock_find_link(mm, slot, &link, (uintptr_t)__builtin_return_address(0));
		int err = e != 0 ? own_locked(mm, slot, link, e, tlb_shadow_write_cover(mm)) : 0;

		if (err)
			return err;
	}
	return 0;
}

/* Shared tables unmap_shared let go of at once: a batch's worth, one flush. */
#define UNMAP_SHARED_BATCH 32

/* Bit 0 of a page-aligned table address in a batch: its link was valid. */
#define WAS_VALID 1ul

/*
 * Put the tables of a batch once no hart of mm can reach them: flushed
 * from its walk caches (flush: a valid link was among them) and no fault
 * of mm on its way to a table's lock (a fault's slow path locks a table
 * through a dormant link too).
 */
static void unmap_shared_release(struct mm *mm, paddr_t *gone, int n, bool flush)
{
	if (flush)
		tlb_shootdown_tables(mm);
	if (n > 0)
		ptlock_walk_wait(mm);
	for (int i = 0; i < n; i++) {
		paddr_t table = gone[i] & ~WAS_VALID;

		if (gone[i] & WAS_VALID)
			tlb_shadow_table_free(mm,
					      table); /* panics if a hart of mm may still walk it */
		else
			ptlock_walk_check_free(mm, table); /* debug: nor a lockless walk */
		ptshare_put(table, mm);
	}
}

/*
 * Let go of the table behind link, a shared table's (links > 1) unless a
 * fault moved link to a private copy meanwhile: the table's lock, taken
 * through the link and with the link read again under it, decides.
 * Returns the table and whether its link was valid (WAS_VALID), or 0 if
 * there is nothing to let go of (no link, or mm's alone: pt_unmap's).
 */
static paddr_t unmap_shared_one(struct mm *mm, pte_t *link)
{
	const struct frame_map map = frame_map_now();
	struct ptlock_held h;
	pte_t e;
	paddr_t table;

	ptlock_walk_layout_begin(mm);
	e = ptlock_lock_link(link, &map, &h);
	ptlock_walk_layout_end();
	table = pte_pa(e);
	if (e == 0)
		return 0;
	if ((share_read(table) & PT_SHARE_LINKS) == 1) {
		ptlock_unlock_batch(table, h.counted);
		return 0;
	}
	if (pte_valid(e))
		tlb_shadow_table_unlinked(mm, table);
	__atomic_store_n(link, 0, __ATOMIC_RELEASE);
	ptlock_unlock_batch(table, h.counted);
	ptshare_count(&ptshare_stats.drops, 1);
	return table | (pte_valid(e) ? WAS_VALID : 0);
}

void ptshare_unmap_shared(struct mm *mm, uintptr_t va, size_t size)
{
	uintptr_t lo = (va + SV39_SIZE_2M - 1) & ~(SV39_SIZE_2M - 1);
	uintptr_t hi = (va + size) & ~(SV39_SIZE_2M - 1);
	paddr_t gone[UNMAP_SHARED_BATCH];
	bool flush = false;
	int n = 0;

	assert(spin_holding(&mm->lock));
	for (uintptr_t slot = lo; slot < hi && slot < USER_END; slot += SV39_SIZE_2M) {
		pte_t *link = pt_walk_link(mm->root, slot, false); /* level-1 tables: mm->lock's */
		paddr_t table = link != NULL ? unmap_shared_one(mm, link) : 0;

		if (table == 0)
			continue;
		gone[n] = table;
		flush |= (table & WAS_VALID) != 0;
		if (++n == UNMAP_SHARED_BATCH) {
			unmap_shared_release(mm, gone, n, flush);
			n = 0;
			flush = false;
		}
	}
	unmap_shared_release(mm, gone, n, flush);
}

/* ---- Letting go ---- */

/*
 * The last link of table is gone: drop the frames it maps, then the page.
 * Out of line: most puts are not the last, and stay a few instructions.
 */
static __attribute__((noinline)) void table_free(paddr_t table, uint32_t word)
{
	const pte_t *t = phys_to_virt(table);

	assert(!(word & PT_SHARE_LOCK)); /* only a sharer protects, and none is left */
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		if (!pte_valid(t[i]))
			continue;
		assert(pte_is_leaf(t[i]));
		frame_put(pa_to_frame(pte_pa(t[i])));
	}
	if (word & PT_SHARE_WAS_SHARED)
		ptshare_count(&ptshare_stats.frees, 1);
	pt_page_free(table);
}

/* ptshare_put's body, inline in exit's loop over 512 links. */
static inline __attribute__((always_inline)) void put_table(struct frame *f, paddr_t table)
{
	/* Acquire: the last one sees every sharer's A bits and stores before it frees. */
	uint32_t old = __atomic_fetch_sub(&f->pt_share, 1, __ATOMIC_ACQ_REL);

	/* One compare for both: 1 is the last link, 0 a put too many. */
	if (__builtin_expect((old & PT_SHARE_LINKS) <= 1, 0)) {
		assert((old & PT_SHARE_LINKS) == 1);
		table_free(table, old);
	}
}

void ptshare_put(paddr_t table, void *mm)
{
	(void)mm;
	put_table(pa_to_frame(table), table);
}

void ptshare_put_links(const pte_t *links, void *mm)
{
	const struct frame_map map = frame_map_now();

	(void)mm;
	for (size_t i = pt_next_used(links, 0, SV39_ENTRIES); i < SV39_ENTRIES;
	     i = pt_next_used(links, i + 1, SV39_ENTRIES)) {
		pte_t e = links[i];

		if (__builtin_expect(pte_is_link(e), 1))
			put_table(frame_map_at(&map, pte_pa(e)), pte_pa(e));
		else if (pte_is_leaf(e))
			megapage_put(pte_pa(e));
		else
			assert(pte_is_lazy(e)); /* a reservation: nothing to let go of */
	}
}

/* ---- The debug image's check ---- */

#ifdef KINE_MM_CHECK
/* Does the table hold a private leaf a store could reach (W without MAP_SHARED)? */
static bool table_has_private_writable(paddr_t table)
{
	const pte_t *t = phys_to_virt(table);

	for (unsigned i = 0; i < SV39_ENTRIES; i++)
		if (pte_valid(t[i]) && (t[i] & PTE_W) && !(t[i] & VM_PTE_SHARED))
			return true;
	return false;
}

/* One link of the mm under check: ptshare.h's invariants that one link can show. */
static int check_link(uintptr_t va, pte_t *link, void *ctx)
{
	pte_t e = __atomic_load_n(link, __ATOMIC_ACQUIRE); /* a fault may move it meanwhile */
	paddr_t table = pte_pa(e);
	struct frame *f = pa_to_frame(table);
	uint32_t word = share_read(table);
	uint32_t links = word & PT_SHARE_LINKS;

	if (f->state != FRAME_ALLOCATED || f->order != 0 || frame_refcount(f) != 1 || links == 0)
		panic("ptshare: %s: the link for %#lx leads to table %#lx (state %u, refs %u, "
		      "links %u): not a live table page",
		      (const char *)ctx, va, table, f->state, frame_refcount(f), links);
	if (pte_valid(e) && links > 1 && !(word & PT_SHARE_PROTECTED))
		panic("ptshare: %s: a valid link for %#lx to table %#lx, which %u address spaces "
		      "share, is not protected",
		      (const char *)ctx, va, table, links);
	if ((word & PT_SHARE_PROTECTED) && table_has_private_writable(table))
		panic("ptshare: %s: table %#lx for %#lx is marked protected but a private leaf "
		      "is writable",
		      (const char *)ctx, table, va);
	return 0;
}

/* A megapage leaf: its block is a megapage's, mapped whole at least once. */
static void check_megapage(uintptr_t va, pte_t e, const char *when)
{
	paddr_t pa = pte_pa(e);
	const struct frame *f = pa_to_frame(pa);

	if (pa % MEGAPAGE_SIZE != 0 || !(f->flags & FRAME_F_MEGA) || megapage_maps(pa) == 0)
		panic(
		    "ptshare: %s: the megapage leaf for %#lx maps %#lx (flags %#x, whole maps %u): "
		    "not a megapage's block",
		    when, va, pa, f->flags, megapage_maps(pa));
	if ((e & PTE_W) && (e & PTE_COW))
		panic("ptshare: %s: the megapage leaf for %#lx is both writable and COW", when, va);
}

static int check_links(uintptr_t va, pte_t *links, unsigned n, void *ctx)
{
	for (unsigned i = 0; i < n; i++, va += SV39_SIZE_2M) {
		if (pte_is_leaf(links[i]))
			check_megapage(va, links[i], ctx);
		else if (links[i] != 0 && !pte_is_lazy(links[i]))
			(void)check_link(va, &links[i], ctx);
	}
	return 0;
}
#endif

/* ---- The debug image's global audit ---- */

struct ptshare_audit_stats ptshare_audit_stats;

#ifdef KINE_MM_CHECK
uint64_t ptshare_audit_gen, ptshare_audit_inflight;

/* Guards the list of live mms (through mm->audit_next); taken before an mm's lock. */
static struct spinlock audit_lock = SPINLOCK_INIT("mm_audit");
static struct mm *audit_mms;

/*
 * counts[i] for frame i: a table's links (AUDIT_TABLE set), or for a user
 * frame the tables whose leaves map it (AUDIT_LEAVES), AUDIT_WHOLE if a
 * megapage leaf maps its block, and on a block's first frame the number of
 * such leaves (AUDIT_MAPS).
 */
#define AUDIT_TABLE      0x80000000u
#define AUDIT_WHOLE      0x40000000u
#define AUDIT_MAPS_SHIFT 16
#define AUDIT_MAPS       (0x3fffu << AUDIT_MAPS_SHIFT)
#define AUDIT_LEAVES     0xffffu

struct audit {
	uint32_t *counts;
	uint64_t tables, frames;
	/*
	 * A page seen both as a table and as a user page: reported only if
	 * the walk was quiet (a table freed and its frame mapped again
	 * between two mms' walks, or during a fault's, is no mismatch).
	 */
	paddr_t clash;
	const char *clash_why;
};

static void audit_clash(struct audit *a, paddr_t pa, const char *why)
{
	if (a->clash_why == NULL) {
		a->clash = pa;
		a->clash_why = why;
	}
}

/* A level-0 table reached through one more link; its leaves counted at the first. */
static void audit_table(struct audit *a, paddr_t table)
{
	uint32_t *c = &a->counts[frame_index(pa_to_frame(table))];
	const pte_t *t = phys_to_virt(table);

	if (*c != 0) {
		if (!(*c & AUDIT_TABLE))
			audit_clash(a, table, "is a table and is also mapped as a user page");
		(*c)++;
		return;
	}
	*c = AUDIT_TABLE | 1;
	a->tables++;
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		pte_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED); /* faults change leaves */
		uint32_t *f;

		if (!pte_valid(e))
			continue;
		f = &a->counts[frame_index(pa_to_frame(pte_pa(e)))];
		if (*f & AUDIT_TABLE) {
			audit_clash(a, pte_pa(e), "is mapped as a user page and is a table");
			continue;
		}
		if ((*f)++ == 0)
			a->frames++;
	}
}

/* A megapage leaf: one more whole map of its block, which holds one reference per frame. */
static void audit_megapage(struct audit *a, paddr_t pa)
{
	uint32_t *c = &a->counts[frame_index(pa_to_frame(pa))];

	for (unsigned i = 0; i < MEGAPAGE_SIZE / PAGE_SIZE; i++) {
		if (c[i] & AUDIT_TABLE) {
			audit_clash(a, pa + i * PAGE_SIZE,
				    "is mapped by a megapage and is a table");
			return;
		}
		if (c[i] == 0)
			a->frames++;
		c[i] |= AUDIT_WHOLE;
	}
	c[0] += 1u << AUDIT_MAPS_SHIFT;
}

static int audit_links(uintptr_t va, pte_t *links, unsigned n, void *ctx)
{
	(void)va;
	for (unsigned i = 0; i < n; i++)
		if (pte_is_table(links[i]) || pte_is_dormant(links[i]))
			audit_table(ctx, pte_pa(links[i]));
		else if (pte_is_leaf(links[i]))
			audit_megapage(ctx, pte_pa(links[i]));
	return 0;
}

/*
 * A megapage block's first frame: its whole maps against the leaves seen.
 * A live block no leaf maps whole must count none (a lost put otherwise).
 */
static bool audit_block(uint64_t i, uint32_t c, char *why, size_t n)
{
	const struct frame *f = &frame_table[i];
	uint32_t seen = (c & AUDIT_WHOLE) ? (c & AUDIT_MAPS) >> AUDIT_MAPS_SHIFT : 0, have;

	/* (A frame's references count its whole maps as one "table" in the message below.) */

	if (i % (MEGAPAGE_SIZE / PAGE_SIZE) != 0 || !(f->flags & FRAME_F_MEGA) ||
	    f->state != FRAME_ALLOCATED || (c & AUDIT_TABLE))
		return true;
	have = megapage_maps(frame_to_pa(f));
	if (have == seen)
		return true;
	fmt_snprintf(why, n, "megapage block %#lx: %u whole maps, but %u megapage leaves map it",
		     frame_to_pa(f), have, seen);
	return false;
}

/*
 * Every frame the walk counted against its live count: a table's links, a
 * mapped frame's references. Records the first mismatch in *why (and its
 * frame in *at) rather than panicking: the live counts may have moved
 * since the walk, and only a clock unmoved past this read makes it real.
 */
static bool audit_compare(const struct audit *a, char *why, size_t n)
{
	if (a->clash_why != NULL) {
		fmt_snprintf(why, n, "frame %#lx %s", a->clash, a->clash_why);
		return false;
	}
	for (uint64_t i = 0; i < frame_table_len; i++) {
		uint32_t c = a->counts[i];
		uint32_t want = (c & AUDIT_TABLE)
				    ? c & ~AUDIT_TABLE
				    : (c & AUDIT_LEAVES) + ((c & AUDIT_WHOLE) ? 1 : 0);
		struct frame *f = &frame_table[i];
		uint32_t have =
		    (c & AUDIT_TABLE)
			? __atomic_load_n(&f->pt_share, __ATOMIC_RELAXED) & PT_SHARE_LINKS
			: frame_refcount(f);

		if (!audit_block(i, c, why, n))
			return false;
		if (c != 0 && have != want) {
			fmt_snprintf(why, n, "%s %#lx: %u %s, but %u %s",
				     (c & AUDIT_TABLE) ? "table" : "frame", frame_to_pa(f), have,
				     (c & AUDIT_TABLE) ? "links" : "references", want,
				     (c & AUDIT_TABLE) ? "address spaces link it"
						       : "tables map it");
			return false;
		}
	}
	return true;
}

/* What may change the counts: any mm_lock, user fault, frame allocation or free. */
static uint64_t audit_clock(void)
{
	struct memstat ms;

	memstat_read(&ms);
	return __atomic_load_n(&ptshare_audit_gen, __ATOMIC_ACQUIRE) + ms.events[MEMSTAT_ALLOC] +
	       ms.events[MEMSTAT_FREE];
}

/*
 * Walk every mm under audit_lock, each under its own lock (so that no table
 * of it is freed meanwhile). Faults change leaves without that lock, under
 * their tables' locks: each moves the clock, and a busy PTE's copy holds
 * an in-flight reference throughout, so the caller's checks of both tell
 * a quiet walk from one that raced a fault.
 */
static void audit_walk(struct audit *a)
{
	spin_lock(&audit_lock);
	for (struct mm *mm = audit_mms; mm != NULL; mm = mm->audit_next) {
		spin_lock(&mm->lock); /* bare: mm_lock would bump the clock */
		/*
		 * A fault's own by copy may put a table of mm meanwhile (no
		 * mm->lock): the walk section makes its put wait, so the walk
		 * never reads a table page freed and reused under it.
		 */
		ptlock_walk_layout_begin(mm);
		(void)pt_for_each_link_table(mm->root, 0, USER_END, audit_links, a);
		ptlock_walk_layout_end();
		spin_unlock(&mm->lock);
	}
	spin_unlock(&audit_lock);
}
#endif

void ptshare_audit_add(struct mm *mm)
{
#ifdef KINE_MM_CHECK
	spin_lock(&audit_lock);
	mm->audit_next = audit_mms;
	audit_mms = mm;
	spin_unlock(&audit_lock);
#else
	(void)mm;
#endif
}

void ptshare_audit_remove_begin(struct mm *mm)
{
#ifdef KINE_MM_CHECK
	spin_lock(&audit_lock);
	for (struct mm **p = &audit_mms; *p != NULL; p = &(*p)->audit_next) {
		if (*p == mm) {
			*p = mm->audit_next;
			break;
		}
	}
#else
	(void)mm;
#endif
}

void ptshare_audit_remove_end(void)
{
#ifdef KINE_MM_CHECK
	ptshare_audit_touch();
	spin_unlock(&audit_lock);
#endif
}

void ptshare_audit(void)
{
#ifdef KINE_MM_CHECK
	uint64_t bytes = frame_table_len * sizeof(uint32_t), before;
	unsigned order = 0;
	struct audit a = {0};
	paddr_t pa;

	while ((PAGE_SIZE << order) < bytes && order < BUDDY_MAX_ORDER)
		order++;
	if ((PAGE_SIZE << order) < bytes || (pa = frame_alloc_zeroed(order)) == 0) {
		__atomic_fetch_add(&ptshare_audit_stats.skipped, 1, __ATOMIC_RELAXED);
		return; /* no room to count in: nothing to say */
	}
	a.counts = phys_to_virt(pa);
	before = audit_clock();
	/*
	 * No temporary reference may be out now; a new one comes after a
	 * table lock that moves the clock (cow.c). So an unmoved clock at the
	 * end says the walk and the compare saw one state of every count.
	 */
	bool quiet = __atomic_load_n(&ptshare_audit_inflight, __ATOMIC_ACQUIRE) == 0, same = true;
	char why[160];

	if (quiet) {
		audit_walk(&a);
		same = audit_compare(&a, why, sizeof(why));
	}
	/* Checked after the compare: it reads live counts, which a change may move too. */
	if (quiet && audit_clock() == before) {
		if (!same)
			panic("ptshare audit: %s", why);
		__atomic_store_n(&ptshare_audit_stats.tables, a.tables, __ATOMIC_RELAXED);
		__atomic_store_n(&ptshare_audit_stats.frames, a.frames, __ATOMIC_RELAXED);
		__atomic_fetch_add(&ptshare_audit_stats.runs, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&ptshare_audit_stats.skipped, 1, __ATOMIC_RELAXED);
	}
	frame_put_pa(pa, order);
#endif
}

bool ptshare_check_enabled(void)
{
#ifdef KINE_MM_CHECK
	return true;
#else
	return false;
#endif
}

void ptshare_check(struct mm *mm, const char *when)
{
#ifdef KINE_MM_CHECK
	assert(spin_holding(&mm->lock));
	(void)pt_for_each_link_table(mm->root, 0, USER_END, check_links, (void *)when);
#else
	(void)mm;
	(void)when;
#endif
}
