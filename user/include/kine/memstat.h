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
	uint64_t remote_frees;  /* blocks freed on another hart than the one that allocated them */
	uint64_t cow_faults;    /* write faults on copy-on-write pages */
	uint64_t cow_copies;    /* ... resolved by copying the frame */
	uint64_t cow_reuses;    /* ... resolved in place (the last owner) */
	uint64_t
	    cow_overlaps; /* races met: resolved meanwhile, or the frame changed hands mid-copy */
	uint64_t cow_last_frees; /* old frames a copy's drop freed (the other sharers were gone) */
	uint64_t cow_busy_waits; /* faults and walks that waited for another fault's busy PTE */
	uint64_t cow_untouched;  /* copies of a page no hart had accessed since fork: no flush */
	uint64_t tlb_shootdowns; /* shootdowns that reached other harts (SBI RFENCE or IPI) */
	uint64_t tlb_harts;      /* remote harts those reached, in all */
	uint64_t tlb_local_only; /* shootdowns this hart alone needed: a local sfence.vma */
	uint64_t tlb_full_asid;  /* shootdowns that flushed the whole ASID (past the threshold) */
	uint64_t tlb_switch_flushes; /* full flushes at switches (no ASIDs, or a rollover) */
	uint64_t asid_rollovers;     /* ASID generations started */
	uint64_t pt_retired;         /* page-table pages taken out of a live address space */
	uint64_t pt_freed;           /* ... freed, each after a whole flush of its address space */
	uint64_t tlb_table_flushes;  /* whole-ASID shootdowns owed to table pages leaving */
	uint64_t ptshare_links;      /* level-0 tables fork shared with a child (one link each) */
	uint64_t fork_leaves;        /* leaf PTEs fork copied one by one (a frame reference each) */
	uint64_t ptshare_wakes;      /* dormant links made valid again (first access after fork) */
	uint64_t ptshare_protects;   /* shared tables write-protected by their first waker */
	uint64_t ptshare_copies;     /* shared tables copied for one sharer at its first change */
	uint64_t ptshare_takeovers;  /* shared tables taken over in place by their last sharer */
	uint64_t ptshare_frees;      /* shared tables freed by their last link (frames dropped) */
	uint64_t ptshare_drops;      /* shared tables an unmap of their whole 2 MiB let go of */
	uint64_t audit_runs;         /* debug image: global count audits that ran (at settles) */
	uint64_t audit_skipped;      /* ... skipped: something changed the counts meanwhile */
	uint64_t audit_tables;       /* ... tables the last one checked */
	uint64_t audit_frames;       /* ... frames the last one checked */
	uint64_t ptlock_retries;     /* faults whose table's link changed while they locked it */
	uint64_t ptlock_grace_waits; /* table frees that waited for a fault's lockless walk */
	uint64_t cow_fork_waits;     /* COW copies that waited for a fork's shootdown */
	uint64_t cache_lock_waits;   /* per-hart frame cache locks found held (remote drains) */
	uint64_t mega_maps; /* 2 MiB megapages mapped (an order-9 block each), fills included */
	uint64_t mega_fallbacks;    /* 2 MiB slots mapped with 4 KiB pages: no block free */
	uint64_t mega_splits;       /* megapages broken into 512 4 KiB leaves (a table each) */
	uint64_t mega_whole_reuses; /* COW megapages made writable whole by their only owner */
	uint64_t mega_whole_frees;  /* megapage blocks freed whole (order 9) */
	uint64_t mega_part_frees;   /* blocks whose last whole map left 4 KiB references */
	uint64_t page_faults;   /* faults resolved by a change: COW copies and reuses, first-touch
	                             * fills, whole reuses (no spurious or killing fault) */
	uint64_t mega_reserves; /* 2 MiB slots of sbrk and mmap reserved for their first touch */
	uint64_t mega_fills;    /* ... first touches that filled one (a megapage or 4 KiB pages) */
};

#endif
