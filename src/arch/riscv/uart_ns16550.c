/*
 * uart_ns16550.c: the ns16550a UART of QEMU's virt machine.
 *
 * Output polls the transmit-holding-register-empty bit: the console lock
 * (src/kernel/console.c) serializes writers, so only one hart at a time is
 * here. Input is interrupt driven: the receive interrupt is routed to the
 * boot hart's PLIC context (plic_init() must have run), and every byte goes
 * to console_input().
 */
#include "src/arch/riscv/uart.h"

#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/plic.h"
#include "src/arch/riscv/sbi.h"
#include "src/kernel/kernel.h"
#include "src/mm/phys.h"
#include "src/sched/hart.h"

#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_LSR 5 /* line status */

#define IER_RX_AVAILABLE 0x01
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear both */
#define LCR_8N1          0x03
#define LSR_DATA_READY   0x01
#define LSR_THR_EMPTY    0x20

/* Set once by the boot hart during boot; read-only after. */
static uintptr_t uart_base;
static uint32_t uart_shift;
static uint32_t uart_irq_source;

static volatile uint8_t *uart_reg(int reg)
{
	return (volatile uint8_t *)(uart_base + ((uintptr_t)reg << uart_shift));
}

bool uart_init(const struct platform *plat)
{
	if (plat->uart.kind != UART_NS16550A)
		return false;
	uart_base = (uintptr_t)phys_to_virt(plat->uart.base);
	uart_shift = plat->uart.reg_shift;
	*uart_reg(UART_IER) = 0;
	*uart_reg(UART_LCR) = LCR_8N1;
	*uart_reg(UART_FCR) = FCR_ENABLE_CLEAR;
	if (plat->uart.irq != 0 && plat->plic.present && this_hart()->arch.plic_context >= 0) {
		uart_irq_source = plat->uart.irq;
		plic_enable_here(uart_irq_source);
		*uart_reg(UART_IER) = IER_RX_AVAILABLE;
	}
	return true;
}

uint32_t uart_irq(void)
{
	return uart_irq_source;
}

void arch_console_putc(int c)
{
	if (uart_base == 0) {
		sbi_console_putchar(c);
		return;
	}
	while ((*uart_reg(UART_LSR) & LSR_THR_EMPTY) == 0)
		;
	*uart_reg(UART_THR) = (uint8_t)c;
}

void uart_interrupt(void)
{
	while (*uart_reg(UART_LSR) & LSR_DATA_READY)
		console_input(*uart_reg(UART_RBR));
}
