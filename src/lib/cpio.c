/*
 * cpio.c: bounds-checked reading of cpio "newc" archives.
 *
 * Owns nothing but the format's rules; the archive is never written.
 *
 * Invariants:
 *  - Before a byte of an entry is used, the whole entry (header, name and
 *    the name's padding, data) is known to lie in [0, size). Every range
 *    check is written as "n <= size - pos" with pos <= size already known,
 *    so no sum can wrap, whatever the 32-bit header fields say.
 *  - A name is used only after its one NUL has been found at its last
 *    byte, so string functions on it stay inside the archive.
 *  - Each entry moves the walk forward by at least 112 bytes (110 of header,
 *    a name of at least one byte, padding to 4), so a walk over `size` bytes
 *    ends after at most size / 112 entries: no input can make it loop.
 */
#include "src/lib/cpio.h"

#include <stdbool.h>

#include "src/lib/string.h"

#define MAGIC     "070701"
#define MAGIC_LEN 6
#define FIELD_LEN 8 /* each numeric field: 8 hex digits, a 32-bit value */
#define HDR_LEN   110

#define TRAILER     "TRAILER!!!"
#define TRAILER_LEN 11 /* with its NUL, as namesize counts it */

/* The thirteen header fields, in archive order. */
enum field {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	NFIELDS
};

_Static_assert(MAGIC_LEN + NFIELDS * FIELD_LEN == HDR_LEN, "newc header layout");

const char *cpio_strerror(int err)
{
	static const char *const msg[CPIO_NERRORS] = {
	    [CPIO_OK] = "no error",
	    [CPIO_ERR_NOTFOUND] = "no such file in the archive",
	    [CPIO_ERR_NOTREG] = "not a regular file",
	    [CPIO_ERR_TRUNCATED] = "archive truncated (an entry runs past its end, or no trailer)",
	    [CPIO_ERR_BADMAGIC] = "bad header magic (not a newc archive)",
	    [CPIO_ERR_BADHEX] = "header field is not hexadecimal",
	    [CPIO_ERR_BADNAME] = "bad name size or unterminated name",
	};

	if (err < 0)
		err = -err;
	if (err >= CPIO_NERRORS)
		return "unknown error";
	return msg[err];
}

/* ---- Bounds ---- */

/* True if [pos, pos + n) lies inside an archive of `size` bytes. */
static bool fits(size_t size, size_t pos, size_t n)
{
	return pos <= size && n <= size - pos;
}

/*
 * Round pos up to a multiple of 4 into *out, if the result is still at
 * most size (the padding itself must be inside the archive).
 */
static bool align4_in(size_t size, size_t pos, size_t *out)
{
	size_t pad = (4 - (pos & 3)) & 3;

	if (!fits(size, pos, pad))
		return false;
	*out = pos + pad;
	return true;
}

/* ---- Header fields ---- */

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly FIELD_LEN hex digits; no sign, no spaces, no "0x". */
static bool hex_field(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < FIELD_LEN; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

/* The parts of one entry, as offsets validated against the archive. */
struct raw_entry {
	uint32_t mode;
	uint32_t filesize;
	uint32_t namesize; /* counting the NUL */
	size_t name_off;
	size_t data_off;
};

/* Decode and check the entry whose header starts at it->pos. */
static int read_entry(const struct cpio_iter *it, struct raw_entry *r)
{
	const uint8_t *h;
	const char *name;
	uint32_t f[NFIELDS];

	if (!fits(it->size, it->pos, HDR_LEN))
		return -CPIO_ERR_TRUNCATED;
	h = it->archive + it->pos;
	if (memcmp(h, MAGIC, MAGIC_LEN) != 0)
		return -CPIO_ERR_BADMAGIC;
	for (int i = 0; i < NFIELDS; i++) {
		if (!hex_field(h + MAGIC_LEN + i * FIELD_LEN, &f[i]))
			return -CPIO_ERR_BADHEX;
	}

	r->mode = f[F_MODE];
	r->filesize = f[F_FILESIZE];
	r->namesize = f[F_NAMESIZE];
	r->name_off = it->pos + HDR_LEN;
	if (r->namesize == 0)
		return -CPIO_ERR_BADNAME;
	if (!fits(it->size, r->name_off, r->namesize))
		return -CPIO_ERR_TRUNCATED;
	/* Exactly one NUL, at the end: a shorter string would hide bytes. */
	name = (const char *)it->archive + r->name_off;
	if (strnlen(name, r->namesize) != r->namesize - 1)
		return -CPIO_ERR_BADNAME;
	if (!align4_in(it->size, r->name_off + r->namesize, &r->data_off))
		return -CPIO_ERR_TRUNCATED;
	if (!fits(it->size, r->data_off, r->filesize))
		return -CPIO_ERR_TRUNCATED;
	return 0;
}

static bool is_trailer(const struct cpio_iter *it, const struct raw_entry *r)
{
	return r->namesize == TRAILER_LEN &&
	       memcmp(it->archive + r->name_off, TRAILER, TRAILER_LEN) == 0;
}

/* One leading "./" is not part of a name. */
static const char *skip_dot_slash(const char *name)
{
	if (name[0] == '.' && name[1] == '/')
		return name + 2;
	return name;
}

/* ---- The walk ---- */

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t size)
{
	it->archive = archive;
	it->size = size;
	it->pos = 0;
	it->state = 0;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	struct raw_entry r;
	size_t end;
	int err;

	if (it->state != 0)
		return it->state > 0 ? 0 : it->state;
	err = read_entry(it, &r);
	if (err < 0) {
		it->state = err;
		return err;
	}
	if (is_trailer(it, &r)) {
		it->state = 1;
		return 0;
	}

	e->name = skip_dot_slash((const char *)it->archive + r.name_off);
	e->mode = r.mode;
	e->size = r.filesize;
	e->data = it->archive + r.data_off;

	/*
	 * The data's padding need only exist if another header follows; if it
	 * runs past the end, park at the end so the next read says TRUNCATED.
	 */
	end = r.data_off + r.filesize;
	if (!align4_in(it->size, end, &it->pos))
		it->pos = it->size;
	return 1;
}

int cpio_find(const void *archive, size_t size, const char *name, const void **data, size_t *len)
{
	struct cpio_iter it;
	struct cpio_entry e, found = {0};
	bool have = false;
	int r;

	name = skip_dot_slash(name);
	cpio_iter_init(&it, archive, size);
	while ((r = cpio_next(&it, &e)) > 0) {
		if (strcmp(e.name, name) == 0) {
			found = e;
			have = true;
		}
	}
	if (r < 0)
		return r;
	if (!have || name[0] == '\0')
		return -CPIO_ERR_NOTFOUND;
	if ((found.mode & CPIO_S_IFMT) != CPIO_S_IFREG)
		return -CPIO_ERR_NOTREG;
	*data = found.data;
	*len = found.size;
	return 0;
}
