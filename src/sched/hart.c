/*
 * hart.c: the table of harts, their boot stacks, and the idle loop.
 *
 * harts[] and hart_stacks[] are statically sized for MAX_HARTS. Each stack
 * slot begins with a guard page that nothing uses (the paging code unmaps
 * it, so an overflow faults instead of silently corrupting the next slot).
 * stack_limit follows the stack the hart runs on (the scheduler sets it at
 * every switch) so that kernelvec can tell an overflow from a trap.
 */
#include "src/sched/hart.h"

#include <stddef.h>

#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/sched/hart_local.h"

_Static_assert(HART_LOCAL_MAX == MAX_HARTS, "hart_local.h and hart.h disagree");

_Static_assert(offsetof(struct hart, stack_top) == HART_STACK_TOP_OFFSET,
	       "entry.S loads stack_top at HART_STACK_TOP_OFFSET");
_Static_assert(offsetof(struct hart, stack_limit) == HART_STACK_LIMIT_OFFSET,
	       "trapvec.S checks sp against stack_limit");
_Static_assert(offsetof(struct hart, overflow_top) == HART_OVERFLOW_TOP_OFFSET,
	       "trapvec.S reports an overflow from overflow_top");
_Static_assert(offsetof(struct hart, trap_scratch) == HART_TRAP_SCRATCH_OFFSET,
	       "trapvec.S parks t0 in trap_scratch");

struct hart harts[MAX_HARTS];
int nharts;

/* Referenced by entry.S: the boot hart takes slot 0 before any C runs. */
uint8_t hart_stacks[MAX_HARTS][KSTACK_SLOT_SIZE] __attribute__((aligned(4096)));

/* Where kernelvec reports a stack overflow from (trap.c). */
static uint8_t overflow_stacks[MAX_HARTS][KSTACK_OVERFLOW_SIZE] __attribute__((aligned(16)));

void hart_setup(int index, uint32_t hartid)
{
	struct hart *h = &harts[index];

	assert(index >= 0 && index < MAX_HARTS);
	h->index = index;
	h->hartid = hartid;
	h->stack_base = (uintptr_t)hart_stacks[index] + KSTACK_GUARD_SIZE;
	h->stack_top = (uintptr_t)hart_stacks[index] + KSTACK_SLOT_SIZE;
	h->stack_limit = h->stack_base;
	h->overflow_top = (uintptr_t)overflow_stacks[index] + KSTACK_OVERFLOW_SIZE;
	h->arch.plic_context = -1;
	spin_init(&h->runq_lock, "runq");
}

struct hart *hart_by_hartid(uint32_t hartid)
{
	for (int i = 0; i < nharts; i++)
		if (harts[i].hartid == hartid)
			return &harts[i];
	return NULL;
}

/* One transition out of HART_PENDING; the loser learns who won. */
static bool hart_leave_pending(struct hart *h, int to)
{
	int pending = HART_PENDING;

	return __atomic_compare_exchange_n(&h->online, &pending, to, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

bool hart_set_online(void)
{
	return hart_leave_pending(this_hart(), HART_ONLINE);
}

bool hart_give_up(struct hart *h)
{
	return hart_leave_pending(h, HART_GIVEN_UP);
}

bool hart_is_online(const struct hart *h)
{
	return __atomic_load_n(&h->online, __ATOMIC_ACQUIRE) == HART_ONLINE;
}

bool hart_is_pending(const struct hart *h)
{
	return __atomic_load_n(&h->online, __ATOMIC_ACQUIRE) == HART_PENDING;
}

int harts_online(void)
{
	int n = 0;

	for (int i = 0; i < nharts; i++)
		n += hart_is_online(&harts[i]);
	return n;
}

void hart_irq_pop_off_fail(void)
{
	if (arch_irq_enabled())
		panic("hart_irq_pop_off: interrupts are on");
	panic("hart_irq_pop_off: not pushed");
}

int hart_local_begin(void)
{
	hart_irq_push_off();
	return this_hart()->index;
}

void hart_local_end(void)
{
	hart_irq_pop_off();
}

int hart_local_index(void)
{
	return this_hart()->index;
}
