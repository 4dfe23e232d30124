/*
 * entry.h: constants shared by entry.S and C.
 *
 * Included from assembly, so it holds only #defines.
 */
#ifndef KINE_ARCH_RISCV_ENTRY_H
#define KINE_ARCH_RISCV_ENTRY_H

/* Most harts kine drives; matches PLATFORM_MAX_HARTS. */
#define KINE_MAX_HARTS 16

/*
 * Each hart's boot stack slot: one guard page (unmapped once paging
 * exists, so an overflow faults instead of corrupting the next slot)
 * followed by the stack itself.
 */
#define KSTACK_GUARD_SIZE 4096
#define KSTACK_SIZE       16384
#define KSTACK_SLOT_SIZE  (KSTACK_GUARD_SIZE + KSTACK_SIZE)

/* Offsets in struct hart that assembly uses; hart.c asserts them. */
#define HART_STACK_TOP_OFFSET    0  /* entry.S: the boot stack */
#define HART_STACK_LIMIT_OFFSET  8  /* trapvec.S: lowest byte of the current stack */
#define HART_OVERFLOW_TOP_OFFSET 16 /* trapvec.S: where an overflow is reported from */
#define HART_TRAP_SCRATCH_OFFSET 24 /* trapvec.S: t0 while the stack is checked */

/* Each hart's overflow stack: enough for the panic report and backtrace. */
#define KSTACK_OVERFLOW_SIZE 8192

#endif
