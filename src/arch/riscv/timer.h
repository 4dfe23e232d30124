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

/* An early timer interrupt on this hart that is not a tick (seed=N runs). */
void timer_poke(void);

uint64_t timer_timebase_hz(void);

#endif
