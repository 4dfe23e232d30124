/*
 * selftest_mm.c: self-tests of memory management (test=NAME at boot).
 *
 *   wx      the kernel's own protections: its text cannot be written, its
 *           read-only data cannot be written, its data and the direct map
 *           cannot be executed, a stack guard page cannot be touched; and,
 *           as controls, that a write to data and a call into text work.
 *           Each fault is caught by a probe (src/arch/riscv/probe.h) and
 *           reported; the kernel's page table passes the A/D checker.
 *   frames  every hart allocates and frees random orders, hands frames to
 *           the next hart to free, and shares some (both harts drop a
 *           reference; the last one frees); it also allocates and frees
 *           kmalloc objects of random sizes. Every block and object carries
 *           a tag that is checked before it is freed. At the end the
 *           settled free-frame count equals the count at the start, exactly.
 *   frames_exhaust
 *           every hart allocates order-0 frames until none is left (the
 *           last ones come from other harts' caches: remote drains); all
 *           free frames must have been handed out, and all come back.
 *   frames_bench
 *           order-0 alloc+free throughput with 1, 2, 4 ... harts at once,
 *           printed as "kine: bench {json}" lines for tools/bench.
 */
#include "src/arch/riscv/kmap.h"
#include "src/arch/riscv/probe.h"
#include "src/arch/riscv/timer.h"
#include "src/kernel/kernel.h"
#include "src/kernel/selftest.h"
#include "src/mm/frame.h"
#include "src/mm/frame_cache.h"
#include "src/mm/memstat.h"
#include "src/mm/pagetable.h"
#include "src/mm/slab.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sync/spinlock.h"

/* ---- wx ---- */

extern char kernel_rodata_start[];
extern uint8_t hart_stacks[][KSTACK_SLOT_SIZE];

/* A 'ret' instruction, in data: it must never run. */
static uint32_t data_ret = 0x00008067;
static uint64_t data_word;

static int probe_selftest_nop(void)
{
	return 0;
}

static bool wx_expect(const char *what, int got, int want, uint64_t want_cause)
{
	const struct probe_fault *pf = &this_hart()->arch.probe_fault;
	bool ok = got == want && (want == 0 || pf->scause == want_cause);

	if (want == 0)
		kprintf("kine: selftest wx: %s: %s\n", what, got == 0 ? "allowed" : "FAULTED");
	else
		kprintf("kine: selftest wx: %s: %s (scause %lu, stval %#lx)\n", what,
			got == 0 ? "NOT CAUGHT" : "caught", pf->scause, pf->stval);
	return ok;
}

static void wx_report(uintptr_t va, pte_t pte, const char *why, void *ctx)
{
	kprintf("kine: selftest wx: kernel table: va %#lx pte %#lx: %s\n", va, pte, why);
}

static bool selftest_wx(void)
{
	uint32_t *direct_ret = phys_to_virt(frame_alloc(0));
	struct hart *h = this_hart();
	bool ok = true;
	int problems;

	assert(direct_ret != phys_to_virt(0));
	*direct_ret = data_ret;
	ok &= wx_expect("write to data", probe_write_byte(&data_word), 0, 0);
	ok &= wx_expect("call into text", probe_exec((const void *)probe_selftest_nop), 0, 0);
	ok &= wx_expect("write to text", probe_write_byte((void *)probe_selftest_nop), -1,
			EXC_STORE_PAGE_FAULT);
	ok &= wx_expect("write to rodata", probe_write_byte(kernel_rodata_start), -1,
			EXC_STORE_PAGE_FAULT);
	ok &= wx_expect("execute data", probe_exec(&data_ret), -1, EXC_INST_PAGE_FAULT);
	ok &= wx_expect("execute the direct map", probe_exec(direct_ret), -1, EXC_INST_PAGE_FAULT);
	ok &= wx_expect("touch this hart's stack guard page",
			probe_write_byte(hart_stacks[h->index]), -1, EXC_LOAD_PAGE_FAULT);
	frame_put_pa(virt_to_phys(direct_ret), 0);

	problems = pt_check_ad(kernel_root, wx_report, NULL);
	kprintf("kine: selftest wx: kernel page table: %d A/D problems\n", problems);
	return ok && problems == 0;
}

/* ---- frames: the allocator under every hart at once ---- */

#define STRESS_ROUNDS 6000 /* per hart */
#define STRESS_HELD   48   /* blocks a hart holds at most */
#define STRESS_MAIL   64   /* blocks waiting in a hart's mailbox at most */
#define STRESS_ORDERS 4    /* orders 0..3; order 0 most of the time */
#define STRESS_OBJS   16   /* kmalloc objects a hart holds at most */

struct stress_block {
	paddr_t pa;
	unsigned order;
	uint64_t tag; /* written into the block's first and last words */
};

/* Blocks handed to a hart, which checks and frees them. */
struct stress_mailbox {
	struct spinlock lock;
	struct stress_block slot[STRESS_MAIL]; /* guarded by lock */
	int n;                                 /* guarded by lock */
};

/* Each hart's own state; only that hart touches it while the test runs. */
struct stress_hart {
	uint64_t rng;
	struct stress_block held[STRESS_HELD];
	int nheld;
	uint64_t *obj[STRESS_OBJS]; /* kmalloc objects: [0] = size, [1] = tag */
	int nobj;
	uint64_t allocs, alloc_failures, frees, handed, shared, received, bad_tags, objects;
} __attribute__((aligned(64)));

static struct stress_mailbox stress_mail[MAX_HARTS];
static struct stress_hart stress_state[MAX_HARTS];

static uint64_t stress_random(struct stress_hart *s)
{
	/* xorshift64: fast, and a fixed seed per hart makes a run repeatable. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static uint64_t *block_word(const struct stress_block *b, bool last)
{
	uint64_t *p = phys_to_virt(b->pa);

	return last ? p + (PAGE_SIZE << b->order) / sizeof(*p) - 1 : p;
}

static void stress_release(struct stress_hart *s, const struct stress_block *b)
{
	if (*block_word(b, false) != b->tag || *block_word(b, true) != b->tag) {
		s->bad_tags++;
		kprintf("kine: selftest frames: block %#lx order %u: tag %#lx/%#lx, want %#lx\n",
			b->pa, b->order, *block_word(b, false), *block_word(b, true), b->tag);
	}
	frame_put_pa(b->pa, b->order);
	s->frees++;
}

static void stress_alloc(struct stress_hart *s, int me, uint64_t seq)
{
	struct stress_block b;
	uint64_t r = stress_random(s);

	b.order = (r & 7) == 0 ? (unsigned)((r >> 3) % STRESS_ORDERS) : 0;
	b.pa = frame_alloc(b.order);
	if (b.pa == 0) {
		s->alloc_failures++;
		return;
	}
	b.tag = ((uint64_t)me << 56) | (seq << 4) | b.order;
	*block_word(&b, false) = b.tag;
	*block_word(&b, true) = b.tag;
	s->held[s->nheld++] = b;
	s->allocs++;
}

/* Take block i out of this hart's hand. */
static struct stress_block stress_take(struct stress_hart *s, int i)
{
	struct stress_block b = s->held[i];

	s->held[i] = s->held[--s->nheld];
	return b;
}

static bool stress_post(int to, const struct stress_block *b)
{
	struct stress_mailbox *m = &stress_mail[to];
	bool posted = false;

	spin_lock(&m->lock);
	if (m->n < STRESS_MAIL) {
		m->slot[m->n++] = *b;
		posted = true;
	}
	spin_unlock(&m->lock);
	return posted;
}

static void stress_collect(struct stress_hart *s, int me)
{
	struct stress_mailbox *m = &stress_mail[me];
	struct stress_block got[STRESS_MAIL];
	int n;

	spin_lock(&m->lock);
	n = m->n;
	memcpy(got, m->slot, n * sizeof(got[0]));
	m->n = 0;
	spin_unlock(&m->lock);
	for (int i = 0; i < n; i++) {
		stress_release(s, &got[i]);
		s->received++;
	}
}

/* Hand a block to the next hart: moved outright, or shared (both free it). */
static void stress_handoff(struct stress_hart *s, int me, bool share)
{
	int i = (int)(stress_random(s) % s->nheld);
	struct stress_block b = s->held[i];
	int to = (me + 1) % harts_online();

	if (share)
		frame_get(pa_to_frame(b.pa));
	if (!stress_post(to, &b)) {
		if (share)
			frame_put_pa(b.pa, b.order); /* undo the extra reference */
		return;
	}
	if (share) {
		s->shared++;
	} else {
		stress_take(s, i);
		s->handed++;
	}
}

static void stress_free_one(struct stress_hart *s)
{
	struct stress_block b = stress_take(s, (int)(stress_random(s) % s->nheld));

	stress_release(s, &b);
}

/* Allocate a kmalloc object of a random size, or free a random one. */
static void stress_object(struct stress_hart *s, int me)
{
	uint64_t r = stress_random(s), *o;
	size_t size = 16 + (r >> 8) % 2033;

	if (s->nobj == STRESS_OBJS || (s->nobj > 0 && (r & 1))) {
		int i = (int)((r >> 1) % s->nobj);

		o = s->obj[i];
		if (o[1] != (((uint64_t)me << 56) | o[0]))
			s->bad_tags++;
		kfree(o);
		s->obj[i] = s->obj[--s->nobj];
		return;
	}
	o = kmalloc(size);
	if (o == NULL) {
		s->alloc_failures++;
		return;
	}
	o[0] = size;
	o[1] = ((uint64_t)me << 56) | size;
	s->objects++;
	s->obj[s->nobj++] = o;
}

static void stress_worker(void *arg)
{
	int me = this_hart()->index;
	struct stress_hart *s = &stress_state[me];

	s->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)me << 32 | 1);
	for (uint64_t seq = 0; seq < STRESS_ROUNDS; seq++) {
		uint64_t action = stress_random(s) % 8;

		if (action < 4 && s->nheld < STRESS_HELD)
			stress_alloc(s, me, seq);
		else if (action < 6 && s->nheld > 0)
			stress_free_one(s);
		else if (s->nheld > 0)
			stress_handoff(s, me, action == 7);
		if ((seq & 3) == 0)
			stress_object(s, me);
		stress_collect(s, me);
	}
	while (s->nobj > 0)
		kfree(s->obj[--s->nobj]);
	while (s->nheld > 0) {
		struct stress_block b = stress_take(s, 0);
		stress_release(s, &b);
	}
}

static bool selftest_frames(void)
{
	uint64_t before = memstat_free_frames(), after, start = arch_time();
	struct stress_hart total = {0};
	struct memstat ms;

	for (int i = 0; i < MAX_HARTS; i++)
		spin_init(&stress_mail[i].lock, "selftest_mailbox");
	memstat_reset();
	ipi_run_everywhere(stress_worker, NULL);
	/* Blocks posted after their receiver finished: free them here. */
	for (int i = 0; i < nharts; i++)
		stress_collect(&stress_state[0], i);
	memstat_read(&ms);
	after = memstat_free_frames();

	for (int i = 0; i < nharts; i++) {
		const struct stress_hart *s = &stress_state[i];

		kprintf("kine: selftest frames: hart %u: %lu allocs, %lu frees, %lu handed on, "
			"%lu shared, %lu received, %lu kmalloc objects\n",
			harts[i].hartid, s->allocs, s->frees, s->handed, s->shared, s->received,
			s->objects);
		total.allocs += s->allocs;
		total.frees += s->frees;
		total.alloc_failures += s->alloc_failures;
		total.bad_tags += s->bad_tags;
		total.shared += s->shared;
	}
	kprintf("kine: selftest frames: %lu ms; global lock %lu, refills %lu, drains %lu, "
		"remote drains %lu\n",
		(arch_time() - start) * 1000 / timer_timebase_hz(), ms.events[MEMSTAT_LOCK],
		ms.events[MEMSTAT_REFILL], ms.events[MEMSTAT_DRAIN],
		ms.events[MEMSTAT_REMOTE_DRAIN]);
	kprintf("kine: selftest frames: free frames %lu before, %lu after; %lu bad tags, "
		"%lu failed allocations\n",
		before, after, total.bad_tags, total.alloc_failures);
	/* Every shared block is freed twice (one reference each) but counted
	 * once by the allocator: allocs + shared == frees. */
	return after == before && total.bad_tags == 0 && total.alloc_failures == 0 &&
	       total.allocs + total.shared == total.frees;
}

/* ---- frames_exhaust: every hart takes frames until there are none ---- */

/* Each hart chains its frames through their own first word: no bookkeeping memory. */
static paddr_t exhaust_chain[MAX_HARTS];
static uint64_t exhaust_count[MAX_HARTS];

static void exhaust_worker(void *arg)
{
	int me = this_hart()->index;
	paddr_t pa;

	while ((pa = frame_alloc(0)) != 0) {
		*(paddr_t *)phys_to_virt(pa) = exhaust_chain[me];
		exhaust_chain[me] = pa;
		exhaust_count[me]++;
	}
}

static void exhaust_release(void *arg)
{
	int me = this_hart()->index;

	while (exhaust_chain[me] != 0) {
		paddr_t pa = exhaust_chain[me];

		exhaust_chain[me] = *(paddr_t *)phys_to_virt(pa);
		frame_put_pa(pa, 0);
	}
}

/*
 * Exhaustion on every hart at once: the last frames sit in other harts'
 * caches, so the harts must drain each other's caches (remote drain) to
 * take them; every free frame must be handed out, then all come back.
 */
static bool selftest_frames_exhaust(void)
{
	uint64_t before = memstat_free_frames(), taken = 0, after;
	struct memstat ms;

	memstat_reset();
	ipi_run_everywhere(exhaust_worker, NULL);
	memstat_read(&ms);
	for (int i = 0; i < nharts; i++) {
		kprintf("kine: selftest frames_exhaust: hart %u took %lu frames\n", harts[i].hartid,
			exhaust_count[i]);
		taken += exhaust_count[i];
	}
	ipi_run_everywhere(exhaust_release, NULL);
	after = memstat_free_frames();
	kprintf("kine: selftest frames_exhaust: %lu of %lu free frames taken, %lu remote drains; "
		"free frames %lu after\n",
		taken, before, ms.events[MEMSTAT_REMOTE_DRAIN], after);
	return taken == before && after == before;
}

/* ---- frames_bench: order-0 throughput as harts are added ---- */

#define BENCH_ROUNDS 400 /* per hart: each allocates BENCH_BURST frames, then frees them */
#define BENCH_BURST  64

struct bench_run {
	int nharts;  /* harts taking part: those with index < nharts */
	int arrived; /* atomic: participants at the starting line */
	uint64_t ticks[MAX_HARTS];
};

static void bench_worker(void *arg)
{
	struct bench_run *run = arg;
	int me = this_hart()->index;
	paddr_t burst[BENCH_BURST];
	uint64_t t0;

	if (me >= run->nharts)
		return;
	/* Start together, so the harts really do contend. */
	__atomic_fetch_add(&run->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&run->arrived, __ATOMIC_ACQUIRE) < run->nharts)
		arch_cpu_relax();
	t0 = arch_time();
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		for (int i = 0; i < BENCH_BURST; i++)
			burst[i] = frame_alloc(0);
		for (int i = BENCH_BURST - 1; i >= 0; i--) {
			assert(burst[i] != 0);
			frame_put_pa(burst[i], 0);
		}
	}
	run->ticks[me] = arch_time() - t0;
}

static bool selftest_frames_bench(void)
{
	uint64_t before = memstat_free_frames(), hz = timer_timebase_hz();
	int online = harts_online();

	for (int n = 1; n <= online; n = n < online && n * 2 > online ? online : n * 2) {
		struct bench_run run = {.nharts = n};
		uint64_t slowest = 0, pairs = (uint64_t)BENCH_ROUNDS * BENCH_BURST;
		struct memstat ms;

		memstat_settle();
		memstat_reset();
		ipi_run_everywhere(bench_worker, &run);
		memstat_read(&ms);
		for (int i = 0; i < n; i++)
			slowest = run.ticks[i] > slowest ? run.ticks[i] : slowest;
		kprintf("kine: bench {\"bench\":\"frame_alloc_free\",\"caches\":\"%s\","
			"\"harts\":%d,\"pairs_per_hart\":%lu,\"ns_per_pair\":%lu,"
			"\"total_kpairs_per_s\":%lu,\"global_lock\":%lu}\n",
			frame_cache_enabled() ? "on" : "off", n, pairs,
			slowest * 1000000000 / hz / pairs,
			n * pairs * hz / (slowest ? slowest : 1) / 1000, ms.events[MEMSTAT_LOCK]);
		if (n == online)
			break;
	}
	return memstat_free_frames() == before;
}

bool selftest_mm_run(const char *name, bool *known)
{
	*known = true;
	if (strcmp(name, "wx") == 0)
		return selftest_wx();
	if (strcmp(name, "frames") == 0)
		return selftest_frames();
	if (strcmp(name, "frames_exhaust") == 0)
		return selftest_frames_exhaust();
	if (strcmp(name, "frames_bench") == 0)
		return selftest_frames_bench();
	*known = false;
	return false;
}
