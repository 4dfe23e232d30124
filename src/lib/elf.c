/*
 * elf.c: the rules of elf.h, checked one at a time.
 *
 * Owns nothing; the image is never written.
 *
 * Invariants:
 *  - Nothing is read from the image before its range is known to lie in
 *    [0, size); headers are copied out with memcpy, so no read is
 *    misaligned, whatever the image's address.
 *  - Range checks are written as "n <= size - off" with off <= size known,
 *    and address sums are formed only after they are known not to wrap, so
 *    no 64-bit value from the file can overflow an expression.
 *  - The first broken rule decides: elf_check() returns its code at once,
 *    with exactly one line in err, and leaves *out meaningless.
 *  - Loops are bounded by e_phnum (< 0xffff) and ELF_MAX_SEGMENTS.
 */
#include "src/lib/elf.h"

#include <stdarg.h>
#include <stdbool.h>

#include "src/lib/fmt.h"
#include "src/lib/string.h"

/* memcpy into these structs decodes the file only on a little-endian host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ELF decoding assumes little-endian");
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr is 56 bytes");

#define PF_RWX (ELF_PF_R | ELF_PF_W | ELF_PF_X)

static const uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};

/* One check in progress: the image and where its complaint goes. */
struct ctx {
	const uint8_t *image;
	uint64_t size;
	char *err;
	size_t errlen;
};

static int fail(const struct ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen > 0) {
		va_start(ap, fmt);
		fmt_vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -code;
}

/* True if [off, off + n) lies inside the image; never overflows. */
static bool in_image(const struct ctx *c, uint64_t off, uint64_t n)
{
	return off <= c->size && n <= c->size - off;
}

static uint64_t page_down(uint64_t a)
{
	return a & ~(ELF_PAGE_SIZE - 1);
}

/* Only for addresses below ELF_USER_END, where rounding up cannot wrap. */
static uint64_t page_up(uint64_t a)
{
	return page_down(a + ELF_PAGE_SIZE - 1);
}

/* ---- The ELF header ---- */

static int check_ehdr(const struct ctx *c, struct elf64_ehdr *eh)
{
	if (c->size < sizeof(*eh))
		return fail(c, ELF_ERR_TRUNCATED, "image is %llu bytes, smaller than an ELF header",
			    (unsigned long long)c->size);
	memcpy(eh, c->image, sizeof(*eh));

	if (memcmp(eh->e_ident, elf_magic, sizeof(elf_magic)) != 0)
		return fail(c, ELF_ERR_NOTELF, "not an ELF file (bad magic)");
	if (eh->e_ident[ELF_EI_CLASS] != ELF_CLASS64)
		return fail(c, ELF_ERR_UNSUPPORTED, "not a 64-bit ELF (class %u)",
			    eh->e_ident[ELF_EI_CLASS]);
	if (eh->e_ident[ELF_EI_DATA] != ELF_DATA2LSB)
		return fail(c, ELF_ERR_UNSUPPORTED, "not little-endian (data encoding %u)",
			    eh->e_ident[ELF_EI_DATA]);
	if (eh->e_ident[ELF_EI_VERSION] != ELF_EV_CURRENT || eh->e_version != ELF_EV_CURRENT)
		return fail(c, ELF_ERR_UNSUPPORTED, "unsupported ELF version %u/%u",
			    eh->e_ident[ELF_EI_VERSION], eh->e_version);
	if (eh->e_type == ELF_ET_DYN)
		return fail(c, ELF_ERR_UNSUPPORTED,
			    "position-independent executable (ET_DYN); only ET_EXEC is loaded");
	if (eh->e_type != ELF_ET_EXEC)
		return fail(c, ELF_ERR_UNSUPPORTED, "not an executable (e_type %u)", eh->e_type);
	if (eh->e_machine != ELF_EM_RISCV)
		return fail(c, ELF_ERR_UNSUPPORTED, "not a RISC-V program (machine %u)",
			    eh->e_machine);
	return 0;
}

/* The program-header table: its entry size, count and place in the image. */
static int check_phdr_table(const struct ctx *c, const struct elf64_ehdr *eh)
{
	uint64_t len = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);

	if (eh->e_phnum == 0)
		return fail(c, ELF_ERR_NOLOAD, "no PT_LOAD segment (no program headers)");
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return fail(c, ELF_ERR_PHDRS, "program header entry size %u, expected %zu",
			    eh->e_phentsize, sizeof(struct elf64_phdr));
	if (eh->e_phnum == ELF_PN_XNUM)
		return fail(c, ELF_ERR_PHDRS, "too many program headers (PN_XNUM)");
	if (!in_image(c, eh->e_phoff, len))
		return fail(c, ELF_ERR_PHDRS,
			    "program headers [0x%llx, +0x%llx) outside the %llu-byte image",
			    (unsigned long long)eh->e_phoff, (unsigned long long)len,
			    (unsigned long long)c->size);
	return 0;
}

/* ---- One segment ---- */

/* The file bytes a segment copies: no more than it occupies, all in the image. */
static int check_load_file(const struct ctx *c, unsigned i, const struct elf64_phdr *ph)
{
	unsigned long long off = ph->p_offset, filesz = ph->p_filesz, memsz = ph->p_memsz;

	if (filesz > memsz)
		return fail(c, ELF_ERR_SEGMENT, "program header %u: filesz 0x%llx > memsz 0x%llx",
			    i, filesz, memsz);
	if (!in_image(c, off, filesz))
		return fail(c, ELF_ERR_SEGMENT,
			    "program header %u: file bytes [0x%llx, +0x%llx) outside the image", i,
			    off, filesz);
	return 0;
}

/* Its addresses: no wrap, page 0 left alone, nothing in the kernel's half. */
static int check_load_range(const struct ctx *c, unsigned i, const struct elf64_phdr *ph)
{
	unsigned long long va = ph->p_vaddr, memsz = ph->p_memsz;

	if (memsz > UINT64_MAX - va)
		return fail(c, ELF_ERR_SEGMENT,
			    "program header %u: vaddr 0x%llx + memsz 0x%llx wraps", i, va, memsz);
	if (va < ELF_USER_MIN)
		return fail(c, ELF_ERR_SEGMENT,
			    "program header %u: vaddr 0x%llx in page 0 (kept unmapped)", i, va);
	if (va + memsz > ELF_USER_END)
		return fail(c, ELF_ERR_SEGMENT,
			    "program header %u: end 0x%llx beyond the user half (0x%lx)", i,
			    va + memsz, ELF_USER_END);
	return 0;
}

/* Its permissions: some, never W+X, never W without R. */
static int check_load_flags(const struct ctx *c, unsigned i, const struct elf64_phdr *ph)
{
	uint32_t f = ph->p_flags & PF_RWX;

	if (f == 0)
		return fail(c, ELF_ERR_SEGMENT, "program header %u: no R, W or X permission", i);
	if ((f & ELF_PF_W) && (f & ELF_PF_X))
		return fail(c, ELF_ERR_SEGMENT, "program header %u: writable and executable (W^X)",
			    i);
	/* R=0 W=1 is a reserved PTE encoding on RISC-V. */
	if ((f & ELF_PF_W) && !(f & ELF_PF_R))
		return fail(c, ELF_ERR_SEGMENT, "program header %u: writable but not readable", i);
	return 0;
}

/* A segment that occupies no memory maps nothing: only its file bytes matter. */
static int check_load(const struct ctx *c, unsigned i, const struct elf64_phdr *ph)
{
	int err = check_load_file(c, i, ph);

	if (err < 0 || ph->p_memsz == 0)
		return err;
	err = check_load_range(c, i, ph);
	if (err < 0)
		return err;
	return check_load_flags(c, i, ph);
}

/*
 * Walk the table: reject PT_INTERP, check every PT_LOAD with memsz > 0 and
 * collect it into out->seg, its program-header index into phidx.
 */
static int collect_loads(const struct ctx *c, const struct elf64_ehdr *eh, struct elf_info *out,
			 unsigned *phidx)
{
	struct elf64_phdr ph;
	int err;

	out->nsegs = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		memcpy(&ph, c->image + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == ELF_PT_INTERP)
			return fail(
			    c, ELF_ERR_UNSUPPORTED,
			    "program header %u: PT_INTERP (dynamically linked); only static "
			    "executables are loaded",
			    i);
		if (ph.p_type != ELF_PT_LOAD)
			continue;
		err = check_load(c, i, &ph);
		if (err < 0)
			return err;
		if (ph.p_memsz == 0)
			continue;
		if (out->nsegs == ELF_MAX_SEGMENTS)
			return fail(c, ELF_ERR_PHDRS, "more than %d PT_LOAD segments",
				    ELF_MAX_SEGMENTS);
		phidx[out->nsegs] = i;
		out->seg[out->nsegs++] = (struct elf_segment){
		    .vaddr = ph.p_vaddr,
		    .memsz = ph.p_memsz,
		    .filesz = ph.p_filesz,
		    .offset = ph.p_offset,
		    .flags = ph.p_flags & PF_RWX,
		};
	}
	if (out->nsegs == 0)
		return fail(c, ELF_ERR_NOLOAD, "no PT_LOAD segment");
	return 0;
}

/* ---- Between segments ---- */

/* Every segment lies below ELF_USER_END here, so these sums cannot wrap. */
static int check_pair(const struct ctx *c, const struct elf_segment *a, unsigned ia,
		      const struct elf_segment *b, unsigned ib)
{
	uint64_t a_end = a->vaddr + a->memsz, b_end = b->vaddr + b->memsz;

	if (a->vaddr < b_end && b->vaddr < a_end)
		return fail(c, ELF_ERR_OVERLAP, "program headers %u and %u overlap", ia, ib);
	if (a->flags == b->flags)
		return 0;
	if (page_down(a->vaddr) < page_up(b_end) && page_down(b->vaddr) < page_up(a_end))
		return fail(c, ELF_ERR_OVERLAP,
			    "program headers %u and %u share a page with different permissions", ia,
			    ib);
	return 0;
}

static int check_overlaps(const struct ctx *c, const struct elf_info *out, const unsigned *phidx)
{
	int err;

	for (unsigned i = 0; i < out->nsegs; i++) {
		for (unsigned j = i + 1; j < out->nsegs; j++) {
			err = check_pair(c, &out->seg[i], phidx[i], &out->seg[j], phidx[j]);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

static int check_entry(const struct ctx *c, const struct elf_info *out)
{
	if (out->entry & 1)
		return fail(c, ELF_ERR_ENTRY, "entry point 0x%llx is not 2-byte aligned",
			    (unsigned long long)out->entry);
	for (unsigned i = 0; i < out->nsegs; i++) {
		const struct elf_segment *s = &out->seg[i];

		if ((s->flags & ELF_PF_X) && out->entry >= s->vaddr &&
		    out->entry - s->vaddr < s->memsz)
			return 0;
	}
	return fail(c, ELF_ERR_ENTRY, "entry point 0x%llx is not in an executable segment",
		    (unsigned long long)out->entry);
}

int elf_check(const void *image, size_t size, struct elf_info *out, char *err, size_t errlen)
{
	struct ctx c = {.image = image, .size = size, .err = err, .errlen = errlen};
	struct elf64_ehdr eh;
	unsigned phidx[ELF_MAX_SEGMENTS];
	int r;

	r = check_ehdr(&c, &eh);
	if (r == 0)
		r = check_phdr_table(&c, &eh);
	if (r == 0)
		r = collect_loads(&c, &eh, out, phidx);
	if (r == 0)
		r = check_overlaps(&c, out, phidx);
	if (r == 0) {
		out->entry = eh.e_entry;
		r = check_entry(&c, out);
	}
	if (r == 0 && err && errlen > 0)
		err[0] = '\0';
	return r;
}
