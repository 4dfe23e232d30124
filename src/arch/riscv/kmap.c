/*
 * kmap.c: the kernel's page table, with a permission for each part.
 *
 * Replaces the boot page table (1 GiB leaves, everything RWX) with:
 *  - the image at KERNEL_VIRT_BASE: text R-X, read-only data R--, data and
 *    bss RW-, and each hart's stack guard page left unmapped, so a stack
 *    overflow faults instead of running into the next hart's stack;
 *  - the direct map at DIRECT_MAP_BASE + pa: every RAM range RW-, never
 *    executable, with 1 GiB and 2 MiB leaves where alignment allows;
 *  - the devices kine drives (console UART, PLIC, test device) RW-, in the
 *    direct map too. Without Svpbmt the platform's PMAs already make these
 *    ranges uncached and strongly ordered; nothing in the PTE is needed.
 * Every leaf is global (G): the kernel half is the same in every address
 * space. Only the boot hart builds or changes this table, before any other
 * hart starts, so it needs no lock.
 */
#include "src/arch/riscv/kmap.h"

#include "src/arch/riscv/entry.h"
#include "src/arch/riscv/memlayout.h"
#include "src/arch/riscv/mmu.h"
#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/pte.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/mm/pagetable.h"

extern char kernel_start[], kernel_rodata_start[], kernel_data_start[], kernel_end[];
extern uint8_t hart_stacks[KINE_MAX_HARTS][KSTACK_SLOT_SIZE];

paddr_t kernel_root;

/*
 * A failed kmap panics; what its undo hands back may go at once, as no
 * other hart has started and this one has not loaded the table yet.
 */
static void kmap_table_free(paddr_t table, void *ctx)
{
	(void)ctx;
	pt_page_free(table);
}

static void kmap(uintptr_t va, paddr_t pa, uint64_t size, uint64_t perm, unsigned flags,
		 const char *what)
{
	static const struct pt_release undo = {.frame = NULL, .table = kmap_table_free};
	int err = pt_map(kernel_root, va, pa, size, perm | PTE_G, flags, &undo);

	if (err != PT_OK)
		panic("kmap: %s at %#lx (%#lx bytes): %s", what, va, size, pt_strerror(err));
}

static void kmap_image_range(uintptr_t start, uintptr_t end, uint64_t perm, const char *what)
{
	if (end > start)
		kmap(start, KERNEL_IMAGE_PA(start), end - start, perm, 0, what);
}

/* Data and bss, with a hole at every stack slot's guard page. */
static void kmap_data(void)
{
	uintptr_t start = (uintptr_t)kernel_data_start;

	for (int i = 0; i < KINE_MAX_HARTS; i++) {
		uintptr_t guard = (uintptr_t)hart_stacks[i];

		kmap_image_range(start, guard, PTE_R | PTE_W, "data");
		start = guard + KSTACK_GUARD_SIZE;
	}
	kmap_image_range(start, (uintptr_t)kernel_end, PTE_R | PTE_W, "data");
}

static void kmap_device(uint64_t base, uint64_t size, const char *what)
{
	paddr_t lo = PAGE_ALIGN_DOWN(base), hi = PAGE_ALIGN_UP(base + size);

	kmap(DIRECT_MAP_BASE + lo, lo, hi - lo, PTE_R | PTE_W, PT_MAP_HUGE, what);
}

static void kmap_check_report(uintptr_t va, pte_t pte, const char *why, void *ctx)
{
	kprintf("kine: kmap: va %#lx pte %#lx: %s\n", va, pte, why);
}

void kmap_init(const struct platform *plat)
{
	int problems;

	kernel_root = pt_create();
	if (kernel_root == 0)
		panic("kmap: no memory for the kernel's root table");
	kmap_image_range((uintptr_t)kernel_start, (uintptr_t)kernel_rodata_start, PTE_R | PTE_X,
			 "text");
	kmap_image_range((uintptr_t)kernel_rodata_start, (uintptr_t)kernel_data_start, PTE_R,
			 "rodata");
	kmap_data();
	for (int i = 0; i < plat->nmem; i++) {
		/* The direct map ends where the kernel-stack window begins. */
		if (plat->mem[i].base + plat->mem[i].size > KSTACK_WINDOW_BASE - DIRECT_MAP_BASE)
			panic("kmap: RAM at %#lx (%#lx bytes) lies past the direct map's %lu GiB",
			      plat->mem[i].base, plat->mem[i].size,
			      (KSTACK_WINDOW_BASE - DIRECT_MAP_BASE) >> 30);
		kmap(DIRECT_MAP_BASE + plat->mem[i].base, plat->mem[i].base, plat->mem[i].size,
		     PTE_R | PTE_W, PT_MAP_HUGE, "RAM");
	}
	if (plat->uart.kind != UART_NONE)
		kmap_device(plat->uart.base, plat->uart.size, "uart");
	if (plat->plic.present)
		kmap_device(plat->plic.base, plat->plic.size, "plic");
	if (plat->testdev.present)
		kmap_device(plat->testdev.base, PAGE_SIZE, "test device");

	problems = pt_check_ad(kernel_root, kmap_check_report, NULL);
	if (problems != 0)
		panic("kmap: %d problems in the kernel page table", problems);
	kernel_satp = satp_make(kernel_root, 0);
	/*
	 * The boot table's entries are global: flush them all, and order the
	 * stores that built this table before the first walk of it.
	 */
	mmu_flush_all();
	mmu_switch(kernel_root, 0);
	mmu_flush_all();
}
