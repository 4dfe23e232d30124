/*
 * mm.c: creating, filling, copying (fork) and destroying user address
 * spaces.
 *
 * Owns the user half of each mm's table: its layout under mm->lock, and
 * each level-0 table it changes under that table's lock as well, which
 * the faults take instead of mm->lock (mm.h, ptlock.h). User mappings are
 * 4 KiB leaves and, for private anonymous memory, 2 MiB megapages
 * (megapage.h), whose leaves change under mm->lock alone and which every
 * change of 4 KiB leaves splits first where it covers one in part. Every
 * level-0 table holds one reference
 * on each frame it maps (docs/cow.md); fork shares the tables themselves
 * between parent and child (ptshare.h), so every change of leaves here
 * owns the tables of its range first (ptshare_own).
 *
 * Fork with sharing off (ptshare=off, or the eager baseline) touches every
 * resident page, so it works a level-0 table (512 pages) at a time: one
 * walk per table, the PTEs and reference counts handled in a loop without
 * a call per page. Per-page checks run in the debug image (MM_CHECK,
 * KINE_MM_CHECK), together with the A/D checker over both tables after
 * every fork.
 */
#include "src/mm/mm.h"

#include "src/arch/riscv/kmap.h"
#include "src/arch/riscv/mmu.h"
#include "src/arch/riscv/pagecopy.h"
#include "src/base/assert.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/mm/frame.h"
#include "src/mm/megapage.h"
#include "src/mm/pagetable.h"
#include "src/mm/pt_frames.h"
#include "src/mm/ptlock.h"
#include "src/mm/ptshare.h"
#include "src/mm/slab.h"
#include "src/mm/tlb.h"
#include "src/mm/tlb_shadow.h"
#include "user/include/kine/errno.h"

#define ROOT_ENTRIES      512
#define KERNEL_HALF_FIRST 256 /* root entries 256..511 map the upper half */

static uint64_t mm_next_id; /* atomic */

/* An invariant of a per-page loop: checked in the debug image only. */
#ifdef KINE_MM_CHECK
#define MM_CHECK(cond) assert(cond)
#else
#define MM_CHECK(cond) ((void)0)
#endif

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));
	pte_t *root, *kroot;

	if (mm == NULL)
		return NULL;
	mm->root = pt_create();
	if (mm->root == 0) {
		kfree(mm);
		return NULL;
	}
	spin_init(&mm->lock, "mm");
	mm->id = __atomic_add_fetch(&mm_next_id, 1, __ATOMIC_RELAXED);
	root = phys_to_virt(mm->root);
	kroot = phys_to_virt(kernel_root);
	for (int i = KERNEL_HALF_FIRST; i < ROOT_ENTRIES; i++)
		root[i] = kroot[i];
	ptshare_audit_add(mm);
	return mm;
}

void mm_destroy(struct mm *mm)
{
	pte_t *root = phys_to_virt(mm->root);

	/*
	 * The kernel half belongs to the kernel: unhook it first, so that
	 * the teardown frees only the user half's tables and frames. No hart
	 * runs this address space any more (the debug shadow checks), and no
	 * hart can use its stale TLB entries again, cached links to its table
	 * pages included (without ASIDs every switch flushes; its ASID is
	 * handed out again only after a rollover's full flush, asid.c): its
	 * frames and tables may go without a shootdown.
	 */
	ptshare_audit_remove_begin(mm);
	mm_lock(mm);
	tlb_shadow_mm_destroy(mm); /* no thread is left to fault (nor to walk) */
	for (int i = KERNEL_HALF_FIRST; i < ROOT_ENTRIES; i++)
		root[i] = 0;
	/* Each level-0 table: the last link drops its frames and frees it. */
	pt_destroy_leaf_tables(mm->root, ptshare_put_links, mm);
	mm_unlock(mm);
	ptshare_audit_remove_end();
	kfree(mm);
}

__attribute__((noinline)) void mm_lock(struct mm *mm)
{
	spin_lock_from(&mm->lock,
		       (uintptr_t)__builtin_return_address(0)); /* lockstat: our caller */
	ptshare_audit_touch(); /* the debug audit's clock: this may change counts */
}

void mm_unlock(struct mm *mm)
{
	ptshare_audit_touch(); /* the debug audit's clock: the change is over */
	spin_unlock(&mm->lock);
}

static uint64_t mm_perm_to_pte(unsigned perm)
{
	uint64_t pte = PTE_U;

	if (perm & VM_READ)
		pte |= PTE_R;
	if (perm & VM_WRITE)
		pte |= PTE_W | PTE_R;
	if (perm & VM_EXEC)
		pte |= PTE_X;
	return pte;
}

/*
 * Frames and table pages unmapped but not yet let go. A frame may go back
 * to the allocator only after every hart that could still hold a
 * translation to it has flushed: otherwise a hart could write through a
 * stale entry into a frame that already belongs to someone else. A table
 * page waits for more: a flush of the whole ASID, as only that drops the
 * non-leaf links a walker may cache (pagetable.h, "Table pages").
 */
#define UNMAP_BATCH 128

struct unmap_batch {
	struct mm *mm;
	int n;
	paddr_t pa[UNMAP_BATCH];
	struct pt_retired tables;
};

static void unmap_collect(paddr_t pa, void *ctx)
{
	struct unmap_batch *b = ctx;

	assert(b->n < UNMAP_BATCH);
	b->pa[b->n++] = pa;
}

static void unmap_retire(paddr_t table, void *ctx)
{
	struct unmap_batch *b = ctx;

	pt_retire(table, &b->tables);
}

/*
 * The flush the batch owes, then its frames and tables go. Table pages
 * make it a whole-ASID shootdown, this hart included; the harts it skips
 * (not running mm now) flush mm's ASID before they next load it, and
 * cannot walk mm's tree until then (tlb.c). A fault's lockless walk may
 * still be reading the pages (ptlock.h): the pages go once every walk
 * section of mm open at the unlink has ended.
 */
static void unmap_batch_release(struct unmap_batch *b, uintptr_t va, size_t size)
{
	if (!pt_retired_empty(&b->tables)) {
		tlb_shootdown_tables(b->mm);
		ptlock_walk_wait(b->mm);
	} else if (b->n != 0)
		tlb_shootdown(b->mm, va, size);
	for (int i = 0; i < b->n; i++)
		frame_put_pa(b->pa[i], 0);
	b->n = 0;
	pt_retired_free(&b->tables);
}

/*
 * Under mm->lock: lock the level-0 table that covers va for a change of
 * its leaves or its link, once none of its PTEs is busy (ptlock.h).
 * Returns the table, or 0 if there is none (nothing there to change).
 * Owned first (ptshare_own): no link of the range is dormant.
 */
static paddr_t mm_lock_table(struct mm *mm, uintptr_t va)
{
	pte_t *link = pt_walk_link(mm->root, va, false);
	paddr_t table;

	if (link == NULL || !pte_is_table(*link))
		return 0;
	table = pte_pa(*link);
	ptlock_lock_quiet(table);
	return table;
}

/* The bytes from va to the end of its level-0 table's 2 MiB, at most left. */
static size_t mm_table_chunk(uintptr_t va, size_t left)
{
	size_t in_table = SV39_SIZE_2M - (va & (SV39_SIZE_2M - 1));

	return left < in_table ? left : in_table;
}

/*
 * Unmap [va, va + size): let go of the shared tables the range covers
 * whole, own the rest (a shared table at an end is copied first: -ENOMEM,
 * with nothing more unmapped, if that finds no page),
 * clear the PTEs and unlink the tables they empty, each under its table's
 * lock, flush, then drop the frames and free the tables.
 */
static int mm_unmap_locked(struct mm *mm, uintptr_t va, size_t size)
{
	struct unmap_batch b = {.mm = mm};
	struct pt_release rel = {.frame = unmap_collect, .table = unmap_retire, .ctx = &b};
	size_t c;

	assert(spin_holding(&mm->lock));
	if (megapage_split_range_ends(mm, va, size) != 0)
		return -ENOMEM;
	megapage_unmap_whole(mm, va, size);
	ptshare_unmap_shared(mm, va, size); /* whole shared tables go uncopied */
	if (ptshare_own(mm, va, size) != 0)
		return -ENOMEM;
	pt_retired_init(&b.tables, mm);
	for (size_t done = 0; done < size; done += c) {
		paddr_t table;
		int err;

		c = mm_table_chunk(va + done, size - done);
		if (c > UNMAP_BATCH * PAGE_SIZE)
			c = UNMAP_BATCH * PAGE_SIZE;
		table = mm_lock_table(mm, va + done);
		err = pt_unmap(mm->root, va + done, c, &rel); /* may unlink the table: locked */
		if (table != 0)
			ptlock_unlock(table);
		assert(err == PT_OK);
		unmap_batch_release(&b, va + done, c);
	}
	return 0;
}

/* Megapages for a private mapping (megapage_set: never in the eager baseline). */
static bool mm_megapages(uint64_t extra)
{
	return extra == 0 && megapage_enabled;
}

/*
 * Map fresh pages into [va, va + size), under mm->lock but no table lock:
 * pt_map writes only entries that are 0 (and links that are 0), and a
 * fault never changes an entry that is 0 (a fault there is -EFAULT), so
 * the two touch different words of a table (a fault that fills a lazy
 * slot takes mm->lock: megapage.h). A new table is zeroed and counted
 * (pt_page_alloc) before its link is published. Each 2 MiB-aligned 2 MiB
 * of a private mapping gets a megapage (megapage.h): with lazy, a slot
 * reserved for its first touch; without, one mapped now where a block is
 * free.
 */
static int mm_map_anon_locked(struct mm *mm, uintptr_t va, size_t size, unsigned perm,
			      uint64_t extra, bool lazy)
{
	struct pt_retired tables;
	/* One page per pt_map: a failure changes nothing, and hands back no table. */
	struct pt_release undo = {.frame = NULL, .table = pt_retire, .ctx = &tables};
	int err = 0;
	size_t done;

	pt_retired_init(&tables, mm);
	if (va % PAGE_SIZE || size % PAGE_SIZE || size == 0 || va >= USER_END ||
	    size > USER_END - va || ((perm & VM_WRITE) && (perm & VM_EXEC)))
		return -EINVAL;
	if (ptshare_own(mm, va, size) != 0)
		return -ENOMEM;
	for (done = 0; done < size; done += PAGE_SIZE) {
		paddr_t pa;

		if (mm_megapages(extra) && (va + done) % MEGAPAGE_SIZE == 0 &&
		    size - done >= MEGAPAGE_SIZE &&
		    (lazy ? megapage_reserve(mm, va + done, mm_perm_to_pte(perm))
			  : megapage_map(mm, va + done, mm_perm_to_pte(perm)))) {
			done += MEGAPAGE_SIZE - PAGE_SIZE;
			continue;
		}
		pa = frame_alloc_zeroed(0);

		if (pa == 0) {
			err = -ENOMEM;
			break;
		}
		err = pt_map(mm->root, va + done, pa, PAGE_SIZE, mm_perm_to_pte(perm) | extra, 0,
			     &undo);
		if (err != PT_OK) {
			frame_put_pa(pa, 0);
			err = err == PT_ERR_NOMEM   ? -ENOMEM
			      : err == PT_ERR_EXIST ? -EEXIST
						    : -EINVAL;
			break;
		}
	}
	assert(pt_retired_empty(&tables));
	if (err != 0 && done > 0)
		(void)mm_unmap_locked(mm, va, done); /* owned above: cannot fail */
	return err;
}

int mm_map_anon(struct mm *mm, uintptr_t va, size_t size, unsigned perm)
{
	int err;

	mm_lock(mm);
	err = mm_map_anon_locked(mm, va, size, perm, 0, false); /* exec's image: mapped now */
	mm_unlock(mm);
	return err;
}

/* The heap may grow up to the mmap area; mmap regions up to the stack's guard page. */
#define HEAP_LIMIT USER_MMAP_BASE
#define MMAP_LIMIT (USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE)

long mm_sbrk(struct mm *mm, long delta)
{
	uintptr_t old, new, lo, hi;
	int err = 0;

	mm_lock(mm);
	old = mm->brk;
	new = old + (uintptr_t)delta;
	if ((delta > 0 && (new < old || new > HEAP_LIMIT)) ||
	    (delta < 0 && (new > old || new < mm->brk_base))) {
		mm_unlock(mm);
		return delta > 0 ? -ENOMEM : -EINVAL;
	}
	lo = PAGE_ALIGN_UP(delta > 0 ? old : new);
	hi = PAGE_ALIGN_UP(delta > 0 ? new : old);
	if (hi > lo && delta > 0)
		err = mm_map_anon_locked(mm, lo, hi - lo, VM_READ | VM_WRITE, 0, true);
	if (hi > lo && delta < 0)
		err = mm_unmap_locked(mm, lo, hi - lo);
	if (err == 0)
		mm->brk = new;
	mm_unlock(mm);
	return err < 0 ? err : (long)old;
}

struct mm_copy_ctx {
	struct mm *src, *dst;
	bool src_changed; /* a parent PTE lost its W bit: flush the parent's TLBs */
	uint64_t cow_a;   /* the A bit of a COW PTE fork makes: mm_cow_accessed() */
	uint64_t leaves;  /* leaves copied */
};

/*
 * The A bit fork gives the COW PTEs it makes. Where the harts set A
 * themselves, none: a hart caches a translation only once A is set in
 * memory, so a COW PTE that is still unaccessed after fork's shootdown is
 * in no TLB a hart may use (a lazily skipped hart flushes before it runs
 * the mm again), and its copy fault needs no shootdown at all (cow.c).
 * That spares the remote fence for every page only one thread touches.
 * Where a clear A faults instead (a U74), it stays set: every read after
 * a fork would otherwise take a fault.
 */
static uint64_t mm_cow_accessed(void)
{
	return mmu_sets_accessed() ? 0 : PTE_A;
}

/* A leaf for pa with the bits `flags` (from the parent's PTE), as pt_map makes it. */
static pte_t mm_leaf(paddr_t pa, uint64_t flags, uint64_t cow_a)
{
	return pa_to_pte(pa) | flags | PTE_V | ((flags & PTE_COW) ? cow_a : PTE_A) |
	       ((flags & PTE_W) ? PTE_D : 0);
}

/*
 * Copy-on-write fork (the default): every page is shared, one more
 * reference on its frame. A private writable page becomes read-only with
 * PTE_COW in both parent and child, so the first store of either takes a
 * fault (cow_pte_write); read-only pages (text) are shared as they are,
 * and so are MAP_SHARED pages, which stay writable. Built with
 * KINE_EAGER_FORK (the baseline image), private pages are copied instead.
 *
 * Returns the child's PTE for the parent's leaf *pte (which it may change),
 * or 0 when out of memory (the eager copy only).
 */
static pte_t mm_copy_page(pte_t *pte, struct mm_copy_ctx *c)
{
	uint64_t keep = PTE_R | PTE_W | PTE_X | PTE_U | PTE_COW | VM_PTE_SHARED;
	uint64_t flags = *pte & keep;
	paddr_t pa = pte_pa(*pte);

#ifdef KINE_EAGER_FORK
	if (!(flags & VM_PTE_SHARED) && (flags & PTE_W)) {
		paddr_t copy = frame_alloc(0);

		if (copy == 0)
			return 0;
		page_copy(phys_to_virt(copy), phys_to_virt(pa));
		return mm_leaf(copy, flags, PTE_A);
	}
#else
	if (!(flags & VM_PTE_SHARED) && (flags & PTE_W)) {
		/*
		 * Other harts' MMUs may walk the parent's table now: one whole
		 * store, which needs no order of its own, as fork's shootdown
		 * orders every such store before it reads the harts to flush.
		 * An MMU may set A in the PTE meanwhile, and this store may
		 * clear it again: still exact, as that shootdown drops whatever
		 * the hart cached, and its next use of the page sets A again.
		 */
		flags = (flags & ~PTE_W) | PTE_COW;
		pte_store(pte, (*pte & ~(PTE_W | PTE_A)) | PTE_COW | c->cow_a);
		if (!c->src_changed)
			tlb_shadow_write_taken(c->src);
		c->src_changed = true;
	}
#endif
	frame_get(pa_to_frame(pa));
	return mm_leaf(pa, flags, c->cow_a);
}

/*
 * Fork's copy of one level-0 table of the parent (n entries from src,
 * mapping from va): one walk finds (or adds) the child's table, whose
 * entries line up with the parent's. The child runs nowhere yet: its
 * entries need no flush, and no order among the stores (the child's first
 * switch to its table comes after fork has released src->lock).
 */
static int mm_copy_table(uintptr_t va, pte_t *src, unsigned n, void *arg)
{
	struct mm_copy_ctx *c = arg;
	pte_t *dst = pt_walk(c->dst->root, va, true);
	paddr_t table = ptlock_table_of(src);
	uint64_t copied = 0;
	int err = 0;
	bool counted;

	if (dst == NULL)
		return PT_ERR_NOMEM;
	counted = ptlock_lock_batch(table); /* the parent's faults change its leaves under it */
	for (unsigned i = 0; i < n; i++) {
		pte_t pte;

		if (!pte_is_leaf(src[i]))
			continue;
		pte = mm_copy_page(&src[i], c);
		if (pte == 0) {
			err = PT_ERR_NOMEM;
			break;
		}
		MM_CHECK(dst[i] == 0);
		pte_store(&dst[i], pte);
		copied++;
	}
	ptlock_unlock_batch(table, counted);
	c->leaves += copied;
	return err;
}

/*
 * Fork's copy of one level-1 table's links with sharing off: each level-0
 * table leaf by leaf (mm_copy_table), each megapage leaf or lazy slot as
 * one PTE (megapage_fork). No link is dormant: only sharing makes them.
 */
static int mm_copy_links(uintptr_t va, pte_t *links, unsigned n, void *arg)
{
	struct mm_copy_ctx *c = arg;

	for (unsigned i = 0; i < n; i++, va += SV39_SIZE_2M) {
		pte_t *child;
		int err;

		if (links[i] == 0)
			continue;
		if (pte_is_table(links[i])) {
			err = mm_copy_table(va, phys_to_virt(pte_pa(links[i])), SV39_ENTRIES, c);
			if (err != 0)
				return err;
			continue;
		}
		assert(pte_is_leaf(links[i]) || pte_is_lazy(links[i]));
		child = pt_walk_link(c->dst->root, va, true);
		if (child == NULL)
			return PT_ERR_NOMEM;
		if (megapage_fork(&links[i], child, c->cow_a)) {
			if (!c->src_changed)
				tlb_shadow_write_taken(c->src);
			c->src_changed = true;
		}
	}
	return 0;
}

#ifdef KINE_MM_CHECK
static void mm_check_report(uintptr_t va, pte_t pte, const char *why, void *ctx)
{
	kprintf("kine: %s: user va %#lx pte %#lx: %s\n", (const char *)ctx, va, pte, why);
}
#endif

void mm_check(struct mm *mm, const char *when)
{
#ifdef KINE_MM_CHECK
	int problems;

	assert(spin_holding(&mm->lock));
	ptlock_walk_layout_begin(mm); /* a fault's own by copy may put a table meanwhile */
	ptshare_check(mm, when);
	problems = pt_check_ad(mm->root, mm_check_report, (void *)when);
	ptlock_walk_layout_end();
	if (problems != 0)
		panic("%s: %d A/D problems in a user page table", when, problems);
#else
	(void)mm;
	(void)when;
#endif
}

/* Does fork share level-0 tables (ptshare.h)? Never in the eager baseline. */
static bool mm_fork_shares(void)
{
#ifdef KINE_EAGER_FORK
	return false;
#else
	return ptshare_enabled;
#endif
}

const char *mm_fork_mode(void)
{
#ifdef KINE_EAGER_FORK
	return "eager copy";
#else
	return ptshare_enabled ? "copy-on-write, shared tables" : "copy-on-write, per page";
#endif
}

/*
 * Fork's walk over src: share its level-0 tables (ptshare_fork), or, with
 * sharing off, copy their leaves one by one (mm_copy_table). Either way,
 * before fork returns no hart may still write through the parent's old
 * writable translations, or walk a link fork made dormant: the child's
 * snapshot is the memory now. (A page or link made COW or dormant stays so
 * if the copy failed: harmless, the next access reuses or wakes it.)
 */
static int mm_copy_locked(struct mm *src, struct mm_copy_ctx *c)
{
	bool dormant = false;
	int err;

	/*
	 * Until the shootdown below is over, a thread of src on another hart
	 * may still store through a writable entry from before fork, into a
	 * frame that is COW now: a COW copy of that frame (cow.c, which takes
	 * no mm->lock) waits for this to clear before it reads the frame, or
	 * the store would land in the child's frame alone. Faults see it set:
	 * it is stored before the first table lock, whose release orders it.
	 */
	assert(src->fork_pending == 0); /* one fork of src at a time: src->lock */
	__atomic_store_n(&src->fork_pending, 1, __ATOMIC_RELAXED);
	if (mm_fork_shares())
		err = ptshare_fork(src, c->dst, &dormant, mm_copy_table, c);
	else
		err = pt_for_each_link_table(src->root, 0, USER_END, mm_copy_links, c);
	__atomic_fetch_add(&ptshare_stats.leaves, c->leaves, __ATOMIC_RELAXED);
	if (dormant)
		tlb_shootdown_tables(src); /* a link changed: the whole ASID (pagetable.h) */
	else if (c->src_changed)
		tlb_shootdown(src, 0, (size_t)-1);
	/* Release: a copy that sees 0 reads the frame after every hart flushed. */
	__atomic_store_n(&src->fork_pending, 0, __ATOMIC_RELEASE);
	return err;
}

struct mm *mm_copy(struct mm *src)
{
	struct mm *dst = mm_create();
	struct mm_copy_ctx c = {.src = src, .dst = dst, .cow_a = mm_cow_accessed()};
	int err;

	if (dst == NULL)
		return NULL;
	mm_lock(src);
	err = mm_copy_locked(src, &c);
	dst->brk = src->brk;
	dst->brk_base = src->brk_base;
	dst->mmap_next = src->mmap_next;
	mm_check(src, "fork (parent)");
	mm_unlock(src);
	if (err != 0) {
		mm_destroy(dst);
		return NULL;
	}
	mm_lock(dst);
	mm_check(dst, "fork (child)");
	mm_unlock(dst);
	return dst;
}

void *mm_user_page(struct mm *mm, uintptr_t va, bool write)
{
	paddr_t pa;
	uint64_t perm;
	unsigned level;

	assert(spin_holding(&mm->lock));
	if (va >= USER_END)
		return NULL;
	/* A link fork left dormant is woken, as the MMU's fault would. */
	if (pt_lookup(mm->root, va, &pa, &perm, &level) != PT_OK &&
	    (!ptshare_wake(mm, va) || pt_lookup(mm->root, va, &pa, &perm, &level) != PT_OK))
		return NULL;
	if (!(perm & PTE_U) || !(perm & PTE_R) || (write && !(perm & PTE_W)))
		return NULL;
	return phys_to_virt(pa);
}

static bool mm_range_ok(uintptr_t va, size_t len)
{
	return va % PAGE_SIZE == 0 && len > 0 && va < USER_END && len <= USER_END - va;
}

long mm_mmap(struct mm *mm, size_t len, unsigned perm, bool shared)
{
	uintptr_t va;
	int err;

	if (len == 0 || len > MMAP_LIMIT || perm == 0)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	mm_lock(mm);
	if (mm->mmap_next == 0)
		mm->mmap_next = USER_MMAP_BASE;
	va = mm->mmap_next;
	if (len > MMAP_LIMIT - va) {
		mm_unlock(mm);
		return -ENOMEM;
	}
	err = mm_map_anon_locked(mm, va, len, perm, shared ? VM_PTE_SHARED : 0, true);
	if (err == 0)
		mm->mmap_next = va + len;
	mm_unlock(mm);
	return err < 0 ? err : (long)va;
}

int mm_munmap(struct mm *mm, uintptr_t va, size_t len)
{
	int err;

	len = PAGE_ALIGN_UP(len);
	if (!mm_range_ok(va, len))
		return -EINVAL;
	mm_lock(mm);
	err = mm_unmap_locked(mm, va, len);
	mm_unlock(mm);
	return err;
}

/* mprotect's walk: first count the pages (holes refuse the call), then change them. */
struct mprotect_ctx {
	uint64_t want; /* PTE_R, PTE_W, PTE_X asked for */
	size_t pages;  /* leaves seen */
	bool apply;    /* false: only count */
};

/*
 * The new PTE for a leaf under mprotect. Granting W to a private page
 * never makes the frame writable at once: it may still be shared with
 * another process after a fork (a COW page, or a read-only one such as
 * text, whose frame is shared without the COW bit), and a store must not
 * reach the other process. It gets PTE_COW instead: the first store takes
 * the COW fault, which reuses the frame when this process is its last
 * owner and copies it otherwise. A MAP_SHARED page is meant to be shared:
 * it becomes writable as it is. Taking W away also drops COW.
 */
static pte_t mprotect_pte(pte_t e, uint64_t want)
{
	/* A: a COW page may be unaccessed (mm_cow_accessed); only COW pages may be. */
	pte_t n = (e & ~(pte_t)(PTE_R | PTE_X)) | PTE_A;

	n |= want & (PTE_R | PTE_X);
	if (!(want & PTE_W))
		return n & ~(pte_t)(PTE_W | PTE_COW);
	if ((e & PTE_W) || (e & VM_PTE_SHARED))
		return n | PTE_R | PTE_W | PTE_D;
	return (n | PTE_R | PTE_COW) & ~(pte_t)PTE_W;
}

static int mprotect_leaf(uintptr_t va, pte_t *pte, unsigned level, void *arg)
{
	struct mprotect_ctx *c = arg;

	(void)va;
	assert(level <= 1); /* 4 KiB leaves and megapages (under mm->lock: megapage.h) */
	c->pages += level == 0 ? 1 : MEGAPAGE_SIZE / PAGE_SIZE;
	if (c->apply)
		__atomic_store_n(pte, mprotect_pte(*pte, c->want), __ATOMIC_RELEASE);
	return 0;
}

/*
 * mprotect's walk over [va, va + len), each level-0 table under its lock
 * (a busy PTE would look like a hole, and a fault may change a leaf).
 */
static int mprotect_walk(struct mm *mm, uintptr_t va, size_t len, struct mprotect_ctx *c)
{
	size_t n;

	for (size_t done = 0; done < len; done += n) {
		paddr_t table = mm_lock_table(mm, va + done);
		int err;

		n = mm_table_chunk(va + done, len - done);
		err = pt_for_each_leaf(mm->root, va + done, n, mprotect_leaf, c);
		if (table != 0)
			ptlock_unlock(table);
		if (err != 0)
			return err;
	}
	return 0;
}

int mm_mprotect(struct mm *mm, uintptr_t va, size_t len, unsigned perm)
{
	struct mprotect_ctx c = {.want = mm_perm_to_pte(perm) & (PTE_R | PTE_W | PTE_X)};
	int err;

	len = PAGE_ALIGN_UP(len);
	if (!mm_range_ok(va, len) || perm == 0 || ((perm & VM_WRITE) && (perm & VM_EXEC)))
		return -EINVAL;
	mm_lock(mm);
	if (megapage_split_range_ends(mm, va, len) != 0 || ptshare_own(mm, va, len) != 0) {
		mm_unlock(mm);
		return -ENOMEM;
	}
	err = mprotect_walk(mm, va, len, &c);
	c.pages += megapage_protect_lazy(mm, va, len, c.want, false);
	if (err == 0 && c.pages != len / PAGE_SIZE) {
		mm_unlock(mm);
		return -ENOMEM; /* a hole: nothing changed */
	}
	if (err == 0) {
		c.apply = true;
		(void)megapage_protect_lazy(mm, va, len, c.want, true);
		err = mprotect_walk(mm, va, len, &c);
		tlb_shootdown(mm, va, len);
		mm_check(mm, "mprotect");
	}
	mm_unlock(mm);
	return err == 0 ? 0 : -EINVAL;
}

long mm_stack_alloc(struct mm *mm, uintptr_t *base)
{
	uintptr_t va;
	int err;

	mm_lock(mm);
	if (mm->mmap_next == 0)
		mm->mmap_next = USER_MMAP_BASE;
	va = mm->mmap_next + PAGE_SIZE; /* the guard page below stays unmapped */
	if (va + USER_STACK_SIZE > MMAP_LIMIT) {
		mm_unlock(mm);
		return -ENOMEM;
	}
	err = mm_map_anon_locked(mm, va, USER_STACK_SIZE, VM_READ | VM_WRITE, 0, false);
	if (err == 0)
		mm->mmap_next = va + USER_STACK_SIZE;
	mm_unlock(mm);
	*base = va;
	return err < 0 ? err : (long)(va + USER_STACK_SIZE);
}

void mm_activate(struct mm *mm)
{
	tlb_activate(mm);
}
