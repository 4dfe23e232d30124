/*
 * selftest.c: self-tests the kernel runs at boot when asked (test=NAME).
 *
 * Each test checks values and prints what it saw, so the console log of a
 * failed run says what went wrong. The tests run on the boot hart after
 * every hart is online; waits are bounded by the platform clock, never
 * open-ended.
 *
 *   boot   every online hart takes timer interrupts and receives IPIs,
 *          both from the boot hart (a PING to all) and from its
 *          neighbour (a RING token passed hart to hart and back).
 *   spinlock
 *          every hart takes one spinlock SPIN_ROUNDS times at once
 *          (through ipi_run_everywhere) and checks, inside, that no other
 *          hart is inside; the shared count must come out exact.
 *   (memory self-tests: see selftest_mm.c)
 *   panic  panic on purpose: the run must end with a backtrace and
 *          "verdict: FAIL panic" (tests the failure path end to end).
 *   fault  load from an unmapped address (0): the trap handler must
 *          report a load page fault with that address in stval,
 *          the registers and a backtrace, and end with "FAIL panic".
 */
#include "src/kernel/selftest.h"
#include "src/arch/riscv/timer.h"
#include "src/kernel/kernel.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sync/spinlock.h"

#define SELFTEST_MIN_TICKS 3
#define SELFTEST_TIMEOUT_S 10

static uint64_t read_counter(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static bool boot_hart_ready(const struct hart *h)
{
	return read_counter(&h->timer_irqs) >= SELFTEST_MIN_TICKS &&
	       read_counter(&h->ipi_received[IPI_PING]) >= 1 &&
	       read_counter(&h->ipi_received[IPI_RING]) >= 1;
}

static bool boot_all_ready(void)
{
	for (int i = 0; i < nharts; i++)
		if (hart_is_online(&harts[i]) && !boot_hart_ready(&harts[i]))
			return false;
	return true;
}

static bool selftest_boot(void)
{
	uint64_t deadline = arch_time() + SELFTEST_TIMEOUT_S * timer_timebase_hz();
	bool ok;
	int online = 0;

	for (int i = 0; i < nharts; i++)
		if (hart_is_online(&harts[i]))
			ipi_send(&harts[i], IPI_PING);
	/* The token goes 0 -> 1 -> ... -> n-1 -> 0; with one hart, 0 -> 0. */
	ipi_send(&harts[1 % nharts], IPI_RING);
	while (!(ok = boot_all_ready()) && arch_time() < deadline)
		arch_wait_for_interrupt();

	for (int i = 0; i < nharts; i++) {
		const struct hart *h = &harts[i];

		if (!hart_is_online(h))
			continue;
		online++;
		kprintf("kine: selftest boot: hart %u: %s, timer irqs %lu, ping %lu, ring %lu\n",
			h->hartid, boot_hart_ready(h) ? "ok" : "MISSING INTERRUPTS",
			read_counter(&h->timer_irqs), read_counter(&h->ipi_received[IPI_PING]),
			read_counter(&h->ipi_received[IPI_RING]));
	}
	kprintf("kine: selftest boot: timer and IPIs %s on %d harts\n", ok ? "arrived" : "MISSING",
		online);
	return ok && online == nharts;
}

#define SPIN_ROUNDS 20000

struct spin_test {
	struct spinlock lock;
	uint64_t count;            /* guarded by lock */
	int inside;                /* guarded by lock: index of the holder, or -1 */
	int violations;            /* atomic: a second hart was seen inside */
	uint64_t taken[MAX_HARTS]; /* each hart writes only its own entry */
};

static void spin_test_worker(void *arg)
{
	struct spin_test *t = arg;
	int me = this_hart()->index;

	for (int i = 0; i < SPIN_ROUNDS; i++) {
		spin_lock(&t->lock);
		if (t->inside != -1)
			__atomic_fetch_add(&t->violations, 1, __ATOMIC_RELAXED);
		t->inside = me;
		t->count++;
		for (volatile int d = 0; d < 8; d++)
			;
		if (t->inside != me)
			__atomic_fetch_add(&t->violations, 1, __ATOMIC_RELAXED);
		t->inside = -1;
		t->taken[me]++;
		spin_unlock(&t->lock);
	}
}

static bool selftest_spinlock(void)
{
	static struct spin_test t;
	uint64_t start = arch_time(), ticks;
	int online = harts_online();

	spin_init(&t.lock, "selftest");
	t.inside = -1;
	ipi_run_everywhere(spin_test_worker, &t);
	ticks = arch_time() - start;
	for (int i = 0; i < nharts; i++)
		kprintf("kine: selftest spinlock: hart %u took the lock %lu times\n",
			harts[i].hartid, t.taken[i]);
	kprintf("kine: selftest spinlock: count %lu of %lu, %d violations, %lu us\n", t.count,
		(uint64_t)SPIN_ROUNDS * online, t.violations,
		ticks * 1000000 / timer_timebase_hz());
	return t.count == (uint64_t)SPIN_ROUNDS * online && t.violations == 0;
}

static void selftest_panic(void)
{
	panic("selftest: deliberate panic");
}

/* Virtual address 0 is never mapped: the first page of user space. */
#define SELFTEST_FAULT_ADDR 0x0ul

static void selftest_fault(void)
{
	volatile uint64_t *p = (volatile uint64_t *)SELFTEST_FAULT_ADDR;

	kprintf("kine: selftest fault: loading from %#lx\n", SELFTEST_FAULT_ADDR);
	(void)*p;
	panic("selftest fault: the load from %#lx did not trap", SELFTEST_FAULT_ADDR);
}

bool selftest_run(const char *name)
{
	bool known, pass;

	if (strcmp(name, "boot") == 0)
		return selftest_boot();
	if (strcmp(name, "spinlock") == 0)
		return selftest_spinlock();
	if (strcmp(name, "panic") == 0)
		selftest_panic();
	if (strcmp(name, "fault") == 0)
		selftest_fault();
	pass = selftest_mm_run(name, &known);
	if (known)
		return pass;
	pass = selftest_sched_run(name, &known);
	if (known)
		return pass;
	pass = selftest_user_run(name, &known);
	if (known)
		return pass;
	pass = selftest_lock_run(name, &known);
	if (known)
		return pass;
	pass = selftest_kstack_run(name, &known);
	if (known)
		return pass;
	kprintf("kine: unknown self-test '%s' (known: boot, spinlock, panic, fault, wx, frames, "
		"frames_exhaust, frames_bench, threads, user, lockstat_shared, lockstat_private, "
		"lock_bench, lockcheck_order, lockcheck_unheld, lockcheck_sleep, lockcheck_rank, "
		"lockcheck_unranked, bitlock_twice, "
		"kstack, kstack_overflow)\n",
		name);
	return false;
}
