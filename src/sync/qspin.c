/*
 * qspin.c: the queued spinlock of qspin.h.
 *
 * Fast path: one compare-and-swap of the free word (acquire ordering).
 * Slow path: join the MCS queue; once at its head, spin test-and-test-
 * and-set on the word (every turn through spin_wait_once(), so
 * spin_wait_hook runs), then leave the queue, which makes the next
 * waiter the head. Release is one store with release ordering.
 */
#include "src/sync/qspin.h"

#include "src/sync/spinlock.h"

static bool qspin_try(struct qspin_lock *q)
{
	uint32_t free_word = 0;

	return __atomic_compare_exchange_n(&q->locked, &free_word, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

bool qspin_acquire(struct qspin_lock *q)
{
	if (qspin_try(q))
		return false;
	mcs_acquire(&q->queue);
	while (!qspin_try(q))
		while (__atomic_load_n(&q->locked, __ATOMIC_RELAXED) != 0)
			spin_wait_once();
	mcs_release(&q->queue);
	return true;
}

void qspin_release(struct qspin_lock *q)
{
	__atomic_store_n(&q->locked, 0, __ATOMIC_RELEASE);
}
