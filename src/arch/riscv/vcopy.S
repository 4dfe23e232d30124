/*
 * vcopy.S: page_copy_vector(dst, src), one 4 KiB page with RVV 1.0.
 *
 * The caller (pagecopy.c) has turned sstatus.VS on and interrupts off; this
 * clobbers v0-v7, vl and vtype, which nobody else owns (user mode runs with
 * VS Off, and no other kernel code uses V). 64-bit elements at LMUL=8 move
 * 8 registers of VLEN bits per instruction: 128 bytes per iteration at
 * VLEN=128, fewer iterations on wider harts. (QEMU 7.2 emulates a vector
 * load or store element by element: 64-bit elements take 8 times fewer
 * steps than bytes; BENCHMARKS.md, "Page copy: scalar against vector".)
 */
	.option	push
	.option	arch, +v
	.section .text
	.balign	4
	.globl	page_copy_vector
page_copy_vector:
	li	t0, 4096 / 8		/* 64-bit words left */
1:	vsetvli	t1, t0, e64, m8, ta, ma
	vle64.v	v0, (a1)
	vse64.v	v0, (a0)
	slli	t2, t1, 3
	add	a1, a1, t2
	add	a0, a0, t2
	sub	t0, t0, t1
	bnez	t0, 1b
	ret
	.option	pop
