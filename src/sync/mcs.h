/*
 * mcs.h: a queued (MCS) spinlock, kept next to the ticket lock so that the
 * two can be measured against each other (test=lock_bench, ./kine bench
 * locks).
 *
 * Waiters form a FIFO list of queue nodes; each spins on its own node, so
 * a release touches one waiter's line instead of every waiter's. A hart
 * takes a node from its own small pool for each lock it holds or waits
 * for and gives it back at release, so a lock costs two pointers.
 *
 * Invariants: tail is the last node in the queue, NULL when the lock is
 * free; holder is the node of the hart holding the lock, written only by
 * that hart. A node belongs to the hart whose pool it came from; only
 * its predecessor in the queue writes its `locked` flag, only its
 * successor writes its `next`. Acquire and release must happen on the
 * same hart (as for every kine spinlock). A waiter that has spun
 * SPIN_PARK_AFTER turns sets `parked`, checks `locked` once more and
 * sleeps; its predecessor, having cleared `locked`, kicks it if it finds
 * `parked` set (both sides store then load, sequentially consistent).
 */
#ifndef KINE_SYNC_MCS_H
#define KINE_SYNC_MCS_H

#include <stdbool.h>
#include <stdint.h>

struct mcs_node {
	struct mcs_node *next; /* the waiter after us; written by it */
	uint32_t locked;       /* 1 while we wait; cleared by our predecessor */
	uint32_t parked;       /* 1 while we sleep waiting (spinlock.h: parking) */
	int hart;              /* the owning hart's index, for the kick */
};

struct mcs_lock {
	struct mcs_node *tail;   /* atomic exchange / compare-and-swap */
	struct mcs_node *holder; /* the holder's node; only the holder touches it */
};

/* Take the lock; returns true when it had to wait behind another hart. */
bool mcs_acquire(struct mcs_lock *l);

void mcs_release(struct mcs_lock *l);

#endif
