/*
 * malloc.c: the user heap, a first-fit allocator over sbrk.
 *
 * Every block, free or in use, begins with a struct block whose size
 * counts the whole block (header included) and is a multiple of ALIGN, so
 * every pointer handed out is ALIGN-aligned. Free blocks also sit on one
 * list sorted by address:
 *  - malloc takes the first free block that is large enough; if the rest
 *    would make a useful block, it keeps the front on the list and hands
 *    out the tail (so the list needs no relinking);
 *  - free puts a block back in address order and merges it with the free
 *    neighbours it touches, so the list never holds two adjacent blocks;
 *  - when nothing fits, the heap grows by sbrk (GROW_MIN at least) and the
 *    new memory is freed into the list, merging with the old top block.
 * Memory is never returned to the kernel. One lock, taken by spinning
 * with yield(), covers the list, so threads may share the heap.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kine/user.h"

#define ALIGN     16
#define GROW_MIN  (64 * 1024)
#define MAX_ALLOC ((size_t)1 << 40) /* larger than any user address space */

struct block {
	size_t size;        /* bytes, header included; a multiple of ALIGN */
	struct block *next; /* next free block by address (free blocks only) */
};

_Static_assert(sizeof(struct block) == ALIGN, "a header keeps payloads aligned");

#define MIN_BLOCK (2 * sizeof(struct block)) /* a split leaves no smaller piece */

static struct block *free_list; /* sorted by address; guarded by heap_lock */
static int heap_lock;

static void heap_acquire(void)
{
	while (__atomic_exchange_n(&heap_lock, 1, __ATOMIC_ACQUIRE))
		yield();
}

static void heap_release(void)
{
	__atomic_store_n(&heap_lock, 0, __ATOMIC_RELEASE);
}

static bool touches(const struct block *a, const struct block *b)
{
	return (const char *)a + a->size == (const char *)b;
}

/* Put b on the free list in address order, merged with the neighbours it touches. */
static void insert_free(struct block *b)
{
	struct block *prev = NULL, *next = free_list;

	while (next != NULL && next < b) {
		prev = next;
		next = next->next;
	}
	b->next = next;
	if (next != NULL && touches(b, next)) {
		b->size += next->size;
		b->next = next->next;
	}
	if (prev != NULL && touches(prev, b)) {
		prev->size += b->size;
		prev->next = b->next;
	} else if (prev != NULL) {
		prev->next = b;
	} else {
		free_list = b;
	}
}

/* Take a block of exactly size bytes (or a little more) off the list; NULL if none fits. */
static struct block *take_first_fit(size_t size)
{
	struct block *prev = NULL, *b, *tail;

	for (b = free_list; b != NULL; prev = b, b = b->next) {
		if (b->size < size)
			continue;
		if (b->size - size >= MIN_BLOCK) {
			b->size -= size;
			tail = (struct block *)((char *)b + b->size);
			tail->size = size;
			return tail;
		}
		if (prev != NULL)
			prev->next = b->next;
		else
			free_list = b->next;
		return b;
	}
	return NULL;
}

/* Add at least size bytes (a multiple of ALIGN) to the free list; false if sbrk refuses. */
static bool grow(size_t size)
{
	size_t want = size < GROW_MIN ? GROW_MIN : size;
	char *p = sbrk((long)(want + ALIGN));
	uintptr_t start;
	struct block *b;

	if (p == (void *)-1)
		return false;
	/* The break is page-aligned unless someone else called sbrk: align it. */
	start = ((uintptr_t)p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
	b = (struct block *)start;
	b->size = (want + ALIGN - (start - (uintptr_t)p)) & ~(size_t)(ALIGN - 1);
	insert_free(b);
	return true;
}

void *malloc(size_t n)
{
	size_t size;
	struct block *b;

	if (n > MAX_ALLOC)
		return NULL;
	size = sizeof(struct block) + ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1));
	heap_acquire();
	b = take_first_fit(size);
	if (b == NULL && grow(size))
		b = take_first_fit(size);
	heap_release();
	return b != NULL ? b + 1 : NULL;
}

void free(void *p)
{
	if (p == NULL)
		return;
	heap_acquire();
	insert_free((struct block *)p - 1);
	heap_release();
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > MAX_ALLOC / size)
		return NULL;
	if ((p = malloc(n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

/* A block that is already large enough is kept; otherwise the bytes move. */
void *realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (p == NULL)
		return malloc(n);
	have = ((struct block *)p - 1)->size - sizeof(struct block);
	if (n <= have)
		return p;
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, have);
	free(p);
	return q;
}
