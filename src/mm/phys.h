/*
 * phys.h: physical addresses, pages, and the kernel's direct map of RAM.
 *
 * Every byte of RAM is visible to the kernel at pa + phys_map_offset (the
 * direct map). The offset is set once on the boot hart, before any other
 * hart runs, and never changes afterwards, so reading it needs no lock.
 * Host tests point it at an arena that stands in for RAM.
 *
 * virt_to_phys() is only for direct-map addresses (what phys_to_virt()
 * returned), never for addresses in the kernel image.
 */
#ifndef KINE_MM_PHYS_H
#define KINE_MM_PHYS_H

#include <stdint.h>

typedef uint64_t paddr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)

#define PAGE_ALIGN_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_ALIGN_UP(x)   (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

extern uintptr_t phys_map_offset;

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + phys_map_offset);
}

static inline paddr_t virt_to_phys(const void *va)
{
	return (paddr_t)((uintptr_t)va - phys_map_offset);
}

#endif
