/*
 * hart.h: per-hart data.
 *
 * Every hart kine runs has one struct hart in harts[], indexed by a dense
 * logical index (0 is always the boot hart; the others follow device-tree
 * order). A hart finds its own through tp (arch_hart_pointer), so
 * this_hart() needs no lock and no hart id lookup.
 *
 * Who writes what:
 *  - stack_*, hartid, index, arch: the boot hart before it starts the hart;
 *    read-only once the hart runs.
 *  - irq_off_depth, irq_were_enabled: only the hart itself, with
 *    interrupts off.
 *  - online: HART_PENDING until one compare-and-swap moves it: the hart
 *    itself to HART_ONLINE when its bring-up is done, or the boot hart to
 *    HART_GIVEN_UP when it stops waiting. Whichever comes first wins, so a
 *    hart that arrives late never joins a kernel that went on without it.
 *    Read by anyone (acquire).
 *  - statistics: written only by the hart itself; others may read them
 *    racily (they only grow, and a stale value is harmless).
 *  - ipi_pending: any hart ORs bits in atomically; only the hart itself
 *    takes them out (atomic exchange).
 *  - current, sched_ctx: only the hart itself.
 *  - runq_*: guarded by runq_lock (any hart may queue a thread here or
 *    steal one).
 *  - call_busy, call_fn, call_arg: a sender claims the slot by setting
 *    call_busy (compare-and-swap), then writes call_fn and call_arg; the
 *    hart itself clears call_busy (release) after the call returns.
 */
#ifndef KINE_SCHED_HART_H
#define KINE_SCHED_HART_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/cpu.h"
#include "src/arch/riscv/entry.h"
#include "src/arch/riscv/hart_arch.h"
#include "src/arch/riscv/switch.h"
#include "src/sync/spinlock.h"

#define MAX_HARTS KINE_MAX_HARTS

/* Cross-hart messages carried by an IPI (see ipi.h). */
enum ipi_msg {
	IPI_PING,    /* count it; the boot self-test checks delivery */
	IPI_RING,    /* count it and pass it on to the next hart (self-test) */
	IPI_STOP,    /* halt: another hart panicked or the machine shuts down */
	IPI_CALL,    /* run call_fn(call_arg), then clear call_busy (ipi_run_everywhere) */
	IPI_RESCHED, /* a thread was queued here: leave wfi, preempt if need be */
	IPI_NR,
};

struct thread;

struct hart {
	/* The first four fields are at fixed offsets (entry.h) for assembly. */
	uintptr_t stack_top;    /* the boot stack's top: entry.S loads it */
	uintptr_t stack_limit;  /* lowest byte of the stack this hart runs on now */
	uintptr_t overflow_top; /* top of this hart's overflow stack */
	uint64_t trap_scratch;  /* kernelvec's, while it checks the stack */
	uintptr_t stack_base;   /* lowest byte of the boot stack */
	uint32_t hartid;
	int index;

	int irq_off_depth;     /* nesting of hart_irq_push_off() */
	bool irq_were_enabled; /* interrupt state before the outermost push */

	int online;

	uint64_t timer_irqs;
	uint64_t soft_irqs;
	uint64_t ext_irqs;
	uint64_t ipi_received[IPI_NR];

	uint32_t ipi_pending;

	struct thread *current;        /* the thread running here, NULL in the scheduler */
	struct arch_context sched_ctx; /* the scheduler loop's registers */
	struct spinlock runq_lock;
	struct thread *runq_head, *runq_tail; /* guarded by runq_lock */
	int runq_len;                         /* guarded by runq_lock */
	uint64_t thread_switches;             /* switches into threads on this hart */
	int idle; /* atomic: set while the scheduler waits in wfi with nothing to run */

	int call_busy;
	void (*call_fn)(void *);
	void *call_arg;

	struct arch_hart arch;
};

extern struct hart harts[MAX_HARTS];
extern int nharts; /* harts[] entries in use (usable harts) */

static inline struct hart *this_hart(void)
{
	return (struct hart *)arch_hart_pointer();
}

/* The hart with this hart id, or NULL. */
struct hart *hart_by_hartid(uint32_t hartid);

/* Prepare harts[index] (stack slot and ids) before the hart runs. */
void hart_setup(int index, uint32_t hartid);

/* Number of harts that have come online. */
int harts_online(void);

enum { HART_PENDING, HART_ONLINE, HART_GIVEN_UP }; /* struct hart's online */

/*
 * Mark this hart online (after its own bring-up). False if the boot hart
 * has given up on it: the hart must then stay out of the kernel.
 */
bool hart_set_online(void);

/* The boot hart stops waiting for h. False if h came online meanwhile. */
bool hart_give_up(struct hart *h);

bool hart_is_online(const struct hart *h);

/* Neither online nor given up on yet. */
bool hart_is_pending(const struct hart *h);

/* hart_irq_pop_off's complaint when interrupts are on or nothing was pushed. */
void hart_irq_pop_off_fail(void) __attribute__((noreturn, cold));

/*
 * Turn interrupts off on this hart, nesting: the state before the
 * outermost hart_irq_push_off() comes back at the matching hart_irq_pop_off().
 * Spinlocks use these; so does code that must not be interrupted. Inline:
 * every lock round and every fault takes several (a call each cost about
 * a third of the pair). Interrupts go off before the depth is touched, so
 * an interrupt can never see a half-updated depth on this hart.
 */
static inline void hart_irq_push_off(void)
{
	bool was_enabled = arch_irq_save();
	struct hart *h = this_hart();

	if (h->irq_off_depth++ == 0)
		h->irq_were_enabled = was_enabled;
}

static inline void hart_irq_pop_off(void)
{
	struct hart *h = this_hart();

	if (__builtin_expect(arch_irq_enabled() || h->irq_off_depth < 1, 0))
		hart_irq_pop_off_fail();
	if (--h->irq_off_depth == 0)
		arch_irq_restore(h->irq_were_enabled);
}

#endif
