/*
 * frame.c: the frame table, reference counts, and the frame allocation API
 * (frame_alloc/frame_put_pa), which routes order 0 through this hart's cache
 * and larger orders straight to the buddy allocator.
 *
 * The table (frame_table, frame_table_base_pfn, frame_table_len, managed)
 * is written only by frames_init(), before any other hart allocates, and
 * is read-only afterwards, so reading it takes no lock. See frame.h for
 * who guards each field of a struct frame, and for the reference counts,
 * whose fast paths are inline there; their slow ends are here.
 *
 * With KINE_MM_POISON, every free block is filled with FRAME_POISON (from
 * frames_init() on), and every allocation checks the whole block, so a
 * write to a freed frame is reported at the next allocation of that frame.
 */
#include "src/mm/frame.h"

#include <stddef.h>

#include "src/base/check.h"
#include "src/lib/mem.h"
#include "src/lib/string.h"
#include "src/mm/buddy.h"
#include "src/mm/frame_cache.h"
#include "src/mm/memstat.h"
#include "src/sched/hart_local.h"

_Static_assert(sizeof(struct frame) <= 32, "struct frame must stay small: one per page");
_Static_assert(sizeof(struct frame) == 24, "frame.h documents 24 bytes");

struct frame *frame_table;
uint64_t frame_table_base_pfn;
uint64_t frame_table_len;
static uint64_t managed; /* frames handed to the buddy allocator */

/* ---- the table ---- */

void frame_bad_pa(paddr_t pa, void *caller)
{
	fatal("pa_to_frame: %#llx is outside the frame table, caller %p", (unsigned long long)pa,
	      caller);
}

paddr_t frame_to_pa(const struct frame *f)
{
	return (paddr_t)(frame_table_base_pfn + frame_index(f)) << PAGE_SHIFT;
}

uint32_t frame_index(const struct frame *f)
{
	CHECK(f >= frame_table && f < frame_table + frame_table_len);
	return (uint32_t)(f - frame_table);
}

struct frame *frame_at(uint32_t index)
{
	CHECK(index < frame_table_len);
	return &frame_table[index];
}

uint64_t frames_total(void)
{
	return frame_table_len;
}

uint64_t frames_managed(void)
{
	return managed;
}

/* ---- poisoning (debug builds) ---- */

bool frame_poison_enabled(void)
{
#ifdef KINE_MM_POISON
	return true;
#else
	return false;
#endif
}

#ifdef KINE_MM_POISON
#define FRAME_POISON 0xf4eef4eef4eef4eeull

static void poison_fill(const struct frame *f, unsigned order)
{
	uint64_t *p = phys_to_virt(frame_to_pa(f));

	for (size_t i = 0; i < (PAGE_SIZE << order) / sizeof(*p); i++)
		p[i] = FRAME_POISON;
}

/* Report the first byte that differs: that is where the stray write landed. */
static void poison_check(const struct frame *f, unsigned order)
{
	const uint64_t pattern = FRAME_POISON;
	paddr_t pa = frame_to_pa(f);
	const uint8_t *p = phys_to_virt(pa), *want = (const uint8_t *)&pattern;

	for (size_t off = 0; off < (PAGE_SIZE << order); off++)
		if (p[off] != want[off % sizeof(pattern)])
			fatal("frame %#llx: written after free: poison broken at offset %#lx",
			      (unsigned long long)pa, (unsigned long)off);
}
#else
static void poison_fill(const struct frame *f, unsigned order)
{
	(void)f;
	(void)order;
}

static void poison_check(const struct frame *f, unsigned order)
{
	(void)f;
	(void)order;
}
#endif

/* ---- building the table ---- */

/* The end of the first free range big enough for the table, where it goes. */
static paddr_t place_table(const struct physmem *pm, uint64_t bytes)
{
	for (int i = 0; i < pm->nfree; i++)
		if (pm->free[i].size >= bytes)
			return pm->free[i].base + pm->free[i].size - bytes;
	fatal("frames_init: no free range holds the %llu-byte frame table",
	      (unsigned long long)bytes);
}

/*
 * Give frames [first, end) to the buddy allocator as the largest naturally
 * aligned blocks that fit, each going through buddy_free() and thus its
 * checks. A block enters as "allocated with refcount 0", as buddy_free()
 * expects.
 */
static void give_to_buddy(uint32_t first, uint32_t end)
{
	for (uint32_t i = first; i < end; i++)
		frame_table[i].state = FRAME_TAIL;
	while (first < end) {
		unsigned order = 0;

		while (order < BUDDY_MAX_ORDER && (first & ((2u << order) - 1)) == 0 &&
		       first + (2u << order) <= end)
			order++;
		frame_table[first].state = FRAME_ALLOCATED;
		frame_table[first].order = (uint8_t)order;
		poison_fill(&frame_table[first], order);
		buddy_free(&frame_table[first], order);
		managed += 1u << order;
		first += 1u << order;
	}
}

void frames_init(const struct physmem *pm)
{
	uint64_t first_pfn, end_pfn, bytes;
	paddr_t table_pa;

	CHECK(pm->nfree > 0);
	first_pfn = pm->free[0].base >> PAGE_SHIFT;
	end_pfn = (pm->free[pm->nfree - 1].base + pm->free[pm->nfree - 1].size) >> PAGE_SHIFT;
	/* Aligned base: table index alignment == physical alignment. */
	frame_table_base_pfn = first_pfn & ~((1ull << BUDDY_MAX_ORDER) - 1);
	frame_table_len = end_pfn - frame_table_base_pfn;
	if (frame_table_len >= FRAME_NONE)
		fatal("frames_init: %llu frames do not fit 32-bit indices",
		      (unsigned long long)frame_table_len);
	bytes = PAGE_ALIGN_UP(frame_table_len * sizeof(struct frame));
	table_pa = place_table(pm, bytes);
	frame_table = phys_to_virt(table_pa);
	managed = 0;

	for (uint64_t i = 0; i < frame_table_len; i++) {
		memset(&frame_table[i], 0, sizeof(frame_table[i]));
		frame_table[i].state = FRAME_RESERVED;
		frame_table[i].next = frame_table[i].prev = FRAME_NONE;
	}
	buddy_init();
	frame_cache_init();
	for (int r = 0; r < pm->nfree; r++) {
		paddr_t base = pm->free[r].base, end = base + pm->free[r].size;

		if (table_pa >= base && table_pa < end)
			end = table_pa; /* the table sits at the end of this range */
		if (end > base)
			give_to_buddy((uint32_t)((base >> PAGE_SHIFT) - frame_table_base_pfn),
				      (uint32_t)((end >> PAGE_SHIFT) - frame_table_base_pfn));
	}
	memstat_reset();
}

/* ---- reference counts ---- */

void frame_bad_get(struct frame *f, uint32_t old, void *caller)
{
	fatal("frame_get: frame %#llx has reference count %u, caller %p",
	      (unsigned long long)frame_to_pa(f), old, caller);
}

/* refs reached 0: the block is ours alone; back to a cache or the buddy. */
static void frame_release(struct frame *f)
{
	unsigned order = f->order;
	int hart;

	CHECK(f->state == FRAME_ALLOCATED);
	f->flags = 0;
	poison_fill(f, order);
	hart = hart_local_begin();
	memstat_count_on(hart, MEMSTAT_FREE);
	/* A frame that crosses harts moves its cache lines (and its cache slot) with it. */
	if (f->alloc_hart != hart)
		memstat_count_on(hart, MEMSTAT_REMOTE_FREE);
	if (order == 0)
		frame_cache_free(hart, f);
	else
		buddy_free(f, order);
	hart_local_end();
}

/* frame_put() took the count from old, 0 or 1: below zero is fatal, 1 was the last. */
bool frame_put_last(struct frame *f, uint32_t old, void *caller)
{
	if (old == 0)
		fatal("frame_put: reference count below zero: frame %#llx, caller %p",
		      (unsigned long long)frame_to_pa(f), caller);
	frame_release(f);
	return true;
}

static bool frame_put_from(struct frame *f, void *caller)
{
	uint32_t old = __atomic_fetch_sub(&f->refs, 1, __ATOMIC_ACQ_REL);

	return old > 1 ? false : frame_put_last(f, old, caller);
}

/* ---- the allocation API ---- */

static void (*shortage_hook)(void); /* set once at boot (frame_on_shortage) */

void frame_on_shortage(void (*fn)(void))
{
	shortage_hook = fn;
}

static struct frame *frame_take(unsigned order)
{
	struct frame *f;
	int hart = hart_local_begin();

	f = order == 0 ? frame_cache_alloc(hart) : buddy_alloc(order);
	if (f) {
		memstat_count_on(hart, MEMSTAT_ALLOC);
		f->alloc_hart = (uint8_t)hart;
	}
	hart_local_end();
	return f;
}

paddr_t frame_alloc(unsigned order)
{
	struct frame *f;

	CHECK(order <= BUDDY_MAX_ORDER);
	f = frame_take(order);
	if (f == NULL && order == 0 && shortage_hook != NULL) {
		shortage_hook(); /* free frames held in reserve come back: try once more */
		f = frame_take(order);
	}
	if (f == NULL)
		return 0;
	CHECK(f->state == FRAME_ALLOCATED && f->order == order);
	CHECK(frame_refcount(f) == 0 && f->flags == 0);
	poison_check(f, order);
	__atomic_store_n(&f->refs, 1, __ATOMIC_RELAXED);
	return frame_to_pa(f);
}

/*
 * Zero a block page by page with the unrolled word loop (src/lib/mem.c):
 * every page-table page of every fork comes through here.
 */
_Static_assert(PAGE_SIZE == PAGE_COPY_SIZE, "page_zero_words zeroes one page");

static void block_zero(paddr_t pa, unsigned order)
{
	uint8_t *p = phys_to_virt(pa);

	for (size_t i = 0; i < ((size_t)1 << order); i++)
		page_zero_words(p + i * PAGE_SIZE);
}

paddr_t frame_alloc_zeroed(unsigned order)
{
	paddr_t pa = frame_alloc(order);

	if (pa)
		block_zero(pa, order);
	return pa;
}

void frame_split(paddr_t pa, unsigned order)
{
	struct frame *head = pa_to_frame(pa);

	if ((pa & (PAGE_SIZE - 1)) != 0 || head->state != FRAME_ALLOCATED || head->order != order ||
	    frame_refcount(head) != 1)
		fatal("frame_split: %#llx order %u is not a block held once (state %u, order %u, "
		      "refs %u)",
		      (unsigned long long)pa, order, head->state, head->order,
		      frame_refcount(head));
	for (size_t i = 1; i < ((size_t)1 << order); i++) {
		struct frame *f = head + i;

		CHECK(f->state == FRAME_TAIL && frame_refcount(f) == 0);
		f->flags = 0;
		f->order = 0;
		f->alloc_hart = head->alloc_hart;
		f->state = FRAME_ALLOCATED;
		__atomic_store_n(&f->refs, 1, __ATOMIC_RELAXED);
	}
	head->order = 0;
	/* Each page is freed on its own now: count each as allocated, as a free counts it. */
	(void)hart_local_begin();
	for (size_t i = 1; i < ((size_t)1 << order); i++)
		memstat_count(MEMSTAT_ALLOC);
	hart_local_end();
}

void frame_merge(paddr_t pa, unsigned order)
{
	struct frame *head = pa_to_frame(pa);
	size_t n = (size_t)1 << order;

	if ((frame_index(head) & (n - 1)) != 0)
		fatal("frame_merge: %#llx is not aligned to order %u", (unsigned long long)pa,
		      order);
	for (size_t i = 0; i < n; i++) {
		struct frame *f = head + i;

		if (f->state != FRAME_ALLOCATED || f->order != 0 || frame_refcount(f) != 1)
			fatal("frame_merge: frame %#llx of %#llx order %u is not a frame held once "
			      "(state %u, order %u, refs %u)",
			      (unsigned long long)frame_to_pa(f), (unsigned long long)pa, order,
			      f->state, f->order, frame_refcount(f));
	}
	for (size_t i = 1; i < n; i++) {
		struct frame *f = head + i;

		f->flags = 0;
		f->state = FRAME_TAIL;
		__atomic_store_n(&f->refs, 0, __ATOMIC_RELAXED);
	}
	head->order = (uint8_t)order;
	/* frame_split counted each tail as allocated: they leave now, as one free counts them. */
	(void)hart_local_begin();
	for (size_t i = 1; i < n; i++)
		memstat_count(MEMSTAT_FREE);
	hart_local_end();
}

bool frame_put_pa(paddr_t pa, unsigned order)
{
	struct frame *f = pa_to_frame(pa);

	if ((pa & (PAGE_SIZE - 1)) != 0 || f->state != FRAME_ALLOCATED || f->order != order)
		fatal(
		    "frame_put_pa: %#llx order %u is not an allocated block (state %u, order %u), "
		    "caller %p",
		    (unsigned long long)pa, order, f->state, f->order, __builtin_return_address(0));
	return frame_put_from(f, __builtin_return_address(0));
}

/* ---- lists of frames by index ---- */

void frame_list_init(struct frame_list *l)
{
	l->head = FRAME_NONE;
	l->count = 0;
}

void frame_list_push(struct frame_list *l, struct frame *f)
{
	uint32_t i = frame_index(f);

	CHECK(f->next == FRAME_NONE && f->prev == FRAME_NONE && l->head != i);
	f->next = l->head;
	if (l->head != FRAME_NONE)
		frame_at(l->head)->prev = i;
	l->head = i;
	l->count++;
}

void frame_list_remove(struct frame_list *l, struct frame *f)
{
	uint32_t i = frame_index(f);

	CHECK(l->count > 0);
	if (f->prev == FRAME_NONE) {
		CHECK(l->head == i);
		l->head = f->next;
	} else {
		frame_at(f->prev)->next = f->next;
	}
	if (f->next != FRAME_NONE)
		frame_at(f->next)->prev = f->prev;
	f->next = f->prev = FRAME_NONE;
	l->count--;
}

struct frame *frame_list_pop(struct frame_list *l)
{
	struct frame *f;

	if (l->head == FRAME_NONE)
		return NULL;
	f = frame_at(l->head);
	frame_list_remove(l, f);
	return f;
}
