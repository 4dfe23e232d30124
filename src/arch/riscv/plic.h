/*
 * plic.h: the platform-level interrupt controller.
 *
 * Each hart's S-mode has one PLIC context (read from the device tree, never
 * computed: virt and sifive_u number them differently). A device interrupt
 * is enabled on exactly one context, so exactly one hart handles it.
 */
#ifndef KINE_ARCH_RISCV_PLIC_H
#define KINE_ARCH_RISCV_PLIC_H

#include <stdbool.h>
#include <stdint.h>

struct platform;

/* Boot hart, once: find the PLIC. Returns false if there is none. */
bool plic_init(const struct platform *plat);

/* Route irq to this hart's context, at priority 1. */
void plic_enable_here(uint32_t irq);

/* This hart: accept every priority and enable external interrupts. */
void plic_init_hart(void);

/* The external interrupt: claim, dispatch, complete. */
void plic_handle(void);

#endif
