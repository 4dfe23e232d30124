/*
 * buddy.h: the global binary buddy allocator of physical frames.
 *
 * Blocks of 2^order frames, order 0..BUDDY_MAX_ORDER (frame.h), naturally
 * aligned in physical memory. One spinlock guards every free list and the
 * free count; every acquisition is counted (memstat MEMSTAT_LOCK), since
 * this lock is what the per-hart caches exist to avoid.
 *
 * A block handed out is its head frame in state FRAME_ALLOCATED with
 * f->order == order and refcount 0 (frame.c sets the count); a block handed
 * back must be exactly that again. The caller of buddy_free() owns the
 * block's memory and frames; nothing else may touch them afterwards.
 */
#ifndef KINE_MM_BUDDY_H
#define KINE_MM_BUDDY_H

#include <stdint.h>

#include "src/mm/frame.h"

/* Empty every free list (frames_init() then hands the memory over). */
void buddy_init(void);

/* A block of 2^order frames, or NULL if no block that large is free. */
struct frame *buddy_alloc(unsigned order);

/* Give a block back, merging it with its free buddies. */
void buddy_free(struct frame *f, unsigned order);

/*
 * Order 0 in batches, under one lock acquisition (for the per-hart caches):
 * a batch of a power of two takes one block of that order whole when one
 * is free (split into frames after the lock is let go), else frame by frame.
 */
unsigned buddy_alloc_batch(struct frame **out, unsigned n); /* returns how many */
void buddy_free_batch(struct frame *const *frames, unsigned n);

/* Free frames in the buddy (a relaxed read: exact only when quiescent). */
uint64_t buddy_free_frames(void);

/* Free blocks of exactly this order (takes the lock; for tests and stats). */
uint64_t buddy_free_blocks(unsigned order);

#endif
