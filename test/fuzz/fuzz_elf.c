/*
 * fuzz_elf.c: libFuzzer target for exec's ELF validation (src/lib/elf.c).
 *
 * Each input is a file of the boot image, handed to elf_check() as exec
 * would. Beyond "no crash, no sanitizer report" (the input buffer is exactly
 * `size` bytes, so any read past the image is an AddressSanitizer report),
 * the target checks what elf.h promises:
 *  - the answer is 0 or a known -ELF_ERR_* code, with one line in err that
 *    never runs past errlen, and the same answer with no err buffer and for
 *    a copy of the image at an odd address;
 *  - the first broken rule decides: a short image is TRUNCATED, a bad magic
 *    NOTELF, whatever follows;
 *  - an accepted image describes every PT_LOAD with memsz > 0, in
 *    program-header order (compared with a decoding of its own here), and
 *    each segment lies in the image and in [ELF_USER_MIN, ELF_USER_END)
 *    without wrapping, has filesz <= memsz, R/W/X flags that are some, not
 *    W+X and not W without R; no two segments overlap or share a page with
 *    different flags; the entry point is 2-byte aligned inside an executable
 *    segment. (p_align is not part of the contract: kine copies segments.)
 */
#include "src/lib/elf.h"
#include "test/fuzz/fuzz_util.h"

#define PF_RWX (ELF_PF_R | ELF_PF_W | ELF_PF_X)

/* The header fields an accepted image must have had. */
static void check_ehdr(size_t size, const struct elf64_ehdr *eh)
{
	EXPECT(size >= sizeof(*eh));
	EXPECT(memcmp(eh->e_ident, "\177ELF", 4) == 0);
	EXPECT(eh->e_ident[ELF_EI_CLASS] == ELF_CLASS64);
	EXPECT(eh->e_ident[ELF_EI_DATA] == ELF_DATA2LSB);
	EXPECT(eh->e_ident[ELF_EI_VERSION] == ELF_EV_CURRENT && eh->e_version == ELF_EV_CURRENT);
	EXPECT(eh->e_type == ELF_ET_EXEC && eh->e_machine == ELF_EM_RISCV);
	EXPECT(eh->e_phentsize == sizeof(struct elf64_phdr));
	EXPECT(eh->e_phnum > 0 && eh->e_phnum != ELF_PN_XNUM);
	EXPECT(eh->e_phoff <= size &&
	       (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) <= size - eh->e_phoff);
}

static bool seg_eq(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->vaddr == b->vaddr && a->memsz == b->memsz && a->filesz == b->filesz &&
	       a->offset == b->offset && a->flags == b->flags;
}

/* One accepted segment on its own. */
static void check_segment(const uint8_t *image, size_t size, const struct elf_segment *s)
{
	uint32_t f = s->flags;

	EXPECT(s->memsz > 0 && s->filesz <= s->memsz);
	EXPECT(s->offset <= size && s->filesz <= size - s->offset);
	EXPECT(within(image + s->offset, s->filesz, image, size));
	EXPECT(s->vaddr >= ELF_USER_MIN && s->vaddr < ELF_USER_END);
	EXPECT(s->memsz <= ELF_USER_END - s->vaddr);
	EXPECT(f != 0 && (f & ~PF_RWX) == 0);
	EXPECT(!((f & ELF_PF_W) && (f & ELF_PF_X)));
	EXPECT(!(f & ELF_PF_W) || (f & ELF_PF_R));
}

/* Two accepted segments: disjoint, and a shared page only with equal flags. */
static void check_pair(const struct elf_segment *a, const struct elf_segment *b)
{
	uint64_t a_end = a->vaddr + a->memsz, b_end = b->vaddr + b->memsz;
	uint64_t a_first = a->vaddr / ELF_PAGE_SIZE, a_last = (a_end - 1) / ELF_PAGE_SIZE;
	uint64_t b_first = b->vaddr / ELF_PAGE_SIZE, b_last = (b_end - 1) / ELF_PAGE_SIZE;

	EXPECT(a_end <= b->vaddr || b_end <= a->vaddr);
	if (a->flags != b->flags)
		EXPECT(a_last < b_first || b_last < a_first);
}

/* An accepted image: the result against the file, decoded independently. */
static void check_accepted(const uint8_t *image, size_t size, const struct elf_info *info)
{
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	unsigned k = 0;
	bool entry_ok = false;

	memcpy(&eh, image, sizeof(eh));
	check_ehdr(size, &eh);
	EXPECT(info->nsegs >= 1 && info->nsegs <= ELF_MAX_SEGMENTS);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, image + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		EXPECT(ph.p_type != ELF_PT_INTERP);
		if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
			continue;
		EXPECT(k < info->nsegs);
		const struct elf_segment *s = &info->seg[k++];
		struct elf_segment want = {
		    .vaddr = ph.p_vaddr,
		    .memsz = ph.p_memsz,
		    .filesz = ph.p_filesz,
		    .offset = ph.p_offset,
		    .flags = ph.p_flags & PF_RWX,
		};
		EXPECT(seg_eq(s, &want));
	}
	EXPECT(k == info->nsegs);

	for (unsigned i = 0; i < info->nsegs; i++) {
		const struct elf_segment *s = &info->seg[i];

		check_segment(image, size, s);
		for (unsigned j = i + 1; j < info->nsegs; j++)
			check_pair(s, &info->seg[j]);
		if ((s->flags & ELF_PF_X) && info->entry >= s->vaddr &&
		    info->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	EXPECT(info->entry == eh.e_entry);
	EXPECT((info->entry & 1) == 0 && entry_ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elf_info info, again;
	char err[ERRBUF_TOTAL];
	/* An error buffer of 0 to 127 bytes: short ones truncate the message. */
	size_t errlen = size ? data[size - 1] % 128 : 64;
	uint8_t *odd;
	int rc;

	errbuf_arm(err);
	rc = elf_check(data, size, &info, errlen ? err : NULL, errlen);
	EXPECT(rc == 0 || (rc < 0 && rc > -ELF_NERRORS));
	errbuf_check(err, errlen, rc < 0);

	/* The first rule broken decides. */
	if (size < sizeof(struct elf64_ehdr))
		EXPECT(rc == -ELF_ERR_TRUNCATED);
	else if (memcmp(data, "\177ELF", 4) != 0)
		EXPECT(rc == -ELF_ERR_NOTELF);

	if (rc == 0)
		check_accepted(data, size, &info);

	/* Without an error buffer, and at an odd address: the same answer. */
	EXPECT(elf_check(data, size, &again, NULL, 0) == rc);
	odd = malloc(size + 1);
	memcpy(odd + 1, data, size);
	EXPECT(elf_check(odd + 1, size, &again, NULL, 0) == rc);
	free(odd);
	if (rc == 0) {
		EXPECT(again.entry == info.entry && again.nsegs == info.nsegs);
		for (unsigned i = 0; i < info.nsegs; i++)
			EXPECT(seg_eq(&again.seg[i], &info.seg[i]));
	}
	return 0;
}
