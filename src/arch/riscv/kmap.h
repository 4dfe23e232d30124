/*
 * kmap.h: the kernel's own page table.
 */
#ifndef KINE_ARCH_RISCV_KMAP_H
#define KINE_ARCH_RISCV_KMAP_H

#include "src/mm/phys.h"

struct platform;

/* The root of the kernel's page table (0 until kmap_init()). */
extern paddr_t kernel_root;

/*
 * Build the kernel's page table from frames, switch this hart to it, and
 * make it the table every hart starts with. Boot hart, once, after the
 * frame allocator is up and before any other hart starts.
 */
void kmap_init(const struct platform *plat);

#endif
