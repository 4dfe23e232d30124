/*
 * riscv.h: the RISC-V machine as S-mode code sees it.
 *
 * CSR numbers and bits, trap causes, and the few instructions C cannot
 * express. Everything that names a CSR or emits an instruction lives here or
 * elsewhere under src/arch/riscv/; the rest of kine calls the arch_* wrappers
 * in cpu.h instead.
 */
#ifndef KINE_ARCH_RISCV_RISCV_H
#define KINE_ARCH_RISCV_RISCV_H

#include <stdint.h>

/* sstatus */
#define SSTATUS_SIE        (1UL << 1) /* interrupts enabled in S-mode */
#define SSTATUS_SPIE       (1UL << 5) /* SIE before the trap */
#define SSTATUS_SPP        (1UL << 8) /* trap came from S-mode */
#define SSTATUS_SUM        (1UL << 18)
#define SSTATUS_VS         (3UL << 9) /* vector state: 0 = Off (V instructions trap) */
#define SSTATUS_VS_INITIAL (1UL << 9)

/* sie / sip bits: software, timer and external interrupts of S-mode. */
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)
#define SIP_SSIP (1UL << 1)

/* scause: the top bit marks an interrupt; the rest is the code. */
#define SCAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_SOFT       1
#define IRQ_S_TIMER      5
#define IRQ_S_EXT        9

#define EXC_INST_MISALIGNED  0
#define EXC_INST_ACCESS      1
#define EXC_ILLEGAL_INST     2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_MISALIGNED  4
#define EXC_LOAD_ACCESS      5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U          8
#define EXC_ECALL_S          9
#define EXC_INST_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15

#define csr_read(csr)                                                                              \
	({                                                                                         \
		unsigned long __v;                                                                 \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v) : : "memory");                       \
		__v;                                                                               \
	})

#define csr_write(csr, val)                                                                        \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ volatile("csrw " #csr ", %0" : : "rK"(__v) : "memory");                    \
	})

#define csr_set(csr, bits)                                                                         \
	({                                                                                         \
		unsigned long __v = (unsigned long)(bits);                                         \
		__asm__ volatile("csrs " #csr ", %0" : : "rK"(__v) : "memory");                    \
	})

#define csr_clear(csr, bits)                                                                       \
	({                                                                                         \
		unsigned long __v = (unsigned long)(bits);                                         \
		__asm__ volatile("csrc " #csr ", %0" : : "rK"(__v) : "memory");                    \
	})

/* Read and clear bits in one instruction: the old value tells what was set. */
#define csr_read_clear(csr, bits)                                                                  \
	({                                                                                         \
		unsigned long __v = (unsigned long)(bits);                                         \
		__asm__ volatile("csrrc %0, " #csr ", %1" : "=r"(__v) : "rK"(__v) : "memory");     \
		__v;                                                                               \
	})

/* stimecmp (Sstc); older assemblers lack the name, so use the number. */
#define CSR_STIMECMP 0x14d

static inline uint64_t rdtime(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static inline uintptr_t read_fp(void)
{
	uintptr_t fp;
	__asm__ volatile("mv %0, s0" : "=r"(fp));
	return fp;
}

static inline uintptr_t read_tp(void)
{
	uintptr_t tp;
	__asm__ volatile("mv %0, tp" : "=r"(tp));
	return tp;
}

static inline void write_tp(uintptr_t tp)
{
	__asm__ volatile("mv tp, %0" : : "r"(tp));
}

static inline void wfi(void)
{
	__asm__ volatile("wfi" ::: "memory");
}

#endif
