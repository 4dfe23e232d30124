/*
 * spinlock.h: mutual exclusion between harts, with interrupts off.
 *
 * A spinlock is held by one hart at a time; while it holds it, that hart
 * takes no interrupts (an interrupt handler that wanted the same lock
 * would otherwise spin forever on its own hart). irq_push_off() and
 * irq_pop_off() nest, so a hart may hold several locks and restores its
 * interrupt state only when it releases the last.
 *
 * Rules: never sleep or yield holding a spinlock; release on the hart that
 * acquired; do not take a lock this hart already holds. The debug checks
 * panic on the last two.
 */
#ifndef KINE_SYNC_SPINLOCK_H
#define KINE_SYNC_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct hart;

struct spinlock {
	uint32_t locked;    /* 0 or 1; changed only by atomics */
	const char *name;   /* for panics (and lock statistics, later) */
	struct hart *owner; /* the holder; written only by the holder */
};

#define SPINLOCK_INIT(lockname)                                                                    \
	{                                                                                          \
		.locked = 0, .name = (lockname), .owner = 0                                        \
	}

void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);

/* Does this hart hold lk? (Call with interrupts off or holding lk.) */
bool spin_holding(const struct spinlock *lk);

#endif
