/*
 * frame_cache.h: per-hart caches of free order-0 frames, in front of the
 * buddy allocator (frame.c's frame_alloc/frame_put_pa route order 0 here).
 *
 * Each hart keeps a small stack of free frames. Allocation pops and free
 * pushes on the local stack, touching no shared lock; an empty stack is
 * refilled from the buddy with FRAME_CACHE_BATCH frames under one buddy
 * lock acquisition, and a full one (FRAME_CACHE_HIGH frames) gives its
 * FRAME_CACHE_BATCH coldest frames back the same way. When the buddy is
 * empty too, an allocation drains every other hart's cache into the buddy
 * before it gives up, so no free frame is ever stranded on an idle hart.
 * A frame may be freed on any hart: it joins that hart's cache.
 *
 * Built with KINE_NO_FRAME_CACHE, there are no caches: every order-0
 * allocation and free goes to the buddy under its global lock (the
 * baseline for measurements). The API stays the same.
 *
 * Callers pass their hart index from hart_local_begin() and keep
 * interrupts off (hart_local_begin .. hart_local_end) for the whole call.
 */
#ifndef KINE_MM_FRAME_CACHE_H
#define KINE_MM_FRAME_CACHE_H

#include "src/mm/frame.h"

/*
 * BATCH: frames moved per buddy lock acquisition. HIGH: the most a hart
 * keeps. HIGH is 4 BATCHes so that a hart that alternates allocations and
 * frees around a refill or a drain does not bounce off the global lock.
 * 64 rather than 32: harts faulting at the same instant meet on the buddy
 * lock half as often (docs/memory.md).
 */
#define FRAME_CACHE_BATCH 64
#define FRAME_CACHE_HIGH  256

/* Empty every cache (frames_init() calls it). */
void frame_cache_init(void);

/* Whether this build has the per-hart caches (false: the baseline). */
bool frame_cache_enabled(void);

/* A free order-0 frame (state FRAME_ALLOCATED, refcount 0), or NULL. */
struct frame *frame_cache_alloc(int hart);

/* Take back a free order-0 frame (state FRAME_ALLOCATED, refcount 0). */
void frame_cache_free(int hart, struct frame *f);

/*
 * Give every frame of this hart's cache back to the buddy; any hart may
 * call it (memstat_settle). Returns how many frames moved.
 */
unsigned frame_cache_drain(int hart);

/* Frames in this hart's cache now. */
unsigned frame_cache_count(int hart);

#endif
