/*
 * bitlock.h: a spinlock that is one bit of a 32-bit word the caller owns.
 *
 * For locks that must cost no memory of their own: the lock of a
 * page-table page is a bit of its struct frame's pt_share word
 * (src/mm/ptlock.h), whose other bits change atomically meanwhile (fetch
 * operations on the whole word never disturb the lock bit). It is a
 * test-and-test-and-set lock: not fair, and meant for locks that are
 * rarely contended, with many instances of one class.
 *
 * Like a spinlock (spinlock.h): interrupts are off while it is held, a
 * waiter spins with spin_wait_once() (so a shootdown request is still
 * answered), and the class's statistics are kept by lockstat (the class
 * is the caller's struct bitlock_class, e.g. "pte"), with the call site of each
 * contended acquisition. What a bit cannot hold stays with the caller:
 * *last_hart (the previous holder, for the bounce count; may be NULL) and
 * the hold time's start, kept per hart, since a hart holds at most
 * BITLOCK_HELD_MAX bit locks at a time. The lock-order
 * checker (lockcheck.h) does not see bit locks.
 */
#ifndef KINE_SYNC_BITLOCK_H
#define KINE_SYNC_BITLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct lock_class;

/* The class of a family of bit locks: BITLOCK_CLASS("pte"). */
struct bitlock_class {
	const char *name;
	struct lock_class *cls; /* set at first use, as a SPINLOCK_INIT lock's */
};

#define BITLOCK_CLASS(lockname)                                                                    \
	{                                                                                          \
		.name = (lockname)                                                                 \
	}

/* The most bit locks one hart holds at a time. */
#define BITLOCK_HELD_MAX 2

/*
 * Acquire bit of *word, a lock of class c, for call site pc; returns with
 * interrupts off. *last_hart: see above (a byte the caller keeps beside the
 * lock, or NULL).
 */
void bit_lock(uint32_t *word, uint32_t bit, struct bitlock_class *c, uint8_t *last_hart,
	      uintptr_t pc);

/* Release it (the hart that acquired it); interrupts as before bit_lock. */
void bit_unlock(uint32_t *word, uint32_t bit);

/* Does this hart hold bit of *word? (For asserts.) */
bool bit_lock_holding(const uint32_t *word, uint32_t bit);

#endif
