/*
 * memstat.h: what the memstat system call reports (kine's ABI).
 *
 *	int memstat(struct kine_memstat *out, int settle);
 *
 * With settle != 0 the kernel first empties every per-hart frame cache and
 * the slab's spare slabs, so that `free` is the number leak checks compare.
 */
#ifndef KINE_UAPI_MEMSTAT_H
#define KINE_UAPI_MEMSTAT_H

#include <stdint.h>

struct kine_memstat {
	uint64_t managed;       /* frames the allocator owns */
	uint64_t free;          /* free frames: buddy + per-hart caches */
	uint64_t buddy_free;    /* free frames in the buddy allocator */
	uint64_t cached;        /* free frames in per-hart caches */
	uint64_t allocs;        /* frame allocations since boot (or reset) */
	uint64_t frees;         /* blocks freed */
	uint64_t global_lock;   /* buddy lock acquisitions */
	uint64_t refills;       /* per-hart cache refills */
	uint64_t drains;        /* per-hart cache drains */
	uint64_t remote_drains; /* caches drained by another hart on exhaustion */
	uint64_t cow_faults;    /* write faults on copy-on-write pages */
	uint64_t cow_copies;    /* ... resolved by copying the frame */
	uint64_t cow_reuses;    /* ... resolved in place (the last owner) */
	uint64_t cow_overlaps;  /* found already resolved by another thread */
};

#endif
