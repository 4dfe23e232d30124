/*
 * platform_test.c: struct platform read from the captured trees (exact
 * hart ids, memory, reserved ranges, PLIC contexts, console, timebase,
 * initrd in both encodings), the free map physmem derives from it, the
 * real bootargs through the bootargs parser, synthetic trees for each rule
 * and error message, and hostile blobs (prefixes, random corruption).
 */
#include "src/arch/riscv/platform.h"
#include "src/lib/bootargs.h"
#include "src/lib/fdt.h"
#include "src/mm/physmem.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdlib.h>

static struct platform plat;
static char err[128];

/* plat's strings point into the blob: it lives until the next parse_file(). */
static uint8_t *blob_in_use;

static int parse_file(const char *file, uint64_t phys)
{
	size_t len;
	int rc;

	free(blob_in_use);
	blob_in_use = tu_load(file, &len);
	rc = platform_from_fdt_sized(blob_in_use, len, phys, &plat, err, sizeof(err));
	if (rc)
		printf("   %s: %s\n", file, err);
	return rc;
}

static void check_range(const struct phys_range *r, uint64_t base, uint64_t size)
{
	CHECK_EQ(r->base, base);
	CHECK_EQ(r->size, size);
}

static void check_virt_common(uint32_t nharts)
{
	CHECK_EQ(plat.nmem, 1);
	check_range(&plat.mem[0], 0x80000000, 0x10000000);
	check_range(&plat.reserved[0], 0x80000000, 0x80000); /* OpenSBI's mmode_resv0 */
	CHECK_EQ(plat.nharts, nharts);
	CHECK_EQ(plat.nusable, nharts);
	for (uint32_t i = 0; i < nharts; i++) {
		const struct platform_hart *h = &plat.harts[i];
		CHECK_EQ(h->hartid, i);
		CHECK(h->okay && h->has_mmu && h->usable && h->has_sstc && !h->has_v);
		CHECK_STREQ(h->mmu_type, "riscv,sv48");
		CHECK_STREQ(h->isa, "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc");
		/* QEMU numbers phandles down: hart i's intc is 2 * (nharts - i). */
		CHECK_EQ(h->intc_phandle, 2 * (nharts - i));
		/* virt: context 2i = hart i M-mode, 2i + 1 = S-mode. */
		CHECK_EQ(h->plic_s_context, 2 * i + 1);
		CHECK(platform_hart(&plat, i) == h);
	}
	CHECK(platform_hart(&plat, nharts) == NULL);
	CHECK_EQ(plat.timebase_hz, 10000000);
	CHECK_EQ(plat.uart.kind, UART_NS16550A);
	CHECK_EQ(plat.uart.base, 0x10000000);
	CHECK_EQ(plat.uart.size, 0x100);
	CHECK_EQ(plat.uart.irq, 10);
	CHECK_EQ(plat.uart.reg_shift, 0);
	CHECK_EQ(plat.uart.clock_hz, 3686400);
	CHECK(plat.plic.present);
	CHECK_EQ(plat.plic.base, 0xc000000);
	CHECK_EQ(plat.plic.size, 0x600000);
	CHECK_EQ(plat.plic.ndev, 0x60);
	CHECK(plat.testdev.present);
	CHECK_EQ(plat.testdev.base, 0x100000);
}

static void test_virt_smp4(void)
{
	struct bootargs ba;

	SECTION("virt-smp4 (fw_dynamic, -append): harts, memory, reserved, devices, bootargs");
	CHECK_EQ(parse_file("virt-smp4.dtb", 0x8fe00000), 0);
	check_virt_common(4);
	CHECK_EQ(plat.nreserved, 2);
	check_range(&plat.reserved[1], 0x8fe00000, 0x191b); /* the blob itself */
	CHECK_EQ(plat.fdt_base, 0x8fe00000);
	CHECK_EQ(plat.fdt_size, 0x191b);
	CHECK_EQ(plat.initrd.size, 0);
	CHECK(!plat.has_boot_hartid);
	CHECK_STREQ(plat.bootargs, "test=boot -- echo hi");
	CHECK_EQ(bootargs_parse(&ba, plat.bootargs, err, sizeof(err)), 0);
	CHECK_STREQ(bootargs_get(&ba, "test"), "boot");
	CHECK_STREQ(bootargs_command(&ba), "echo hi");

	SECTION("virt-smp4: free map with a kernel image at 0x80200000-0x80300000");
	struct physmem_range ram[PLATFORM_MAX_MEM], resv[PLATFORM_MAX_RESERVED + 1];
	struct physmem pm;
	int n = 0;
	for (int i = 0; i < plat.nmem; i++)
		ram[i] = (struct physmem_range){plat.mem[i].base, plat.mem[i].size};
	for (; n < plat.nreserved; n++)
		resv[n] = (struct physmem_range){plat.reserved[n].base, plat.reserved[n].size};
	resv[n++] = (struct physmem_range){0x80200000, 0x100000};
	CHECK_EQ(physmem_init(&pm, ram, plat.nmem, resv, n, err, sizeof(err)), 0);
	CHECK_EQ(pm.nfree, 3);
	CHECK_EQ(pm.free[0].base, 0x80080000);
	CHECK_EQ(pm.free[0].size, 0x80200000 - 0x80080000);
	CHECK_EQ(pm.free[1].base, 0x80300000);
	CHECK_EQ(pm.free[1].size, 0x8fe00000 - 0x80300000);
	CHECK_EQ(pm.free[2].base, 0x8fe02000); /* 0x8fe0191b rounded up */
	CHECK_EQ(pm.free[2].size, 0x90000000 - 0x8fe02000);
	CHECK_EQ(pm.free_bytes, 0x10000000 - 0x80000 - 0x100000 - 0x2000);
}

static void test_virt_smp8_initrd(void)
{
	SECTION("virt-smp8-initrd (-initrd, 32-bit cells): 8 harts, initrd reserved");
	CHECK_EQ(parse_file("virt-smp8-initrd.dtb", 0x8fe00000), 0);
	check_virt_common(8);
	check_range(&plat.initrd, 0x88200000, 0x3039); /* end exclusive: 0x88203039 */
	CHECK_EQ(plat.nreserved, 3);
	check_range(&plat.reserved[1], 0x8fe00000, 0x1ef2);
	check_range(&plat.reserved[2], 0x88200000, 0x3039);
	CHECK(plat.bootargs == NULL);
}

static void test_virt_fwjump(void)
{
	SECTION("virt-fwjump (Debian fw_jump, DTB at 0x82200000): 2 harts");
	CHECK_EQ(parse_file("virt-fwjump.dtb", 0x82200000), 0);
	check_virt_common(2);
	CHECK_EQ(plat.nreserved, 2);
	check_range(&plat.reserved[1], 0x82200000, 0x160e);
	CHECK_EQ(plat.initrd.size, 0);
}

static void test_virt_uboot(void)
{
	struct bootargs ba;

	SECTION("virt-uboot-initrd (U-Boot booti): memreserve, 64-bit initrd, boot-hartid");
	CHECK_EQ(parse_file("virt-uboot-initrd.dtb", 0x8f7354f0), 0);
	check_virt_common(4);
	CHECK(plat.has_boot_hartid);
	CHECK_EQ(plat.boot_hartid, 0);
	check_range(&plat.initrd, 0x86000000, 0x3039);
	/* The memreserve entry and the initrd are the same range: listed once. */
	CHECK_EQ(plat.nreserved, 3);
	check_range(&plat.reserved[1], 0x86000000, 0x3039);
	check_range(&plat.reserved[2], 0x8f7354f0, 0x1b90);
	CHECK_STREQ(plat.bootargs, "console=ttyS0 quiet -- sh -c echo hi");
	CHECK_EQ(bootargs_parse(&ba, plat.bootargs, err, sizeof(err)), 0);
	CHECK_EQ(ba.nopts, 2);
	CHECK_STREQ(bootargs_get(&ba, "console"), "ttyS0");
	CHECK_STREQ(bootargs_get(&ba, "quiet"), "");
	CHECK_STREQ(bootargs_command(&ba), "sh -c echo hi");
}

static void test_sifive_u(void)
{
	static const int32_t ctx[5] = {-1, 2, 4, 6, 8};

	SECTION("sifive_u-smp5: E51 hart 0 disabled and MMU-less, U54 harts 1-4");
	CHECK_EQ(parse_file("sifive_u-smp5.dtb", 0x87e00000), 0);
	CHECK_EQ(plat.nmem, 1);
	check_range(&plat.mem[0], 0x80000000, 0x8000000);
	CHECK_EQ(plat.nreserved, 2);
	check_range(&plat.reserved[0], 0x80000000, 0x80000);
	check_range(&plat.reserved[1], 0x87e00000, 0x19bf);
	CHECK_EQ(plat.nharts, 5);
	CHECK_EQ(plat.nusable, 4);
	for (int i = 0; i < 5; i++) {
		const struct platform_hart *h = &plat.harts[i];
		CHECK_EQ(h->hartid, i);
		CHECK_EQ(h->okay, i != 0);
		CHECK_EQ(h->has_mmu, i != 0);
		CHECK_EQ(h->usable, i != 0);
		CHECK(!h->has_sstc);
		CHECK_EQ(h->intc_phandle, 7 - i);
		/* sifive_u: context 0 = hart 0 M; hart h: 2h - 1 = M, 2h = S. */
		CHECK_EQ(h->plic_s_context, ctx[i]);
		CHECK_STREQ(h->isa, i ? "rv64imafdc_zicsr_zifencei" : "rv64imac_zicsr_zifencei");
		CHECK_STREQ(h->mmu_type, i ? "riscv,sv48" : NULL);
	}
	CHECK_EQ(plat.timebase_hz, 1000000);
	CHECK_EQ(plat.uart.kind, UART_SIFIVE);
	CHECK_EQ(plat.uart.base, 0x10010000);
	CHECK_EQ(plat.uart.size, 0x1000);
	CHECK_EQ(plat.uart.irq, 4);
	CHECK_EQ(plat.uart.clock_hz, 0); /* clocks = <&prci>, no clock-frequency */
	CHECK(plat.plic.present);
	CHECK_EQ(plat.plic.base, 0xc000000);
	CHECK_EQ(plat.plic.size, 0x4000000);
	CHECK_EQ(plat.plic.ndev, 0x35);
	CHECK(!plat.testdev.present);
	CHECK(plat.bootargs == NULL);
}

/*
 * The HiFive Unmatched as the kernel receives it there (test/data/
 * fu740-unmatched.dts): S7 hart 0 skipped, boot hart 2, U74 cores, the
 * S-mode PLIC context of hart h is 2h, 16 GiB, console via an alias.
 */
static void test_fu740(void)
{
	static const int32_t ctx[5] = {-1, 2, 4, 6, 8};
	struct bootargs ba;

	SECTION("fu740-unmatched: S7 hart 0 skipped, U74 harts 1-4, contexts from the tree");
	CHECK_EQ(parse_file("fu740-unmatched.dtb", 0xff7f0000), 0);
	CHECK_EQ(plat.nmem, 1);
	check_range(&plat.mem[0], 0x80000000, 0x400000000); /* 16 GiB */
	CHECK_EQ(plat.nharts, 5);
	CHECK_EQ(plat.nusable, 4);
	for (int i = 0; i < 5; i++) {
		const struct platform_hart *h = &plat.harts[i];
		CHECK_EQ(h->hartid, i);
		CHECK_EQ(h->okay, i != 0);
		CHECK_EQ(h->has_mmu, i != 0);
		CHECK_EQ(h->usable, i != 0);
		CHECK(!h->has_sstc);
		/* Every cpu, the S7 too, is "sifive,bullet0": only usable ones matter. */
		CHECK(h->sifive_u74);
		CHECK_EQ(h->plic_s_context, ctx[i]);
		CHECK_STREQ(h->mmu_type, i ? "riscv,sv39" : NULL);
	}
	CHECK(plat.has_boot_hartid);
	CHECK_EQ(plat.boot_hartid, 2);
	CHECK_EQ(plat.timebase_hz, 1000000);
	CHECK_EQ(plat.uart.kind, UART_SIFIVE);
	CHECK_EQ(plat.uart.base, 0x10010000);
	CHECK_EQ(plat.uart.irq, 39);
	CHECK(plat.plic.present);
	CHECK_EQ(plat.plic.base, 0xc000000);
	CHECK_EQ(plat.plic.ndev, 69);
	CHECK(!plat.testdev.present);
	check_range(&plat.initrd, 0x88300000, 0x3039);
	/* Two OpenSBI regions, the initrd (once, though listed twice), the blob. */
	CHECK_EQ(plat.nreserved, 4);
	check_range(&plat.reserved[0], 0x80000000, 0x20000);
	check_range(&plat.reserved[1], 0x80020000, 0x20000);
	check_range(&plat.reserved[2], 0x88300000, 0x3039);
	CHECK_EQ(plat.reserved[3].base, 0xff7f0000);
	CHECK_EQ(bootargs_parse(&ba, plat.bootargs, err, sizeof(err)), 0);
	CHECK_STREQ(bootargs_get(&ba, "tlb_threshold"), "32");
	CHECK_STREQ(bootargs_command(&ba), "stress 60s");

	SECTION("sifive_u-u74: QEMU's sifive_u tree with U74 cpu nodes");
	CHECK_EQ(parse_file("sifive_u-u74.dtb", 0x8fe00000), 0);
	CHECK_EQ(plat.nusable, 4); /* cpu@0 has no mmu-type, even without OpenSBI's edit */
	for (int i = 0; i < 5; i++) {
		CHECK(plat.harts[i].sifive_u74);
		CHECK_EQ(plat.harts[i].plic_s_context, ctx[i]);
	}
	CHECK_EQ(plat.uart.kind, UART_SIFIVE);
	CHECK_EQ(plat.uart.irq, 4);

	SECTION("not a U74: QEMU's own trees");
	CHECK_EQ(parse_file("sifive_u-smp5.dtb", 0x87e00000), 0);
	for (int i = 0; i < plat.nharts; i++)
		CHECK(!plat.harts[i].sifive_u74);
	CHECK_EQ(parse_file("virt-smp4.dtb", 0x8fe00000), 0);
	for (int i = 0; i < plat.nharts; i++)
		CHECK(!plat.harts[i].sifive_u74);
}

/* ---- Synthetic machines ---- */

struct machine {
	int ncpus;
	int nmem;  /* memory nodes */
	int nresv; /* /reserved-memory children */
	const char *stdout_path;
	bool isa_ext;      /* riscv,isa "..._zsstc" (which is not sstc) */
	bool ext_list;     /* riscv,isa-extensions listing sstc */
	const char *isa;   /* riscv,isa, if not one of the above */
	int initrd;        /* 0 none, 1 or 2 cells, 3: start only, 4: end < start */
	bool cpu_timebase; /* timebase-frequency on the cpu nodes, not /cpus */
	bool dup_hart;
	const char *mmu;
	const char *status;
	bool bad_ie; /* interrupts-extended naming an unknown phandle */
	bool rv32;   /* riscv,isa "rv32imac" */
};

static size_t build(struct fdtb *b, const struct machine *m)
{
	uint8_t ie[16 * 16];
	char name[32];

	fdtb_init(b);
	fdtb_begin(b, "");
	fdtb_prop_cells(b, "#address-cells", 1, 2);
	fdtb_prop_cells(b, "#size-cells", 1, 2);
	fdtb_begin(b, "aliases");
	fdtb_prop_str(b, "serial0", "/soc/uart@10000000");
	fdtb_end(b);
	fdtb_begin(b, "chosen");
	if (m->stdout_path)
		fdtb_prop_str(b, "stdout-path", m->stdout_path);
	fdtb_prop_str(b, "bootargs", "a=1");
	if (m->initrd == 1 || m->initrd == 3)
		fdtb_prop_cells(b, "linux,initrd-start", 1, 0x84000000);
	if (m->initrd == 1)
		fdtb_prop_cells(b, "linux,initrd-end", 1, 0x84100000);
	if (m->initrd == 2 || m->initrd == 4) {
		fdtb_prop_cells(b, "linux,initrd-start", 2, 1, 0x00001000);
		fdtb_prop_cells(b, "linux,initrd-end", 2, m->initrd == 2 ? 1 : 0, 0x00003000);
	}
	fdtb_end(b);
	for (int i = 0; i < m->nmem; i++) {
		snprintf(name, sizeof(name), "memory@%x", 0x80000000U + (uint32_t)i * 0x8000000U);
		fdtb_begin(b, name);
		fdtb_prop_str(b, "device_type", "memory");
		fdtb_prop_cells(b, "reg", 4, 0, 0x80000000U + (uint32_t)i * 0x8000000U, 0,
				0x8000000);
		fdtb_end(b);
	}
	fdtb_begin(b, "reserved-memory");
	fdtb_prop_cells(b, "#address-cells", 1, 1);
	fdtb_prop_cells(b, "#size-cells", 1, 1);
	for (int i = 0; i < m->nresv; i++) {
		snprintf(name, sizeof(name), "r@%x", 0x80000000U + (uint32_t)i * 0x10000U);
		fdtb_begin(b, name);
		fdtb_prop_cells(b, "reg", 2, 0x80000000U + (uint32_t)i * 0x10000U, 0x1000);
		fdtb_end(b);
	}
	fdtb_end(b);
	fdtb_begin(b, "cpus");
	fdtb_prop_cells(b, "#address-cells", 1, 1);
	fdtb_prop_cells(b, "#size-cells", 1, 0);
	if (!m->cpu_timebase)
		fdtb_prop_cells(b, "timebase-frequency", 1, 12345);
	for (int i = 0; i < m->ncpus; i++) {
		snprintf(name, sizeof(name), "cpu@%d", i);
		fdtb_begin(b, name);
		fdtb_prop_str(b, "device_type", "cpu");
		fdtb_prop_cells(b, "reg", 1, m->dup_hart ? 0 : 10 + i);
		if (m->status)
			fdtb_prop_str(b, "status", m->status);
		if (m->mmu)
			fdtb_prop_str(b, "mmu-type", m->mmu);
		fdtb_prop_str(b, "riscv,isa",
			      m->isa       ? m->isa
			      : m->rv32    ? "rv32imac"
			      : m->isa_ext ? "rv64imafdc_zsstc"
					   : "rv64imafdc_SSTC");
		if (m->ext_list)
			fdtb_prop(b, "riscv,isa-extensions", "i\0m\0sstc", 9);
		if (m->cpu_timebase)
			fdtb_prop_cells(b, "timebase-frequency", 2, 0, 777);
		fdtb_begin(b, "interrupt-controller");
		fdtb_prop_cells(b, "#interrupt-cells", 1, 1);
		fdtb_prop(b, "interrupt-controller", NULL, 0);
		fdtb_prop_cells(b, "phandle", 1, 50 + i);
		fdtb_end(b);
		fdtb_end(b);
	}
	fdtb_begin(b, "cpu-map"); /* not a cpu: no device_type */
	fdtb_end(b);
	fdtb_end(b);
	fdtb_begin(b, "soc");
	fdtb_prop_cells(b, "#address-cells", 1, 2);
	fdtb_prop_cells(b, "#size-cells", 1, 2);
	fdtb_begin(b, "uart@10000000");
	fdtb_prop(b, "compatible", "foo\0ns16550", 12);
	fdtb_prop_cells(b, "reg", 4, 0, 0x10000000, 0, 0x100);
	fdtb_prop_cells(b, "interrupts", 1, 33);
	fdtb_prop_cells(b, "reg-shift", 1, 2);
	fdtb_prop_cells(b, "clock-frequency", 2, 0, 1843200);
	fdtb_end(b);
	fdtb_begin(b, "plic@c000000");
	fdtb_prop_str(b, "compatible", "sifive,plic-1.0.0");
	fdtb_prop_cells(b, "reg", 4, 0, 0xc000000, 0, 0x4000000);
	fdtb_prop_cells(b, "riscv,ndev", 1, 31);
	/* Context order: hart i M-mode (11) then S-mode (9), reversed harts. */
	int nie = 0;
	for (int i = m->ncpus - 1; i >= 0 && i >= m->ncpus - 8; i--) {
		uint32_t ph = m->bad_ie ? 999 : 50 + (uint32_t)i;
		tu_put_be32(ie + 4 * nie++, ph);
		tu_put_be32(ie + 4 * nie++, 11);
		tu_put_be32(ie + 4 * nie++, ph);
		tu_put_be32(ie + 4 * nie++, 9);
	}
	fdtb_prop(b, "interrupts-extended", ie, (uint32_t)nie * 4);
	fdtb_end(b);
	fdtb_end(b);
	fdtb_end(b);
	return fdtb_finish(b);
}

static struct machine base_machine(void)
{
	return (struct machine){
	    .ncpus = 2, .nmem = 1, .stdout_path = "serial0:115200n8", .mmu = "riscv,sv39"};
}

static int parse_machine(const struct machine *m)
{
	static struct fdtb b;
	size_t len = build(&b, m);
	uint8_t *p = tu_dup(b.out, len);
	int rc = platform_from_fdt_sized(p, len, 0x1000, &plat, err, sizeof(err));

	printf("   -> %d %s\n", rc, err);
	free(p); /* plat's strings dangle now: the checks below read numbers only */
	return rc;
}

static void test_synthetic(void)
{
	struct machine m;

	SECTION("synthetic: alias stdout-path with options, isa parsing, reversed contexts");
	m = base_machine();
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.nharts, 2);
	CHECK_EQ(plat.harts[0].hartid, 10);
	CHECK_EQ(plat.harts[1].hartid, 11);
	CHECK(plat.harts[0].has_sstc); /* "_SSTC": case-insensitive */
	CHECK_EQ(plat.harts[0].plic_s_context, 3);
	CHECK_EQ(plat.harts[1].plic_s_context, 1);
	CHECK_EQ(plat.uart.kind, UART_NS16550A);
	CHECK_EQ(plat.uart.irq, 33);
	CHECK_EQ(plat.uart.reg_shift, 2);
	CHECK_EQ(plat.uart.clock_hz, 1843200);
	CHECK_EQ(plat.timebase_hz, 12345);
	CHECK_EQ(plat.nreserved, 1); /* just the blob */
	check_range(&plat.reserved[0], 0x1000, plat.fdt_size);

	SECTION("synthetic: sstc only via riscv,isa-extensions; 'zsstc' is not sstc");
	m = base_machine();
	m.isa_ext = true;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK(!plat.harts[0].has_sstc);
	m.ext_list = true;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK(plat.harts[0].has_sstc);

	SECTION("synthetic: V from the single-letter part of riscv,isa only");
	m = base_machine();
	CHECK_EQ(parse_machine(&m), 0);
	CHECK(!plat.harts[0].has_v);
	m.isa = "rv64imafdcvh_zicsr_zve64d";
	CHECK_EQ(parse_machine(&m), 0);
	CHECK(plat.harts[0].has_v && plat.harts[1].has_v);
	m.isa = "RV64GCV";
	CHECK_EQ(parse_machine(&m), 0);
	CHECK(plat.harts[0].has_v);
	m.isa = "rv64imafdc_zvl128b_zve32x"; /* vector pieces, not V */
	CHECK_EQ(parse_machine(&m), 0);
	CHECK(!plat.harts[0].has_v);

	SECTION("synthetic: path stdout-path, timebase from cpu nodes (2 cells)");
	m = base_machine();
	m.stdout_path = "/soc/uart@10000000:9600";
	m.cpu_timebase = true;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.uart.base, 0x10000000);
	CHECK_EQ(plat.timebase_hz, 777);

	SECTION("synthetic: no stdout-path: first ns16550 found");
	m = base_machine();
	m.stdout_path = NULL;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.uart.kind, UART_NS16550A);

	SECTION("synthetic: initrd 32-bit, 64-bit, start only, end < start");
	m = base_machine();
	m.initrd = 1;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.initrd.base, 0x84000000);
	CHECK_EQ(plat.initrd.size, 0x100000);
	m.initrd = 2;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.initrd.base, 0x100001000ULL);
	CHECK_EQ(plat.initrd.size, 0x2000);
	CHECK_EQ(plat.nreserved, 2);
	m.initrd = 3;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "/chosen has only one of linux,initrd-start and -end");
	m.initrd = 4;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "/chosen/linux,initrd-end below initrd-start 0x100001000");

	SECTION("synthetic: status and mmu-type decide usable");
	m = base_machine();
	m.mmu = "riscv,none";
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "no usable hart (status okay, an mmu-type, rv64)");
	m = base_machine();
	m.rv32 = true; /* an MMU, but an rv32 hart cannot run an rv64 kernel */
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "no usable hart (status okay, an mmu-type, rv64)");
	m.rv32 = false;
	m.mmu = "riscv,sv39";
	m.status = "ok";
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.nusable, 2);
	m.status = "fail";
	CHECK(parse_machine(&m) < 0);

	SECTION("synthetic: limits and missing pieces");
	m = base_machine();
	m.ncpus = 16;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.nharts, 16);
	m.ncpus = 17;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "more than 16 cpu nodes");
	m.ncpus = 0;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "no cpu nodes in /cpus");
	m = base_machine();
	m.dup_hart = true;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "duplicate hart id 0 in /cpus");
	m = base_machine();
	m.nmem = 0;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "no /memory node (device_type = \"memory\" with a reg)");
	m.nmem = 8;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.nmem, 8);
	m.nmem = 9;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "more than 8 memory ranges");
	m = base_machine();
	m.nresv = 15;
	CHECK_EQ(parse_machine(&m), 0);
	CHECK_EQ(plat.nreserved, 16);
	m.nresv = 16;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "more than 16 reserved ranges");
	m = base_machine();
	m.stdout_path = "serial9";
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "stdout-path names unknown alias serial9");
	m.stdout_path = "/soc/nothing";
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "stdout-path names a missing node: /soc/nothing");
	m = base_machine();
	m.bad_ie = true;
	CHECK(parse_machine(&m) < 0);
	CHECK_STREQ(err, "plic: interrupts-extended names unknown phandle 0x3e7");

	SECTION("header errors reach err");
	uint8_t junk[64] = {0x12, 0x34, 0x56, 0x78};
	CHECK(platform_from_fdt_sized(junk, sizeof(junk), 0, &plat, err, sizeof(err)) < 0);
	CHECK_STREQ(err, "fdt: bad magic 0x12345678");
	CHECK(platform_from_fdt(junk, 0, &plat, err, sizeof(err)) < 0);
	CHECK(platform_from_fdt_sized(junk, 10, 0, &plat, err, sizeof(err)) < 0);
	CHECK_STREQ(err, "fdt: blob truncated (0xa)");
	char tiny[8];
	CHECK(platform_from_fdt_sized(junk, 10, 0, &plat, tiny, sizeof(tiny)) < 0);
	CHECK_STREQ(tiny, "fdt: bl"); /* truncated message, still terminated */
	CHECK(platform_from_fdt_sized(junk, 10, 0, &plat, NULL, 0) < 0);
}

/* ---- Hostile blobs ---- */

static void test_hostile(const char *file, uint64_t seed, int iters)
{
	size_t len;
	uint8_t *blob = tu_load(file, &len);
	int ok = 0;

	SECTION("%s: every prefix with patched totalsize, %d random corruptions", file, iters);
	for (size_t n = 0; n <= len; n++) {
		uint8_t *p = tu_dup(blob, n);
		if (n >= 8)
			tu_put_be32(p + 4, (uint32_t)n);
		if (platform_from_fdt_sized(p, n, 0x80000000, &plat, err, sizeof(err)) == 0)
			ok++;
		free(p);
	}
	CHECK(ok >= 1);
	tu_srand(seed);
	ok = 0;
	for (int i = 0; i < iters; i++) {
		uint8_t *p = tu_dup(blob, len);
		int flips = 1 + (int)(tu_rand() % 6);
		for (int f = 0; f < flips; f++) {
			if (tu_rand() % 2) {
				p[tu_rand() % len] ^= (uint8_t)(1u << (tu_rand() % 8));
			} else {
				/* A structure word: a token, a length or a name offset. */
				size_t off = tu_get_be32(blob + 8) +
					     4 * (tu_rand() % (tu_get_be32(blob + 36) / 4));
				tu_put_be32(p + off, (uint32_t)tu_rand() % 40);
			}
		}
		if (platform_from_fdt_sized(p, len, 0x80000000, &plat, err, sizeof(err)) == 0) {
			ok++;
			CHECK(plat.nmem >= 1 && plat.nharts >= 1 && plat.nusable >= 1);
			CHECK(plat.timebase_hz > 0);
		} else {
			CHECK(err[0] != 0); /* every failure says why */
		}
		free(p);
	}
	printf("   %d of %d corrupted trees still accepted\n", ok, iters);
	free(blob);
}

int main(void)
{
	test_virt_smp4();
	test_virt_smp8_initrd();
	test_virt_fwjump();
	test_virt_uboot();
	test_sifive_u();
	test_fu740();
	test_synthetic();
	test_hostile("virt-smp4.dtb", 0xfeed1, 2000);
	test_hostile("sifive_u-smp5.dtb", 0xfeed2, 2000);
	test_hostile("virt-uboot-initrd.dtb", 0xfeed3, 2000);
	test_hostile("fu740-unmatched.dtb", 0xfeed4, 2000);
	free(blob_in_use);
	return check_summary("platform_test");
}
