/*
 * ipi.c: sending and receiving inter-hart messages.
 *
 * Ordering: the sender sets the pending bit (release) before it raises the
 * interrupt, and the receiver clears its interrupt-pending flag before it
 * takes the bits (acquire exchange). So a message sent while the receiver
 * is in the middle of ipi_handle() is either taken in this pass or raises
 * a fresh interrupt; it is never lost.
 */
#include "src/sched/ipi.h"

#include "src/arch/riscv/machine.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/mm/tlb.h"
#include "src/sync/spinlock.h"

void ipi_send(struct hart *target, enum ipi_msg msg)
{
	assert(msg < IPI_NR);
	__atomic_fetch_or(&target->ipi_pending, 1u << msg, __ATOMIC_RELEASE);
	/* A STOP is sent by panic: failing to deliver it must not panic again. */
	if (!arch_ipi_send(target->hartid) && msg != IPI_STOP)
		panic("cannot send an IPI to hart %u", target->hartid);
}

void ipi_send_others(enum ipi_msg msg)
{
	struct hart *self = this_hart();

	for (int i = 0; i < nharts; i++)
		if (&harts[i] != self && hart_is_online(&harts[i]))
			ipi_send(&harts[i], msg);
}

/* Run the cross-call this hart was sent, then free its slot. */
static void ipi_run_call(struct hart *self)
{
	self->call_fn(self->call_arg);
	__atomic_store_n(&self->call_busy, 0, __ATOMIC_RELEASE);
}

/*
 * Waiting with interrupts off: take this hart's own messages meanwhile, so
 * that two harts calling each other at once both make progress.
 */
static void ipi_wait_poll(void)
{
	void (*pace)(void) = spin_wait_pace; /* seed=N: let the hart waited for run */

	if (pace != NULL)
		pace();
	arch_cpu_relax();
	(void)ipi_handle(); /* a reschedule waits for the next trap */
}

void ipi_run_everywhere(void (*fn)(void *), void *arg)
{
	struct hart *self = this_hart();
	int zero;

	assert(self->irq_off_depth == 0);
	hart_irq_push_off();
	for (int i = 0; i < nharts; i++) {
		struct hart *t = &harts[i];

		if (t == self || !hart_is_online(t))
			continue;
		while (zero = 0, !__atomic_compare_exchange_n(&t->call_busy, &zero, 1, false,
							      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			ipi_wait_poll();
		t->call_fn = fn;
		t->call_arg = arg;
		ipi_send(t, IPI_CALL);
	}
	fn(arg);
	for (int i = 0; i < nharts; i++) {
		struct hart *t = &harts[i];

		if (t == self || !hart_is_online(t))
			continue;
		while (__atomic_load_n(&t->call_busy, __ATOMIC_ACQUIRE))
			ipi_wait_poll();
	}
	hart_irq_pop_off();
}

/* The ring test: pass the token on until it is back at hart 0. */
static void ipi_ring_forward(struct hart *self)
{
	if (self->index != 0)
		ipi_send(&harts[(self->index + 1) % nharts], IPI_RING);
}

bool ipi_handle(void)
{
	struct hart *self = this_hart();
	uint32_t pending;

	arch_ipi_clear();
	tlb_ipi_poll(); /* the IPI shootdown's requests carry no message bit */
	pending = __atomic_exchange_n(&self->ipi_pending, 0, __ATOMIC_ACQUIRE);
	for (int msg = 0; msg < IPI_NR; msg++) {
		if (!(pending & (1u << msg)))
			continue;
		self->ipi_received[msg]++;
		switch (msg) {
		case IPI_PING:
			break;
		case IPI_RING:
			ipi_ring_forward(self);
			break;
		case IPI_STOP:
			arch_halt();
		case IPI_CALL:
			ipi_run_call(self);
			break;
		case IPI_RESCHED:
			break; /* the trap handler preempts on the way out */
		}
	}
	return (pending & (1u << IPI_RESCHED)) != 0;
}
