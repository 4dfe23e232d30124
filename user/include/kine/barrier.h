/*
 * barrier.h: a reusable barrier for a fixed number of parties
 * (user/lib/barrier.c), threads or processes: it lives in memory they all
 * see, a static for threads of one process, a MAP_SHARED page
 * (kine/region.h's shared_page) for processes of one fork.
 *
 * A waiter yields while it waits, so it works with fewer harts than
 * parties, and a child pinned to its parent's hart (affinity is inherited)
 * gets to run there and move. Stores just after the barrier still race:
 * every party leaves as soon as the generation moves.
 * (cowtest keeps a barrier of its own that spins on several harts: its two
 * writers must leave at the same instant.)
 */
#ifndef KINE_UAPI_BARRIER_H
#define KINE_UAPI_BARRIER_H

struct barrier {
	int arrived, generation; /* atomic */
	int parties;             /* set by barrier_init */
};

/* Ready b for rounds of parties waiters (no one waiting on it). */
void barrier_init(struct barrier *b, int parties);
/* Return once all parties of this round have called it. */
void barrier_wait(struct barrier *b);

#endif
