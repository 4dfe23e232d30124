/*
 * megapage.h: 2 MiB megapages for private anonymous memory (megapage.c,
 * docs/cow.md "Megapages").
 *
 * A megapage is a level-1 leaf over an order-9 block. The block is split
 * into 512 order-0 frames when it is allocated (frame_split), so that each
 * 4 KiB frame can go back to the allocator on its own once a process has
 * broken the megapage up; its references are counted in two places:
 *
 *  - maps, one word per 2 MiB of the frame table in an array of their own
 *    (megapage.c): the level-1 leaves, in every address space, that map
 *    the block whole. Atomic. Fork adds one: one atomic per 2 MiB, no
 *    frame count touched.
 *  - each frame's own refs: the level-0 leaves that map it (a process that
 *    split its megapage holds one per frame), the transient references of
 *    copies in flight, plus ONE for all the whole maps together while maps
 *    is above 0. So a 4 KiB COW fault on a frame of a block that some
 *    other process still maps whole sees refs > 1 and copies, as it must.
 *
 * The last whole map to go (maps 1 -> 0) drops that one reference from
 * every frame: if each frame held nothing else, the block goes back whole
 * (frame_merge, one order-9 free); otherwise each frame goes as its last
 * reference goes. Nobody can gain a reference to a frame whose refs are 1
 * with maps at 0 (a new reference is always taken from one held), so that
 * decision cannot race.
 *
 * Every megapage leaf changes under mm->lock alone: the faults that reach
 * one (megapage_fault) take it, as layout changes do. They are rare (one
 * per 2 MiB, per fork). Level-0 tables keep their own locks (ptlock.h).
 *
 * Which mappings get megapages: every 2 MiB-aligned 2 MiB wholly inside one
 * private anonymous mapping (mm_map_anon_locked), when megapages are on
 * (boot option thp=on, the default; thp=off maps 4 KiB pages only). The
 * heap's growth (sbrk) and private mmap reserve each such 2 MiB as a lazy
 * slot (pagetable.h), filled at its first touch: with an order-9 block if
 * the buddy has one free, else with 512 4 KiB pages, counted as a
 * fallback. The rest of a mapping, and exec's image, are mapped at once
 * (exec's 2 MiB, if any, as megapages). MAP_SHARED mappings and the
 * eager-fork baseline image never get them.
 */
#ifndef KINE_MM_MEGAPAGE_H
#define KINE_MM_MEGAPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/arch/riscv/pte.h"
#include "src/mm/cow.h"
#include "src/mm/mm.h"
#include "src/mm/phys.h"

#define MEGAPAGE_SIZE  SV39_SIZE_2M
#define MEGAPAGE_ORDER 9 /* 512 frames */

/* The blocks' counts, after frames_init and slab_init, before the first process. */
void megapage_init(void);

/* Megapages on (thp=on, the default) or off: megapage_set, at boot. */
extern bool megapage_enabled;

/*
 * Turn megapages on or off before the first process maps memory; returns
 * whether they are on (never in the eager-fork baseline, which has no
 * 2 MiB copy for its fork).
 */
bool megapage_set(bool on);

/*
 * Fault injection, the debug image only (boot option thp=extramap): the
 * first megapage fork takes one whole map too many, a leak the count audit
 * (ptshare.c) must name at the next settle.
 */
extern bool megapage_extra_map;

/* The counters (atomic; memstat reports them). */
struct megapage_stats {
	uint64_t maps;         /* megapages mapped (order-9 blocks taken), fills included */
	uint64_t reserves;     /* 2 MiB slots of sbrk and mmap reserved, to fill at first touch */
	uint64_t fills;        /* ... first touches that filled one (a megapage, or a fallback) */
	uint64_t fallbacks;    /* 2 MiB slots mapped with 4 KiB pages: no order-9 block free */
	uint64_t splits;       /* megapage leaves broken into a table of 4 KiB leaves */
	uint64_t whole_reuses; /* COW megapages made writable whole: the writer owned it alone */
	uint64_t whole_frees;  /* blocks freed whole (order 9) by their last reference */
	uint64_t part_frees;   /* blocks whose last whole map left other 4 KiB references */
};
extern struct megapage_stats megapage_stats;

/*
 * Map the 2 MiB at va (aligned; its level-1 slot empty) with a fresh zeroed
 * megapage, leaf bits `leaf` (R, W, X, U as pt_map takes them). Under
 * mm->lock. false, with nothing changed, if megapages are off, no order-9
 * block is free (a fallback) or no level-1 table could be had: the caller
 * maps 4 KiB pages instead.
 */
bool megapage_map(struct mm *mm, uintptr_t va, uint64_t leaf);

/*
 * Reserve the 2 MiB at va (aligned; its level-1 slot empty) for memory with
 * leaf bits `leaf`, to be filled at its first touch (megapage_fault): a
 * lazy slot (pagetable.h), no frame. Under mm->lock. false, with nothing
 * changed, if megapages are off or no level-1 table could be had: the
 * caller maps 4 KiB pages instead.
 */
bool megapage_reserve(struct mm *mm, uintptr_t va, uint64_t leaf);

/*
 * Fork: share the megapage leaf *link of the parent with the child's empty
 * slot *child. A private writable leaf becomes COW in the parent (true:
 * the parent's translations must be flushed), with A as cow_a (mm.c,
 * mm_cow_accessed: clear where the harts set A themselves, so that a split
 * of a megapage no hart touched since fork leaves 4 KiB leaves whose copy
 * needs no shootdown); one more whole map. A lazy slot is copied as it is:
 * each address space fills its own.
 */
bool megapage_fork(pte_t *link, pte_t *child, uint64_t cow_a);

/*
 * A fault at va found a megapage leaf or a lazy slot (ptlock_find:
 * PTLOCK_HUGE). Under mm->lock: a lazy slot is filled (a megapage, or 4 KiB
 * pages where no block is free) if the mapping allows the access, and the
 * access runs again; an access the leaf allows runs again; a write to a COW megapage
 * makes it writable whole when this mm is its only owner, and otherwise
 * splits it into 4 KiB COW leaves, for the 4 KiB COW fault to copy one page:
 * MEGAPAGE_SPLIT, and the caller starts the fault over. Otherwise 0 (the
 * access may run again), -EFAULT or -ENOMEM.
 */
#define MEGAPAGE_SPLIT 1
int megapage_fault(struct mm *mm, uintptr_t va, enum cow_access access);

/*
 * Under mm->lock, before a change of [va, va + size) that works on 4 KiB
 * leaves (munmap, mprotect): split every megapage the range covers only in
 * part, and fill (then split) every lazy slot it covers in part. 0 or
 * -ENOMEM (no page; what was split or filled before stays so, which
 * changes no mapping).
 */
int megapage_split_range_ends(struct mm *mm, uintptr_t va, size_t size);

/*
 * munmap's part: take out every megapage leaf [va, va + size) covers whole,
 * flush, and drop their whole maps; clear every lazy slot it covers whole.
 * Call after megapage_split_range_ends.
 */
void megapage_unmap_whole(struct mm *mm, uintptr_t va, size_t size);

/*
 * mprotect of [va, va + size) over the lazy slots it covers whole (the
 * ends were filled first): the pages they hold; with apply, their bits
 * become want (R, W, X). Under mm->lock.
 */
size_t megapage_protect_lazy(struct mm *mm, uintptr_t va, size_t size, uint64_t want, bool apply);

/* Drop one whole map of the block pa (exit: no hart can use the leaf any more). */
void megapage_put(paddr_t pa);

/*
 * Direct-map address of user address va inside the megapage leaf e, if it
 * allows the access (copyin/copyout hold mm->lock for it); NULL otherwise.
 */
void *megapage_user_address(pte_t e, uintptr_t va, bool write);

/* The number of whole maps of the block of pa (the debug audit and memory usage). */
uint32_t megapage_maps(paddr_t pa);

#endif
