/*
 * assert.h: the kernel's assert(), for every floor of the kernel: a false
 * condition panics with the expression, file and line. Always compiled in.
 *
 * Kernel-only (it panics); code that also builds in the host tests states
 * its invariants with check.h's CHECK() instead.
 */
#ifndef KINE_BASE_ASSERT_H
#define KINE_BASE_ASSERT_H

#include "src/base/panic.h"

#define assert(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);          \
	} while (0)

#endif
