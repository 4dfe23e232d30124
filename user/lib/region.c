/*
 * region.c: memory laid out for the page-table tests (kine/region.h).
 *
 * kine's mmap area hands out addresses upwards and never the same one
 * twice, so the next address is moved by mapping a pad up to the wanted
 * place and unmapping it again.
 */
#include "kine/region.h"
#include "kine/user.h"

#define PAGE 4096ul

int align_mmap_next(unsigned long skip)
{
	char *probe = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	unsigned long next, pad;

	if (probe == (char *)-1)
		return -1;
	next = (unsigned long)probe + PAGE;
	pad = (TABLE_SPAN - (next + skip) % TABLE_SPAN) % TABLE_SPAN;
	munmap(probe, PAGE);
	if (pad == 0)
		return 0;
	probe = mmap(0, pad, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
	if (probe == (char *)-1)
		return -1;
	return munmap(probe, pad);
}

unsigned long *aligned_region(unsigned long size)
{
	unsigned long *p;

	if (align_mmap_next(0) < 0)
		return NULL;
	p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	/* Not on the boundary: something else mapped in between. */
	if (p == (unsigned long *)-1 || (unsigned long)p % TABLE_SPAN != 0)
		return NULL;
	return p;
}

volatile long *shared_page(void)
{
	volatile long *s = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);

	return s == (volatile long *)-1 ? NULL : s;
}
