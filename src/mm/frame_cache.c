/*
 * frame_cache.c: per-hart caches of free order-0 frames (see
 * frame_cache.h for the policy).
 *
 * caches[h] belongs to hart h. Its lock guards count and stack[]; hart h
 * takes it on every allocation and free, and since another hart takes it
 * only for a remote drain or a settle, it stays uncontended and its cache
 * line stays on hart h: the fast path shares nothing with other harts.
 * The lock is what makes the rare remote drain safe without an IPI.
 *
 * The lock is one word taken with one atomic swap, not a spinlock: a
 * spinlock's bookkeeping (lockcheck's list, lockstat's record) cost about
 * 230 instructions a round, a tenth of a COW fault, for a lock that is
 * all but never contended. What a spinlock gave is kept otherwise: it is
 * held only with interrupts off (every caller is inside hart_local_begin,
 * so a holder is never preempted and never interrupted into taking it
 * again), it is the innermost lock but the buddy's (taken inside it), and
 * each acquisition that had to wait is counted (memstat's cache lock
 * waits), so contention on it still shows. The debug image
 * (KINE_LOCKCHECK_ALL) also has lockcheck check its order, as class
 * "frame_cache".
 *
 * Invariants (under the lock): 0 <= count <= FRAME_CACHE_HIGH; stack[0..count)
 * are distinct frames in state FRAME_CACHED with refcount 0; stack[0] is the
 * coldest (freed longest ago), stack[count - 1] the hottest, which the next
 * allocation gets back while it is likely still in this hart's data cache.
 *
 * Lock order: a hart holds at most one cache lock at a time, and may take
 * the buddy lock inside it. The remote drain drops the local lock first, so
 * two harts draining each other cannot deadlock.
 */
#include "src/mm/frame_cache.h"

#include <stddef.h>

#include "src/base/check.h"
#include "src/lib/string.h"
#include "src/mm/buddy.h"
#include "src/mm/memstat.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"
#ifdef KINE_LOCKCHECK_ALL
#include "src/sync/lockcheck.h"
#include "src/sync/lockstat.h"
#endif

_Static_assert(FRAME_CACHE_BATCH > 0 && FRAME_CACHE_BATCH < FRAME_CACHE_HIGH,
	       "a drain must leave room, a refill must fit");

bool frame_cache_enabled(void)
{
#ifdef KINE_NO_FRAME_CACHE
	return false;
#else
	return true;
#endif
}

#ifndef KINE_NO_FRAME_CACHE

/* Passes of the remote drain before an allocation gives up (see below). */
#define REMOTE_DRAIN_PASSES 3

struct frame_cache {
	uint32_t lock; /* 1: held (cache_lock) */
	unsigned count;
	struct frame *stack[FRAME_CACHE_HIGH];
} __attribute__((aligned(64))); /* one hart's cache never shares a line with another's */

static struct frame_cache caches[HART_LOCAL_MAX];

static struct frame_cache *cache_of(int hart)
{
	CHECK(hart >= 0 && hart < HART_LOCAL_MAX);
	return &caches[hart];
}

void frame_cache_init(void)
{
	for (int h = 0; h < HART_LOCAL_MAX; h++) {
		caches[h].lock = 0;
		caches[h].count = 0;
	}
}

#ifdef KINE_LOCKCHECK_ALL
static struct lock_class *cache_class; /* lockcheck's "frame_cache" (set at first use) */
#endif

/* Take c's lock; the caller is inside hart_local_begin (interrupts off). */
static inline void cache_lock(struct frame_cache *c)
{
#ifdef KINE_LOCKCHECK_ALL
	lockcheck_acquire(&c->lock, lockstat_class_cached(&cache_class, "frame_cache"),
			  (uintptr_t)__builtin_return_address(0));
#endif
	if (__builtin_expect(__atomic_exchange_n(&c->lock, 1, __ATOMIC_ACQUIRE) == 0, 1))
		return;
	memstat_count(MEMSTAT_CACHE_WAIT);
	do {
		while (__atomic_load_n(&c->lock, __ATOMIC_RELAXED) != 0)
			spin_wait_once();
	} while (__atomic_exchange_n(&c->lock, 1, __ATOMIC_ACQUIRE) != 0);
}

static inline void cache_unlock(struct frame_cache *c)
{
	CHECK(c->lock == 1);
#ifdef KINE_LOCKCHECK_ALL
	lockcheck_release(&c->lock);
#endif
	__atomic_store_n(&c->lock, 0, __ATOMIC_RELEASE);
}

/* For the CHECKs: someone holds c's lock (the word cannot say who). */
static bool cache_locked(const struct frame_cache *c)
{
	return __atomic_load_n(&c->lock, __ATOMIC_RELAXED) != 0;
}

/* Fill an empty cache with up to BATCH frames from the buddy. */
static void refill_locked(struct frame_cache *c)
{
	unsigned n;

	CHECK(cache_locked(c) && c->count == 0);
	n = buddy_alloc_batch(c->stack, FRAME_CACHE_BATCH);
	for (unsigned k = 0; k < n; k++) {
		CHECK(c->stack[k]->state == FRAME_ALLOCATED && c->stack[k]->order == 0);
		c->stack[k]->state = FRAME_CACHED;
	}
	c->count = n;
	if (n > 0)
		memstat_count(MEMSTAT_REFILL);
}

/* Give the n coldest frames back to the buddy. */
static void drain_locked(struct frame_cache *c, unsigned n)
{
	CHECK(cache_locked(c) && n <= c->count);
	if (n == 0)
		return; /* no buddy lock for nothing */
	for (unsigned k = 0; k < n; k++) {
		CHECK(c->stack[k]->state == FRAME_CACHED);
		c->stack[k]->state = FRAME_ALLOCATED;
	}
	buddy_free_batch(c->stack, n);
	memmove(c->stack, c->stack + n, (c->count - n) * sizeof(c->stack[0]));
	c->count -= n;
}

/*
 * The buddy and this hart's cache are both empty: move every other hart's
 * cache into the buddy, then take one frame from it (only one: memory is
 * short, this hart must not hoard). Another hart may take the drained
 * frames first; the pass repeats while it found anything to drain, a few
 * times at most, so a steady trickle of frees elsewhere cannot keep this
 * allocation looping.
 */
static struct frame *alloc_after_remote_drain(int self)
{
	for (int pass = 0; pass < REMOTE_DRAIN_PASSES; pass++) {
		unsigned moved = 0;
		struct frame *f;

		for (int h = 0; h < HART_LOCAL_MAX; h++) {
			struct frame_cache *c = &caches[h];

			if (h == self)
				continue;
			cache_lock(c);
			if (c->count > 0) {
				moved += c->count;
				drain_locked(c, c->count);
				memstat_count_on(self, MEMSTAT_REMOTE_DRAIN);
			}
			cache_unlock(c);
		}
		f = buddy_alloc(0);
		if (f != NULL || moved == 0)
			return f;
	}
	return NULL;
}

/* A frame leaves the cache it was popped from. */
static struct frame *uncache(struct frame *f)
{
	CHECK(f->state == FRAME_CACHED && frame_refcount(f) == 0);
	f->state = FRAME_ALLOCATED;
	f->order = 0;
	return f;
}

/* The cache was empty: refill it from the buddy, or drain the others. */
static __attribute__((noinline)) struct frame *alloc_refill(struct frame_cache *c, int hart)
{
	struct frame *f = NULL;

	cache_lock(c);
	if (c->count == 0)
		refill_locked(c);
	if (c->count > 0)
		f = c->stack[--c->count];
	cache_unlock(c);
	return f != NULL ? uncache(f) : alloc_after_remote_drain(hart);
}

/* The fast path keeps to a few registers: every COW copy comes through it. */
struct frame *frame_cache_alloc(int hart)
{
	struct frame_cache *c = cache_of(hart);
	struct frame *f = NULL;

	cache_lock(c);
	if (__builtin_expect(c->count > 0, 1))
		f = c->stack[--c->count];
	cache_unlock(c);
	return __builtin_expect(f != NULL, 1) ? uncache(f) : alloc_refill(c, hart);
}

void frame_cache_free(int hart, struct frame *f)
{
	struct frame_cache *c = cache_of(hart);

	CHECK(f->state == FRAME_ALLOCATED && f->order == 0 && frame_refcount(f) == 0);
	f->state = FRAME_CACHED;
	cache_lock(c);
	if (c->count == FRAME_CACHE_HIGH) {
		drain_locked(c, FRAME_CACHE_BATCH);
		memstat_count_on(hart, MEMSTAT_DRAIN);
	}
	c->stack[c->count++] = f;
	cache_unlock(c);
}

unsigned frame_cache_drain(int hart)
{
	struct frame_cache *c = cache_of(hart);
	unsigned n;

	(void)hart_local_begin(); /* the lock is held with interrupts off */
	cache_lock(c);
	n = c->count;
	drain_locked(c, n);
	cache_unlock(c);
	hart_local_end();
	return n;
}

unsigned frame_cache_count(int hart)
{
	struct frame_cache *c = cache_of(hart);
	unsigned n;

	(void)hart_local_begin();
	cache_lock(c);
	n = c->count;
	cache_unlock(c);
	hart_local_end();
	return n;
}

#else /* KINE_NO_FRAME_CACHE: the baseline, straight to the buddy */

void frame_cache_init(void)
{
}

struct frame *frame_cache_alloc(int hart)
{
	(void)hart;
	return buddy_alloc(0);
}

void frame_cache_free(int hart, struct frame *f)
{
	(void)hart;
	buddy_free(f, 0);
}

unsigned frame_cache_drain(int hart)
{
	(void)hart;
	return 0;
}

unsigned frame_cache_count(int hart)
{
	(void)hart;
	return 0;
}

#endif
