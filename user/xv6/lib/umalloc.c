/*
 * umalloc.c (xv6 compatibility): malloc and free over sbrk.
 *
 * Every block starts with a 16-byte header holding its size in bytes
 * (header included, a multiple of 16). Free blocks are kept on a list in
 * address order; malloc takes the first one large enough, splitting off
 * and keeping the front when the rest is worth a block of its own; free
 * inserts in order and merges with the neighbours it touches. When
 * nothing fits, the heap grows by at least 64 KiB. Memory is never given
 * back to the kernel. No lock: xv6 programs have one thread.
 */
#include "kernel/types.h"
#include "user/user.h"

#define UNIT     16
#define GROW_MIN (64 * 1024)

struct block {
	uint64 size;        /* bytes, header included */
	struct block *next; /* next free block by address (free blocks only) */
};

static struct block *free_list;

static int adjacent(struct block *a, struct block *b)
{
	return (char *)a + a->size == (char *)b;
}

/* Put b on the free list, merged with the free blocks right before and after it. */
static void insert_free(struct block *b)
{
	struct block *prev = 0, *next = free_list;

	while (next != 0 && next < b) {
		prev = next;
		next = next->next;
	}
	b->next = next;
	if (next != 0 && adjacent(b, next)) {
		b->size += next->size;
		b->next = next->next;
	}
	if (prev == 0) {
		free_list = b;
	} else if (adjacent(prev, b)) {
		prev->size += b->size;
		prev->next = b->next;
	} else {
		prev->next = b;
	}
}

/* Take a block of size bytes off the list (the tail of a larger one), or 0. */
static struct block *take(uint64 size)
{
	struct block **link = &free_list, *b;

	for (b = free_list; b != 0; link = &b->next, b = b->next) {
		if (b->size < size)
			continue;
		if (b->size - size >= 2 * UNIT) {
			b->size -= size;
			b = (struct block *)((char *)b + b->size);
			b->size = size;
		} else {
			*link = b->next;
		}
		return b;
	}
	return 0;
}

/* Add at least size bytes to the free list: 0, or -1 when sbrk refuses. */
static int grow(uint64 size)
{
	uint64 want = size < GROW_MIN ? GROW_MIN : size;
	char *p;
	struct block *b;

	if (want > 0x7fffffff - UNIT)
		return -1;
	p = sbrk((int)(want + UNIT));
	if (p == SBRK_ERROR)
		return -1;
	b = (struct block *)(((uint64)p + UNIT - 1) & ~(uint64)(UNIT - 1));
	b->size = ((uint64)p + want + UNIT - (uint64)b) & ~(uint64)(UNIT - 1);
	insert_free(b);
	return 0;
}

void *malloc(uint n)
{
	uint64 size = sizeof(struct block) + (((uint64)n + UNIT - 1) & ~(uint64)(UNIT - 1));
	struct block *b = take(size);

	if (b == 0 && grow(size) == 0)
		b = take(size);
	return b != 0 ? b + 1 : 0;
}

void free(void *p)
{
	if (p != 0)
		insert_free((struct block *)p - 1);
}
