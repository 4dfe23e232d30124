/*
 * fdt.c: bounds-checked reading of a flattened device tree.
 *
 * Owns nothing but the validation rules; the blob is never written.
 *
 * Invariants:
 *  - After fdt_init() succeeds, the header's three blocks lie inside
 *    [0, totalsize), do not overlap each other or the header, and the
 *    structure block is a balanced token stream ending in END whose names
 *    are terminated in bounds. fdt_init() rejects everything else.
 *  - Every read goes through token_at() / str_len_in() or an explicit
 *    length check, computed in 64 bits so no length can wrap. Validation
 *    or not, nothing here reads outside the blob.
 *  - Every loop over tokens moves strictly forward through a block of at
 *    most 2 GiB, so every walk terminates, whatever the input.
 *
 * Needs no libc: the few string helpers it uses are the static ones below.
 */
#include "src/lib/fdt.h"

/* Structure block tokens. */
#define TOK_BEGIN_NODE 1U
#define TOK_END_NODE   2U
#define TOK_PROP       3U
#define TOK_NOP        4U
#define TOK_END        9U

/* Header word offsets (bytes). */
#define HDR_MAGIC        0
#define HDR_TOTALSIZE    4
#define HDR_OFF_STRUCT   8
#define HDR_OFF_STRINGS  12
#define HDR_OFF_RSVMAP   16
#define HDR_VERSION      20
#define HDR_LAST_COMP    24
#define HDR_BOOT_CPUID   28
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT  36
#define HDR_LEN_V16      36 /* v16 has no size_dt_struct */
#define HDR_LEN_V17      40

#define RSV_ENTRY_LEN 16

/* ---- Small helpers (no libc) ---- */

uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t fdt_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)fdt_be32(b) << 32 | fdt_be32(b + 4);
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/*
 * Length of the string at p if a NUL occurs within the first `avail`
 * bytes; false otherwise. Reads at most `avail` bytes.
 */
static bool str_len_in(const uint8_t *p, uint64_t avail, uint32_t *len)
{
	for (uint64_t i = 0; i < avail; i++) {
		if (p[i] == 0) {
			*len = (uint32_t)i;
			return true;
		}
	}
	return false;
}

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~(uint64_t)3;
}

const char *fdt_strerror(int err)
{
	static const char *const msg[FDT_NERRORS] = {
	    [FDT_OK] = "no error",
	    [FDT_ERR_NOTFOUND] = "not found",
	    [FDT_ERR_TRUNCATED] = "blob truncated",
	    [FDT_ERR_BADMAGIC] = "bad magic",
	    [FDT_ERR_BADVERSION] = "unsupported version",
	    [FDT_ERR_BADLAYOUT] = "block out of bounds, misaligned or overlapping",
	    [FDT_ERR_BADRSVMAP] = "memreserve block not terminated",
	    [FDT_ERR_BADSTRUCTURE] = "malformed structure block",
	    [FDT_ERR_BADSTRING] = "unterminated or out-of-bounds name",
	    [FDT_ERR_TOODEEP] = "nodes nested too deep",
	    [FDT_ERR_BADOFFSET] = "bad node or property offset",
	    [FDT_ERR_BADVALUE] = "property has an unexpected length",
	};

	if (err < 0)
		err = -err;
	if (err >= FDT_NERRORS)
		return "unknown error";
	return msg[err];
}

/* ---- Tokens ---- */

/*
 * Decode the token at structure offset `off`: its tag and the offset of
 * the token after it. False if the token (with its name or value) does not
 * fit in the structure block or the offset is misaligned.
 */
static bool token_at(const struct fdt *t, int off, uint32_t *tag, uint32_t *next)
{
	const uint8_t *s = t->blob + t->struct_off;
	uint64_t end;
	uint32_t n;

	if (off < 0 || (off & 3) || (uint64_t)off + 4 > t->struct_size)
		return false;
	*tag = fdt_be32(s + off);
	switch (*tag) {
	case TOK_BEGIN_NODE:
		if (!str_len_in(s + off + 4, t->struct_size - ((uint64_t)off + 4), &n))
			return false;
		end = align4((uint64_t)off + 4 + n + 1);
		break;
	case TOK_PROP:
		if ((uint64_t)off + 12 > t->struct_size)
			return false;
		end = align4((uint64_t)off + 12 + fdt_be32(s + off + 4));
		break;
	default:
		end = (uint64_t)off + 4;
		break;
	}
	if (end > t->struct_size)
		return false;
	*next = (uint32_t)end;
	return true;
}

/* The property name at strings offset `nameoff`, or NULL if out of bounds. */
static const char *string_at(const struct fdt *t, uint32_t nameoff)
{
	uint32_t n;

	if (nameoff >= t->strings_size)
		return NULL;
	if (!str_len_in(t->blob + t->strings_off + nameoff, t->strings_size - nameoff, &n))
		return NULL;
	return (const char *)t->blob + t->strings_off + nameoff;
}

/* ---- Validation ---- */

static int fail(struct fdt *t, int err, uint32_t value)
{
	t->bad_value = value;
	return -err;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Count memreserve entries up to the all-zero terminator. */
static int check_rsvmap(struct fdt *t)
{
	uint64_t off = t->rsvmap_off;

	t->nrsv = 0;
	for (;;) {
		if (off + RSV_ENTRY_LEN > t->totalsize)
			return fail(t, FDT_ERR_BADRSVMAP, t->rsvmap_off);
		const uint8_t *e = t->blob + off;
		if (fdt_be64(e) == 0 && fdt_be64(e + 8) == 0)
			return 0;
		t->nrsv++;
		off += RSV_ENTRY_LEN;
	}
}

/* Each block starts aligned, after the header, and ends inside totalsize. */
static int check_bounds(struct fdt *t, uint32_t hdrlen)
{
	if ((t->struct_off & 3) || t->struct_off < hdrlen ||
	    (uint64_t)t->struct_off + t->struct_size > t->totalsize)
		return fail(t, FDT_ERR_BADLAYOUT, t->struct_off);
	if (t->strings_off < hdrlen || (uint64_t)t->strings_off + t->strings_size > t->totalsize)
		return fail(t, FDT_ERR_BADLAYOUT, t->strings_off);
	if ((t->rsvmap_off & 7) || t->rsvmap_off < hdrlen ||
	    (uint64_t)t->rsvmap_off + RSV_ENTRY_LEN > t->totalsize)
		return fail(t, FDT_ERR_BADLAYOUT, t->rsvmap_off);
	return 0;
}

/* No two blocks share a byte (the memreserve block's length is known now). */
static int check_overlap(struct fdt *t)
{
	uint64_t rsvlen = (uint64_t)(t->nrsv + 1) * RSV_ENTRY_LEN;

	if (ranges_overlap(t->struct_off, t->struct_size, t->strings_off, t->strings_size))
		return fail(t, FDT_ERR_BADLAYOUT, t->strings_off);
	if (ranges_overlap(t->rsvmap_off, rsvlen, t->struct_off, t->struct_size) ||
	    ranges_overlap(t->rsvmap_off, rsvlen, t->strings_off, t->strings_size))
		return fail(t, FDT_ERR_BADLAYOUT, t->rsvmap_off);
	return 0;
}

/*
 * Walk the whole structure block once: one root node, balanced nesting no
 * deeper than FDT_MAX_DEPTH, properties only inside nodes with names in the
 * strings block, and an END token after the root closes.
 */
static int check_structure(struct fdt *t)
{
	int off = 0, depth = 0;
	bool seen_root = false;
	uint32_t tag, next;

	for (;;) {
		if (!token_at(t, off, &tag, &next))
			return fail(t, FDT_ERR_BADSTRUCTURE, (uint32_t)off);
		switch (tag) {
		case TOK_BEGIN_NODE:
			if (depth == 0 && seen_root)
				return fail(t, FDT_ERR_BADSTRUCTURE, (uint32_t)off);
			seen_root = true;
			if (++depth > FDT_MAX_DEPTH)
				return fail(t, FDT_ERR_TOODEEP, (uint32_t)off);
			break;
		case TOK_END_NODE:
			if (depth == 0)
				return fail(t, FDT_ERR_BADSTRUCTURE, (uint32_t)off);
			depth--;
			break;
		case TOK_PROP:
			if (depth == 0)
				return fail(t, FDT_ERR_BADSTRUCTURE, (uint32_t)off);
			if (!string_at(t, fdt_be32(t->blob + t->struct_off + off + 8)))
				return fail(t, FDT_ERR_BADSTRING, (uint32_t)off);
			break;
		case TOK_NOP:
			break;
		case TOK_END:
			if (depth != 0 || !seen_root)
				return fail(t, FDT_ERR_BADSTRUCTURE, (uint32_t)off);
			return 0;
		default:
			return fail(t, FDT_ERR_BADSTRUCTURE, (uint32_t)off);
		}
		off = (int)next;
	}
}

int fdt_init(struct fdt *t, const void *blob, size_t bufsize)
{
	const uint8_t *b = blob;
	uint32_t hdrlen;
	int err;

	t->blob = b;
	t->totalsize = 0;
	t->struct_size = 0;
	t->strings_size = 0;
	t->nrsv = 0;
	t->bad_value = 0;
	if (bufsize < HDR_LEN_V17)
		return fail(t, FDT_ERR_TRUNCATED, (uint32_t)bufsize);
	if (fdt_be32(b + HDR_MAGIC) != FDT_MAGIC)
		return fail(t, FDT_ERR_BADMAGIC, fdt_be32(b + HDR_MAGIC));
	t->version = fdt_be32(b + HDR_VERSION);
	if (t->version < 16)
		return fail(t, FDT_ERR_BADVERSION, t->version);
	if (fdt_be32(b + HDR_LAST_COMP) > 17)
		return fail(t, FDT_ERR_BADVERSION, fdt_be32(b + HDR_LAST_COMP));
	hdrlen = t->version >= 17 ? HDR_LEN_V17 : HDR_LEN_V16;

	/* Offsets are ints, so refuse blobs of 2 GiB and more outright. */
	t->totalsize = fdt_be32(b + HDR_TOTALSIZE);
	if (t->totalsize < hdrlen || t->totalsize > 0x7fffffffU)
		return fail(t, FDT_ERR_BADLAYOUT, t->totalsize);
	if (t->totalsize > bufsize)
		return fail(t, FDT_ERR_TRUNCATED, t->totalsize);

	t->struct_off = fdt_be32(b + HDR_OFF_STRUCT);
	t->strings_off = fdt_be32(b + HDR_OFF_STRINGS);
	t->rsvmap_off = fdt_be32(b + HDR_OFF_RSVMAP);
	t->boot_cpuid = fdt_be32(b + HDR_BOOT_CPUID);
	t->strings_size = fdt_be32(b + HDR_SIZE_STRINGS);
	if (t->version >= 17) {
		t->struct_size = fdt_be32(b + HDR_SIZE_STRUCT);
	} else if (t->struct_off <= t->totalsize) {
		/* v16: the structure block runs up to the strings or the end. */
		uint32_t end = t->strings_off > t->struct_off ? t->strings_off : t->totalsize;
		t->struct_size = (end <= t->totalsize ? end : t->totalsize) - t->struct_off;
	}
	if ((err = check_bounds(t, hdrlen)) < 0 || (err = check_rsvmap(t)) < 0 ||
	    (err = check_overlap(t)) < 0)
		return err;
	return check_structure(t);
}

bool fdt_read_cells(const void *data, uint32_t len, uint32_t *pos, uint32_t ncells, uint64_t *out)
{
	const uint8_t *d = data;
	uint64_t v = 0;

	if (ncells > 2 || (uint64_t)*pos + 4ULL * ncells > len)
		return false;
	for (uint32_t i = 0; i < ncells; i++)
		v = v << 32 | fdt_be32(d + *pos + 4 * i);
	*pos += 4 * ncells;
	*out = v;
	return true;
}

bool fdt_memreserve(const struct fdt *t, uint32_t idx, uint64_t *addr, uint64_t *size)
{
	uint64_t off = t->rsvmap_off + (uint64_t)idx * RSV_ENTRY_LEN;

	if (idx >= t->nrsv || off + RSV_ENTRY_LEN > t->totalsize)
		return false;
	*addr = fdt_be64(t->blob + off);
	*size = fdt_be64(t->blob + off + 8);
	return true;
}

/* ---- Nodes ---- */

int fdt_root(const struct fdt *t)
{
	uint32_t tag, next;
	int off = 0;

	/* Only NOPs may precede the root (check_structure saw to that). */
	while (token_at(t, off, &tag, &next)) {
		if (tag == TOK_BEGIN_NODE)
			return off;
		if (tag != TOK_NOP)
			break;
		off = (int)next;
	}
	return -FDT_ERR_BADSTRUCTURE;
}

const char *fdt_node_name(const struct fdt *t, int node)
{
	uint32_t tag, next;

	if (!token_at(t, node, &tag, &next) || tag != TOK_BEGIN_NODE)
		return NULL;
	return (const char *)t->blob + t->struct_off + node + 4;
}

bool fdt_node_name_is(const struct fdt *t, int node, const char *base)
{
	const char *name = fdt_node_name(t, node);

	if (!name)
		return false;
	while (*base && *name == *base) {
		name++;
		base++;
	}
	return *base == 0 && (*name == 0 || *name == '@');
}

int fdt_next_node(const struct fdt *t, int node, int *depth)
{
	uint32_t tag, next;
	int off;

	if (!token_at(t, node, &tag, &next) || tag != TOK_BEGIN_NODE)
		return -FDT_ERR_BADOFFSET;
	for (off = (int)next;; off = (int)next) {
		if (!token_at(t, off, &tag, &next))
			return -FDT_ERR_BADSTRUCTURE;
		switch (tag) {
		case TOK_BEGIN_NODE:
			(*depth)++;
			return off;
		case TOK_END_NODE:
			(*depth)--;
			break;
		case TOK_PROP:
		case TOK_NOP:
			break;
		case TOK_END:
			return -FDT_ERR_NOTFOUND;
		default:
			return -FDT_ERR_BADSTRUCTURE;
		}
	}
}

int fdt_first_child(const struct fdt *t, int node)
{
	int depth = 0;
	int n = fdt_next_node(t, node, &depth);

	if (n < 0)
		return n == -FDT_ERR_BADOFFSET ? n : -FDT_ERR_NOTFOUND;
	return depth == 1 ? n : -FDT_ERR_NOTFOUND;
}

int fdt_next_sibling(const struct fdt *t, int node)
{
	int depth = 0;
	int n = node;

	/* Skip the node's descendants (depth > 0); stop at its parent's end. */
	do {
		n = fdt_next_node(t, n, &depth);
		if (n < 0)
			return n == -FDT_ERR_BADOFFSET ? n : -FDT_ERR_NOTFOUND;
	} while (depth > 0);
	return depth == 0 ? n : -FDT_ERR_NOTFOUND;
}

int fdt_parent(const struct fdt *t, int node)
{
	int stack[FDT_MAX_DEPTH + 1];
	int depth = 0;
	int n = fdt_root(t);

	stack[0] = n;
	while (n >= 0 && n != node) {
		n = fdt_next_node(t, n, &depth);
		if (n < 0 || depth < 0 || depth > FDT_MAX_DEPTH)
			return -FDT_ERR_NOTFOUND;
		stack[depth] = n;
	}
	if (n < 0)
		return n;
	return depth > 0 ? stack[depth - 1] : -FDT_ERR_NOTFOUND;
}

/* Whether a node's name matches path component comp[0..len). */
static bool name_matches(const char *name, const char *comp, size_t len, bool exact)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (name[i] != comp[i])
			return false;
	}
	return name[i] == 0 || (!exact && name[i] == '@');
}

static bool has_at(const char *comp, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (comp[i] == '@')
			return true;
	}
	return false;
}

/* The child of `node` named comp[0..len) (see fdt_path() for the rule). */
static int child_named(const struct fdt *t, int node, const char *comp, size_t len)
{
	bool exact = has_at(comp, len);
	int c, loose = -FDT_ERR_NOTFOUND;

	fdt_for_each_child(t, node, c)
	{
		const char *name = fdt_node_name(t, c);
		if (name_matches(name, comp, len, true))
			return c;
		if (!exact && loose < 0 && name_matches(name, comp, len, false))
			loose = c;
	}
	return loose;
}

int fdt_path_len(const struct fdt *t, const char *path, size_t len)
{
	int node = fdt_root(t);
	size_t i = 0;

	if (len == 0 || path[0] != '/')
		return -FDT_ERR_NOTFOUND;
	while (node >= 0) {
		while (i < len && path[i] == '/')
			i++;
		if (i >= len || path[i] == 0)
			return node;
		size_t start = i;
		while (i < len && path[i] && path[i] != '/')
			i++;
		node = child_named(t, node, path + start, i - start);
	}
	return node;
}

int fdt_path(const struct fdt *t, const char *path)
{
	size_t len = 0;

	while (path[len])
		len++;
	return fdt_path_len(t, path, len);
}

int fdt_find_compatible(const struct fdt *t, int from, const char *compat)
{
	int depth = 0;
	int n = from < 0 ? fdt_root(t) : fdt_next_node(t, from, &depth);

	for (; n >= 0; n = fdt_next_node(t, n, &depth)) {
		if (fdt_is_compatible(t, n, compat))
			return n;
	}
	return n;
}

int fdt_find_phandle(const struct fdt *t, uint32_t phandle)
{
	int depth = 0;
	uint32_t v;

	if (phandle == 0 || phandle == 0xffffffffU)
		return -FDT_ERR_NOTFOUND;
	for (int n = fdt_root(t); n >= 0; n = fdt_next_node(t, n, &depth)) {
		if ((fdt_getprop_u32(t, n, "phandle", &v) ||
		     fdt_getprop_u32(t, n, "linux,phandle", &v)) &&
		    v == phandle)
			return n;
	}
	return -FDT_ERR_NOTFOUND;
}

/* ---- Properties ---- */

/*
 * The first property at or after `off` (skipping NOPs) in the same node:
 * one fdt_prop_at accepts. A validated blob's properties all have names in
 * bounds; an offset the caller made up may land inside a value that looks
 * like a property token, whose name offset is anything (found by fuzz_fdt).
 */
static int prop_from(const struct fdt *t, int off)
{
	const uint8_t *s = t->blob + t->struct_off;
	uint32_t tag, next;

	while (token_at(t, off, &tag, &next)) {
		if (tag == TOK_PROP)
			return string_at(t, fdt_be32(s + off + 8)) ? off : -FDT_ERR_BADSTRING;
		if (tag != TOK_NOP)
			return -FDT_ERR_NOTFOUND;
		off = (int)next;
	}
	return -FDT_ERR_BADSTRUCTURE;
}

int fdt_first_prop(const struct fdt *t, int node)
{
	uint32_t tag, next;

	if (!token_at(t, node, &tag, &next) || tag != TOK_BEGIN_NODE)
		return -FDT_ERR_BADOFFSET;
	return prop_from(t, (int)next);
}

int fdt_next_prop(const struct fdt *t, int prop)
{
	uint32_t tag, next;

	if (!token_at(t, prop, &tag, &next) || tag != TOK_PROP)
		return -FDT_ERR_BADOFFSET;
	return prop_from(t, (int)next);
}

int fdt_prop_at(const struct fdt *t, int prop, struct fdt_prop *out)
{
	const uint8_t *p = t->blob + t->struct_off + prop;
	uint32_t tag, next;

	if (!token_at(t, prop, &tag, &next) || tag != TOK_PROP)
		return -FDT_ERR_BADOFFSET;
	out->name = string_at(t, fdt_be32(p + 8));
	if (!out->name)
		return -FDT_ERR_BADSTRING;
	out->len = fdt_be32(p + 4);
	out->data = p + 12;
	return 0;
}

const void *fdt_getprop(const struct fdt *t, int node, const char *name, uint32_t *lenp)
{
	struct fdt_prop p;
	int off;

	fdt_for_each_prop(t, node, off)
	{
		if (fdt_prop_at(t, off, &p) == 0 && str_eq(p.name, name)) {
			if (lenp)
				*lenp = p.len;
			return p.data;
		}
	}
	return NULL;
}

bool fdt_has_prop(const struct fdt *t, int node, const char *name)
{
	return fdt_getprop(t, node, name, NULL) != NULL;
}

const char *fdt_getprop_str(const struct fdt *t, int node, const char *name)
{
	uint32_t len, n;
	const char *s = fdt_getprop(t, node, name, &len);

	if (!s || !str_len_in((const uint8_t *)s, len, &n))
		return NULL;
	return s;
}

bool fdt_getprop_u32(const struct fdt *t, int node, const char *name, uint32_t *out)
{
	uint32_t len;
	const void *p = fdt_getprop(t, node, name, &len);

	if (!p || len != 4)
		return false;
	*out = fdt_be32(p);
	return true;
}

bool fdt_getprop_u64(const struct fdt *t, int node, const char *name, uint64_t *out)
{
	uint32_t len;
	const void *p = fdt_getprop(t, node, name, &len);

	if (!p || len != 8)
		return false;
	*out = fdt_be64(p);
	return true;
}

bool fdt_getprop_uint(const struct fdt *t, int node, const char *name, uint64_t *out)
{
	uint32_t len, pos = 0;
	const void *p = fdt_getprop(t, node, name, &len);

	if (!p || (len != 4 && len != 8))
		return false;
	return fdt_read_cells(p, len, &pos, len / 4, out);
}

bool fdt_stringlist_contains(const void *data, uint32_t len, const char *s)
{
	const char *d = data;
	uint32_t i = 0;

	/* Each entry runs to its NUL; an unterminated last entry to len. */
	while (i < len) {
		uint32_t j = 0;
		while (i + j < len && d[i + j] && s[j] == d[i + j])
			j++;
		if (s[j] == 0 && (i + j == len || d[i + j] == 0))
			return true;
		while (i < len && d[i])
			i++;
		i++;
	}
	return false;
}

bool fdt_prop_has_string(const struct fdt *t, int node, const char *name, const char *s)
{
	uint32_t len;
	const void *p = fdt_getprop(t, node, name, &len);

	return p && fdt_stringlist_contains(p, len, s);
}

bool fdt_is_compatible(const struct fdt *t, int node, const char *compat)
{
	return fdt_prop_has_string(t, node, "compatible", compat);
}

uint32_t fdt_address_cells(const struct fdt *t, int node)
{
	uint32_t v;

	return fdt_getprop_u32(t, node, "#address-cells", &v) ? v : 2;
}

uint32_t fdt_size_cells(const struct fdt *t, int node)
{
	uint32_t v;

	return fdt_getprop_u32(t, node, "#size-cells", &v) ? v : 1;
}

int fdt_reg(const struct fdt *t, int node, uint32_t idx, uint64_t *base, uint64_t *size)
{
	int parent = fdt_parent(t, node);
	uint32_t ac, sc, len, pos;
	uint64_t b, s;
	const void *reg;

	if (parent < 0)
		return -FDT_ERR_NOTFOUND;
	ac = fdt_address_cells(t, parent);
	sc = fdt_size_cells(t, parent);
	if (ac == 0 || ac > 2 || sc > 2)
		return -FDT_ERR_BADVALUE;
	reg = fdt_getprop(t, node, "reg", &len);
	if (!reg)
		return -FDT_ERR_NOTFOUND;
	if (len % (4 * (ac + sc)))
		return -FDT_ERR_BADVALUE;
	if (idx >= len / (4 * (ac + sc)))
		return -FDT_ERR_NOTFOUND;
	pos = idx * 4 * (ac + sc);
	if (!fdt_read_cells(reg, len, &pos, ac, &b) || !fdt_read_cells(reg, len, &pos, sc, &s))
		return -FDT_ERR_BADVALUE;
	*base = b;
	if (size)
		*size = s;
	return 0;
}
