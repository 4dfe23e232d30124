/*
 * fuzz_fdt.c: libFuzzer target for the device-tree reader (src/lib/fdt.c)
 * and the machine description read through it (src/arch/riscv/platform.c).
 *
 * Each input is a blob as firmware would hand it to the kernel. Beyond "no
 * crash, no sanitizer report", the target checks what fdt.h and platform.h
 * promise:
 *  - fdt_init() returns 0 or a known -FDT_ERR_* code, and gives the same
 *    answer for the same first totalsize bytes whatever follows them (the
 *    input with its own length, and an exact copy with FDT_SIZE_UNKNOWN);
 *  - an accepted tree is then read only from that exact copy, so any read
 *    past totalsize is an AddressSanitizer report; its header blocks lie
 *    inside totalsize without overlapping, every node name, property name
 *    and value returned lies inside its block and is terminated there, the
 *    walk ends within a bound set by the block's size and nests no deeper
 *    than FDT_MAX_DEPTH, and first child / next sibling / parent / path /
 *    phandle / compatible lookups, the typed getters and fdt_reg() agree
 *    with the walk and with an independent decoding of the values;
 *  - offsets that are not nodes or properties (taken from the input) give
 *    an error or an answer inside the blob;
 *  - platform_from_fdt() fails with a one-line reason, or fills a struct
 *    platform that keeps the invariants platform.h lists, whose strings
 *    point into the blob.
 */
#include "src/arch/riscv/platform.h"
#include "src/lib/fdt.h"
#include "test/fuzz/fuzz_util.h"

#include <strings.h>

#define FDT_PHYS 0x8fe00000ULL /* where virt's firmware puts the tree */

#define PATH_MAX_LEN 512
#define NAME_MAX_LEN 64

/* ---- Blocks ---- */

static const uint8_t *struct_base(const struct fdt *t)
{
	return t->blob + t->struct_off;
}

static bool in_struct(const struct fdt *t, const void *p, size_t n)
{
	return within(p, n, struct_base(t), t->struct_size);
}

static bool str_in_struct(const struct fdt *t, const char *s)
{
	return str_within(s, struct_base(t), t->struct_size);
}

static bool str_in_strings(const struct fdt *t, const char *s)
{
	return str_within(s, t->blob + t->strings_off, t->strings_size);
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The header fields of an accepted tree (fdt.c's first invariant). */
static void check_header(const struct fdt *t, size_t bufsize)
{
	uint64_t rsvlen = ((uint64_t)t->nrsv + 1) * 16;
	uint64_t addr, size;

	EXPECT(t->version >= 16);
	EXPECT(t->totalsize <= bufsize && t->totalsize <= 0x7fffffffU);
	EXPECT((t->struct_off & 3) == 0 && (t->rsvmap_off & 7) == 0);
	EXPECT((uint64_t)t->struct_off + t->struct_size <= t->totalsize);
	EXPECT((uint64_t)t->strings_off + t->strings_size <= t->totalsize);
	EXPECT(t->rsvmap_off + rsvlen <= t->totalsize);
	EXPECT(!overlap(t->struct_off, t->struct_size, t->strings_off, t->strings_size));
	EXPECT(!overlap(t->rsvmap_off, rsvlen, t->struct_off, t->struct_size));
	EXPECT(!overlap(t->rsvmap_off, rsvlen, t->strings_off, t->strings_size));
	for (uint32_t i = 0; i < t->nrsv; i++) {
		EXPECT(fdt_memreserve(t, i, &addr, &size));
		EXPECT(addr == get_be64(t->blob + t->rsvmap_off + 16 * i));
		EXPECT(size == get_be64(t->blob + t->rsvmap_off + 16 * i + 8));
		EXPECT(addr != 0 || size != 0);
	}
	EXPECT(!fdt_memreserve(t, t->nrsv, &addr, &size));
}

/* ---- Properties ---- */

/* The typed getters on the first property named like p, whose value is p. */
static void check_getters(const struct fdt *t, int node, const struct fdt_prop *p)
{
	uint32_t v32;
	uint64_t v64;
	const char *s;

	EXPECT(fdt_getprop_u32(t, node, p->name, &v32) == (p->len == 4));
	if (p->len == 4)
		EXPECT(v32 == get_be32(p->data));
	EXPECT(fdt_getprop_u64(t, node, p->name, &v64) == (p->len == 8));
	if (p->len == 8)
		EXPECT(v64 == get_be64(p->data));
	EXPECT(fdt_getprop_uint(t, node, p->name, &v64) == (p->len == 4 || p->len == 8));
	if (p->len == 4 || p->len == 8)
		EXPECT(v64 == (p->len == 4 ? get_be32(p->data) : get_be64(p->data)));
	s = fdt_getprop_str(t, node, p->name);
	EXPECT((s != NULL) == (p->len > 0 && memchr(p->data, 0, p->len) != NULL));
	if (s) {
		EXPECT(s == p->data);
		/* The first entry of a string list is in the list. */
		EXPECT(fdt_stringlist_contains(p->data, p->len, s));
		EXPECT(fdt_prop_has_string(t, node, p->name, s));
	}
}

/*
 * Every property of the node: inside its blocks, in a bounded number, and
 * found by name (the first of a name wins).
 */
static void check_props(const struct fdt *t, int node)
{
	unsigned n = 0;
	int prop, earlier;

	fdt_for_each_prop(t, node, prop)
	{
		struct fdt_prop p, q;
		const void *data;
		uint32_t len = 0;

		/* A property token takes at least 12 bytes. */
		EXPECT(++n <= t->struct_size / 12);
		EXPECT(fdt_prop_at(t, prop, &p) == 0);
		EXPECT(in_struct(t, (const uint8_t *)struct_base(t) + prop, 12));
		EXPECT(str_in_strings(t, p.name));
		EXPECT(in_struct(t, p.data, p.len));
		EXPECT(p.data == struct_base(t) + prop + 12);
		EXPECT(p.len == get_be32(struct_base(t) + prop + 4));

		/* fdt_getprop() answers with the first property of that name. */
		fdt_for_each_prop(t, node, earlier)
		{
			EXPECT(fdt_prop_at(t, earlier, &q) == 0);
			if (strcmp(q.name, p.name) == 0)
				break;
		}
		EXPECT(earlier >= 0 && earlier <= prop);
		data = fdt_getprop(t, node, p.name, &len);
		EXPECT(data == q.data && len == q.len);
		EXPECT(fdt_has_prop(t, node, p.name));
		if (earlier == prop)
			check_getters(t, node, &p);
	}
	EXPECT(prop == -FDT_ERR_NOTFOUND);
}

/* ---- Nodes ---- */

/* A number of 0, 1 or 2 big-endian cells. */
static uint64_t cells(const uint8_t *p, uint32_t n)
{
	if (n == 0)
		return 0;
	return n == 1 ? get_be32(p) : get_be64(p);
}

/*
 * fdt_reg() against a decoding of "reg" by the parent's cell counts: entry
 * 0, the last entry and the one past it (each call walks from the root).
 */
static void check_reg(const struct fdt *t, int node, int parent)
{
	uint32_t ac = 0, sc = 0, len = 0, entry = 0, n = 0;
	const uint8_t *reg = NULL;
	uint64_t base, size;
	int want = -FDT_ERR_NOTFOUND; /* for every index, unless entries exist */

	if (parent >= 0) {
		ac = fdt_address_cells(t, parent);
		sc = fdt_size_cells(t, parent);
		reg = fdt_getprop(t, node, "reg", &len);
		entry = 4 * (ac + sc);
		if (ac == 0 || ac > 2 || sc > 2)
			want = -FDT_ERR_BADVALUE;
		else if (reg && len % entry)
			want = -FDT_ERR_BADVALUE;
		else if (reg)
			n = len / entry;
	}
	if (n == 0) {
		EXPECT(fdt_reg(t, node, 0, &base, &size) == want);
		return;
	}
	const uint32_t idx[] = {0, n - 1, n};
	for (int k = n > 1 ? 0 : 1; k < 3; k++) {
		uint32_t i = idx[k];
		int r = fdt_reg(t, node, i, &base, &size);

		EXPECT(r == (i < n ? 0 : -FDT_ERR_NOTFOUND));
		if (r < 0)
			continue;
		const uint8_t *e = reg + i * entry;
		EXPECT(base == cells(e, ac));
		EXPECT(size == cells(e + 4 * ac, sc));
	}
}

/* The name without its unit address, if it fits in buf. */
static bool base_name(const char *name, char *buf, size_t bufsize)
{
	size_t i;

	for (i = 0; name[i] && name[i] != '@'; i++) {
		if (i + 1 >= bufsize)
			return false;
		buf[i] = name[i];
	}
	buf[i] = '\0';
	return true;
}

/*
 * One node, whatever its place: name, properties, reg, lookups that find it.
 * `prev` is the node before it in document order (-1 for the root).
 */
static void check_node(const struct fdt *t, int node, int parent, int prev)
{
	const char *name = fdt_node_name(t, node);
	char base[NAME_MAX_LEN];
	const char *compat;
	uint32_t ph;
	int m;

	EXPECT(name != NULL && str_in_struct(t, name));
	EXPECT(name == (const char *)struct_base(t) + node + 4);
	EXPECT(get_be32(struct_base(t) + node) == 1); /* FDT_BEGIN_NODE */
	/* "cpu@1" is named "cpu@1" and "cpu", not "cp" or "cpu@". */
	EXPECT(fdt_node_name_is(t, node, name));
	if (base_name(name, base, sizeof(base))) {
		size_t n = strlen(base);

		EXPECT(fdt_node_name_is(t, node, base));
		if (n > 0) {
			base[n - 1] = '\0';
			EXPECT(!fdt_node_name_is(t, node, base));
		}
	}
	EXPECT(fdt_parent(t, node) == (parent >= 0 ? parent : -FDT_ERR_NOTFOUND));
	check_props(t, node);
	check_reg(t, node, parent);

	if (fdt_getprop_u32(t, node, "phandle", &ph) && ph != 0 && ph != 0xffffffffU) {
		m = fdt_find_phandle(t, ph);
		EXPECT(m >= 0 && m <= node);
	}
	compat = fdt_getprop_str(t, node, "compatible");
	if (compat) {
		EXPECT(fdt_is_compatible(t, node, compat));
		/* The search starts at the node after `prev`: this one. */
		EXPECT(fdt_find_compatible(t, prev, compat) == node);
	}
}

/*
 * The walk in document order. cur[d] is the open node at depth d (the root
 * at 0), last[d] the last child of cur[d - 1] seen so far: each node must
 * be its parent's first child or its previous sibling's next sibling, and
 * when a node closes, its child list must end where the walk says it does.
 */
struct walk {
	const struct fdt *t;
	int cur[FDT_MAX_DEPTH + 1];
	int last[FDT_MAX_DEPTH + 2];
	int open; /* depth of the deepest open node */
	int prev; /* the node visited last */
	char path[PATH_MAX_LEN];
	size_t pathlen[FDT_MAX_DEPTH + 1]; /* path[0..pathlen[d]) names cur[d] */
	bool path_ok[FDT_MAX_DEPTH + 1];   /* cur[d]'s path fits and can be looked up */
	bool first[FDT_MAX_DEPTH + 1];     /* cur[d] and its ancestors: first of their name */
};

/* Whether no earlier sibling of `node` (a child of `parent`) has its name. */
static bool first_of_name(const struct fdt *t, int parent, int node)
{
	const char *name = fdt_node_name(t, node);
	int c;

	fdt_for_each_child(t, parent, c)
	{
		if (c == node)
			return true;
		if (strcmp(fdt_node_name(t, c), name) == 0)
			return false;
	}
	return false;
}

static void close_levels(struct walk *w, int depth)
{
	for (; w->open > depth; w->open--) {
		int k = w->open;

		if (w->last[k + 1] < 0)
			EXPECT(fdt_first_child(w->t, w->cur[k]) == -FDT_ERR_NOTFOUND);
		else
			EXPECT(fdt_next_sibling(w->t, w->last[k + 1]) == -FDT_ERR_NOTFOUND);
	}
}

/* The node's absolute path from its ancestors' names; checked by fdt_path(). */
static void check_path(struct walk *w, int node, int depth)
{
	const char *name = fdt_node_name(w->t, node);
	size_t n = strlen(name), at = depth > 1 ? w->pathlen[depth - 1] : 0;
	char shadow[PATH_MAX_LEN + 8];
	int r;

	/* A component holding '/' or none at all cannot be looked up. */
	w->path_ok[depth] = depth == 0 || (w->path_ok[depth - 1] && n > 0 && !strchr(name, '/') &&
					   at + 1 + n < PATH_MAX_LEN);
	if (!w->path_ok[depth])
		return;
	if (depth == 0) {
		strcpy(w->path, "/");
		w->pathlen[0] = 1;
		w->first[0] = true;
	} else {
		w->path[at] = '/';
		memcpy(w->path + at + 1, name, n + 1);
		w->pathlen[depth] = at + 1 + n;
		w->first[depth] =
		    w->first[depth - 1] && first_of_name(w->t, w->cur[depth - 1], node);
	}
	/*
	 * A full name matches exactly, and the first exact match wins. So the
	 * path finds the node unless an earlier sibling of the same name (of the
	 * node or an ancestor) shadows it: then it finds that one, or nothing.
	 */
	r = fdt_path(w->t, w->path);
	if (w->first[depth])
		EXPECT(r == node);
	EXPECT(r == -FDT_ERR_NOTFOUND || (r >= 0 && r <= node));
	if (r >= 0)
		EXPECT(strcmp(fdt_node_name(w->t, r), name) == 0);
	/* fdt_path_len() reads only the first len bytes. */
	memcpy(shadow, w->path, w->pathlen[depth]);
	strcpy(shadow + w->pathlen[depth], "/x@0");
	EXPECT(fdt_path_len(w->t, shadow, w->pathlen[depth]) == r);
}

static void visit(struct walk *w, int node, int depth)
{
	const struct fdt *t = w->t;
	int want;

	if (depth == 0) {
		EXPECT(node == fdt_root(t));
		check_node(t, node, -1, -1);
	} else {
		EXPECT(depth <= w->open + 1 && depth < FDT_MAX_DEPTH);
		close_levels(w, depth - 1);
		want = w->last[depth] < 0 ? fdt_first_child(t, w->cur[depth - 1])
					  : fdt_next_sibling(t, w->last[depth]);
		EXPECT(want == node);
		check_node(t, node, w->cur[depth - 1], w->prev);
	}
	w->cur[depth] = node;
	w->last[depth] = node;
	w->last[depth + 1] = -1;
	w->open = depth;
	w->prev = node;
	check_path(w, node, depth);
}

static void walk_tree(const struct fdt *t)
{
	struct walk w = {.t = t, .open = -1};
	/* A node token takes at least 8 bytes (tag, empty name, padding). */
	uint32_t max_nodes = t->struct_size / 8, n = 0;
	int depth = 0;
	int node = fdt_root(t);

	EXPECT(node >= 0);
	for (; node >= 0; node = fdt_next_node(t, node, &depth)) {
		EXPECT(++n <= max_nodes);
		EXPECT(n == 1 ? depth == 0 : depth >= 1);
		visit(&w, node, depth);
	}
	EXPECT(node == -FDT_ERR_NOTFOUND);
	close_levels(&w, -1);
}

/* ---- Offsets that are not nodes ---- */

/*
 * Accessors given arbitrary offsets: an error, or answers inside the blob.
 * (An aligned offset inside a value may look like a token; the reader
 * cannot tell, so only the bounds are promised.)
 */
static void check_bogus_offset(const struct fdt *t, int off)
{
	struct fdt_prop p;
	const char *name = fdt_node_name(t, off);
	const void *data;
	uint64_t base, size;
	uint32_t len = 0;
	int depth = 0, r;

	if (name)
		EXPECT(str_in_struct(t, name));
	(void)fdt_node_name_is(t, off, "cpu");
	if (fdt_prop_at(t, off, &p) == 0)
		EXPECT(str_in_strings(t, p.name) && in_struct(t, p.data, p.len));
	r = fdt_first_prop(t, off);
	EXPECT(r < 0 || fdt_prop_at(t, r, &p) == 0);
	r = fdt_next_prop(t, off);
	EXPECT(r < 0 || fdt_prop_at(t, r, &p) == 0);
	r = fdt_next_node(t, off, &depth);
	EXPECT(r < 0 || str_in_struct(t, fdt_node_name(t, r)));
	r = fdt_first_child(t, off);
	EXPECT(r < 0 || fdt_node_name(t, r) != NULL);
	r = fdt_next_sibling(t, off);
	EXPECT(r < 0 || fdt_node_name(t, r) != NULL);
	r = fdt_parent(t, off);
	EXPECT(r < 0 || fdt_node_name(t, r) != NULL);
	data = fdt_getprop(t, off, "reg", &len);
	EXPECT(!data || in_struct(t, data, len));
	r = fdt_reg(t, off, 0, &base, &size);
	EXPECT(r == 0 || r == -FDT_ERR_NOTFOUND || r == -FDT_ERR_BADVALUE);
}

static void check_bogus_offsets(const struct fdt *t, const uint8_t *data, size_t size)
{
	static const int fixed[] = {-1, -4, 1, 2, 3, 0x7ffffffc};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_bogus_offset(t, fixed[i]);
	check_bogus_offset(t, (int)t->struct_size);
	check_bogus_offset(t, (int)t->struct_size - 4);
	/* A few offsets drawn from the input's last bytes. */
	for (size_t i = 0; i < 6 && size >= 4 * (i + 1); i++) {
		uint32_t v = get_be32(data + size - 4 * (i + 1));
		check_bogus_offset(t, (int)(v % (t->struct_size + 8)));
	}
}

/* fdt_read_cells() against its own rule, on the input's first bytes. */
static void check_read_cells(const uint8_t *data, size_t size)
{
	uint32_t len, pos, pos0, ncells;
	uint64_t v;
	bool ok;

	if (size < 3)
		return;
	len = data[0] % 32 < size ? data[0] % 32 : (uint32_t)size;
	pos = pos0 = data[1] % 40;
	ncells = data[2] % 4;
	ok = fdt_read_cells(data, len, &pos, ncells, &v);
	EXPECT(ok == (ncells <= 2 && pos0 + 4 * ncells <= len));
	if (ok) {
		EXPECT(pos == pos0 + 4 * ncells);
		EXPECT(v == cells(data + pos0, ncells));
	} else {
		EXPECT(pos == pos0);
	}
}

/* ---- struct platform ---- */

static bool str_in_blob(const struct fdt *t, const char *s)
{
	return str_within(s, t->blob, t->totalsize);
}

/* The invariants platform.h and platform.c promise of an accepted tree. */
static void check_platform(const struct platform *p, const struct fdt *t)
{
	bool blob_reserved = false;
	int usable = 0;

	EXPECT(p->nmem >= 1 && p->nmem <= PLATFORM_MAX_MEM);
	for (int i = 0; i < p->nmem; i++)
		EXPECT(p->mem[i].size > 0);
	EXPECT(p->nreserved >= 1 && p->nreserved <= PLATFORM_MAX_RESERVED);
	for (int i = 0; i < p->nreserved; i++) {
		const struct phys_range *r = &p->reserved[i];

		EXPECT(r->size > 0);
		for (int j = 0; j < i; j++)
			EXPECT(r->base != p->reserved[j].base || r->size != p->reserved[j].size);
		if (r->base == FDT_PHYS && r->size == t->totalsize)
			blob_reserved = true;
	}
	EXPECT(blob_reserved);
	EXPECT(p->fdt_base == FDT_PHYS && p->fdt_size == t->totalsize);

	EXPECT(p->nharts >= 1 && p->nharts <= PLATFORM_MAX_HARTS);
	for (int i = 0; i < p->nharts; i++) {
		const struct platform_hart *h = &p->harts[i];

		for (int j = 0; j < i; j++)
			EXPECT(h->hartid != p->harts[j].hartid);
		EXPECT(platform_hart(p, h->hartid) == h);
		EXPECT(h->usable ==
		       (h->okay && h->has_mmu && (!h->isa || strncasecmp(h->isa, "rv64", 4) == 0)));
		EXPECT(h->has_mmu == (h->mmu_type && strcmp(h->mmu_type, "riscv,none") != 0));
		EXPECT(!h->mmu_type || str_in_blob(t, h->mmu_type));
		EXPECT(!h->isa || str_in_blob(t, h->isa));
		EXPECT(h->plic_s_context >= -1);
		EXPECT(p->plic.present || h->plic_s_context == -1);
		usable += h->usable;
	}
	EXPECT(p->nusable == usable && usable >= 1);
	EXPECT(p->timebase_hz > 0);

	EXPECT(!p->bootargs || str_in_blob(t, p->bootargs));
	if (p->initrd.size > 0) {
		bool found = false;

		for (int i = 0; i < p->nreserved; i++)
			found |= p->reserved[i].base == p->initrd.base &&
				 p->reserved[i].size == p->initrd.size;
		EXPECT(found);
	}
	EXPECT(p->uart.kind == UART_NONE || p->uart.kind == UART_NS16550A ||
	       p->uart.kind == UART_SIFIVE);
	EXPECT(p->uart.kind != UART_NONE || (p->uart.base == 0 && p->uart.size == 0));
}

/*
 * platform_from_fdt() on the blob. `t` is the tree fdt_init() accepted from
 * it, or NULL when it refused the tree: then the platform must refuse too,
 * with the reader's reason.
 */
static void check_platform_parse(const void *blob, size_t bufsize, const struct fdt *t,
				 size_t errlen)
{
	static struct platform plat;
	char err[ERRBUF_TOTAL];
	int rc;

	errbuf_arm(err);
	if (t)
		rc = platform_from_fdt(blob, FDT_PHYS, &plat, err, errlen);
	else
		rc = platform_from_fdt_sized(blob, bufsize, FDT_PHYS, &plat, err, errlen);
	EXPECT(rc == 0 || rc == -1);
	errbuf_check(err, errlen, rc < 0);
	if (!t) {
		EXPECT(rc < 0);
		EXPECT(errlen < 6 || strncmp(err, "fdt: ", 5) == 0);
		return;
	}
	if (rc == 0)
		check_platform(&plat, t);
}

/* ---- The entry point ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdt t, u;
	uint8_t *copy;
	uint32_t totalsize;
	/* An error buffer of 0 to 127 bytes: short ones truncate messages. */
	size_t errlen = size ? data[size / 2] % 128 : 64;
	int rc, rc2;

	check_read_cells(data, size);
	rc = fdt_init(&t, data, size);
	EXPECT(rc == 0 || (rc < 0 && rc > -FDT_NERRORS));
	EXPECT(strcmp(fdt_strerror(rc), "unknown error") != 0);
	if (rc < 0) {
		check_platform_parse(data, size, NULL, errlen);
		/* The same first totalsize bytes, trusted alone, fail the same way. */
		if (size < 36)
			return 0;
		totalsize = get_be32(data + 4);
		if (totalsize < 36 || totalsize > size)
			return 0;
		copy = malloc(totalsize);
		memcpy(copy, data, totalsize);
		rc2 = fdt_init(&u, copy, FDT_SIZE_UNKNOWN);
		EXPECT(rc2 == rc || (size < 40 && rc == -FDT_ERR_TRUNCATED));
		free(copy);
		return 0;
	}
	check_header(&t, size);

	/* From here on, only totalsize bytes exist. */
	copy = malloc(t.totalsize);
	memcpy(copy, data, t.totalsize);
	EXPECT(fdt_init(&u, copy, FDT_SIZE_UNKNOWN) == 0);
	EXPECT(u.totalsize == t.totalsize && u.struct_off == t.struct_off &&
	       u.struct_size == t.struct_size && u.strings_off == t.strings_off &&
	       u.strings_size == t.strings_size && u.nrsv == t.nrsv);
	walk_tree(&u);
	check_bogus_offsets(&u, data, size);
	check_platform_parse(copy, t.totalsize, &u, errlen);
	free(copy);
	return 0;
}
