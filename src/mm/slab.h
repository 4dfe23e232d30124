/*
 * slab.h: kmalloc/kfree, the kernel's object allocator on top of frames
 * (processes, threads, address spaces, pipes).
 *
 * Requests up to SLAB_MAX_SIZE bytes come from power-of-two size classes
 * (16, 32, ..., 2048 bytes), each carved out of whole pages ("slabs"); an
 * object is aligned to its class size. Larger requests, up to
 * KMALLOC_MAX_SIZE, get a whole naturally aligned block of frames. kfree()
 * finds everything from the pointer's frame, so it needs no size.
 *
 * Memory comes back uninitialized (kzalloc zeroes it). kmalloc(0) and
 * requests above KMALLOC_MAX_SIZE return NULL, as does exhaustion.
 * Call slab_init() after frames_init().
 */
#ifndef KINE_MM_SLAB_H
#define KINE_MM_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "src/mm/frame.h"

#define SLAB_MIN_SHIFT   4
#define SLAB_MAX_SHIFT   11
#define SLAB_NCLASSES    (SLAB_MAX_SHIFT - SLAB_MIN_SHIFT + 1)
#define SLAB_MAX_SIZE    (1ul << SLAB_MAX_SHIFT)
#define KMALLOC_MAX_SIZE (PAGE_SIZE << BUDDY_MAX_ORDER)

void slab_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);

/* Release every empty slab to the frame allocator (memstat_settle runs it). */
void slab_settle(void);

struct slab_stats {
	size_t size;      /* object size of the class */
	uint64_t slabs;   /* pages the class holds, empty ones included */
	uint64_t objects; /* objects handed out */
};

/* The class for a size (size in 1..SLAB_MAX_SIZE), and its statistics. */
unsigned slab_class_of(size_t size);
void slab_read(unsigned cls, struct slab_stats *st);

#endif
