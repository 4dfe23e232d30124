/*
 * memlayout.h: where things sit in physical and virtual memory.
 *
 * Included from assembly and C, so only #defines.
 *
 * Sv39 splits the 64-bit space into a lower half for user programs
 * (0 .. 0x3fffffffff) and an upper half for the kernel
 * (0xffffffc000000000 .. 0xffffffffffffffff). The kernel uses two windows of
 * the upper half:
 *  - the direct map: every physical address pa at DIRECT_MAP_BASE + pa, so
 *    the kernel reaches any frame, page table or device without mapping it
 *    first;
 *  - the image: the kernel is linked at KERNEL_VIRT_BASE and loaded at
 *    KERNEL_PHYS_BASE (0x80200000: where fw_jump jumps and where booti puts
 *    an Image with text_offset 0x200000);
 *  - the kernel-stack window: every thread's kernel stack, each above an
 *    unmapped guard (src/mm/kstack.c), so that an overflow faults.
 * Keeping the kernel out of the lower half leaves all of it to user space.
 */
#ifndef KINE_ARCH_RISCV_MEMLAYOUT_H
#define KINE_ARCH_RISCV_MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##ul
#ifndef __ASSEMBLER__
/* The physical address of a symbol of the kernel image. */
#define KERNEL_IMAGE_PA(sym) ((unsigned long)(sym)-KERNEL_VA_OFFSET)
#endif

#endif

#define KERNEL_PHYS_BASE _UL(0x80200000)
#define KERNEL_VIRT_BASE _UL(0xffffffff80200000)
#define KERNEL_VA_OFFSET (KERNEL_VIRT_BASE - KERNEL_PHYS_BASE)

#define DIRECT_MAP_BASE _UL(0xffffffc000000000)

/*
 * One root entry (1 GiB) for kernel thread stacks, far above any direct-map
 * address kine can have (RAM below 64 GiB) and below the image.
 */
#define KSTACK_WINDOW_BASE _UL(0xffffffd000000000)
#define KSTACK_WINDOW_SIZE _UL(0x40000000)

/*
 * The boot page table (entry.S) maps this many 1 GiB pages of physical
 * address space into the direct map, so the device tree, RAM and devices
 * are reachable before kine builds its real table.
 */
#define BOOT_DIRECT_GIGAPAGES 32

/* satp.MODE for Sv39, for entry.S (C code uses pte.h's satp_make()). */
#define ENTRY_SATP_MODE_SV39 (_UL(8) << 60)

#ifndef __ASSEMBLER__
/* The physical address of a symbol of the kernel image. */
#define KERNEL_IMAGE_PA(sym) ((unsigned long)(sym)-KERNEL_VA_OFFSET)
#endif

#endif
