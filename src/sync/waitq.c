/*
 * waitq.c: the wait queue protocol of waitq.h.
 *
 * The sleeper takes its own thread lock before it joins the queue and
 * keeps it until its registers are saved in the scheduler, so a waker that
 * finds it on the queue waits on that lock and always sees it SLEEPING:
 * the waker never takes a thread lock while it holds the queue's lock
 * (the sleeper's order is thread lock, then queue lock).
 */
#include "src/sync/waitq.h"

#include <stddef.h>

#include "src/kernel/kernel.h"
#include "src/sched/thread.h"

void waitq_init(struct waitq *wq, const char *name)
{
	spin_init(&wq->lock, name);
	wq->head = NULL;
}

void waitq_sleep(struct waitq *wq, struct spinlock *cond_lock)
{
	struct thread *t = thread_current();

	assert(t != NULL && spin_holding(cond_lock));
	spin_lock(&t->lock);
	spin_lock(&wq->lock);
	t->wait_next = wq->head;
	wq->head = t;
	spin_unlock(&wq->lock);
	t->state = THREAD_SLEEPING;
	spin_unlock(cond_lock);
	thread_sleep_locked(t);
	spin_unlock(&t->lock);
	spin_lock(cond_lock);
}

void waitq_wake_all(struct waitq *wq)
{
	struct thread *list;

	spin_lock(&wq->lock);
	list = wq->head;
	wq->head = NULL;
	spin_unlock(&wq->lock);
	while (list != NULL) {
		struct thread *t = list;

		list = t->wait_next;
		thread_wake(t);
	}
}
