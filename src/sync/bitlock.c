/*
 * bitlock.c: the out-of-line halves of bit locks (bitlock.h): the wait of
 * a contended acquisition with its statistics, and the complaints.
 *
 * Each class keeps one hold slot per hart (struct bitlock_class.held),
 * written only by that hart with interrupts off. Invariants: a hart holds
 * at most one lock of a class, and releases only the one it holds (both
 * panic otherwise, naming the word).
 */
#include "src/sync/bitlock.h"

#include <stddef.h>

#include "src/base/panic.h"
#include "src/sync/spinlock.h"

/*
 * The fetch_or of bit_lock found the bit taken: test-and-test-and-set until
 * it is ours, then count the contention (wait from `asked`) and start the hold.
 */
void bit_lock_contended(uint32_t *word, uint32_t bit, struct bitlock_class *c, int self,
			uint8_t *last_hart, uintptr_t pc, uint64_t asked)
{
	do {
		while (__atomic_load_n(word, __ATOMIC_RELAXED) & bit)
			spin_wait_once();
	} while (__atomic_fetch_or(word, bit, __ATOMIC_ACQUIRE) & bit);
#ifdef KINE_NO_LOCKSTAT
	(void)c, (void)self, (void)last_hart, (void)pc, (void)asked;
#else
	uint64_t now = arch_time();
	int last = *last_hart;

	lockstat_acquired(lockstat_class_cached(&c->cls, c->name), self, &last, true, now - asked,
			  pc);
	*last_hart = (uint8_t)last;
	c->held[self].since = now;
#endif
}

void bit_lock_fail_held(const struct bitlock_class *c, int self, const uint32_t *word)
{
	panic("bit_lock: hart %d takes '%s' lock %p holding '%s' lock %p (one per hart)", self,
	      c->name, (void *)word, c->name, (void *)c->held[self].word);
}

void bit_unlock_fail(const struct bitlock_class *c, int self, const uint32_t *word, uint32_t bit)
{
	panic("bit_unlock: hart %d does not hold '%s' lock %p bit %#x", self, c->name, (void *)word,
	      bit);
}

bool bit_lock_holding(const uint32_t *word, uint32_t bit, const struct bitlock_class *c)
{
	bool was_enabled = arch_irq_save(); /* stay on this hart while we look */
	const struct bitlock_held *s = &c->held[this_hart()->index];
	bool yes = s->word == word && s->bit == bit;

	arch_irq_restore(was_enabled);
	return yes;
}
