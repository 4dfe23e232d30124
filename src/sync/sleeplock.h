/*
 * sleeplock.h: a lock whose waiters sleep instead of spinning, for long
 * critical sections (pipes, and later file and address-space operations).
 * Only threads may take one; interrupts stay on while it is held.
 */
#ifndef KINE_SYNC_SLEEPLOCK_H
#define KINE_SYNC_SLEEPLOCK_H

#include <stdbool.h>

#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"

struct thread;

struct sleeplock {
	struct spinlock lk; /* guards locked and holder */
	bool locked;
	struct thread *holder;
	struct waitq waiters;
	const char *name;
};

void sleeplock_init(struct sleeplock *sl, const char *name);
void sleeplock_acquire(struct sleeplock *sl);
void sleeplock_release(struct sleeplock *sl);
bool sleeplock_holding(struct sleeplock *sl);

#endif
