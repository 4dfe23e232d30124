/*
 * elf_test.c: exec's ELF validation on images crafted here (a valid one,
 * then one broken per rule, each checked for its code and for a message
 * that names the problem), on a real RISC-V program built by
 * riscv64-unknown-elf-gcc (test/data/hello.elf, also as bin/hello inside
 * test/data/boot.cpio, the way exec will find it), on every prefix of both,
 * and on random byte flips. Images sit in malloc'd buffers of their exact
 * size, so ASan turns any read past the end into a failure.
 */
#include "src/lib/cpio.h"
#include "src/lib/elf.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_NOTE      4
#define PT_GNU_STACK 0x6474e551U
#define R            ELF_PF_R
#define W            ELF_PF_W
#define X            ELF_PF_X

/* ---- Crafted images ---- */

/* An image to render: the ELF header, its program headers, the size. */
struct spec {
	struct elf64_ehdr eh;
	struct elf64_phdr ph[12];
	size_t size;
};

static struct elf64_phdr load(uint64_t vaddr, uint64_t off, uint64_t filesz, uint64_t memsz,
			      uint32_t flags)
{
	return (struct elf64_phdr){.p_type = ELF_PT_LOAD,
				   .p_flags = flags,
				   .p_offset = off,
				   .p_vaddr = vaddr,
				   .p_paddr = vaddr,
				   .p_filesz = filesz,
				   .p_memsz = memsz,
				   .p_align = 0x1000};
}

/*
 * The valid base image: text (R-X), a PT_GNU_STACK to be ignored, rodata
 * (R--) and data plus bss (RW-), the last file byte at the end of the image.
 */
static void base(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->eh.e_ident, "\177ELF", 4);
	s->eh.e_ident[ELF_EI_CLASS] = ELF_CLASS64;
	s->eh.e_ident[ELF_EI_DATA] = ELF_DATA2LSB;
	s->eh.e_ident[ELF_EI_VERSION] = ELF_EV_CURRENT;
	s->eh.e_type = ELF_ET_EXEC;
	s->eh.e_machine = ELF_EM_RISCV;
	s->eh.e_version = ELF_EV_CURRENT;
	s->eh.e_entry = 0x10010;
	s->eh.e_phoff = 64;
	s->eh.e_flags = 0x5;
	s->eh.e_ehsize = 64;
	s->eh.e_phentsize = sizeof(struct elf64_phdr);
	s->eh.e_phnum = 4;
	s->ph[0] = load(0x10000, 0x1000, 0x100, 0x100, R | X);
	s->ph[1] = (struct elf64_phdr){.p_type = PT_GNU_STACK, .p_flags = R | W};
	s->ph[2] = load(0x11000, 0x1100, 0x40, 0x40, R | 0x00f00000); /* PF_MASKOS bits */
	s->ph[3] = load(0x12000, 0x1140, 0x20, 0x1000, R | W);
	s->size = 0x1160;
}

/* Lay the image out at p: a byte pattern, the headers where they fit. */
static void render_at(const struct spec *s, uint8_t *p)
{
	for (size_t i = 0; i < s->size; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	if (s->size >= sizeof(s->eh))
		memcpy(p, &s->eh, sizeof(s->eh));
	for (unsigned i = 0; i < s->eh.e_phnum && i < 12; i++) {
		uint64_t at = s->eh.e_phoff + i * sizeof(struct elf64_phdr);

		if (at < s->eh.e_phoff)
			break; /* a table offset chosen to wrap */
		if (at <= s->size && sizeof(struct elf64_phdr) <= s->size - at)
			memcpy(p + at, &s->ph[i], sizeof(struct elf64_phdr));
	}
}

static uint8_t *render(const struct spec *s)
{
	uint8_t *p = malloc(s->size ? s->size : 1);

	render_at(s, p);
	return p;
}

static int run(const struct spec *s, struct elf_info *info, char *err, size_t errlen)
{
	uint8_t *p = render(s);
	int r = elf_check(p, s->size, info, err, errlen);

	free(p);
	return r;
}

/* One rule: the image must fail with `code` and a message containing `word`. */
static void expect_reject(const char *what, const struct spec *s, int code, const char *word)
{
	struct elf_info info;
	char err[160] = "untouched";
	int r = run(s, &info, err, sizeof(err));
	bool ok = r == -code && strstr(err, word) && !strchr(err, '\n');

	CHECK(ok);
	printf("  %-44s %s\n", what, err);
	if (!ok)
		printf("  ^ wanted code -%d and \"%s\", got %d\n", code, word, r);
}

static void expect_accept(const char *what, const struct spec *s)
{
	struct elf_info info;
	char err[160] = "untouched";
	int r = run(s, &info, err, sizeof(err));

	CHECK_EQ(r, 0);
	CHECK_STREQ(err, "");
	if (r != 0)
		printf("  %s: rejected: %s\n", what, err);
}

static void check_seg(const struct elf_segment *g, uint64_t vaddr, uint64_t memsz, uint64_t filesz,
		      uint64_t off, uint32_t flags)
{
	CHECK_EQ(g->vaddr, vaddr);
	CHECK_EQ(g->memsz, memsz);
	CHECK_EQ(g->filesz, filesz);
	CHECK_EQ(g->offset, off);
	CHECK_EQ(g->flags, flags);
}

static void test_valid(void)
{
	struct spec s;
	struct elf_info info;
	char err[128] = "untouched";
	uint8_t *p;

	SECTION("a crafted image: every segment exactly");
	base(&s);
	memset(&info, 0xa5, sizeof(info));
	CHECK_EQ(run(&s, &info, err, sizeof(err)), 0);
	CHECK_STREQ(err, "");
	CHECK_EQ(info.entry, 0x10010);
	CHECK_EQ(info.nsegs, 3);
	check_seg(&info.seg[0], 0x10000, 0x100, 0x100, 0x1000, R | X);
	check_seg(&info.seg[1], 0x11000, 0x40, 0x40, 0x1100, R);
	check_seg(&info.seg[2], 0x12000, 0x1000, 0x20, 0x1140, R | W);

	SECTION("the same image at an odd address, and without an error buffer");
	p = malloc(s.size + 1);
	render_at(&s, p + 1);
	CHECK_EQ(elf_check(p + 1, s.size, &info, err, sizeof(err)), 0);
	CHECK_EQ(info.nsegs, 3);
	CHECK_EQ(elf_check(p + 1, s.size, &info, NULL, 0), 0);
	p[1] = 0;
	CHECK_EQ(elf_check(p + 1, s.size, &info, NULL, 0), -ELF_ERR_NOTELF);
	CHECK_EQ(elf_check(p + 1, s.size, &info, err, 8), -ELF_ERR_NOTELF);
	CHECK_STREQ(err, "not an ");
	free(p);

	SECTION("edges that are allowed");
	base(&s);
	s.eh.e_entry = 0x100fe; /* the last 2-byte slot of text */
	expect_accept("entry in the last halfword of text", &s);
	base(&s);
	s.ph[3] = load(0x3ffffff000, 0x1140, 0x20, 0x1000, R | W);
	expect_accept("data ending exactly at the user half's end", &s);
	base(&s);
	s.ph[0] = load(0x1000, 0x1000, 0x100, 0x100, R | X);
	s.eh.e_entry = 0x1000;
	expect_accept("text at 0x1000, the first user page", &s);
	base(&s);
	s.ph[2] = load(0x10800, 0x1100, 0x40, 0x40, R | X);
	expect_accept("two R-X segments sharing a page", &s);
	base(&s);
	s.ph[0] = load(0x10000, 0x1000, 0x100, 0x1000, R | X);
	expect_accept("R-X and R-- in adjacent pages", &s);
	base(&s);
	s.ph[1] = load(0, 0, 0, 0, 0);
	expect_accept("a PT_LOAD with memsz 0 at address 0 (skipped)", &s);
	base(&s);
	s.ph[2].p_flags = X;
	s.eh.e_entry = 0x11000;
	expect_accept("execute-only segment holding the entry", &s);
	base(&s);
	s.eh.e_phnum = 9;
	for (int i = 0; i < 9; i++)
		s.ph[i] = i == 4 ? (struct elf64_phdr){.p_type = PT_NOTE}
				 : load(0x10000 + 0x1000 * (uint64_t)i, 0x1000, 0x10, 0x10, R | X);
	s.eh.e_phoff = 0x200;
	s.eh.e_entry = 0x10008;
	expect_accept("exactly ELF_MAX_SEGMENTS PT_LOADs", &s);
}

/* ---- One test per rule ---- */

static void test_header_rules(void)
{
	struct spec s;

	SECTION("ELF header rules");
	base(&s);
	s.size = 63;
	expect_reject("shorter than the ELF header", &s, ELF_ERR_TRUNCATED, "smaller than an ELF");
	base(&s);
	s.eh.e_ident[1] = 'e';
	expect_reject("bad magic", &s, ELF_ERR_NOTELF, "bad magic");
	base(&s);
	s.eh.e_ident[ELF_EI_CLASS] = 1;
	expect_reject("ELFCLASS32", &s, ELF_ERR_UNSUPPORTED, "64-bit");
	base(&s);
	s.eh.e_ident[ELF_EI_DATA] = 2;
	expect_reject("big-endian", &s, ELF_ERR_UNSUPPORTED, "little-endian");
	base(&s);
	s.eh.e_ident[ELF_EI_VERSION] = 0;
	expect_reject("EI_VERSION 0", &s, ELF_ERR_UNSUPPORTED, "version");
	base(&s);
	s.eh.e_version = 2;
	expect_reject("e_version 2", &s, ELF_ERR_UNSUPPORTED, "version");
	base(&s);
	s.eh.e_type = ELF_ET_DYN;
	expect_reject("ET_DYN (PIE)", &s, ELF_ERR_UNSUPPORTED, "ET_DYN");
	base(&s);
	s.eh.e_type = 1;
	expect_reject("ET_REL", &s, ELF_ERR_UNSUPPORTED, "not an executable");
	base(&s);
	s.eh.e_machine = 62;
	expect_reject("EM_X86_64", &s, ELF_ERR_UNSUPPORTED, "RISC-V");
}

static void test_phdr_rules(void)
{
	struct spec s;

	SECTION("program-header table rules");
	base(&s);
	s.eh.e_phentsize = 64;
	expect_reject("e_phentsize 64", &s, ELF_ERR_PHDRS, "entry size 64");
	base(&s);
	s.eh.e_phnum = 0;
	expect_reject("no program headers", &s, ELF_ERR_NOLOAD, "no PT_LOAD");
	base(&s);
	s.eh.e_phnum = ELF_PN_XNUM;
	expect_reject("e_phnum PN_XNUM", &s, ELF_ERR_PHDRS, "PN_XNUM");
	base(&s);
	s.eh.e_phoff = s.size - 100;
	expect_reject("table runs past the end", &s, ELF_ERR_PHDRS, "outside");
	base(&s);
	s.eh.e_phoff = UINT64_MAX - 8;
	expect_reject("table offset wraps", &s, ELF_ERR_PHDRS, "outside");
	base(&s);
	s.ph[1] = (struct elf64_phdr){.p_type = ELF_PT_INTERP, .p_offset = 0x40, .p_filesz = 8};
	expect_reject("PT_INTERP", &s, ELF_ERR_UNSUPPORTED, "PT_INTERP");
	base(&s);
	s.ph[0].p_type = s.ph[2].p_type = s.ph[3].p_type = PT_NOTE;
	expect_reject("no PT_LOAD at all", &s, ELF_ERR_NOLOAD, "no PT_LOAD");
	base(&s);
	s.ph[0].p_memsz = s.ph[0].p_filesz = 0;
	s.ph[2].p_memsz = s.ph[2].p_filesz = 0;
	s.ph[3].p_memsz = s.ph[3].p_filesz = 0;
	expect_reject("only empty PT_LOADs", &s, ELF_ERR_NOLOAD, "no PT_LOAD");
	base(&s);
	s.eh.e_phnum = 9;
	s.eh.e_phoff = 0x200;
	for (int i = 0; i < 9; i++)
		s.ph[i] = load(0x10000 + 0x1000 * (uint64_t)i, 0x1000, 0x10, 0x10, R | X);
	expect_reject("nine PT_LOADs", &s, ELF_ERR_PHDRS, "more than 8");
}

static void test_segment_rules(void)
{
	struct spec s;

	SECTION("segment rules");
	base(&s);
	s.ph[3].p_filesz = s.ph[3].p_memsz + 1;
	expect_reject("filesz > memsz", &s, ELF_ERR_SEGMENT, "program header 3: filesz");
	base(&s);
	s.ph[3].p_filesz = 0x21;
	expect_reject("file bytes one past the end", &s, ELF_ERR_SEGMENT, "outside the image");
	base(&s);
	s.ph[2].p_offset = UINT64_MAX - 0x10;
	expect_reject("file offset wraps", &s, ELF_ERR_SEGMENT, "program header 2: file bytes");
	base(&s);
	s.ph[3].p_offset = s.size + 0x1000;
	s.ph[3].p_filesz = 0;
	expect_reject("file offset past the end", &s, ELF_ERR_SEGMENT, "outside the image");
	base(&s);
	s.ph[3].p_vaddr = 0xfffffffffffff000;
	s.ph[3].p_memsz = 0x2000;
	expect_reject("vaddr + memsz wraps", &s, ELF_ERR_SEGMENT, "wraps");
	base(&s);
	s.ph[0].p_vaddr = 0;
	expect_reject("text at 0", &s, ELF_ERR_SEGMENT, "page 0");
	base(&s);
	s.ph[2].p_vaddr = 0xfff;
	expect_reject("rodata ending in page 1, starting in page 0", &s, ELF_ERR_SEGMENT, "page 0");
	base(&s);
	s.ph[3].p_vaddr = 0x3ffffff000;
	s.ph[3].p_memsz = 0x1001;
	expect_reject("data one byte past the user half", &s, ELF_ERR_SEGMENT, "user half");
	base(&s);
	s.ph[3].p_vaddr = 0xffffffff80200000;
	expect_reject("data in the kernel's half", &s, ELF_ERR_SEGMENT, "user half");
	base(&s);
	s.ph[2].p_flags = 0x00f00000;
	expect_reject("no permissions", &s, ELF_ERR_SEGMENT, "no R, W or X");
	base(&s);
	s.ph[3].p_flags = R | W | X;
	expect_reject("RWX data", &s, ELF_ERR_SEGMENT, "W^X");
	base(&s);
	s.ph[0].p_flags = W | X;
	expect_reject("-WX text", &s, ELF_ERR_SEGMENT, "W^X");
	base(&s);
	s.ph[3].p_flags = W;
	expect_reject("write-only data", &s, ELF_ERR_SEGMENT, "writable but not readable");
}

static void test_layout_rules(void)
{
	struct spec s;

	SECTION("overlap, page sharing and entry rules");
	base(&s);
	s.ph[3].p_vaddr = 0x100f0;
	expect_reject("data overlapping text", &s, ELF_ERR_OVERLAP, "0 and 3 overlap");
	base(&s);
	s.ph[2].p_vaddr = 0x10000;
	s.ph[2].p_flags = R | X;
	expect_reject("same flags, same bytes", &s, ELF_ERR_OVERLAP, "0 and 2 overlap");
	base(&s);
	s.ph[2].p_vaddr = 0x10100;
	expect_reject("rodata in text's last page", &s, ELF_ERR_OVERLAP,
		      "0 and 2 share a page with different permissions");
	base(&s);
	s.ph[3].p_vaddr = 0x11800;
	expect_reject("data in rodata's page", &s, ELF_ERR_OVERLAP, "2 and 3 share a page");
	base(&s);
	s.ph[2].p_memsz = 0x1100;
	s.ph[3].p_vaddr = 0x12800;
	expect_reject("rodata's zero tail in data's page", &s, ELF_ERR_OVERLAP,
		      "2 and 3 share a page");
	base(&s);
	s.eh.e_entry = 0x10011;
	expect_reject("odd entry", &s, ELF_ERR_ENTRY, "2-byte aligned");
	base(&s);
	s.eh.e_entry = 0x12000;
	expect_reject("entry in data", &s, ELF_ERR_ENTRY, "not in an executable segment");
	base(&s);
	s.eh.e_entry = 0x10100;
	expect_reject("entry just past text", &s, ELF_ERR_ENTRY, "not in an executable segment");
	base(&s);
	s.eh.e_entry = 0;
	expect_reject("entry 0", &s, ELF_ERR_ENTRY, "not in an executable segment");
}

/* ---- A real program ---- */

/* The segments of test/data/hello.elf, as `readelf -l` shows them. */
static void check_hello(const struct elf_info *info)
{
	CHECK_EQ(info->entry, 0x10000);
	CHECK_EQ(info->nsegs, 2);
	check_seg(&info->seg[0], 0xf000, 0x1051, 0x1051, 0, R | X);
	check_seg(&info->seg[1], 0x11058, 0x208, 0x8, 0x1058, R | W);
}

/* Field by field: the structs have padding, which memcmp would see. */
static bool same_info(const struct elf_info *a, const struct elf_info *b)
{
	if (a->entry != b->entry || a->nsegs != b->nsegs || a->nsegs > ELF_MAX_SEGMENTS)
		return false;
	for (unsigned i = 0; i < a->nsegs; i++) {
		const struct elf_segment *x = &a->seg[i], *y = &b->seg[i];

		if (x->vaddr != y->vaddr || x->memsz != y->memsz || x->filesz != y->filesz ||
		    x->offset != y->offset || x->flags != y->flags)
			return false;
	}
	return true;
}

/*
 * Every prefix of an image: accepted exactly when it holds the headers and
 * every segment's file bytes (`need`), and then with the same description.
 */
static void check_prefixes(const uint8_t *img, size_t n, size_t need, const struct elf_info *full)
{
	int bad = 0;

	for (size_t k = 0; k <= n; k++) {
		uint8_t *p = tu_dup(img, k);
		struct elf_info info;
		char err[128] = "";
		int r = elf_check(p, k, &info, err, sizeof(err));

		if (k >= need)
			bad += r != 0 || !same_info(&info, full);
		else
			bad += r >= 0 || err[0] == '\0';
		free(p);
	}
	CHECK_EQ(bad, 0);
}

static void test_real(void)
{
	size_t n, an;
	uint8_t *img = tu_load("hello.elf", &n);
	uint8_t *archive = tu_load("boot.cpio", &an);
	struct elf_info info, found;
	char err[128] = "untouched";
	const void *data;
	size_t len;
	int r;

	SECTION("hello.elf from riscv64-unknown-elf-gcc (%zu bytes)", n);
	memset(&info, 0, sizeof(info));
	r = elf_check(img, n, &info, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r != 0)
		printf("  rejected: %s\n", err);
	check_hello(&info);

	SECTION("bin/hello inside boot.cpio, as exec will find it");
	CHECK_EQ(cpio_find(archive, an, "bin/hello", &data, &len), 0);
	CHECK_EQ(len, n);
	CHECK_EQ((uintptr_t)data % 8, 4); /* newc aligns data to 4 only */
	memset(&found, 0, sizeof(found));
	CHECK_EQ(elf_check(data, len, &found, err, sizeof(err)), 0);
	check_hello(&found);

	SECTION("every prefix of hello.elf");
	memset(&info, 0, sizeof(info));
	elf_check(img, n, &info, NULL, 0);
	check_prefixes(img, n, 0x1058 + 8, &info);
	free(archive);
	free(img);
}

static void test_prefixes_crafted(void)
{
	struct spec s;
	struct elf_info full;
	uint8_t *p;

	SECTION("every prefix of the crafted image");
	base(&s);
	p = render(&s);
	memset(&full, 0, sizeof(full));
	CHECK_EQ(elf_check(p, s.size, &full, NULL, 0), 0);
	check_prefixes(p, s.size, s.size, &full);
	free(p);
}

/* ---- Random damage ---- */

/* What an accepted image must satisfy, checked independently of elf.c. */
static int violations(const struct elf_info *info, size_t size)
{
	int bad = info->nsegs == 0 || info->nsegs > ELF_MAX_SEGMENTS;
	bool entry_ok = false;

	for (unsigned i = 0; i < info->nsegs && i < ELF_MAX_SEGMENTS; i++) {
		const struct elf_segment *g = &info->seg[i];

		bad += g->filesz > g->memsz || g->offset > size || g->filesz > size - g->offset;
		bad += g->vaddr < ELF_USER_MIN || g->memsz > ELF_USER_END - g->vaddr;
		bad += (g->flags & W) && (g->flags & X);
		bad += (g->flags & ~(R | W | X)) != 0;
		entry_ok |=
		    (g->flags & X) && info->entry >= g->vaddr && info->entry < g->vaddr + g->memsz;
	}
	return bad + !entry_ok;
}

static void fuzz(const char *what, const uint8_t *img, size_t n, size_t hot, int rounds)
{
	int accepted = 0, bad = 0;

	SECTION("%d random byte flips of %s (fixed seed)", rounds, what);
	for (int round = 0; round < rounds; round++) {
		uint8_t *p = tu_dup(img, n);
		int flips = 1 + (int)(tu_rand() % 4);
		struct elf_info info;
		char err[96];

		for (int k = 0; k < flips; k++) {
			/* Mostly the headers, where damage changes decisions. */
			size_t at = tu_rand() % (round & 1 ? n : hot);
			p[at] = (uint8_t)tu_rand();
		}
		if (elf_check(p, n, &info, err, sizeof(err)) == 0) {
			accepted++;
			bad += violations(&info, n);
		} else {
			bad += err[0] == '\0' || strchr(err, '\n') != NULL;
		}
		free(p);
	}
	printf("  %d of %d still accepted\n", accepted, rounds);
	CHECK_EQ(bad, 0);
	CHECK(accepted < rounds);
}

static void test_random(void)
{
	size_t n;
	uint8_t *img = tu_load("hello.elf", &n);
	struct spec s;
	uint8_t *p;

	tu_srand(0xe1f64);
	base(&s);
	p = render(&s);
	fuzz("the crafted image", p, s.size, 64 + 4 * 56, 5000);
	fuzz("hello.elf", img, n, 64 + 3 * 56, 5000);
	free(p);
	free(img);
}

int main(void)
{
	test_valid();
	test_header_rules();
	test_phdr_rules();
	test_segment_rules();
	test_layout_rules();
	test_real();
	test_prefixes_crafted();
	test_random();
	return check_summary("elf_test");
}
