/*
 * mmu.c: satp and sfence.vma for this hart, and remote fences through SBI.
 *
 * satp holds MODE (Sv39 here), the ASID and the root table's page number.
 * The privileged spec does not make a satp write drop or order anything:
 * translations cached under other ASIDs survive it, which is the point of
 * ASIDs. Whoever switches decides whether the new ASID's entries may be
 * stale and flushes them (src/mm/tlb.c).
 */
#include "src/arch/riscv/mmu.h"

#include "src/arch/riscv/pte.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/sbi.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"

unsigned mmu_asid_bits;

/*
 * SiFive CIP-1200: on a U74 the address and ASID forms of sfence.vma are
 * replaced by a full one. Set once by mmu_errata_init() on the boot hart
 * before any other hart runs; read-only afterwards, so no ordering needed.
 */
static bool mmu_full_flush_only;

/*
 * Do the harts set A (and D) in a PTE themselves, the privileged spec's
 * scheme without Svade? QEMU's do; a U74 faults instead, and so may a
 * core kine does not know, which only costs it a fault per first access
 * (cow_user_fault sets A). Set with mmu_full_flush_only, read-only after.
 */
static bool mmu_ad_by_hart = true;

bool mmu_sets_accessed(void)
{
	return mmu_ad_by_hart;
}

void mmu_errata_init(bool on_u74)
{
	mmu_full_flush_only = on_u74;
	mmu_ad_by_hart = !on_u74;
	if (on_u74)
		kprintf("kine: mmu: SiFive U74 erratum CIP-1200: local page and ASID flushes "
			"are full sfence.vma\n");
}

void mmu_flush_all(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

void mmu_flush_asid(unsigned asid)
{
	if (mmu_full_flush_only) {
		mmu_flush_all(); /* CIP-1200 */
		return;
	}
	__asm__ volatile("sfence.vma zero, %0" ::"r"((uintptr_t)asid) : "memory");
}

void mmu_flush_page(uintptr_t va, unsigned asid)
{
	if (mmu_full_flush_only) {
		mmu_flush_all(); /* CIP-1200 */
		return;
	}
	__asm__ volatile("sfence.vma %0, %1" ::"r"(va), "r"((uintptr_t)asid) : "memory");
}

void mmu_flush_page_any_asid(uintptr_t va)
{
	if (mmu_full_flush_only) {
		mmu_flush_all(); /* CIP-1200 */
		return;
	}
	__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}

void mmu_flush_remote(uint64_t hart_mask, unsigned long base, uintptr_t start, uintptr_t size,
		      unsigned asid, bool use_asid)
{
	long err = use_asid ? sbi_remote_sfence_vma_asid(hart_mask, base, start, size, asid)
			    : sbi_remote_sfence_vma(hart_mask, base, start, size);

	if (err != SBI_SUCCESS)
		panic("sbi remote_sfence_vma%s to harts %#lx<<%lu: %s", use_asid ? "_asid" : "",
		      (unsigned long)hart_mask, base, sbi_error_name(err));
}

unsigned mmu_probe_asid_bits(void)
{
	unsigned long old = csr_read(satp);
	unsigned long got, asid;
	unsigned bits = 0;

	csr_write(satp, old | SATP_ASID_MASK);
	got = csr_read(satp);
	csr_write(satp, old);
	mmu_flush_all();
	/* The implemented bits are the low ones (spec: ASIDLEN from the LSB). */
	asid = (got & SATP_ASID_MASK) >> SATP_ASID_SHIFT;
	while (bits < 16 && (asid & (1ul << bits)))
		bits++;
	return bits;
}

void mmu_switch(uint64_t root_pa, unsigned asid)
{
	csr_write(satp, satp_make(root_pa, asid));
}
