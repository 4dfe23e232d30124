/*
 * ticket.h: a ticket lock, the fair spinlock kine uses by default.
 *
 * A hart takes the next ticket with one atomic add and waits until
 * `serving` shows its number; release hands the lock to the next ticket
 * with one store. Harts are served strictly in the order they arrived, so
 * no hart starves. A waiter that has spun SPIN_PARK_AFTER turns parks
 * (spinlock.h): it sets its bit in `parked`, checks `serving` once more
 * and sleeps until an interrupt; a releaser that finds bits in `parked`
 * kicks those harts.
 *
 * Invariants: serving <= next (mod 2^32); the lock is free iff they are
 * equal; only the holder writes serving; a hart's bit in parked is set
 * only by that hart, while it waits. The counters wrap, which is harmless
 * while fewer than 2^32 harts wait at once.
 */
#ifndef KINE_SYNC_TICKET_H
#define KINE_SYNC_TICKET_H

#include <stdbool.h>
#include <stdint.h>

struct ticket_lock {
	uint32_t next;    /* the ticket the next arrival takes (atomic add) */
	uint32_t serving; /* the ticket that holds the lock; written by the holder */
	uint32_t parked;  /* bit per hart index: parked waiters (atomic or/and) */
};

/* Take the lock; returns true when it had to wait (it was contended). */
bool ticket_acquire(struct ticket_lock *t);

void ticket_release(struct ticket_lock *t);

#endif
