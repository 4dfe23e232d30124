/*
 * kernel.h: what every kernel file uses: printing, panics, assertions, and
 * the end of a run.
 */
#ifndef KINE_KERNEL_KERNEL_H
#define KINE_KERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/lib/string.h"

/*
 * Print to the console. One call's output is written as a unit under the
 * console lock, so lines printed by different harts never interleave
 * mid-line (print whole lines per call). Output longer than
 * KPRINTF_MAX bytes is cut and marked with "[...]".
 */
#define KPRINTF_MAX 512
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

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

#define assert(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);          \
	} while (0)

/*
 * End the run: print "kine: verdict: PASS" or "kine: verdict: FAIL <why>",
 * stop the other harts and power off (the host reads both the line and,
 * where the machine allows, QEMU's exit status).
 */
void kine_finish(bool pass, const char *why_fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/*
 * End a run that ran a command: the verdict is PASS for status 0, else
 * "FAIL exit status N", and QEMU's exit status (on virt) is N's low byte
 * (1 if that is 0).
 */
void kine_finish_status(int status) __attribute__((noreturn));

/*
 * The UART driver asks before taking each received byte from the device:
 * true if console_input() has room for one; false if the input ring is
 * full, in which case receive interrupts are now paused until a reader
 * makes room (the byte stays in the device: flow control, nothing lost).
 */
bool console_input_ready(void);

/*
 * A byte arrived at the console (from the UART's interrupt), after
 * console_input_ready(). Ctrl-C kills the foreground job (below).
 */
void console_input(int c);

/*
 * Make job the console's foreground job, the one Ctrl-C kills (0: none);
 * returns the one before.
 */
int console_set_foreground(int job);

/*
 * Read at most n bytes of typed input, up to and including a newline;
 * sleeps until a line is complete. 0 at end of file (Ctrl-D), -EINTR if
 * *killed became true while waiting.
 */
long console_read(char *dst, long n, const bool *killed);

/* Write bytes to the console as one unit (no formatting). */
void console_write(const char *s, size_t n);

/* A built-in self-test selected by the test=NAME boot option. */
bool selftest_run(const char *name);

#endif
