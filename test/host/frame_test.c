/*
 * frame_test: the frame table and reference counts: pa <-> frame for every
 * page, get/put, the last put frees (order 0 into this hart's cache, larger
 * orders into the buddy), frame_put_pa's order check, zeroed allocation, and
 * the fatal reports of a put below zero (with the frame and the caller), a
 * get on a free frame, and an address outside the table; a block split
 * into order-0 frames, and the shortage hook's reserve given back.
 */
#include <stdlib.h>

#include "src/mm/buddy.h"
#include "src/mm/frame.h"
#include "src/mm/frame_cache.h"
#include "src/mm/memstat.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"

#define BASE 0x80000000ull
#define MiB  (1ull << 20)

static struct physmem pm;

static void test_table(void)
{
	struct physmem_range rsv = {BASE + 1 * MiB, 1 * MiB};
	uint64_t reserved = 0, bad = 0;

	SECTION("the table: pa <-> frame, reserved frames");
	shim_arena(&pm, BASE, 8 * MiB, &rsv, 1);
	frames_init(&pm);
	CHECK_EQ(frames_total(), 2048);
	for (uint32_t i = 0; i < frames_total(); i++) {
		paddr_t pa = BASE + (paddr_t)i * PAGE_SIZE;
		struct frame *f = frame_at(i);

		bad += pa_to_frame(pa) != f || pa_to_frame(pa + PAGE_SIZE - 1) != f;
		bad += frame_to_pa(f) != pa || frame_index(f) != i;
		if (f->state == FRAME_RESERVED) {
			reserved++;
			/* reserved: the hole, or the table itself */
			bad += physmem_is_free(&pm, pa) &&
			       !(pa >= virt_to_phys(frame_at(0)) &&
				 pa < virt_to_phys(frame_at(0)) + 12 * PAGE_SIZE);
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(reserved, 256 + 12); /* 1 MiB hole + 48 KiB of table */
	CHECK_EQ(frames_managed(), 2048 - 256 - 12);
	CHECK_EQ(memstat_free_frames(), frames_managed());
}

static void test_refcounts(void)
{
	uint64_t free0;
	paddr_t pa;
	struct frame *f;

	SECTION("get/put, the last put frees");
	shim_arena(&pm, BASE, 8 * MiB, NULL, 0);
	frames_init(&pm);
	free0 = memstat_free_frames();

	pa = frame_alloc(0);
	CHECK(pa != 0);
	f = pa_to_frame(pa);
	CHECK_EQ(frame_refcount(f), 1);
	CHECK_EQ(f->state, FRAME_ALLOCATED);
	frame_get(f);
	frame_get(f);
	CHECK_EQ(frame_refcount(f), 3);
	frame_put(f);
	frame_put_pa(pa, 0); /* not the last reference: nothing is freed */
	CHECK_EQ(frame_refcount(f), 1);
	CHECK_EQ(f->state, FRAME_ALLOCATED);
	CHECK_EQ(memstat_free_frames(), free0 - 1);
	frame_put(f); /* the last: into hart 0's cache */
	CHECK_EQ(frame_refcount(f), 0);
	CHECK_EQ(f->state, FRAME_CACHED);
	CHECK_EQ(frame_cache_count(0), 1); /* the settle above emptied the cache */
	CHECK_EQ(memstat_free_frames(), free0);

	pa = frame_alloc(3);
	CHECK(pa != 0 && pa % (8 * PAGE_SIZE) == 0);
	f = pa_to_frame(pa);
	frame_get(f);
	frame_put_pa(pa, 3);
	CHECK_EQ(buddy_free_frames(), free0 - 8);
	frame_put(f); /* an order-3 block goes straight back to the buddy */
	CHECK_EQ(buddy_free_frames(), free0);
	CHECK_EQ(f->state, FRAME_BUDDY);
}

static void test_zeroed(void)
{
	paddr_t pa;
	const uint8_t *p;
	int nonzero = 0;

	SECTION("frame_alloc_zeroed clears the whole block");
	shim_arena(&pm, BASE, 8 * MiB, NULL, 0); /* the arena starts as 0x5a garbage */
	frames_init(&pm);
	pa = frame_alloc_zeroed(2);
	CHECK(pa != 0);
	p = phys_to_virt(pa);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		nonzero += p[i] != 0;
	CHECK_EQ(nonzero, 0);
	frame_put_pa(pa, 2);
	CHECK_EQ(memstat_free_frames(), frames_managed());
}

static paddr_t short_reserve; /* test_shortage's frame held back */
static int shortage_calls;

static void give_back(void)
{
	shortage_calls++;
	if (short_reserve != 0)
		frame_put_pa(short_reserve, 0);
	short_reserve = 0;
}

static void test_split_and_shortage(void)
{
	paddr_t pa, got;
	uint64_t free0;
	int n = 0;

	SECTION("frame_split makes a block into order-0 frames, each freed on its own");
	shim_arena(&pm, BASE, 8 * MiB, NULL, 0);
	frames_init(&pm);
	free0 = memstat_free_frames();
	pa = frame_alloc(3);
	CHECK(pa != 0);
	frame_split(pa, 3);
	for (unsigned i = 0; i < 8; i++) {
		struct frame *f = pa_to_frame(pa + i * PAGE_SIZE);

		CHECK(f->state == FRAME_ALLOCATED && f->order == 0 && frame_refcount(f) == 1);
	}
	for (unsigned i = 8; i-- > 0;)
		frame_put_pa(pa + i * PAGE_SIZE, 0); /* any order: the buddy merges them again */
	frame_cache_drain(0);
	CHECK_EQ(memstat_free_frames(), free0);
	CHECK(frame_alloc(3) == pa); /* whole again */
	frame_put_pa(pa, 3);

	SECTION("a shortage gives the reserve back before frame_alloc(0) fails");
	short_reserve = frame_alloc(0);
	frame_on_shortage(give_back);
	while ((got = frame_alloc(0)) != 0)
		n++;
	CHECK_EQ(shortage_calls, 2); /* once for the reserve, once more at the very end */
	CHECK_EQ(n, (int)free0);     /* every free frame, the reserve's too */
	frame_on_shortage(NULL);
}

/* ---- fatal reports ---- */

static void put_below_zero(void *arg)
{
	struct frame *f = pa_to_frame(frame_alloc(0));

	(void)arg;
	frame_put(f);
	frame_put(f); /* the report must name this call site */
}

static void get_free_frame(void *arg)
{
	paddr_t pa = frame_alloc(0);

	(void)arg;
	frame_put_pa(pa, 0);
	frame_get(pa_to_frame(pa));
}

static void free_wrong_order(void *arg)
{
	(void)arg;
	frame_put_pa(frame_alloc(1), 0);
}

static void outside_table(void *arg)
{
	(void)arg;
	pa_to_frame(BASE + 64 * MiB);
}

static void test_fatal(void)
{
	char msg[512], want[64];
	paddr_t pa;
	unsigned long caller = 0;
	const char *at;
	bool died;

	SECTION("fatal reports");
	shim_arena(&pm, BASE, 8 * MiB, NULL, 0);
	frames_init(&pm);
	died = shim_death(put_below_zero, NULL, msg, sizeof(msg));
	printf("  %s\n", msg);
	CHECK(died);
	CHECK(strstr(msg, "below zero") != NULL);
	/* The child forked from this state, so its first frame is the parent's next. */
	pa = frame_alloc(0);
	snprintf(want, sizeof(want), "frame %#llx,", (unsigned long long)pa);
	CHECK(strstr(msg, want) != NULL);
	frame_put_pa(pa, 0);
	at = strstr(msg, "caller ");
	CHECK(at != NULL && sscanf(at, "caller %lx", &caller) == 1);
	CHECK(caller > (unsigned long)put_below_zero &&
	      caller < (unsigned long)put_below_zero + 4096);

	died = shim_death(get_free_frame, NULL, msg, sizeof(msg));
	printf("  %s\n", msg);
	CHECK(died && strstr(msg, "frame_get") != NULL);
	died = shim_death(free_wrong_order, NULL, msg, sizeof(msg));
	printf("  %s\n", msg);
	CHECK(died && strstr(msg, "order 0 is not an allocated block") != NULL);
	died = shim_death(outside_table, NULL, msg, sizeof(msg));
	printf("  %s\n", msg);
	CHECK(died && strstr(msg, "outside the frame table") != NULL);
}

int main(void)
{
	test_table();
	test_refcounts();
	test_zeroed();
	test_split_and_shortage();
	test_fatal();
	return check_summary("frame_test");
}
