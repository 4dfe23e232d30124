/*
 * probe.h: memory accesses that are allowed to fault (for self-tests of
 * the kernel's own protections).
 *
 * If the access faults, the trap handler resumes at the probe's recovery
 * path instead of panicking, records the cause and address in this hart's
 * probe_fault, and the probe returns -1.
 */
#ifndef KINE_ARCH_RISCV_PROBE_H
#define KINE_ARCH_RISCV_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/*
 * Read a byte at addr and write it back unchanged. 0, or -1 if either
 * access faulted (a load page fault: nothing mapped; a store page fault:
 * mapped read-only).
 */
int probe_write_byte(volatile void *addr);

/* Call addr (which must hold a 'ret'); 0 if it ran, -1 if the fetch faulted. */
int probe_exec(const void *addr);

/* The last fault a probe took on this hart. */
struct probe_fault {
	uint64_t scause;
	uint64_t stval;
};

/* Trap handler hook: if tf is a probe's fault, redirect it and return true. */
bool probe_fixup(struct trap_frame *tf, struct probe_fault *out);

#endif
