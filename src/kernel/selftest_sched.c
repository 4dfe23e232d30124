/*
 * selftest_sched.c: self-tests of kernel threads and the scheduler
 * (test=threads). Four scenarios, each printing what it saw:
 *
 *   sleeplock  4 threads per hart, created on one hart, take one sleep lock
 *              (yielding inside it now and then); the count must be exact,
 *              and idle harts must have stolen threads (more than one hart
 *              ran them, when there is more than one hart).
 *   affinity   a thread pinned to each hart only ever runs there; a thread
 *              that re-pins itself to each hart in turn arrives there.
 *   pingpong   two threads on two different harts hand a token back and
 *              forth through a wait queue: every handoff is a wakeup that
 *              crosses harts (queue + IPI).
 *   preempt    a thread spins without yielding on a hart while a second
 *              thread pinned to the same hart must still run: only the
 *              timer's preemption can let it.
 * At the end every thread is joined and the settled free-frame count must
 * equal the count at the start.
 */
#include "src/arch/riscv/timer.h"
#include "src/kernel/kernel.h"
#include "src/kernel/selftest.h"
#include "src/mm/memstat.h"
#include "src/sched/hart.h"
#include "src/sched/thread.h"
#include "src/sync/sleeplock.h"
#include "src/sync/waitq.h"

#define SL_ROUNDS         1000
#define THREADS_PER_HART  4
#define PINGPONG_ROUNDS   500
#define PREEMPT_TIMEOUT_S 5

static int current_hart(void)
{
	int h;

	hart_irq_push_off();
	h = this_hart()->index;
	hart_irq_pop_off();
	return h;
}

/* ---- sleeplock ---- */

static struct sleeplock sl_lock;
static uint64_t sl_count; /* guarded by sl_lock */
static uint32_t sl_harts; /* atomic: bit per hart that ran a worker */
static int sl_violations; /* atomic */

static void sl_worker(void *arg)
{
	for (int i = 0; i < SL_ROUNDS; i++) {
		sleeplock_acquire(&sl_lock);
		if (!sleeplock_holding(&sl_lock))
			__atomic_fetch_add(&sl_violations, 1, __ATOMIC_RELAXED);
		sl_count++;
		if (i % 16 == 0)
			thread_yield(); /* holding a sleep lock across a switch is allowed */
		sleeplock_release(&sl_lock);
		__atomic_fetch_or(&sl_harts, 1u << current_hart(), __ATOMIC_RELAXED);
	}
}

static bool sched_test_sleeplock(void)
{
	struct thread *t[THREADS_PER_HART * MAX_HARTS];
	int n = THREADS_PER_HART * nharts, used;

	sleeplock_init(&sl_lock, "selftest");
	for (int i = 0; i < n; i++) {
		t[i] = thread_create(sl_worker, NULL, "sl_worker", THREAD_ANY_HART);
		assert(t[i] != NULL);
	}
	for (int i = 0; i < n; i++)
		thread_join(t[i]);
	used = __builtin_popcount(sl_harts);
	kprintf("kine: selftest threads: sleeplock: count %lu of %d, %d violations, ran on %d "
		"harts\n",
		sl_count, n * SL_ROUNDS, sl_violations, used);
	return sl_count == (uint64_t)n * SL_ROUNDS && sl_violations == 0 &&
	       (nharts == 1 || used > 1);
}

/* ---- affinity ---- */

static int aff_violations; /* atomic */

static void aff_pinned(void *arg)
{
	int want = (int)(uintptr_t)arg;

	for (int i = 0; i < 50; i++) {
		if (current_hart() != want)
			__atomic_fetch_add(&aff_violations, 1, __ATOMIC_RELAXED);
		thread_yield();
	}
}

static void aff_wanderer(void *arg)
{
	for (int round = 0; round < 3; round++)
		for (int h = 0; h < nharts; h++) {
			thread_set_affinity(h);
			if (current_hart() != h)
				__atomic_fetch_add(&aff_violations, 1, __ATOMIC_RELAXED);
		}
	thread_set_affinity(THREAD_ANY_HART);
}

static bool sched_test_affinity(void)
{
	struct thread *t[MAX_HARTS + 1];

	for (int h = 0; h < nharts; h++)
		t[h] = thread_create(aff_pinned, (void *)(uintptr_t)h, "pinned", h);
	t[nharts] = thread_create(aff_wanderer, NULL, "wanderer", THREAD_ANY_HART);
	for (int i = 0; i <= nharts; i++) {
		assert(t[i] != NULL);
		thread_join(t[i]);
	}
	kprintf("kine: selftest threads: affinity: %d violations\n", aff_violations);
	return aff_violations == 0;
}

/* ---- pingpong ---- */

static struct spinlock pp_lock = SPINLOCK_INIT("pingpong");
static struct waitq pp_wait;
static int pp_turn;       /* guarded by pp_lock: whose move (0 or 1) */
static int pp_handoffs;   /* guarded by pp_lock */
static int pp_wrong_hart; /* atomic */

struct pp_player {
	int me;
	int hart;
};

static void pp_play(void *arg)
{
	struct pp_player *p = arg;

	for (int i = 0; i < PINGPONG_ROUNDS; i++) {
		spin_lock(&pp_lock);
		while (pp_turn != p->me)
			waitq_sleep(&pp_wait, &pp_lock);
		pp_turn = 1 - p->me;
		pp_handoffs++;
		waitq_wake_all(&pp_wait);
		spin_unlock(&pp_lock);
		if (current_hart() != p->hart)
			__atomic_fetch_add(&pp_wrong_hart, 1, __ATOMIC_RELAXED);
	}
}

static bool sched_test_pingpong(void)
{
	struct pp_player a = {0, 0}, b = {1, nharts - 1};
	uint64_t t0 = arch_time(), ns;
	struct thread *ta, *tb;

	waitq_init(&pp_wait, "pingpong_wait"); /* ranked after pp_lock, "pingpong" (lockcheck.c) */
	ta = thread_create(pp_play, &a, "ping", a.hart);
	tb = thread_create(pp_play, &b, "pong", b.hart);
	assert(ta != NULL && tb != NULL);
	thread_join(ta);
	thread_join(tb);
	ns = (arch_time() - t0) * 1000000000 / timer_timebase_hz();
	kprintf("kine: selftest threads: pingpong: %d handoffs between harts %u and %u, %lu ns "
		"each, %d on a wrong hart\n",
		pp_handoffs, harts[a.hart].hartid, harts[b.hart].hartid,
		ns / (pp_handoffs ? pp_handoffs : 1), pp_wrong_hart);
	return pp_handoffs == 2 * PINGPONG_ROUNDS && pp_wrong_hart == 0;
}

/* ---- preempt ---- */

static int pre_flag; /* atomic */

static void pre_spinner(void *arg)
{
	uint64_t deadline = arch_time() + PREEMPT_TIMEOUT_S * timer_timebase_hz();

	while (!__atomic_load_n(&pre_flag, __ATOMIC_ACQUIRE) && arch_time() < deadline)
		; /* no yield, interrupts on: only preemption lets the other run */
}

static void pre_setter(void *arg)
{
	__atomic_store_n(&pre_flag, 1, __ATOMIC_RELEASE);
}

static bool sched_test_preempt(void)
{
	int h = nharts - 1;
	struct thread *spin = thread_create(pre_spinner, NULL, "spinner", h);
	struct thread *set = thread_create(pre_setter, NULL, "setter", h);

	assert(spin != NULL && set != NULL);
	thread_join(spin);
	thread_join(set);
	kprintf("kine: selftest threads: preempt: the second thread on hart %u %s\n",
		harts[h].hartid, pre_flag ? "ran" : "NEVER RAN");
	return pre_flag != 0;
}

bool selftest_sched_run(const char *name, bool *known)
{
	uint64_t before, after;
	bool ok = true;

	*known = strcmp(name, "threads") == 0;
	if (!*known)
		return false;
	before = memstat_free_frames();
	ok &= sched_test_sleeplock();
	ok &= sched_test_affinity();
	ok &= sched_test_pingpong();
	ok &= sched_test_preempt();
	after = memstat_free_frames();
	kprintf("kine: selftest threads: free frames %lu before, %lu after\n", before, after);
	return ok && before == after;
}
