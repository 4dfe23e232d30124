/*
 * pt_frames.c: page-table pages come from the frame allocator, and go back
 * to it after their whole flush (pt_frames.h).
 *
 * pagetable.c asks for table pages through pt_page_alloc()/pt_page_free()
 * so that the host tests can give it an arena instead; in the kernel they
 * are zeroed order-0 frames, handed out from per-hart runs (below). A retired page is an allocated frame with one
 * reference, linked into its batch through its struct frame; it is freed
 * only by pt_retired_free, after the caller's flush.
 */
#include "src/mm/pt_frames.h"

#include "src/base/assert.h"
#include "src/lib/mem.h"
#include "src/mm/memstat.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptshare.h"
#include "src/mm/tlb_shadow.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"

struct pt_stats pt_stats;

/*
 * Each hart hands out table pages from a run of PT_RUN pages (a block it
 * split, frame_split), so that the tables of one address space, made as
 * it grows, lie together, and so do their struct frames: fork and exit
 * touch one pt_share word per table, and scattered over the frame table
 * each is a TLB miss of its own (BENCHMARKS.md, "Fork with shared
 * tables"). When no block of that order is free, a single frame does.
 * What a run has left goes back at every settle, and whenever the
 * allocator finds no frame (frame_on_shortage): a reserve, never a hoard.
 */
#define PT_RUN_ORDER 5
#define PT_RUN       (1u << PT_RUN_ORDER)

static struct pt_run {
	struct spinlock lock; /* innermost: nothing is called with it held but frame_put_pa */
	paddr_t next;         /* the next page to hand out */
	unsigned left;        /* pages from next on */
} __attribute__((aligned(64))) runs[HART_LOCAL_MAX];

/* A page of this hart's run, or 0 if it has none left. */
static paddr_t run_pop(void)
{
	struct pt_run *r = &runs[hart_local_begin()];
	paddr_t page = 0;

	spin_lock(&r->lock);
	if (r->left > 0) {
		page = r->next;
		r->next += PAGE_SIZE;
		r->left--;
	}
	spin_unlock(&r->lock);
	hart_local_end();
	return page;
}

/*
 * A new run from block (PT_RUN pages, split): its first page for the
 * caller, the rest for this hart's run, or back to the allocator if the
 * run was refilled meanwhile (the thread may have moved harts).
 */
static paddr_t run_refill(paddr_t block)
{
	struct pt_run *r = &runs[hart_local_begin()];
	bool taken = false;

	spin_lock(&r->lock);
	if (r->left == 0) {
		r->next = block + PAGE_SIZE;
		r->left = PT_RUN - 1;
		taken = true;
	}
	spin_unlock(&r->lock);
	hart_local_end();
	for (unsigned i = 1; i < PT_RUN && !taken; i++)
		frame_put_pa(block + i * PAGE_SIZE, 0);
	return block;
}

paddr_t pt_page_alloc(void)
{
	paddr_t table = run_pop(), block;

	if (table == 0) {
		/* No lock held: a shortage here may empty the runs (pt_pool_release). */
		block = frame_alloc(PT_RUN_ORDER);
		if (block != 0) {
			frame_split(block, PT_RUN_ORDER);
			table = run_refill(block);
		} else {
			table = frame_alloc(0);
		}
	}
	if (table == 0)
		return 0;
	page_zero_words(phys_to_virt(table));
	ptshare_init_table(table); /* one link: the tree it goes into */
	return table;
}

/* Every run's unused pages go back to the allocator: at a settle, and in a shortage. */
static void pt_pool_release(void)
{
	for (int h = 0; h < HART_LOCAL_MAX; h++) {
		struct pt_run *r = &runs[h];

		spin_lock(&r->lock);
		while (r->left > 0) {
			frame_put_pa(r->next, 0);
			r->next += PAGE_SIZE;
			r->left--;
		}
		spin_unlock(&r->lock);
	}
}

void pt_pool_init(void)
{
	for (int h = 0; h < HART_LOCAL_MAX; h++)
		spin_init(&runs[h].lock, "pt_run");
	memstat_on_settle(pt_pool_release);
	frame_on_shortage(pt_pool_release);
}

void pt_page_free(paddr_t pa)
{
	frame_put_pa(pa, 0);
}

void pt_retired_init(struct pt_retired *r, struct mm *mm)
{
	r->mm = mm;
	frame_list_init(&r->tables);
}

void pt_retire(paddr_t table, void *arg)
{
	struct pt_retired *r = arg;
	struct frame *f = pa_to_frame(table);

	assert(f->state == FRAME_ALLOCATED && f->order == 0 && frame_refcount(f) == 1);
	frame_list_push(&r->tables, f);
	__atomic_fetch_add(&pt_stats.retired, 1, __ATOMIC_RELAXED);
	if (r->mm != NULL)
		tlb_shadow_table_unlinked(r->mm, table);
}

void pt_retired_free(struct pt_retired *r)
{
	struct frame *f;

	while ((f = frame_list_pop(&r->tables)) != NULL) {
		paddr_t table = frame_to_pa(f);

		if (r->mm != NULL)
			tlb_shadow_table_free(r->mm,
					      table); /* panics if a hart may still walk it */
		/* Every unlink and every fault let its lock go (ptlock.h). */
		assert(!(__atomic_load_n(&f->pt_share, __ATOMIC_RELAXED) & PT_SHARE_LOCK));
		pt_page_free(table);
		__atomic_fetch_add(&pt_stats.freed, 1, __ATOMIC_RELAXED);
	}
}
