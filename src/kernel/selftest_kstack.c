/*
 * selftest_kstack.c: self-tests of kernel thread stacks (src/mm/kstack.c).
 *
 *   kstack           a thread's guard page faults and its stack does not;
 *                    then rounds of threads on every hart, each keeping a
 *                    pattern on its stack across yields, so that stacks are
 *                    handed out fresh, reused warm, unmapped and freed once
 *                    every hart has flushed; at
 *                    the end the settled free-frame count equals the count
 *                    at the start.
 *   kstack_overflow  a thread recurses until its stack overflows: the run
 *                    must end in "kernel stack overflow in thread" and
 *                    "verdict: FAIL panic", never in silent corruption or a
 *                    hang (test/qemu:kstack_overflow_virt_smp2).
 */
#include "src/arch/riscv/probe.h"
#include "src/arch/riscv/riscv.h"
#include "src/kernel/kernel.h"
#include "src/kernel/selftest.h"
#include "src/mm/kstack.h"
#include "src/mm/memstat.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/thread.h"

#define KSTACK_ROUNDS         8
#define KSTACK_THREADS        48  /* per round: more than the warm list keeps */
#define KSTACK_PATTERN_WORDS  256 /* 2 KiB of each stack */
#define KSTACK_PATTERN_YIELDS 3

/* ---- the guard ---- */

struct guard_result {
	int below, bottom, top; /* probe results: -1 faulted, 0 allowed */
	uint64_t cause;         /* scause of the guard's fault */
};

static void guard_probe(void *arg)
{
	struct guard_result *r = arg;
	const struct kstack *ks = thread_current()->kstack;

	/*
	 * The fault is recorded in this hart's slot: no preemption (and no
	 * move to another hart, whose slot may hold 0) until it is read.
	 */
	(void)hart_local_begin();
	r->below = probe_write_byte((volatile void *)(ks->base - 1));
	r->cause = this_hart()->arch.probe_fault.scause;
	hart_local_end();
	r->bottom = probe_write_byte((volatile void *)ks->base);
	r->top = probe_write_byte((volatile void *)(ks->top - 1));
}

static bool kstack_test_guard(void)
{
	struct guard_result r = {0};
	struct thread *t = thread_create(guard_probe, &r, "guard_probe", THREAD_ANY_HART);
	bool ok;

	assert(t != NULL);
	thread_join(t);
	ok = r.below == -1 && r.bottom == 0 && r.top == 0;
	kprintf("kine: selftest kstack: guard below the stack %s (scause %lu), lowest byte %s, "
		"highest byte %s\n",
		r.below == -1 ? "faulted" : "DID NOT FAULT", r.cause,
		r.bottom == 0 ? "writable" : "FAULTED", r.top == 0 ? "writable" : "FAULTED");
	return ok;
}

/* ---- churn ---- */

static int churn_bad; /* atomic: threads whose pattern changed */

static void churn_thread(void *arg)
{
	uint64_t tag = (uint64_t)(uintptr_t)arg;
	volatile uint64_t pattern[KSTACK_PATTERN_WORDS];

	for (int i = 0; i < KSTACK_PATTERN_WORDS; i++)
		pattern[i] = tag * 0x9e3779b97f4a7c15ull + (uint64_t)i;
	for (int y = 0; y < KSTACK_PATTERN_YIELDS; y++)
		thread_yield();
	for (int i = 0; i < KSTACK_PATTERN_WORDS; i++) {
		if (pattern[i] != tag * 0x9e3779b97f4a7c15ull + (uint64_t)i) {
			kprintf("kine: selftest kstack: thread %d: word %d of its stack changed\n",
				thread_current()->tid, i);
			__atomic_fetch_add(&churn_bad, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

static bool kstack_test_churn(void)
{
	struct thread *t[KSTACK_THREADS];

	for (int round = 0; round < KSTACK_ROUNDS; round++) {
		for (int i = 0; i < KSTACK_THREADS; i++) {
			t[i] = thread_create(churn_thread,
					     (void *)(uintptr_t)(round * KSTACK_THREADS + i + 1),
					     "kstack_churn", i % nharts);
			assert(t[i] != NULL);
		}
		for (int i = 0; i < KSTACK_THREADS; i++)
			thread_join(t[i]);
	}
	kprintf("kine: selftest kstack: %d threads in %d rounds, %d stacks changed under them\n",
		KSTACK_ROUNDS * KSTACK_THREADS, KSTACK_ROUNDS, churn_bad);
	return churn_bad == 0;
}

static bool selftest_kstack(void)
{
	struct kstack_stats s0 = kstack_stats, s1;
	uint64_t before = memstat_free_frames(), after;
	bool ok = kstack_test_guard() && kstack_test_churn();

	after = memstat_free_frames();
	s1 = kstack_stats;
	kprintf("kine: selftest kstack: stacks mapped %lu, reused %lu, unmapped %lu; %lu batches "
		"closed, %lu local flushes\n",
		s1.mapped - s0.mapped, s1.reused - s0.reused, s1.unmapped - s0.unmapped,
		s1.batches - s0.batches, s1.flushes - s0.flushes);
	kprintf("kine: selftest kstack: free frames %lu before, %lu after\n", before, after);
	/* Every path must have run: fresh, warm reuse, batches and flushes. */
	ok &= s1.mapped > s0.mapped && s1.reused > s0.reused && s1.batches > s0.batches &&
	      s1.flushes > s0.flushes;
	return ok && before == after;
}

/* ---- overflow ---- */

/*
 * Not a tail call (the caller's buffer is read after the call returns),
 * and the depth bound is never reached, so the compiler can neither turn
 * this into a loop nor call it infinite.
 */
static int __attribute__((noinline)) overflow_recurse(volatile char *caller, int depth)
{
	volatile char buf[480];

	buf[0] = (char)depth;
	if (caller != NULL)
		buf[1] = caller[0];
	if (depth > 1000000)
		return buf[1];
	return overflow_recurse(buf, depth + 1) + buf[1];
}

static void overflow_thread(void *arg)
{
	const struct kstack *ks = thread_current()->kstack;

	(void)arg;
	kprintf("kine: selftest kstack_overflow: thread %d recursing on its stack [%#lx, %#lx)\n",
		thread_current()->tid, ks->base, ks->top);
	overflow_recurse(NULL, 0);
}

static bool selftest_kstack_overflow(void)
{
	struct thread *t = thread_create(overflow_thread, NULL, "overflow", THREAD_ANY_HART);

	assert(t != NULL);
	thread_join(t);
	kprintf("kine: selftest kstack_overflow: the thread returned: NO OVERFLOW CAUGHT\n");
	return false;
}

bool selftest_kstack_run(const char *name, bool *known)
{
	*known = true;
	if (strcmp(name, "kstack") == 0)
		return selftest_kstack();
	if (strcmp(name, "kstack_overflow") == 0)
		return selftest_kstack_overflow();
	*known = false;
	return false;
}
