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
 *    writes its struct hart into entry_release[ticket]; if the boot hart
 *    set entry_release_wfi before releasing it (seeded runs: smp.c), it
 *    waits in wfi instead, and the boot hart sends an IPI with the release.
 *  - secondary_entry, with a0 = hart id and a1 = its struct hart: where
 *    the boot hart starts every other hart through HSM hart_start.
 *
 * The lottery words live in .data, not .bss: the boot hart clears .bss
 * while the losers may already be writing them.
 *
 * Every hart arrives with the MMU off, at the image's physical address.
 * Until paging is on, this file uses only pc-relative addresses (which are
 * then physical) and never a pointer stored in memory (those are the
 * kernel's virtual addresses). mmu_on switches to a page table and jumps to
 * the kernel's virtual addresses: it points stvec at the virtual target
 * first, so the instruction fetch that faults right after the satp write
 * (its physical pc is not mapped) traps straight there. No identity
 * mapping is needed, so none is left behind in the lower half that belongs
 * to user space.
 */
#include "src/arch/riscv/entry.h"
#include "src/arch/riscv/memlayout.h"

#define SBI_EXT_HSM   0x48534D
#define SBI_HART_STOP 1
#define SIP_SSIP      0x2

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

	/* The boot hart. Clear .bss with no stack in use (a0, a1 survive). */
	la	t0, kernel_bss_start
	la	t1, kernel_bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* Paging on with the boot page table; every other hart uses it too. */
	la	t0, boot_pagetable
	srli	t0, t0, 12
	li	t1, ENTRY_SATP_MODE_SV39
	or	t0, t0, t1
	la	t1, kernel_satp
	sd	t0, 0(t1)
	ld	t2, boot_high_addr
	j	mmu_on

	.balign	4				/* stvec needs 4-byte alignment */
boot_high:
	/* Now at the kernel's virtual addresses: la yields those. */
	la	sp, hart_stacks
	li	t0, KSTACK_SLOT_SIZE
	add	sp, sp, t0
	la	tp, harts			/* harts[0] is the boot hart */
	mv	s0, zero			/* end of the frame-pointer chain */
	call	boot_main
	j	entry_park

/*
 * Switch to the page table in satp value t0 and continue at virtual
 * address t2. Clobbers t1; keeps a0, a1.
 */
mmu_on:
	csrw	stvec, t2
	sfence.vma
	csrw	satp, t0
	sfence.vma
	/* Not reached by a hart that was running at physical addresses: the
	 * fetch of this instruction faults and the trap lands on t2. A hart
	 * already running at virtual addresses falls through. */
	jr	t2

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
	/* entry_release_wfi: the boot hart will send an IPI after the release,
	 * so wait halted (wfi) rather than spinning. sie.SSIE wakes wfi;
	 * sstatus.SIE is 0 (hart start), so no trap is taken. */
	la	t6, entry_release_wfi
	lw	t6, 0(t6)
	beqz	t6, 4f
	li	t4, SIP_SSIP
	csrs	sie, t4
4:	ld	a1, 0(t0)
	bnez	a1, 5f
	bnez	t6, 6f
	.insn	i 0x0f, 0, x0, x0, 0x010	/* pause */
	j	4b
6:	wfi
	j	4b
5:	fence	r, rw
	beqz	t6, secondary_entry
	li	t4, SIP_SSIP
	csrc	sip, t4				/* the release IPI, if it came */
	j	secondary_entry			/* which clears sie */

entry_park:
	wfi
	j	entry_park

	.globl	secondary_entry
secondary_entry:
	/* Physical addresses, MMU off; a1 is the (virtual) struct hart. */
	csrw	sie, zero
	la	t0, kernel_satp
	ld	t0, 0(t0)
	ld	t2, secondary_high_addr
	j	mmu_on

	.balign	4
secondary_high:
	ld	sp, HART_STACK_TOP_OFFSET(a1)
	mv	tp, a1
	mv	s0, zero
	call	secondary_main
	j	entry_park

	/* Virtual addresses, read pc-relatively while running physically. */
	.balign	8
boot_high_addr:
	.dword	boot_high
secondary_high_addr:
	.dword	secondary_high

	.section .data
	.balign	8
	/* The satp value every hart loads when it starts (mmu.c updates it
	 * when the kernel moves to its final page table). */
	.globl	kernel_satp
kernel_satp:
	.dword	0
	.globl	entry_lottery, entry_arrived, entry_release, entry_hsm_stop, entry_release_wfi
entry_lottery:
	.word	0
entry_hsm_stop:
	.word	1
entry_release_wfi:
	.word	0
	.balign	8
entry_arrived:
	.zero	8 * KINE_MAX_HARTS
entry_release:
	.zero	8 * KINE_MAX_HARTS

/*
 * The boot page table: 1 GiB leaves only. The image's gigabyte
 * (0x80000000) at KERNEL_VIRT_BASE's gigabyte, and the first
 * BOOT_DIRECT_GIGAPAGES GiB of physical space at DIRECT_MAP_BASE (RAM, the
 * device tree, and the devices below 2 GiB). Global, accessed and dirty
 * set: the SiFive cores fault rather than set A and D themselves.
 */
#define PTE_KERNEL_RWX 0xef	/* V R W X A D G */
#define PTE_KERNEL_RW  0xe7	/* V R W A D G */
#define GIGA_PTE(pa_gib, flags) (((pa_gib) << 28) | (flags))
#define VPN2(va) (((va) >> 30) & 0x1ff)

	.section .data
	.balign	4096
	.globl	boot_pagetable
boot_pagetable:
	.set	idx, 0
	.rept	512
	.if	(idx >= VPN2(DIRECT_MAP_BASE)) && (idx < VPN2(DIRECT_MAP_BASE) + BOOT_DIRECT_GIGAPAGES)
	.dword	GIGA_PTE(idx - VPN2(DIRECT_MAP_BASE), PTE_KERNEL_RW)
	.elseif	idx == VPN2(KERNEL_VIRT_BASE)
	.dword	GIGA_PTE(KERNEL_PHYS_BASE >> 30, PTE_KERNEL_RWX)
	.else
	.dword	0
	.endif
	.set	idx, idx + 1
	.endr
