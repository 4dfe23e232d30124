/*
 * power.c: halting a hart and turning the machine off.
 *
 * The host learns a run's outcome from the exit status of QEMU, which only
 * the sifive_test device on -M virt can set (OpenSBI 1.1 ignores SRST's
 * reason). Where there is no test device, SRST shutdown is tried, then a
 * cold reboot (QEMU runs with -no-reboot, so that exits too; sifive_u's
 * OpenSBI refuses shutdown but accepts reboot), then the legacy call. The
 * console verdict line, printed before any of this, is the portable truth.
 */
#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/sbi.h"
#include "src/mm/phys.h"

#define TESTDEV_PASS 0x5555
#define TESTDEV_FAIL 0x3333

/* Written once by the boot hart during boot; read-only afterwards. */
static volatile uint32_t *testdev;

void power_init(const struct platform *plat)
{
	if (plat->testdev.present)
		testdev = phys_to_virt(plat->testdev.base);
}

void arch_halt(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
	for (;;)
		wfi();
}

void arch_power_off(int status)
{
	bool success = status == 0;

	csr_clear(sstatus, SSTATUS_SIE);
	if (testdev)
		*testdev = success ? TESTDEV_PASS : ((uint32_t)status << 16) | TESTDEV_FAIL;
	sbi_system_reset(SBI_SRST_SHUTDOWN,
			 success ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE);
	sbi_system_reset(SBI_SRST_COLD_REBOOT,
			 success ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE);
	sbi_legacy_shutdown();
	arch_halt();
}
