/*
 * platform.c: reading struct platform out of the device tree.
 *
 * Owns the translation from device tree conventions (QEMU virt and
 * sifive_u under OpenSBI, optionally booted through U-Boot) to the plain
 * struct the kernel uses. Invariants it keeps (see platform.h): on success
 * nmem >= 1, nharts >= 1 with unique hart ids, nusable >= 1, timebase_hz
 * > 0, every reserved range is non-empty and listed once; on failure err
 * holds one line saying what was wrong and *plat must not be used.
 *
 * All tree access goes through fdt.h, which bounds-checks every read, so a
 * hostile tree can make this fail but never read outside the blob. Uses no
 * libc: messages go through src/lib/fmt.c, string helpers are its own.
 */
#include "src/arch/riscv/platform.h"
#include "src/lib/fdt.h"
#include "src/lib/fmt.h"

#include <stdarg.h>

/* The S-mode external interrupt's cause number in interrupts-extended. */
#define IRQ_S_EXT 9

/* The parse state shared by the readers below. */
struct ctx {
	struct fdt t;
	struct platform *plat;
	char *err;
	size_t errlen;
};

/* Fail with a one-line reason in the caller's err buffer. */
static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (c->err != NULL && c->errlen > 0)
		fmt_vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- Small string helpers ---- */

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/*
 * Whether a riscv,isa string ("rv64imafdch_zicsr_..._sstc") lists the
 * multi-letter extension `ext`: those follow the single-letter base as
 * '_'-separated words.
 */
static bool isa_has(const char *isa, const char *ext)
{
	const char *p = isa;

	while (*p && *p != '_')
		p++; /* skip "rv64imafdch" */
	while (*p == '_') {
		const char *e = ext;
		p++;
		while (*e && *p && lower(*p) == *e) {
			p++;
			e++;
		}
		if (*e == 0 && (*p == 0 || *p == '_'))
			return true;
		while (*p && *p != '_')
			p++;
	}
	return false;
}

/* Whether the single-letter part of "rv64imafdcv_zicsr..." has letter x. */
static bool isa_has_letter(const char *isa, char x)
{
	const char *p = isa;

	if (lower(p[0]) != 'r' || lower(p[1]) != 'v')
		return false;
	p += 2;
	while (*p >= '0' && *p <= '9')
		p++; /* "32", "64" */
	for (; *p && *p != '_'; p++)
		if (lower(*p) == x)
			return true;
	return false;
}

/* Whether the string s starts with prefix, ignoring case. */
static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix && lower(*s) == *prefix) {
		s++;
		prefix++;
	}
	return *prefix == 0;
}

/* ---- Memory and reservations ---- */

static bool node_is_okay(struct ctx *c, int node)
{
	const char *st = fdt_getprop_str(&c->t, node, "status");

	return !fdt_has_prop(&c->t, node, "status") || str_eq(st, "okay") || str_eq(st, "ok");
}

static int add_mem(struct ctx *c, uint64_t base, uint64_t size)
{
	struct platform *p = c->plat;

	if (size == 0)
		return 0;
	if (p->nmem == PLATFORM_MAX_MEM)
		return fail(c, "more than %lu memory ranges", (unsigned long)PLATFORM_MAX_MEM);
	p->mem[p->nmem].base = base;
	p->mem[p->nmem].size = size;
	p->nmem++;
	return 0;
}

/* Add a reserved range; exact duplicates (U-Boot's initrd) count once. */
static int add_reserved(struct ctx *c, uint64_t base, uint64_t size)
{
	struct platform *p = c->plat;

	if (size == 0)
		return 0;
	for (int i = 0; i < p->nreserved; i++) {
		if (p->reserved[i].base == base && p->reserved[i].size == size)
			return 0;
	}
	if (p->nreserved == PLATFORM_MAX_RESERVED)
		return fail(c, "more than %lu reserved ranges",
			    (unsigned long)PLATFORM_MAX_RESERVED);
	p->reserved[p->nreserved].base = base;
	p->reserved[p->nreserved].size = size;
	p->nreserved++;
	return 0;
}

/* Call add(c, base, size) for every entry of a node's reg. */
static int for_each_reg(struct ctx *c, int node, int (*add)(struct ctx *, uint64_t, uint64_t))
{
	uint64_t base, size;
	int rc;

	for (uint32_t i = 0;; i++) {
		rc = fdt_reg(&c->t, node, i, &base, &size);
		if (rc == -FDT_ERR_NOTFOUND)
			return 0;
		if (rc < 0)
			return fail(c, "bad reg in node %s", fdt_node_name(&c->t, node));
		if ((rc = add(c, base, size)) < 0)
			return rc;
	}
}

static int read_memory(struct ctx *c)
{
	int depth = 0, rc;

	for (int n = fdt_root(&c->t); n >= 0; n = fdt_next_node(&c->t, n, &depth)) {
		if (!str_eq(fdt_getprop_str(&c->t, n, "device_type"), "memory") ||
		    !node_is_okay(c, n))
			continue;
		if ((rc = for_each_reg(c, n, add_mem)) < 0)
			return rc;
	}
	if (c->plat->nmem == 0)
		return fail(c, "no /memory node (device_type = \"memory\" with a reg)");
	return 0;
}

/* /reserved-memory children, memreserve entries, and the blob itself. */
static int read_reserved(struct ctx *c, uint64_t fdt_phys)
{
	int rm = fdt_path(&c->t, "/reserved-memory");
	uint64_t addr, size;
	int child, rc;

	if (rm >= 0) {
		fdt_for_each_child(&c->t, rm, child)
		{
			if ((rc = for_each_reg(c, child, add_reserved)) < 0)
				return rc;
		}
	}
	for (uint32_t i = 0; fdt_memreserve(&c->t, i, &addr, &size); i++) {
		if ((rc = add_reserved(c, addr, size)) < 0)
			return rc;
	}
	return add_reserved(c, fdt_phys, c->t.totalsize);
}

/* ---- /chosen ---- */

/* /chosen/linux,initrd-start and -end: one or two cells each, end exclusive. */
static int read_initrd(struct ctx *c, int chosen)
{
	bool has_start = fdt_has_prop(&c->t, chosen, "linux,initrd-start");
	bool has_end = fdt_has_prop(&c->t, chosen, "linux,initrd-end");
	uint64_t start, end;

	if (!has_start && !has_end)
		return 0;
	if (!has_start || !has_end)
		return fail(c, "/chosen has only one of linux,initrd-start and -end");
	if (!fdt_getprop_uint(&c->t, chosen, "linux,initrd-start", &start) ||
	    !fdt_getprop_uint(&c->t, chosen, "linux,initrd-end", &end))
		return fail(c, "/chosen/linux,initrd-*: not one or two cells");
	if (end < start)
		return fail(c, "/chosen/linux,initrd-end below initrd-start %#lx",
			    (unsigned long)start);
	c->plat->initrd.base = start;
	c->plat->initrd.size = end - start;
	return add_reserved(c, start, end - start);
}

static int read_chosen(struct ctx *c)
{
	struct platform *p = c->plat;
	int chosen = fdt_path(&c->t, "/chosen");
	uint64_t v;

	if (chosen < 0)
		return 0;
	p->bootargs = fdt_getprop_str(&c->t, chosen, "bootargs");
	if (!p->bootargs && fdt_has_prop(&c->t, chosen, "bootargs"))
		return fail(c, "/chosen/bootargs is not a NUL-terminated string");
	if (fdt_has_prop(&c->t, chosen, "boot-hartid")) {
		if (!fdt_getprop_uint(&c->t, chosen, "boot-hartid", &v) || v > UINT32_MAX)
			return fail(c, "/chosen/boot-hartid is not a 32-bit hart id");
		p->has_boot_hartid = true;
		p->boot_hartid = (uint32_t)v;
	}
	return read_initrd(c, chosen);
}

/* ---- Harts ---- */

/* The phandle of the cpu node's interrupt-controller child, 0 if none. */
static uint32_t intc_phandle(struct ctx *c, int cpu)
{
	uint32_t ph;
	int child;

	fdt_for_each_child(&c->t, cpu, child)
	{
		if (!fdt_has_prop(&c->t, child, "interrupt-controller"))
			continue;
		if (fdt_getprop_u32(&c->t, child, "phandle", &ph) ||
		    fdt_getprop_u32(&c->t, child, "linux,phandle", &ph))
			return ph;
	}
	return 0;
}

/*
 * A U74 by its cpu node's compatible: "sifive,u74-mc" in the FU740's
 * first trees, "sifive,bullet0" in today's (Linux's fu740-c000.dtsi), or
 * any other "sifive,u74..." string.
 */
static bool is_sifive_u74(struct ctx *c, int cpu)
{
	uint32_t len, pos = 0;
	const char *list = fdt_getprop(&c->t, cpu, "compatible", &len);

	while (list && pos < len) {
		const char *s = list + pos;
		uint32_t n = 0;

		while (pos + n < len && s[n])
			n++;
		if (pos + n == len)
			break; /* not NUL-terminated: ignore the rest */
		if (starts_with(s, "sifive,u74") || str_eq(s, "sifive,bullet0"))
			return true;
		pos += n + 1;
	}
	return false;
}

static int read_hart(struct ctx *c, int cpu)
{
	struct platform *p = c->plat;
	struct platform_hart *h;
	uint64_t id;

	if (p->nharts == PLATFORM_MAX_HARTS)
		return fail(c, "more than %lu cpu nodes", (unsigned long)PLATFORM_MAX_HARTS);
	if (fdt_reg(&c->t, cpu, 0, &id, NULL) < 0 || id > UINT32_MAX)
		return fail(c, "cpu node %s has no valid reg", fdt_node_name(&c->t, cpu));
	for (int i = 0; i < p->nharts; i++) {
		if (p->harts[i].hartid == id)
			return fail(c, "duplicate hart id %lu in /cpus", (unsigned long)id);
	}
	h = &p->harts[p->nharts++];
	h->hartid = (uint32_t)id;
	h->okay = node_is_okay(c, cpu);
	h->mmu_type = fdt_getprop_str(&c->t, cpu, "mmu-type");
	h->has_mmu = h->mmu_type && !str_eq(h->mmu_type, "riscv,none");
	h->isa = fdt_getprop_str(&c->t, cpu, "riscv,isa");
	/* An rv32 hart could not run this kernel even with an MMU. */
	h->usable = h->okay && h->has_mmu && (!h->isa || starts_with(h->isa, "rv64"));
	h->has_sstc = (h->isa && isa_has(h->isa, "sstc")) ||
		      fdt_prop_has_string(&c->t, cpu, "riscv,isa-extensions", "sstc");
	h->has_v = (h->isa && isa_has_letter(h->isa, 'v')) ||
		   fdt_prop_has_string(&c->t, cpu, "riscv,isa-extensions", "v");
	h->sifive_u74 = is_sifive_u74(c, cpu);
	h->intc_phandle = intc_phandle(c, cpu);
	h->plic_s_context = -1;
	if (h->usable)
		p->nusable++;
	if (p->timebase_hz == 0)
		fdt_getprop_uint(&c->t, cpu, "timebase-frequency", &p->timebase_hz);
	return 0;
}

static int read_cpus(struct ctx *c)
{
	struct platform *p = c->plat;
	int cpus = fdt_path(&c->t, "/cpus");
	int cpu, rc;

	if (cpus < 0)
		return fail(c, "no /cpus node");
	/* /cpus's timebase wins; read_hart() falls back to the first cpu's. */
	fdt_getprop_uint(&c->t, cpus, "timebase-frequency", &p->timebase_hz);
	fdt_for_each_child(&c->t, cpus, cpu)
	{
		if (!str_eq(fdt_getprop_str(&c->t, cpu, "device_type"), "cpu"))
			continue; /* cpu-map and friends */
		if ((rc = read_hart(c, cpu)) < 0)
			return rc;
	}
	if (p->nharts == 0)
		return fail(c, "no cpu nodes in /cpus");
	if (p->nusable == 0)
		return fail(c, "no usable hart (status okay, an mmu-type, rv64)");
	if (p->timebase_hz == 0)
		return fail(c, "no timebase-frequency in /cpus");
	return 0;
}

/* ---- PLIC ---- */

static struct platform_hart *hart_by_intc(struct platform *p, uint32_t phandle)
{
	for (int i = 0; i < p->nharts; i++) {
		if (p->harts[i].intc_phandle == phandle)
			return &p->harts[i];
	}
	return NULL;
}

/*
 * interrupts-extended lists one <phandle cause...> entry per PLIC context,
 * in context order. A hart's S-mode context is the entry that names its
 * intc with cause 9. OpenSBI rewrites M-mode entries to cause 0xffffffff.
 */
static int read_plic_contexts(struct ctx *c, int plic)
{
	uint32_t len, pos = 0, cells;
	const void *ie = fdt_getprop(&c->t, plic, "interrupts-extended", &len);
	uint64_t ph, cause, skip;

	for (int32_t ctx = 0; ie && pos < len; ctx++) {
		if (!fdt_read_cells(ie, len, &pos, 1, &ph))
			return fail(c, "plic: truncated interrupts-extended");
		int target = fdt_find_phandle(&c->t, (uint32_t)ph);
		if (target < 0)
			return fail(c, "plic: interrupts-extended names unknown phandle %#lx",
				    (unsigned long)ph);
		if (!fdt_getprop_u32(&c->t, target, "#interrupt-cells", &cells) || cells == 0 ||
		    cells > 4)
			return fail(c, "plic: bad #interrupt-cells behind phandle %#lx",
				    (unsigned long)ph);
		if (!fdt_read_cells(ie, len, &pos, 1, &cause))
			return fail(c, "plic: truncated interrupts-extended");
		for (uint32_t i = 1; i < cells; i++) {
			if (!fdt_read_cells(ie, len, &pos, 1, &skip))
				return fail(c, "plic: truncated interrupts-extended");
		}
		struct platform_hart *h = hart_by_intc(c->plat, (uint32_t)ph);
		if (h && cause == IRQ_S_EXT && h->plic_s_context < 0)
			h->plic_s_context = ctx;
	}
	return 0;
}

static int read_plic(struct ctx *c)
{
	struct platform *p = c->plat;
	int plic = fdt_find_compatible(&c->t, -1, "riscv,plic0");
	uint32_t ndev;

	if (plic < 0)
		plic = fdt_find_compatible(&c->t, -1, "sifive,plic-1.0.0");
	if (plic < 0)
		return 0;
	if (fdt_reg(&c->t, plic, 0, &p->plic.base, &p->plic.size) < 0)
		return fail(c, "plic %s has no valid reg", fdt_node_name(&c->t, plic));
	if (fdt_getprop_u32(&c->t, plic, "riscv,ndev", &ndev))
		p->plic.ndev = ndev;
	p->plic.present = true;
	return read_plic_contexts(c, plic);
}

/* ---- Console and test device ---- */

/* The node /chosen/stdout-path names, a negative value if none. */
static int stdout_node(struct ctx *c, int *node)
{
	int chosen = fdt_path(&c->t, "/chosen");
	const char *sp = NULL;
	char alias[64];
	size_t len = 0;

	*node = -FDT_ERR_NOTFOUND;
	if (chosen >= 0) {
		sp = fdt_getprop_str(&c->t, chosen, "stdout-path");
		if (!sp)
			sp = fdt_getprop_str(&c->t, chosen, "linux,stdout-path");
	}
	if (!sp)
		return 0;
	while (sp[len] && sp[len] != ':')
		len++;
	if (sp[0] != '/') {
		/* An alias: look its path up in /aliases. */
		int aliases = fdt_path(&c->t, "/aliases");
		if (len >= sizeof(alias))
			return fail(c, "stdout-path alias too long: %s", sp);
		for (size_t i = 0; i < len; i++)
			alias[i] = sp[i];
		alias[len] = 0;
		const char *path = aliases >= 0 ? fdt_getprop_str(&c->t, aliases, alias) : NULL;
		if (!path)
			return fail(c, "stdout-path names unknown alias %s", alias);
		sp = path;
		for (len = 0; sp[len] && sp[len] != ':';)
			len++;
	}
	*node = fdt_path_len(&c->t, sp, len);
	if (*node < 0)
		return fail(c, "stdout-path names a missing node: %s", sp);
	return 0;
}

static enum uart_kind uart_kind_of(struct ctx *c, int node)
{
	if (fdt_is_compatible(&c->t, node, "ns16550a") || fdt_is_compatible(&c->t, node, "ns16550"))
		return UART_NS16550A;
	if (fdt_is_compatible(&c->t, node, "sifive,uart0"))
		return UART_SIFIVE;
	return UART_NONE;
}

static int read_console(struct ctx *c)
{
	struct platform *p = c->plat;
	static const char *const known[] = {"ns16550a", "ns16550", "sifive,uart0"};
	uint32_t len, v;
	uint64_t clk;
	const void *irq;
	int node, rc;

	if ((rc = stdout_node(c, &node)) < 0)
		return rc;
	for (size_t i = 0; node < 0 && i < sizeof(known) / sizeof(known[0]); i++)
		node = fdt_find_compatible(&c->t, -1, known[i]);
	if (node < 0)
		return 0;
	p->uart.kind = uart_kind_of(c, node);
	if (p->uart.kind == UART_NONE)
		return 0;
	if (fdt_reg(&c->t, node, 0, &p->uart.base, &p->uart.size) < 0)
		return fail(c, "console %s has no valid reg", fdt_node_name(&c->t, node));
	irq = fdt_getprop(&c->t, node, "interrupts", &len);
	if (irq && len >= 4)
		p->uart.irq = fdt_be32(irq);
	if (fdt_getprop_u32(&c->t, node, "reg-shift", &v))
		p->uart.reg_shift = v;
	if (fdt_getprop_uint(&c->t, node, "clock-frequency", &clk) && clk <= UINT32_MAX)
		p->uart.clock_hz = (uint32_t)clk;
	return 0;
}

static void read_testdev(struct ctx *c)
{
	struct platform *p = c->plat;
	int node = fdt_find_compatible(&c->t, -1, "sifive,test1");
	uint64_t base;

	if (node < 0)
		node = fdt_find_compatible(&c->t, -1, "sifive,test0");
	if (node >= 0 && fdt_reg(&c->t, node, 0, &base, NULL) == 0) {
		p->testdev.present = true;
		p->testdev.base = base;
	}
}

/* ---- Entry points ---- */

static int fdt_failed(struct ctx *c, int err)
{
	if (err == -FDT_ERR_BADMAGIC)
		return fail(c, "fdt: bad magic %#lx", (unsigned long)c->t.bad_value);
	return fail(c, "fdt: %s (%#lx)", fdt_strerror(err), (unsigned long)c->t.bad_value);
}

int platform_from_fdt_sized(const void *fdt, size_t bufsize, uint64_t fdt_phys,
			    struct platform *plat, char *err, size_t errlen)
{
	struct ctx c = {.plat = plat, .err = err, .errlen = errlen};
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*plat = (struct platform){0};
	if ((rc = fdt_init(&c.t, fdt, bufsize)) < 0)
		return fdt_failed(&c, rc);
	plat->fdt_base = fdt_phys;
	plat->fdt_size = c.t.totalsize;
	if ((rc = read_memory(&c)) < 0 || (rc = read_reserved(&c, fdt_phys)) < 0 ||
	    (rc = read_chosen(&c)) < 0 || (rc = read_cpus(&c)) < 0 || (rc = read_plic(&c)) < 0 ||
	    (rc = read_console(&c)) < 0)
		return rc;
	read_testdev(&c);
	return 0;
}

int platform_from_fdt(const void *fdt, uint64_t fdt_phys, struct platform *plat, char *err,
		      size_t errlen)
{
	return platform_from_fdt_sized(fdt, FDT_SIZE_UNKNOWN, fdt_phys, plat, err, errlen);
}

const struct platform_hart *platform_hart(const struct platform *plat, uint32_t hartid)
{
	for (int i = 0; i < plat->nharts; i++) {
		if (plat->harts[i].hartid == hartid)
			return &plat->harts[i];
	}
	return NULL;
}
