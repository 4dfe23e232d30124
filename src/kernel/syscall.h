/*
 * syscall.h: the system call layer (kine's ABI is in user/include/kine/).
 */
#ifndef KINE_KERNEL_SYSCALL_H
#define KINE_KERNEL_SYSCALL_H

#include <stdint.h>

#include "src/mm/cow.h"
#include "src/mm/uaccess.h"

/* Run system call num with the six argument registers; the result for a0. */
long syscall_dispatch(uint64_t num, const uint64_t args[6]);

/* On the way back to U-mode: a killed process exits here instead. */
void syscall_return_check(void);

/*
 * A page fault from U-mode at addr: resolve copy-on-write, or a page that
 * another thread was just installing. 0 when the access may be retried;
 * -EFAULT for a real fault. Out of memory kills the process.
 */
int syscall_user_page_fault(uint64_t addr, enum cow_access access);

/* A user program faulted (a page fault, an illegal instruction): kill it. */
void syscall_user_fault(const char *cause, uint64_t pc, uint64_t addr) __attribute__((noreturn));

#endif
