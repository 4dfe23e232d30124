/*
 * frame.h: the frame table, one struct frame per physical page that the
 * allocator manages, and the kernel's frame allocation API.
 *
 * The table covers one contiguous span of page frame numbers, from the first
 * free page of physmem (rounded down to a 2^BUDDY_MAX_ORDER boundary, so that
 * buddy arithmetic on table indices matches physical alignment) to the last.
 * Frames in that span that are not free memory (holes between ranges, the
 * reserved ranges, the table itself) are FRAME_RESERVED forever.
 *
 * Ownership and locking of the fields of a struct frame:
 *  - refs: atomic (__atomic builtins), by whoever holds a reference.
 *  - state, order: by the frame's current owner, which is exactly one of
 *    the buddy allocator (under its lock), a per-hart cache (under that
 *    cache's lock), or the holder(s) of the allocated block.
 *  - next, prev: links of the one frame_list the frame is on (buddy free
 *    list, slab list, or a batch of retired page-table pages, pt_frames.h),
 *    guarded by that list's lock (a retired batch: its owner's lock).
 *  - flags, slab_*: by the allocated block's owner (the slab's class lock
 *    for slab pages).
 *  - pt_share (shares its bytes with slab_inuse and slab_free): a page-table
 *    page's count of links and its protection bits, atomic, by every
 *    address space that links the table (ptshare.h); its lock bit is the
 *    table's lock (ptlock.h).
 *  - pt_lock_last: a page-table page: written by the holder of its lock.
 * Free frames (in the buddy or a cache) have refs == 0; an allocated block's
 * head frame holds the block's count; tail frames of a block keep refs == 0
 * and state FRAME_TAIL.
 */
#ifndef KINE_MM_FRAME_H
#define KINE_MM_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "src/mm/phys.h"
#include "src/mm/physmem.h"

/* Orders 0..BUDDY_MAX_ORDER: blocks of 4 KiB up to 4 MiB. */
#define BUDDY_MAX_ORDER 10

/* A null frame index in next/prev and list heads. */
#define FRAME_NONE UINT32_MAX

enum frame_state {
	FRAME_TAIL = 0,     /* inside a block whose head is another frame */
	FRAME_RESERVED = 1, /* never managed: hole, reservation, the table */
	FRAME_BUDDY = 2,    /* head of a free block in the buddy allocator */
	FRAME_CACHED = 3,   /* a free order-0 frame in a per-hart cache */
	FRAME_ALLOCATED = 4 /* head of an allocated block of 2^order frames */
};

/* flags: what the owner of an allocated block uses it for. */
#define FRAME_F_SLAB    0x0001u /* a slab page (slab.c) */
#define FRAME_F_KMALLOC 0x0002u /* a kmalloc() block larger than a slab object */
#define FRAME_F_MEGA    0x0004u /* a frame of a megapage's block (megapage.h) */

/*
 * 24 bytes (checked in frame.c; at most 32 allowed): 0.6% of RAM. There is
 * room for one more 64-bit field before the limit.
 */
struct frame {
	uint32_t refs;       /* references to the block; atomic */
	uint8_t state;       /* enum frame_state */
	uint8_t order;       /* block order, for FRAME_BUDDY and FRAME_ALLOCATED */
	uint16_t flags;      /* FRAME_F_* */
	uint32_t next, prev; /* frame_list links, frame indices or FRAME_NONE */
	union {
		struct {
			uint16_t slab_inuse; /* slab: objects handed out */
			uint16_t slab_free;  /* slab: page offset of the first free object */
		};
		uint32_t pt_share; /* a page-table page: its links and bits (ptshare.h); atomic */
	};
	uint8_t slab_class;   /* slab: size class index */
	uint8_t alloc_hart;   /* the hart that allocated the block (remote-free statistics) */
	uint8_t pt_lock_last; /* a page-table page: its lock's last holder (ptlock.h) */
	uint8_t pad;
};

/*
 * Build the table from the free memory in pm: carve the table out of the
 * first free range big enough, mark everything else free in the buddy
 * allocator, and reset the per-hart caches and the counters. Called once
 * on the boot hart before other harts allocate (the host tests call it
 * again for each fresh arena). fatal() if the table does not fit.
 */
void frames_init(const struct physmem *pm);

/*
 * The table itself, for the inline fast paths below: fork and exit take
 * and drop one reference per resident page, and a call per page would cost
 * more than the atomic. Written by frames_init() only, read-only after.
 */
extern struct frame *frame_table;
extern uint64_t frame_table_base_pfn; /* pfn of frame_table[0] */
extern uint64_t frame_table_len;      /* frames in the table; 0 before frames_init() */

/* The fatal ends of the fast paths (frame.c): they name the frame and the caller. */
void frame_bad_pa(paddr_t pa, void *caller) __attribute__((noreturn));
void frame_bad_get(struct frame *f, uint32_t old, void *caller) __attribute__((noreturn));
bool frame_put_last(struct frame *f, uint32_t old, void *caller);

/*
 * The table's three globals, for a loop that looks up a frame at each step
 * (fork's and exit's loops over a level-1 table's 512 links): loaded once
 * before it, since pa_to_frame loads them again at every call (an AMO or a
 * volatile store between two calls is a barrier no load moves across).
 */
struct frame_map {
	struct frame *table;
	uint64_t base_pfn;
	uint64_t len;
};

static inline struct frame_map frame_map_now(void)
{
	return (struct frame_map){frame_table, frame_table_base_pfn, frame_table_len};
}

/* The frame of a managed physical address (any byte of the page), through map. */
static inline __attribute__((always_inline)) struct frame *frame_map_at(const struct frame_map *map,
									paddr_t pa)
{
	/* Below the table's first pfn wraps around to a huge index. */
	uint64_t i = (pa >> PAGE_SHIFT) - map->base_pfn;

	if (i >= map->len)
		frame_bad_pa(pa, __builtin_return_address(0));
	return &map->table[i];
}

/*
 * The frame of a managed physical address (any byte of the page). Its own
 * body, not frame_map_at's over frame_map_now: loading frame_table before
 * the bound check costs the reuse fault an instruction (601 against 600).
 */
static inline struct frame *pa_to_frame(paddr_t pa)
{
	uint64_t i = (pa >> PAGE_SHIFT) - frame_table_base_pfn;

	if (i >= frame_table_len)
		frame_bad_pa(pa, __builtin_return_address(0));
	return &frame_table[i];
}

paddr_t frame_to_pa(const struct frame *f);

/* Index <-> frame, for lists that link frames by index. */
uint32_t frame_index(const struct frame *f);
struct frame *frame_at(uint32_t index);

/* Frames in the table, and how many of them are managed (not reserved). */
uint64_t frames_total(void);
uint64_t frames_managed(void);

/*
 * Make the allocated block at pa (2^order pages, one reference) into 2^order
 * allocated order-0 frames of one reference each, to be freed one by one
 * (page-table pages come so, in runs whose struct frames lie together:
 * pt_frames.c). Fatal if pa is not such a block.
 */
void frame_split(paddr_t pa, unsigned order);

/*
 * The inverse of frame_split: the 2^order order-0 frames at pa (naturally
 * aligned), each allocated and held once, become one block held once, to
 * be freed whole (frame_put_pa(pa, order)). Fatal if any frame is not so.
 */
void frame_merge(paddr_t pa, unsigned order);

/*
 * fn gives back the free frames a user of the allocator keeps in reserve
 * (the page-table runs, pt_frames.c): frame_alloc(0) calls it when it
 * finds no frame, then tries once more, so that a reserve never makes an
 * allocation fail that the free memory could serve. fn must take no lock
 * that a caller of frame_alloc may hold. Set once, at boot.
 */
void frame_on_shortage(void (*fn)(void));

/* Whether this build poisons freed frames (the debug image). */
bool frame_poison_enabled(void);

/*
 * Reference counts of allocated blocks (f is the block's head frame).
 * frame_get() needs a reference already (relaxed: it orders nothing).
 * frame_put() is acq_rel: the release half publishes this holder's writes
 * to the frame, the acquire half lets the hart that drops the last
 * reference see every other holder's writes before it frees the block. The
 * last put frees the block and returns true; a count that would go below
 * zero (or a get from zero, or past the maximum) is fatal.
 */
static inline void frame_get(struct frame *f)
{
	uint32_t old = __atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);

	if (old == 0 || old == UINT32_MAX)
		frame_bad_get(f, old, __builtin_return_address(0));
}

static inline bool frame_put(struct frame *f)
{
	uint32_t old = __atomic_fetch_sub(&f->refs, 1, __ATOMIC_ACQ_REL);

	if (old > 1)
		return false;
	return frame_put_last(f, old, __builtin_return_address(0));
}

/* f's reference count now (a snapshot: other holders may change it at once). */
static inline uint32_t frame_refcount(const struct frame *f)
{
	return __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
}

/*
 * The allocation API for the rest of the kernel. frame_alloc() returns the
 * physical address of a naturally aligned block of 2^order frames with a
 * reference count of 1, or 0 when memory is exhausted (order 0 first drains
 * every hart's cache). frame_put_pa() drops the caller's reference (the last
 * one frees the block and returns true); order must be the order it was
 * allocated with.
 */
paddr_t frame_alloc(unsigned order);
paddr_t frame_alloc_zeroed(unsigned order);
bool frame_put_pa(paddr_t pa, unsigned order);

/*
 * Doubly linked lists of frames by index, for the buddy's free lists and
 * the slab's lists. The caller holds the lock that guards the list.
 */
struct frame_list {
	uint32_t head;
	uint32_t count;
};

void frame_list_init(struct frame_list *l);
void frame_list_push(struct frame_list *l, struct frame *f);
void frame_list_remove(struct frame_list *l, struct frame *f);
struct frame *frame_list_pop(struct frame_list *l); /* NULL if empty */

#endif
