/*
 * bitlock.c: spinlocks that are one bit of a caller's word (bitlock.h).
 *
 * Owns the per-hart record of the bit locks each hart holds (which word and
 * bit, since when), written only by that hart with interrupts off: what a
 * struct spinlock keeps in its own fields. Invariants: a hart holds at most
 * BITLOCK_HELD_MAX bit locks, never the same one twice, and releases only
 * what it holds (panics otherwise, with the word's address).
 */
#include "src/sync/bitlock.h"

#include <stddef.h>

#include "src/arch/riscv/cpu.h"
#include "src/kernel/kernel.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sync/lockstat_record.h"
#include "src/sync/spinlock.h"

struct bitlock_held {
	const uint32_t *word; /* NULL: the slot is free */
	uint32_t bit;
	struct lock_class *cls;
	uint64_t acquired_at;
};

/* held[h][*]: the bit locks hart h holds; hart h's alone (one cache line per hart). */
static struct {
	struct bitlock_held slot[BITLOCK_HELD_MAX];
} __attribute__((aligned(64))) held[HART_LOCAL_MAX];

static struct bitlock_held *held_find(int hart, const uint32_t *word, uint32_t bit)
{
	for (int i = 0; i < BITLOCK_HELD_MAX; i++) {
		struct bitlock_held *s = &held[hart].slot[i];

		if (s->word == word && s->bit == bit)
			return s;
	}
	return NULL;
}

/* A free slot of hart's for word's bit; panics if the hart holds it already, or holds too many. */
static struct bitlock_held *held_claim(int hart, const uint32_t *word, uint32_t bit,
				       const char *name)
{
	struct bitlock_held *free_slot = NULL;

	for (int i = 0; i < BITLOCK_HELD_MAX; i++) {
		struct bitlock_held *s = &held[hart].slot[i];

		if (s->word == word && s->bit == bit)
			panic("bit_lock: hart %d already holds '%s' lock %p", hart, name,
			      (void *)word);
		if (s->word == NULL && free_slot == NULL)
			free_slot = s;
	}
	if (free_slot == NULL)
		panic("bit_lock: hart %d holds %d bit locks already", hart, BITLOCK_HELD_MAX);
	return free_slot;
}

/* The test-and-test-and-set loop; true if the bit was taken when we came. */
static bool bit_acquire(uint32_t *word, uint32_t bit)
{
	bool contended = false;

	while (__atomic_fetch_or(word, bit, __ATOMIC_ACQUIRE) & bit) {
		contended = true;
		while (__atomic_load_n(word, __ATOMIC_RELAXED) & bit)
			spin_wait_once();
	}
	return contended;
}

void bit_lock(uint32_t *word, uint32_t bit, struct bitlock_class *c, uint8_t *last_hart,
	      uintptr_t pc)
{
	struct bitlock_held *s;
	struct lock_class *cls;
	int self;

	irq_push_off();
	self = this_hart()->index;
	s = held_claim(self, word, bit, c->name);
	cls = lock_class_cached(&c->cls, c->name);
#ifdef KINE_NO_LOCKSTAT
	(void)bit_acquire(word, bit);
	(void)last_hart;
	(void)pc;
	s->acquired_at = 0;
#else
	uint64_t asked = arch_time();
	bool contended = bit_acquire(word, bit);
	int last = last_hart != NULL ? *last_hart : 0;

	s->acquired_at = contended ? arch_time() : asked;
	lockstat_acquired(cls, self, &last, contended, s->acquired_at - asked, pc);
	if (last_hart != NULL)
		*last_hart = (uint8_t)last;
#endif
	s->cls = cls;
	s->bit = bit;
	s->word = word;
}

void bit_unlock(uint32_t *word, uint32_t bit)
{
	int self = this_hart()->index;
	struct bitlock_held *s = held_find(self, word, bit);

	if (s == NULL)
		panic("bit_unlock: hart %d does not hold lock %p bit %#x", self, (void *)word, bit);
#ifndef KINE_NO_LOCKSTAT
	lockstat_released(s->cls, self, arch_time() - s->acquired_at);
#endif
	s->word = NULL;
	s->bit = 0;
	__atomic_fetch_and(word, ~bit, __ATOMIC_RELEASE);
	irq_pop_off();
}

bool bit_lock_holding(const uint32_t *word, uint32_t bit)
{
	bool yes;

	irq_push_off();
	yes = held_find(this_hart()->index, word, bit) != NULL;
	irq_pop_off();
	return yes;
}
