/*
 * barrier.c: a generation-counting barrier (kine/barrier.h).
 *
 * The last party to arrive resets the count and then opens the round by
 * bumping the generation, which the others wait on. The reset is safe
 * before the bump: nobody leaves, so nobody arrives for the next round,
 * until the generation moves.
 */
#include "kine/barrier.h"
#include "kine/user.h"

void barrier_init(struct barrier *b, int parties)
{
	*b = (struct barrier){.parties = parties};
}

void barrier_wait(struct barrier *b)
{
	int gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->parties) {
		__atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->generation, gen + 1, __ATOMIC_RELEASE);
	} else {
		while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen)
			yield(); /* fewer harts than parties: let the others on */
	}
}
