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

/* Offset of struct hart's stack_top; hart.c asserts it. */
#define HART_STACK_TOP_OFFSET 0

#endif
