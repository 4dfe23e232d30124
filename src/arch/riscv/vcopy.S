/*
 * vcopy.S: page_copy_vector(dst, src), one 4 KiB page with RVV 1.0.
 *
 * The caller (pagecopy.c) has turned sstatus.VS on and interrupts off; this
 * clobbers v0-v7, vl and vtype, which nobody else owns (user mode runs with
 * VS Off, and no other kernel code uses V). LMUL=8 moves VLEN bytes per
 * register, 8 registers per instruction: 128 bytes per iteration at
 * VLEN=128, and fewer iterations on wider harts.
 */
	.option	push
	.option	arch, +v
	.section .text
	.balign	4
	.globl	page_copy_vector
page_copy_vector:
	li	t0, 4096
1:	vsetvli	t1, t0, e8, m8, ta, ma
	vle8.v	v0, (a1)
	vse8.v	v0, (a0)
	add	a1, a1, t1
	add	a0, a0, t1
	sub	t0, t0, t1
	bnez	t0, 1b
	ret
	.option	pop
