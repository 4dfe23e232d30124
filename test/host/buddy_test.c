/*
 * buddy_test: the buddy allocator alone (buddy_alloc/buddy_free, no caches):
 * exact splits and merges on a hand-built memory map, every order,
 * exhaustion, a random sequence checked against a page bitmap, batches
 * (whole blocks and frame by frame), and the checks that catch double and
 * misaligned frees.
 */
#include <stdlib.h>

#include "src/mm/buddy.h"
#include "src/mm/frame.h"
#include "src/mm/memstat.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"
#include "test/host/testutil.h"

#define BASE 0x80000000ull
#define MiB  (1ull << 20)
#define KiB  (1ull << 10)

static struct physmem pm;

static void counts(uint64_t out[BUDDY_MAX_ORDER + 1])
{
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		out[o] = buddy_free_blocks(o);
}

/*
 * Free memory is [BASE, BASE + 64 KiB) and [BASE + 4 MiB, BASE + 8 MiB).
 * The 2048-frame table (48 KiB) takes the end of the first range, leaving
 * one order-2 block there and one order-10 block in the second range.
 */
static void test_split_merge(void)
{
	struct physmem_range rsv = {BASE + 64 * KiB, 4 * MiB - 64 * KiB};
	uint64_t c[BUDDY_MAX_ORDER + 1];
	struct frame *small, *f, *big;

	SECTION("split and merge on a hand-built map");
	shim_arena(&pm, BASE, 8 * MiB, &rsv, 1);
	frames_init(&pm);
	CHECK_EQ(frames_total(), 2048);
	CHECK_EQ(frames_managed(), 4 + 1024);
	CHECK_EQ(buddy_free_frames(), 4 + 1024);
	counts(c);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		CHECK_EQ(c[o], o == 2 || o == 10);
	CHECK_EQ(virt_to_phys(frame_at(0)), BASE + 16 * KiB);

	small = buddy_alloc(2); /* an exact fit: no split */
	CHECK(small != NULL);
	CHECK_EQ(frame_to_pa(small), BASE);
	CHECK_EQ(buddy_free_blocks(2), 0);

	f = buddy_alloc(0); /* splits the order-10 block all the way down */
	CHECK(f != NULL);
	CHECK_EQ(frame_to_pa(f), BASE + 4 * MiB);
	CHECK_EQ(f->state, FRAME_ALLOCATED);
	counts(c);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		CHECK_EQ(c[o], o < 10);
	for (unsigned o = 0; o < 10; o++) /* the upper half of each level */
		CHECK_EQ(frame_at((uint32_t)(1024 + (1u << o)))->state, FRAME_BUDDY);
	CHECK_EQ(buddy_free_frames(), 1023);

	buddy_free(f, 0); /* merges back into one order-10 block */
	counts(c);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		CHECK_EQ(c[o], o == 10);
	CHECK_EQ(buddy_free_frames(), 1024);

	big = buddy_alloc(10);
	CHECK(big != NULL && frame_to_pa(big) == BASE + 4 * MiB);
	CHECK(buddy_alloc(0) == NULL); /* exhausted */
	CHECK(buddy_alloc(10) == NULL);
	CHECK_EQ(buddy_free_frames(), 0);
	buddy_free(big, 10);
	buddy_free(small, 2);
	CHECK_EQ(buddy_free_frames(), 1028);
	CHECK_EQ(buddy_free_blocks(2), 1);
	CHECK_EQ(buddy_free_blocks(10), 1);
}

static void test_every_order(void)
{
	SECTION("every order: alignment, state, and the free count back");
	shim_arena(&pm, BASE, 16 * MiB, NULL, 0);
	frames_init(&pm);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
		uint64_t before = buddy_free_frames();
		struct frame *f = buddy_alloc(o);

		CHECK(f != NULL);
		if (f == NULL)
			continue;
		CHECK_EQ(frame_to_pa(f) % (PAGE_SIZE << o), 0);
		CHECK_EQ(f->order, o);
		CHECK_EQ(buddy_free_frames(), before - (1u << o));
		for (uint32_t t = 1; t < (1u << o); t++)
			CHECK_EQ(frame_at(frame_index(f) + t)->state, FRAME_TAIL);
		buddy_free(f, o);
		CHECK_EQ(buddy_free_frames(), before);
	}
}

static void test_exhaustion(void)
{
	uint64_t start[BUDDY_MAX_ORDER + 1], end[BUDDY_MAX_ORDER + 1], n = 0;
	struct frame **all;

	SECTION("exhaustion: order 0 until NULL, then all back");
	shim_arena(&pm, BASE, 4 * MiB, NULL, 0);
	frames_init(&pm);
	counts(start);
	all = calloc(frames_managed() + 1, sizeof(*all)); /* + the failed one */
	while ((all[n] = buddy_alloc(0)) != NULL)
		n++;
	CHECK_EQ(n, frames_managed());
	CHECK_EQ(buddy_free_frames(), 0);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		CHECK(buddy_alloc(o) == NULL);
	for (uint64_t i = 0; i < n; i++) /* in a different order than allocated */
		buddy_free(all[(i * 7919) % n], 0);
	counts(end);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		CHECK_EQ(end[o], start[o]);
	free(all);
}

/* A random sequence, checked page by page against a bitmap of what is held. */
struct held {
	struct frame *f;
	unsigned order;
};

static void test_random(void)
{
	struct physmem_range rsv[] = {
	    {BASE + 3 * MiB + 12 * KiB, 40 * KiB}, /* odd holes: ragged ranges */
	    {BASE + 9 * MiB + 4 * KiB, 2 * MiB},
	};
	uint64_t start[BUDDY_MAX_ORDER + 1], end[BUDDY_MAX_ORDER + 1], inuse = 0;
	uint8_t *used;
	struct held held[512];
	int nheld = 0, bad = 0;
	paddr_t table_lo, table_hi;

	SECTION("random alloc/free against a reference bitmap");
	shim_arena(&pm, BASE, 16 * MiB, rsv, 2);
	frames_init(&pm);
	table_lo = virt_to_phys(frame_at(0));
	table_hi = table_lo + frames_total() * sizeof(struct frame);
	used = calloc(frames_total(), 1);
	counts(start);
	tu_srand(42);
	for (int step = 0; step < 40000; step++) {
		bool alloc = nheld == 0 || (nheld < 512 && tu_rand() % 2);

		if (alloc) {
			unsigned o = (unsigned)(tu_rand() % 4 ? tu_rand() % 3 : tu_rand() % 11);
			struct frame *f = buddy_alloc(o);
			paddr_t pa;

			if (f == NULL)
				continue;
			pa = frame_to_pa(f);
			bad += pa % (PAGE_SIZE << o) != 0;
			for (uint32_t t = 0; t < (1u << o); t++) {
				paddr_t p = pa + t * PAGE_SIZE;

				bad += used[frame_index(f) + t]++ != 0; /* overlap */
				bad += !physmem_is_free(&pm, p);
				bad += p + PAGE_SIZE > table_lo && p < table_hi;
			}
			held[nheld++] = (struct held){f, o};
			inuse += 1u << o;
		} else {
			int k = (int)(tu_rand() % (uint64_t)nheld);

			for (uint32_t t = 0; t < (1u << held[k].order); t++)
				used[frame_index(held[k].f) + t] = 0;
			buddy_free(held[k].f, held[k].order);
			inuse -= 1u << held[k].order;
			held[k] = held[--nheld];
		}
		bad += buddy_free_frames() != frames_managed() - inuse;
	}
	CHECK_EQ(bad, 0);
	while (nheld > 0) {
		nheld--;
		buddy_free(held[nheld].f, held[nheld].order);
	}
	CHECK_EQ(buddy_free_frames(), frames_managed());
	counts(end);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		CHECK_EQ(end[o], start[o]); /* every merge happened */
	free(used);
}

/* ---- what buddy_free refuses ---- */

static void double_free(void *arg)
{
	struct frame *f = buddy_alloc(0);

	(void)arg;
	buddy_free(f, 0);
	buddy_free(f, 0);
}

static void free_inside_free_block(void *arg)
{
	struct frame *f = buddy_alloc(3);

	(void)arg;
	buddy_free(f, 3);
	buddy_free(frame_at(frame_index(f) + 2), 0); /* a tail of a free block */
}

static void misaligned_free(void *arg)
{
	struct frame *f = buddy_alloc(2);

	(void)arg;
	f->order = 1; /* pretend: then free its second half as an order-1 block */
	buddy_free(frame_at(frame_index(f) + 1), 1);
}

static void wrong_order(void *arg)
{
	(void)arg;
	buddy_free(buddy_alloc(2), 3);
}

static void expect_death(void (*fn)(void *), const char *what, const char *needle)
{
	char msg[512];
	bool died = shim_death(fn, NULL, msg, sizeof(msg));

	printf("  %s: %s\n", what, msg);
	CHECK(died);
	CHECK(strstr(msg, needle) != NULL);
}

/*
 * Batches (the per-hart caches' refills): a power of two comes as one
 * block, split into order-0 frames; with no block that large free, frame by
 * frame; any other size frame by frame. Every frame goes back and merges.
 */
static void test_batches(void)
{
	/* The hand-built map of test_split_merge: one order-2 block, one order-10. */
	struct physmem_range rsv = {BASE + 64 * KiB, 4 * MiB - 64 * KiB};
	struct frame *out[1024], *hold[16];
	unsigned n;

	SECTION("batches: one block split after the lock, else frame by frame");
	shim_arena(&pm, BASE, 8 * MiB, &rsv, 1);
	frames_init(&pm);
	n = buddy_alloc_batch(out, 64);
	CHECK_EQ(n, 64);
	for (unsigned k = 0; k < n; k++) {
		CHECK(out[k] == out[0] + k); /* one block, in order */
		CHECK_EQ(out[k]->state, FRAME_ALLOCATED);
		CHECK_EQ(out[k]->order, 0);
	}
	CHECK_EQ(frame_to_pa(out[0]), BASE + 4 * MiB);
	CHECK_EQ(buddy_free_frames(), 4 + 1024 - 64);
	for (unsigned k = 0; k < n; k++)
		buddy_free(out[k], 0);
	CHECK_EQ(buddy_free_blocks(10), 1);
	CHECK_EQ(buddy_free_blocks(2), 1);

	/* Fragment: every other frame of the order-10 block held, so no order-1 block is free. */
	n = buddy_alloc_batch(out, 1024);
	CHECK_EQ(n, 1024);
	buddy_free_batch(out, 1024);
	n = buddy_alloc_batch(out, 1024); /* the order-10 block whole again */
	CHECK_EQ(n, 1024);
	for (unsigned k = 0; k < 1024; k += 2)
		buddy_free(out[k], 0);
	n = buddy_alloc_batch(hold, 16); /* no order-4 block: 16 single frames */
	CHECK_EQ(n, 16);
	for (unsigned k = 0; k < n; k++)
		CHECK(hold[k]->state == FRAME_ALLOCATED && hold[k]->order == 0);
	buddy_free_batch(hold, 16);
	for (unsigned k = 1; k < 1024; k += 2)
		buddy_free(out[k], 0);
	CHECK_EQ(buddy_free_blocks(10), 1);
	n = buddy_alloc_batch(hold, 3); /* not a power of two: frame by frame */
	CHECK_EQ(n, 3);
	buddy_free_batch(hold, 3);
	CHECK_EQ(buddy_free_frames(), 4 + 1024);
	CHECK_EQ(buddy_free_blocks(10), 1);
	CHECK_EQ(buddy_free_blocks(2), 1);
}

static void test_refusals(void)
{
	SECTION("double, nested, misaligned and wrong-order frees are fatal");
	shim_arena(&pm, BASE, 8 * MiB, NULL, 0);
	frames_init(&pm);
	expect_death(double_free, "double free", "double free");
	expect_death(free_inside_free_block, "tail of a free block", "buddy_free");
	expect_death(misaligned_free, "misaligned", "misaligned");
	expect_death(wrong_order, "wrong order", "order 3");
}

int main(void)
{
	test_split_merge();
	test_every_order();
	test_exhaustion();
	test_random();
	test_batches();
	test_refusals();
	return check_summary("buddy_test");
}
