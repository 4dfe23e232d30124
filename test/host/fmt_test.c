/*
 * fmt_test.c: kine's formatter against the host C library's snprintf.
 *
 * Every case is formatted by both with the same arguments and must give
 * the same string and the same return value; truncation is checked at
 * every buffer size of one case, and %p and unknown conversions, where
 * libc's output is implementation-defined, against fixed strings.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "src/lib/fmt.h"

static int failures;

#define SAME(...)                                                                                  \
	do {                                                                                       \
		char want[256], got[256];                                                          \
		int nw = snprintf(want, sizeof(want), __VA_ARGS__);                                \
		int ng = fmt_snprintf(got, sizeof(got), __VA_ARGS__);                              \
		if (nw != ng || strcmp(want, got) != 0) {                                          \
			printf("FAIL %s:%d: %s: libc \"%s\" (%d), kine \"%s\" (%d)\n", __FILE__,   \
			       __LINE__, #__VA_ARGS__, want, nw, got, ng);                         \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define EXPECT(want, ...)                                                                          \
	do {                                                                                       \
		char got[256];                                                                     \
		int ng = fmt_snprintf(got, sizeof(got), __VA_ARGS__);                              \
		if (strcmp(want, got) != 0 || ng != (int)strlen(want)) {                           \
			printf("FAIL %s:%d: %s: want \"%s\", kine \"%s\" (%d)\n", __FILE__,        \
			       __LINE__, #__VA_ARGS__, want, got, ng);                             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void test_integers(void)
{
	SAME("%d %d %d", 0, 42, -42);
	SAME("%i", INT32_MIN);
	SAME("%u", UINT32_MAX);
	SAME("%ld %lu", INT64_MIN, UINT64_MAX);
	SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%zu %zd %td %jd", (size_t)123, (ssize_t)-5, (ptrdiff_t)-7, (intmax_t)INT64_MAX);
	SAME("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0755u);
	SAME("%lx %#lx %#x %#o %#o", 0x80200000ul, 0x8fe00000ul, 0u, 0u, 8u);
	SAME("%5d|%-5d|%05d|%+d|% d|%+d", 42, 42, 42, 42, 42, -42);
	SAME("%016lx|%-16lx|%#018lx", 0x1234ul, 0x1234ul, 0x1234ul);
	SAME("%.3d|%.0d|%5.3d|%-5.3d|%05.3d", 7, 0, 7, 7, 7);
	SAME("%.0x|%#.0x|%#.3o|%#5x", 0u, 0u, 8u, 255u);
	SAME("%*d|%-*d|%.*d|%*d", 6, 1, 6, 1, 4, 1, -6, 1);
}

static void test_strings(void)
{
	SAME("%s|%10s|%-10s|%.3s|%10.2s", "kine", "kine", "kine", "kine", "kine");
	SAME("%c%c%c|%3c|%-3c|", 'k', 'i', 'n', 'e', 'e');
	SAME("100%% %s", "sure");
	SAME("%.*s", 2, "abcdef");
	EXPECT("(null)", "%s", (const char *)NULL);
}

static void test_pointers_and_unknown(void)
{
	EXPECT("0x80200000", "%p", (void *)0x80200000ul);
	EXPECT("%q", "%q");
	EXPECT("%-5", "%-5");
	EXPECT("a%", "a%");
}

/* Every buffer size from 0 to past the end: content and terminator. */
static void test_truncation(void)
{
	const char *full = "hart 3: 12345 ticks";

	for (size_t size = 0; size <= strlen(full) + 2; size++) {
		char got[64];
		memset(got, 'X', sizeof(got));
		int n = fmt_snprintf(got, size, "hart %d: %u ticks", 3, 12345u);
		size_t stored = size == 0 ? 0 : (size - 1 < strlen(full) ? size - 1 : strlen(full));

		if (n != (int)strlen(full) || (size > 0 && got[stored] != '\0') ||
		    memcmp(got, full, stored) != 0 || got[size] != 'X') {
			printf("FAIL truncation at size %zu: n=%d\n", size, n);
			failures++;
		}
	}
}

int main(void)
{
	test_integers();
	test_strings();
	test_pointers_and_unknown();
	test_truncation();
	printf("fmt_test: %s\n", failures ? "FAILED" : "all cases match");
	return failures != 0;
}
