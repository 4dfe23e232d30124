/*
 * fdt.h: kine's reader for flattened device trees (DTB, spec v0.4).
 *
 * The tree arrives from firmware and is treated as hostile: fdt_init()
 * checks the header and then walks the whole structure block once, so a
 * tree it accepts has balanced nesting, a terminating END token, node names
 * and property names that are NUL-terminated inside their blocks, and
 * property values that lie inside the structure block. Every accessor still
 * bounds-checks each read against the blob, so a bogus offset from a caller
 * yields an error, never a read outside [blob, blob + totalsize).
 *
 * Nodes and properties are named by their offset inside the structure block
 * (an int >= 0). Functions returning an offset return a negative -FDT_ERR_*
 * code instead when there is nothing to return; -FDT_ERR_NOTFOUND is the
 * ordinary "no such node/property" answer. Offsets stay valid for as long
 * as the blob is mapped and unmodified; nothing here writes to the blob.
 *
 * Values are big-endian and may be unaligned: read cells with fdt_be32()/
 * fdt_read_cells(), never by casting the pointer.
 *
 * Typical use:
 *	struct fdt t;
 *	if (fdt_init(&t, blob, FDT_SIZE_UNKNOWN) < 0) ...;
 *	int cpus = fdt_path(&t, "/cpus");
 *	int cpu;
 *	fdt_for_each_child (&t, cpus, cpu) {
 *		uint64_t hartid;
 *		if (fdt_reg(&t, cpu, 0, &hartid, NULL) == 0) ...;
 *	}
 */
#ifndef KINE_LIB_FDT_H
#define KINE_LIB_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC     0xd00dfeedU
#define FDT_MAX_DEPTH 32 /* deeper trees are rejected by fdt_init() */

/* fdt_init()'s bufsize when only the header's totalsize bounds the blob. */
#define FDT_SIZE_UNKNOWN ((size_t)-1)

enum fdt_error {
	FDT_OK = 0,
	FDT_ERR_NOTFOUND,     /* no such node, property or entry */
	FDT_ERR_TRUNCATED,    /* blob shorter than its header or totalsize says */
	FDT_ERR_BADMAGIC,     /* first word is not 0xd00dfeed */
	FDT_ERR_BADVERSION,   /* version < 16 or last_comp_version > 17 */
	FDT_ERR_BADLAYOUT,    /* a block is misaligned, out of bounds or overlapping */
	FDT_ERR_BADRSVMAP,    /* memreserve block has no terminating entry */
	FDT_ERR_BADSTRUCTURE, /* bad token, bad nesting, missing END */
	FDT_ERR_BADSTRING,    /* name not NUL-terminated or name offset out of bounds */
	FDT_ERR_TOODEEP,      /* nesting deeper than FDT_MAX_DEPTH */
	FDT_ERR_BADOFFSET,    /* the caller's offset is not a node/property token */
	FDT_ERR_BADVALUE,     /* property has the wrong length for the request */
	FDT_NERRORS
};

/* A validated tree. Fill with fdt_init(); read-only afterwards. */
struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	uint32_t version;
	uint32_t boot_cpuid; /* boot_cpuid_phys from the header */
	uint32_t struct_off; /* structure block: [struct_off, +struct_size) */
	uint32_t struct_size;
	uint32_t strings_off; /* strings block: [strings_off, +strings_size) */
	uint32_t strings_size;
	uint32_t rsvmap_off; /* memreserve block */
	uint32_t nrsv;       /* memreserve entries before the terminator */
	uint32_t bad_value;  /* on fdt_init() failure: the offending word or offset */
};

/* One property, as fdt_prop_at() decodes it. */
struct fdt_prop {
	const char *name; /* NUL-terminated, inside the strings block */
	const void *data; /* len bytes inside the structure block */
	uint32_t len;
};

/*
 * Validate the blob at `blob`, of which at least `bufsize` bytes are readable
 * (FDT_SIZE_UNKNOWN: trust totalsize). Returns 0 or -FDT_ERR_*; on failure
 * t->bad_value holds the offending value (the magic, the version, the
 * struct offset of a bad token...) for the error message.
 */
int fdt_init(struct fdt *t, const void *blob, size_t bufsize);

/* A short description of an FDT_ERR_* code (positive or negative). */
const char *fdt_strerror(int err);

/* Read a big-endian 32-bit / 64-bit value at any alignment. */
uint32_t fdt_be32(const void *p);
uint64_t fdt_be64(const void *p);

/*
 * Read `ncells` (0, 1 or 2) big-endian cells from data[*pos...] as one
 * number and advance *pos. False if that would pass `len` or ncells > 2
 * (no read happens then). ncells == 0 yields 0.
 */
bool fdt_read_cells(const void *data, uint32_t len, uint32_t *pos, uint32_t ncells, uint64_t *out);

/* memreserve entry `idx` (0 .. t->nrsv - 1). False past the end. */
bool fdt_memreserve(const struct fdt *t, uint32_t idx, uint64_t *addr, uint64_t *size);

/* ---- Nodes ---- */

/* The root node's offset. */
int fdt_root(const struct fdt *t);

/* A node's full name ("cpu@0"; "" for the root), or NULL for a bad offset. */
const char *fdt_node_name(const struct fdt *t, int node);

/*
 * Whether a node's name is `base`, ignoring any unit address: "cpu" matches
 * "cpu@1" and "cpu", not "cpus" or "cpu-map".
 */
bool fdt_node_name_is(const struct fdt *t, int node, const char *base);

/*
 * The next node after `node` in document order. *depth is changed by the
 * nesting difference (+1 for its first child, 0 for a sibling, -k when
 * leaving k levels). -FDT_ERR_NOTFOUND at the end of the tree.
 */
int fdt_next_node(const struct fdt *t, int node, int *depth);

/* First child / next sibling of a node, or -FDT_ERR_NOTFOUND. */
int fdt_first_child(const struct fdt *t, int node);
int fdt_next_sibling(const struct fdt *t, int node);

#define fdt_for_each_child(t, parent, child)                                                       \
	for ((child) = fdt_first_child((t), (parent)); (child) >= 0;                               \
	     (child) = fdt_next_sibling((t), (child)))

/* The node's parent (-FDT_ERR_NOTFOUND for the root). Walks from the root. */
int fdt_parent(const struct fdt *t, int node);

/*
 * The node at an absolute path such as "/soc/serial@10000000". Each
 * component matches a child's full name, or, when the component has no '@',
 * the child's name without unit address (the first such child wins:
 * "/memory" finds "memory@80000000"). Empty components ("//") are skipped.
 * fdt_path_len() reads only path[0..len).
 */
int fdt_path(const struct fdt *t, const char *path);
int fdt_path_len(const struct fdt *t, const char *path, size_t len);

/*
 * The first node after `from` in document order (from < 0: the root is the
 * first candidate) whose "compatible" list contains `compat`.
 */
int fdt_find_compatible(const struct fdt *t, int from, const char *compat);

/* The node whose "phandle" (or legacy "linux,phandle") is `phandle`. */
int fdt_find_phandle(const struct fdt *t, uint32_t phandle);

/* ---- Properties ---- */

/* First property of a node / the property after `prop`, or -FDT_ERR_NOTFOUND. */
int fdt_first_prop(const struct fdt *t, int node);
int fdt_next_prop(const struct fdt *t, int prop);

#define fdt_for_each_prop(t, node, prop)                                                           \
	for ((prop) = fdt_first_prop((t), (node)); (prop) >= 0; (prop) = fdt_next_prop((t), (prop)))

/* Decode the property at offset `prop`. Returns 0 or -FDT_ERR_BADOFFSET. */
int fdt_prop_at(const struct fdt *t, int prop, struct fdt_prop *out);

/* A node's property value by name (NULL if absent); *lenp gets its length. */
const void *fdt_getprop(const struct fdt *t, int node, const char *name, uint32_t *lenp);

/* Whether the node has the property (e.g. the empty "interrupt-controller"). */
bool fdt_has_prop(const struct fdt *t, int node, const char *name);

/* A string property, or NULL if absent or not NUL-terminated within its length. */
const char *fdt_getprop_str(const struct fdt *t, int node, const char *name);

/* One-cell / two-cell properties: exactly 4 / 8 bytes, else false. */
bool fdt_getprop_u32(const struct fdt *t, int node, const char *name, uint32_t *out);
bool fdt_getprop_u64(const struct fdt *t, int node, const char *name, uint64_t *out);

/* A number of one or two cells (4 or 8 bytes, decided by the length). */
bool fdt_getprop_uint(const struct fdt *t, int node, const char *name, uint64_t *out);

/* Whether the stringlist data[0..len) contains exactly `s`. */
bool fdt_stringlist_contains(const void *data, uint32_t len, const char *s);

/* Whether the node's stringlist property `name` contains `s`. */
bool fdt_prop_has_string(const struct fdt *t, int node, const char *name, const char *s);

/* Shorthand: fdt_prop_has_string(t, node, "compatible", compat). */
bool fdt_is_compatible(const struct fdt *t, int node, const char *compat);

/*
 * The #address-cells / #size-cells that `node` declares for its children
 * (defaults 2 and 1). Values above 2 / 2 are returned as they are; readers
 * such as fdt_reg() then fail, since kine only handles 64-bit addresses.
 */
uint32_t fdt_address_cells(const struct fdt *t, int node);
uint32_t fdt_size_cells(const struct fdt *t, int node);

/*
 * Entry `idx` of the node's "reg", decoded with its parent's #address-cells
 * and #size-cells. size may be NULL; with #size-cells = 0 it is 0. Returns
 * 0, -FDT_ERR_NOTFOUND (no reg or idx past the end) or -FDT_ERR_BADVALUE
 * (cells above 2 or a length that is not a whole number of entries).
 */
int fdt_reg(const struct fdt *t, int node, uint32_t idx, uint64_t *base, uint64_t *size);

#endif
