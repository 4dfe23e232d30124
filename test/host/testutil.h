/*
 * testutil.h: helpers shared by the host tests.
 *
 * - tu_load(): a file from test/data in a malloc'd buffer of exactly its
 *   size, so ASan flags any read past the end.
 * - tu_rand(): a fixed-seed xorshift generator (reproducible fuzzing).
 * - struct fdtb: a tiny writer of flattened device trees, for synthetic
 *   trees with exactly the shape (or the damage) a test needs. It writes a
 *   v17 header, the memreserve block, the structure block and the strings
 *   block in that order, each 8/4-aligned, like dtc does.
 */
#ifndef KINE_TEST_HOST_TESTUTIL_H
#define KINE_TEST_HOST_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Load test/data/NAME (relative to the workspace root or runfiles dir). */
uint8_t *tu_load(const char *name, size_t *len);

/* A copy of buf[0..len) in a fresh malloc'd buffer of exactly len bytes. */
uint8_t *tu_dup(const void *buf, size_t len);

void tu_srand(uint64_t seed);
uint64_t tu_rand(void);

/* Big-endian store/load helpers for patching blobs. */
void tu_put_be32(uint8_t *p, uint32_t v);
uint32_t tu_get_be32(const uint8_t *p);

struct fdtb {
	uint8_t st[16384];
	size_t stlen;
	char strs[4096];
	size_t strslen;
	uint64_t rsv[16][2];
	int nrsv;
	uint8_t out[24576];
	size_t outlen;
};

void fdtb_init(struct fdtb *b);
void fdtb_rsv(struct fdtb *b, uint64_t addr, uint64_t size);
void fdtb_begin(struct fdtb *b, const char *name);
void fdtb_end(struct fdtb *b);
void fdtb_prop(struct fdtb *b, const char *name, const void *data, uint32_t len);
void fdtb_prop_str(struct fdtb *b, const char *name, const char *s);
/* A property of n big-endian cells. */
void fdtb_prop_cells(struct fdtb *b, const char *name, int n, ...);
void fdtb_nop(struct fdtb *b);
/* Append a raw 32-bit token (to build broken streams). */
void fdtb_raw32(struct fdtb *b, uint32_t v);
/* Write END and lay out the blob in b->out; returns its size. */
size_t fdtb_finish(struct fdtb *b);
/* Lay out without appending END (for "missing END" tests). */
size_t fdtb_finish_raw(struct fdtb *b);

#endif
