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
 * is the caller's struct bitlock_class, e.g. "pte"), with the call site of
 * each contended acquisition. What a bit cannot hold stays elsewhere:
 * *last_hart (the previous holder, for the bounce count) beside the lock,
 * and the hold in the class, one slot per hart.
 *
 * Rule: a hart holds at most one lock of a class at a time (bit_lock
 * panics otherwise). That is what lets the class keep each hart's hold in
 * a slot of its own with no search, and it is the page-table rule anyway
 * (a fault locks the one table that holds its PTE).
 *
 * The uncontended lock and the unlock are inline: each fault of a user
 * page takes one (a table lock), and a call with its spills cost as much
 * again as the lock. Contention, and every complaint, go out of line to
 * bitlock.c. The lock-order checker (lockcheck.h) sees bit locks in the
 * debug image only (KINE_LOCKCHECK_ALL): a class is ranked like a
 * spinlock's, by name, but the check's call and list entry would double
 * the cost of the uncontended lock everywhere else.
 */
#ifndef KINE_SYNC_BITLOCK_H
#define KINE_SYNC_BITLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/cpu.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sync/lockcheck.h"
#include "src/sync/lockstat.h"
#include "src/sync/lockstat_record.h"

/* What hart h holds of a class: hart h's alone, on a line of its own. */
struct bitlock_held {
	const uint32_t *word; /* NULL: nothing held */
	uint32_t bit;
	uint64_t since; /* the hold's start, in clock ticks (lockstat) */
} __attribute__((aligned(64)));

/* The class of a family of bit locks: BITLOCK_CLASS("pte"). */
struct bitlock_class {
	const char *name;
	struct lock_class *cls; /* set at first use, as a SPINLOCK_INIT lock's */
	struct bitlock_held held[HART_LOCAL_MAX];
};

#define BITLOCK_CLASS(lockname)                                                                    \
	{                                                                                          \
		.name = (lockname)                                                                 \
	}

/* The out-of-line halves (bitlock.c). */
void bit_lock_contended(uint32_t *word, uint32_t bit, struct bitlock_class *c, int self,
			uint8_t *last_hart, uintptr_t pc, uint64_t asked);
void bit_lock_fail_held(const struct bitlock_class *c, int self, const uint32_t *word)
    __attribute__((noreturn, cold));
void bit_unlock_fail(const struct bitlock_class *c, int self, const uint32_t *word, uint32_t bit)
    __attribute__((noreturn, cold));

/*
 * Acquire bit of *word, a lock of class c, for call site pc; returns with
 * interrupts off. *last_hart: a byte the caller keeps beside the lock.
 */
static inline __attribute__((always_inline)) void
bit_lock(uint32_t *word, uint32_t bit, struct bitlock_class *c, uint8_t *last_hart, uintptr_t pc)
{
	struct bitlock_held *s;
	int self;

	hart_irq_push_off();
	self = this_hart()->index;
	s = &c->held[self];
	if (__builtin_expect(s->word != NULL, 0))
		bit_lock_fail_held(c, self, word);
#ifdef KINE_LOCKCHECK_ALL
	lockcheck_acquire(word, lockstat_class_cached(&c->cls, c->name), pc);
#endif
#ifdef KINE_NO_LOCKSTAT
	if (__builtin_expect(__atomic_fetch_or(word, bit, __ATOMIC_ACQUIRE) & bit, 0))
		bit_lock_contended(word, bit, c, self, last_hart, pc, 0);
#else
	uint64_t asked = arch_time();

	if (__builtin_expect(__atomic_fetch_or(word, bit, __ATOMIC_ACQUIRE) & bit, 0)) {
		bit_lock_contended(word, bit, c, self, last_hart, pc,
				   asked); /* counts and sets since */
	} else {
		int last = *last_hart;

		lockstat_acquired(lockstat_class_cached(&c->cls, c->name), self, &last, false, 0,
				  pc);
		*last_hart = (uint8_t)last;
		s->since = asked;
	}
#endif
	s->bit = bit;
	s->word = word;
}

/* Release it (the hart that acquired it); interrupts as before bit_lock. */
static inline __attribute__((always_inline)) void bit_unlock(uint32_t *word, uint32_t bit,
							     struct bitlock_class *c)
{
	int self = this_hart()->index;
	struct bitlock_held *s = &c->held[self];

	if (__builtin_expect(s->word != word || s->bit != bit, 0))
		bit_unlock_fail(c, self, word, bit);
#ifndef KINE_NO_LOCKSTAT
	lockstat_released(c->cls, self, arch_time() - s->since);
#endif
#ifdef KINE_LOCKCHECK_ALL
	lockcheck_release(word);
#endif
	s->word = NULL;
	__atomic_fetch_and(word, ~bit, __ATOMIC_RELEASE);
	hart_irq_pop_off();
}

/* Does this hart hold bit of *word, a lock of class c? (For asserts.) */
bool bit_lock_holding(const uint32_t *word, uint32_t bit, const struct bitlock_class *c);

#endif
