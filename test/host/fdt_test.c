/*
 * fdt_test.c: the device tree reader on real captured trees, on synthetic
 * trees built to exercise each rule, and on hostile blobs (every prefix,
 * corrupted headers and lengths, random byte flips). Buffers are malloc'd at
 * their exact size, so ASan turns any out-of-bounds read into a failure.
 */
#include "src/lib/fdt.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdlib.h>

/* Touch everything the API offers; returns the number of nodes walked. */
static int exercise(const struct fdt *t)
{
	static const char *const paths[] = {"/",
					    "/cpus",
					    "/cpus/cpu@0",
					    "/cpus/cpu",
					    "/soc/serial@10000000",
					    "/memory",
					    "/chosen",
					    "/reserved-memory/mmode_resv0@80000000",
					    "//soc//plic@c000000/",
					    "/a/b/c/d/e/f"};
	int depth = 0, nodes = 0, children = 0, n, c, p;
	uint64_t a, s;
	uint32_t v;

	for (n = fdt_root(t); n >= 0 && nodes < 100000; n = fdt_next_node(t, n, &depth)) {
		struct fdt_prop pr;
		nodes++;
		(void)fdt_node_name(t, n);
		(void)fdt_node_name_is(t, n, "cpu");
		fdt_for_each_prop(t, n, p)
		{
			if (fdt_prop_at(t, p, &pr) == 0)
				(void)fdt_stringlist_contains(pr.data, pr.len, "okay");
		}
		fdt_for_each_child(t, n, c) children++;
		(void)fdt_parent(t, n);
		for (uint32_t i = 0; i < 4 && fdt_reg(t, n, i, &a, &s) == 0; i++)
			;
		(void)fdt_getprop_str(t, n, "compatible");
		(void)fdt_getprop_uint(t, n, "reg", &a);
		(void)fdt_getprop_u32(t, n, "phandle", &v);
		(void)fdt_address_cells(t, n);
		(void)fdt_size_cells(t, n);
	}
	CHECK(nodes < 100000);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		(void)fdt_path(t, paths[i]);
	for (n = fdt_find_compatible(t, -1, "riscv,cpu-intc"); n >= 0;)
		n = fdt_find_compatible(t, n, "riscv,cpu-intc");
	for (uint32_t ph = 0; ph < 24; ph++)
		(void)fdt_find_phandle(t, ph);
	for (uint32_t i = 0; fdt_memreserve(t, i, &a, &s); i++)
		;
	/* Walking with random offsets must fail cleanly, not read out of bounds. */
	for (int off = -8; off < (int)t->struct_size + 8; off += 3) {
		(void)fdt_node_name(t, off);
		(void)fdt_first_child(t, off);
		(void)fdt_first_prop(t, off);
		(void)fdt_next_prop(t, off);
	}
	return nodes;
}

struct tree {
	const char *file;
	int nodes;        /* counted with dtc -O dts */
	uint32_t nrsv;    /* memreserve entries */
	uint32_t version; /* header version */
};

static const struct tree trees[] = {
    {"virt-smp4.dtb", 41, 0, 17},         {"virt-smp8-initrd.dtb", 53, 0, 17},
    {"virt-fwjump.dtb", 35, 0, 17},       {"sifive_u-smp5.dtb", 38, 0, 17},
    {"virt-uboot-initrd.dtb", 41, 1, 17},
};

static void test_real_trees(void)
{
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		size_t len;
		uint8_t *blob = tu_load(trees[i].file, &len);
		struct fdt t;

		SECTION("%s: header, node count, full walk", trees[i].file);
		CHECK_EQ(fdt_init(&t, blob, len), 0);
		CHECK_EQ(t.totalsize, len);
		CHECK_EQ(t.version, trees[i].version);
		CHECK_EQ(t.nrsv, trees[i].nrsv);
		CHECK_EQ(exercise(&t), trees[i].nodes);
		CHECK_STREQ(fdt_node_name(&t, fdt_root(&t)), "");
		CHECK_EQ(fdt_path(&t, "/"), fdt_root(&t));
		/* Counting children recursively must find every node but the root. */
		int depth = 0, total = 0, c;
		for (int n = fdt_root(&t); n >= 0; n = fdt_next_node(&t, n, &depth))
			fdt_for_each_child(&t, n, c) total++;
		CHECK_EQ(total, trees[i].nodes - 1);
		free(blob);
	}
}

static void test_virt_lookups(void)
{
	size_t len;
	uint8_t *blob = tu_load("virt-smp4.dtb", &len);
	struct fdt t;
	uint64_t base, size, u;
	uint32_t v, plen;
	int n, cpus, cpu2, count;

	SECTION("virt-smp4: paths, parents, reg, cells, strings, phandles");
	CHECK_EQ(fdt_init(&t, blob, FDT_SIZE_UNKNOWN), 0);
	cpus = fdt_path(&t, "/cpus");
	CHECK(cpus >= 0);
	CHECK_STREQ(fdt_node_name(&t, cpus), "cpus");
	CHECK_EQ(fdt_address_cells(&t, cpus), 1);
	CHECK_EQ(fdt_size_cells(&t, cpus), 0);
	CHECK(fdt_getprop_u32(&t, cpus, "timebase-frequency", &v));
	CHECK_EQ(v, 10000000);
	CHECK(fdt_getprop_uint(&t, cpus, "timebase-frequency", &u));
	CHECK_EQ(u, 10000000);
	CHECK(!fdt_getprop_u64(&t, cpus, "timebase-frequency", &u));

	cpu2 = fdt_path(&t, "/cpus/cpu@2");
	CHECK(cpu2 >= 0);
	CHECK_EQ(fdt_parent(&t, cpu2), cpus);
	CHECK_EQ(fdt_parent(&t, cpus), fdt_root(&t));
	CHECK_EQ(fdt_parent(&t, fdt_root(&t)), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_reg(&t, cpu2, 0, &base, &size), 0);
	CHECK_EQ(base, 2);
	CHECK_EQ(size, 0);
	CHECK_EQ(fdt_reg(&t, cpu2, 1, &base, NULL), -FDT_ERR_NOTFOUND);
	CHECK(fdt_node_name_is(&t, cpu2, "cpu"));
	CHECK(!fdt_node_name_is(&t, cpus, "cpu"));
	CHECK(!fdt_node_name_is(&t, fdt_path(&t, "/cpus/cpu-map"), "cpu"));
	CHECK_STREQ(fdt_getprop_str(&t, cpu2, "mmu-type"), "riscv,sv48");
	CHECK_STREQ(fdt_getprop_str(&t, cpu2, "no-such-prop"), NULL);
	CHECK(fdt_is_compatible(&t, cpu2, "riscv"));

	n = fdt_path(&t, "/soc/serial@10000000");
	CHECK(n >= 0);
	CHECK_EQ(fdt_reg(&t, n, 0, &base, &size), 0);
	CHECK_EQ(base, 0x10000000);
	CHECK_EQ(size, 0x100);
	CHECK_EQ(fdt_path(&t, "/soc/serial"), n); /* no unit address: loose match */
	CHECK_EQ(fdt_path(&t, "//soc//serial@10000000/"), n);
	CHECK_EQ(fdt_path_len(&t, "/soc/serial@10000000:115200", 20), n);
	CHECK_EQ(fdt_find_compatible(&t, -1, "ns16550a"), n);
	CHECK_EQ(fdt_find_compatible(&t, n, "ns16550a"), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_path(&t, "/soc/serial@10000001"), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_path(&t, "/soc/seria"), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_path(&t, "soc"), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_path(&t, ""), -FDT_ERR_NOTFOUND);

	n = fdt_path(&t, "/memory");
	CHECK_STREQ(fdt_node_name(&t, n), "memory@80000000");
	CHECK_EQ(fdt_reg(&t, n, 0, &base, &size), 0);
	CHECK_EQ(base, 0x80000000);
	CHECK_EQ(size, 0x10000000);

	n = fdt_path(&t, "/flash@20000000");
	CHECK_EQ(fdt_reg(&t, n, 1, &base, &size), 0);
	CHECK_EQ(base, 0x22000000);
	CHECK_EQ(size, 0x2000000);

	n = fdt_path(&t, "/reserved-memory/mmode_resv0@80000000");
	CHECK_EQ(fdt_reg(&t, n, 0, &base, &size), 0);
	CHECK_EQ(base, 0x80000000);
	CHECK_EQ(size, 0x80000);

	n = fdt_path(&t, "/soc/test@100000");
	CHECK(fdt_prop_has_string(&t, n, "compatible", "sifive,test0"));
	CHECK(fdt_prop_has_string(&t, n, "compatible", "syscon"));
	CHECK(!fdt_prop_has_string(&t, n, "compatible", "sifive,test"));
	CHECK(!fdt_prop_has_string(&t, n, "compatible", "syscon2"));
	CHECK(!fdt_prop_has_string(&t, n, "compatible", ""));

	count = 0;
	for (n = fdt_find_compatible(&t, -1, "riscv,cpu-intc"); n >= 0;
	     n = fdt_find_compatible(&t, n, "riscv,cpu-intc"))
		count++;
	CHECK_EQ(count, 4);

	n = fdt_find_phandle(&t, 8);
	CHECK(n >= 0);
	CHECK_STREQ(fdt_node_name(&t, n), "interrupt-controller");
	CHECK_EQ(fdt_parent(&t, n), fdt_path(&t, "/cpus/cpu@0"));
	CHECK(fdt_has_prop(&t, n, "interrupt-controller"));
	CHECK(fdt_getprop(&t, n, "interrupt-controller", &plen) != NULL);
	CHECK_EQ(plen, 0);
	CHECK_EQ(fdt_find_phandle(&t, 0), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_find_phandle(&t, 0xffffffff), -FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_find_phandle(&t, 999), -FDT_ERR_NOTFOUND);

	n = fdt_path(&t, "/chosen");
	CHECK_STREQ(fdt_getprop_str(&t, n, "bootargs"), "test=boot -- echo hi");
	CHECK_STREQ(fdt_getprop_str(&t, n, "stdout-path"), "/soc/serial@10000000");
	CHECK(!fdt_getprop_str(&t, n, "rng-seed")); /* binary, not a string */

	/* Bad caller offsets. */
	CHECK_EQ(fdt_first_child(&t, 2), -FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_first_prop(&t, -4), -FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_next_sibling(&t, 0x7ffffff0), -FDT_ERR_BADOFFSET);
	CHECK(fdt_node_name(&t, 1 << 30) == NULL);
	free(blob);
}

static void test_other_trees(void)
{
	size_t len;
	uint8_t *blob;
	struct fdt t;
	uint64_t a, s;
	int n;

	SECTION("virt-uboot-initrd: memreserve entry and 64-bit initrd cells");
	blob = tu_load("virt-uboot-initrd.dtb", &len);
	CHECK_EQ(fdt_init(&t, blob, len), 0);
	CHECK(fdt_memreserve(&t, 0, &a, &s));
	CHECK_EQ(a, 0x86000000);
	CHECK_EQ(s, 0x3039);
	CHECK(!fdt_memreserve(&t, 1, &a, &s));
	n = fdt_path(&t, "/chosen");
	CHECK(fdt_getprop_u64(&t, n, "linux,initrd-start", &a));
	CHECK_EQ(a, 0x86000000);
	CHECK(fdt_getprop_uint(&t, n, "linux,initrd-end", &a));
	CHECK_EQ(a, 0x86003039);
	free(blob);

	SECTION("virt-smp8-initrd: 32-bit initrd cells");
	blob = tu_load("virt-smp8-initrd.dtb", &len);
	CHECK_EQ(fdt_init(&t, blob, len), 0);
	n = fdt_path(&t, "/chosen");
	CHECK(!fdt_getprop_u64(&t, n, "linux,initrd-start", &a));
	CHECK(fdt_getprop_uint(&t, n, "linux,initrd-start", &a));
	CHECK_EQ(a, 0x88200000);
	CHECK(fdt_getprop_uint(&t, n, "linux,initrd-end", &a));
	CHECK_EQ(a, 0x88203039);
	free(blob);

	SECTION("sifive_u-smp5: loose and exact unit-address paths");
	blob = tu_load("sifive_u-smp5.dtb", &len);
	CHECK_EQ(fdt_init(&t, blob, len), 0);
	CHECK_STREQ(fdt_node_name(&t, fdt_path(&t, "/soc/serial")), "serial@10010000");
	CHECK_STREQ(fdt_node_name(&t, fdt_path(&t, "/soc/serial@10011000")), "serial@10011000");
	n = fdt_path(&t, "/cpus/cpu@0");
	CHECK_STREQ(fdt_getprop_str(&t, n, "status"), "disabled");
	CHECK(!fdt_has_prop(&t, n, "mmu-type"));
	CHECK(fdt_is_compatible(&t, fdt_path(&t, "/soc/interrupt-controller@c000000"),
				"riscv,plic0"));
	free(blob);
}

static void test_cells(void)
{
	static const uint8_t d[] = {0, 0, 0, 1, 0x80, 0, 0, 2, 0xff, 0xff, 0xff, 0xff};
	uint32_t pos = 0;
	uint64_t v;

	SECTION("fdt_read_cells: 0, 1, 2 cells, bounds");
	CHECK(fdt_read_cells(d, sizeof(d), &pos, 0, &v));
	CHECK_EQ(v, 0);
	CHECK(fdt_read_cells(d, sizeof(d), &pos, 1, &v));
	CHECK_EQ(v, 1);
	CHECK(fdt_read_cells(d, sizeof(d), &pos, 2, &v));
	CHECK_EQ(v, 0x80000002ffffffffULL);
	CHECK_EQ(pos, 12);
	CHECK(!fdt_read_cells(d, sizeof(d), &pos, 1, &v));
	pos = 8;
	CHECK(!fdt_read_cells(d, sizeof(d), &pos, 2, &v));
	CHECK_EQ(pos, 8);
	pos = 0;
	CHECK(!fdt_read_cells(d, sizeof(d), &pos, 3, &v));
	pos = 0xfffffffc;
	CHECK(!fdt_read_cells(d, sizeof(d), &pos, 1, &v));
	CHECK_EQ(fdt_be32(d + 4), 0x80000002);
	CHECK_EQ(fdt_be64(d + 4), 0x80000002ffffffffULL);
	CHECK(fdt_stringlist_contains("a\0bc\0", 5, "bc"));
	CHECK(fdt_stringlist_contains("a\0bc", 4, "bc")); /* unterminated last entry */
	CHECK(!fdt_stringlist_contains("a\0bcd", 5, "bc"));
	CHECK(!fdt_stringlist_contains("", 0, ""));
	CHECK(fdt_strerror(-FDT_ERR_BADMAGIC) != NULL);
	CHECK_STREQ(fdt_strerror(1000), "unknown error");
}

/* A small valid tree: root { #cells; a@1 { reg; b { } }; c { } }. */
static void build_small(struct fdtb *b, bool nops)
{
	fdtb_init(b);
	fdtb_rsv(b, 0x1000, 0x2000);
	if (nops)
		fdtb_nop(b);
	fdtb_begin(b, "");
	fdtb_prop_cells(b, "#address-cells", 1, 1);
	fdtb_prop_cells(b, "#size-cells", 1, 1);
	if (nops)
		fdtb_nop(b);
	fdtb_begin(b, "a@1");
	fdtb_prop_cells(b, "reg", 4, 0x10, 0x20, 0x30, 0x40);
	fdtb_prop_cells(b, "phandle", 1, 7);
	fdtb_prop_str(b, "compatible", "x,a");
	if (nops)
		fdtb_nop(b);
	fdtb_begin(b, "b");
	fdtb_end(b);
	fdtb_end(b);
	fdtb_begin(b, "c");
	fdtb_prop(b, "reg", "\0\0\0\1\0\0", 6); /* not a whole entry */
	fdtb_end(b);
	fdtb_end(b);
}

static int init_copy(struct fdtb *b, size_t len)
{
	uint8_t *p = tu_dup(b->out, len);
	struct fdt t;
	int rc = fdt_init(&t, p, len);

	if (rc == 0)
		exercise(&t);
	free(p);
	return rc;
}

static void test_synthetic(void)
{
	struct fdtb b;
	struct fdt t;
	size_t len;
	uint64_t base, size;
	int a, n;

	for (int nops = 0; nops < 2; nops++) {
		SECTION("synthetic tree (%s NOPs): structure and reg", nops ? "with" : "without");
		build_small(&b, nops);
		len = fdtb_finish(&b);
		CHECK_EQ(fdt_init(&t, b.out, len), 0);
		CHECK_EQ(exercise(&t), 4);
		CHECK_EQ(t.nrsv, 1);
		a = fdt_path(&t, "/a");
		CHECK_STREQ(fdt_node_name(&t, a), "a@1");
		CHECK_EQ(fdt_reg(&t, a, 0, &base, &size), 0);
		CHECK_EQ(base, 0x10);
		CHECK_EQ(size, 0x20);
		CHECK_EQ(fdt_reg(&t, a, 1, &base, &size), 0);
		CHECK_EQ(base, 0x30);
		CHECK_EQ(size, 0x40);
		CHECK_EQ(fdt_reg(&t, a, 2, &base, &size), -FDT_ERR_NOTFOUND);
		CHECK_EQ(fdt_reg(&t, fdt_path(&t, "/c"), 0, &base, &size), -FDT_ERR_BADVALUE);
		CHECK_EQ(fdt_reg(&t, fdt_root(&t), 0, &base, &size), -FDT_ERR_NOTFOUND);
		CHECK_EQ(fdt_find_phandle(&t, 7), a);
		CHECK_EQ(fdt_find_compatible(&t, -1, "x,a"), a);
		n = fdt_path(&t, "/a/b");
		CHECK_EQ(fdt_parent(&t, n), a);
		CHECK_EQ(fdt_next_sibling(&t, n), -FDT_ERR_NOTFOUND);
		CHECK_EQ(fdt_next_sibling(&t, a), fdt_path(&t, "/c"));
		CHECK_EQ(fdt_first_child(&t, n), -FDT_ERR_NOTFOUND);
		CHECK_EQ(fdt_first_prop(&t, n), -FDT_ERR_NOTFOUND);
		/* The (default 2/1) cells of "a" for its children. */
		CHECK_EQ(fdt_address_cells(&t, a), 2);
		CHECK_EQ(fdt_size_cells(&t, a), 1);
	}

	SECTION("synthetic: version 16 header (no size_dt_struct)");
	build_small(&b, false);
	len = fdtb_finish(&b);
	tu_put_be32(b.out + 20, 16);
	tu_put_be32(b.out + 36, 0xdeadbeef); /* ignored for v16 */
	CHECK_EQ(init_copy(&b, len), 0);

	SECTION("synthetic: header rejections");
	build_small(&b, false);
	len = fdtb_finish(&b);
	CHECK_EQ(init_copy(&b, len), 0);
	CHECK_EQ(init_copy(&b, 39), -FDT_ERR_TRUNCATED);
	CHECK_EQ(init_copy(&b, len - 1), -FDT_ERR_TRUNCATED);
	{
		uint8_t save[40];
		memcpy(save, b.out, 40);
#define PATCHED(off, val, want)                                                                    \
	do {                                                                                       \
		memcpy(b.out, save, 40);                                                           \
		tu_put_be32(b.out + (off), (val));                                                 \
		CHECK_EQ(init_copy(&b, len), (want));                                              \
	} while (0)
		PATCHED(0, 0x12345678, -FDT_ERR_BADMAGIC);
		PATCHED(20, 15, -FDT_ERR_BADVERSION);
		PATCHED(24, 18, -FDT_ERR_BADVERSION);
		PATCHED(4, 8, -FDT_ERR_BADLAYOUT);                         /* totalsize < header */
		PATCHED(4, 0x80000000, -FDT_ERR_BADLAYOUT);                /* 2 GiB */
		PATCHED(8, tu_get_be32(save + 8) + 2, -FDT_ERR_BADLAYOUT); /* misaligned */
		PATCHED(8, 0xfffffff0, -FDT_ERR_BADLAYOUT);     /* struct out of bounds */
		PATCHED(36, 0xfffffff0, -FDT_ERR_BADLAYOUT);    /* struct size wraps */
		PATCHED(12, (uint32_t)len, -FDT_ERR_BADLAYOUT); /* strings past end */
		PATCHED(32, 0xffffffff, -FDT_ERR_BADLAYOUT);
		PATCHED(12, tu_get_be32(save + 8), -FDT_ERR_BADLAYOUT); /* strings on struct */
		PATCHED(16, 0, -FDT_ERR_BADLAYOUT);                     /* rsvmap over header */
		PATCHED(16, 44, -FDT_ERR_BADLAYOUT);                    /* rsvmap misaligned */
		PATCHED(16, 0xfffffff8, -FDT_ERR_BADLAYOUT);
		PATCHED(36, 4, -FDT_ERR_BADSTRUCTURE); /* struct cut short */
		PATCHED(32, 0, -FDT_ERR_BADSTRING);    /* no property names */
#undef PATCHED
		/* memreserve running into the structure block: no terminator or overlap. */
		memcpy(b.out, save, 40);
		tu_put_be32(b.out + 16, tu_get_be32(save + 8) - 8);
		int rc = init_copy(&b, len);
		CHECK(rc == -FDT_ERR_BADRSVMAP || rc == -FDT_ERR_BADLAYOUT);
	}

	SECTION("synthetic: structure rejections");
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish_raw(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* unbalanced: END inside the root */
	fdtb_begin(&b, "");
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* extra END_NODE */
	fdtb_begin(&b, "");
	fdtb_end(&b);
	fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* two roots */
	fdtb_begin(&b, "");
	fdtb_end(&b);
	fdtb_begin(&b, "");
	fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* property outside any node */
	fdtb_prop_cells(&b, "x", 1, 1);
	fdtb_begin(&b, "");
	fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* unknown token */
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 7);
	fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* empty structure: END only */
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* property length running past the block */
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 3);
	fdtb_raw32(&b, 0xfffffff0);
	fdtb_raw32(&b, 0);
	fdtb_end(&b);
	fdtb_prop_cells(&b, "x", 0);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRUCTURE);

	fdtb_init(&b); /* property name offset outside the strings */
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 3);
	fdtb_raw32(&b, 0);
	fdtb_raw32(&b, 1000);
	fdtb_end(&b);
	fdtb_prop_cells(&b, "x", 0);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_BADSTRING);

	fdtb_init(&b); /* too deep */
	for (int i = 0; i <= FDT_MAX_DEPTH; i++)
		fdtb_begin(&b, "n");
	for (int i = 0; i <= FDT_MAX_DEPTH; i++)
		fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), -FDT_ERR_TOODEEP);

	fdtb_init(&b); /* exactly the maximum depth is fine */
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		fdtb_begin(&b, "n");
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		fdtb_end(&b);
	CHECK_EQ((len = fdtb_finish(&b), init_copy(&b, len)), 0);
	CHECK_EQ(fdt_init(&t, b.out, len), 0);
	n = fdt_path(&t, "/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n");
	CHECK(n >= 0);
	CHECK(fdt_parent(&t, n) >= 0);
	CHECK_EQ(fdt_first_child(&t, n), -FDT_ERR_NOTFOUND);

	SECTION("synthetic: node name without NUL at the end of the block");
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_end(&b);
	fdtb_raw32(&b, 9);
	fdtb_raw32(&b, 1);
	fdtb_raw32(&b, 0x61616161);
	len = fdtb_finish_raw(&b);
	CHECK_EQ(init_copy(&b, len), 0); /* END comes first: trailing junk is never read */
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 1);
	fdtb_raw32(&b, 0x61616161);
	len = fdtb_finish_raw(&b);
	CHECK_EQ(init_copy(&b, len), -FDT_ERR_BADSTRUCTURE);
}

/* Every prefix, with the original header and with totalsize patched to fit. */
static void test_prefixes(const char *file)
{
	size_t len;
	uint8_t *blob = tu_load(file, &len);
	int ok_orig = 0, ok_patched = 0;

	SECTION("%s: all %zu prefixes, original and patched totalsize", file, len);
	for (size_t n = 0; n <= len; n++) {
		uint8_t *p = tu_dup(blob, n);
		struct fdt t;
		int rc = fdt_init(&t, p, n);
		if (rc == 0) {
			ok_orig++;
			exercise(&t);
		}
		if (n >= 8) {
			tu_put_be32(p + 4, (uint32_t)n);
			if (fdt_init(&t, p, n) == 0) {
				/* Those only differ in free space: walk a few. */
				if (ok_patched++ % 128 == 0)
					exercise(&t);
			}
		}
		free(p);
	}
	/* Only the whole blob passes with its own header. */
	CHECK_EQ(ok_orig, 1);
	/*
	 * The strings block is last; firmware leaves free space after it. Every
	 * prefix that keeps the whole strings block passes, every shorter one
	 * fails.
	 */
	size_t used = tu_get_be32(blob + 12) + tu_get_be32(blob + 32);
	printf("   blocks end at 0x%zx, %zu bytes of free space follow\n", used, len - used);
	CHECK_EQ(ok_patched, len - used + 1);
	free(blob);
}

/* Random damage with a fixed seed: must be rejected or walked safely. */
static void test_fuzz(const char *file, uint64_t seed, int iters)
{
	size_t len;
	uint8_t *blob = tu_load(file, &len);
	int accepted = 0;

	SECTION("%s: %d random corruptions, seed %llu", file, iters, (unsigned long long)seed);
	tu_srand(seed);
	for (int i = 0; i < iters; i++) {
		uint8_t *p = tu_dup(blob, len);
		int kind = (int)(tu_rand() % 4);
		int flips = 1 + (int)(tu_rand() % 8);
		struct fdt t;

		for (int f = 0; f < flips; f++) {
			size_t off = (size_t)(tu_rand() % len);
			switch (kind) {
			case 0: /* a bit anywhere */
				p[off] ^= (uint8_t)(1u << (tu_rand() % 8));
				break;
			case 1: /* a header word */
				tu_put_be32(p + 4 * (tu_rand() % 10), (uint32_t)tu_rand());
				break;
			case 2: /* a word in the structure block (lengths, tokens, nameoffs) */
				off = tu_get_be32(blob + 8) +
				      4 * (tu_rand() % (tu_get_be32(blob + 36) / 4));
				tu_put_be32(p + off,
					    (uint32_t)(tu_rand() % 3 ? tu_rand() % 64 : tu_rand()));
				break;
			default: /* a random byte */
				p[off] = (uint8_t)tu_rand();
				break;
			}
		}
		if (fdt_init(&t, p, len) == 0) {
			accepted++;
			exercise(&t);
		}
		free(p);
	}
	printf("   %d of %d corrupted blobs still valid (and walked)\n", accepted, iters);
	CHECK(accepted < iters);
	free(blob);
}

int main(void)
{
	test_real_trees();
	test_virt_lookups();
	test_other_trees();
	test_cells();
	test_synthetic();
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		test_prefixes(trees[i].file);
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		test_fuzz(trees[i].file, 0x5eed0000 + i, 2000);
	return check_summary("fdt_test");
}
