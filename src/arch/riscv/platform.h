/*
 * platform.h: the machine as the device tree describes it.
 *
 * platform_from_fdt() reads a flattened device tree (as OpenSBI or U-Boot
 * hands it to the kernel) into one plain struct platform that the rest of the
 * kernel consumes: RAM, the memory that must never be handed out, every hart
 * with what it can do, the timebase, the console, the PLIC, the test device
 * and /chosen. It is pure C with no machine access, so the host tests run it
 * on trees captured as the kernel receives them.
 *
 * Invariants of a struct platform that platform_from_fdt() accepted:
 *  - nmem >= 1 and every mem[] range has size > 0;
 *  - harts[] lists every /cpus/cpu@N node in tree order; `usable` is set
 *    only for harts whose status is "okay" (or absent), that have an MMU
 *    (mmu-type present and not "riscv,none") and whose riscv,isa, when
 *    present, is an rv64 one (the kernel is built for rv64);
 *  - every pointer (bootargs, strings) points into the tree blob itself,
 *    so the blob must stay mapped and unmodified while they are in use.
 */
#ifndef KINE_ARCH_RISCV_PLATFORM_H
#define KINE_ARCH_RISCV_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLATFORM_MAX_HARTS    16
#define PLATFORM_MAX_MEM      8
#define PLATFORM_MAX_RESERVED 16

struct phys_range {
	uint64_t base;
	uint64_t size;
};

enum uart_kind {
	UART_NONE = 0,
	UART_NS16550A, /* "ns16550a" / "ns16550": QEMU virt */
	UART_SIFIVE,   /* "sifive,uart0": sifive_u and the HiFive boards */
};

struct platform_hart {
	uint32_t hartid; /* "reg" of the cpu node */
	bool okay;       /* status absent, "okay" or "ok" */
	bool has_mmu;    /* mmu-type present and not "riscv,none" */
	bool usable;     /* okay && has_mmu && rv64: kine may start it */
	bool has_sstc;   /* "sstc" appears in riscv,isa (or riscv,isa-extensions) */
	bool has_v;      /* the single-letter base of riscv,isa has 'v' (or extensions list "v") */
	/*
	 * A SiFive U74 core: compatible lists "sifive,u74*" or
	 * "sifive,bullet0" (the HiFive Unmatched's FU740). Its erratum
	 * CIP-1200 makes sfence.vma with an address or ASID unreliable for
	 * instruction translations, so mmu.c flushes everything instead.
	 */
	bool sifive_u74;
	uint32_t intc_phandle;  /* phandle of its interrupt-controller child, 0 if none */
	int32_t plic_s_context; /* PLIC context for this hart's S-mode external irq, -1 if none */
	const char *isa;        /* riscv,isa string, or NULL */
	const char *mmu_type;   /* mmu-type string, or NULL */
};

struct platform {
	/* RAM from every /memory node (device_type = "memory"). */
	struct phys_range mem[PLATFORM_MAX_MEM];
	int nmem;

	/*
	 * Ranges the frame allocator must never hand out: every
	 * /reserved-memory child with a reg (OpenSBI's own firmware lives
	 * there), every memreserve block entry, the device tree blob itself
	 * and the initrd. The kernel image is added by the caller, which
	 * knows its own bounds.
	 */
	struct phys_range reserved[PLATFORM_MAX_RESERVED];
	int nreserved;

	struct platform_hart harts[PLATFORM_MAX_HARTS];
	int nharts;  /* cpu nodes found (usable or not) */
	int nusable; /* harts with usable set */

	uint64_t timebase_hz; /* /cpus/timebase-frequency (or per-cpu) */

	/*
	 * The console: the node /chosen/stdout-path names (a path or an
	 * /aliases name, ":options" ignored). Without stdout-path, the first
	 * ns16550a/ns16550/sifive,uart0 node. kind stays UART_NONE for a
	 * console of another type (the kernel can fall back to SBI).
	 */
	struct {
		enum uart_kind kind;
		uint64_t base;
		uint64_t size;
		uint32_t irq;       /* PLIC source, 0 if none */
		uint32_t reg_shift; /* ns16550a register stride shift */
		uint32_t clock_hz;  /* clock-frequency, 0 if absent */
	} uart;

	/* The PLIC ("riscv,plic0" or "sifive,plic-1.0.0"). */
	struct {
		bool present;
		uint64_t base;
		uint64_t size;
		uint32_t ndev; /* riscv,ndev */
	} plic;

	/* QEMU's test device ("sifive,test0"/"sifive,test1"): exit status. */
	struct {
		bool present;
		uint64_t base;
	} testdev;

	const char *bootargs; /* /chosen/bootargs, NULL if absent */
	bool has_boot_hartid; /* /chosen/boot-hartid (U-Boot adds it) */
	uint32_t boot_hartid;
	struct phys_range initrd; /* size 0 if none; end is exclusive */
	uint64_t fdt_base;        /* physical address the blob was read at */
	uint64_t fdt_size;        /* totalsize from the header */
};

/*
 * Fill *plat from the tree at `fdt` (its physical address is `fdt_phys`,
 * recorded as a reserved range). On a malformed or unsupported tree,
 * returns a negative error and writes a one-line reason into err[errlen];
 * it never reads outside the blob's totalsize and never crashes on hostile
 * input. Returns 0 on success.
 */
int platform_from_fdt(const void *fdt, uint64_t fdt_phys, struct platform *plat, char *err,
		      size_t errlen);

/*
 * platform_from_fdt() for a blob known to have only `bufsize` readable
 * bytes (the host tests feed truncated and corrupted trees through this);
 * platform_from_fdt() is this with the size taken from the header.
 */
int platform_from_fdt_sized(const void *fdt, size_t bufsize, uint64_t fdt_phys,
			    struct platform *plat, char *err, size_t errlen);

/* The hart with this hart id, or NULL. */
const struct platform_hart *platform_hart(const struct platform *plat, uint32_t hartid);

#endif
