/*
 * pt_frames.c: page-table pages come from the frame allocator, and go back
 * to it after their whole flush (pt_retired.h).
 *
 * pagetable.c asks for table pages through pt_page_alloc()/pt_page_free()
 * so that the host tests can give it an arena instead; in the kernel they
 * are zeroed order-0 frames. A retired page is an allocated frame with one
 * reference, linked into its batch through its struct frame; it is freed
 * only by pt_retired_free, after the caller's flush.
 */
#include "src/mm/pt_retired.h"

#include "src/kernel/kernel.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptshare.h"
#include "src/mm/tlb_shadow.h"

struct pt_stats pt_stats;

paddr_t pt_page_alloc(void)
{
	paddr_t table = frame_alloc_zeroed(0);

	if (table != 0)
		ptshare_init_table(table); /* one link: the tree it goes into */
	return table;
}

void pt_page_free(paddr_t pa)
{
	frame_free(pa, 0);
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

		/* Every unlink and every fault let its lock go (ptlock.h). */
		assert(!(__atomic_load_n(&f->pt_share, __ATOMIC_RELAXED) & PT_SHARE_LOCK));
		if (r->mm != NULL)
			tlb_shadow_table_free(r->mm,
					      table); /* panics if a hart may still walk it */
		pt_page_free(table);
		__atomic_fetch_add(&pt_stats.freed, 1, __ATOMIC_RELAXED);
	}
}
