/*
 * uart.h: the console UART.
 *
 * Until uart_init() finds an ns16550a in the device tree, and on machines
 * without one (sifive_u's console is a sifive,uart0, which the board issue
 * adds), console output goes through the SBI legacy putchar.
 */
#ifndef KINE_ARCH_RISCV_UART_H
#define KINE_ARCH_RISCV_UART_H

#include <stdbool.h>
#include <stdint.h>

struct platform;

/* Boot hart, once. Returns true if kine drives the UART itself. */
bool uart_init(const struct platform *plat);

/* The UART's PLIC source, 0 if its interrupts are not used. */
uint32_t uart_irq(void);

/* Receive interrupt: hand every waiting byte to the console. */
void uart_interrupt(void);

#endif
