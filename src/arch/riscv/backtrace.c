/*
 * backtrace.c: walking the frame-pointer chain.
 *
 * kine is built with -fno-omit-frame-pointer. A non-leaf RISC-V function
 * keeps its caller's return address at fp-8 and the caller's fp at fp-16,
 * where fp (s0) is the stack pointer at its entry. Every fp is checked to
 * lie inside this hart's stack before it is read, so a corrupt chain ends
 * the walk instead of faulting inside a panic.
 */
#include "src/arch/riscv/backtrace.h"

int arch_backtrace(uintptr_t fp, uintptr_t stack_lo, uintptr_t stack_hi, uintptr_t *pcs, int max)
{
	int n = 0;

	while (n < max) {
		if (fp % 8 != 0 || fp < stack_lo + 16 || fp > stack_hi)
			break;
		uintptr_t ra = ((const uintptr_t *)fp)[-1];
		uintptr_t prev = ((const uintptr_t *)fp)[-2];
		/*
		 * The outermost frame (a thread's first function, or
		 * boot_main) was entered with s0 = 0: nothing called it, so
		 * its saved ra means nothing.
		 */
		if (ra == 0 || prev == 0)
			break;
		/* ra points after the call; step back into it for addr2line. */
		pcs[n++] = ra - 4;
		if (prev <= fp)
			break; /* stacks grow down: a caller's frame is above */
		fp = prev;
	}
	return n;
}
