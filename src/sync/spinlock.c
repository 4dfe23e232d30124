/*
 * spinlock.c: a test-and-test-and-set spinlock.
 *
 * The exchange has acquire ordering and the release store has release
 * ordering, so everything written inside the critical section is visible
 * to the next holder (on RISC-V, amoswap.w.aq and a fence before the
 * store). Waiters spin on a plain load, which stays in their cache until
 * the holder's store invalidates it, instead of hammering the line with
 * atomic swaps. (The lock-statistics issue replaces this with a fair lock
 * and measures both.)
 */
#include "src/sync/spinlock.h"

#include "src/arch/riscv/cpu.h"
#include "src/kernel/kernel.h"
#include "src/sched/hart.h"

void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->owner = NULL;
}

bool spin_holding(const struct spinlock *lk)
{
	return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) != 0 && lk->owner == this_hart();
}

void spin_lock(struct spinlock *lk)
{
	irq_push_off();
	if (spin_holding(lk))
		panic("spin_lock: hart %u already holds lock '%s'", this_hart()->hartid, lk->name);
	while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
		while (__atomic_load_n(&lk->locked, __ATOMIC_RELAXED) != 0)
			arch_cpu_relax();
	lk->owner = this_hart();
}

void spin_unlock(struct spinlock *lk)
{
	if (!spin_holding(lk))
		panic("spin_unlock: hart %u does not hold lock '%s'", this_hart()->hartid,
		      lk->name);
	lk->owner = NULL;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
	irq_pop_off();
}
