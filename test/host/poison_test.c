/*
 * poison_test: with KINE_MM_POISON (//src/mm:frames_poison), freed frames
 * hold the poison pattern and an allocation checks it: a write after free
 * is reported with the frame's address and the offset of the first bad
 * byte, on the cached order-0 path and for a frame freed inside a larger
 * block. Honest allocate/free cycles must never trip it.
 */
#include "src/mm/frame.h"
#include "src/mm/memstat.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"

#define BASE 0x80000000ull
#define MiB  (1ull << 20)

static struct physmem pm;

static void fresh(void)
{
	shim_set_hart(0);
	shim_arena(&pm, BASE, 4 * MiB, NULL, 0);
	frames_init(&pm);
}

/* Allocate, use fully, free: many times, every order. */
static void honest(void *arg)
{
	(void)arg;
	for (int round = 0; round < 3; round++) {
		for (unsigned o = 0; o <= 4; o++) {
			paddr_t pa = frame_alloc(o), z = frame_alloc_zeroed(0);

			memset(phys_to_virt(pa), 0x11, PAGE_SIZE << o);
			frame_put_pa(pa, o);
			frame_put_pa(z, 0);
		}
	}
}

/* Write one byte into a frame that sits freed in this hart's cache. */
static void write_after_free(void *arg)
{
	paddr_t pa = frame_alloc(0);

	(void)arg;
	frame_put_pa(pa, 0);
	((volatile uint8_t *)phys_to_virt(pa))[100] = 1;
	frame_alloc(0); /* the same frame comes back first */
}

/* Write into the third page of a freed order-2 block; find it by order 0. */
static void write_into_freed_block(void *arg)
{
	paddr_t pa = frame_alloc(2);

	(void)arg;
	frame_put_pa(pa, 2);
	((volatile uint64_t *)phys_to_virt(pa + 2 * PAGE_SIZE))[1] = 0;
	memstat_settle();
	while (frame_alloc(0) != 0) /* every frame: the damaged one is among them */
		;
}

int main(void)
{
	char msg[512], want[96];
	paddr_t pa;
	const uint8_t *p;
	int unpoisoned = 0;

	SECTION("freshly managed memory is poisoned; honest use never trips");
	fresh();
	pa = frame_alloc(0);
	p = phys_to_virt(pa);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		unpoisoned += p[i] == 0x5a; /* the arena's garbage is gone */
	CHECK_EQ(unpoisoned, 0);
	frame_put_pa(pa, 0);
	CHECK(!shim_death(honest, NULL, msg, sizeof(msg)));
	printf("  %s\n", msg);

	SECTION("a write after free is reported at the next allocation");
	fresh();
	CHECK(shim_death(write_after_free, NULL, msg, sizeof(msg)));
	printf("  %s\n", msg);
	pa = frame_alloc(0); /* the child's frame: it forked from this state */
	snprintf(want, sizeof(want), "frame %#llx: written after free", (unsigned long long)pa);
	CHECK(strstr(msg, want) != NULL);
	CHECK(strstr(msg, "offset 0x64") != NULL);
	frame_put_pa(pa, 0);

	SECTION("inside a freed larger block too");
	fresh();
	CHECK(shim_death(write_into_freed_block, NULL, msg, sizeof(msg)));
	printf("  %s\n", msg);
	pa = frame_alloc(2);
	snprintf(want, sizeof(want), "frame %#llx: written after free",
		 (unsigned long long)(pa + 2 * PAGE_SIZE));
	CHECK(strstr(msg, want) != NULL);
	CHECK(strstr(msg, "offset 0x8") != NULL);
	frame_put_pa(pa, 2);
	return check_summary("poison_test");
}
