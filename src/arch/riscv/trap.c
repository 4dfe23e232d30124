/*
 * trap.c: what the kernel does with a trap taken in S-mode.
 *
 * Interrupts are dispatched to the timer, the IPI layer and the PLIC. Any
 * exception taken in the kernel is a bug: it panics with the cause, the
 * faulting pc and address, the registers, and a backtrace, unless it is
 * a probe's expected fault (probe.c). Traps from U-mode go to usertrap.c.
 */
#include "src/arch/riscv/trap.h"

#include "src/arch/riscv/plic.h"
#include "src/arch/riscv/probe.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/timer.h"
#include "src/base/assert.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/lib/fmt.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sched/thread.h"

extern char kernelvec[];

/*
 * scounteren: which counters U-mode may read. TM (rdtime) for fine timing;
 * CY and IR (rdcycle, rdinstret) so that user benchmarks (user/forkbench.c)
 * can count instructions under QEMU's -icount, where these are exact.
 * Reading a counter reveals nothing another process could not time itself.
 */
#define SCOUNTEREN_CY (1ul << 0)
#define SCOUNTEREN_TM (1ul << 1)
#define SCOUNTEREN_IR (1ul << 2)

void trap_init_hart(void)
{
	csr_write(stvec, (uintptr_t)kernelvec);
	csr_write(scounteren, SCOUNTEREN_CY | SCOUNTEREN_TM | SCOUNTEREN_IR);
	csr_set(sie, SIE_SSIE);
	/* Firmware may leave V on: only pagecopy.c turns it on, briefly. */
	csr_clear(sstatus, SSTATUS_VS);
}

static const char *const exception_names[] = {
    [EXC_INST_MISALIGNED] = "instruction address misaligned",
    [EXC_INST_ACCESS] = "instruction access fault",
    [EXC_ILLEGAL_INST] = "illegal instruction",
    [EXC_BREAKPOINT] = "breakpoint",
    [EXC_LOAD_MISALIGNED] = "load address misaligned",
    [EXC_LOAD_ACCESS] = "load access fault",
    [EXC_STORE_MISALIGNED] = "store/AMO address misaligned",
    [EXC_STORE_ACCESS] = "store/AMO access fault",
    [EXC_ECALL_U] = "environment call from U-mode",
    [EXC_ECALL_S] = "environment call from S-mode",
    [EXC_INST_PAGE_FAULT] = "instruction page fault",
    [EXC_LOAD_PAGE_FAULT] = "load page fault",
    [EXC_STORE_PAGE_FAULT] = "store/AMO page fault",
};

const char *trap_cause_name(uint64_t scause)
{
	uint64_t code = scause & ~SCAUSE_INTERRUPT;

	if (scause & SCAUSE_INTERRUPT) {
		switch (code) {
		case IRQ_S_SOFT:
			return "supervisor software interrupt";
		case IRQ_S_TIMER:
			return "supervisor timer interrupt";
		case IRQ_S_EXT:
			return "supervisor external interrupt";
		default:
			return "unknown interrupt";
		}
	}
	if (code < sizeof(exception_names) / sizeof(exception_names[0]) &&
	    exception_names[code] != NULL)
		return exception_names[code];
	return "unknown exception";
}

static const char *const reg_names[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

void trap_frame_print(const struct trap_frame *tf)
{
	char line[128];
	int len = 0;

	kprintf("kine: scause=%#lx (%s) sepc=%#lx stval=%#lx sstatus=%#lx\n", tf->scause,
		trap_cause_name(tf->scause), tf->sepc, tf->stval, tf->sstatus);
	/* x1..x31, four to a line; each line is one kprintf so it stays whole. */
	for (int i = 1; i < 32; i++) {
		len += fmt_snprintf(line + len, sizeof(line) - len, " %-4s %016lx", reg_names[i],
				    tf->regs[i]);
		if (i % 4 == 0 || i == 31) {
			kprintf("kine: %s\n", line);
			len = 0;
		}
	}
}

static void trap_panic(const struct trap_frame *tf) __attribute__((noreturn));

void kernel_trap(struct trap_frame *tf)
{
	uint64_t cause = tf->scause;

	assert((tf->sstatus & SSTATUS_SPP) != 0);
	if (cause & SCAUSE_INTERRUPT) {
		switch (cause & ~SCAUSE_INTERRUPT) {
		case IRQ_S_SOFT:
			this_hart()->soft_irqs++;
			if (ipi_handle())
				thread_preempt();
			return;
		case IRQ_S_TIMER:
			timer_handle();
			thread_preempt(); /* the time slice is one tick */
			return;
		case IRQ_S_EXT:
			this_hart()->ext_irqs++;
			plic_handle();
			return;
		}
	}
	if (probe_fixup(tf, &this_hart()->arch.probe_fault))
		return;
	trap_panic(tf);
}

/*
 * kernelvec found the stack pointer below the stack's limit: the stack
 * overflowed into its guard. tf lies on the hart's overflow stack, with
 * the overflowed sp in regs[2]. Say which stack it was, then panic.
 */
void kernel_stack_overflow(struct trap_frame *tf) __attribute__((noreturn));

void kernel_stack_overflow(struct trap_frame *tf)
{
	struct hart *h = this_hart();
	struct thread *t = h->current;
	uintptr_t lo, hi;

	panic_begin();
	thread_current_stack(&lo, &hi);
	if (t != NULL)
		kprintf("kine: panic: hart %u: kernel stack overflow in thread %d (%s): sp=%#lx, "
			"stack [%#lx, %#lx)\n",
			h->hartid, t->tid, t->name, tf->regs[2], lo, hi);
	else
		kprintf("kine: panic: hart %u: kernel stack overflow on the boot stack: sp=%#lx, "
			"stack [%#lx, %#lx)\n",
			h->hartid, tf->regs[2], lo, hi);
	kprintf("kine: the trap that found it: %s at sepc=%#lx stval=%#lx\n",
		trap_cause_name(tf->scause), tf->sepc, tf->stval);
	trap_frame_print(tf);
	panic_end(tf->sepc, tf->regs[8]);
}

/* Print the frame, then a backtrace that starts at the faulting pc. */
static void trap_panic(const struct trap_frame *tf)
{
	panic_begin();
	kprintf("kine: panic: hart %u: %s in the kernel at sepc=%#lx stval=%#lx\n",
		this_hart()->hartid, trap_cause_name(tf->scause), tf->sepc, tf->stval);
	trap_frame_print(tf);
	panic_end(tf->sepc, tf->regs[8]);
}
