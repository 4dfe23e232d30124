/*
 * trap.h: the register frame a trap saves, and the trap entry points.
 *
 * kernelvec (trapvec.S) pushes a struct trap_frame on the current kernel
 * stack and calls kernel_trap(). The layout is shared with the assembly:
 * regs[i] holds x<i> (regs[0], x0, holds nothing), then the CSRs.
 */
#ifndef KINE_ARCH_RISCV_TRAP_H
#define KINE_ARCH_RISCV_TRAP_H

#include <stdint.h>

struct trap_frame {
	uint64_t regs[32];
	uint64_t sepc;
	uint64_t sstatus;
	uint64_t scause;
	uint64_t stval;
};

#define TRAP_FRAME_SIZE 288 /* must match trapvec.S */

/* Install kernelvec on this hart and enable its S-mode interrupt sources. */
void trap_init_hart(void);

void kernel_trap(struct trap_frame *tf);

/* The name of a scause value, e.g. "store/AMO page fault". */
const char *trap_cause_name(uint64_t scause);

/* Print a frame's pc, cause and registers (for panic). */
void trap_frame_print(const struct trap_frame *tf);

#endif
