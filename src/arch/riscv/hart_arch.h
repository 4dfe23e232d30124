/*
 * hart_arch.h: the RISC-V part of struct hart.
 *
 * Written during the hart's own bring-up (by the boot hart before it starts
 * the hart, or by the hart itself), read-only afterwards.
 */
#ifndef KINE_ARCH_RISCV_HART_ARCH_H
#define KINE_ARCH_RISCV_HART_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/probe.h"

struct arch_hart {
	int plic_context;               /* this hart's S-mode PLIC context, -1 if none */
	bool sstc;                      /* timer through stimecmp rather than SBI TIME */
	uint64_t timer_step;            /* timebase ticks between timer interrupts */
	uint64_t timer_next;            /* when the next tick is due (timer_arm) */
	unsigned asid_bits;             /* implemented ASID width (mmu_probe_asid_bits) */
	struct probe_fault probe_fault; /* the last fault a probe took here */
};

#endif
