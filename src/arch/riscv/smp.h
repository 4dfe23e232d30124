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

/* How smp_start_harts brings the other harts up. */
struct smp_start {
	/*
	 * First send the harts into _start as a boot loader that releases
	 * all harts at once would, to exercise the entry lottery.
	 */
	bool simulate_release;
	/* Such harts wait in the kernel instead of stopping through HSM. */
	bool spin_release;
	/*
	 * And wait there halted (wfi), each woken by an IPI when released.
	 * (Seeded runs set it: under QEMU's -icount round-robin, three harts
	 * spinning there with no timer of their own take whole 100 ms turns
	 * while the boot hart's turn ends at its first stimecmp write, so the
	 * boot hart barely runs; docs/robustness.md.)
	 */
	bool wfi_release;
	/*
	 * Fault injection (late_hart=N): the hart of this index (0: none)
	 * holds back its arrival until the boot hart has given up on it, as a
	 * hart too slow to start would.
	 */
	int late_hart;
};

/*
 * Start every other hart and wait (bounded) until each has reported
 * online. Gives up on those that have not (they stay off if they arrive
 * later) and prints a line for each, with its HSM state. Returns the
 * number of harts online.
 */
int smp_start_harts(uint64_t dtb_phys, const struct smp_start *how);

/* Bring-up of a secondary hart, called by entry.S. */
void secondary_main(unsigned long hartid, void *hart) __attribute__((noreturn));

#endif
