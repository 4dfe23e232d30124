/*
 * pagecopy.h: copy one 4 KiB page, the fastest way this hart has.
 *
 * The COW copy fault (src/mm/cow.c), the eager fork (src/mm/mm.c) and exec
 * copy whole pages through page_copy. By default it copies 64-bit words
 * (src/lib/mem.c); on harts whose ISA has V it may use vector loads and
 * stores (vcopy.S), chosen once at boot by page_copy_init. Both pointers
 * are page-aligned kernel addresses (the direct map) that cannot fault.
 */
#ifndef KINE_ARCH_RISCV_PAGECOPY_H
#define KINE_ARCH_RISCV_PAGECOPY_H

#include <stdbool.h>

/*
 * Whether harts with V copy with it unless told otherwise (pagecopy=): no,
 * scalar won in guest time on QEMU 7.2, which emulates V element by element
 * (BENCHMARKS.md, "Page copy: scalar against vector").
 */
#define PAGE_COPY_DEFAULT_VECTOR false

enum page_copy_mode {
	PAGE_COPY_SCALAR, /* 64-bit loads and stores, 128 bytes per iteration */
	PAGE_COPY_VECTOR, /* RVV 1.0 vle64/vse64 at LMUL=8 */
};

/*
 * Choose the mode before any user process runs: vector only if want_vector
 * and every usable hart's riscv,isa has V. Returns the mode chosen.
 */
enum page_copy_mode page_copy_init(bool harts_have_v, bool want_vector);
void page_copy(void *dst, const void *src);
const char *page_copy_mode_name(void);

#endif
