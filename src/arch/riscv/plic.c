/*
 * plic.c: the RISC-V PLIC (riscv,plic0 / sifive,plic-1.0.0).
 *
 * Register map (offsets from the base): priority of source i at 4*i; the
 * enable bits of context c at 0x2000 + 0x80*c; the threshold of context c
 * at 0x200000 + 0x1000*c, and its claim/complete register 4 bytes after.
 * Only the hart that owns a context touches that context's registers.
 */
#include "src/arch/riscv/plic.h"

#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/uart.h"
#include "src/base/assert.h"
#include "src/base/kprintf.h"
#include "src/mm/phys.h"
#include "src/sched/hart.h"

#define PLIC_PRIORITY(irq)  (4 * (irq))
#define PLIC_ENABLE(ctx)    (0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)     (0x200004 + 0x1000 * (ctx))

/* Set once by the boot hart; read-only after. */
static uintptr_t plic_base;
static uint32_t plic_ndev;

static volatile uint32_t *plic_reg(uintptr_t offset)
{
	return (volatile uint32_t *)(plic_base + offset);
}

bool plic_init(const struct platform *plat)
{
	if (!plat->plic.present)
		return false;
	plic_base = (uintptr_t)phys_to_virt(plat->plic.base);
	plic_ndev = plat->plic.ndev;
	return true;
}

void plic_enable_here(uint32_t irq)
{
	int ctx = this_hart()->arch.plic_context;

	assert(plic_base != 0 && ctx >= 0);
	assert(irq > 0 && irq <= plic_ndev);
	*plic_reg(PLIC_PRIORITY(irq)) = 1;
	*plic_reg(PLIC_ENABLE(ctx) + 4 * (irq / 32)) |= 1u << (irq % 32);
}

void plic_init_hart(void)
{
	int ctx = this_hart()->arch.plic_context;

	if (plic_base == 0 || ctx < 0)
		return;
	*plic_reg(PLIC_THRESHOLD(ctx)) = 0;
	csr_set(sie, SIE_SEIE);
}

void plic_handle(void)
{
	int ctx = this_hart()->arch.plic_context;
	uint32_t irq;

	assert(ctx >= 0);
	while ((irq = *plic_reg(PLIC_CLAIM(ctx))) != 0) {
		if (irq == uart_irq())
			uart_interrupt();
		else
			kprintf("kine: plic: unexpected irq %u on hart %u\n", irq,
				this_hart()->hartid);
		*plic_reg(PLIC_CLAIM(ctx)) = irq;
	}
}
