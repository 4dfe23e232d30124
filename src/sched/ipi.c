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
#include "src/kernel/kernel.h"

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

/* The ring test: pass the token on until it is back at hart 0. */
static void ipi_ring_forward(struct hart *self)
{
	if (self->index != 0)
		ipi_send(&harts[(self->index + 1) % nharts], IPI_RING);
}

void ipi_handle(void)
{
	struct hart *self = this_hart();
	uint32_t pending;

	arch_ipi_clear();
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
		}
	}
}
