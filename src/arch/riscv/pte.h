/*
 * pte.h: the Sv39 page-table format, as data.
 *
 * Owns the layout of a page-table entry, the split of a virtual address
 * into per-level indices, the canonical-address rule and the layout of the
 * satp register's value. It is pure: no instructions, no CSR accesses (the
 * satp and sfence.vma writers live with the other CSR code), so src/mm and
 * the host tests include it freely.
 *
 * The format, from the privileged spec's Sv39 chapter:
 *
 *   63      54 53                         10 9   8 7 6 5 4 3 2 1 0
 *   reserved  | PPN (44 bits)               | RSW | D A G U X W R V
 *
 * - V=0: the entry is ignored by the hardware (kine keeps such entries 0).
 * - V=1 and R=W=X=0: a pointer to the next-level table. Its D, A and U bits
 *   are reserved and must be zero.
 * - V=1 and any of R, W, X: a leaf. W without R is reserved. A leaf above
 *   level 0 is a superpage (2 MiB at level 1, 1 GiB at level 2) whose PPN
 *   must be aligned to its size, or the access faults.
 * - Bits 63..54 belong to Svnapot and Svpbmt, which kine leaves unused:
 *   they stay zero.
 *
 * A and D: the hardware may either set them itself (QEMU does) or fault
 * when they are clear (SiFive U74 cores do, forever). kine therefore sets A
 * on every leaf it makes and D on every writable one.
 */
#ifndef KINE_ARCH_RISCV_PTE_H
#define KINE_ARCH_RISCV_PTE_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t pte_t;

#define PTE_V (1UL << 0) /* valid */
#define PTE_R (1UL << 1) /* readable */
#define PTE_W (1UL << 2) /* writable (only together with R) */
#define PTE_X (1UL << 3) /* executable */
#define PTE_U (1UL << 4) /* user mode may access (S-mode only with SUM) */
#define PTE_G (1UL << 5) /* global: present in every address space */
#define PTE_A (1UL << 6) /* accessed */
#define PTE_D (1UL << 7) /* dirty */

/* RSW: two bits the hardware ignores, left to the kernel. */
#define PTE_COW      (1UL << 8) /* reserved for copy-on-write */
#define PTE_SW1      (1UL << 9) /* free */
#define PTE_RSW_MASK (PTE_COW | PTE_SW1)

/* Any of these makes a valid entry a leaf; none makes it a table pointer. */
#define PTE_LEAF_MASK (PTE_R | PTE_W | PTE_X)

#define PTE_FLAGS_MASK    0x3ffUL
#define PTE_PPN_SHIFT     10
#define PTE_PPN_BITS      44
#define PTE_PPN_MASK      (((1UL << PTE_PPN_BITS) - 1) << PTE_PPN_SHIFT)
#define PTE_RESERVED_MASK (~0UL << 54) /* N, PBMT and reserved bits */

/* Geometry of Sv39: three levels of 512 eight-byte entries, 4 KiB pages. */
#define SV39_LEVELS     3
#define SV39_ENTRIES    512
#define SV39_VPN_BITS   9
#define SV39_PAGE_SHIFT 12
#define SV39_VA_BITS    39
#define SV39_PA_BITS    56

#define SV39_SIZE_4K (1UL << 12) /* a level-0 leaf */
#define SV39_SIZE_2M (1UL << 21) /* a level-1 leaf (megapage) */
#define SV39_SIZE_1G (1UL << 30) /* a level-2 leaf (gigapage) */

/* satp: MODE in 63..60, ASID in 59..44 (0 to 16 bits implemented), PPN. */
#define SATP_MODE_SHIFT    60
#define SATP_MODE_SV39     (8UL << SATP_MODE_SHIFT)
#define SATP_ASID_SHIFT    44
#define SATP_ASID_BITS_MAX 16
#define SATP_ASID_MASK     (((1UL << SATP_ASID_BITS_MAX) - 1) << SATP_ASID_SHIFT)
#define SATP_PPN_MASK      ((1UL << PTE_PPN_BITS) - 1)

static inline bool pte_valid(pte_t pte)
{
	return (pte & PTE_V) != 0;
}

static inline bool pte_is_leaf(pte_t pte)
{
	return pte_valid(pte) && (pte & PTE_LEAF_MASK) != 0;
}

static inline bool pte_is_table(pte_t pte)
{
	return pte_valid(pte) && (pte & PTE_LEAF_MASK) == 0;
}

/* The physical address a PTE points at (a frame or a next-level table). */
static inline uint64_t pte_pa(pte_t pte)
{
	return ((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << SV39_PAGE_SHIFT;
}

/* The PPN field for a page-aligned physical address below 2^56. */
static inline pte_t pa_to_pte(uint64_t pa)
{
	return ((pa >> SV39_PAGE_SHIFT) << PTE_PPN_SHIFT) & PTE_PPN_MASK;
}

/* Bits of va below a level's index: 12 at level 0, 21 at 1, 30 at 2. */
static inline unsigned sv39_level_shift(unsigned level)
{
	return SV39_PAGE_SHIFT + SV39_VPN_BITS * level;
}

/* How much one entry at this level maps: 4 KiB, 2 MiB or 1 GiB. */
static inline uint64_t sv39_level_size(unsigned level)
{
	return 1UL << sv39_level_shift(level);
}

/* VPN[level]: the index of va's entry in the table at that level. */
static inline unsigned sv39_vpn(uint64_t va, unsigned level)
{
	return (unsigned)(va >> sv39_level_shift(level)) & (SV39_ENTRIES - 1);
}

/*
 * Sv39 translates only addresses whose bits 63..39 all equal bit 38: the
 * low 256 GiB (user space, by kine's convention) and the high 256 GiB (the
 * kernel). Anything else faults before the walk starts.
 */
static inline bool sv39_va_canonical(uint64_t va)
{
	uint64_t top = va >> (SV39_VA_BITS - 1); /* bits 63..38 */

	return top == 0 || top == (~0UL >> (SV39_VA_BITS - 1));
}

/* The canonical address of a 39-bit offset (copies bit 38 upwards). */
static inline uint64_t sv39_va_extend(uint64_t off)
{
	uint64_t sign = 1UL << (SV39_VA_BITS - 1);

	off &= (1UL << SV39_VA_BITS) - 1;
	return (off & sign) ? off | ~((1UL << SV39_VA_BITS) - 1) : off;
}

/*
 * The satp value that selects Sv39 with this root table and ASID. The
 * caller keeps asid within the width the hart implements (probed at boot);
 * bits beyond the field are dropped here rather than spill into MODE.
 */
static inline uint64_t satp_make(uint64_t root_pa, uint64_t asid)
{
	return SATP_MODE_SV39 | ((asid << SATP_ASID_SHIFT) & SATP_ASID_MASK) |
	       ((root_pa >> SV39_PAGE_SHIFT) & SATP_PPN_MASK);
}

static inline uint64_t satp_asid(uint64_t satp)
{
	return (satp & SATP_ASID_MASK) >> SATP_ASID_SHIFT;
}

#endif
