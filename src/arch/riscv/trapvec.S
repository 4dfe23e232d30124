/*
 * trapvec.S: kernelvec, the S-mode trap entry while running in the kernel.
 *
 * Saves every register and the trap CSRs in a struct trap_frame (trap.h)
 * on the current stack, calls kernel_trap(frame), and restores. tp is
 * saved but not restored: it holds this hart's struct hart and never
 * changes while the kernel runs. sepc and sstatus are written back from the
 * frame, so a handler may redirect the return (and a nested trap, which
 * clobbers them, cannot break this one's return).
 *
 * Before it touches the stack it checks that a frame fits above the
 * hart's stack limit (struct hart's stack_limit: the lowest byte of the
 * stack the hart runs on). If not, the stack has overflowed into its
 * guard: the frame goes on the hart's overflow stack and
 * kernel_stack_overflow() panics with what it can tell.
 */
#include "src/arch/riscv/entry.h"
#include "src/arch/riscv/trapregs.inc"

#define FRAME_SIZE 288

	.section .text
	.balign	4
	.globl	kernelvec
kernelvec:
	/*
	 * The stack check comes first: a frame below the stack's limit would
	 * be stored into its guard, and the fault that store takes would
	 * enter here again, forever. t0 waits in the hart's scratch word;
	 * nothing between can trap (tp always holds this hart's struct hart).
	 */
	sd	t0, HART_TRAP_SCRATCH_OFFSET(tp)
	ld	t0, HART_STACK_LIMIT_OFFSET(tp)
	addi	t0, t0, FRAME_SIZE
	bltu	sp, t0, kernel_stack_overflowed
	ld	t0, HART_TRAP_SCRATCH_OFFSET(tp)
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

	/*
	 * The stack overflowed: build the frame on this hart's overflow stack
	 * instead, with the overflowed sp in it, and report. Never returns.
	 */
kernel_stack_overflowed:
	mv	t0, sp
	ld	sp, HART_OVERFLOW_TOP_OFFSET(tp)
	addi	sp, sp, -FRAME_SIZE
	sd	t0, 2*8(sp)
	ld	t0, HART_TRAP_SCRATCH_OFFSET(tp)
	TRAP_SAVE_GPRS sp
	TRAP_SAVE_CSRS sp
	mv	a0, sp
	mv	s0, zero
	call	kernel_stack_overflow
1:	j	1b
