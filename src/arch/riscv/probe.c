/*
 * probe.c: recognizing a probe's fault in the trap handler.
 *
 * probe_write_byte faults at its load (probe_write_load: nothing mapped)
 * or at its store (probe_write_insn: mapped, but not writable);
 * probe_exec faults at its target with ra still pointing at
 * probe_exec_return, the instruction after its jalr.
 */
#include "src/arch/riscv/probe.h"

#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/trap.h"

extern char probe_write_load[], probe_write_insn[], probe_write_fixup[];
extern char probe_exec_return[], probe_exec_fixup[];

#define REG_RA 1

bool probe_fixup(struct trap_frame *tf, struct probe_fault *out)
{
	uint64_t code = tf->scause;

	if ((code == EXC_LOAD_PAGE_FAULT && tf->sepc == (uintptr_t)probe_write_load) ||
	    (code == EXC_STORE_PAGE_FAULT && tf->sepc == (uintptr_t)probe_write_insn))
		tf->sepc = (uintptr_t)probe_write_fixup;
	else if (code == EXC_INST_PAGE_FAULT && tf->regs[REG_RA] == (uintptr_t)probe_exec_return)
		tf->sepc = (uintptr_t)probe_exec_fixup;
	else
		return false;
	out->scause = tf->scause;
	out->stval = tf->stval;
	return true;
}
