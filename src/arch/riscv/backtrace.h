/*
 * backtrace.h: return addresses of the current call chain.
 */
#ifndef KINE_ARCH_RISCV_BACKTRACE_H
#define KINE_ARCH_RISCV_BACKTRACE_H

#include <stdint.h>

/*
 * Walk the frame-pointer chain from fp, reading only inside
 * [stack_lo, stack_hi); store at most max call sites in pcs. Returns how
 * many were stored.
 */
int arch_backtrace(uintptr_t fp, uintptr_t stack_lo, uintptr_t stack_hi, uintptr_t *pcs, int max);

#endif
