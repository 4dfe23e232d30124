/*
 * memstat.h: counters of the frame allocator, and the settled free count
 * that every leak check in kine compares.
 *
 * "Free frames" means the buddy allocator's free frames plus the frames in
 * every per-hart cache. memstat_settle() first empties what may
 * legitimately hold free memory (the registered settle hooks: the slab's
 * empty slabs, later the reaping of exited processes; then every per-hart
 * cache), so that afterwards free frames == buddy free frames == every
 * managed frame that is not in use. Compare settled counts only, taken
 * while nothing else allocates.
 *
 * Event counters are per hart and written only by their hart, with
 * interrupts off (memstat_count's callers hold a spinlock or are between
 * hart_local_begin and hart_local_end), so they need no lock and no atomic
 * read-modify-write; readers use relaxed loads and may see a count that is
 * a few events old.
 */
#ifndef KINE_MM_MEMSTAT_H
#define KINE_MM_MEMSTAT_H

#include <stdint.h>

#include "src/sched/hart_local.h"

enum memstat_event {
	MEMSTAT_ALLOC,        /* frame_alloc() calls that succeeded (any order) */
	MEMSTAT_FREE,         /* blocks freed by their last reference */
	MEMSTAT_LOCK,         /* buddy (global) lock acquisitions */
	MEMSTAT_REFILL,       /* cache refills from the buddy */
	MEMSTAT_DRAIN,        /* cache drains at the high watermark */
	MEMSTAT_REMOTE_DRAIN, /* other harts' caches drained on exhaustion */
	MEMSTAT_REMOTE_FREE,  /* blocks freed on another hart than the one that allocated them */
	MEMSTAT_CACHE_WAIT,   /* cache lock acquisitions that found it held (frame_cache.c) */
	MEMSTAT_NEVENTS
};

struct memstat_hart {
	uint64_t cached;                  /* frames in this hart's cache */
	uint64_t events[MEMSTAT_NEVENTS]; /* counted on this hart */
};

struct memstat {
	uint64_t managed;                 /* frames the allocator owns, in use or free */
	uint64_t buddy_free;              /* free frames in the buddy */
	uint64_t cached;                  /* free frames in all per-hart caches */
	uint64_t free;                    /* buddy_free + cached */
	uint64_t events[MEMSTAT_NEVENTS]; /* summed over harts */
	struct memstat_hart hart[HART_LOCAL_MAX];
};

/* A snapshot (each field exact only when nothing allocates meanwhile). */
void memstat_read(struct memstat *ms);

/* Empty the settle hooks' holdings and every per-hart cache into the buddy. */
void memstat_settle(void);

/* memstat_settle(), then the free frames: the number leak checks compare. */
uint64_t memstat_free_frames(void);

/* Run fn at the start of every settle (slab_init registers its release). */
void memstat_on_settle(void (*fn)(void));

/* Zero every event counter (frames_init; benchmarks, while quiescent). */
void memstat_reset(void);

/* For the allocator: count one event on this hart (interrupts off). */
void memstat_count(enum memstat_event ev);

/* Hart h's counters (memstat.c), on a line of their own: h writes them alone. */
struct memstat_counters {
	uint64_t events[MEMSTAT_NEVENTS];
} __attribute__((aligned(64)));

extern struct memstat_counters memstat_counters[HART_LOCAL_MAX];

/*
 * memstat_count where the caller knows it runs on hart (its
 * hart_local_begin's answer): inline, for the allocation fast path.
 */
static inline void memstat_count_on(int hart, enum memstat_event ev)
{
	uint64_t *c = &memstat_counters[hart].events[ev];

	/* Only this hart writes c: a load and a store suffice, no AMO. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

#endif
