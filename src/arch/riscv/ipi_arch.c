/*
 * ipi_arch.c: raising and acknowledging software interrupts.
 *
 * S-mode cannot write another hart's SSIP; the SBI IPI extension (or the
 * legacy send_ipi) asks M-mode to do it. The receiver clears its own SSIP.
 */
#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/sbi.h"
#include "src/base/kprintf.h"

/*
 * hart_mask_base = hartid, mask = 1: one hart, whatever its id (ids may be
 * sparse and larger than a mask's width).
 */
bool arch_ipi_send(uint32_t hartid)
{
	long err = sbi_send_ipi(1, hartid);

	if (err != SBI_SUCCESS)
		kprintf("kine: sbi send_ipi to hart %u: %s\n", hartid, sbi_error_name(err));
	return err == SBI_SUCCESS;
}

void arch_ipi_clear(void)
{
	csr_clear(sip, SIP_SSIP);
}
