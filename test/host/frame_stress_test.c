/*
 * frame_stress_test: four threads as four harts allocate and free random
 * orders at once, tag every block they hold (so two owners of one frame
 * would be caught), hand blocks to the next hart to free, and share some
 * blocks through extra references that the other hart drops. At the end
 * the settled free count must equal the count at the start, exactly, and
 * allocations must equal frees. Memory is tight on purpose, so that
 * allocations fail and remote drains run while other harts allocate.
 *
 * Built twice: with the per-hart caches and with KINE_NO_FRAME_CACHE.
 */
#include <pthread.h>
#include <stdlib.h>

#include "src/mm/frame.h"
#include "src/mm/memstat.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"

#define BASE     0x80000000ull
#define MiB      (1ull << 20)
#define NHARTS   4
#define STEPS    100000
#define HOLD_MAX 64
#define MAILBOX  64

struct block {
	paddr_t pa;
	unsigned order;
	uint64_t tag;
};

/* Blocks handed to a hart to free; guarded by its mutex. */
struct mailbox {
	pthread_mutex_t lock;
	struct block b[MAILBOX];
	int n;
};

static struct mailbox mail[NHARTS];
static uint64_t errors[NHARTS]; /* each written by its own thread only */
static uint64_t failed_allocs[NHARTS];
static pthread_barrier_t start_line; /* all harts start together */

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The tag sits at the start and at the end of the block. */
static void tag_block(const struct block *b)
{
	uint64_t *first = phys_to_virt(b->pa);
	uint64_t *last = phys_to_virt(b->pa + (PAGE_SIZE << b->order) - sizeof(uint64_t));

	*first = b->tag;
	*last = ~b->tag;
}

static bool tag_intact(const struct block *b)
{
	uint64_t *first = phys_to_virt(b->pa);
	uint64_t *last = phys_to_virt(b->pa + (PAGE_SIZE << b->order) - sizeof(uint64_t));

	return *first == b->tag && *last == ~b->tag;
}

static void release(int hart, const struct block *b)
{
	if (!tag_intact(b))
		errors[hart]++;
	frame_put_pa(b->pa, b->order);
}

static bool post(int to, const struct block *b)
{
	bool ok;

	pthread_mutex_lock(&mail[to].lock);
	ok = mail[to].n < MAILBOX;
	if (ok)
		mail[to].b[mail[to].n++] = *b;
	pthread_mutex_unlock(&mail[to].lock);
	return ok;
}

static void empty_mailbox(int hart)
{
	struct block got[MAILBOX];
	int n;

	pthread_mutex_lock(&mail[hart].lock);
	n = mail[hart].n;
	for (int i = 0; i < n; i++)
		got[i] = mail[hart].b[i];
	mail[hart].n = 0;
	pthread_mutex_unlock(&mail[hart].lock);
	for (int i = 0; i < n; i++)
		release(hart, &got[i]);
}

static void *hart_main(void *arg)
{
	int hart = (int)(intptr_t)arg, next = (hart + 1) % NHARTS;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(hart + 1);
	struct block held[HOLD_MAX];
	int nheld = 0;

	shim_set_hart(hart);
	pthread_barrier_wait(&start_line);
	for (uint64_t step = 0; step < STEPS; step++) {
		uint64_t r = next_rand(&seed);

		if (nheld < HOLD_MAX && (nheld == 0 || r % 2)) {
			/* Mostly order 0 (the cached path), sometimes up to 10. */
			unsigned order = r % 16 ? 0 : (unsigned)(r >> 8) % (BUDDY_MAX_ORDER + 1);
			struct block b = {frame_alloc(order), order, (step << 8) | (uint64_t)hart};

			if (b.pa == 0) {
				failed_allocs[hart]++;
				continue;
			}
			tag_block(&b);
			held[nheld++] = b;
		} else {
			int k = (int)((r >> 4) % (uint64_t)nheld);
			struct block b = held[k];

			held[k] = held[--nheld];
			if ((r >> 12) % 4 == 0 && post(next, &b))
				continue; /* the next hart frees it */
			if ((r >> 12) % 4 == 1) {
				/* A shared block: both harts drop a reference. */
				frame_get(pa_to_frame(b.pa));
				if (post(next, &b)) {
					frame_put(pa_to_frame(b.pa));
					continue;
				}
				frame_put(pa_to_frame(b.pa));
			}
			release(hart, &b);
		}
		if (step % 64 == 0)
			empty_mailbox(hart);
	}
	while (nheld > 0)
		release(hart, &held[--nheld]);
	return NULL;
}

int main(void)
{
	struct physmem pm;
	struct memstat ms;
	pthread_t t[NHARTS];
	uint64_t start, errs = 0, fails = 0;

	SECTION("%d harts, %d steps each", NHARTS, STEPS);
	shim_set_hart(0);
	shim_arena(&pm, BASE, 2 * MiB, NULL, 0); /* tight: exhaustion and remote drains happen */
	frames_init(&pm);
	start = memstat_free_frames();
	CHECK_EQ(start, frames_managed());
	for (int h = 0; h < NHARTS; h++)
		pthread_mutex_init(&mail[h].lock, NULL);
	pthread_barrier_init(&start_line, NULL, NHARTS);
	for (int h = 0; h < NHARTS; h++)
		pthread_create(&t[h], NULL, hart_main, (void *)(intptr_t)h);
	for (int h = 0; h < NHARTS; h++)
		pthread_join(t[h], NULL);
	for (int h = 0; h < NHARTS; h++) { /* what was posted after its owner stopped */
		shim_set_hart(h);
		empty_mailbox(h);
		errs += errors[h];
		fails += failed_allocs[h];
	}
	shim_set_hart(0);
	memstat_read(&ms);
	printf("  allocs %llu, frees %llu, global lock %llu, refills %llu, drains %llu, "
	       "remote drains %llu, failed allocs %llu\n",
	       (unsigned long long)ms.events[MEMSTAT_ALLOC],
	       (unsigned long long)ms.events[MEMSTAT_FREE],
	       (unsigned long long)ms.events[MEMSTAT_LOCK],
	       (unsigned long long)ms.events[MEMSTAT_REFILL],
	       (unsigned long long)ms.events[MEMSTAT_DRAIN],
	       (unsigned long long)ms.events[MEMSTAT_REMOTE_DRAIN], (unsigned long long)fails);
	CHECK_EQ(errs, 0);
	CHECK_EQ(ms.events[MEMSTAT_ALLOC], ms.events[MEMSTAT_FREE]);
	CHECK(ms.events[MEMSTAT_ALLOC] > NHARTS * STEPS / 4);
	CHECK_EQ(ms.free, start); /* unsettled: caches + buddy */
	CHECK_EQ(memstat_free_frames(), start);
	return check_summary("frame_stress_test");
}
