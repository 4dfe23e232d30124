/*
 * spinlock.h: mutual exclusion between harts, with interrupts off.
 *
 * A spinlock is held by one hart at a time; while it holds it, that hart
 * takes no interrupts (an interrupt handler that wanted the same lock
 * would otherwise spin forever on its own hart). hart_irq_push_off() and
 * hart_irq_pop_off() nest, so a hart may hold several locks and restores its
 * interrupt state only when it releases the last.
 *
 * The lock itself is a queued spinlock (qspin.h): waiters queue MCS-style
 * and only the first spins on the lock word. (It was measured against a
 * plain ticket lock, ticket.h, and a plain MCS lock, mcs.h: see
 * docs/lockstat.md.) Every lock has a name, and every lock of one name
 * forms one lock class: lock statistics (lockstat.h) and lock-order checks
 * (lockcheck.h) are kept per class, e.g. every address space's lock is
 * class "mm". Names are short words without spaces.
 *
 * Rules: never sleep or yield holding a spinlock; release on the hart that
 * acquired; do not take a lock this hart already holds; take locks of
 * declared classes in the declared order (lockcheck.c). The debug checks
 * panic, with a backtrace, on each of these.
 *
 * Fields other than raw and name are the holder's: only the hart holding
 * the lock reads or writes them (cls also once, idempotently, by whoever
 * first finds it unset).
 */
#ifndef KINE_SYNC_SPINLOCK_H
#define KINE_SYNC_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "src/sync/qspin.h"

struct hart;
struct lock_class;

struct spinlock {
	struct qspin_lock raw;  /* the lock word and its queue (qspin.h) */
	const char *name;       /* the class name: for panics, statistics, checks */
	struct hart *owner;     /* the holder; written only by the holder */
	struct lock_class *cls; /* the class of name; set at first use */
	uint64_t acquired_at;   /* lock statistics: when the holder got it */
	int last_hart;          /* lock statistics: index + 1 of the last holder, 0: none */
};

#define SPINLOCK_INIT(lockname)                                                                    \
	{                                                                                          \
		.name = (lockname)                                                                 \
	}

void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);

/*
 * spin_lock for a wrapper (mm_lock): pc, the wrapper's own caller, is the
 * call site lockstat and lockcheck record, rather than the wrapper.
 */
void spin_lock_from(struct spinlock *lk, uintptr_t pc);

/*
 * Called, when set, from every spin-wait loop of a contended lock. The
 * IPI shootdown (src/mm/tlb.c, KINE_TLB_IPI) installs its poll here: a
 * hart that spins with interrupts off must still answer a TLB-flush
 * request, or the hart that holds the lock and waits for that answer
 * would wait forever. Set once at boot, before a second hart runs.
 */
extern void (*spin_wait_hook)(void);

/*
 * seed=N runs install a pacer here (src/sched/perturb.c): under QEMU's
 * -icount a spinning hart would otherwise keep the emulator's turn while
 * the holder cannot run. Set once at boot, before a second hart runs.
 */
extern void (*spin_wait_pace)(void);

/*
 * One turn of a spin-wait loop: spin_wait_hook and spin_wait_pace (when
 * set), then the pause hint. Every contended wait of every lock algorithm (qspin.c, ticket.c,
 * mcs.c, the benchmark's test-and-set) loops on this.
 */
void spin_wait_once(void);

/*
 * Parking, for waits that outlast SPIN_PARK_AFTER turns: a waiter that has
 * announced itself to its lock's releaser (ticket.c, mcs.c) sleeps in
 * spin_park() until an interrupt is pending (interrupts stay off: the
 * hart only wakes, it takes nothing), and the releaser wakes it with
 * spin_kick(). A kick that comes before the park leaves the interrupt
 * pending, so the park returns at once: no wakeup is lost. This is what
 * keeps a fair lock usable when harts outnumber host cores under QEMU
 * (a spinning waiter would hold the core the next holder needs) and
 * saves power on a board.
 */
#define SPIN_PARK_AFTER 256

void spin_park(void);
void spin_kick(int hart_index);
int spin_self(void); /* this hart's index */

/* Does this hart hold lk? (Call with interrupts off or holding lk.) */
bool spin_holding(const struct spinlock *lk);

#endif
