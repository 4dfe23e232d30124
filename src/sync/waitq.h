/*
 * waitq.h: wait queues: threads sleeping until a condition changes.
 *
 * The condition is guarded by a spinlock the caller chooses (the
 * "condition lock"). A sleeper holds it while it checks the condition and
 * calls waitq_sleep(), which releases it only once the thread is on the
 * queue and marked sleeping; a waker changes the condition under the same
 * lock and then calls waitq_wake_all(). So a wakeup can never fall between
 * the check and the sleep. waitq.lock guards only the list.
 */
#ifndef KINE_SYNC_WAITQ_H
#define KINE_SYNC_WAITQ_H

#include "src/sync/spinlock.h"

struct thread;

struct waitq {
	struct spinlock lock;
	struct thread *head; /* guarded by lock; linked through wait_next */
};

void waitq_init(struct waitq *wq, const char *name);

/* Sleep on wq; cond_lock must be held and is held again on return. */
void waitq_sleep(struct waitq *wq, struct spinlock *cond_lock);

/* Wake every thread sleeping on wq. */
void waitq_wake_all(struct waitq *wq);

#endif
