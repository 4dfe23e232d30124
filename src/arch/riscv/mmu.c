/*
 * mmu.c: satp and sfence.vma for this hart.
 *
 * satp holds MODE (Sv39 here), the ASID and the root table's page number.
 * Every write is followed by sfence.vma: the privileged spec does not make
 * a satp write order earlier page-table stores or drop stale translations.
 */
#include "src/arch/riscv/mmu.h"

#include "src/arch/riscv/pte.h"
#include "src/arch/riscv/riscv.h"
#include "src/arch/riscv/sbi.h"
#include "src/kernel/kernel.h"

unsigned mmu_asid_bits;

static inline void sfence_vma_all(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

void mmu_flush_all(void)
{
	sfence_vma_all();
}

void mmu_flush_all_harts(void)
{
	long err = sbi_remote_sfence_vma(0, (unsigned long)-1, 0, (unsigned long)-1);

	if (err != SBI_SUCCESS)
		panic("sbi remote_sfence_vma: %s", sbi_error_name(err));
}

unsigned mmu_probe_asid_bits(void)
{
	unsigned long old = csr_read(satp);
	unsigned long got, asid;
	unsigned bits = 0;

	csr_write(satp, old | SATP_ASID_MASK);
	got = csr_read(satp);
	csr_write(satp, old);
	sfence_vma_all();
	/* The implemented bits are the low ones (spec: ASIDLEN from the LSB). */
	asid = (got & SATP_ASID_MASK) >> SATP_ASID_SHIFT;
	while (bits < 16 && (asid & (1ul << bits)))
		bits++;
	return bits;
}

void mmu_switch(uint64_t root_pa, unsigned asid)
{
	sfence_vma_all();
	csr_write(satp, satp_make(root_pa, asid));
	sfence_vma_all();
}
