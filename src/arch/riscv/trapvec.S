/*
 * trapvec.S: kernelvec, the S-mode trap entry while running in the kernel.
 *
 * Saves every register and the trap CSRs in a struct trap_frame (trap.h)
 * on the current stack, calls kernel_trap(frame), and restores. tp is
 * saved but not restored: it holds this hart's struct hart and never
 * changes while the kernel runs. sepc and sstatus are written back from the
 * frame, so a handler may redirect the return (and a nested trap, which
 * clobbers them, cannot break this one's return).
 */
#include "src/arch/riscv/trapregs.inc"

#define FRAME_SIZE 288

	.section .text
	.balign	4
	.globl	kernelvec
kernelvec:
	addi	sp, sp, -FRAME_SIZE
	TRAP_SAVE_GPRS sp
	addi	t0, sp, FRAME_SIZE		/* sp before the trap */
	sd	t0, 2*8(sp)
	TRAP_SAVE_CSRS sp

	mv	a0, sp
	call	kernel_trap

	ld	t0, 32*8(sp)
	csrw	sepc, t0
	ld	t0, 33*8(sp)
	csrw	sstatus, t0
	TRAP_RESTORE_GPRS sp
	addi	sp, sp, FRAME_SIZE
	sret
