/*
 * perturb.h: a seeded perturbation of the schedule (boot option seed=N).
 *
 * With seed=N (N > 0) the scheduler takes a few decisions from a per-hart
 * pseudo-random stream instead of its fixed rule: whether a thread gives
 * up its hart on the way back to user mode, how much slack the next timer
 * tick gets, and which hart an idle hart tries first when it steals work
 * or kicks an idle one. Under QEMU's instruction-count mode (`./kine run
 * --seed N`) a run is then the same every time for one N, and different
 * for another: each seed is one interleaving, replayable. With no seed
 * (or seed=0) every call answers "as without perturbation", at the cost
 * of one load.
 *
 * Each hart draws only from its own stream, with interrupts off (callers
 * are the scheduler, the timer interrupt and the trap return path), so
 * the streams need no lock and their order is what icount makes repeatable.
 */
#ifndef KINE_SCHED_PERTURB_H
#define KINE_SCHED_PERTURB_H

#include <stdbool.h>
#include <stdint.h>

/* Seed every hart's stream (boot hart, once, before the other harts run threads). 0: off. */
void perturb_init(uint64_t seed);

/* The seed given at boot, 0 when off: set once at boot, read-only after. */
extern uint64_t perturb_seed_value;

/* The seed (inline: every trap asks whether perturbation is on). */
static inline uint64_t perturb_seed(void)
{
	return perturb_seed_value;
}

bool perturb_yield_draw(void);
void perturb_window_draw(void);

/* At a preemption point: should the running thread yield now? (about 1 in 8 when on) */
static inline bool perturb_yield(void)
{
	return perturb_seed() != 0 && perturb_yield_draw();
}

/* Extra delay for the next timer tick, in [0, step / 2); 0 when off. */
uint64_t perturb_timer_slack(uint64_t step);

/*
 * Inside a window where another hart's action makes a race (the COW
 * copy, between unlock and relock): about half the time when on, end this
 * hart's turn here (a timer poke: under -icount the other harts then run
 * first, at the same point every run). Nothing when off.
 */
static inline void perturb_window(void)
{
	if (perturb_seed() != 0)
		perturb_window_draw();
}

/*
 * Just before a synchronous wait for another hart (a remote fence through
 * the firmware): when on, a timer poke shortly after, inside the wait, so
 * that under -icount the other hart gets its turn to answer. (Spin-waits
 * are paced the same way through spin_wait_pace, set by perturb_init.)
 */
void perturb_remote_wait(void);

/* Where to start among n candidates (other harts to steal from or kick): [0, n). 0 when off. */
int perturb_start(int n);

#endif
