/*
 * smp.h: finding the harts in the device tree and starting them.
 */
#ifndef KINE_ARCH_RISCV_SMP_H
#define KINE_ARCH_RISCV_SMP_H

#include <stdbool.h>
#include <stdint.h>

struct platform;

/*
 * Fill harts[] from the platform: index 0 is the boot hart, then every
 * other usable hart in device-tree order. Panics if the boot hart is not a
 * usable hart of the tree.
 */
void smp_init_harts(const struct platform *plat, uint32_t boot_hartid, bool force_sbi_timer);

/*
 * Start every other hart and wait (bounded) until each has reported
 * online. With simulate_release, first send the harts into _start as a
 * boot loader that releases all harts at once would, to exercise the
 * entry lottery; with spin_release, such harts wait in the kernel instead
 * of stopping through HSM; with wfi_release too, they wait there halted
 * (wfi) and each is woken by an IPI when released. (Seeded runs set it:
 * under QEMU's -icount round-robin, three harts spinning there with no
 * timer of their own take whole 100 ms turns while the boot hart's turn
 * ends at its first stimecmp write, so the boot hart barely runs;
 * docs/robustness.md.) Prints a line for every hart that failed to
 * start, with its HSM state. Returns the number of harts online.
 */
int smp_start_harts(uint64_t dtb_phys, bool simulate_release, bool spin_release, bool wfi_release);

/* Bring-up of a secondary hart, called by entry.S. */
void secondary_main(unsigned long hartid, void *hart) __attribute__((noreturn));

#endif
