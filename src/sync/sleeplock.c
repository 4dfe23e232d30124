/*
 * sleeplock.c: sleep locks on top of a spinlock and a wait queue.
 */
#include "src/sync/sleeplock.h"

#include <stddef.h>

#include "src/kernel/kernel.h"
#include "src/sched/thread.h"

void sleeplock_init(struct sleeplock *sl, const char *name)
{
	spin_init(&sl->lk, name);
	waitq_init(&sl->waiters, name);
	sl->locked = false;
	sl->holder = NULL;
	sl->name = name;
}

void sleeplock_acquire(struct sleeplock *sl)
{
	spin_lock(&sl->lk);
	if (sl->locked && sl->holder == thread_current())
		panic("sleeplock '%s': already held by this thread", sl->name);
	while (sl->locked)
		waitq_sleep(&sl->waiters, &sl->lk);
	sl->locked = true;
	sl->holder = thread_current();
	spin_unlock(&sl->lk);
}

void sleeplock_release(struct sleeplock *sl)
{
	spin_lock(&sl->lk);
	if (!sl->locked || sl->holder != thread_current())
		panic("sleeplock '%s': released by a thread that does not hold it", sl->name);
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
