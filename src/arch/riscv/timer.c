/*
 * timer.c: per-hart timer interrupts.
 *
 * A hart with Sstc writes its own stimecmp (no trap into M-mode per tick);
 * otherwise SBI set_timer does it from M-mode. Either write also clears
 * the pending timer interrupt, as long as the new deadline is in the
 * future, so the handler always arms the next deadline before returning.
 */
#include "src/arch/riscv/timer.h"

#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/sbi.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/sched/hart.h"
#include "src/sched/perturb.h"
#include "src/sched/sleep.h"

/* Set once by the boot hart before other harts start; read-only after. */
static uint64_t timebase_hz;

void timer_init(const struct platform *plat)
{
	timebase_hz = plat->timebase_hz;
	if (timebase_hz == 0)
		panic("device tree has no timebase-frequency");
}

uint64_t timer_timebase_hz(void)
{
	return timebase_hz;
}

static void timer_program(struct hart *h, uint64_t at)
{
	long err;

	if (h->arch.sstc) {
		__asm__ volatile("csrw %0, %1" : : "i"(CSR_STIMECMP), "r"(at));
		return;
	}
	err = sbi_set_timer(at);
	if (err != SBI_SUCCESS)
		panic("sbi set_timer: %s", sbi_error_name(err));
}

static void timer_arm(struct hart *h)
{
	/* seed=N: the tick comes a seeded bit late (src/sched/perturb.h). */
	h->arch.timer_next =
	    rdtime() + h->arch.timer_step + perturb_timer_slack(h->arch.timer_step);
	timer_program(h, h->arch.timer_next);
}

/*
 * A timer interrupt `after` timebase units from now (0: at once), which is
 * not a tick: under QEMU's -icount, a
 * timer deadline is where the round-robin of virtual harts moves on, so
 * this is how a seeded run hands the other harts a turn at a point of the
 * kernel's choosing (perturb_window), and the same point every run.
 */
void timer_poke(uint64_t after)
{
	hart_irq_push_off();
	timer_program(this_hart(), rdtime() + (after != 0 ? after : 1));
	hart_irq_pop_off();
}

void timer_init_hart(void)
{
	struct hart *h = this_hart();

	h->arch.timer_step = timebase_hz / TIMER_HZ;
	assert(h->arch.timer_step > 0);
	timer_arm(h);
	csr_set(sie, SIE_STIE);
}

void timer_handle(void)
{
	struct hart *h = this_hart();

	if (rdtime() < h->arch.timer_next) {
		timer_program(h, h->arch.timer_next); /* a poke, not a tick */
		return;
	}
	h->timer_irqs++;
	timer_arm(h);
	sleep_tick();
}
