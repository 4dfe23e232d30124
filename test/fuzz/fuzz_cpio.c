/*
 * fuzz_cpio.c: libFuzzer target for the boot-image reader (src/lib/cpio.c).
 *
 * Each input is an initrd as the boot loader would hand it over. Beyond "no
 * crash, no sanitizer report" (the input buffer is exactly `size` bytes, so
 * any read past the archive is an AddressSanitizer report), the target
 * checks what cpio.h promises, against a decoding of the newc format of its
 * own:
 *  - cpio_next() answers 1, 0 or a known -CPIO_ERR_* code, exactly as the
 *    reference decoding of the header at the walk's position predicts (the
 *    first broken rule decides), and the trailer and errors are sticky;
 *  - every entry it returns has its header at the walk's position, a name
 *    NUL-terminated at its last byte inside the archive (one leading "./"
 *    skipped), and data inside the archive right after the name's padding;
 *    the walk moves forward by at least 112 bytes per entry, so it ends;
 *  - cpio_find() finds the last entry of a name, refuses directories and
 *    the like, and reports the walk's error on a damaged archive;
 *  - each regular file goes through elf_check() as exec would hand it.
 */
#include "src/lib/cpio.h"
#include "src/lib/elf.h"
#include "test/fuzz/fuzz_util.h"

#define HDR_LEN   110
#define MIN_ENTRY 112 /* header, a one-byte name, padding */

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* The entry at `pos` as the format says it is. */
struct ref {
	uint32_t mode, filesize, namesize;
	size_t name_off, data_off;
};

/* 1 for an entry, 0 for the trailer, else the -CPIO_ERR_* the reader owes. */
static int ref_entry(const uint8_t *a, size_t size, size_t pos, struct ref *r)
{
	uint32_t f[13];

	if (size < HDR_LEN || pos > size - HDR_LEN)
		return -CPIO_ERR_TRUNCATED;
	if (memcmp(a + pos, "070701", 6) != 0)
		return -CPIO_ERR_BADMAGIC;
	for (int i = 0; i < 13; i++) {
		if (!hex8(a + pos + 6 + 8 * i, &f[i]))
			return -CPIO_ERR_BADHEX;
	}
	r->mode = f[1];
	r->filesize = f[6];
	r->namesize = f[11];
	r->name_off = pos + HDR_LEN;
	if (r->namesize == 0)
		return -CPIO_ERR_BADNAME;
	if (r->namesize > size - r->name_off)
		return -CPIO_ERR_TRUNCATED;
	if (memchr(a + r->name_off, 0, r->namesize) != a + r->name_off + r->namesize - 1)
		return -CPIO_ERR_BADNAME;
	r->data_off = align4(r->name_off + r->namesize);
	if (r->data_off > size || r->filesize > size - r->data_off)
		return -CPIO_ERR_TRUNCATED;
	if (r->namesize == 11 && memcmp(a + r->name_off, "TRAILER!!!", 11) == 0)
		return 0;
	return 1;
}

static const char *skip_dot_slash(const char *name)
{
	return name[0] == '.' && name[1] == '/' ? name + 2 : name;
}

/* cpio_find() of `name` against the walk's entries and its end. */
static void check_find(const uint8_t *a, size_t size, const struct cpio_entry *ent, size_t n,
		       int end, const char *name)
{
	const char *q = skip_dot_slash(name);
	const struct cpio_entry *want = NULL;
	const void *data = NULL;
	size_t len = 0;
	int r = cpio_find(a, size, name, &data, &len);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(ent[i].name, q) == 0)
			want = &ent[i];
	}
	if (end < 0)
		EXPECT(r == end);
	else if (!want || q[0] == '\0')
		EXPECT(r == -CPIO_ERR_NOTFOUND);
	else if ((want->mode & CPIO_S_IFMT) != CPIO_S_IFREG)
		EXPECT(r == -CPIO_ERR_NOTREG);
	else
		EXPECT(r == 0 && data == want->data && len == want->size);
	EXPECT(strcmp(cpio_strerror(r), "unknown error") != 0);
}

/* Each regular file, as exec would check it. */
static void check_exec(const struct cpio_entry *e)
{
	static struct elf_info info;
	int rc;

	if ((e->mode & CPIO_S_IFMT) != CPIO_S_IFREG)
		return;
	rc = elf_check(e->data, e->size, &info, NULL, 0);
	EXPECT(rc == 0 || (rc < 0 && rc > -ELF_NERRORS));
	for (unsigned i = 0; rc == 0 && i < info.nsegs; i++)
		EXPECT(info.seg[i].offset <= e->size &&
		       info.seg[i].filesz <= e->size - info.seg[i].offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const extra[] = {"init", "./bin/hello", "bin/hello", "", "./", "."};
	size_t max = size / MIN_ENTRY, n = 0, pos;
	struct cpio_entry *ent = malloc((max + 1) * sizeof(*ent));
	struct cpio_iter it;
	struct cpio_entry e;
	struct ref ref;
	int r, want;

	cpio_iter_init(&it, data, size);
	for (;;) {
		pos = it.pos;
		EXPECT(pos <= size);
		want = ref_entry(data, size, pos, &ref);
		r = cpio_next(&it, &e);
		EXPECT(r == want);
		if (r <= 0) {
			EXPECT(it.pos == pos);
			break;
		}
		EXPECT(++n <= max);
		/* The name: at the header's end, "./" skipped, terminated in bounds. */
		const char *raw = (const char *)data + ref.name_off;
		EXPECT(e.name == skip_dot_slash(raw));
		EXPECT(str_within(e.name, data, size));
		EXPECT(strlen(raw) + 1 == ref.namesize);
		/* The data: after the name's padding, inside the archive. */
		EXPECT(e.mode == ref.mode && e.size == ref.filesize);
		EXPECT(e.data == data + ref.data_off && within(e.data, e.size, data, size));
		/* The walk: to the next 4-byte boundary, or parked at the end. */
		size_t next = align4(ref.data_off + ref.filesize);
		EXPECT(it.pos == (next <= size ? next : size));
		EXPECT(it.pos >= pos + MIN_ENTRY || it.pos == size);
		ent[n - 1] = e;
	}
	EXPECT(r == 0 || (r < 0 && r > -CPIO_NERRORS));
	/* Sticky: the trailer or the error, again and again. */
	EXPECT(cpio_next(&it, &e) == r && cpio_next(&it, &e) == r && it.pos == pos);

	for (size_t i = 0; i < n; i++) {
		check_find(data, size, ent, n, r, ent[i].name);
		if (r == 0)
			check_exec(&ent[i]);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		check_find(data, size, ent, n, r, extra[i]);
	free(ent);
	return 0;
}
