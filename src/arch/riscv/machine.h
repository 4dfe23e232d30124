/*
 * machine.h: machine services portable code asks of the architecture.
 *
 * The inline, single-instruction ones are in cpu.h; these go through the
 * SBI firmware or a device.
 */
#ifndef KINE_ARCH_RISCV_MACHINE_H
#define KINE_ARCH_RISCV_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

struct platform;

/* Raise a software interrupt on the hart with this id; false on failure. */
bool arch_ipi_send(uint32_t hartid);

/* Acknowledge this hart's pending software interrupt. */
void arch_ipi_clear(void);

/* Stop this hart for good: interrupts off, sleep forever. */
void arch_halt(void) __attribute__((noreturn));

/*
 * Turn the machine off, telling the host the run's exit status (0:
 * success; 1-255 otherwise) through QEMU's test device where there is one
 * (QEMU then exits with that status), else through SRST's reason
 * (success or failure only).
 */
void arch_power_off(int status) __attribute__((noreturn));

/* Write one byte to the console device (the caller serializes). */
void arch_console_putc(int c);

/*
 * Stop / restart the console's receive interrupt (console input flow
 * control; the console's input lock serializes callers). Bytes that
 * arrive meanwhile wait in the device; restarting raises the interrupt at
 * once if any do. No-ops when input is not interrupt driven.
 */
void arch_console_rx_pause(void);
void arch_console_rx_resume(void);

/* Remember the test device from the device tree, for arch_power_off. */
void power_init(const struct platform *plat);

#endif
