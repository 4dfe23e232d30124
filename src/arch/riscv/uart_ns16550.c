/*
 * uart_ns16550.c: the ns16550a UART of QEMU's virt machine.
 *
 * Output polls the transmit-holding-register-empty bit: the console lock
 * (src/kernel/console.c) serializes writers, so only one hart at a time is
 * here. Input is interrupt driven when uart.c asks for it: the receive
 * interrupt goes to the boot hart's PLIC context, and every byte to
 * console_input(), but only while the console has room: otherwise the
 * byte stays in the receive FIFO, the console masks the interrupt (IER)
 * until a reader drains it, and a full FIFO holds the sender back (QEMU's
 * chardev stops reading its backend). Registers are 8 bits wide, 1 << reg_shift bytes apart.
 */
#include "src/arch/riscv/uart.h"

#include "src/kernel/kernel.h"

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

static volatile uint8_t *uart_reg(int reg)
{
	return (volatile uint8_t *)(uart_base + ((uintptr_t)reg << uart_shift));
}

void ns16550_init(uintptr_t base, uint32_t reg_shift, bool rx_irq)
{
	uart_base = base;
	uart_shift = reg_shift;
	*uart_reg(UART_IER) = 0;
	*uart_reg(UART_LCR) = LCR_8N1;
	*uart_reg(UART_FCR) = FCR_ENABLE_CLEAR;
	if (rx_irq)
		*uart_reg(UART_IER) = IER_RX_AVAILABLE;
}

void ns16550_putc(int c)
{
	while ((*uart_reg(UART_LSR) & LSR_THR_EMPTY) == 0)
		;
	*uart_reg(UART_THR) = (uint8_t)c;
}

void ns16550_rx(void)
{
	/* Reading RBR pops the byte: only once the console can take it. */
	while ((*uart_reg(UART_LSR) & LSR_DATA_READY) && console_input_ready())
		console_input(*uart_reg(UART_RBR));
}

/* IER is written only here and at init; the console's input lock orders the callers. */
void ns16550_rx_irq(bool on)
{
	*uart_reg(UART_IER) = on ? IER_RX_AVAILABLE : 0;
}
