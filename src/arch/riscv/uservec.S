/*
 * uservec.S: the trap entry from U-mode, and the return to it.
 *
 * In U-mode sscratch holds the thread's struct user_frame (user.h), which
 * sits at the top of its kernel stack, and stvec holds uservec. The first
 * instruction swaps sp with sscratch, so sp points at the frame and
 * sscratch keeps the user's sp until it is saved. The kernel's tp is
 * reloaded from the frame: user code may have changed tp.
 */
#define FRAME_SIZE 304
#define TP_OFFSET  288

	.section .text
	.balign	4
	.globl	uservec
uservec:
	csrrw	sp, sscratch, sp
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	csrr	t0, sscratch			/* the user's sp */
	sd	t0, 2*8(sp)
	csrw	sscratch, zero			/* in the kernel, sscratch is 0 */
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	csrr	t0, sstatus
	sd	t0, 33*8(sp)
	csrr	t0, scause
	sd	t0, 34*8(sp)
	csrr	t0, stval
	sd	t0, 35*8(sp)
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
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	ld	sp, 2*8(sp)
	sret
