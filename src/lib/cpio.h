/*
 * cpio.h: kine's reader for cpio "newc" archives (the boot image).
 *
 * The boot loader hands the boot image over as the initrd; it is treated as
 * hostile. Every header is checked before anything in it is used, so a
 * truncated or damaged archive yields an error code, never a read outside
 * [archive, archive + size) and never an endless walk. Nothing here writes
 * to the archive or allocates memory.
 *
 * The format, as this reader accepts it: a sequence of entries, each a
 * 110-byte ASCII header ("070701" and thirteen 8-digit hex fields), the name
 * (namesize bytes, counting its NUL), zero padding so the name ends 4-byte
 * aligned, then filesize bytes of data, padded to 4 bytes. The entry named
 * "TRAILER!!!" ends the archive; whatever follows it (cpio pads to 512
 * bytes) is ignored. Offsets count from the start of the archive, which
 * itself need not be aligned.
 *
 * Names: one leading "./" is not part of the name, so "./bin/sh" and
 * "bin/sh" are the same entry, both in the archive and in a lookup.
 *
 * Functions return 0 (or, for cpio_next(), 1) on success and a negative
 * -CPIO_ERR_* code on failure; cpio_strerror() describes either sign.
 *
 * Typical use:
 *	const void *elf;
 *	size_t len;
 *	int r = cpio_find(initrd, initrd_size, "init", &elf, &len);
 *	if (r < 0)
 *		kprintf("init: %s\n", cpio_strerror(r));
 */
#ifndef KINE_LIB_CPIO_H
#define KINE_LIB_CPIO_H

#include <stddef.h>
#include <stdint.h>

enum cpio_error {
	CPIO_OK = 0,
	CPIO_ERR_NOTFOUND,  /* no entry of that name before the trailer */
	CPIO_ERR_NOTREG,    /* the name exists but is not a regular file */
	CPIO_ERR_TRUNCATED, /* an entry runs past the end, or there is no trailer */
	CPIO_ERR_BADMAGIC,  /* a header does not start with "070701" */
	CPIO_ERR_BADHEX,    /* a header field holds a character that is not a hex digit */
	CPIO_ERR_BADNAME,   /* namesize is 0, or the name's only NUL is not its last byte */
	CPIO_NERRORS
};

/* File types in cpio_entry.mode (the st_mode bits cpio stores). */
#define CPIO_S_IFMT  0170000U
#define CPIO_S_IFDIR 0040000U
#define CPIO_S_IFREG 0100000U
#define CPIO_S_IFLNK 0120000U

/* One entry, pointing into the archive (valid while the archive is). */
struct cpio_entry {
	const char *name; /* NUL-terminated; a leading "./" skipped */
	uint32_t mode;    /* type and permission bits */
	size_t size;      /* bytes of data */
	const void *data; /* size bytes inside the archive */
};

/*
 * A walk over the archive. `pos` is the offset of the next header to read;
 * after an error it stays at the header that failed, for messages.
 */
struct cpio_iter {
	const uint8_t *archive;
	size_t size;
	size_t pos;
	int state; /* 0 walking, 1 trailer reached, < 0 the error that stopped it */
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t size);

/*
 * The next entry into *e: 1 with *e filled in, 0 at the trailer, or a
 * negative -CPIO_ERR_* code. The trailer and errors are sticky: once
 * cpio_next() returns 0 or an error, every later call returns the same.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/*
 * Find the regular file `name` and point *data and *len at its contents.
 * The whole archive up to the trailer must be well formed, even past the
 * entry found, so a damaged boot image is noticed at the first lookup, not
 * after half of it has been used. If a name occurs more than once, the last
 * occurrence wins, as when the archive is extracted.
 */
int cpio_find(const void *archive, size_t size, const char *name, const void **data, size_t *len);

const char *cpio_strerror(int err);

#endif
