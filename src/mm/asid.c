/*
 * asid.c: the ASID allocator (see asid.h and docs/cow.md, "ASIDs").
 *
 * The scheme is the one Linux uses on arm64 and RISC-V, written for kine:
 *
 *  - A context is (generation << bits) | asid; the generation counts up in
 *    steps of 1 << bits, so comparing the high bits tells whether a
 *    context belongs to the current generation.
 *  - Fast path: an mm whose context is of the current generation is loaded
 *    with no lock: the hart swaps its active context from the old value
 *    to the mm's (compare-and-swap). A rollover on another hart swaps every
 *    hart's active context to 0 first, so either our swap happened before
 *    the rollover looked (and the rollover reserves our context) or it
 *    fails and we take the slow path.
 *  - Slow path (asid_lock): give the mm a context of the current
 *    generation (its old ASID if that is reserved or still free, else the
 *    next free one); when none is free, roll over: new generation, an
 *    empty map except the ASIDs harts still run (their "reserved"
 *    contexts, which keep their numbers), and a pending full flush on
 *    every hart, which each hart does on its next slow-path switch.
 *
 * Invariants (asserted):
 *  - ASID 0 is never handed out (the kernel's);
 *  - a context handed out is of the current generation and its bit is set
 *    in asid_map;
 *  - no two live contexts of one generation share an ASID, except one mm
 *    keeping its number across a rollover.
 */
#include "src/mm/asid.h"

#include "src/base/assert.h"
#include "src/base/check.h"
#include "src/base/kprintf.h"
#include "src/mm/mm.h"
#include "src/mm/tlb_shadow.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"

#define ASID_MAX_BITS  16
#define ASID_MAP_WORDS ((1u << ASID_MAX_BITS) / 64)

static struct spinlock asid_lock = SPINLOCK_INIT("asid");
static bool asid_on;                      /* read-only after asid_init */
static unsigned asid_bits;                /* read-only after asid_init */
static uint64_t asid_count;               /* 1 << asid_bits; read-only after asid_init */
static uint64_t asid_gen;                 /* atomic; changed under asid_lock */
static uint64_t asid_map[ASID_MAP_WORDS]; /* guarded by asid_lock */
static uint64_t asid_next;                /* guarded by asid_lock: where the search starts */
static uint64_t asid_flush_pending;       /* guarded by asid_lock: harts owing a full flush */
static int asid_harts;                    /* read-only after asid_init */

/* Per hart: what it runs (atomic), what it kept across the last rollover (asid_lock). */
static uint64_t asid_active[HART_LOCAL_MAX];
static uint64_t asid_reserved[HART_LOCAL_MAX];

uint64_t asid_rollovers;

static bool map_test(uint64_t asid)
{
	return (asid_map[asid / 64] >> (asid % 64)) & 1;
}

static void map_set(uint64_t asid)
{
	asid_map[asid / 64] |= 1ull << (asid % 64);
}

unsigned asid_of(uint64_t context)
{
	return (unsigned)(context & (asid_count - 1));
}

uint64_t asid_generation_of(uint64_t context)
{
	return context & ~(asid_count - 1);
}

bool asid_enabled(void)
{
	return asid_on;
}

void asid_init(unsigned bits, int harts)
{
	assert(bits <= ASID_MAX_BITS && harts > 0 && harts <= HART_LOCAL_MAX);
	asid_harts = harts;
	asid_bits = bits;
	asid_count = 1ull << bits;
	/* Every hart may keep one ASID across a rollover: there must be a spare. */
	asid_on = bits > 0 && asid_count - 1 > (uint64_t)harts;
	asid_gen = asid_count; /* generation 1: context 0 means "none yet" */
	map_set(0);
	asid_next = 1;
	if (asid_on)
		kprintf("kine: asid: %u bits, %lu ASIDs for address spaces, by generation\n", bits,
			(unsigned long)(asid_count - 1));
	else
		kprintf("kine: asid: %s: every address space runs under ASID 0, flushed at each "
			"switch\n",
			bits == 0 ? "none" : "too few for the harts");
}

/*
 * A new generation: forget every ASID but the ones harts are running (or
 * ran last, if they have not switched since a rollover): those keep their
 * numbers. Every hart owes a full flush before its next switch.
 */
static void asid_rollover(void)
{
	assert(spin_holding(&asid_lock));
	for (unsigned i = 0; i < ASID_MAP_WORDS; i++)
		asid_map[i] = 0;
	map_set(0);
	for (int h = 0; h < asid_harts; h++) {
		uint64_t ctx = __atomic_exchange_n(&asid_active[h], 0, __ATOMIC_SEQ_CST);

		/* 0: the hart has not switched since the last rollover: it still runs that one. */
		if (ctx == 0)
			ctx = asid_reserved[h];
		if (ctx != 0)
			map_set(asid_of(ctx));
		asid_reserved[h] = ctx;
	}
	asid_flush_pending = (asid_harts == 64 ? ~0ull : (1ull << asid_harts) - 1);
	__atomic_store_n(&asid_gen, asid_gen + asid_count, __ATOMIC_RELEASE);
	tlb_shadow_rollover(asid_gen);
	__atomic_fetch_add(&asid_rollovers, 1, __ATOMIC_RELAXED);
	asid_next = 1;
}

/*
 * If some hart kept old (it ran it at a rollover), move that reservation
 * to the new context: it stays the same ASID. Returns the harts that did.
 */
static uint64_t asid_update_reserved(uint64_t old, uint64_t new)
{
	uint64_t harts = 0;

	for (int h = 0; h < asid_harts; h++) {
		if (asid_reserved[h] == old) {
			asid_reserved[h] = new;
			harts |= 1ull << h;
		}
	}
	return harts;
}

static uint64_t asid_find_free(void)
{
	for (uint64_t n = 0; n < asid_count - 1; n++) {
		uint64_t asid = 1 + (asid_next - 1 + n) % (asid_count - 1);

		if (!map_test(asid))
			return asid;
	}
	return 0;
}

/*
 * A context of the current generation for mm. The harts that may hold mm's
 * translations under the ASID it keeps are the ones that kept it across
 * the rollover (they have not flushed since); every other hart flushes
 * before it runs anything of the new generation, so mm's hart mask can
 * forget them.
 */
static uint64_t asid_new_context(struct mm *mm)
{
	uint64_t old = mm->context, asid, keepers;

	assert(spin_holding(&asid_lock));
	if (old != 0) {
		uint64_t keep = asid_gen | asid_of(old);

		keepers = asid_update_reserved(old, keep);
		if (keepers != 0) {
			__atomic_store_n(&mm->harts, keepers, __ATOMIC_SEQ_CST);
			return keep;
		}
		if (!map_test(asid_of(old))) {
			map_set(asid_of(old));
			__atomic_store_n(&mm->harts, 0, __ATOMIC_SEQ_CST);
			return keep;
		}
	}
	asid = asid_find_free();
	if (asid == 0) {
		asid_rollover();
		asid = asid_find_free();
		assert(asid != 0); /* more ASIDs than harts (asid_init) */
	}
	map_set(asid);
	asid_next = asid + 1;
	__atomic_store_n(&mm->harts, 0, __ATOMIC_SEQ_CST);
	return asid_gen | asid;
}

uint64_t asid_context_for(struct mm *mm, int hart, bool *flush)
{
	uint64_t ctx, active;

	assert(asid_on && hart >= 0 && hart < asid_harts);
	*flush = false;
	ctx = __atomic_load_n(&mm->context, __ATOMIC_ACQUIRE);
	active = __atomic_load_n(&asid_active[hart], __ATOMIC_RELAXED);
	if (active != 0 &&
	    asid_generation_of(ctx) == __atomic_load_n(&asid_gen, __ATOMIC_ACQUIRE) &&
	    __atomic_compare_exchange_n(&asid_active[hart], &active, ctx, false, __ATOMIC_SEQ_CST,
					__ATOMIC_RELAXED))
		return ctx;

	spin_lock(&asid_lock);
	ctx = mm->context;
	if (asid_generation_of(ctx) != asid_gen) {
		ctx = asid_new_context(mm);
		__atomic_store_n(&mm->context, ctx, __ATOMIC_RELEASE);
	}
	if (asid_flush_pending & (1ull << hart)) {
		asid_flush_pending &= ~(1ull << hart);
		*flush = true;
	}
	__atomic_store_n(&asid_active[hart], ctx, __ATOMIC_SEQ_CST);
	assert(asid_of(ctx) != 0 && map_test(asid_of(ctx)));
	spin_unlock(&asid_lock);
	return ctx;
}
