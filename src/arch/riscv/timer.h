/*
 * timer.h: the per-hart tick.
 *
 * Every hart takes TIMER_HZ interrupts a second, programmed through
 * stimecmp when the hart has Sstc and through SBI TIME otherwise.
 */
#ifndef KINE_ARCH_RISCV_TIMER_H
#define KINE_ARCH_RISCV_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

struct platform;

/* Boot hart, once: learn the timebase. */
void timer_init(const struct platform *plat);

/* Arm this hart's first tick and enable its timer interrupt. */
void timer_init_hart(void);

/* The timer interrupt: count it and arm the next tick. */
void timer_handle(void);

/*
 * A timer interrupt on this hart `after` timebase units from now (0: at
 * once) that is not a tick; the tick stays due when it was (seed=N runs).
 */
void timer_poke(uint64_t after);

uint64_t timer_timebase_hz(void);

#endif
