/*
 * buddy.c: the global binary buddy allocator.
 *
 * Data, all guarded by buddy.lock:
 *  - free[o]: the free blocks of order o, linked through their head frames;
 *    a head on free[o] has state FRAME_BUDDY and order o, and every other
 *    frame of its block has state FRAME_TAIL and refcount 0.
 *  - free_frames: the sum over o of free[o].count << o. Written under the
 *    lock with an atomic store so that memstat may read it without one.
 * Invariant: two free buddies of order o < BUDDY_MAX_ORDER never coexist
 * (buddy_free merges them at once), so every free block is maximal.
 *
 * The buddy of the block at table index i, order o, is at i ^ (1 << o);
 * frame.c aligns the table to 2^BUDDY_MAX_ORDER frames, so this is also the
 * physical buddy. A buddy outside the table, reserved, allocated, cached or
 * free at another order is simply not merged.
 *
 * Lock order: a per-hart cache lock may be held when this lock is taken,
 * never the reverse.
 */
#include "src/mm/buddy.h"

#include "src/base/check.h"
#include "src/mm/memstat.h"
#include "src/sync/spinlock.h"

static struct {
	struct spinlock lock;
	struct frame_list free[BUDDY_MAX_ORDER + 1];
	uint64_t free_frames;
} buddy = {.lock = SPINLOCK_INIT("buddy")};

static void buddy_lock(void)
{
	spin_lock(&buddy.lock);
	memstat_count(MEMSTAT_LOCK);
}

static void buddy_unlock(void)
{
	spin_unlock(&buddy.lock);
}

static void add_free_frames(int64_t n)
{
	__atomic_store_n(&buddy.free_frames, buddy.free_frames + (uint64_t)n, __ATOMIC_RELAXED);
}

void buddy_init(void)
{
	spin_init(&buddy.lock, "buddy");
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		frame_list_init(&buddy.free[o]);
	__atomic_store_n(&buddy.free_frames, 0, __ATOMIC_RELAXED);
}

/*
 * Every frame of the block [i, i + 2^order) other than the head must be a
 * plain tail with no references: anything else means the block overlaps
 * memory that someone else owns.
 */
static void check_tails(uint32_t i, unsigned order, const char *who)
{
	for (uint32_t t = i + 1; t < i + (1u << order); t++) {
		const struct frame *f = frame_at(t);

		if (f->state != FRAME_TAIL || frame_refcount(f) != 0)
			fatal("%s: frame %#llx inside an order-%u block has state %u, refs %u", who,
			      (unsigned long long)frame_to_pa(f), order, f->state,
			      frame_refcount(f));
	}
}

/*
 * The checks on a block coming back: alignment, range, state, and that no
 * free block (at this or any larger order) already contains it.
 */
static void check_freeable(const struct frame *f, unsigned order)
{
	uint32_t i = frame_index(f);
	unsigned long long pa = frame_to_pa(f);

	CHECK(order <= BUDDY_MAX_ORDER);
	if ((i & ((1u << order) - 1)) != 0 || i + (1ull << order) > frames_total())
		fatal("buddy_free: %#llx order %u is misaligned or past the table", pa, order);
	if (f->state != FRAME_ALLOCATED || f->order != order || frame_refcount(f) != 0)
		fatal("buddy_free: %#llx order %u: state %u order %u refs %u (double free?)", pa,
		      order, f->state, f->order, frame_refcount(f));
	for (unsigned o = order + 1; o <= BUDDY_MAX_ORDER; o++) {
		const struct frame *a = frame_at(i & ~((1u << o) - 1));

		if (a->state == FRAME_BUDDY && a->order >= o)
			fatal("buddy_free: %#llx order %u lies in a free order-%u block", pa, order,
			      a->order);
	}
	check_tails(i, order, "buddy_free");
}

/*
 * A block of 2^order frames off the free lists, the larger blocks split on
 * the way (the upper halves go back), its head FRAME_ALLOCATED, its tails
 * still FRAME_TAIL and unchecked (the caller checks them: alloc_locked
 * under the lock, a batch after it). NULL if no block that large is free.
 */
static struct frame *alloc_block_locked(unsigned order)
{
	struct frame *f = NULL;
	unsigned o;

	CHECK(spin_holding(&buddy.lock));
	for (o = order; o <= BUDDY_MAX_ORDER && f == NULL; o++)
		f = frame_list_pop(&buddy.free[o]);
	if (f == NULL)
		return NULL;
	o--; /* the loop went one past the order it popped from */
	CHECK(f->state == FRAME_BUDDY && f->order == o && frame_refcount(f) == 0);
	/* Split: the upper half of each level goes back on the next list down. */
	while (o > order) {
		struct frame *half;

		o--;
		half = frame_at(frame_index(f) + (1u << o));
		CHECK(half->state == FRAME_TAIL);
		half->state = FRAME_BUDDY;
		half->order = (uint8_t)o;
		frame_list_push(&buddy.free[o], half);
	}
	f->state = FRAME_ALLOCATED;
	f->order = (uint8_t)order;
	add_free_frames(-(int64_t)(1u << order));
	return f;
}

static struct frame *alloc_locked(unsigned order)
{
	struct frame *f = alloc_block_locked(order);

	if (f != NULL)
		check_tails(frame_index(f), order, "buddy_alloc");
	return f;
}

static void free_locked(struct frame *f, unsigned order)
{
	uint32_t i = frame_index(f);
	unsigned o = order;

	CHECK(spin_holding(&buddy.lock));
	check_freeable(f, order);
	f->state = FRAME_TAIL;
	while (o < BUDDY_MAX_ORDER) {
		uint32_t b = i ^ (1u << o);
		struct frame *bf;

		if (b >= frames_total())
			break;
		bf = frame_at(b);
		if (bf->state != FRAME_BUDDY || bf->order != o)
			break;
		frame_list_remove(&buddy.free[o], bf);
		bf->state = FRAME_TAIL;
		i &= ~(1u << o); /* the merged block starts at the lower buddy */
		o++;
	}
	f = frame_at(i);
	f->state = FRAME_BUDDY;
	f->order = (uint8_t)o;
	frame_list_push(&buddy.free[o], f);
	add_free_frames((int64_t)1 << order);
}

struct frame *buddy_alloc(unsigned order)
{
	struct frame *f;

	CHECK(order <= BUDDY_MAX_ORDER);
	buddy_lock();
	f = alloc_locked(order);
	buddy_unlock();
	return f;
}

void buddy_free(struct frame *f, unsigned order)
{
	buddy_lock();
	free_locked(f, order);
	buddy_unlock();
}

/*
 * The order of one block that holds a batch of n frames exactly (n a power
 * of two within the buddy's orders), or 0 if there is none.
 */
static unsigned batch_order(unsigned n)
{
	unsigned order = (unsigned)__builtin_ctz(n);

	return n > 1 && (n & (n - 1)) == 0 && order <= BUDDY_MAX_ORDER ? order : 0;
}

/*
 * A block of the batch's order, taken whole, is one list operation (and a
 * few splits) under the lock, where n frames taken one by one are n: the
 * lock is held a fraction as long when harts refill at the same instant.
 * Its frames become order-0 blocks of their own after the lock is let go:
 * the block is ours, nobody else looks at its tails.
 */
unsigned buddy_alloc_batch(struct frame **out, unsigned n)
{
	unsigned order = batch_order(n), got = 0;
	struct frame *block;

	buddy_lock();
	block = order != 0 ? alloc_block_locked(order) : NULL;
	while (block == NULL && got < n && (out[got] = alloc_locked(0)) != NULL)
		got++;
	buddy_unlock();
	if (block == NULL)
		return got;
	check_tails(frame_index(block), order, "buddy_alloc");
	for (unsigned k = 0; k < n; k++) {
		out[k] = block + k;
		out[k]->state = FRAME_ALLOCATED;
		out[k]->order = 0;
	}
	return n;
}

void buddy_free_batch(struct frame *const *frames, unsigned n)
{
	buddy_lock();
	for (unsigned k = 0; k < n; k++)
		free_locked(frames[k], 0);
	buddy_unlock();
}

uint64_t buddy_free_frames(void)
{
	return __atomic_load_n(&buddy.free_frames, __ATOMIC_RELAXED);
}

uint64_t buddy_free_blocks(unsigned order)
{
	uint64_t n;

	CHECK(order <= BUDDY_MAX_ORDER);
	spin_lock(&buddy.lock); /* not counted: statistics must not perturb what they measure */
	n = buddy.free[order].count;
	spin_unlock(&buddy.lock);
	return n;
}
