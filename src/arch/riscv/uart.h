/*
 * uart.h: the console UART.
 *
 * uart.c picks the driver for the console the device tree names
 * (/chosen/stdout-path: an ns16550a on QEMU virt, a sifive,uart0 on
 * sifive_u and the HiFive boards); there is no compile-time board switch.
 * Until uart_init() has run, and on a machine whose console kine has no
 * driver for, output goes through the SBI legacy putchar.
 *
 * Each driver (uart_ns16550.c, uart_sifive.c) provides the three entry
 * points declared at the end; only uart.c calls them.
 */
#ifndef KINE_ARCH_RISCV_UART_H
#define KINE_ARCH_RISCV_UART_H

#include <stdbool.h>
#include <stdint.h>

struct platform;

/*
 * Boot hart, once, after plic_init() and with this hart's PLIC context
 * known: take over the console and, where the tree gives the UART a PLIC
 * source, turn on receive interrupts on this hart. Prints one line saying
 * which driver runs the console. Returns true if kine drives the UART.
 */
bool uart_init(const struct platform *plat);

/* The UART's PLIC source, 0 if its interrupts are not used. */
uint32_t uart_irq(void);

/* Receive interrupt: hand every waiting byte to the console. */
void uart_interrupt(void);

/*
 * Driver entry points. init: set the device up at `base` (a virtual
 * address), with receive interrupts when rx_irq; putc: write one byte,
 * polling (the console lock serializes callers); rx: move waiting bytes
 * into console_input() while console_input_ready() says there is room
 * (a byte is popped from the device only then); rx_irq: mask or unmask
 * the receive interrupt (console flow control, serialized by the
 * console's input lock).
 */
void ns16550_init(uintptr_t base, uint32_t reg_shift, bool rx_irq);
void ns16550_putc(int c);
void ns16550_rx(void);
void ns16550_rx_irq(bool on);

void sifive_uart_init(uintptr_t base, bool rx_irq);
void sifive_uart_putc(int c);
void sifive_uart_rx(void);
void sifive_uart_rx_irq(bool on);

#endif
