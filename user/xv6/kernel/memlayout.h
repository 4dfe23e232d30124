/*
 * kernel/memlayout.h (xv6 compatibility): where RAM is.
 *
 * KERNBASE is where RAM starts on QEMU's virt machine, as on xv6. xv6
 * fixes PHYSTOP at KERNBASE + 128 MiB; kine takes the RAM size from the
 * device tree at boot, so here PHYSTOP is a run-time value:
 * xv6_phystop() (user/xv6/lib/memlayout.c) asks memstat how many frames
 * the allocator manages and rounds that up to a whole MiB. An
 * approximation: frames the allocator never manages (OpenSBI's, the
 * kernel image, the device tree, the boot image) are missing, up to a
 * few MiB, so PHYSTOP - KERNBASE can come out a little below the RAM size;
 * it is never above it. Because PHYSTOP calls a function, it cannot appear
 * in #if or in a static initializer. xv6's device addresses, TRAMPOLINE and
 * TRAPFRAME are kernel matters and are not here.
 */
#ifndef KINE_XV6_KERNEL_MEMLAYOUT_H
#define KINE_XV6_KERNEL_MEMLAYOUT_H

#include "kernel/types.h"

#define KERNBASE 0x80000000L
#define PHYSTOP  (xv6_phystop())

/* KERNBASE + the RAM size as memstat sees it (see above); KERNBASE if memstat fails. */
uint64 xv6_phystop(void);

#endif
