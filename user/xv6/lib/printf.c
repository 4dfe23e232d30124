/*
 * printf.c (xv6 compatibility): xv6's printf and fprintf, which return
 * nothing.
 *
 * The formatting is kine's (src/lib/fmt.c: xv6's %d %u %x %p %s %c %% and
 * l/ll sizes, plus widths and flags). Output is formatted into a buffer
 * and written with one write call, where xv6 writes a byte at a time, so
 * lines from concurrent processes come out whole. Longer output is
 * formatted again into a malloc'd buffer; failing that, it is cut.
 */
#include <stdarg.h>

#include "kernel/types.h"
#include "src/lib/fmt.h"
#include "user/user.h"

#define PRINTF_BUF 256

static void write_all(int fd, const char *s, int n)
{
	for (int done = 0, w; done < n; done += w)
		if ((w = write(fd, s + done, n - done)) <= 0)
			return;
}

static void vfprintf_xv6(int fd, const char *fmt, va_list ap)
{
	char small[PRINTF_BUF], *big;
	va_list again;
	int n;

	va_copy(again, ap);
	n = fmt_vsnprintf(small, sizeof(small), fmt, ap);
	if (n < (int)sizeof(small)) {
		write_all(fd, small, n);
	} else if ((big = malloc((uint)n + 1)) != 0) {
		fmt_vsnprintf(big, (uint)n + 1, fmt, again);
		write_all(fd, big, n);
		free(big);
	} else {
		write_all(fd, small, sizeof(small) - 1);
	}
	va_end(again);
}

void fprintf(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf_xv6(fd, fmt, ap);
	va_end(ap);
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf_xv6(1, fmt, ap);
	va_end(ap);
}
