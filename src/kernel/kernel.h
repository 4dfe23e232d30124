/*
 * kernel.h: the top floor's own calls: the end of a run, the console's
 * input and output, and the self-tests.
 *
 * The ground every floor stands on (kprintf, panic, assert, CHECK) is in
 * src/base; kernel.h includes kprintf.h, panic.h and assert.h (and
 * src/lib/string.h) for src/kernel's files, which use both floors.
 * A file under src/mm, src/sync, src/sched or src/arch includes kernel.h
 * only to call up (docs/layers.md lists which and why).
 */
#ifndef KINE_KERNEL_KERNEL_H
#define KINE_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "src/base/assert.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/lib/string.h"

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
