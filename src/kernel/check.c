/*
 * check.c: the kernel's side of src/base/check.h. A failed CHECK or a
 * fatal() is a kernel bug, so both end in panic(), which prints this
 * hart, a backtrace and the FAIL verdict. Owns no state.
 */
#include "src/base/check.h"

#include "src/kernel/kernel.h"
#include "src/lib/fmt.h"

void check_failed(const char *expr, const char *file, int line)
{
	panic("check failed: %s (%s:%d)", expr, file, line);
}

/*
 * Formatted into a stack buffer first because panic() takes no va_list.
 * KPRINTF_MAX bounds one console line anyway.
 */
void fatal(const char *fmt, ...)
{
	char msg[KPRINTF_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	panic("%s", msg);
}
