/*
 * vm_usage.c: resident and shared page counts of an address space (ps).
 *
 * Owns nothing: one read-only walk of the user half under mm_lock, which
 * keeps every leaf and its frame in place while it is counted (no busy
 * PTE exists under the lock; vm.h). A frame's reference count is read
 * without its owners' locks: another process's fault or exit may change
 * it during the walk, so "shared" is a snapshot, exact for the pages this
 * mm maps at the moment each is looked at, never a promise.
 *
 * Kept apart from vm.c and cow.c on purpose: when fork comes to share
 * level-0 tables between processes, what "shared" means (a shared table
 * shares every page under it) changes here alone.
 */
#include "src/mm/vm_usage.h"

#include "src/mm/frame.h"
#include "src/mm/pagetable.h"
#include "src/mm/vm.h"

struct usage {
	uint64_t resident;
	uint64_t shared;
};

/* One leaf of 2^(9 * level) pages; its head frame's count stands for all. */
static void usage_add(struct usage *u, pte_t e, unsigned level)
{
	uint64_t pages = sv39_level_size(level) / PAGE_SIZE;

	u->resident += pages;
	if (frame_refcount(pa_to_frame(pte_pa(e))) > 1)
		u->shared += pages;
}

static int usage_table(uintptr_t va, pte_t *pte, unsigned n, void *ctx)
{
	for (unsigned i = 0; i < n; i++)
		if (pte_is_leaf(pte[i]))
			usage_add(ctx, pte[i], 0);
	return 0;
}

static int usage_leaf(uintptr_t va, pte_t *pte, unsigned level, void *ctx)
{
	if (pte_is_leaf(*pte))
		usage_add(ctx, *pte, level);
	return 0;
}

void mm_usage(struct mm *mm, uint64_t *resident, uint64_t *shared)
{
	struct usage u = {0, 0};

	mm_lock(mm);
	/*
	 * A table at a time (the cheap walk); a huge leaf, which kine's user
	 * half does not have yet, sends the count to the walk by leaf.
	 */
	if (pt_for_each_leaf_table(mm->root, 0, USER_END, usage_table, &u) == PT_ERR_HUGE) {
		u = (struct usage){0, 0};
		pt_for_each_leaf(mm->root, 0, USER_END, usage_leaf, &u);
	}
	mm_unlock(mm);
	*resident = u.resident;
	*shared = u.shared;
}
