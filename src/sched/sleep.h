/*
 * sleep.h: the tick count and sleeping for a number of ticks.
 */
#ifndef KINE_SCHED_SLEEP_H
#define KINE_SCHED_SLEEP_H

#include <stdbool.h>
#include <stdint.h>

/* From hart 0's timer interrupt: count a tick and wake the sleepers. */
void sleep_tick(void);

/* Ticks (TIMER_HZ a second) since the scheduler started counting. */
uint64_t sleep_tick_count(void);

/* Sleep n ticks; -EINTR early if *killed becomes true (may be NULL). */
int sleep_ticks(uint64_t n, const bool *killed);

#endif
