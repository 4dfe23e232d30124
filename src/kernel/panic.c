/*
 * panic.c: stopping everything when the kernel finds itself wrong.
 *
 * panic_hart holds the index of the hart that panicked first, or -1. It is
 * claimed with a compare-and-swap, so exactly one hart reports; a second
 * hart that panics at the same time (often the same bug seen twice) halts
 * quietly. The report ends with the verdict line the host tools read, and
 * the backtrace uses the "kine: bt #K 0x<pc>" lines that tools/symbolize
 * turns into function and file:line.
 */
#include "src/kernel/panic.h"

#include "src/arch/riscv/backtrace.h"
#include "src/arch/riscv/machine.h"
#include "src/kernel/kernel.h"
#include "src/lib/fmt.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sched/thread.h"

#define PANIC_BACKTRACE_MAX 24

static int panic_hart = -1;

bool panic_in_progress(void)
{
	return __atomic_load_n(&panic_hart, __ATOMIC_ACQUIRE) >= 0;
}

bool panic_is_this_hart(void)
{
	return __atomic_load_n(&panic_hart, __ATOMIC_ACQUIRE) == this_hart()->index;
}

void panic_begin(void)
{
	int none = -1;

	arch_irq_disable();
	if (!__atomic_compare_exchange_n(&panic_hart, &none, this_hart()->index, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
	    none != this_hart()->index)
		arch_halt();
	ipi_send_others(IPI_STOP);
}

void panic_end(uintptr_t first_pc, uintptr_t fp)
{
	uintptr_t pcs[PANIC_BACKTRACE_MAX], lo, hi;
	int k = 0, n;

	if (first_pc != 0)
		kprintf("kine: bt #%d %#lx\n", k++, first_pc);
	thread_current_stack(&lo, &hi);
	n = arch_backtrace(fp, lo, hi, pcs, PANIC_BACKTRACE_MAX);
	for (int i = 0; i < n; i++)
		kprintf("kine: bt #%d %#lx\n", k++, pcs[i]);
	kprintf("kine: verdict: FAIL panic\n");
	arch_power_off(1);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	char msg[KPRINTF_MAX - 64];

	panic_begin();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("kine: panic: hart %u: %s\n", this_hart()->hartid, msg);
	panic_end(0, arch_frame_pointer());
}
