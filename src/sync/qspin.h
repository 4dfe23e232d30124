/*
 * qspin.h: the queued spinlock kine uses by default: a lock word that any
 * hart may take when it is free, and an MCS queue (mcs.h) that orders the
 * harts waiting for it.
 *
 * Only the hart at the head of the queue spins on the lock word; the
 * others wait on their own queue node (or park), so a release disturbs
 * one waiter, not all. A hart that finds the word free takes it at once,
 * even past a queued head: like Linux's queued spinlock under a
 * hypervisor, this gives up strict FIFO order so that a waiter whose
 * (virtual) hart is not running cannot stall every hand-off. Measured
 * against the plain ticket and MCS locks in docs/lockstat.md.
 *
 * Invariants: locked is 1 exactly while some hart holds the lock; the
 * queue's holder is the one hart allowed to spin on locked; a hart leaves
 * the queue (passing the head on) as soon as it owns locked.
 */
#ifndef KINE_SYNC_QSPIN_H
#define KINE_SYNC_QSPIN_H

#include <stdbool.h>
#include <stdint.h>

#include "src/sync/mcs.h"

struct qspin_lock {
	uint32_t locked;       /* 0 free, 1 held: compare-and-swap / exchange */
	struct mcs_lock queue; /* the waiters, in order */
};

/* Take the lock; returns true when it had to wait (it was contended). */
bool qspin_acquire(struct qspin_lock *q);

void qspin_release(struct qspin_lock *q);

#endif
