/*
 * kprintf.h: printing to the console, for every floor of the kernel.
 *
 * Declarations only: the body is src/kernel/console.c (it takes the
 * console lock and writes through the UART), the host tests link their
 * own. Includes nothing of kine's.
 */
#ifndef KINE_BASE_KPRINTF_H
#define KINE_BASE_KPRINTF_H

#include <stdarg.h>

/*
 * Print to the console. One call's output is written as a unit under the
 * console lock, so lines printed by different harts never interleave
 * mid-line (print whole lines per call). Output longer than
 * KPRINTF_MAX bytes is cut and marked with "[...]".
 */
#define KPRINTF_MAX 512
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif
