/*
 * perturb.c: the per-hart pseudo-random streams behind seed=N (perturb.h).
 *
 * One xorshift64 state per hart, seeded from N and the hart's index, so
 * that harts do not draw in lockstep. A hart reads and advances only its
 * own state, with interrupts off: no lock, and the sequence of draws
 * follows the instruction stream, which is what makes a seeded run under
 * QEMU's icount mode repeat exactly.
 */
#include "src/sched/perturb.h"

#include <stddef.h>

#include "src/arch/riscv/timer.h"
#include "src/sched/hart.h"

static void perturb_pace_spin(void);

uint64_t perturb_seed_value;        /* set once at boot, read-only after */
static uint64_t streams[MAX_HARTS]; /* streams[i] belongs to hart index i */

/* splitmix64: spreads a small seed over all 64 bits; never 0 for xorshift. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x != 0 ? x : 1;
}

void perturb_init(uint64_t n)
{
	perturb_seed_value = n;
	if (n != 0 && spin_wait_pace == NULL)
		spin_wait_pace = perturb_pace_spin;
	for (int i = 0; i < MAX_HARTS; i++)
		streams[i] = mix(n * MAX_HARTS + (uint64_t)i);
}

/* The next number of this hart's stream; interrupts are off or turned off here. */
static uint64_t draw(void)
{
	uint64_t *s, x;

	hart_irq_push_off();
	s = &streams[this_hart()->index];
	x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	hart_irq_pop_off();
	return x;
}

/* perturb_yield's draw (perturb.h checks the seed inline). */
bool perturb_yield_draw(void)
{
	return draw() % 8 == 0;
}

uint64_t perturb_timer_slack(uint64_t step)
{
	return perturb_seed() != 0 && step >= 2 ? draw() % (step / 2) : 0;
}

/* perturb_window's draw (perturb.h checks the seed inline). */
void perturb_window_draw(void)
{
	if (draw() % 2 == 0)
		timer_poke(0);
}

/*
 * Pacing for -icount (seed=N runs only): a virtual hart keeps QEMU's
 * round-robin turn until a timer deadline, so a hart that spins for a lock
 * or waits for another hart's answer would hold the turn for up to a tick
 * while the hart it waits for cannot run. A poke ends the turn.
 *
 * The poke's own deadline is also where the *next* hart's turn ends: QEMU
 * 7.2 gives a vCPU the time up to the earliest deadline. A poke due at
 * once would leave the hart waited for a dozen instructions per 64 spins
 * of the waiter, so the waiter's deadline is set one turn ahead, about as
 * long as its 64 spins take.
 */
#define PACE_SPINS 64  /* spin-wait turns between pokes */
#define PACE_TURN  200 /* timebase units (20 us at 10 MHz, 2500 instructions at shift=3) */
#define PACE_FENCE 200 /* timebase units: past the firmware's IPI, into its wait */

static unsigned pace_spins[MAX_HARTS]; /* pace_spins[i] belongs to hart index i */

static void perturb_pace_spin(void)
{
	unsigned *n = &pace_spins[this_hart()->index];

	if (++*n % PACE_SPINS == 0)
		timer_poke(PACE_TURN);
}

void perturb_remote_wait(void)
{
	if (perturb_seed() != 0)
		timer_poke(PACE_FENCE);
}

int perturb_start(int n)
{
	return perturb_seed() != 0 && n > 1 ? (int)(draw() % (uint64_t)n) : 0;
}
