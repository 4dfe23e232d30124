/*
 * mem_test.c: kine_memcpy, kine_memmove, kine_memset and the page copy and
 * zero (src/lib/mem.c) against libc, under ASan/UBSan.
 *
 * - Every source and destination alignment 0-15 with every size 0-4200
 *   (both buffers end exactly at the end of their allocation, so ASan flags
 *   any access past the end; the bytes around the destination must stay).
 * - memmove within one buffer, overlapping by every shift 1-17 and a few
 *   wider ones, forwards and backwards, from every base alignment 0-15.
 * - memset with every alignment, size and a few byte values.
 * The first mismatch of each section is printed with its parameters.
 */
#include "src/lib/mem.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_N  4200
#define ALIGNS 16
#define MARGIN 32
#define PAGE   PAGE_COPY_SIZE

static uint8_t pattern[MAX_N + 2 * MARGIN + 1024 + ALIGNS];

static void fill_pattern(void)
{
	tu_srand(19);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)tu_rand();
}

/* Report the first bad case of a section; count the rest silently. */
static int bad_cases;

static void bad(const char *what, size_t da, size_t sa, size_t n)
{
	if (bad_cases++ == 0)
		printf("   first mismatch: %s dst align %zu src align %zu size %zu\n", what, da, sa,
		       n);
}

/* dst written by fn(dst, src, n) equals libc's, margins untouched. */
static void copy_case(void *(*fn)(void *, const void *, size_t), const char *what, size_t da,
		      size_t sa, size_t n)
{
	/* src ends at its allocation's end; so does dst's checked window. */
	uint8_t *sbuf = malloc(sa + n), *src = sbuf + sa;
	uint8_t *dbuf = malloc(MARGIN + da + n + MARGIN);
	uint8_t want[MARGIN + ALIGNS + MAX_N + MARGIN];
	uint8_t *dst = dbuf + MARGIN + da;
	size_t dlen = MARGIN + da + n + MARGIN;

	memcpy(src, pattern + 7, n);
	memset(dbuf, 0xa5, dlen);
	memcpy(want, dbuf, dlen);
	memcpy(want + MARGIN + da, src, n);
	if (fn(dst, src, n) != dst || memcmp(dbuf, want, dlen) != 0)
		bad(what, da, sa, n);
	free(sbuf);
	free(dbuf);
}

static void test_copy(void *(*fn)(void *, const void *, size_t), const char *what)
{
	SECTION("%s: src and dst alignment 0-15, sizes 0-%d", what, MAX_N);
	bad_cases = 0;
	for (size_t da = 0; da < ALIGNS; da++)
		for (size_t sa = 0; sa < ALIGNS; sa++)
			for (size_t n = 0; n <= MAX_N; n++)
				copy_case(fn, what, da, sa, n);
	CHECK_EQ(bad_cases, 0);
}

/* Exact-size buffers: a read or write one byte past either end is an ASan error. */
static void test_copy_exact(void)
{
	SECTION("memcpy/memmove: exact-size buffers around the page size");
	bad_cases = 0;
	for (size_t n = PAGE - 40; n <= PAGE + 40; n++) {
		for (size_t sa = 0; sa < 8; sa++) {
			size_t da = (sa * 3) % 8;
			uint8_t *s = malloc(sa + n), *d = malloc(da + n);

			for (size_t i = 0; i < n; i++)
				s[sa + i] = pattern[i % sizeof(pattern)];
			kine_memcpy(d + da, s + sa, n);
			if (memcmp(d + da, s + sa, n) != 0)
				bad("memcpy exact", da, sa, n);
			memset(d, 0, da + n);
			kine_memmove(d + da, s + sa, n);
			if (memcmp(d + da, s + sa, n) != 0)
				bad("memmove exact", da, sa, n);
			free(s);
			free(d);
		}
	}
	CHECK_EQ(bad_cases, 0);
}

/* One overlapping move of n bytes from buf + from to buf + to, against libc. */
static void move_case(size_t from, size_t to, size_t n)
{
	size_t len = (from > to ? from : to) + n;
	uint8_t *a = malloc(len), *b = malloc(len);

	memcpy(a, pattern, len);
	memcpy(b, pattern, len);
	memmove(b + to, b + from, n);
	if (kine_memmove(a + to, a + from, n) != a + to || memcmp(a, b, len) != 0)
		bad(to > from ? "memmove backwards" : "memmove forwards", to, from, n);
	free(a);
	free(b);
}

static void test_overlap(void)
{
	static const size_t wide[] = {24, 31, 32, 33, 64, 100, 129, 1000};

	SECTION("memmove: overlapping both ways, every base alignment, sizes 0-%d", MAX_N);
	bad_cases = 0;
	for (size_t base = 0; base < ALIGNS; base++) {
		for (size_t n = 0; n <= MAX_N; n += n < 300 ? 1 : 37) {
			for (size_t shift = 1; shift <= 17; shift++) {
				move_case(base, base + shift, n);
				move_case(base + shift, base, n);
			}
			for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
				move_case(base, base + wide[i], n);
				move_case(base + wide[i], base, n);
			}
		}
	}
	/* dst == src and n == 0 */
	move_case(5, 5, 100);
	move_case(3, 9, 0);
	CHECK_EQ(bad_cases, 0);
}

static void test_memset(void)
{
	static const int values[] = {0, 0xff, 0x5a, 0x1234 /* only the low byte counts */};

	SECTION("memset: alignment 0-15, sizes 0-%d, four values", MAX_N);
	bad_cases = 0;
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		for (size_t da = 0; da < ALIGNS; da++) {
			for (size_t n = 0; n <= MAX_N; n += v == 0 ? 1 : 3) {
				size_t len = MARGIN + da + n + MARGIN;
				uint8_t *a = malloc(len), *b = malloc(len);

				memcpy(a, pattern, len);
				memcpy(b, pattern, len);
				memset(b + MARGIN + da, values[v], n);
				if (kine_memset(a + MARGIN + da, values[v], n) != a + MARGIN + da ||
				    memcmp(a, b, len) != 0)
					bad("memset", da, 0, n);
				free(a);
				free(b);
			}
		}
	}
	CHECK_EQ(bad_cases, 0);
}

static void test_pages(void)
{
	uint8_t *src = aligned_alloc(PAGE, PAGE), *dst = aligned_alloc(PAGE, PAGE);

	SECTION("page_copy_words and page_zero_words");
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < PAGE; i++)
			src[i] = (uint8_t)tu_rand();
		memset(dst, round, PAGE);
		page_copy_words(dst, src);
		CHECK(memcmp(dst, src, PAGE) == 0);
	}
	page_zero_words(dst);
	for (size_t i = 0; i < PAGE; i++)
		if (dst[i] != 0) {
			CHECK_EQ(dst[i], 0);
			break;
		}
	free(src);
	free(dst);
}

int main(void)
{
	fill_pattern();
	test_copy(kine_memcpy, "memcpy");
	test_copy(kine_memmove, "memmove (disjoint)");
	test_copy_exact();
	test_overlap();
	test_memset();
	test_pages();
	return check_summary("mem_test");
}
