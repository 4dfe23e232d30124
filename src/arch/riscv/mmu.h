/*
 * mmu.h: this hart's MMU: the active page table, TLB flushes (local and
 * remote), the ASID width.
 *
 * Policy (which harts to flush, when, with which ASID) lives in src/mm
 * (tlb.c, asid.c); these are only the instructions and the firmware calls.
 */
#ifndef KINE_ARCH_RISCV_MMU_H
#define KINE_ARCH_RISCV_MMU_H

#include <stdbool.h>
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

/*
 * Load satp with root_pa and asid. No flush: translations cached under
 * other ASIDs stay (that is what ASIDs are for); the caller flushes when
 * the ASID's cached entries may be stale (src/mm/tlb.c decides).
 */
void mmu_switch(uint64_t root_pa, unsigned asid);

/*
 * SiFive erratum CIP-1200 (U74 cores, the HiFive Unmatched): sfence.vma
 * with an address may fail to drop instruction translations. When
 * on_u74 is true, every local flush below becomes a full sfence.vma
 * (Linux's ERRATA_SIFIVE_CIP_1200 does the same; OpenSBI already makes
 * the remote fences of mmu_flush_remote() full on this core). Boot hart,
 * once, before any other hart starts; the flag is read-only afterwards.
 */
void mmu_errata_init(bool on_u74);

/*
 * Whether the harts set a PTE's A bit themselves when they access the
 * page (a U74 raises a page fault instead). Either way a hart caches a
 * translation only after A is set in memory, by it or by the kernel.
 */
bool mmu_sets_accessed(void);

/*
 * sfence.vma on this hart: everything; one ASID's entries; one page.
 * After mmu_errata_init(true), the last two (and mmu_flush_page_any_asid)
 * flush everything: more than asked, never less.
 */
void mmu_flush_all(void);
void mmu_flush_asid(unsigned asid);
void mmu_flush_page(uintptr_t va, unsigned asid);

/*
 * The same page flush for every ASID (sfence.vma va, x0): what a hart
 * without ASIDs uses, where every user translation is tagged ASID 0.
 */
void mmu_flush_page_any_asid(uintptr_t va);

/*
 * sfence.vma on the harts whose ids are set in hart_mask (bit i is hart id
 * base + i), for [start, start + size) (size -1: the whole address space),
 * tagged with asid, or every ASID when !use_asid. Through the SBI RFENCE
 * extension: synchronous (the firmware returns once every target has
 * flushed, whatever the target's interrupt state), so it is safe holding
 * spinlocks. Panics if the firmware refuses (a kernel that cannot flush
 * must not go on).
 */
void mmu_flush_remote(uint64_t hart_mask, unsigned long base, uintptr_t start, uintptr_t size,
		      unsigned asid, bool use_asid);

#endif
