/*
 * elf.h: validation of ELF64 RISC-V executables for exec.
 *
 * elf_check() decides whether an image (a file of the boot image, treated
 * as hostile) is a program kine can load, and if so describes its PT_LOAD
 * segments. It reads only [image, image + size), never writes the image,
 * allocates nothing, and copies headers out before reading them, so the
 * image may sit at any alignment (cpio aligns files to 4 bytes only).
 *
 * What it accepts: ELFCLASS64, little-endian, EV_CURRENT, ET_EXEC (static,
 * non-PIE; no PT_INTERP), EM_RISCV, a program-header table of
 * sizeof(struct elf64_phdr) entries inside the image, and 1 to
 * ELF_MAX_SEGMENTS PT_LOAD segments (those with memsz 0 are skipped) such
 * that for each one:
 *  - filesz <= memsz, and its file bytes [offset, offset + filesz) lie in
 *    the image;
 *  - [vaddr, vaddr + memsz) does not wrap and lies inside
 *    [ELF_USER_MIN, ELF_USER_END): page 0 stays unmapped, so a null
 *    pointer always faults, and nothing reaches the kernel's half;
 *  - it is readable if writable (RISC-V has no write-only pages: R=0 W=1 is
 *    a reserved PTE encoding), has at least one of R, W, X (a leaf PTE with
 *    none is a pointer to another table), and is not both W and X (W^X);
 * and, between segments:
 *  - no two overlap, byte for byte;
 *  - two segments may share a 4 KiB page only if their R/W/X flags are
 *    equal. A page has one set of PTE bits: giving it the union of two
 *    different sets would break W^X or make read-only data writable, and
 *    giving it either set would break the other segment. The loader maps
 *    such a shared page once, with those flags, and copies both parts in.
 * Finally the entry point is 2-byte aligned (rv64gc has compressed
 * instructions) and lies inside an executable segment.
 *
 * Not required: p_align, or vaddr and offset congruent modulo the page
 * size. kine copies segments into fresh frames rather than mapping the
 * file, so neither matters. Section headers are never read.
 *
 * Structures are the on-disk layout, little-endian like every kine target;
 * elf.c checks both at compile time.
 */
#ifndef KINE_LIB_ELF_H
#define KINE_LIB_ELF_H

#include <stddef.h>
#include <stdint.h>

/* e_ident */
#define ELF_NIDENT     16
#define ELF_EI_CLASS   4
#define ELF_EI_DATA    5
#define ELF_EI_VERSION 6
#define ELF_CLASS64    2
#define ELF_DATA2LSB   1
#define ELF_EV_CURRENT 1

#define ELF_ET_EXEC  2
#define ELF_ET_DYN   3
#define ELF_EM_RISCV 243
#define ELF_PN_XNUM  0xffff /* e_phnum: the real count is elsewhere (unsupported) */

/* p_type */
#define ELF_PT_LOAD   1
#define ELF_PT_INTERP 3

/* p_flags, and elf_segment.flags */
#define ELF_PF_X 0x1U
#define ELF_PF_W 0x2U
#define ELF_PF_R 0x4U

struct elf64_ehdr {
	uint8_t e_ident[ELF_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* Where user segments may lie: above page 0, below the kernel's half of Sv39. */
#define ELF_PAGE_SIZE 0x1000UL
#define ELF_USER_MIN  0x1000UL
#define ELF_USER_END  0x4000000000UL

#define ELF_MAX_SEGMENTS 8

/* One PT_LOAD segment, as elf_check() found it valid. */
struct elf_segment {
	uint64_t vaddr;  /* first byte in memory */
	uint64_t memsz;  /* bytes in memory: filesz from the file, then zeros */
	uint64_t filesz; /* bytes copied from the image */
	uint64_t offset; /* where they start in the image */
	uint32_t flags;  /* ELF_PF_R | ELF_PF_W | ELF_PF_X only */
};

struct elf_info {
	uint64_t entry;
	unsigned nsegs; /* segments in program-header order */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/* What elf_check() returns, negated; err says more. */
enum elf_error {
	ELF_OK = 0,
	ELF_ERR_TRUNCATED,   /* smaller than an ELF header */
	ELF_ERR_NOTELF,      /* no \x7fELF magic */
	ELF_ERR_UNSUPPORTED, /* class, byte order, version, type, machine, PT_INTERP */
	ELF_ERR_PHDRS,       /* program headers: entry size, outside the image, too many PT_LOAD */
	ELF_ERR_SEGMENT,     /* one PT_LOAD segment breaks a rule above */
	ELF_ERR_OVERLAP,     /* two segments overlap, or share a page with different flags */
	ELF_ERR_NOLOAD,      /* no PT_LOAD segment with memsz > 0 */
	ELF_ERR_ENTRY,       /* entry point misaligned or not in an executable segment */
	ELF_NERRORS
};

/*
 * Check the image and describe it in *out: 0 if kine can load it,
 * otherwise -ELF_ERR_* with a one-line reason (no trailing newline) in
 * err[0..errlen), naming the program header at fault by its index. err may
 * be NULL when errlen is 0. *out is meaningful only on success.
 */
int elf_check(const void *image, size_t size, struct elf_info *out, char *err, size_t errlen);

#endif
