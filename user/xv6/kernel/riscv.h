/*
 * kernel/riscv.h (xv6 compatibility): the parts of xv6's machine header
 * that mean something in user mode: the page size and rounding, the Sv39
 * page-table entry bits and index macros, MAXVA. Everything privileged
 * (CSR accessors, sfence.vma, interrupt control) is left out on purpose:
 * in U-mode those instructions trap and kine kills the process.
 */
#ifndef KINE_XV6_KERNEL_RISCV_H
#define KINE_XV6_KERNEL_RISCV_H

#include "kernel/types.h"

#define PGSIZE  4096 /* bytes per page */
#define PGSHIFT 12   /* bits of offset within a page */

#define PGROUNDUP(sz)  (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

#define PTE_V (1L << 0) /* valid */
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4) /* user mode may access */

/* Physical address <-> page-table entry. */
#define PA2PTE(pa)     ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte)    (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte)&0x3FF)

/* The three 9-bit page-table indexes of a virtual address. */
#define PXMASK         0x1FF
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va)  ((((uint64)(va)) >> PXSHIFT(level)) & PXMASK)

/* One above the highest Sv39 address xv6 uses (kine's user space ends lower, at 1 << 38). */
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))

typedef uint64 pte_t;
typedef uint64 *pagetable_t;

#endif
