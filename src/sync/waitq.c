/*
 * waitq.c: the wait queue protocol of waitq.h.
 *
 * The sleeper takes its own thread lock before it joins the queue and
 * keeps it until its registers are saved in the scheduler, so a waker that
 * finds it on the queue waits on that lock and always sees it SLEEPING.
 * The waker never takes a thread lock while it holds the queue's lock (the
 * sleeper's order is thread lock, then queue lock).
 *
 * So between taking a sleeper off the queue and waking it the waker holds
 * no lock, and thread_interrupt() may wake the sleeper first; the sleeper
 * may then run and sleep again, on this queue or another. The waker must
 * not end that newer sleep (the sleeper would run while still linked on a
 * queue, and the queue's list would later break, losing sleepers for
 * good: stackbomb hung so). Each sleep is numbered (t->sleeps), the queue
 * remembers the number, and thread_wake() wakes only that sleep.
 */
#include "src/sync/waitq.h"

#include <stddef.h>

#include "src/base/assert.h"
#include "src/sched/thread.h"
#include "src/sync/lockcheck.h"

void waitq_init(struct waitq *wq, const char *name)
{
	spin_init(&wq->lock, name);
	wq->head = wq->tail = NULL;
	wq->gen = 0;
}

void waitq_sleep(struct waitq *wq, struct spinlock *cond_lock)
{
	struct thread *t = thread_current();

	assert(t != NULL && spin_holding(cond_lock));
	lockcheck_may_sleep("waitq_sleep", 1); /* the condition lock, nothing else */
	spin_lock(&t->lock);
	t->sleeps++;
	spin_lock(&wq->lock);
	t->wait_next = NULL;
	t->wait_gen = wq->gen;
	t->wait_sleep = t->sleeps;
	if (wq->tail)
		wq->tail->wait_next = t;
	else
		wq->head = t;
	wq->tail = t;
	t->sleeping_on = wq;
	spin_unlock(&wq->lock);
	t->state = THREAD_SLEEPING;
	spin_unlock(cond_lock);
	thread_sleep_locked(t);
	spin_unlock(&t->lock);
	spin_lock(cond_lock);
}

/*
 * The first sleeper from before generation gen, taken off the queue, and
 * the number of the sleep it was queued for (*sleep); or NULL.
 */
static struct thread *waitq_pop_before(struct waitq *wq, uint64_t gen, uint64_t *sleep)
{
	struct thread *t;

	spin_lock(&wq->lock);
	t = wq->head;
	if (t != NULL && t->wait_gen < gen) {
		wq->head = t->wait_next;
		if (wq->tail == t)
			wq->tail = NULL;
		*sleep = t->wait_sleep;
	} else {
		t = NULL;
	}
	spin_unlock(&wq->lock);
	return t;
}

void waitq_wake_all(struct waitq *wq)
{
	struct thread *t;
	uint64_t gen, sleep;

	spin_lock(&wq->lock);
	gen = ++wq->gen;
	spin_unlock(&wq->lock);
	while ((t = waitq_pop_before(wq, gen, &sleep)) != NULL)
		thread_wake(t, sleep);
}

void waitq_remove(struct waitq *wq, struct thread *t)
{
	struct thread *prev = NULL;

	assert(spin_holding(&t->lock));
	spin_lock(&wq->lock);
	for (struct thread *c = wq->head; c != NULL; prev = c, c = c->wait_next) {
		if (c != t)
			continue;
		if (prev)
			prev->wait_next = c->wait_next;
		else
			wq->head = c->wait_next;
		if (wq->tail == c)
			wq->tail = prev;
		break;
	}
	spin_unlock(&wq->lock);
}
