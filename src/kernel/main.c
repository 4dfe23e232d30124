/*
 * main.c: the boot hart's path from the first C instruction to a running
 * machine, and the end of a run.
 *
 * Order matters: the SBI probe first (the console falls back to SBI
 * putchar until the UART is known), then the device tree (everything else
 * is described there), then this hart's traps and devices, then the other
 * harts. Boot options (/chosen/bootargs):
 *   test=NAME     run built-in self-test NAME, then end the run with its verdict
 *   timer=sbi     program the timer through SBI even where Sstc exists
 *   asid_bits=N   use at most N ASID bits (0-16)
 *   tlb_threshold=N  shootdowns flush the whole ASID past N pages (default 64)
 *   tlb=sbi | tlb=ipi  remote shootdowns through SBI RFENCE (the default) or
 *                 kine's own IPIs (the default of //:kernel_ipi and of seed=N)
 *   ptshare=on | ptshare=off
 *                 whether fork shares level-0 page tables with the child
 *                 (src/mm/ptshare.h; on by default) or copies their
 *                 leaves one by one (per-page copy-on-write); the debug
 *                 image also takes ptshare=unprotected, ptshare=extraref
 *                 and ptshare=noforkwait (fault injection: wakers skip the
 *                 protection; a table copy takes a reference too many; a
 *                 fault's wake or own does not wait for a pending fork's
 *                 shootdown: its checks must catch each)
 *   thp=on | thp=off
 *                 whether private anonymous mappings get 2 MiB megapages
 *                 where a 2 MiB-aligned 2 MiB lies wholly inside one
 *                 (src/mm/megapage.h; on by default) or 4 KiB pages only;
 *                 the debug image also takes thp=extramap (fault
 *                 injection: a fork takes one whole map too many, which
 *                 the count audit must catch)
 *   faultlock=table | faultlock=mm
 *                 what a page fault locks: the level-0 table of its PTE
 *                 alone (src/mm/ptlock.h; the default), or also the
 *                 process-wide mm->lock (the baseline split locks are
 *                 measured against)
 *   ptlock=nograce | ptlock=norecheck | ptlock=noforkwait
 *                 the debug image only: fault injection into the split
 *                 locks (table frees skip the wait for lockless walks; a
 *                 fault trusts the link it read before its lock; a COW
 *                 copy does not wait for a pending fork's shootdown):
 *                 their checks must catch each
 *   pagecopy=scalar | pagecopy=vector
 *                 how whole pages are copied (src/arch/riscv/pagecopy.h);
 *                 vector needs V on every hart, scalar is the default
 *   seed=N        perturb the schedule from seed N (src/sched/perturb.h): with
 *                 `./kine run --seed N` (QEMU's icount mode) one seed is one
 *                 repeatable interleaving
 *   entry=release | entry=release-spin
 *                 push the other harts through _start first, as a boot
 *                 loader releasing every hart would (tests the lottery)
 *   late_hart=N   fault injection: hart N (logical index, 1 or more) comes
 *                 online only after the boot hart has given up on it
 *   -- CMD        run a command line (sh -c CMD when the boot image has a
 *                 shell, else "prog arg ...") and end the run with its
 *                 exit status
 */
#include "src/arch/riscv/kmap.h"
#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/memlayout.h"
#include "src/arch/riscv/mmu.h"
#include "src/arch/riscv/pagecopy.h"
#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/plic.h"
#include "src/arch/riscv/sbi.h"
#include "src/arch/riscv/smp.h"
#include "src/arch/riscv/timer.h"
#include "src/arch/riscv/trap.h"
#include "src/arch/riscv/uart.h"
#include "src/kernel/exec.h"
#include "src/kernel/kernel.h"
#include "src/lib/bootargs.h"
#include "src/lib/fmt.h"
#include "src/mm/cow.h"
#include "src/mm/frame.h"
#include "src/mm/frame_cache.h"
#include "src/mm/kstack.h"
#include "src/mm/megapage.h"
#include "src/mm/memstat.h"
#include "src/mm/mm.h"
#include "src/mm/phys.h"
#include "src/mm/physmem.h"
#include "src/mm/pt_frames.h"
#include "src/mm/ptlock.h"
#include "src/mm/ptshare.h"
#include "src/mm/slab.h"
#include "src/mm/tlb.h"
#include "src/sched/hart.h"
#include "src/sched/ipi.h"
#include "src/sched/perturb.h"
#include "src/sched/proc.h"
#include "src/sched/sleep.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"

extern char kernel_start[], kernel_end[];

/* Filled by the boot hart before any other hart starts; read-only after. */
static struct platform platform;
static struct bootargs bootargs;

static void boot_parse(uint64_t dtb)
{
	char err[128];

	if (platform_from_fdt(phys_to_virt(dtb), dtb, &platform, err, sizeof(err)) < 0)
		panic("cannot use the device tree at %#lx: %s", dtb, err);
	if (bootargs_parse(&bootargs, platform.bootargs ? platform.bootargs : "", err,
			   sizeof(err)) < 0)
		kine_finish(false, "bad boot arguments: %s", err);
}

static void boot_print_memory(void)
{
	for (int i = 0; i < platform.nmem; i++)
		kprintf("kine: memory %#lx-%#lx (%lu MiB)\n", platform.mem[i].base,
			platform.mem[i].base + platform.mem[i].size - 1,
			platform.mem[i].size >> 20);
	for (int i = 0; i < platform.nreserved; i++)
		kprintf("kine: reserved %#lx-%#lx\n", platform.reserved[i].base,
			platform.reserved[i].base + platform.reserved[i].size - 1);
	kprintf("kine: kernel image %#lx-%#lx at %#lx\n", KERNEL_IMAGE_PA(kernel_start),
		KERNEL_IMAGE_PA(kernel_end) - 1, (uintptr_t)kernel_start);
}

/*
 * The frame allocator gets RAM minus every reserved range and minus the
 * kernel image; then the kernel's real page table replaces the boot one.
 */
/* ptshare=on|off (src/mm/ptshare.h), before any process forks. */
static void boot_ptshare(void)
{
	const char *how = bootargs_get(&bootargs, "ptshare");

	if (how == NULL || strcmp(how, "on") == 0)
		ptshare_enabled = true;
	else if (strcmp(how, "off") == 0)
		ptshare_enabled = false;
	else if (strcmp(how, "unprotected") == 0 && ptshare_check_enabled())
		ptshare_skip_protect = true; /* fault injection: the check must catch it */
	else if (strcmp(how, "extraref") == 0 && ptshare_check_enabled())
		ptshare_extra_ref = true; /* fault injection: the audit must catch it */
	else if (strcmp(how, "noforkwait") == 0 && ptshare_check_enabled())
		ptshare_skip_fork_wait =
		    true; /* fault injection: the protect check must catch it */
	else
		kine_finish(false, "unknown ptshare=%s (on or off)", how);
	memstat_on_settle(ptshare_audit); /* the debug image's global audit; nothing elsewhere */
}

/* thp=on|off (src/mm/megapage.h), before the first process maps memory. */
static void boot_thp(void)
{
	const char *how = bootargs_get(&bootargs, "thp");

	bool on = how == NULL || strcmp(how, "on") == 0;

	if (how != NULL && strcmp(how, "extramap") == 0 && ptshare_check_enabled())
		on = megapage_extra_map = true; /* fault injection: the audit must catch it */
	else if (!on && strcmp(how, "off") != 0)
		kine_finish(false, "unknown thp=%s (on or off)", how);
	kprintf("kine: megapages: %s\n",
		megapage_set(on) ? "on (2 MiB, private anonymous memory)" : "off");
}

/* faultlock=table|mm (src/mm/cow.h), before any process faults. */
static void boot_faultlock(void)
{
	const char *how = bootargs_get(&bootargs, "faultlock");

	if (how == NULL || strcmp(how, "table") == 0)
		cow_fault_serialized = false;
	else if (strcmp(how, "mm") == 0)
		cow_fault_serialized = true; /* the baseline: every fault takes mm->lock too */
	else
		kine_finish(false, "unknown faultlock=%s (table or mm)", how);
	how = bootargs_get(&bootargs, "ptlock");
	if (how == NULL)
		return;
	if (strcmp(how, "nograce") == 0 && ptshare_check_enabled())
		ptlock_skip_grace = true; /* fault injection: the walk shadow must catch it */
	else if (strcmp(how, "norecheck") == 0 && ptshare_check_enabled())
		ptlock_skip_recheck = true; /* fault injection: the held-link check must catch it */
	else if (strcmp(how, "noforkwait") == 0 && ptshare_check_enabled())
		cow_skip_fork_wait = true; /* fault injection: the copy check must catch it */
	else
		kine_finish(
		    false, "unknown ptlock=%s (nograce, norecheck or noforkwait, debug image only)",
		    how);
}

static void boot_memory(void)
{
	static struct physmem pm;
	struct physmem_range ram[PLATFORM_MAX_MEM], rsv[PLATFORM_MAX_RESERVED + 1];
	int nrsv = 0;
	char err[128];

	for (int i = 0; i < platform.nmem; i++)
		ram[i] = (struct physmem_range){platform.mem[i].base, platform.mem[i].size};
	for (int i = 0; i < platform.nreserved; i++)
		rsv[nrsv++] =
		    (struct physmem_range){platform.reserved[i].base, platform.reserved[i].size};
	rsv[nrsv++] = (struct physmem_range){KERNEL_IMAGE_PA(kernel_start),
					     (uintptr_t)kernel_end - (uintptr_t)kernel_start};
	if (physmem_init(&pm, ram, platform.nmem, rsv, nrsv, err, sizeof(err)) < 0)
		panic("physical memory map: %s", err);
	frames_init(&pm);
	slab_init();
	pt_pool_init();
	bootimage_init(platform.initrd.base, platform.initrd.size);
	kmap_init(&platform);
	kstack_init();
	kprintf("kine: frames: %lu free of %lu managed (%lu MiB), per-hart caches %s, poison %s\n",
		memstat_free_frames(), frames_managed(), frames_managed() >> (20 - PAGE_SHIFT),
		frame_cache_enabled() ? "on" : "off", frame_poison_enabled() ? "on" : "off");
	boot_ptshare();
	boot_faultlock();
	megapage_init();
	boot_thp();
	kprintf("kine: fork: %s\n", mm_fork_mode());
	kprintf("kine: kernel page table at %#lx: text r-x, rodata r--, data rw-, guard pages "
		"unmapped, direct map rw-, thread stacks at %#lx with %lu KiB guards\n",
		kernel_root, (unsigned long)KSTACK_WINDOW_BASE,
		(unsigned long)KSTACK_GUARD_PAGES * PAGE_SIZE / 1024);
}

static void boot_print_harts(void)
{
	for (int i = 0; i < nharts; i++)
		kprintf("kine: hart %u: cpu %d, timer %s, plic context %d\n", harts[i].hartid, i,
			harts[i].arch.sstc ? "sstc" : "sbi", harts[i].arch.plic_context);
}

/* This hart's own traps, timer and interrupt controller. */
static void boot_this_hart(void)
{
	trap_init_hart();
	this_hart()->arch.asid_bits = mmu_probe_asid_bits();
	timer_init(&platform);
	timer_init_hart();
	plic_init_hart();
	if (!hart_set_online())
		panic("the boot hart was given up on");
	arch_irq_enable();
}

/*
 * The ASID width every hart can use, capped by asid_bits=N (so QEMU, which
 * implements 16, can exercise narrow widths and rollovers).
 */
static void boot_asid_bits(void)
{
	unsigned narrowest = 16;
	uint64_t cap = 16;
	char err[96];

	for (int i = 0; i < nharts; i++)
		if (hart_is_online(&harts[i]) && harts[i].arch.asid_bits < narrowest)
			narrowest = harts[i].arch.asid_bits;
	if (bootargs_get_u64(&bootargs, "asid_bits", 0, 16, &cap, err, sizeof(err)) ==
	    -BOOTARGS_EVALUE)
		kine_finish(false, "bad boot option: %s", err);
	mmu_asid_bits = narrowest < cap ? narrowest : (unsigned)cap;
	kprintf("kine: mmu: sv39, %u ASID bits implemented, %u in use\n", narrowest, mmu_asid_bits);
}

/*
 * ASIDs and shootdowns (src/mm/tlb.c), before any user address space runs;
 * tlb_threshold=N: the page count past which a shootdown flushes the whole
 * ASID instead of a range (a tunable for real boards; QEMU flushes
 * everything anyway).
 */
static void boot_tlb(void)
{
	const char *how = bootargs_get(&bootargs, "tlb");
	enum tlb_remote remote = TLB_REMOTE_DEFAULT;
	uint64_t threshold = 0;
	char err[96];

	if (bootargs_get_u64(&bootargs, "tlb_threshold", 1, 1u << 20, &threshold, err,
			     sizeof(err)) == -BOOTARGS_EVALUE)
		kine_finish(false, "bad boot option: %s", err);
	if (how != NULL && strcmp(how, "sbi") == 0)
		remote = TLB_REMOTE_SBI;
	else if (how != NULL && strcmp(how, "ipi") == 0)
		remote = TLB_REMOTE_IPI;
	else if (how != NULL)
		kine_finish(false, "unknown tlb=%s (sbi or ipi)", how);
	else if (perturb_seed() != 0)
		/*
		 * A seeded run (QEMU -icount, one vCPU at a time) cannot pace a
		 * hart that waits inside the firmware for an RFENCE: it keeps its
		 * turn while the harts it waits for cannot run. IPI shootdowns
		 * wait in the kernel, in a paced loop (docs/robustness.md).
		 */
		remote = TLB_REMOTE_IPI;
	tlb_init(mmu_asid_bits, nharts, (unsigned)threshold, remote);
}

/*
 * The page copy (src/arch/riscv/pagecopy.h), before any process runs.
 * Vector only where every hart has V: a copy runs on whichever hart faults.
 */
static void boot_page_copy(void)
{
	const char *how = bootargs_get(&bootargs, "pagecopy");
	bool all_v = platform.nusable > 0;
	bool want_vector = PAGE_COPY_DEFAULT_VECTOR;

	for (int i = 0; i < platform.nharts; i++)
		if (platform.harts[i].usable && !platform.harts[i].has_v)
			all_v = false;
	if (how != NULL && strcmp(how, "vector") == 0)
		want_vector = true;
	else if (how != NULL && strcmp(how, "scalar") == 0)
		want_vector = false;
	else if (how != NULL)
		kine_finish(false, "unknown pagecopy=%s (scalar or vector)", how);
	if (want_vector && !all_v && how != NULL)
		kine_finish(false, "pagecopy=vector: not every hart has V");
	page_copy_init(all_v, want_vector);
	kprintf("kine: page copy: %s%s\n", page_copy_mode_name(), all_v ? " (harts have V)" : "");
}

/* Start argv[0] from the boot image and wait for it: its exit status, or -errno. */
static int run_program(int argc, const char *const argv[])
{
	struct proc *p;
	int err = exec_spawn(argc, argv, &p);

	return err < 0 ? err : proc_wait(p);
}

/* Start init: it inherits every orphan. Its exit status, or -errno. */
static int run_init(const char *const argv[])
{
	struct proc *p;
	int err = exec_spawn(1, argv, &p);

	if (err < 0)
		return err;
	proc_set_init(p);
	return proc_wait(p);
}

/* Split line at spaces into argv (in buf); the word count, or -E2BIG. */
static int split_words(const char *line, char *buf, size_t bufsize, const char *argv[])
{
	int argc = 0;
	char *c = buf;

	if (strlen(line) >= bufsize)
		return -E2BIG;
	memcpy(buf, line, strlen(line) + 1);
	while (*c) {
		while (*c == ' ')
			*c++ = '\0';
		if (*c == '\0')
			break;
		if (argc == EXEC_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = c;
		while (*c && *c != ' ')
			c++;
	}
	return argc;
}

/*
 * Run a command line: through the boot image's shell (sh -c LINE) when
 * there is one, else as a program and its arguments separated by spaces.
 */
static int run_command(const char *line)
{
	const char *argv[EXEC_MAX_ARGS] = {"sh", "-c", line};
	char buf[BOOTARGS_BUFSIZE];
	const void *data;
	size_t size;
	int argc;

	if (bootimage_find("sh", &data, &size))
		return run_program(3, argv);
	argc = split_words(line, buf, sizeof(buf), argv);
	if (argc <= 0)
		return argc < 0 ? argc : -EINVAL;
	return run_program(argc, argv);
}

/*
 * Every command must give back every frame: once the reaper has freed the
 * orphans (background jobs), print the settled free-frame counts for the
 * tests to compare.
 */
static void boot_report_frames(uint64_t before)
{
	for (int i = 0; i < 100 && proc_count() > 0; i++)
		sleep_ticks(1, NULL);
	kprintf("kine: free frames %lu before, %lu after (%d processes left)\n", before,
		memstat_free_frames(), proc_count());
}

/*
 * The first thread: runs the self-test or command the boot options ask
 * for (each ends the run with a verdict), or else starts init from the
 * boot image (which runs the shell); without one the harts idle.
 */
static void kernel_main(void *arg)
{
	const char *test = bootargs_get(&bootargs, "test");
	const char *command = bootargs_command(&bootargs);
	const char *init[] = {"init"};
	int status;

	if (test != NULL) {
		bool pass = selftest_run(test);
		kine_finish(pass, "self-test %s", test);
	}
	if (command != NULL) {
		uint64_t before = memstat_free_frames();

		status = run_command(command);
		kprintf("kine: '%s' exited with status %d\n", command, status);
		boot_report_frames(before);
		kine_finish_status(status);
	}
	status = run_init(init);
	if (status == -ENOENT)
		kprintf("kine: idle: no init in the boot image; console input is echoed\n");
	else
		kprintf("kine: idle: init exited with status %d\n", status);
}

/* seed=N: the scheduler's seeded perturbation (perturb.h); absent or 0: none. */
static void boot_seed(void)
{
	uint64_t seed = 0;
	char err[96];

	if (bootargs_get_u64(&bootargs, "seed", 0, ~0ull, &seed, err, sizeof(err)) ==
	    -BOOTARGS_EVALUE)
		kine_finish(false, "bad boot option: %s", err);
	perturb_init(seed);
	if (seed != 0)
		kprintf(
		    "kine: seed %lu: preemption points, timer slack, steal order and copy windows "
		    "perturbed\n",
		    seed);
}

/* late_hart=N: the fault injection of struct smp_start; absent: 0, none. */
static int boot_late_hart(void)
{
	uint64_t late = 0;
	char err[96];

	if (nharts < 2 && bootargs_get(&bootargs, "late_hart") != NULL)
		kine_finish(false, "late_hart needs a second hart");
	if (bootargs_get_u64(&bootargs, "late_hart", 1, (uint64_t)nharts - 1, &late, err,
			     sizeof(err)) == -BOOTARGS_EVALUE)
		kine_finish(false, "bad boot option: %s", err);
	return (int)late;
}

static void boot_run(void)
{
	proc_init();
	if (thread_create(kernel_main, NULL, "main", 0) == NULL)
		panic("no memory for the first thread");
	scheduler();
}

void boot_main(unsigned long hartid, unsigned long dtb)
{
	struct smp_start how = {0};
	const char *entry;
	int online;

	/* The boot page table maps RAM and devices at DIRECT_MAP_BASE. */
	phys_map_offset = DIRECT_MAP_BASE;
	hart_setup(0, (uint32_t)hartid);
	nharts = 1;
	sbi_init();
	kprintf("\nkine: booting on hart %lu, device tree at %#lx\n", hartid, dtb);
	boot_parse(dtb);
	power_init(&platform);
	smp_init_harts(&platform, (uint32_t)hartid,
		       bootargs_get(&bootargs, "timer") != NULL &&
			   strcmp(bootargs_get(&bootargs, "timer"), "sbi") == 0);
	plic_init(&platform);
	uart_init(&platform);
	sbi_print_features();
	boot_print_memory();
	boot_memory();
	boot_print_harts();
	boot_this_hart();

	entry = bootargs_get(&bootargs, "entry");
	if (entry != NULL && strcmp(entry, "release") != 0 && strcmp(entry, "release-spin") != 0)
		kine_finish(false, "unknown entry=%s (release or release-spin)", entry);
	/* Before the other harts start: a seeded run has them wait in wfi (smp.h). */
	boot_seed();
	how.simulate_release = entry != NULL;
	how.spin_release = entry != NULL && strcmp(entry, "release-spin") == 0;
	how.wfi_release = perturb_seed() != 0;
	how.late_hart = boot_late_hart();
	online = smp_start_harts(dtb, &how);
	kprintf("kine: %d/%d harts online\n", online, platform.nusable);
	/*
	 * Scheduling, shootdowns and the self-tests take every hart in harts[]
	 * to be running: pinned threads and cross-calls would wait forever for
	 * a missing one. A clear failure beats a hang.
	 */
	if (online != nharts)
		kine_finish(false, "%d of %d harts came online", online, nharts);
	boot_asid_bits();
	boot_tlb();
	boot_page_copy();
	boot_run();
}

static void __attribute__((noreturn)) kine_end(int status, const char *why)
{
	ipi_send_others(IPI_STOP);
	/* A seeded run that failed says how to get the same interleaving again. */
	if (status != 0 && perturb_seed() != 0)
		kprintf("kine: replay: ./kine run --seed %lu --smp %d --append '%s'\n",
			perturb_seed(), nharts, platform.bootargs ? platform.bootargs : "");
	if (status == 0)
		kprintf("kine: %s: done\nkine: verdict: PASS\n", why);
	else
		kprintf("kine: verdict: FAIL %s\n", why);
	arch_power_off(status);
}

void kine_finish(bool pass, const char *why_fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, why_fmt);
	fmt_vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	kine_end(pass ? 0 : 1, why);
}

void kine_finish_status(int status)
{
	char why[64];
	/* A status the host can see: 1..255; a non-zero one that is 0 mod 256 becomes 1. */
	int code = status == 0 ? 0 : (status & 0xff) != 0 ? status & 0xff : 1;

	fmt_snprintf(why, sizeof(why), "exit status %d", status);
	kine_end(code, why);
}
