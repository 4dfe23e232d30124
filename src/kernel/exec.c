/*
 * exec.c: from a file of the boot image to a running process.
 *
 * The ELF image is checked first (src/lib/elf.c: class, machine, segments
 * inside user space, no W+X, ...), then each PT_LOAD segment gets fresh
 * zeroed pages with its own permissions and its file bytes; the stack
 * (USER_STACK_SIZE below USER_STACK_TOP, with unmapped pages on both
 * sides) receives the argument strings and the argv array. Any failure
 * frees everything the call allocated.
 */
#include "src/kernel/exec.h"

#include "src/arch/riscv/pagecopy.h"
#include "src/kernel/kernel.h"
#include "src/lib/cpio.h"
#include "src/lib/elf.h"
#include "src/mm/mm.h"
#include "src/mm/phys.h"
#include "src/mm/uaccess.h"
#include "src/sched/proc.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"

/* Set once at boot; read-only afterwards. */
static const void *bootimage;
static size_t bootimage_size;

void bootimage_init(uint64_t pa, uint64_t size)
{
	bootimage = size ? phys_to_virt(pa) : NULL;
	bootimage_size = size;
}

bool bootimage_find(const char *name, const void **data, size_t *size)
{
	if (name[0] == '/')
		name++;
	return bootimage != NULL && cpio_find(bootimage, bootimage_size, name, data, size) == 0;
}

bool bootimage_file(long index, struct cpio_entry *e)
{
	struct cpio_iter it;

	if (bootimage == NULL || index < 0)
		return false;
	cpio_iter_init(&it, bootimage, bootimage_size);
	while (cpio_next(&it, e) == 1)
		if ((e->mode & CPIO_S_IFMT) == CPIO_S_IFREG && index-- == 0)
			return true;
	return false;
}

static unsigned segment_perm(uint32_t flags)
{
	return ((flags & ELF_PF_R) ? VM_READ : 0) | ((flags & ELF_PF_W) ? VM_WRITE : 0) |
	       ((flags & ELF_PF_X) ? VM_EXEC : 0);
}

/* Map the segment's pages (a page another segment mapped is kept) and copy its bytes. */
static int exec_load_segment(struct mm *mm, const uint8_t *image, const struct elf_segment *seg)
{
	uintptr_t lo = PAGE_ALIGN_DOWN(seg->vaddr), hi = PAGE_ALIGN_UP(seg->vaddr + seg->memsz);
	int err;

	for (uintptr_t va = lo; va < hi; va += PAGE_SIZE) {
		err = mm_map_anon(mm, va, PAGE_SIZE, segment_perm(seg->flags));
		if (err != 0 && err != -EEXIST)
			return err;
	}
	for (uint64_t done = 0; done < seg->filesz;) {
		uintptr_t va = seg->vaddr + done;
		size_t c = PAGE_SIZE - va % PAGE_SIZE;
		const uint8_t *src;
		uint8_t *page;

		if (c > seg->filesz - done)
			c = seg->filesz - done;
		mm_lock(mm);
		page = mm_user_page(mm, PAGE_ALIGN_DOWN(va), false);
		assert(page != NULL);
		src = image + seg->offset + done;
		/* A whole page from a page-aligned source: the page copy. */
		if (c == PAGE_SIZE && (uintptr_t)src % PAGE_SIZE == 0)
			page_copy(page, src);
		else
			memcpy(page + va % PAGE_SIZE, src, c);
		mm_unlock(mm);
		done += c;
	}
	return 0;
}

/* Push the strings, then argv[], onto the new stack; returns the new sp. */
static int exec_push_args(struct mm *mm, int argc, const char *const argv[], uint64_t *sp_out,
			  uint64_t *argv_out)
{
	uint64_t sp = USER_STACK_TOP, uargv[EXEC_MAX_ARGS + 1];

	for (int i = argc - 1; i >= 0; i--) {
		size_t len = strlen(argv[i]) + 1;

		if (len > 4096)
			return -E2BIG;
		sp -= len;
		if (copyout(mm, sp, argv[i], len) < 0)
			return -EFAULT;
		uargv[i] = sp;
	}
	uargv[argc] = 0;
	sp -= (argc + 1) * sizeof(uint64_t);
	sp &= ~15ul; /* the RISC-V ABI wants sp 16-byte aligned */
	if (copyout(mm, sp, uargv, (argc + 1) * sizeof(uint64_t)) < 0)
		return -EFAULT;
	*sp_out = sp;
	*argv_out = sp;
	return 0;
}

static int exec_load(struct mm *mm, const void *image, size_t size, struct elf_info *info)
{
	char why[96];
	int err;

	if (elf_check(image, size, info, why, sizeof(why)) < 0) {
		kprintf("kine: exec: %s\n", why);
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < info->nsegs; i++) {
		const struct elf_segment *seg = &info->seg[i];

		if ((err = exec_load_segment(mm, image, seg)) < 0)
			return err;
		/* The heap (sbrk) starts at the first page above every segment. */
		if (PAGE_ALIGN_UP(seg->vaddr + seg->memsz) > mm->brk)
			mm->brk = mm->brk_base = PAGE_ALIGN_UP(seg->vaddr + seg->memsz);
	}
	return mm_map_anon(mm, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE,
			   VM_READ | VM_WRITE);
}

/* A new address space holding program `name` with its arguments. */
static int exec_build(const char *name, int argc, const char *const argv[], struct mm **mm_out,
		      uint64_t *entry, uint64_t *sp, uint64_t *uargv)
{
	const void *image;
	size_t size;
	struct elf_info info;
	struct mm *mm;
	int err;

	if (argc < 1 || argc > EXEC_MAX_ARGS)
		return -E2BIG;
	if (!bootimage_find(name, &image, &size))
		return -ENOENT;
	if ((mm = mm_create()) == NULL)
		return -ENOMEM;
	if ((err = exec_load(mm, image, size, &info)) < 0 ||
	    (err = exec_push_args(mm, argc, argv, sp, uargv)) < 0) {
		mm_destroy(mm);
		return err;
	}
	*entry = info.entry;
	*mm_out = mm;
	return 0;
}

int exec_spawn(int argc, const char *const argv[], struct proc **out)
{
	struct mm *mm;
	struct proc *p;
	uint64_t entry, sp, uargv;
	int err;

	if ((err = exec_build(argv[0], argc, argv, &mm, &entry, &sp, &uargv)) < 0)
		return err;
	if ((p = proc_create(argv[0], mm, NULL)) == NULL) {
		mm_destroy(mm);
		return -EAGAIN;
	}
	if ((err = fdtable_init_console(&p->files)) < 0) {
		proc_free_unstarted(p);
		return err;
	}
	if ((err = proc_start(p, entry, sp, (uint64_t)argc, uargv)) < 0) {
		proc_free_unstarted(p);
		return err;
	}
	*out = p;
	return 0;
}

int exec_replace(const char *name, int argc, const char *const argv[])
{
	struct proc *p = proc_current();
	struct thread *t = thread_current();
	struct mm *new, *old = p->mm;
	uint64_t entry, sp, uargv;
	int err;

	/* Replacing the program under other threads' feet: not supported yet. */
	spin_lock(&p->lock);
	err = p->live > 1 ? -EBUSY : 0;
	spin_unlock(&p->lock);
	if (err < 0 || (err = exec_build(name, argc, argv, &new, &entry, &sp, &uargv)) < 0)
		return err;
	/* Under p->lock: ps reads both, and must not walk the old mm as it goes. */
	spin_lock(&p->lock);
	p->mm = new;
	/* The process takes the program's name (console messages name it). */
	for (size_t i = 0, end = 0; i < sizeof(p->name); i++) {
		end |= i + 1 == sizeof(p->name) || name[i] == '\0';
		p->name[i] = end ? '\0' : name[i];
	}
	spin_unlock(&p->lock);
	mm_activate(new);
	mm_destroy(old);
	user_frame_init(t->uframe, entry, sp, (uint64_t)argc, uargv);
	return argc; /* the system call's result lands in a0: argc */
}
