/*
 * uart.c: which driver runs the console, chosen from the device tree.
 *
 * Owns the console's driver choice and its receive interrupt source. The
 * choice is made once, on the boot hart, before any other hart starts
 * (console_kind and uart_irq_source are read-only afterwards); until then
 * console_kind is UART_NONE and output goes through the SBI legacy
 * putchar, which works on every firmware kine boots under.
 */
#include "src/arch/riscv/uart.h"

#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/plic.h"
#include "src/arch/riscv/sbi.h"
#include "src/base/kprintf.h"
#include "src/mm/phys.h"
#include "src/sched/hart.h"

static enum uart_kind console_kind;
static uint32_t uart_irq_source;

bool uart_init(const struct platform *plat)
{
	uintptr_t base = (uintptr_t)phys_to_virt(plat->uart.base);
	/* Receive interrupts need the source and this hart's S-mode PLIC context. */
	bool rx_irq =
	    plat->uart.irq != 0 && plat->plic.present && this_hart()->arch.plic_context >= 0;
	const char *name;

	switch (plat->uart.kind) {
	case UART_NS16550A:
		ns16550_init(base, plat->uart.reg_shift, rx_irq);
		name = "ns16550a";
		break;
	case UART_SIFIVE:
		sifive_uart_init(base, rx_irq);
		name = "sifive,uart0";
		break;
	default:
		kprintf("kine: console: SBI putchar (no driver for the device tree's console)\n");
		return false;
	}
	if (rx_irq) {
		uart_irq_source = plat->uart.irq;
		plic_enable_here(uart_irq_source);
	}
	/* From here on kprintf goes to the device itself. */
	__atomic_store_n(&console_kind, plat->uart.kind, __ATOMIC_RELEASE);
	kprintf("kine: console: %s at %#lx, receive %s\n", name, (unsigned long)plat->uart.base,
		rx_irq ? "interrupts on" : "polled only (no PLIC source)");
	return true;
}

uint32_t uart_irq(void)
{
	return uart_irq_source;
}

/* Mask or unmask the receive interrupt, where input is interrupt driven at all. */
static void uart_rx_irq(bool on)
{
	if (uart_irq_source == 0)
		return;
	switch (console_kind) {
	case UART_NS16550A:
		ns16550_rx_irq(on);
		break;
	case UART_SIFIVE:
		sifive_uart_rx_irq(on);
		break;
	default:
		break;
	}
}

void arch_console_putc(int c)
{
	switch (__atomic_load_n(&console_kind, __ATOMIC_ACQUIRE)) {
	case UART_NS16550A:
		ns16550_putc(c);
		break;
	case UART_SIFIVE:
		sifive_uart_putc(c);
		break;
	default:
		sbi_console_putchar(c);
		break;
	}
}

void arch_console_rx_pause(void)
{
	uart_rx_irq(false);
}

void arch_console_rx_resume(void)
{
	uart_rx_irq(true);
}

void uart_interrupt(void)
{
	switch (console_kind) {
	case UART_NS16550A:
		ns16550_rx();
		break;
	case UART_SIFIVE:
		sifive_uart_rx();
		break;
	default:
		break;
	}
}
