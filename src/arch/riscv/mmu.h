/*
 * mmu.h: this hart's MMU: the active page table, TLB flushes, ASID width.
 */
#ifndef KINE_ARCH_RISCV_MMU_H
#define KINE_ARCH_RISCV_MMU_H

#include <stdint.h>

/* The satp value every hart starts with (entry.S reads it). */
extern uint64_t kernel_satp;

/*
 * How many ASID bits this hart implements (0 to 16), found by writing
 * all-ones into satp.ASID (with MODE=Sv39 and the current, valid root:
 * a write with MODE=Bare and ASID bits set is unspecified) and reading
 * back what stuck.
 */
unsigned mmu_probe_asid_bits(void);

/*
 * The ASID width kine uses: the narrowest hart's, capped by the
 * asid_bits=N boot option. Set once on the boot hart after every hart
 * has probed; read-only afterwards.
 */
extern unsigned mmu_asid_bits;

/* Make the page table with root rootpa (and asid) this hart's. */
void mmu_switch(uint64_t root_pa, unsigned asid);

void mmu_flush_all(void);

/*
 * Flush every hart's TLB (SBI remote fence, synchronous): for address
 * spaces that threads on other harts may be running. (The copy-on-write
 * issue narrows this to the harts that can hold the translation.)
 */
void mmu_flush_all_harts(void);

#endif
