/*
 * uservec.S: the trap entry from U-mode, and the return to it.
 *
 * In U-mode sscratch holds the thread's struct user_frame (user.h), which
 * sits at the top of its kernel stack, and stvec holds uservec. The first
 * instruction swaps sp with sscratch, so sp points at the frame and
 * sscratch keeps the user's sp until it is saved. The kernel's tp is
 * reloaded from the frame: user code may have changed tp.
 */
#include "src/arch/riscv/trapregs.inc"

#define FRAME_SIZE 304
#define TP_OFFSET  288

	.section .text
	.balign	4
	.globl	uservec
uservec:
	csrrw	sp, sscratch, sp
	TRAP_SAVE_GPRS sp
	csrr	t0, sscratch			/* the user's sp */
	sd	t0, 2*8(sp)
	csrw	sscratch, zero			/* in the kernel, sscratch is 0 */
	TRAP_SAVE_CSRS sp
	ld	tp, TP_OFFSET(sp)
	la	t0, kernelvec
	csrw	stvec, t0
	mv	a0, sp
	mv	s0, zero			/* the kernel's frame chain starts here */
	call	user_trap
	mv	a0, sp				/* user_trap returned: back to user mode */
	/* fall through */

	/* user_return(frame): interrupts must be off (the caller turns them off). */
	.globl	user_return_asm
user_return_asm:
	mv	sp, a0
	sd	tp, TP_OFFSET(sp)		/* the hart we return on */
	la	t0, uservec
	csrw	stvec, t0
	csrw	sscratch, sp
	ld	t0, 32*8(sp)
	csrw	sepc, t0
	ld	t0, 33*8(sp)
	csrw	sstatus, t0
	TRAP_RESTORE_GPRS sp
	ld	x4, 4*8(sp)			/* the user's tp */
	ld	sp, 2*8(sp)
	sret
