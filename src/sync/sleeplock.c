/*
 * sleeplock.c: sleep locks on top of a spinlock and a wait queue, with
 * their statistics (counted under sl->lk, on the hart that holds it).
 */
#include "src/sync/sleeplock.h"

#include <stddef.h>

#include "src/arch/riscv/cpu.h"
#include "src/base/panic.h"
#include "src/sched/hart.h"
#include "src/sched/thread.h"
#include "src/sync/lockcheck.h"
#include "src/sync/lockstat_record.h"

void sleeplock_init(struct sleeplock *sl, const char *name)
{
	spin_init(&sl->lk, name);
	/*
	 * Not name: sl->lk, of class name, is the queue's condition lock, ranked
	 * before thread locks, and the queue's own lock is taken after one.
	 */
	waitq_init(&sl->waiters, "sleeplock_waiters");
	sl->locked = false;
	sl->holder = NULL;
	sl->name = name;
	sl->cls = lockstat_class_get(name, LOCK_SLEEP);
	sl->acquired_at = 0;
	sl->last_hart = 0;
}

/* noinline: the caller's return address is the contending call site. */
__attribute__((noinline)) void sleeplock_acquire(struct sleeplock *sl)
{
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	uint64_t asked = arch_time();
	bool contended;

	lockcheck_may_sleep("sleeplock_acquire", 0);
	spin_lock(&sl->lk);
	if (sl->locked && sl->holder == thread_current())
		panic("sleeplock '%s': already held by this thread", sl->name);
	contended = sl->locked;
	while (sl->locked)
		waitq_sleep(&sl->waiters, &sl->lk);
	sl->locked = true;
	sl->holder = thread_current();
#ifndef KINE_NO_LOCKSTAT
	sl->acquired_at = arch_time();
	lockstat_acquired(sl->cls, this_hart()->index, &sl->last_hart, contended,
			  sl->acquired_at - asked, pc);
#else
	(void)asked;
	(void)contended;
	(void)pc;
#endif
	spin_unlock(&sl->lk);
}

void sleeplock_release(struct sleeplock *sl)
{
	spin_lock(&sl->lk);
	if (!sl->locked || sl->holder != thread_current())
		panic("sleeplock '%s': released by a thread that does not hold it", sl->name);
#ifndef KINE_NO_LOCKSTAT
	lockstat_released(sl->cls, this_hart()->index, arch_time() - sl->acquired_at);
#endif
	sl->locked = false;
	sl->holder = NULL;
	waitq_wake_all(&sl->waiters);
	spin_unlock(&sl->lk);
}

bool sleeplock_holding(struct sleeplock *sl)
{
	bool held;

	spin_lock(&sl->lk);
	held = sl->locked && sl->holder == thread_current();
	spin_unlock(&sl->lk);
	return held;
}
