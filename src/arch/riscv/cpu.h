/*
 * cpu.h: the hart as portable kernel code sees it.
 *
 * src/sync, src/sched, src/mm and src/kernel call these wrappers instead of
 * naming CSRs or writing assembly. Each one is a single instruction or two,
 * so they are inline.
 */
#ifndef KINE_ARCH_RISCV_CPU_H
#define KINE_ARCH_RISCV_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/riscv.h"

/* Disable interrupts on this hart; return whether they were enabled. */
static inline bool arch_irq_save(void)
{
	return (csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE) != 0;
}

static inline void arch_irq_restore(bool was_enabled)
{
	if (was_enabled)
		csr_set(sstatus, SSTATUS_SIE);
}

static inline bool arch_irq_enabled(void)
{
	return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}

static inline void arch_irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline void arch_irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

/* Sleep until an interrupt is pending (it may return spuriously). */
static inline void arch_wait_for_interrupt(void)
{
	wfi();
}

/*
 * A spin-wait hint. Zihintpause's PAUSE is a FENCE encoding that older
 * cores execute as a harmless fence, so it is safe everywhere.
 */
static inline void arch_cpu_relax(void)
{
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010" ::: "memory");
}

/* The per-hart data pointer (tp holds it in kernel mode). */
static inline void *arch_hart_pointer(void)
{
	return (void *)read_tp();
}

static inline void arch_set_hart_pointer(void *p)
{
	write_tp((uintptr_t)p);
}

/* The platform's monotonic clock, in ticks of timebase-frequency. */
static inline uint64_t arch_time(void)
{
	return rdtime();
}

static inline uintptr_t arch_frame_pointer(void)
{
	return read_fp();
}

#endif
