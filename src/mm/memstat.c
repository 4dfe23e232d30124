/*
 * memstat.c: the allocator's counters and settling (see memstat.h).
 *
 * memstat_counters[h] is written only by hart h with interrupts off; a line per
 * hart keeps those writes from bouncing a shared cache line. hooks[] is
 * written at boot (memstat_on_settle) before any settle runs.
 */
#include "src/mm/memstat.h"

#include <stddef.h>

#include "src/base/check.h"
#include "src/mm/buddy.h"
#include "src/mm/frame.h"
#include "src/mm/frame_cache.h"

#define MEMSTAT_MAX_HOOKS 4

struct memstat_counters memstat_counters[HART_LOCAL_MAX];

static void (*hooks[MEMSTAT_MAX_HOOKS])(void);
static int nhooks;

void memstat_count(enum memstat_event ev)
{
	int h = hart_local_index();

	CHECK(h >= 0 && h < HART_LOCAL_MAX && ev < MEMSTAT_NEVENTS);
	memstat_count_on(h, ev);
}

void memstat_reset(void)
{
	for (int h = 0; h < HART_LOCAL_MAX; h++)
		for (int e = 0; e < MEMSTAT_NEVENTS; e++)
			__atomic_store_n(&memstat_counters[h].events[e], 0, __ATOMIC_RELAXED);
}

void memstat_read(struct memstat *ms)
{
	ms->managed = frames_managed();
	ms->buddy_free = buddy_free_frames();
	ms->cached = 0;
	for (int e = 0; e < MEMSTAT_NEVENTS; e++)
		ms->events[e] = 0;
	for (int h = 0; h < HART_LOCAL_MAX; h++) {
		struct memstat_hart *mh = &ms->hart[h];

		mh->cached = frame_cache_count(h);
		ms->cached += mh->cached;
		for (int e = 0; e < MEMSTAT_NEVENTS; e++) {
			mh->events[e] =
			    __atomic_load_n(&memstat_counters[h].events[e], __ATOMIC_RELAXED);
			ms->events[e] += mh->events[e];
		}
	}
	ms->free = ms->buddy_free + ms->cached;
}

void memstat_on_settle(void (*fn)(void))
{
	for (int i = 0; i < nhooks; i++)
		if (hooks[i] == fn)
			return; /* registering again (host tests re-init) is harmless */
	CHECK(nhooks < MEMSTAT_MAX_HOOKS);
	hooks[nhooks++] = fn;
}

/*
 * Hooks first: what they release (slab pages) lands in this hart's cache,
 * which the drains below then empty.
 */
void memstat_settle(void)
{
	for (int i = 0; i < nhooks; i++)
		hooks[i]();
	for (int h = 0; h < HART_LOCAL_MAX; h++)
		frame_cache_drain(h);
}

uint64_t memstat_free_frames(void)
{
	memstat_settle();
	return buddy_free_frames();
}
