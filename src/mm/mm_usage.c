/*
 * mm_usage.c: resident and shared page counts of an address space (ps).
 *
 * Owns nothing: one read-only walk of the user half under mm_lock, which
 * keeps every leaf and its frame in place while it is counted (no busy
 * PTE exists under the lock; mm.h). Fork shares level-0 tables
 * (ptshare.h): every page of a table other address spaces link too is
 * shared, whatever its frame's count (a shared table holds one reference
 * per frame); a dormant link's table is counted like a valid one. In a
 * table of this mm alone, a page is shared when its frame's count is
 * above 1. Counts are read without the other owners' locks: another
 * process's fault or exit may change them during the walk, so "shared" is
 * a snapshot, exact for each page at the moment it is looked at, never a
 * promise.
 */
#include "src/mm/mm_usage.h"

#include "src/mm/frame.h"
#include "src/mm/megapage.h"
#include "src/mm/mm.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptshare.h"

struct usage {
	uint64_t resident;
	uint64_t shared;
};

/* One level-0 table: shared whole if other address spaces link it too. */
static void usage_table(struct usage *u, paddr_t table)
{
	const pte_t *t = phys_to_virt(table);
	bool all_shared = ptshare_links(table) > 1;

	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		if (!pte_is_leaf(t[i]))
			continue;
		u->resident++;
		if (all_shared || frame_refcount(pa_to_frame(pte_pa(t[i]))) > 1)
			u->shared++;
	}
}

/* A megapage: 512 resident pages, shared while another leaf maps its block whole. */
static void usage_megapage(struct usage *u, paddr_t pa)
{
	u->resident += MEGAPAGE_SIZE / PAGE_SIZE;
	if (megapage_maps(pa) > 1)
		u->shared += MEGAPAGE_SIZE / PAGE_SIZE;
}

/* A level-1 table's run of links and megapage leaves. */
static int usage_links(uintptr_t va, pte_t *links, unsigned n, void *ctx)
{
	(void)va;
	for (unsigned i = 0; i < n; i++)
		if (pte_is_table(links[i]) || pte_is_dormant(links[i]))
			usage_table(ctx, pte_pa(links[i]));
		else if (pte_is_leaf(links[i]))
			usage_megapage(ctx, pte_pa(links[i]));
	return 0;
}

void mm_usage(struct mm *mm, uint64_t *resident, uint64_t *shared)
{
	struct usage u = {0, 0};

	mm_lock(mm);
	(void)pt_for_each_link_table(mm->root, 0, USER_END, usage_links, &u);
	mm_unlock(mm);
	*resident = u.resident;
	*shared = u.shared;
}
