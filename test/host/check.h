/*
 * check.h: the host tests' assertion macros.
 *
 * A failed CHECK prints file:line, the expression and the values involved,
 * counts the failure and carries on, so one run shows every broken case.
 * main() ends with `return check_summary("name");`, which prints the totals
 * and returns the exit status. SECTION() announces what is being checked.
 * Header-only; each test binary includes it once (the counters are static).
 */
#ifndef KINE_TEST_HOST_CHECK_H
#define KINE_TEST_HOST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count;
static int check_failures;

/* Line-buffer stdout so a sanitizer abort never swallows the last lines. */
__attribute__((constructor)) static void check_line_buffer(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

#define SECTION(...)                                                                               \
	do {                                                                                       \
		printf("== ");                                                                     \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		check_count++;                                                                     \
		if (!(cond)) {                                                                     \
			check_failures++;                                                          \
			printf("%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);            \
		}                                                                                  \
	} while (0)

/* Integers of any type, compared as 64-bit values; prints both sides. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		unsigned long long check_a_ = (unsigned long long)(a);                             \
		unsigned long long check_b_ = (unsigned long long)(b);                             \
		check_count++;                                                                     \
		if (check_a_ != check_b_) {                                                        \
			check_failures++;                                                          \
			printf("%s:%d: CHECK_EQ failed: %s == %s: 0x%llx (%lld) != 0x%llx "        \
			       "(%lld)\n",                                                         \
			       __FILE__, __LINE__, #a, #b, check_a_, (long long)check_a_,          \
			       check_b_, (long long)check_b_);                                     \
		}                                                                                  \
	} while (0)

/* C strings; NULL is allowed on either side and equals only NULL. */
#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *check_a_ = (a);                                                        \
		const char *check_b_ = (b);                                                        \
		check_count++;                                                                     \
		if (!(check_a_ == check_b_ ||                                                      \
		      (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0))) {                \
			check_failures++;                                                          \
			printf("%s:%d: CHECK_STREQ failed: %s == %s: \"%s\" != \"%s\"\n",          \
			       __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",         \
			       check_b_ ? check_b_ : "(null)");                                    \
		}                                                                                  \
	} while (0)

static inline int check_summary(const char *name)
{
	if (check_failures) {
		printf("%s: FAIL: %d of %d checks failed\n", name, check_failures, check_count);
		return 1;
	}
	printf("%s: PASS: %d checks\n", name, check_count);
	return 0;
}

#endif
