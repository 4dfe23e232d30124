/*
 * lockstat.h: lock classes and the statistics kept per class.
 *
 * A lock class is every lock of one name and kind (spin or sleep): all
 * address spaces' locks are the one spin class "mm". Classes are
 * registered the first time a name is seen and never go away; past
 * LOCK_CLASSES_MAX they all share the class "(overflow)".
 *
 * The counts (what they mean: lockstat_calc.h) live per hart and per
 * class: a hart writes only its own, with interrupts off and while it
 * holds the lock it counts, so recording needs no atomics and no shared
 * cache line. A reset bumps a global epoch; each hart restarts its counts
 * the next time it writes them, and the dump ignores counts of an old
 * epoch. The dump (lockstat_dump) merges the harts racily: a count read
 * while a hart updates it may be one event behind, never corrupt.
 *
 * The dump's text format is documented in docs/lockstat.md (version 1).
 * Built with KINE_NO_LOCKSTAT, classes still exist (the lock-order checks
 * use them) but nothing is counted, and lockstat_dump says so.
 */
#ifndef KINE_SYNC_LOCKSTAT_H
#define KINE_SYNC_LOCKSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCK_CLASSES_MAX 64

enum lock_kind {
	LOCK_SPIN,
	LOCK_SLEEP,
};

struct lock_class {
	const char *name;
	enum lock_kind kind;
	int id;   /* index in the class table */
	int rank; /* declared lock order (lockcheck.c); 0: none declared */
};

/* The class of locks named name of this kind (registered if new). */
struct lock_class *lockstat_class_get(const char *name, enum lock_kind kind);

/*
 * The spin class named name, cached at *slot (a lock's or a bit-lock
 * class's own field): looked up the first time, by whichever hart comes
 * first (harts that race here find the same class, so the plain store
 * is harmless).
 */
static inline struct lock_class *lockstat_class_cached(struct lock_class **slot, const char *name)
{
	struct lock_class *c = __atomic_load_n(slot, __ATOMIC_RELAXED);

	if (__builtin_expect(c == NULL, 0)) {
		c = lockstat_class_get(name, LOCK_SPIN);
		__atomic_store_n(slot, c, __ATOMIC_RELAXED);
	}
	return c;
}

/*
 * The locks record into the counts through lockstat_record.h (inline, for
 * src/sync's locks only).
 */

struct lockstat_counts;

/*
 * The counts of the class name/kind since the last reset, every hart's
 * merged into *out; false if no such class (or statistics are off).
 */
bool lockstat_read(const char *name, enum lock_kind kind, struct lockstat_counts *out);

/* Start every count afresh. */
void lockstat_reset(void);

/* Was the kernel built with statistics? */
bool lockstat_enabled(void);

/*
 * Write the dump into buf (at most n bytes, NUL-terminated when n > 0);
 * return its full length (which may exceed n: call again with more).
 */
size_t lockstat_dump(char *buf, size_t n);

/* Print the dump on the console (self-tests, and the end of a profile). */
void lockstat_print(void);

#endif
