/*
 * asid_test: the ASID allocator (src/mm/asid.c) under threads standing in
 * for harts.
 *
 * Each thread is a hart that switches again and again to a randomly chosen
 * address space out of MMS. It keeps a model of its own TLB: the set of
 * (mm, ASID tag) pairs it may cache, emptied only when the allocator tells
 * it to flush. The properties checked:
 *  - tags: a hart that loads tag a for mm X must hold no entry of another
 *    mm under a (else it would use a translation of the wrong address
 *    space: a rollover without its flush);
 *  - exclusivity: while a hart runs X under tag a, no other hart runs
 *    another mm under a;
 *  - the generation only grows, contexts are never 0 or ASID 0, and
 *    rollovers happen (the width is narrow on purpose);
 *  - with too few ASIDs for the harts, the allocator refuses ASIDs at
 *    init (falls back to flushing).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/mm/asid.h"
#include "src/mm/mm.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"

#define NHARTS  4
#define MMS     12
#define STEPS   200000
#define BITS    3 /* 7 user ASIDs for 4 harts: a rollover every few switches */
#define TLB_MAX (MMS * (1 << BITS))

/* What src/base/kprintf.h and panic.h promise, for asid.c. */
int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

struct tlb_entry {
	int mm;
	unsigned tag;
};

struct hart_model {
	struct tlb_entry tlb[TLB_MAX];
	int n;
	uint64_t flushes, switches, foreign, shared, bad_ctx;
};

static struct mm mms[MMS];
static struct hart_model model[NHARTS];
/* What each hart runs now: (mm + 1) << 32 | tag, or 0 while it switches. */
static uint64_t running[NHARTS];
static pthread_barrier_t start_line;

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void model_load(struct hart_model *m, int mm, unsigned tag)
{
	for (int i = 0; i < m->n; i++) {
		if (m->tlb[i].tag != tag)
			continue;
		if (m->tlb[i].mm != mm)
			m->foreign++;
		return;
	}
	if (m->n < TLB_MAX)
		m->tlb[m->n++] = (struct tlb_entry){mm, tag};
}

static void check_exclusive(int self, int mm, unsigned tag)
{
	for (int h = 0; h < NHARTS; h++) {
		uint64_t r = __atomic_load_n(&running[h], __ATOMIC_SEQ_CST);

		if (h != self && r != 0 && (unsigned)r == tag && (int)(r >> 32) - 1 != mm)
			model[self].shared++;
	}
}

static void *hart_main(void *arg)
{
	int self = (int)(intptr_t)arg;
	struct hart_model *m = &model[self];
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(self + 1), last_gen = 0;

	shim_set_hart(self);
	pthread_barrier_wait(&start_line);
	for (int step = 0; step < STEPS; step++) {
		int mm = (int)(next_rand(&seed) % MMS);
		bool flush;
		uint64_t ctx;

		__atomic_store_n(&running[self], 0, __ATOMIC_SEQ_CST);
		ctx = asid_context_for(&mms[mm], self, &flush);
		if (ctx == 0 || asid_of(ctx) == 0 || asid_generation_of(ctx) < last_gen)
			m->bad_ctx++;
		last_gen = asid_generation_of(ctx);
		if (flush) {
			m->n = 0;
			m->flushes++;
		}
		__atomic_store_n(&running[self], ((uint64_t)(mm + 1) << 32) | asid_of(ctx),
				 __ATOMIC_SEQ_CST);
		model_load(m, mm, asid_of(ctx));
		check_exclusive(self, mm, asid_of(ctx));
		m->switches++;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NHARTS];
	uint64_t switches = 0, flushes = 0;

	SECTION("too few ASIDs for the harts: no ASIDs");
	asid_init(2, 4); /* 3 user ASIDs, 4 harts */
	CHECK(!asid_enabled());

	SECTION("%d harts, %d address spaces, %d ASID bits, %d switches each", NHARTS, MMS, BITS,
		STEPS);
	asid_init(BITS, NHARTS);
	CHECK(asid_enabled());
	for (int i = 0; i < MMS; i++)
		mms[i].id = (uint64_t)i + 1;
	pthread_barrier_init(&start_line, NULL, NHARTS);
	for (int h = 0; h < NHARTS; h++)
		pthread_create(&t[h], NULL, hart_main, (void *)(intptr_t)h);
	for (int h = 0; h < NHARTS; h++)
		pthread_join(t[h], NULL);
	for (int h = 0; h < NHARTS; h++) {
		struct hart_model *m = &model[h];

		printf("hart %d: %lu switches, %lu flushes, %lu foreign entries, %lu shared tags, "
		       "%lu bad contexts\n",
		       h, (unsigned long)m->switches, (unsigned long)m->flushes,
		       (unsigned long)m->foreign, (unsigned long)m->shared,
		       (unsigned long)m->bad_ctx);
		CHECK(m->foreign == 0);
		CHECK(m->shared == 0);
		CHECK(m->bad_ctx == 0);
		switches += m->switches;
		flushes += m->flushes;
	}
	printf("%lu rollovers, %lu flushes in %lu switches\n", (unsigned long)asid_rollovers,
	       (unsigned long)flushes, (unsigned long)switches);
	CHECK(asid_rollovers > 100);
	/* ASIDs earn their keep: most switches need no flush even at 3 bits. */
	CHECK(flushes * 2 < switches);
	return check_summary("asid_test");
}
