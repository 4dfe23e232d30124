/*
 * panic.h: stopping the machine when the kernel finds itself wrong, for
 * every floor of the kernel.
 *
 * Declarations only: the body is src/kernel/panic.c (it stops the other
 * harts, prints a backtrace and powers off: it calls up into src/sched and
 * src/arch), the host tests link their own. Includes nothing of kine's.
 */
#ifndef KINE_BASE_PANIC_H
#define KINE_BASE_PANIC_H

#include <stdint.h>

/*
 * Stop the machine: print the message, the hart and a backtrace, stop the
 * other harts, end with "kine: verdict: FAIL panic" and power off.
 */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/*
 * The two halves of panic(), for callers that print more in between (the
 * trap handler prints the register frame). panic_begin() elects this hart
 * as the one that panics (any other hart that panics meanwhile halts) and
 * stops the others; panic_end() prints the backtrace from fp, preceded by
 * first_pc if non-zero, and powers off.
 */
void panic_begin(void);
void panic_end(uintptr_t first_pc, uintptr_t fp) __attribute__((noreturn));

#endif
