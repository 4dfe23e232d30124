/*
 * entry.S: the first instructions every hart runs.
 *
 * Two ways in:
 *  - _start, with a0 = hart id and a1 = the device tree. OpenSBI sends one
 *    hart here; a boot loader on an SMP board may release several at once.
 *    The first hart to win the lottery (an atomic add on entry_lottery)
 *    becomes the boot hart. Every other one records its arrival and hands
 *    itself back to the firmware (SBI HSM hart_stop), so that the boot hart
 *    starts it later exactly like a hart that was never released. If HSM
 *    is missing (or entry_hsm_stop is 0) it spins until the boot hart
 *    writes its struct hart into entry_release[ticket].
 *  - secondary_entry, with a0 = hart id and a1 = its struct hart: where
 *    the boot hart starts every other hart through HSM hart_start.
 *
 * The lottery words live in .data, not .bss: the boot hart clears .bss
 * while the losers may already be writing them.
 */
#include "src/arch/riscv/entry.h"

#define SBI_EXT_HSM   0x48534D
#define SBI_HART_STOP 1

	.section .text.entry, "ax"
	.option push
	.option norvc
	.globl	_start
_start:
	/* The 64-byte RISC-V Linux Image header, so U-Boot's booti loads us. */
	j	boot_entry			/* code0 */
	.word	0				/* code1 */
	.dword	0x200000			/* text_offset from RAM base */
	.dword	kernel_image_size		/* image_size, bss included */
	.dword	0				/* flags: little endian */
	.word	0x2				/* header version 0.2 */
	.word	0				/* res1 */
	.dword	0				/* res2 */
	.ascii	"RISCV\0\0\0"			/* magic (deprecated) */
	.ascii	"RSC\x05"			/* magic2 */
	.word	0				/* res3 */
	.option pop

boot_entry:
	csrw	sie, zero
	la	t0, entry_lottery
	li	t1, 1
	amoadd.w.aqrl t1, t1, (t0)
	bnez	t1, entry_loser

	/* The boot hart: harts[0] and the first stack slot are its own. */
	la	sp, hart_stacks
	li	t0, KSTACK_SLOT_SIZE
	add	sp, sp, t0

	/* Clear .bss with no stack in use yet (a0, a1 must survive). */
	la	t0, kernel_bss_start
	la	t1, kernel_bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	la	tp, harts
	mv	s0, zero			/* end of the frame-pointer chain */
	call	boot_main
	j	entry_park

entry_loser:
	/* t1 = this hart's ticket; no stack, no bss, only t/a registers. */
	li	t2, KINE_MAX_HARTS
	bgeu	t1, t2, entry_park
	slli	t3, t1, 3
	la	t0, entry_arrived
	add	t0, t0, t3
	addi	t4, a0, 1			/* hart id + 1: 0 means empty */
	fence	rw, w
	sd	t4, 0(t0)

	la	t0, entry_hsm_stop
	lw	t0, 0(t0)
	beqz	t0, 3f
	mv	t5, a0
	li	a7, SBI_EXT_HSM
	li	a6, SBI_HART_STOP
	ecall					/* returns only on failure */
	mv	a0, t5
3:
	la	t0, entry_release
	add	t0, t0, t3
4:	ld	a1, 0(t0)
	bnez	a1, 5f
	.insn	i 0x0f, 0, x0, x0, 0x010	/* pause */
	j	4b
5:	fence	r, rw
	j	secondary_entry

entry_park:
	wfi
	j	entry_park

	.globl	secondary_entry
secondary_entry:
	csrw	sie, zero
	ld	sp, HART_STACK_TOP_OFFSET(a1)
	mv	tp, a1
	mv	s0, zero
	call	secondary_main
	j	entry_park

	.section .data
	.balign	8
	.globl	entry_lottery, entry_arrived, entry_release, entry_hsm_stop
entry_lottery:
	.word	0
entry_hsm_stop:
	.word	1
entry_arrived:
	.zero	8 * KINE_MAX_HARTS
entry_release:
	.zero	8 * KINE_MAX_HARTS
