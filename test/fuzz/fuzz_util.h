/*
 * fuzz_util.h: what the libFuzzer targets of test/fuzz share.
 *
 * EXPECT() states one promise of the code under test; a broken one prints
 * the expression and aborts, so libFuzzer saves the input as a crash (the
 * same way it saves an AddressSanitizer or UBSan report). The helpers say
 * whether a pointer the parser returned lies inside the buffer it was given,
 * and check the rules every kine error buffer keeps: nothing written past
 * errlen, one NUL-terminated line, non-empty when the call failed.
 */
#ifndef KINE_TEST_FUZZ_UTIL_H
#define KINE_TEST_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point: each target defines it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void __attribute__((noreturn))
fuzz_broken(const char *expr, const char *file, int line)
{
	fprintf(stderr, "%s:%d: contract broken: %s\n", file, line, expr);
	abort();
}

#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_broken(#cond, __FILE__, __LINE__);                                    \
	} while (0)

/* Whether [p, p + n) lies inside [base, base + len). */
static inline bool within(const void *p, size_t n, const void *base, size_t len)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

	return a >= b && a - b <= len && n <= len - (a - b);
}

/* Whether p starts a string whose NUL lies inside [base, base + len). */
static inline bool str_within(const void *p, const void *base, size_t len)
{
	if (!within(p, 1, base, len))
		return false;
	return memchr(p, 0, len - ((uintptr_t)p - (uintptr_t)base)) != NULL;
}

/* Big-endian and little-endian reads, independent of the code under test. */
static inline uint32_t get_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t get_be64(const void *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32((const uint8_t *)p + 4);
}

/*
 * An error buffer of ERRBUF_TOTAL bytes of which a call is given only the
 * first errlen: the rest is a guard zone that must come back untouched.
 */
#define ERRBUF_TOTAL 160
#define ERRBUF_FILL  0xa5

static inline void errbuf_arm(char *buf)
{
	memset(buf, ERRBUF_FILL, ERRBUF_TOTAL);
}

static inline void errbuf_check(const char *buf, size_t errlen, bool failed)
{
	const char *nul;

	for (size_t i = errlen; i < ERRBUF_TOTAL; i++)
		EXPECT((uint8_t)buf[i] == ERRBUF_FILL);
	if (errlen == 0)
		return;
	nul = memchr(buf, 0, errlen);
	EXPECT(nul != NULL);
	EXPECT(memchr(buf, '\n', (size_t)(nul - buf)) == NULL);
	if (failed)
		EXPECT(nul > buf || errlen == 1);
	else
		EXPECT(buf[0] == '\0');
}

#endif
