/*
 * sleeplock.h: a lock whose waiters sleep instead of spinning, for long
 * critical sections (pipes, and later file and address-space operations).
 * Only threads may take one, holding no spinlock (lockcheck panics
 * otherwise); interrupts stay on while it is held.
 *
 * Sleep locks have classes and statistics like spinlocks (lockstat.h,
 * kind "sleep"): a contention is an acquire that had to sleep, the wait
 * is the time until it got the lock, the hold is from then to release
 * (which may be on another hart). The inner spinlock `lk` is a spin class
 * of the same name, which needs a rank in lockcheck.c; the wait queue's
 * lock is the one class "sleeplock_waiters" for every sleep lock.
 */
#ifndef KINE_SYNC_SLEEPLOCK_H
#define KINE_SYNC_SLEEPLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"

struct thread;

struct sleeplock {
	struct spinlock lk; /* guards locked and holder */
	bool locked;
	struct thread *holder;
	struct waitq waiters;
	const char *name;
	struct lock_class *cls; /* the sleep class of name */
	uint64_t acquired_at;   /* guarded by lk: when the holder got it */
	int last_hart;          /* guarded by lk: index + 1 of the last holder's hart */
};

void sleeplock_init(struct sleeplock *sl, const char *name);
void sleeplock_acquire(struct sleeplock *sl);
void sleeplock_release(struct sleeplock *sl);
bool sleeplock_holding(struct sleeplock *sl);

#endif
