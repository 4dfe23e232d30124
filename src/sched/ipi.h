/*
 * ipi.h: messages between harts.
 *
 * A message is a bit in the target's ipi_pending word plus one
 * inter-processor interrupt. Bits coalesce: two PINGs sent before the
 * target runs its handler arrive as one, so a message must mean "look at
 * the shared state", never "this happened exactly once".
 */
#ifndef KINE_SCHED_IPI_H
#define KINE_SCHED_IPI_H

#include "src/sched/hart.h"

void ipi_send(struct hart *target, enum ipi_msg msg);

/* Send msg to every online hart but this one. */
void ipi_send_others(enum ipi_msg msg);

/*
 * Run fn(arg) on this hart and on every other online hart (there in
 * interrupt context, with interrupts off) and return when every call has
 * returned. Must not be called holding a spinlock: a hart spinning for it
 * with interrupts off could never run the call. Two harts may call this at
 * once: each runs the other's calls while it waits.
 */
void ipi_run_everywhere(void (*fn)(void *), void *arg);

/*
 * Called by the trap handler on a software interrupt. Returns true if a
 * reschedule was asked for (a thread was queued on this hart).
 */
bool ipi_handle(void);

#endif
