/*
 * slab.c: size-class object allocation on top of frames (see slab.h).
 *
 * A slab is one order-0 frame whose page is cut into objects of one class.
 * Its struct frame carries all the metadata, so the page holds objects
 * only: flags has FRAME_F_SLAB, slab_class the class, slab_inuse the
 * objects handed out, slab_free the page offset of the first free object.
 * Free objects form a list through their first two bytes (the offset of
 * the next, SLAB_NONE at the end); the smallest class is 16 bytes, so an
 * offset always fits.
 *
 * Each class has its own lock, which guards its lists, its counters and
 * the slab_* fields and page contents' free list of every slab it owns:
 *  - partial: slabs with both free and used objects; allocation takes
 *    from the head.
 *  - empty: at most one slab with no used object, kept so that a class
 *    hovering around a page boundary does not allocate and free a frame
 *    on every call; another slab that empties is released at once, and
 *    slab_settle() releases the kept one.
 *  - full slabs are on no list: kfree finds them through their frame.
 * A slab is on partial, or is empty, or is full; never two of these.
 *
 * Lock order: a class lock is held while calling the frame allocator (which
 * takes a cache lock, then the buddy lock); no frame allocator lock is held
 * while taking a class lock.
 *
 * With KINE_MM_POISON, kfree walks the slab's free list to catch a double
 * free (the object is already on it).
 */
#include "src/mm/slab.h"

#include "src/base/check.h"
#include "src/lib/string.h"
#include "src/mm/memstat.h"
#include "src/sync/spinlock.h"

#define SLAB_NONE 0xffffu

struct slab_class {
	struct spinlock lock;
	struct frame_list partial;
	struct frame *empty; /* the one kept empty slab, or NULL */
	uint64_t slabs;      /* slabs owned: partial + full + empty */
	uint64_t objects;    /* objects handed out */
};

static struct slab_class classes[SLAB_NCLASSES];

static size_t class_size(unsigned cls)
{
	return (size_t)1 << (SLAB_MIN_SHIFT + cls);
}

static uint8_t *slab_page(const struct frame *f)
{
	return phys_to_virt(frame_to_pa(f));
}

/* The link stored in a free object. */
static uint16_t *link_of(const struct frame *f, unsigned off)
{
	return (uint16_t *)(slab_page(f) + off);
}

unsigned slab_class_of(size_t size)
{
	unsigned cls = 0;

	CHECK(size > 0 && size <= SLAB_MAX_SIZE);
	while (class_size(cls) < size)
		cls++;
	return cls;
}

void slab_init(void)
{
	for (unsigned c = 0; c < SLAB_NCLASSES; c++) {
		spin_init(&classes[c].lock, "slab");
		frame_list_init(&classes[c].partial);
		classes[c].empty = NULL;
		classes[c].slabs = 0;
		classes[c].objects = 0;
	}
	memstat_on_settle(slab_settle);
}

/* A fresh slab: every object free, linked in address order. */
static struct frame *slab_create(unsigned cls)
{
	size_t size = class_size(cls);
	paddr_t pa = frame_alloc(0);
	struct frame *f;

	if (pa == 0)
		return NULL;
	f = pa_to_frame(pa);
	f->flags = FRAME_F_SLAB;
	f->slab_class = (uint8_t)cls;
	f->slab_inuse = 0;
	f->slab_free = 0;
	for (unsigned off = 0; off < PAGE_SIZE; off += size)
		*link_of(f, off) = off + size < PAGE_SIZE ? (uint16_t)(off + size) : SLAB_NONE;
	classes[cls].slabs++;
	return f;
}

static void slab_release(struct slab_class *c, struct frame *f)
{
	CHECK(f->slab_inuse == 0 && (f->flags & FRAME_F_SLAB));
	f->flags = 0;
	c->slabs--;
	frame_put_pa(frame_to_pa(f), 0);
}

/* A slab with a free object, made the head of partial; NULL if out of memory. */
static struct frame *slab_with_room(unsigned cls)
{
	struct slab_class *c = &classes[cls];
	struct frame *f;

	if (c->partial.head != FRAME_NONE)
		return frame_at(c->partial.head);
	f = c->empty;
	c->empty = NULL;
	if (f == NULL)
		f = slab_create(cls);
	if (f != NULL)
		frame_list_push(&c->partial, f);
	return f;
}

static void *slab_alloc(unsigned cls)
{
	struct slab_class *c = &classes[cls];
	struct frame *f;
	void *obj = NULL;

	spin_lock(&c->lock);
	f = slab_with_room(cls);
	if (f != NULL) {
		unsigned off = f->slab_free;

		CHECK(off != SLAB_NONE && off % class_size(cls) == 0);
		obj = slab_page(f) + off;
		f->slab_free = *link_of(f, off);
		f->slab_inuse++;
		c->objects++;
		if (f->slab_free == SLAB_NONE)
			frame_list_remove(&c->partial, f); /* now full */
	}
	spin_unlock(&c->lock);
	return obj;
}

/* A whole block for a request too big for any class. */
static void *large_alloc(size_t size)
{
	unsigned order = 0;
	paddr_t pa;

	while ((PAGE_SIZE << order) < size)
		order++;
	pa = frame_alloc(order);
	if (pa == 0)
		return NULL;
	pa_to_frame(pa)->flags = FRAME_F_KMALLOC;
	return phys_to_virt(pa);
}

void *kmalloc(size_t size)
{
	if (size == 0 || size > KMALLOC_MAX_SIZE)
		return NULL;
	if (size > SLAB_MAX_SIZE)
		return large_alloc(size);
	return slab_alloc(slab_class_of(size));
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

#ifdef KINE_MM_POISON
static void check_not_free(const struct frame *f, unsigned off)
{
	for (unsigned o = f->slab_free; o != SLAB_NONE; o = *link_of(f, o))
		if (o == off)
			fatal("kfree: double free of %#llx",
			      (unsigned long long)(frame_to_pa(f) + off));
}
#else
static void check_not_free(const struct frame *f, unsigned off)
{
	(void)f;
	(void)off;
}
#endif

static void slab_free(struct frame *f, unsigned off)
{
	unsigned cls = f->slab_class;
	struct slab_class *c;
	bool was_full;

	CHECK(cls < SLAB_NCLASSES);
	c = &classes[cls];
	spin_lock(&c->lock);
	if (off % class_size(cls) != 0 || f->slab_inuse == 0)
		fatal("kfree: %#llx is not an allocated %zu-byte object",
		      (unsigned long long)(frame_to_pa(f) + off), class_size(cls));
	check_not_free(f, off);
	was_full = f->slab_free == SLAB_NONE;
	*link_of(f, off) = (uint16_t)f->slab_free;
	f->slab_free = (uint16_t)off;
	f->slab_inuse--;
	c->objects--;
	if (was_full)
		frame_list_push(&c->partial, f);
	if (f->slab_inuse == 0) {
		frame_list_remove(&c->partial, f);
		if (c->empty == NULL)
			c->empty = f;
		else
			slab_release(c, f);
	}
	spin_unlock(&c->lock);
}

void kfree(void *ptr)
{
	paddr_t pa;
	struct frame *f;

	if (ptr == NULL)
		return;
	pa = virt_to_phys(ptr);
	f = pa_to_frame(pa);
	if (f->flags & FRAME_F_SLAB) {
		slab_free(f, (unsigned)(pa & (PAGE_SIZE - 1)));
	} else if ((f->flags & FRAME_F_KMALLOC) && (pa & (PAGE_SIZE - 1)) == 0) {
		f->flags = 0;
		frame_put_pa(pa, f->order);
	} else {
		fatal("kfree: %p was not returned by kmalloc", ptr);
	}
}

void slab_settle(void)
{
	for (unsigned c = 0; c < SLAB_NCLASSES; c++) {
		spin_lock(&classes[c].lock);
		if (classes[c].empty != NULL) {
			struct frame *f = classes[c].empty;

			classes[c].empty = NULL;
			slab_release(&classes[c], f);
		}
		spin_unlock(&classes[c].lock);
	}
}

void slab_read(unsigned cls, struct slab_stats *st)
{
	CHECK(cls < SLAB_NCLASSES);
	spin_lock(&classes[cls].lock);
	st->size = class_size(cls);
	st->slabs = classes[cls].slabs;
	st->objects = classes[cls].objects;
	spin_unlock(&classes[cls].lock);
}
