/*
 * fuzz_mem.c: libFuzzer target for memcpy, memmove and memset a word at a
 * time, and the page copy (src/lib/mem.c), each against libc's.
 *
 * The input's first five bytes pick the case, the rest is the data:
 *   [0] the routine (memcpy, memmove, memset, page copy), [1] the
 *   destination offset, [2] the source offset (or the fill byte), [3..4]
 *   the size (little-endian, below 8192).
 * The promises checked:
 *  - the result equals libc's byte for byte, and the routine returns dst;
 *  - memcpy and memset touch nothing outside their buffers: each buffer
 *    ends exactly where the routine's window ends (AddressSanitizer reports
 *    a byte past it), and the bytes before the window are unchanged;
 *  - memmove between any two offsets of one buffer, overlapping either way,
 *    gives libc's bytes over the whole buffer.
 */
#include "src/lib/mem.h"
#include "test/fuzz/fuzz_util.h"

#define MAX_SIZE 8192

/* n bytes of the input's data, repeated as needed. */
static void fill(uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < n; i++)
		p[i] = size ? data[i % size] : (uint8_t)i;
}

static void check_memcpy(size_t doff, size_t soff, size_t n, const uint8_t *data, size_t size)
{
	uint8_t *src = malloc(soff + n), *dst = malloc(doff + n), *want = malloc(doff + n);

	fill(src, soff + n, data, size);
	memset(dst, 0x5a, doff + n);
	memcpy(want, dst, doff + n);
	memcpy(want + doff, src + soff, n);
	EXPECT(kine_memcpy(dst + doff, src + soff, n) == dst + doff);
	EXPECT(memcmp(dst, want, doff + n) == 0);
	free(src);
	free(dst);
	free(want);
}

static void check_memmove(size_t doff, size_t soff, size_t n, const uint8_t *data, size_t size)
{
	size_t len = (doff > soff ? doff : soff) + n;
	uint8_t *got = malloc(len), *want = malloc(len);

	fill(got, len, data, size);
	memcpy(want, got, len);
	memmove(want + doff, want + soff, n);
	EXPECT(kine_memmove(got + doff, got + soff, n) == got + doff);
	EXPECT(memcmp(got, want, len) == 0);
	free(got);
	free(want);
}

static void check_memset(size_t doff, int c, size_t n, const uint8_t *data, size_t size)
{
	uint8_t *got = malloc(doff + n), *want = malloc(doff + n);

	fill(got, doff + n, data, size);
	memcpy(want, got, doff + n);
	memset(want + doff, c, n);
	EXPECT(kine_memset(got + doff, c, n) == got + doff);
	EXPECT(memcmp(got, want, doff + n) == 0);
	free(got);
	free(want);
}

static void check_page_copy(const uint8_t *data, size_t size)
{
	uint8_t *src = aligned_alloc(PAGE_COPY_SIZE, PAGE_COPY_SIZE);
	uint8_t *dst = aligned_alloc(PAGE_COPY_SIZE, PAGE_COPY_SIZE);

	fill(src, PAGE_COPY_SIZE, data, size);
	memset(dst, 0x5a, PAGE_COPY_SIZE);
	page_copy_words(dst, src);
	EXPECT(memcmp(dst, src, PAGE_COPY_SIZE) == 0);
	page_zero_words(dst);
	for (size_t i = 0; i < PAGE_COPY_SIZE; i++)
		EXPECT(dst[i] == 0);
	free(src);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t doff, soff, n;

	if (size < 5)
		return 0;
	doff = data[1];
	soff = data[2];
	n = ((size_t)data[3] | (size_t)data[4] << 8) % MAX_SIZE;
	switch (data[0] % 4) {
	case 0:
		check_memcpy(doff % 64, soff % 64, n, data + 5, size - 5);
		break;
	case 1:
		check_memmove(doff, soff, n, data + 5, size - 5);
		break;
	case 2:
		check_memset(doff % 64, data[2], n, data + 5, size - 5);
		break;
	default:
		check_page_copy(data + 5, size - 5);
		break;
	}
	return 0;
}
