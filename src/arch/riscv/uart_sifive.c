/*
 * uart_sifive.c: the SiFive UART ("sifive,uart0") of the FU540/FU740 and
 * QEMU's sifive_u.
 *
 * Registers (32 bits each, from the FU740 manual's UART chapter): txdata
 * (bit 31 reads 1 while the transmit FIFO is full), rxdata (bit 31 reads 1
 * when the receive FIFO was empty; else bits 7..0 are the byte, popped by
 * that read), txctrl and rxctrl (bit 0 enables; bits 18..16 are the FIFO
 * watermark), ie (bit 1: interrupt while the receive FIFO holds more than
 * the watermark) and div, the baud divisor.
 *
 * The divisor is left as the firmware set it: OpenSBI and U-Boot program
 * 115200 baud from the real bus clock, which the tree gives only as a
 * `clocks` phandle into the PRCI that kine does not model. Output polls
 * the full bit under the console lock; input is interrupt driven when
 * uart.c asks for it (receive watermark 0: any byte raises it), and every
 * byte goes to console_input(). Each rxdata read pops a byte, so it is
 * read exactly once per byte, and only once the console has room for it
 * (ip's rxwm bit says a byte waits without popping it); with the console
 * full, its interrupt is masked (ie) until a reader drains it, and the
 * full FIFO holds the sender back.
 */
#include "src/arch/riscv/uart.h"

#include "src/kernel/kernel.h"

#define SIFIVE_TXDATA 0x00
#define SIFIVE_RXDATA 0x04
#define SIFIVE_TXCTRL 0x08
#define SIFIVE_RXCTRL 0x0c
#define SIFIVE_IE     0x10
#define SIFIVE_IP     0x14

#define TXDATA_FULL  (1u << 31)
#define RXDATA_EMPTY (1u << 31)
#define CTRL_ENABLE  1u /* txen / rxen; watermark bits 18..16 left at 0 */
#define IE_RXWM      (1u << 1)
#define IP_RXWM      (1u << 1) /* the receive FIFO holds more than the watermark (0) */

/* Set once by the boot hart during boot; read-only after. */
static uintptr_t uart_base;

static volatile uint32_t *uart_reg(uintptr_t offset)
{
	return (volatile uint32_t *)(uart_base + offset);
}

void sifive_uart_init(uintptr_t base, bool rx_irq)
{
	uart_base = base;
	*uart_reg(SIFIVE_IE) = 0;
	/* txctrl's stop-bit count (bit 1) stays as the firmware set it. */
	*uart_reg(SIFIVE_TXCTRL) |= CTRL_ENABLE;
	/* Watermark 0: the receive interrupt is pending while any byte waits. */
	*uart_reg(SIFIVE_RXCTRL) = CTRL_ENABLE;
	if (rx_irq)
		*uart_reg(SIFIVE_IE) = IE_RXWM;
}

void sifive_uart_putc(int c)
{
	while (*uart_reg(SIFIVE_TXDATA) & TXDATA_FULL)
		;
	*uart_reg(SIFIVE_TXDATA) = (uint8_t)c;
}

void sifive_uart_rx(void)
{
	uint32_t v;

	while ((*uart_reg(SIFIVE_IP) & IP_RXWM) && console_input_ready()) {
		if ((v = *uart_reg(SIFIVE_RXDATA)) & RXDATA_EMPTY)
			break;
		console_input((int)(v & 0xff));
	}
}

/* ie is written only here and at init; the console's input lock orders the callers. */
void sifive_uart_rx_irq(bool on)
{
	*uart_reg(SIFIVE_IE) = on ? IE_RXWM : 0;
}
