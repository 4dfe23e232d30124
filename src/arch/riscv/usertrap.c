/*
 * usertrap.c: what the kernel does with a trap from U-mode.
 *
 * A system call (ecall) goes to syscall_dispatch() with interrupts on; an
 * interrupt is handled as in the kernel, and then the thread may be
 * preempted; any other exception (a page fault, an illegal instruction) is
 * the program's fault: it is reported and the process is killed. The
 * kernel never panics for something a user program did.
 */
#include "src/arch/riscv/user.h"

#include <stddef.h>

#include "src/arch/riscv/plic.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/timer.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/kernel/syscall.h"
#include "src/lib/string.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sched/thread.h"

#define REG_A0 10
#define REG_A1 11
#define REG_A7 17
#define REG_SP 2

_Static_assert(sizeof(struct user_frame) == USER_FRAME_SIZE, "uservec.S's FRAME_SIZE");
_Static_assert(offsetof(struct user_frame, kernel_tp) == USER_FRAME_TP_OFFSET,
	       "uservec.S's TP_OFFSET");

void user_return_asm(struct user_frame *uf) __attribute__((noreturn));

void user_frame_init(struct user_frame *uf, uint64_t pc, uint64_t sp, uint64_t a0, uint64_t a1)
{
	memset(uf, 0, sizeof(*uf));
	uf->tf.sepc = pc;
	uf->tf.regs[REG_SP] = sp;
	uf->tf.regs[REG_A0] = a0;
	uf->tf.regs[REG_A1] = a1;
}

void user_return(struct user_frame *uf)
{
	arch_irq_disable();
	/*
	 * sret to U-mode (SPP = 0) with interrupts enabled there (SPIE = 1)
	 * and vector state Off: user programs are built without V, and a V
	 * instruction must stay an illegal-instruction fault (pagecopy.c).
	 */
	uf->tf.sstatus =
	    (csr_read(sstatus) & ~(SSTATUS_SPP | SSTATUS_SUM | SSTATUS_VS)) | SSTATUS_SPIE;
	user_return_asm(uf);
}

static void user_interrupt(uint64_t code)
{
	switch (code) {
	case IRQ_S_SOFT:
		this_hart()->soft_irqs++;
		(void)ipi_handle();
		break;
	case IRQ_S_TIMER:
		timer_handle();
		break;
	case IRQ_S_EXT:
		this_hart()->ext_irqs++;
		plic_handle();
		break;
	default:
		panic("unexpected interrupt %lu from user mode", code);
	}
	thread_preempt();
}

static bool user_page_fault_resolved(uint64_t cause, uint64_t addr)
{
	switch (cause) {
	case EXC_LOAD_PAGE_FAULT:
		return syscall_user_page_fault(addr, COW_ACCESS_READ) == 0;
	case EXC_STORE_PAGE_FAULT:
		return syscall_user_page_fault(addr, COW_ACCESS_WRITE) == 0;
	case EXC_INST_PAGE_FAULT:
		return syscall_user_page_fault(addr, COW_ACCESS_EXEC) == 0;
	default:
		return false;
	}
}

void user_trap(struct user_frame *uf)
{
	struct trap_frame *tf = &uf->tf;
	uint64_t cause = tf->scause;

	assert((tf->sstatus & SSTATUS_SPP) == 0);
	if (cause & SCAUSE_INTERRUPT) {
		user_interrupt(cause & ~SCAUSE_INTERRUPT);
	} else if (cause == EXC_ECALL_U) {
		tf->sepc += 4; /* return after the ecall */
		arch_irq_enable();
		tf->regs[REG_A0] = (uint64_t)syscall_dispatch(tf->regs[REG_A7], &tf->regs[REG_A0]);
	} else {
		arch_irq_enable();
		/* A page fault that copy-on-write (or a racing thread) resolves runs again. */
		if (!user_page_fault_resolved(cause, tf->stval))
			syscall_user_fault(trap_cause_name(cause), tf->sepc, tf->stval);
	}
	syscall_return_check();
	arch_irq_disable();
}
