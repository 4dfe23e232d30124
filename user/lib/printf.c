/*
 * printf.c: formatted output for user programs.
 *
 * The formatting is the kernel's (src/lib/fmt.c, host-tested against
 * libc); this file only moves its result to a file descriptor. Output is
 * formatted into a stack buffer and written with as few write calls as
 * possible (one, usually), so lines from different processes interleave
 * whole. Output longer than the buffer is formatted again into a malloc'd
 * one; if that fails, the first PRINTF_BUF - 1 characters are written.
 */
#include "kine/user.h"
#include "src/lib/fmt.h"

#define PRINTF_BUF 256

/* Write all n bytes, retrying short writes; the bytes written, or -errno if none were. */
static int write_all(int fd, const char *buf, int n)
{
	int done = 0;

	while (done < n) {
		int w = write(fd, buf + done, n - done);

		if (w <= 0)
			return done > 0 ? done : (w < 0 ? w : -EIO);
		done += w;
	}
	return done;
}

int vfprintf(int fd, const char *fmt, va_list ap)
{
	char small[PRINTF_BUF], *big;
	va_list again;
	int n, w;

	va_copy(again, ap);
	n = fmt_vsnprintf(small, sizeof(small), fmt, ap);
	if (n < (int)sizeof(small)) {
		w = write_all(fd, small, n);
	} else if ((big = malloc((size_t)n + 1)) != NULL) {
		fmt_vsnprintf(big, (size_t)n + 1, fmt, again);
		w = write_all(fd, big, n);
		free(big);
	} else {
		w = write_all(fd, small, sizeof(small) - 1);
	}
	va_end(again);
	return w < 0 ? w : n;
}

int fprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(1, fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return fmt_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
