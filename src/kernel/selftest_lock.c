/*
 * selftest_lock.c: self-tests and benchmarks of spinlocks and their
 * statistics (test=NAME at boot).
 *
 *   lockstat_shared
 *           every hart takes one lock (class "hammer") HAMMER_ROUNDS times
 *           from hammer_shared(); the count must be exact, the class must
 *           show contentions (with 2 harts or more) and its busiest
 *           contending call site must be in hammer_shared. The dump is
 *           printed for the host tools (tools/lockstat checks the site by
 *           symbolizing it).
 *   lockstat_private
 *           every hart takes its own lock (all of class "hammer_private")
 *           as often: the class must show no contention and no bounce.
 *   lock_bench
 *           the test-and-test-and-set lock kine had before, the ticket
 *           lock, the MCS lock and the queued lock (kine's spinlock), each hammered from 1, 2, 4 ... harts for
 *           BENCH_MS of guest time; then the cost of an uncontended
 *           spin_lock/spin_unlock pair (statistics on or off depends on
 *           the image). One "kine: bench {json}" line each, for
 *           tools/bench/bench.py locks.
 *   lockcheck_order, lockcheck_unheld, lockcheck_sleep, bitlock_twice
 *           break a rule on purpose (take "thread" holding "runq"; release
 *           a free lock; take a sleep lock holding a spinlock; take a
 *           second bit lock of one class): each must end in a panic
 *           (lockcheck's, or bit_lock's) with a backtrace.
 *   lockcheck_rank
 *           the same for the rank table, through a real lock that is no
 *           spinlock: allocate a frame (this hart's frame cache lock, rank
 *           "frame_cache") holding a lock of class "buddy", which ranks
 *           after it. Only the debug image checks the cache's lock word, so
 *           elsewhere the allocation goes through and the test panics
 *           saying the inversion was not caught.
 *   lockcheck_unranked
 *           take a lock of a class missing from the rank table.
 */
#include "src/arch/riscv/cpu.h"
#include "src/arch/riscv/timer.h"
#include "src/kernel/kernel.h"
#include "src/kernel/selftest.h"
#include "src/mm/frame.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sync/bitlock.h"
#include "src/sync/lockstat.h"
#include "src/sync/lockstat_calc.h"
#include "src/sync/mcs.h"
#include "src/sync/qspin.h"
#include "src/sync/sleeplock.h"
#include "src/sync/spinlock.h"
#include "src/sync/ticket.h"

#define HAMMER_ROUNDS 5000
#define HAMMER_FN_MAX 512 /* bytes: hammer_shared is shorter than this */

/* ---- lockstat_shared, lockstat_private ---- */

static struct spinlock hammer_lock;
static uint64_t hammer_count; /* guarded by hammer_lock */
static struct spinlock private_locks[MAX_HARTS];
static uint64_t private_count[MAX_HARTS]; /* each guarded by its private lock */

static int hammer_arrived; /* atomic: workers at the start line */

/* Every online hart arrives before any starts, so that they really overlap. */
static void hammer_start(void)
{
	__atomic_fetch_add(&hammer_arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&hammer_arrived, __ATOMIC_ACQUIRE) < harts_online())
		spin_wait_once();
}

/* Where the contending call site must be: the spin_lock call below. */
__attribute__((noinline)) static void hammer_shared(void *arg)
{
	hammer_start();
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		spin_lock(&hammer_lock);
		hammer_count++;
		for (volatile int d = 0; d < 64; d++)
			;
		spin_unlock(&hammer_lock);
		for (volatile int d = 0; d < 256; d++)
			;
	}
}

__attribute__((noinline)) static void hammer_private(void *arg)
{
	struct spinlock *mine = &private_locks[this_hart()->index];

	hammer_start();
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		spin_lock(mine);
		private_count[this_hart()->index]++;
		for (volatile int d = 0; d < 64; d++)
			;
		spin_unlock(mine);
		for (volatile int d = 0; d < 256; d++)
			;
	}
}

static void print_counts(const char *test, const char *class, const struct lockstat_counts *c)
{
	kprintf("kine: selftest %s: class %s: %lu acquisitions, %lu contentions, %lu acq bounces, "
		"%lu con bounces, top site %#lx (%lu)\n",
		test, class, c->acq, c->con, c->acq_bounce, c->con_bounce, c->sites[0].pc,
		c->sites[0].count);
}

static bool selftest_lockstat_shared(void)
{
	int online = harts_online();
	struct lockstat_counts c;
	bool ok, site_ok;

	spin_init(&hammer_lock, "hammer");
	hammer_arrived = 0;
	lockstat_reset();
	ipi_run_everywhere(hammer_shared, NULL);
	if (!lockstat_read("hammer", LOCK_SPIN, &c)) {
		kprintf(
		    "kine: selftest lockstat_shared: no statistics (built without lockstat?)\n");
		return false;
	}
	print_counts("lockstat_shared", "hammer", &c);
	lockstat_print();
	/* The busiest site must be the call in hammer_shared (a small function). */
	site_ok = online < 2 || (c.sites[0].pc > (uintptr_t)hammer_shared &&
				 c.sites[0].pc < (uintptr_t)hammer_shared + HAMMER_FN_MAX);
	ok = hammer_count == (uint64_t)HAMMER_ROUNDS * online &&
	     c.acq == (uint64_t)HAMMER_ROUNDS * online && (online < 2 || c.con > 0) && site_ok;
	kprintf("kine: selftest lockstat_shared: count %lu of %lu, top site %s hammer_shared, %s\n",
		hammer_count, (uint64_t)HAMMER_ROUNDS * online, site_ok ? "in" : "NOT in",
		ok ? "contentions as expected" : "WRONG");
	return ok;
}

static bool selftest_lockstat_private(void)
{
	int online = harts_online();
	struct lockstat_counts c;
	uint64_t total = 0;
	bool ok;

	for (int i = 0; i < nharts; i++)
		spin_init(&private_locks[i], "hammer_private");
	hammer_arrived = 0;
	lockstat_reset();
	ipi_run_everywhere(hammer_private, NULL);
	if (!lockstat_read("hammer_private", LOCK_SPIN, &c)) {
		kprintf("kine: selftest lockstat_private: no statistics\n");
		return false;
	}
	for (int i = 0; i < nharts; i++)
		total += private_count[i];
	print_counts("lockstat_private", "hammer_private", &c);
	lockstat_print();
	ok = total == (uint64_t)HAMMER_ROUNDS * online &&
	     c.acq == (uint64_t)HAMMER_ROUNDS * online && c.con == 0 && c.acq_bounce == 0;
	kprintf("kine: selftest lockstat_private: count %lu of %lu, %s\n", total,
		(uint64_t)HAMMER_ROUNDS * online, ok ? "no contention" : "WRONG");
	return ok;
}

/* ---- lock_bench ---- */

#define BENCH_MS      250
#define BENCH_BUCKETS 24 /* wait histogram: bucket b holds waits of [2^(b-1), 2^b) ticks */

enum bench_algo { ALGO_TTAS, ALGO_TICKET, ALGO_MCS, ALGO_QSPIN, ALGO_NR };

static const char *const algo_names[ALGO_NR] = {"ttas", "ticket", "mcs", "qspin"};

struct bench_hart {
	uint64_t acq, con;
	uint64_t hist[BENCH_BUCKETS];
} __attribute__((aligned(64)));

static struct bench {
	enum bench_algo algo;
	int harts;         /* harts with index < harts take part */
	uint64_t start;    /* clock: when everyone begins */
	uint64_t deadline; /* clock: when everyone stops asking */
	uint32_t ttas;     /* the test-and-test-and-set lock word */
	struct ticket_lock ticket;
	struct mcs_lock mcs;
	struct qspin_lock qspin;
	int last;          /* guarded by the lock under test: last holder's index */
	uint64_t handoffs; /* guarded by the lock: acquisitions on another hart than the last */
	uint64_t count;    /* guarded by the lock */
	struct bench_hart per[MAX_HARTS];
} bench;

/* The lock kine had before this: exchange, then spin on plain loads. */
static bool ttas_acquire(uint32_t *w)
{
	bool waited = false;

	while (__atomic_exchange_n(w, 1, __ATOMIC_ACQUIRE) != 0) {
		waited = true;
		while (__atomic_load_n(w, __ATOMIC_RELAXED) != 0)
			spin_wait_once();
	}
	return waited;
}

static bool bench_acquire(struct bench *b)
{
	switch (b->algo) {
	case ALGO_TTAS:
		return ttas_acquire(&b->ttas);
	case ALGO_TICKET:
		return ticket_acquire(&b->ticket);
	case ALGO_MCS:
		return mcs_acquire(&b->mcs);
	default:
		return qspin_acquire(&b->qspin);
	}
}

static void bench_release(struct bench *b)
{
	switch (b->algo) {
	case ALGO_TTAS:
		__atomic_store_n(&b->ttas, 0, __ATOMIC_RELEASE);
		break;
	case ALGO_TICKET:
		ticket_release(&b->ticket);
		break;
	case ALGO_MCS:
		mcs_release(&b->mcs);
		break;
	default:
		qspin_release(&b->qspin);
	}
}

static int bucket_of(uint64_t ticks)
{
	int b = 0;

	while (ticks != 0 && b < BENCH_BUCKETS - 1) {
		ticks >>= 1;
		b++;
	}
	return b;
}

static void bench_worker(void *arg)
{
	struct bench *b = arg;
	int me = this_hart()->index;
	struct bench_hart *mine = &b->per[me];

	if (me >= b->harts)
		return;
	while (arch_time() < b->start)
		;
	while (arch_time() < b->deadline) {
		uint64_t t0 = arch_time(), t1;
		bool waited = bench_acquire(b);

		t1 = arch_time();
		if (b->last != me)
			b->handoffs++;
		b->last = me;
		b->count++;
		for (volatile int d = 0; d < 8; d++)
			;
		bench_release(b);
		mine->acq++;
		mine->con += waited;
		mine->hist[bucket_of(t1 - t0)]++;
		for (volatile int d = 0; d < 8; d++)
			;
	}
}

/* The wait (ns, upper bound of its bucket) below which a fraction q of all waits fall. */
static uint64_t bench_quantile(const uint64_t *hist, uint64_t total, int permille)
{
	uint64_t seen = 0, hz = timer_timebase_hz();

	for (int i = 0; i < BENCH_BUCKETS; i++) {
		seen += hist[i];
		if (seen * 1000 >= total * (uint64_t)permille)
			return ((1ul << i) * 1000000000ul) / hz;
	}
	return ((1ul << BENCH_BUCKETS) * 1000000000ul) / hz;
}

static void bench_one(enum bench_algo algo, int harts)
{
	uint64_t hz = timer_timebase_hz(), hist[BENCH_BUCKETS] = {0}, con = 0, min = ~0ul, max = 0;

	bench = (struct bench){.algo = algo, .harts = harts, .last = -1};
	bench.start = arch_time() + hz / 50;
	bench.deadline = bench.start + hz * BENCH_MS / 1000;
	ipi_run_everywhere(bench_worker, &bench);
	for (int h = 0; h < harts; h++) {
		const struct bench_hart *p = &bench.per[h];

		con += p->con;
		min = p->acq < min ? p->acq : min;
		max = p->acq > max ? p->acq : max;
		for (int i = 0; i < BENCH_BUCKETS; i++)
			hist[i] += p->hist[i];
	}
	kprintf("kine: bench {\"bench\":\"lock\",\"algo\":\"%s\",\"harts\":%d,\"ms\":%d,"
		"\"acq\":%lu,\"ns_per_acq\":%lu,\"con\":%lu,\"handoffs\":%lu,"
		"\"per_hart_min\":%lu,\"per_hart_max\":%lu,\"wait_p50_ns\":%lu,"
		"\"wait_p99_ns\":%lu,\"wait_max_ns\":%lu}\n",
		algo_names[algo], harts, BENCH_MS, bench.count,
		bench.count ? (uint64_t)BENCH_MS * 1000000ul / bench.count : 0, con, bench.handoffs,
		min, max, bench_quantile(hist, bench.count, 500),
		bench_quantile(hist, bench.count, 990), bench_quantile(hist, bench.count, 1000));
}

#define UNCONTENDED_PAIRS 200000

/* One hart, one lock no one else touches: what a spin_lock/spin_unlock pair costs. */
static void bench_uncontended(void)
{
	static struct spinlock lk;
	uint64_t t0, ticks;

	spin_init(&lk, "bench_uncontended");
	t0 = arch_time();
	for (int i = 0; i < UNCONTENDED_PAIRS; i++) {
		spin_lock(&lk);
		spin_unlock(&lk);
	}
	ticks = arch_time() - t0;
	kprintf("kine: bench {\"bench\":\"lock_uncontended\",\"lockstat\":%s,\"pairs\":%d,"
		"\"ns_per_pair\":%lu}\n",
		lockstat_enabled() ? "true" : "false", UNCONTENDED_PAIRS,
		ticks * 1000000000ul / timer_timebase_hz() / UNCONTENDED_PAIRS);
}

static bool selftest_lock_bench(void)
{
	int online = harts_online();

	bench_uncontended();
	for (int n = 1; n <= online; n *= 2)
		for (int a = 0; a < ALGO_NR; a++)
			bench_one(a, n);
	bench_uncontended();
	return true;
}

/* ---- lockcheck_*: rules broken on purpose ---- */

static void lockcheck_order(void)
{
	static struct spinlock q, t;

	spin_init(&q, "runq");
	spin_init(&t, "thread");
	kprintf("kine: selftest lockcheck_order: taking 'thread' while holding 'runq'\n");
	spin_lock(&q);
	spin_lock(&t);
	panic("selftest lockcheck_order: the order violation was not caught");
}

static void lockcheck_unheld(void)
{
	static struct spinlock lk;

	spin_init(&lk, "selftest_unheld");
	kprintf("kine: selftest lockcheck_unheld: releasing a free lock\n");
	spin_unlock(&lk);
	panic("selftest lockcheck_unheld: the release was not caught");
}

static void lockcheck_sleep(void)
{
	static struct spinlock lk;
	static struct sleeplock sl;

	spin_init(&lk, "selftest_spin");
	sleeplock_init(&sl, "selftest_sleep");
	kprintf("kine: selftest lockcheck_sleep: taking a sleep lock holding a spinlock\n");
	spin_lock(&lk);
	sleeplock_acquire(&sl);
	panic("selftest lockcheck_sleep: sleeping with a spinlock was not caught");
}

/*
 * A lock of class "buddy" (another lock than the buddy allocator's own, so
 * an image without the check does not deadlock), then a frame allocation,
 * which takes this hart's frame cache lock (and, if the cache is empty,
 * the buddy's real lock, which ranks equal).
 */
static void lockcheck_rank_inverted(void)
{
	static struct spinlock buddy_class;
	paddr_t pa;

	spin_init(&buddy_class, "buddy");
	kprintf("kine: selftest lockcheck_rank: taking 'frame_cache' (a frame allocation) while "
		"holding 'buddy'\n");
	spin_lock(&buddy_class);
	pa = frame_alloc(0);
	spin_unlock(&buddy_class);
	if (pa != 0)
		frame_put_pa(pa, 0);
	panic("selftest lockcheck_rank: the inverted order was not caught (only the debug image "
	      "checks the frame caches' locks)");
}

/* A class that lockcheck.c's table leaves out: its first acquisition must panic. */
static void lockcheck_unranked(void)
{
	static struct spinlock lk;

	spin_init(&lk, "selftest_unranked"); /* unranked on purpose: //test:lock_ranks_test */
	kprintf("kine: selftest lockcheck_unranked: taking a lock of a class with no rank\n");
	spin_lock(&lk);
	panic("selftest lockcheck_unranked: the unranked class was not caught");
}

/* Two locks of one bit-lock class on one hart: bitlock.h's rule, one per class and hart. */
static void bitlock_twice(void)
{
	static struct bitlock_class cls = BITLOCK_CLASS("selftest_bits");
	static uint32_t a, b;
	static uint8_t last_a, last_b;

	kprintf("kine: selftest bitlock_twice: taking a second 'selftest_bits' lock\n");
	bit_lock(&a, 1, &cls, &last_a, 0);
	bit_lock(&b, 1, &cls, &last_b, 0);
	panic("selftest bitlock_twice: the second lock of the class was not caught");
}

bool selftest_lock_run(const char *name, bool *known)
{
	*known = true;
	if (strcmp(name, "lockstat_shared") == 0)
		return selftest_lockstat_shared();
	if (strcmp(name, "lockstat_private") == 0)
		return selftest_lockstat_private();
	if (strcmp(name, "lock_bench") == 0)
		return selftest_lock_bench();
	if (strcmp(name, "lockcheck_order") == 0)
		lockcheck_order();
	if (strcmp(name, "lockcheck_unheld") == 0)
		lockcheck_unheld();
	if (strcmp(name, "lockcheck_sleep") == 0)
		lockcheck_sleep();
	if (strcmp(name, "bitlock_twice") == 0)
		bitlock_twice();
	if (strcmp(name, "lockcheck_rank") == 0)
		lockcheck_rank_inverted();
	if (strcmp(name, "lockcheck_unranked") == 0)
		lockcheck_unranked();
	*known = false;
	return false;
}
