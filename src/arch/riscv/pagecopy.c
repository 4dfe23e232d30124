/*
 * pagecopy.c: page_copy and the boot-time choice of how (see pagecopy.h).
 *
 * Invariants:
 *  - page_mode is written once, by the boot hart before other harts start
 *    and before any process runs; read-only afterwards.
 *  - Vector state belongs to no one: sstatus.VS is Off on every hart except
 *    inside page_copy's vector branch, and that branch runs with interrupts
 *    off, so no trap, preemption or switch can see VS on or find another
 *    thread's vector registers in use. There are none to clobber: no other
 *    kernel code issues V instructions, and user mode never has VS on
 *    (trap_init_hart clears it, user_return masks it out, and a return from
 *    a trap restores the user's own sstatus). Turning VS Off afterwards
 *    discards the state. user/tests/vtrap.c checks the user side.
 */
#include "src/arch/riscv/pagecopy.h"

#include "src/arch/riscv/cpu.h"
#include "src/arch/riscv/riscv.h"
#include "src/lib/mem.h"

void page_copy_vector(void *dst, const void *src); /* vcopy.S */

static enum page_copy_mode page_mode = PAGE_COPY_SCALAR;

enum page_copy_mode page_copy_init(bool harts_have_v, bool want_vector)
{
	page_mode = harts_have_v && want_vector ? PAGE_COPY_VECTOR : PAGE_COPY_SCALAR;
	return page_mode;
}

const char *page_copy_mode_name(void)
{
	return page_mode == PAGE_COPY_VECTOR ? "vector" : "scalar";
}

void page_copy(void *dst, const void *src)
{
	bool irq;

	if (page_mode == PAGE_COPY_SCALAR) {
		page_copy_words(dst, src);
		return;
	}
	irq = arch_irq_save();
	csr_set(sstatus, SSTATUS_VS_INITIAL);
	page_copy_vector(dst, src);
	csr_clear(sstatus, SSTATUS_VS);
	arch_irq_restore(irq);
}
