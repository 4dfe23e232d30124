/*
 * ticket.c: the ticket lock of ticket.h.
 *
 * The add that takes a ticket needs no ordering of its own: the acquire
 * load that sees our number in `serving` orders the critical section after
 * the previous holder's release. Every turn of the wait loop goes through
 * spin_wait_once() (spinlock.h), which runs spin_wait_hook.
 *
 * Parking is a store-then-load handshake on both sides, all sequentially
 * consistent: the waiter sets its parked bit then reads serving; the
 * releaser writes serving then reads parked. At least one of them sees
 * the other's write, so a waiter never sleeps through its turn unkicked.
 */
#include "src/sync/ticket.h"

#include "src/sync/spinlock.h"

bool ticket_acquire(struct ticket_lock *t)
{
	uint32_t mine = __atomic_fetch_add(&t->next, 1, __ATOMIC_RELAXED);

	if (__atomic_load_n(&t->serving, __ATOMIC_ACQUIRE) == mine)
		return false;
	for (int turns = 0; __atomic_load_n(&t->serving, __ATOMIC_ACQUIRE) != mine; turns++) {
		if (turns >= SPIN_PARK_AFTER) {
			uint32_t bit = 1u << spin_self();

			__atomic_fetch_or(&t->parked, bit, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&t->serving, __ATOMIC_SEQ_CST) != mine)
				spin_park();
			__atomic_fetch_and(&t->parked, ~bit, __ATOMIC_RELAXED);
		}
		spin_wait_once();
	}
	return true;
}

void ticket_release(struct ticket_lock *t)
{
	uint32_t parked;

	/* Only the holder writes serving, so a plain read is exact. */
	__atomic_store_n(&t->serving, t->serving + 1, __ATOMIC_SEQ_CST);
	parked = __atomic_load_n(&t->parked, __ATOMIC_SEQ_CST);
	for (int h = 0; parked != 0; h++, parked >>= 1)
		if (parked & 1)
			spin_kick(h);
}
