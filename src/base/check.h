/*
 * check.h: invariant checks for code that builds both in the kernel and in
 * the host tests (src/mm's allocators).
 *
 * assert.h's assert() and panic() are kernel-only, so portable code states
 * its invariants with CHECK(cond) and reports impossible states with
 * fatal(fmt, ...). Both never return. The kernel implements them in
 * src/kernel/check.c (they panic, with a backtrace); each host test binary
 * links its own (test/host/mm_shim.c), which prints the message and aborts,
 * or hands it to a death test.
 *
 * Include this only from .c files: the host tests have their own CHECK
 * macro (test/host/check.h), and a public header that pulled this one in
 * would clash with it.
 */
#ifndef KINE_BASE_CHECK_H
#define KINE_BASE_CHECK_H

void check_failed(const char *expr, const char *file, int line) __attribute__((noreturn));
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Always compiled in: these guard memory ownership, where a silent bug costs days. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			check_failed(#cond, __FILE__, __LINE__);                                   \
	} while (0)

#endif
