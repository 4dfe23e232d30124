/*
 * mm_shim.h: what the kernel provides to src/mm, done with host threads.
 *
 * - spin_*: real spinlocks on __atomic builtins (a thread that spins long
 *   yields, since host threads, unlike harts, get preempted).
 * - hart_local_*: each thread is the hart whose index it set with
 *   shim_set_hart() (0 by default); there are no interrupts to turn off.
 * - check_failed/fatal: print the message and abort, or, inside
 *   shim_death(), report it to the parent.
 * - an arena of malloc'd memory standing in for RAM at a chosen physical
 *   base, with its physmem map.
 */
#ifndef KINE_TEST_HOST_MM_SHIM_H
#define KINE_TEST_HOST_MM_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/mm/phys.h"
#include "src/mm/physmem.h"

/* The hart this thread stands for, in [0, HART_LOCAL_MAX). */
void shim_set_hart(int index);

/*
 * Run fn(arg) in a forked child. True if it ended in check_failed() or
 * fatal(); the message is copied into msg[len]. False if it returned or
 * died any other way (msg then says how).
 */
bool shim_death(void (*fn)(void *), void *arg, char *msg, size_t len);

/*
 * Fresh RAM of `size` bytes at physical `base` (page aligned), minus the
 * reserved ranges, as *pm; phys_map_offset points at it. The previous
 * arena is freed. Aborts if physmem_init refuses.
 */
void shim_arena(struct physmem *pm, paddr_t base, uint64_t size,
		const struct physmem_range *reserved, int nreserved);

#endif
