/*
 * cpio_test.c: the newc reader on a real archive made by GNU cpio
 * (test/data/boot.cpio), on archives written here to exercise each rule,
 * and on hostile ones: every prefix, every header digit corrupted, bad
 * name and file sizes, and random byte flips. Archives are checked from
 * malloc'd buffers of their exact size, so ASan turns any read past the
 * end into a failure.
 */
#include "src/lib/cpio.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_LEN 110

/* ---- A small newc writer ---- */

struct cpiow {
	uint8_t buf[1 << 16];
	size_t len;
};

static void w_bytes(struct cpiow *w, const void *p, size_t n)
{
	if (w->len + n > sizeof(w->buf))
		abort();
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void w_pad4(struct cpiow *w)
{
	while (w->len & 3)
		w_bytes(w, "", 1);
}

/* Append one entry; returns the offset of its header. */
static size_t w_entry(struct cpiow *w, const char *name, uint32_t mode, const void *data,
		      uint32_t size)
{
	static uint32_t ino = 100;
	size_t at = w->len;
	uint32_t namesize = (uint32_t)strlen(name) + 1;
	char hdr[HDR_LEN + 1];

	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino++, mode, 0, 0, 1, 0x65920080, size, 0, 0, 0, 0, namesize, 0);
	w_bytes(w, hdr, HDR_LEN);
	w_bytes(w, name, namesize);
	w_pad4(w);
	w_bytes(w, data, size);
	w_pad4(w);
	return at;
}

static size_t w_file(struct cpiow *w, const char *name, const char *text)
{
	return w_entry(w, name, 0100644, text, (uint32_t)strlen(text));
}

static size_t w_trailer(struct cpiow *w)
{
	return w_entry(w, "TRAILER!!!", 0, "", 0);
}

/* Overwrite header field `field` (0 = c_ino ... 12 = c_check) of the header at `at`. */
static void set_field(uint8_t *a, size_t at, int field, uint32_t v)
{
	char tmp[9];

	snprintf(tmp, sizeof(tmp), "%08X", v);
	memcpy(a + at + 6 + 8 * field, tmp, 8);
}

enum { F_FILESIZE = 6, F_NAMESIZE = 11 };

/* ---- Helpers ---- */

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

/* Offset of the first occurrence of needle in hay, or n if none. */
static size_t find_bytes(const uint8_t *hay, size_t n, const void *needle, size_t len)
{
	for (size_t i = 0; i + len <= n; i++) {
		if (memcmp(hay + i, needle, len) == 0)
			return i;
	}
	return n;
}

static int find_in(const uint8_t *a, size_t n, const char *name, const void **d, size_t *len)
{
	uint8_t *copy = tu_dup(a, n);
	int r = cpio_find(copy, n, name, d, len);

	/* Pointers into the copy are checked against it before it goes. */
	if (r == 0)
		CHECK((const uint8_t *)*d >= copy && (const uint8_t *)*d + *len <= copy + n);
	free(copy);
	return r;
}

/* The contents of `name` must be exactly `want`. */
static void check_file(const uint8_t *a, size_t n, const char *name, const void *want,
		       size_t wantlen)
{
	const void *d = NULL;
	size_t len = 0;
	int r = cpio_find(a, n, name, &d, &len);

	CHECK_EQ(r, 0);
	if (r != 0) {
		printf("  %s: %s\n", name, cpio_strerror(r));
		return;
	}
	CHECK_EQ(len, wantlen);
	CHECK(len == wantlen && memcmp(d, want, len) == 0);
}

/*
 * Walk the whole archive: returns what ended the walk (0 or an error) and
 * checks that every entry lies inside [a, a + n). At most `max` entries.
 */
static int walk(const uint8_t *a, size_t n, struct cpio_entry *out, int max, int *count)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int r, k = 0;

	cpio_iter_init(&it, a, n);
	while ((r = cpio_next(&it, &e)) > 0) {
		const uint8_t *d = e.data;
		const uint8_t *nm = (const uint8_t *)e.name;

		CHECK(nm >= a && nm < a + n);
		CHECK(d >= a && d <= a + n && e.size <= (size_t)(a + n - d));
		CHECK(k <= (int)(n / 112));
		if (k < max)
			out[k] = e;
		k++;
	}
	/* The end and errors are sticky. */
	CHECK_EQ(cpio_next(&it, &e), r);
	CHECK_EQ(cpio_next(&it, &e), r);
	*count = k;
	return r;
}

/* ---- The real archive ---- */

struct want {
	const char *name;
	uint32_t mode;
	size_t size;
};

static const struct want boot_entries[] = {
    {".", 040755, 0},      {"bin", 040755, 0}, {"bin/hello", 0100755, 5704},
    {"empty", 0100644, 0}, {"etc", 040755, 0}, {"etc/motd", 0100644, 17},
};
#define NBOOT ((int)(sizeof(boot_entries) / sizeof(boot_entries[0])))

static void test_real_archive(void)
{
	size_t n, elflen;
	uint8_t *a = tu_load("boot.cpio", &n);
	uint8_t *elf = tu_load("hello.elf", &elflen);
	struct cpio_entry e[16];
	const void *d;
	size_t len;
	int count;

	SECTION("boot.cpio (GNU cpio -o -H newc): listing");
	CHECK_EQ(walk(a, n, e, 16, &count), 0);
	CHECK_EQ(count, NBOOT);
	for (int i = 0; i < NBOOT && i < count; i++) {
		CHECK_STREQ(e[i].name, boot_entries[i].name);
		CHECK_EQ(e[i].mode, boot_entries[i].mode);
		CHECK_EQ(e[i].size, boot_entries[i].size);
	}

	SECTION("boot.cpio: every file, exact contents");
	check_file(a, n, "bin/hello", elf, elflen);
	check_file(a, n, "./bin/hello", elf, elflen);
	check_file(a, n, "etc/motd", "Welcome to kine.\n", 17);
	check_file(a, n, "empty", "", 0);

	SECTION("boot.cpio: missing names, directories");
	CHECK_EQ(cpio_find(a, n, "bin/hell", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "bin/hello2", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "etc/motd/", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "/etc/motd", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "hello", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "./", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "TRAILER!!!", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(a, n, "bin", &d, &len), -CPIO_ERR_NOTREG);
	CHECK_EQ(cpio_find(a, n, ".", &d, &len), -CPIO_ERR_NOTREG);
	CHECK_STREQ(cpio_strerror(-CPIO_ERR_NOTFOUND), "no such file in the archive");
	CHECK_STREQ(cpio_strerror(CPIO_ERR_NOTREG), "not a regular file");
	CHECK_STREQ(cpio_strerror(-CPIO_NERRORS), "unknown error");
	free(elf);
	free(a);
}

/*
 * Every prefix of the archive: a walk yields only complete entries, equal
 * to the full archive's, and ends in TRUNCATED; a lookup succeeds exactly
 * when the trailer is complete.
 */
static void check_prefixes(const uint8_t *a, size_t n, size_t trailer_end, const char *name,
			   const void *want, size_t wantlen)
{
	struct cpio_entry full[64], part[64];
	int nfull, npart, bad = 0;

	CHECK_EQ(walk(a, n, full, 64, &nfull), 0);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *p = tu_dup(a, k);
		const void *d;
		size_t len;
		int r = walk(p, k, part, 64, &npart);
		int rf = cpio_find(p, k, name, &d, &len);

		bad += npart > nfull;
		for (int i = 0; i < npart && i < nfull && i < 64; i++) {
			bad += strcmp(part[i].name, full[i].name) != 0;
			bad += part[i].size != full[i].size ||
			       memcmp(part[i].data, full[i].data, full[i].size) != 0;
		}
		if (k >= trailer_end) {
			bad += r != 0 || npart != nfull || rf != 0;
			bad += rf == 0 && (len != wantlen || memcmp(d, want, len) != 0);
		} else {
			bad += r != -CPIO_ERR_TRUNCATED || rf != -CPIO_ERR_TRUNCATED;
		}
		free(p);
	}
	CHECK_EQ(bad, 0);
}

static void test_truncation(void)
{
	size_t n, elflen;
	uint8_t *a = tu_load("boot.cpio", &n);
	uint8_t *elf = tu_load("hello.elf", &elflen);
	size_t t = find_bytes(a, n, "TRAILER!!!", 11);
	struct cpiow w = {.len = 0};
	size_t at;

	SECTION("every prefix of boot.cpio (%zu bytes)", n);
	CHECK(t < n);
	check_prefixes(a, n, align4(t + 11), "bin/hello", elf, elflen);

	SECTION("every prefix of a written archive");
	w_file(&w, "a", "x");
	w_file(&w, "./bb", "yyyyy");
	w_entry(&w, "dir", 040755, "", 0);
	w_file(&w, "ccc", "zzzzzzzzz");
	at = w_trailer(&w);
	check_prefixes(w.buf, w.len, align4(at + HDR_LEN + 11), "bb", "yyyyy", 5);
	free(elf);
	free(a);
}

/* ---- Written archives: each rule ---- */

static void test_written(void)
{
	static const char text[] = "0123456789abcdef";
	struct cpiow w = {.len = 0};
	char names[8][16];
	const void *d;
	size_t len;
	uint8_t *p;

	SECTION("every name length and data length modulo 4");
	for (int i = 0; i < 8; i++) {
		/* Names of 1 to 8 characters, data of 0 to 7 bytes. */
		snprintf(names[i], sizeof(names[i]), "%.*s", i + 1, "nnnnnnnn");
		names[i][0] = (char)('a' + i);
		w_entry(&w, names[i], 0100644, text, (uint32_t)i);
	}
	w_trailer(&w);
	for (int i = 0; i < 8; i++)
		check_file(w.buf, w.len, names[i], text, (size_t)i);

	SECTION("./ prefixes in the archive and in the lookup");
	w.len = 0;
	w_file(&w, "./init", "init!");
	w_file(&w, "sh", "shell");
	w_file(&w, "./", "dot-slash");
	w_trailer(&w);
	check_file(w.buf, w.len, "init", "init!", 5);
	check_file(w.buf, w.len, "./init", "init!", 5);
	check_file(w.buf, w.len, "sh", "shell", 5);
	check_file(w.buf, w.len, "./sh", "shell", 5);
	CHECK_EQ(cpio_find(w.buf, w.len, "././sh", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(cpio_find(w.buf, w.len, "", &d, &len), -CPIO_ERR_NOTFOUND);

	SECTION("a repeated name: the last one wins");
	w.len = 0;
	w_file(&w, "prog", "old");
	w_file(&w, "./prog", "newer");
	w_file(&w, "other", "x");
	w_trailer(&w);
	check_file(w.buf, w.len, "prog", "newer", 5);
	w.len = 0;
	w_file(&w, "prog", "old");
	w_entry(&w, "prog", 040755, "", 0);
	w_trailer(&w);
	CHECK_EQ(cpio_find(w.buf, w.len, "prog", &d, &len), -CPIO_ERR_NOTREG);

	SECTION("symlinks are not regular files; lowercase hex is fine");
	w.len = 0;
	w_entry(&w, "link", 0120777, "target", 6);
	w_file(&w, "f", "abc");
	w_trailer(&w);
	CHECK_EQ(cpio_find(w.buf, w.len, "link", &d, &len), -CPIO_ERR_NOTREG);
	for (size_t i = 0; i < HDR_LEN; i++)
		w.buf[i] = (uint8_t)(w.buf[i] >= 'A' && w.buf[i] <= 'F' ? w.buf[i] + 32 : w.buf[i]);
	CHECK_EQ(cpio_find(w.buf, w.len, "link", &d, &len), -CPIO_ERR_NOTREG);
	check_file(w.buf, w.len, "f", "abc", 3);

	SECTION("only a trailer; nothing at all; bytes after the trailer");
	w.len = 0;
	w_trailer(&w);
	CHECK_EQ(find_in(w.buf, w.len, "x", &d, &len), -CPIO_ERR_NOTFOUND);
	CHECK_EQ(find_in(w.buf, 0, "x", &d, &len), -CPIO_ERR_TRUNCATED);
	CHECK_EQ(cpio_find(NULL, 0, "x", &d, &len), -CPIO_ERR_TRUNCATED);
	w.len = 0;
	w_file(&w, "f", "abc");
	w_trailer(&w);
	w_bytes(&w, "garbage after the trailer, not even a header", 44);
	check_file(w.buf, w.len, "f", "abc", 3);

	SECTION("no trailer: entries are listed, then TRUNCATED");
	w.len = 0;
	w_file(&w, "f", "abc");
	w_file(&w, "g", "defg");
	{
		struct cpio_entry e[4];
		int count;

		CHECK_EQ(walk(w.buf, w.len, e, 4, &count), -CPIO_ERR_TRUNCATED);
		CHECK_EQ(count, 2);
		CHECK_EQ(find_in(w.buf, w.len, "f", &d, &len), -CPIO_ERR_TRUNCATED);
	}

	SECTION("an archive at an odd address");
	w.len = 0;
	w_file(&w, "f", "abc");
	w_file(&w, "g", "defgh");
	w_trailer(&w);
	p = malloc(w.len + 1);
	memcpy(p + 1, w.buf, w.len);
	check_file(p + 1, w.len, "g", "defgh", 5);
	free(p);
}

/* ---- Corrupted headers ---- */

static void test_corrupt(void)
{
	static const char bad_digits[] = "gG x+-.\0\xff";
	struct cpiow w = {.len = 0};
	size_t h0, h1, h2, n;
	const void *d;
	size_t len;
	int bad = 0;
	uint8_t *p;

	h0 = w_file(&w, "first", "1234567");
	h1 = w_file(&w, "second", "abc");
	h2 = w_trailer(&w);
	n = w.len;
	CHECK_EQ(cpio_find(w.buf, n, "second", &d, &len), 0);

	SECTION("a non-hex character in any digit of any field");
	for (size_t h = 0; h < 3; h++) {
		size_t at = h == 0 ? h0 : h == 1 ? h1 : h2;

		for (size_t i = 6; i < HDR_LEN; i++) {
			for (size_t k = 0; k < sizeof(bad_digits) - 1; k++) {
				p = tu_dup(w.buf, n);
				p[at + i] = (uint8_t)bad_digits[k];
				bad += cpio_find(p, n, "second", &d, &len) != -CPIO_ERR_BADHEX;
				free(p);
			}
		}
	}
	CHECK_EQ(bad, 0);

	SECTION("bad magic: odc, crc, garbage");
	{
		static const char *const magics[] = {"070707", "070702", "07070 ", "170701"};

		for (size_t i = 0; i < 4; i++) {
			p = tu_dup(w.buf, n);
			memcpy(p + h1, magics[i], 6);
			CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_BADMAGIC);
			free(p);
		}
	}

	SECTION("namesize: 0, without the NUL, past the NUL, huge");
	p = tu_dup(w.buf, n);
	set_field(p, h1, F_NAMESIZE, 0);
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_BADNAME);
	set_field(p, h1, F_NAMESIZE, 6); /* "second" without its NUL */
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_BADNAME);
	set_field(p, h1, F_NAMESIZE, 8); /* the NUL, then a padding byte */
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_BADNAME);
	set_field(p, h1, F_NAMESIZE, 0xffffffff);
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_TRUNCATED);
	set_field(p, h1, F_NAMESIZE, (uint32_t)(n - h1 - HDR_LEN + 1));
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_TRUNCATED);
	set_field(p, h1, F_NAMESIZE, 7);
	CHECK_EQ(cpio_find(p, n, "second", &d, &len), 0);
	free(p);

	SECTION("the name's NUL at the very end, its padding missing");
	p = tu_dup(w.buf, h2 + HDR_LEN + 11);
	CHECK_EQ(cpio_find(p, h2 + HDR_LEN + 11, "first", &d, &len), -CPIO_ERR_TRUNCATED);
	free(p);

	SECTION("filesize: huge, past the end, one off");
	p = tu_dup(w.buf, n);
	set_field(p, h1, F_FILESIZE, 0xffffffff);
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_TRUNCATED);
	set_field(p, h1, F_FILESIZE, 0x80000000);
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_TRUNCATED);
	set_field(p, h1, F_FILESIZE, (uint32_t)n);
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_TRUNCATED);
	set_field(p, h1, F_FILESIZE, 5); /* the next header would start 4 bytes late */
	CHECK_EQ(cpio_find(p, n, "first", &d, &len), -CPIO_ERR_BADMAGIC);
	set_field(p, h0, F_FILESIZE, 0xfffffff0);
	CHECK_EQ(cpio_find(p, n, "second", &d, &len), -CPIO_ERR_TRUNCATED);
	free(p);

	SECTION("errors are reported at the header that failed");
	{
		struct cpio_iter it;
		struct cpio_entry e;

		p = tu_dup(w.buf, n);
		p[h1 + 20] = 'z';
		cpio_iter_init(&it, p, n);
		CHECK_EQ(cpio_next(&it, &e), 1);
		CHECK_EQ(cpio_next(&it, &e), -CPIO_ERR_BADHEX);
		CHECK_EQ(it.pos, h1);
		free(p);
	}
}

/* ---- Random damage ---- */

static void test_random_flips(void)
{
	size_t n;
	uint8_t *a = tu_load("boot.cpio", &n);
	struct cpio_entry e[64];
	int ok = 0, errors = 0, count;
	const void *d;
	size_t len;

	SECTION("10000 archives with random byte flips (fixed seed)");
	tu_srand(0xc910);
	for (int round = 0; round < 10000; round++) {
		uint8_t *p = tu_dup(a, n);
		int flips = 1 + (int)(tu_rand() % 4);

		for (int k = 0; k < flips; k++) {
			/* Mostly the headers and names, where damage matters. */
			size_t at = tu_rand() % (round & 1 ? n : 0x200);
			p[at] = (uint8_t)tu_rand();
		}
		if (walk(p, n, e, 64, &count) == 0)
			ok++;
		else
			errors++;
		(void)cpio_find(p, n, "bin/hello", &d, &len);
		(void)cpio_find(p, n, "./etc/motd", &d, &len);
		free(p);
	}
	printf("  %d walks reached the trailer, %d ended in an error\n", ok, errors);
	CHECK(errors > 0);
	free(a);
}

int main(void)
{
	test_real_archive();
	test_written();
	test_truncation();
	test_corrupt();
	test_random_flips();
	return check_summary("cpio_test");
}
