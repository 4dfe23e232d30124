/*
 * spinlock.c: kine's spinlock: the queued lock of qspin.h, plus the debug
 * checks and lock statistics around it.
 *
 * spin_lock, in order: interrupts off; the checks (this hart must not hold
 * the lock already; lock order against what this hart holds); the clock
 * read that starts the wait; the lock; if it had to wait, a second clock
 * read; then the statistics, which only the holder touches (so they need
 * no atomics): acquisition, contention, bounce, wait time and call site.
 * spin_unlock records the hold time before it lets the lock go.
 *
 * Built with KINE_NO_LOCKSTAT (the lockstat build setting off), the clock
 * reads and the statistics disappear and only the checks remain.
 */
#include "src/sync/spinlock.h"

#include <stddef.h>

#include "src/arch/riscv/cpu.h"
#include "src/arch/riscv/machine.h"
#include "src/base/panic.h"
#include "src/sched/hart.h"
#include "src/sync/lockcheck.h"
#include "src/sync/lockstat_record.h"

void (*spin_wait_hook)(void);
void (*spin_wait_pace)(void);

void spin_wait_once(void)
{
	void (*hook)(void) = spin_wait_hook;
	void (*pace)(void) = spin_wait_pace;

	if (hook != NULL)
		hook();
	if (pace != NULL)
		pace();
	arch_cpu_relax();
}

void spin_park(void)
{
	arch_wait_for_interrupt();
}

void spin_kick(int hart_index)
{
	arch_ipi_send(harts[hart_index].hartid);
}

int spin_self(void)
{
	return this_hart()->index;
}

void spin_init(struct spinlock *lk, const char *name)
{
	lk->raw = (struct qspin_lock){0};
	lk->name = name;
	lk->owner = NULL;
	lk->cls = lockstat_class_get(name, LOCK_SPIN);
	lk->acquired_at = 0;
	lk->last_hart = 0;
}

bool spin_holding(const struct spinlock *lk)
{
	return lk->owner == this_hart();
}

/* noinline: the caller's return address is the contending call site. */
__attribute__((noinline)) void spin_lock(struct spinlock *lk)
{
	spin_lock_from(lk, (uintptr_t)__builtin_return_address(0));
}

void spin_lock_from(struct spinlock *lk, uintptr_t pc)
{
	struct lock_class *c;
	bool contended;
	struct hart *h;

	hart_irq_push_off();
	h = this_hart();
	if (lk->owner == h)
		panic("spin_lock: hart %u already holds lock '%s'", h->hartid, lk->name);
	c = lockstat_class_cached(&lk->cls, lk->name); /* SPINLOCK_INIT locks start without */
	lockcheck_acquire(lk, c, pc);
#ifdef KINE_NO_LOCKSTAT
	contended = qspin_acquire(&lk->raw);
	(void)contended;
	lk->owner = h;
#else
	uint64_t asked = arch_time();

	contended = qspin_acquire(&lk->raw);
	lk->owner = h;
	lk->acquired_at = contended ? arch_time() : asked;
	lockstat_acquired(c, h->index, &lk->last_hart, contended, lk->acquired_at - asked, pc);
#endif
}

void spin_unlock(struct spinlock *lk)
{
	struct hart *h = this_hart();

	if (lk->owner != h)
		lockcheck_fail_unheld(lk->name, lk->owner, (uintptr_t)__builtin_return_address(0));
#ifndef KINE_NO_LOCKSTAT
	lockstat_released(lk->cls, h->index, arch_time() - lk->acquired_at);
#endif
	lockcheck_release(lk);
	lk->owner = NULL;
	qspin_release(&lk->raw);
	hart_irq_pop_off();
}
