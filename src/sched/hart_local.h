/*
 * hart_local.h: per-hart data access for code that must also build on the
 * host (src/mm's allocator, which the host tests run with threads standing
 * in for harts).
 *
 * hart_local_begin() turns interrupts off (so nothing else runs on this
 * hart, and this code cannot move to another hart, until the matching
 * hart_local_end()) and returns this hart's dense index in [0, nharts).
 * Calls nest. The kernel implements them in src/sched/hart.c; host tests
 * provide their own.
 */
#ifndef KINE_SCHED_HART_LOCAL_H
#define KINE_SCHED_HART_LOCAL_H

/* The most harts kine drives (harts[] and every per-hart array). */
#define HART_LOCAL_MAX 16

int hart_local_begin(void);
void hart_local_end(void);

/* This hart's index without disabling anything (for statistics only). */
int hart_local_index(void);

#endif
