/*
 * probe.S: the two faulting accesses of probe.h, each with the address the
 * trap handler resumes at when the access faults (probe.c matches the
 * faulting pc, or for probe_exec the return address, against these labels).
 */
	.section .text
	.balign	4
	.globl	probe_write_byte, probe_write_load, probe_write_insn, probe_write_fixup
probe_write_byte:
probe_write_load:
	lbu	t0, 0(a0)
probe_write_insn:
	sb	t0, 0(a0)
	li	a0, 0
	ret
probe_write_fixup:
	li	a0, -1
	ret

	.balign	4
	.globl	probe_exec, probe_exec_return, probe_exec_fixup
probe_exec:
	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	addi	s0, sp, 16
	fence.i
	jalr	a0
probe_exec_return:
	li	a0, 0
	j	1f
probe_exec_fixup:
	li	a0, -1
1:	ld	ra, 8(sp)
	ld	s0, 0(sp)
	addi	sp, sp, 16
	ret
