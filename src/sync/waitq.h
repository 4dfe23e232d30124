/*
 * waitq.h: wait queues: threads sleeping until a condition changes.
 *
 * The condition is guarded by a spinlock the caller chooses (the
 * "condition lock"). A sleeper holds it while it checks the condition and
 * calls waitq_sleep(), which releases it only once the thread is on the
 * queue and marked sleeping; a waker changes the condition under the same
 * lock and then calls waitq_wake_all(). So a wakeup can never fall between
 * the check and the sleep. waitq.lock guards the list and the generation.
 *
 * The list is FIFO and every sleeper remembers the generation it slept in:
 * waitq_wake_all() wakes exactly the threads that were asleep when it was
 * called, one at a time under the lock, so it never walks a list that a
 * woken (and already re-sleeping) thread is changing, and a sleeper that
 * comes back at once is not woken twice by the same call.
 */
#ifndef KINE_SYNC_WAITQ_H
#define KINE_SYNC_WAITQ_H

#include <stdint.h>

#include "src/sync/spinlock.h"

struct thread;

struct waitq {
	struct spinlock lock;
	struct thread *head, *tail; /* guarded by lock; linked through wait_next */
	uint64_t gen;               /* guarded by lock: wake_all calls so far */
};

#define WAITQ_INIT(name)                                                                           \
	{                                                                                          \
		.lock = SPINLOCK_INIT(name), .head = 0, .tail = 0, .gen = 0                        \
	}

void waitq_init(struct waitq *wq, const char *name);

/* Sleep on wq; cond_lock must be held and is held again on return. */
void waitq_sleep(struct waitq *wq, struct spinlock *cond_lock);

/* Wake every thread sleeping on wq now. */
void waitq_wake_all(struct waitq *wq);

/*
 * Take t off wq if it is there (with t->lock held): used to interrupt a
 * sleeping thread, e.g. when its process is killed.
 */
void waitq_remove(struct waitq *wq, struct thread *t);

#endif
