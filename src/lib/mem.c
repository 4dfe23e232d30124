/*
 * mem.c: memcpy, memmove and memset a 64-bit word at a time, and the
 * portable page copy and page zero (see mem.h).
 *
 * Invariants:
 *  - Every word access is aligned: RISC-V harts may trap on a misaligned
 *    one (the U74 does, and firmware emulates it hundreds of times slower).
 *    When source and destination disagree modulo 8, each destination word
 *    is stitched from two aligned source words by shifts (little-endian).
 *  - No access leaves [src, src + n) or [dst, dst + n): the stitching's
 *    first word is gathered bytewise, so not even an aligned word that
 *    straddles the buffer's edge is read (ASan would rightly object).
 *  - Overlap: memcpy copies forwards only; memmove picks the direction.
 *
 * In the kernel and the user library (freestanding) kine_memcpy and friends
 * are also memcpy, memmove and memset, the names GCC emits calls to; host
 * tests and the fuzzer compile this file next to libc's and compare.
 */
#include "src/lib/mem.h"

#include <stdint.h>

/* A word that may alias any object, so the compiler keeps every access. */
typedef uint64_t __attribute__((__may_alias__)) word_t;

#define WORD      sizeof(word_t)
#define WORD_MASK (WORD - 1)
#define SMALL     16 /* below this, aligning costs more than it saves */

static inline int misalign(const void *p)
{
	return (int)((uintptr_t)p & WORD_MASK);
}

/* Forward aligned word copy of n bytes (n a multiple of WORD). */
static void words_fwd(word_t *d, const word_t *s, size_t n)
{
	for (; n >= 8 * WORD; n -= 8 * WORD, d += 8, s += 8) {
		word_t a = s[0], b = s[1], c = s[2], e = s[3];
		word_t f = s[4], g = s[5], h = s[6], i = s[7];

		d[0] = a, d[1] = b, d[2] = c, d[3] = e;
		d[4] = f, d[5] = g, d[6] = h, d[7] = i;
	}
	for (; n; n -= WORD)
		*d++ = *s++;
}

/* Backward aligned word copy: d and s point one past the end. */
static void words_bwd(word_t *d, const word_t *s, size_t n)
{
	for (; n >= 8 * WORD; n -= 8 * WORD) {
		word_t a = s[-1], b = s[-2], c = s[-3], e = s[-4];
		word_t f = s[-5], g = s[-6], h = s[-7], i = s[-8];

		d[-1] = a, d[-2] = b, d[-3] = c, d[-4] = e;
		d[-5] = f, d[-6] = g, d[-7] = h, d[-8] = i;
		d -= 8, s -= 8;
	}
	for (; n; n -= WORD)
		*--d = *--s;
}

/*
 * Forward copy to an aligned d from an s that is k bytes past a word
 * boundary (0 < k < 8); returns the bytes copied (a multiple of WORD,
 * at most n). Word j of d is bytes [s + 8j, s + 8j + 8): the top 8 - k
 * bytes of one aligned source word and the low k bytes of the next.
 */
static size_t stitch_fwd(word_t *d, const unsigned char *s, size_t n)
{
	int k = misalign(s), lo = 8 * k, hi = 64 - lo;
	const word_t *w = (const word_t *)(s - k) + 1; /* next aligned word */
	size_t done = 0;
	uint64_t cur = 0;

	for (int i = 0; i < (int)WORD - k; i++)
		cur |= (uint64_t)s[i] << (8 * (k + i));
	/* Word j needs the aligned word at s - k + 8(j + 1) whole. */
	while (done + WORD + (WORD - k) <= n) {
		uint64_t next = *w++;

		*d++ = (cur >> lo) | (next << hi);
		cur = next;
		done += WORD;
	}
	return done;
}

void *kine_memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (n >= SMALL) {
		size_t done;

		while (misalign(d)) {
			*d++ = *s++;
			n--;
		}
		if (misalign(s) == 0) {
			done = n & ~WORD_MASK;
			words_fwd((word_t *)d, (const word_t *)s, done);
		} else {
			done = stitch_fwd((word_t *)d, s, n);
		}
		d += done, s += done, n -= done;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

/*
 * Backward copy for memmove when dst overlaps the tail of src. Words only
 * when both agree modulo 8 (overlapping moves by a non-multiple of 8 are
 * rare: bytes are fine there).
 */
static void move_bwd(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n, s += n;
	if (n >= SMALL && misalign(d) == misalign(s)) {
		size_t w;

		while (misalign(d)) {
			*--d = *--s;
			n--;
		}
		w = n & ~WORD_MASK;
		words_bwd((word_t *)d, (const word_t *)s, w);
		d -= w, s -= w, n -= w;
	}
	while (n--)
		*--d = *--s;
}

void *kine_memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	/* Forwards is safe unless d lies inside (s, s + n). */
	if (d < s || (uintptr_t)d - (uintptr_t)s >= n)
		return kine_memcpy(dst, src, n);
	move_bwd(d, s, n);
	return dst;
}

void *kine_memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	unsigned char b = (unsigned char)c;

	if (n >= SMALL) {
		uint64_t v = 0x0101010101010101ull * b;
		word_t *w;

		while (misalign(d)) {
			*d++ = b;
			n--;
		}
		w = (word_t *)d;
		for (; n >= 8 * WORD; n -= 8 * WORD, w += 8) {
			w[0] = v, w[1] = v, w[2] = v, w[3] = v;
			w[4] = v, w[5] = v, w[6] = v, w[7] = v;
		}
		for (; n >= WORD; n -= WORD)
			*w++ = v;
		d = (unsigned char *)w;
	}
	while (n--)
		*d++ = b;
	return dst;
}

/*
 * 128 bytes per iteration, sixteen loads then sixteen stores: fewer
 * instructions than 64 bytes, and 256 bytes spills 32 live words to the
 * stack (BENCHMARKS.md, "Copies at word width").
 */
void page_copy_words(void *dst, const void *src)
{
	word_t *d = __builtin_assume_aligned(dst, PAGE_COPY_SIZE);
	const word_t *s = __builtin_assume_aligned(src, PAGE_COPY_SIZE);

	for (size_t i = 0; i < PAGE_COPY_SIZE / WORD; i += 16) {
		word_t a0 = s[i + 0], a1 = s[i + 1], a2 = s[i + 2], a3 = s[i + 3];
		word_t a4 = s[i + 4], a5 = s[i + 5], a6 = s[i + 6], a7 = s[i + 7];
		word_t a8 = s[i + 8], a9 = s[i + 9], aa = s[i + 10], ab = s[i + 11];
		word_t ac = s[i + 12], ad = s[i + 13], ae = s[i + 14], af = s[i + 15];

		d[i + 0] = a0, d[i + 1] = a1, d[i + 2] = a2, d[i + 3] = a3;
		d[i + 4] = a4, d[i + 5] = a5, d[i + 6] = a6, d[i + 7] = a7;
		d[i + 8] = a8, d[i + 9] = a9, d[i + 10] = aa, d[i + 11] = ab;
		d[i + 12] = ac, d[i + 13] = ad, d[i + 14] = ae, d[i + 15] = af;
	}
}

void page_zero_words(void *dst)
{
	word_t *d = __builtin_assume_aligned(dst, PAGE_COPY_SIZE);

	for (size_t i = 0; i < PAGE_COPY_SIZE / WORD; i += 8) {
		d[i + 0] = 0, d[i + 1] = 0, d[i + 2] = 0, d[i + 3] = 0;
		d[i + 4] = 0, d[i + 5] = 0, d[i + 6] = 0, d[i + 7] = 0;
	}
}

#if !__STDC_HOSTED__
/* Freestanding (kernel, user library): these are the standard names. */
void *memcpy(void *dst, const void *src, size_t n) __attribute__((alias("kine_memcpy")));
void *memmove(void *dst, const void *src, size_t n) __attribute__((alias("kine_memmove")));
void *memset(void *dst, int c, size_t n) __attribute__((alias("kine_memset")));
#endif
