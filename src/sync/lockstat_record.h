/*
 * lockstat_record.h: how a lock records an acquisition and a release in
 * lockstat's per-hart counts (lockstat.h). For the locks of src/sync only
 * (spinlock.c, sleeplock.c, and bitlock.h's inline bit locks); whoever
 * includes it sees the lockstat build setting's define (the
 * //src/sync:lockstat_setting target), so the inline code and lockstat.c
 * agree on whether the counts exist.
 *
 * Inline, because every lock round of the kernel pays it: the common case
 * (no contention, counts of the current epoch) is a handful of plain
 * increments of this hart's own counts. Anything else (a contention, with
 * its wait and call site; the first record after a reset) goes to the
 * out-of-line lockstat_*_slow in lockstat.c. The rules are lockstat.h's: a
 * hart writes only its own counts, with interrupts off, while it holds
 * the lock it counts.
 */
#ifndef KINE_SYNC_LOCKSTAT_RECORD_H
#define KINE_SYNC_LOCKSTAT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/entry.h"
#include "src/sync/lockstat.h"
#include "src/sync/lockstat_calc.h"

#ifndef KINE_NO_LOCKSTAT

/* counts[h][id]: hart h's counts of class id (lockstat.c owns them). */
extern struct lockstat_counts lockstat_counts[KINE_MAX_HARTS][LOCK_CLASSES_MAX];
/* The reset generation: counts of another epoch are stale. */
extern uint64_t lockstat_epoch;

void lockstat_acquired_slow(struct lock_class *c, int hart, bool bounced, bool contended,
			    uint64_t wait, uintptr_t pc);
void lockstat_released_slow(struct lock_class *c, int hart, uint64_t hold);

/*
 * Count one acquisition of a lock of class c by hart `hart` (its index),
 * holding the lock. *last_hart is the lock's own record of the previous
 * holder (index + 1, 0: none), updated here; wait is in clock ticks, pc
 * the call site.
 */
static inline void lockstat_acquired(struct lock_class *c, int hart, int *last_hart, bool contended,
				     uint64_t wait, uintptr_t pc)
{
	struct lockstat_counts *k = &lockstat_counts[hart][c->id];
	bool bounced = *last_hart != 0 && *last_hart != hart + 1;

	*last_hart = hart + 1;
	if (__builtin_expect(
		contended || k->epoch != __atomic_load_n(&lockstat_epoch, __ATOMIC_RELAXED), 0)) {
		lockstat_acquired_slow(c, hart, bounced, contended, wait, pc);
		return;
	}
	k->acq++;
	k->acq_bounce += bounced;
}

/* Count one release after hold ticks (still holding the lock). */
static inline void lockstat_released(struct lock_class *c, int hart, uint64_t hold)
{
	struct lockstat_counts *k = &lockstat_counts[hart][c->id];

	if (__builtin_expect(k->epoch != __atomic_load_n(&lockstat_epoch, __ATOMIC_RELAXED), 0)) {
		lockstat_released_slow(c, hart, hold);
		return;
	}
	lockstat_note_hold(k, hold);
}

#endif /* KINE_NO_LOCKSTAT */

#endif
