/*
 * kstack.c: the kernel-stack window, cut into guarded slots.
 *
 * The window (KSTACK_WINDOW_BASE, 1 GiB) is an array of slots of
 * KSTACK_SLOT_PAGES pages. A slot's upper KSTACK_PAGES pages hold a stack;
 * its lower pages are never mapped: they are the guard of that stack (and,
 * being below it, also keep the stack of the slot underneath out of reach).
 *
 * A slot is in one of five states:
 *   free     unmapped, and no hart may cache a translation of it;
 *   busy     mapped, a thread's stack (kstack_alloc handed it out);
 *   warm     mapped, given back, kept on the warm list to be handed out as
 *            it is: reusing a mapping needs neither a map nor a flush;
 *   dirty    unmapped, on the dirty list, waiting for its batch to close;
 *   pending  unmapped in a closed batch (generation g): a hart may still
 *            cache its translation until that hart has flushed at or after
 *            g, so its frames (and any table page it emptied) are kept.
 *
 * Flushing is lazy, in the way RCU waits for quiescent states: nobody
 * interrupts another hart for it. Closing a batch bumps kstack_gen; every
 * hart, each time round its scheduler loop (kstack_quiesce), flushes its
 * own TLB if kstack_gen moved and records the generation it flushed at.
 * A pending stack is freed once every online hart has recorded its
 * generation or a later one. The ordering: PTE stores, then kstack_gen
 * (release); a hart reads kstack_gen (acquire), then flushes, so later
 * walks see the cleared PTEs; then it publishes kstack_flushed (release),
 * which the reclaimer reads (acquire) before it frees.
 *
 * A stack's own struct kstack lives at the top of its highest page,
 * reached through the direct map, so that it stays readable while the slot
 * is unmapped and nothing need be allocated for it. The thread's stack (and
 * its user frame) begins just below.
 *
 * Locking: kstack_lock guards slot_used[] and the three lists, and
 * serializes every change to the window's part of the kernel's table.
 * Frames are allocated and freed outside it. kstack_gen and
 * kstack_flushed[] are atomics.
 *
 * The window's level-1 table stays for good (every mm copies the root
 * entry above it); a level-0 table is retired (pt_frames.h) when its last
 * stack goes, and freed with that stack's batch: other harts' walkers may
 * cache the link to it until they flush everything, which each hart's
 * quiescent flush (sfence.vma x0, x0) does.
 */
#include "src/mm/kstack.h"

#include <stdbool.h>
#include <stddef.h>

#include "src/arch/riscv/kmap.h"
#include "src/arch/riscv/memlayout.h"
#include "src/arch/riscv/mmu.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/mm/frame.h"
#include "src/mm/memstat.h"
#include "src/mm/pagetable.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/ipi.h"
#include "src/sched/thread.h"
#include "src/sync/spinlock.h"

#define KSTACK_SLOT_SIZE_BYTES ((uintptr_t)KSTACK_SLOT_PAGES * PAGE_SIZE)
#define KSTACK_SLOTS           (KSTACK_WINDOW_SIZE / KSTACK_SLOT_SIZE_BYTES)
#define KSTACK_WARM_MAX        16 /* mapped stacks kept for reuse */
#define KSTACK_DIRTY_MAX       32 /* unmapped stacks that close a batch */

_Static_assert(KSTACK_GUARD_PAGES >= 1, "a stack needs a guard");
_Static_assert(KSTACK_SLOTS % 64 == 0, "slot_used is whole words");
_Static_assert((1ul << 21) % KSTACK_SLOT_SIZE_BYTES == 0, "a slot lies in one level-0 table");

struct kstack_stats kstack_stats;

static struct spinlock kstack_lock;
static uint64_t slot_used[KSTACK_SLOTS / 64]; /* guarded by kstack_lock: not free */
static struct kstack *warm;                   /* guarded by kstack_lock */
static int nwarm;                             /* guarded by kstack_lock */
static struct kstack *dirty;                  /* guarded by kstack_lock */
static int ndirty;                            /* guarded by kstack_lock */
static struct kstack *pending;                /* guarded by kstack_lock */

static uint64_t kstack_gen;                     /* atomic: batches closed so far */
static uint64_t kstack_flushed[HART_LOCAL_MAX]; /* atomic: gen hart h last flushed at */

static void kstack_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static uintptr_t slot_stack_base(uint32_t slot)
{
	return KSTACK_WINDOW_BASE + (uintptr_t)slot * KSTACK_SLOT_SIZE_BYTES +
	       (uintptr_t)KSTACK_GUARD_PAGES * PAGE_SIZE;
}

void kstack_init(void)
{
	struct pt_retired boot;
	paddr_t table;

	spin_init(&kstack_lock, "kstack");
	/*
	 * Make the root entry every mm copies, and the level-1 table below it
	 * that stays for good. The walk also makes a level-0 table, which goes
	 * again at once (only this hart runs yet), so that every level-0 table
	 * of the window belongs to some stack and settles back to the same count.
	 */
	if (pt_walk(kernel_root, KSTACK_WINDOW_BASE, true) == NULL)
		panic("kstack: no memory for the stack window's page table");
	table = pt_unlink_empty_table(kernel_root, KSTACK_WINDOW_BASE);
	assert(table != 0);
	pt_retired_init(&boot, NULL);
	pt_retire(table, &boot);
	mmu_flush_all(); /* global entries too */
	pt_retired_free(&boot);
	memstat_on_settle(kstack_settle);
}

/* ---- slots (kstack_lock held) ---- */

/*
 * The lowest free slot: stacks stay packed at the start of the window, so
 * few level-0 tables are needed, and they empty (and go) when threads do.
 */
static bool slot_take(uint32_t *slot)
{
	assert(spin_holding(&kstack_lock));
	for (uint32_t w = 0; w < KSTACK_SLOTS / 64; w++) {
		if (slot_used[w] != ~0ull) {
			unsigned bit = (unsigned)__builtin_ctzll(~slot_used[w]);

			slot_used[w] |= 1ull << bit;
			*slot = w * 64 + bit;
			return true;
		}
	}
	return false;
}

static void slot_put(uint32_t s)
{
	assert(spin_holding(&kstack_lock));
	assert(slot_used[s / 64] & (1ull << (s % 64)));
	slot_used[s / 64] &= ~(1ull << (s % 64));
}

/* Map frames[] at the slot's stack pages. Fails only without table memory. */
static bool slot_map(uint32_t slot, const paddr_t frames[KSTACK_PAGES])
{
	uintptr_t base = slot_stack_base(slot);

	assert(spin_holding(&kstack_lock));
	for (int i = 0; i < KSTACK_PAGES; i++) {
		pte_t *pte = pt_walk(kernel_root, base + (uintptr_t)i * PAGE_SIZE, true);

		/*
		 * A slot lies inside one level-0 table, so only the first walk
		 * can need memory; when it fails it has taken back what it
		 * added, and nothing is left to undo or flush.
		 */
		if (pte == NULL) {
			assert(i == 0);
			return false;
		}
		assert(*pte == 0);
		__atomic_store_n(
		    pte, pa_to_pte(frames[i]) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G,
		    __ATOMIC_RELEASE);
	}
	return true;
}

static void slot_unmap(uint32_t slot)
{
	uintptr_t base = slot_stack_base(slot);

	assert(spin_holding(&kstack_lock));
	for (int i = 0; i < KSTACK_PAGES; i++) {
		pte_t *pte = pt_walk(kernel_root, base + (uintptr_t)i * PAGE_SIZE, false);

		assert(pte != NULL && pte_valid(*pte));
		__atomic_store_n(pte, 0, __ATOMIC_RELAXED);
	}
}

/* ---- batches ---- */

/*
 * Close the dirty batch: take out the level-0 tables its stacks leave
 * empty (each stack carries the one it emptied), then publish a new
 * generation, after which every hart owes a flush before the batch goes.
 */
static void batch_close_locked(void)
{
	uint64_t gen;

	assert(spin_holding(&kstack_lock));
	if (dirty == NULL)
		return;
	for (struct kstack *ks = dirty; ks != NULL; ks = ks->next) {
		paddr_t table = pt_unlink_empty_table(kernel_root, ks->base);

		pt_retired_init(&ks->tables, NULL);
		if (table != 0)
			pt_retire(table, &ks->tables);
	}
	gen = __atomic_add_fetch(&kstack_gen, 1, __ATOMIC_SEQ_CST);
	while (dirty != NULL) {
		struct kstack *ks = dirty;

		dirty = ks->next;
		ks->gen = gen;
		ks->next = pending;
		pending = ks;
	}
	ndirty = 0;
	kstack_count(&kstack_stats.batches);
}

/* The oldest generation some online hart has not flushed at yet, minus 1. */
static uint64_t flushed_everywhere(void)
{
	uint64_t done = __atomic_load_n(&kstack_gen, __ATOMIC_ACQUIRE);

	for (int h = 0; h < nharts; h++) {
		uint64_t f;

		if (!hart_is_online(&harts[h]))
			continue;
		f = __atomic_load_n(&kstack_flushed[h], __ATOMIC_ACQUIRE);
		if (f < done)
			done = f;
	}
	return done;
}

/*
 * Free the slots and tables of every pending stack that no hart can reach
 * any more, and hand the stacks back (their frames are freed after
 * kstack_lock is dropped).
 */
static struct kstack *batch_reclaim_locked(void)
{
	struct kstack **pp = &pending, *out = NULL;
	uint64_t done;

	assert(spin_holding(&kstack_lock));
	if (pending == NULL)
		return NULL;
	done = flushed_everywhere();
	while (*pp != NULL) {
		struct kstack *ks = *pp;

		if (ks->gen > done) {
			pp = &ks->next;
			continue;
		}
		*pp = ks->next;
		pt_retired_free(&ks->tables);
		slot_put(ks->slot);
		ks->next = out;
		out = ks;
	}
	return out;
}

void kstack_quiesce(void)
{
	int self = hart_local_begin();
	uint64_t gen = __atomic_load_n(&kstack_gen, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&kstack_flushed[self], __ATOMIC_RELAXED) < gen) {
		mmu_flush_all(); /* global entries too */
		__atomic_store_n(&kstack_flushed[self], gen, __ATOMIC_RELEASE);
		kstack_count(&kstack_stats.flushes);
	}
	hart_local_end();
}

/* ---- stacks ---- */

static struct kstack *kstack_record(const paddr_t frames[KSTACK_PAGES])
{
	uintptr_t top_page = (uintptr_t)phys_to_virt(frames[KSTACK_PAGES - 1]);

	return (struct kstack *)(top_page + PAGE_SIZE - sizeof(struct kstack));
}

static void frames_release(const paddr_t *frames, int n)
{
	for (int i = 0; i < n; i++)
		frame_put_pa(frames[i], 0);
}

static void kstack_release_frames(struct kstack *list)
{
	while (list != NULL) {
		struct kstack *next = list->next;
		paddr_t frames[KSTACK_PAGES];

		/* The record lives in the last frame: copy out before freeing. */
		for (int i = 0; i < KSTACK_PAGES; i++)
			frames[i] = list->frames[i];
		frames_release(frames, KSTACK_PAGES);
		list = next;
	}
}

/* A fresh stack in a free slot, or NULL. */
static struct kstack *kstack_map_new(void)
{
	paddr_t frames[KSTACK_PAGES];
	struct kstack *ks, *reclaimed;
	uint32_t slot;
	bool mapped = false;

	for (int i = 0; i < KSTACK_PAGES; i++) {
		frames[i] = frame_alloc(0);
		if (frames[i] == 0) {
			frames_release(frames, i);
			return NULL;
		}
	}
	spin_lock(&kstack_lock);
	reclaimed = batch_reclaim_locked();
	if (slot_take(&slot)) {
		mapped = slot_map(slot, frames);
		if (!mapped)
			slot_put(slot);
	}
	spin_unlock(&kstack_lock);
	kstack_release_frames(reclaimed);
	if (!mapped) {
		frames_release(frames, KSTACK_PAGES);
		return NULL;
	}
	ks = kstack_record(frames);
	ks->slot = slot;
	ks->base = slot_stack_base(slot);
	ks->top = ks->base + (uintptr_t)KSTACK_PAGES * PAGE_SIZE - sizeof(struct kstack);
	for (int i = 0; i < KSTACK_PAGES; i++)
		ks->frames[i] = frames[i];
	ks->next = NULL;
	kstack_count(&kstack_stats.mapped);
	return ks;
}

struct kstack *kstack_alloc(void)
{
	struct kstack *ks;

	spin_lock(&kstack_lock);
	ks = warm;
	if (ks != NULL) {
		warm = ks->next;
		nwarm--;
	}
	spin_unlock(&kstack_lock);
	if (ks == NULL)
		return kstack_map_new();
	ks->next = NULL;
	kstack_count(&kstack_stats.reused);
	return ks;
}

/* Unmap ks and put it on the dirty list (kstack_lock held). */
static void kstack_retire_locked(struct kstack *ks)
{
	slot_unmap(ks->slot);
	ks->next = dirty;
	dirty = ks;
	ndirty++;
	kstack_count(&kstack_stats.unmapped);
}

void kstack_free(struct kstack *ks)
{
	struct kstack *reclaimed;

	assert(ks->base == slot_stack_base(ks->slot));
	spin_lock(&kstack_lock);
	if (nwarm < KSTACK_WARM_MAX) {
		ks->next = warm;
		warm = ks;
		nwarm++;
	} else {
		kstack_retire_locked(ks);
		if (ndirty >= KSTACK_DIRTY_MAX)
			batch_close_locked();
	}
	reclaimed = batch_reclaim_locked();
	spin_unlock(&kstack_lock);
	kstack_release_frames(reclaimed);
}

/* Ask every online hart that still owes a flush to go round its loop. */
static void kstack_nudge(void)
{
	uint64_t gen = __atomic_load_n(&kstack_gen, __ATOMIC_ACQUIRE);
	int self = hart_local_begin();

	for (int h = 0; h < nharts; h++)
		if (h != self && hart_is_online(&harts[h]) &&
		    __atomic_load_n(&kstack_flushed[h], __ATOMIC_ACQUIRE) < gen)
			ipi_send(&harts[h], IPI_RESCHED);
	hart_local_end();
}

void kstack_settle(void)
{
	bool done;

	spin_lock(&kstack_lock);
	while (warm != NULL) {
		struct kstack *ks = warm;

		warm = ks->next;
		nwarm--;
		kstack_retire_locked(ks);
	}
	batch_close_locked();
	spin_unlock(&kstack_lock);
	/* Waits only for harts to come round their loops: never for a lock. */
	do {
		struct kstack *reclaimed;

		kstack_quiesce();
		spin_lock(&kstack_lock);
		reclaimed = batch_reclaim_locked();
		done = pending == NULL;
		spin_unlock(&kstack_lock);
		kstack_release_frames(reclaimed);
		if (!done) {
			kstack_nudge();
			thread_yield();
		}
	} while (!done);
}
