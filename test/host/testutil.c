/*
 * testutil.c: see testutil.h. Test-only code: aborts on misuse (a builder
 * overflow is a bug in the test, not in the code under test).
 */
#include "test/host/testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *tu_load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	long n;
	uint8_t *buf;

	snprintf(path, sizeof(path), "test/data/%s", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the workspace root)\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

uint8_t *tu_dup(const void *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, buf, len);
	return p;
}

static uint64_t rng_state = 1;

void tu_srand(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

uint64_t tu_rand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

void tu_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t tu_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void need(int ok)
{
	if (!ok) {
		fprintf(stderr, "fdtb: buffer overflow in test builder\n");
		abort();
	}
}

void fdtb_init(struct fdtb *b)
{
	memset(b, 0, sizeof(*b));
}

void fdtb_rsv(struct fdtb *b, uint64_t addr, uint64_t size)
{
	need(b->nrsv < 16);
	b->rsv[b->nrsv][0] = addr;
	b->rsv[b->nrsv][1] = size;
	b->nrsv++;
}

void fdtb_raw32(struct fdtb *b, uint32_t v)
{
	need(b->stlen + 4 <= sizeof(b->st));
	tu_put_be32(b->st + b->stlen, v);
	b->stlen += 4;
}

static void put_bytes(struct fdtb *b, const void *data, size_t len)
{
	need(b->stlen + len + 3 <= sizeof(b->st));
	if (len)
		memcpy(b->st + b->stlen, data, len);
	b->stlen += len;
	while (b->stlen & 3)
		b->st[b->stlen++] = 0;
}

void fdtb_begin(struct fdtb *b, const char *name)
{
	fdtb_raw32(b, 1);
	put_bytes(b, name, strlen(name) + 1);
}

void fdtb_end(struct fdtb *b)
{
	fdtb_raw32(b, 2);
}

void fdtb_nop(struct fdtb *b)
{
	fdtb_raw32(b, 4);
}

static uint32_t string_off(struct fdtb *b, const char *name)
{
	size_t n = strlen(name) + 1;
	uint32_t off = (uint32_t)b->strslen;

	need(b->strslen + n <= sizeof(b->strs));
	memcpy(b->strs + b->strslen, name, n);
	b->strslen += n;
	return off;
}

void fdtb_prop(struct fdtb *b, const char *name, const void *data, uint32_t len)
{
	fdtb_raw32(b, 3);
	fdtb_raw32(b, len);
	fdtb_raw32(b, string_off(b, name));
	put_bytes(b, data, len);
}

void fdtb_prop_str(struct fdtb *b, const char *name, const char *s)
{
	fdtb_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

void fdtb_prop_cells(struct fdtb *b, const char *name, int n, ...)
{
	uint8_t buf[256];
	va_list ap;

	need(n >= 0 && n * 4 <= (int)sizeof(buf));
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		tu_put_be32(buf + 4 * i, va_arg(ap, uint32_t));
	va_end(ap);
	fdtb_prop(b, name, buf, (uint32_t)n * 4);
}

size_t fdtb_finish_raw(struct fdtb *b)
{
	size_t off = 40, rsvoff, stoff, strsoff;

	memset(b->out, 0, sizeof(b->out));
	rsvoff = off;
	for (int i = 0; i < b->nrsv; i++) {
		for (int j = 0; j < 2; j++) {
			tu_put_be32(b->out + off, (uint32_t)(b->rsv[i][j] >> 32));
			tu_put_be32(b->out + off + 4, (uint32_t)b->rsv[i][j]);
			off += 8;
		}
	}
	off += 16; /* terminator */
	stoff = off;
	need(stoff + b->stlen + b->strslen <= sizeof(b->out));
	memcpy(b->out + stoff, b->st, b->stlen);
	strsoff = stoff + b->stlen;
	memcpy(b->out + strsoff, b->strs, b->strslen);
	b->outlen = strsoff + b->strslen;

	tu_put_be32(b->out + 0, 0xd00dfeed);
	tu_put_be32(b->out + 4, (uint32_t)b->outlen);
	tu_put_be32(b->out + 8, (uint32_t)stoff);
	tu_put_be32(b->out + 12, (uint32_t)strsoff);
	tu_put_be32(b->out + 16, (uint32_t)rsvoff);
	tu_put_be32(b->out + 20, 17);
	tu_put_be32(b->out + 24, 16);
	tu_put_be32(b->out + 28, 0);
	tu_put_be32(b->out + 32, (uint32_t)b->strslen);
	tu_put_be32(b->out + 36, (uint32_t)b->stlen);
	return b->outlen;
}

size_t fdtb_finish(struct fdtb *b)
{
	fdtb_raw32(b, 9);
	return fdtb_finish_raw(b);
}
