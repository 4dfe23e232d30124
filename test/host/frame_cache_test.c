/*
 * frame_cache_test: the per-hart caches, one thread playing several harts
 * with shim_set_hart(): refills in batches, drains at the high watermark
 * (checked against a model of the policy), the bound on what a hart holds,
 * cross-hart frees, remote drain on exhaustion, and settle giving back the
 * exact free count.
 *
 * Built twice: as frame_cache_test, and with KINE_NO_FRAME_CACHE against
 * //src/mm:frames_nocache, where every order-0 operation must take the
 * global lock exactly once and no hart ever holds a frame.
 */
#include <stdlib.h>

#include "src/mm/buddy.h"
#include "src/mm/frame.h"
#include "src/mm/frame_cache.h"
#include "src/mm/memstat.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"

#define BASE 0x80000000ull
#define MiB  (1ull << 20)

#ifdef KINE_NO_FRAME_CACHE
#define NAME "frame_cache_test (KINE_NO_FRAME_CACHE)"
#else
#define NAME "frame_cache_test"
#endif

static struct physmem pm;

static uint64_t event(int hart, enum memstat_event ev)
{
	struct memstat ms;

	memstat_read(&ms);
	return ms.hart[hart].events[ev];
}

static void fresh(uint64_t size)
{
	shim_set_hart(0);
	shim_arena(&pm, BASE, size, NULL, 0);
	frames_init(&pm);
}

#ifndef KINE_NO_FRAME_CACHE

static void test_refill_drain(void)
{
	enum { N = 300 };
	paddr_t pa[N];
	unsigned model, drains = 0, over = 0;

	SECTION("refills and drains in batches, bounded by the high watermark");
	fresh(16 * MiB);
	pa[0] = frame_alloc(0);
	CHECK_EQ(event(0, MEMSTAT_REFILL), 1);
	CHECK_EQ(event(0, MEMSTAT_LOCK), 1);
	CHECK_EQ(frame_cache_count(0), FRAME_CACHE_BATCH - 1);
	CHECK_EQ(buddy_free_frames(), frames_managed() - FRAME_CACHE_BATCH);
	for (int i = 1; i < FRAME_CACHE_BATCH; i++)
		pa[i] = frame_alloc(0);
	CHECK_EQ(event(0, MEMSTAT_LOCK), 1); /* the whole batch without the global lock */
	CHECK_EQ(frame_cache_count(0), 0);
	for (int i = FRAME_CACHE_BATCH; i < N; i++)
		pa[i] = frame_alloc(0);
	CHECK_EQ(event(0, MEMSTAT_REFILL), (N + FRAME_CACHE_BATCH - 1) / FRAME_CACHE_BATCH);
	CHECK_EQ(event(0, MEMSTAT_LOCK), event(0, MEMSTAT_REFILL));

	/* Free them all on hart 0, following the policy in a model alongside. */
	model = frame_cache_count(0);
	for (int i = 0; i < N; i++) {
		if (model == FRAME_CACHE_HIGH) {
			model -= FRAME_CACHE_BATCH;
			drains++;
		}
		model++;
		frame_put_pa(pa[i], 0);
		over += frame_cache_count(0) > FRAME_CACHE_HIGH;
	}
	CHECK_EQ(over, 0);
	CHECK_EQ(frame_cache_count(0), model);
	CHECK_EQ(event(0, MEMSTAT_DRAIN), drains);
	CHECK(drains > 0);
	CHECK_EQ(event(0, MEMSTAT_ALLOC), N);
	CHECK_EQ(event(0, MEMSTAT_FREE), N);
	CHECK_EQ(buddy_free_frames() + model, frames_managed());
	CHECK_EQ(memstat_free_frames(), frames_managed());
	CHECK_EQ(frame_cache_count(0), 0);
}

static void test_lifo(void)
{
	paddr_t a, b;

	SECTION("the hottest frame comes back first");
	fresh(8 * MiB);
	a = frame_alloc(0);
	frame_put_pa(a, 0);
	b = frame_alloc(0);
	CHECK_EQ(a, b);
	frame_put_pa(b, 0);
}

static void test_cross_hart(void)
{
	paddr_t pa[10];

	SECTION("frames freed on another hart join that hart's cache");
	fresh(8 * MiB);
	for (int i = 0; i < 10; i++)
		pa[i] = frame_alloc(0);
	shim_set_hart(1);
	for (int i = 0; i < 10; i++)
		frame_put_pa(pa[i], 0);
	CHECK_EQ(frame_cache_count(1), 10);
	CHECK_EQ(frame_cache_count(0), FRAME_CACHE_BATCH - 10);
	CHECK_EQ(event(1, MEMSTAT_FREE), 10);
	CHECK_EQ(event(1, MEMSTAT_LOCK), 0);
	CHECK_EQ(frame_alloc(0), pa[9]); /* hart 1 reuses them, newest first */
	frame_put_pa(pa[9], 0);
	shim_set_hart(0);
	CHECK_EQ(memstat_free_frames(), frames_managed());
}

static void test_remote_drain(void)
{
	paddr_t *all, got[16];
	uint64_t n = 0, ngot = 0;

	SECTION("exhaustion drains the other harts' caches before failing");
	fresh(4 * MiB);
	all = calloc(frames_managed() + 1, sizeof(*all)); /* + the failed one */
	while ((all[n] = frame_alloc(0)) != 0)
		n++;
	CHECK_EQ(n, frames_managed()); /* every frame, through hart 0's cache */
	CHECK_EQ(buddy_free_frames(), 0);

	shim_set_hart(1); /* strand 5 frames on hart 1 and 3 on hart 2 */
	for (int i = 0; i < 5; i++)
		frame_put_pa(all[--n], 0);
	shim_set_hart(2);
	for (int i = 0; i < 3; i++)
		frame_put_pa(all[--n], 0);
	CHECK_EQ(frame_cache_count(1), 5);
	CHECK_EQ(frame_cache_count(2), 3);

	shim_set_hart(0);
	while (ngot < 16 && (got[ngot] = frame_alloc(0)) != 0)
		ngot++;
	CHECK_EQ(ngot, 8); /* exactly what was stranded, then failure */
	CHECK_EQ(event(0, MEMSTAT_REMOTE_DRAIN), 2);
	CHECK_EQ(frame_cache_count(1), 0);
	CHECK_EQ(frame_cache_count(2), 0);
	for (uint64_t i = 0; i < ngot; i++)
		frame_put_pa(got[i], 0);
	while (n > 0)
		frame_put_pa(all[--n], 0);
	CHECK_EQ(memstat_free_frames(), frames_managed());
	free(all);
}

#else /* KINE_NO_FRAME_CACHE */

static void test_baseline(void)
{
	paddr_t *all;
	uint64_t n = 0;
	struct memstat ms;

	SECTION("baseline: every order-0 operation takes the global lock once");
	fresh(4 * MiB);
	all = calloc(frames_managed() + 1, sizeof(*all)); /* + the failed one */
	while ((all[n] = frame_alloc(0)) != 0)
		n++;
	CHECK_EQ(n, frames_managed());
	CHECK_EQ(event(0, MEMSTAT_LOCK), n + 1); /* the failed attempt locks too */
	CHECK_EQ(frame_cache_count(0), 0);
	shim_set_hart(1);
	for (uint64_t i = 0; i < n; i++)
		frame_put_pa(all[i], 0);
	CHECK_EQ(event(1, MEMSTAT_LOCK), n);
	CHECK_EQ(frame_cache_count(1), 0);
	CHECK_EQ(buddy_free_frames(), frames_managed()); /* no settle needed */
	memstat_read(&ms);
	CHECK_EQ(ms.events[MEMSTAT_REFILL] + ms.events[MEMSTAT_DRAIN] +
		     ms.events[MEMSTAT_REMOTE_DRAIN],
		 0);
	CHECK_EQ(ms.cached, 0);
	shim_set_hart(0);
	free(all);
}

#endif

/* Both builds: mixed orders on several harts, then settle gives all back. */
static void test_settle(void)
{
	paddr_t pa[64];
	unsigned order[64];
	struct memstat ms;

	SECTION("settle: free == buddy free == managed");
	fresh(16 * MiB);
	for (int i = 0; i < 64; i++) {
		shim_set_hart(i % 4);
		order[i] = (unsigned)(i % 3 == 0 ? i % 5 : 0);
		pa[i] = frame_alloc(order[i]);
		CHECK(pa[i] != 0);
	}
	for (int i = 0; i < 64; i++) {
		shim_set_hart((i + 1) % 4);
		frame_put_pa(pa[i], order[i]);
	}
	memstat_read(&ms);
	CHECK_EQ(ms.free, ms.managed); /* nothing in use: caches + buddy hold it all */
	CHECK_EQ(ms.events[MEMSTAT_ALLOC], 64);
	CHECK_EQ(ms.events[MEMSTAT_FREE], 64);
	memstat_settle();
	memstat_read(&ms);
	CHECK_EQ(ms.cached, 0);
	CHECK_EQ(ms.buddy_free, ms.managed);
	shim_set_hart(0);
}

int main(void)
{
#ifndef KINE_NO_FRAME_CACHE
	test_refill_drain();
	test_lifo();
	test_cross_hart();
	test_remote_drain();
#else
	test_baseline();
#endif
	test_settle();
	return check_summary(NAME);
}
