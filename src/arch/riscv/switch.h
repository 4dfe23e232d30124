/*
 * switch.h: saving one kernel thread's registers and resuming another's.
 *
 * Only the callee-saved registers need saving: arch_switch() is an
 * ordinary call, so the compiler has already saved everything else the
 * caller needs on the caller's stack.
 */
#ifndef KINE_ARCH_RISCV_SWITCH_H
#define KINE_ARCH_RISCV_SWITCH_H

#include <stdint.h>

struct arch_context {
	uint64_t ra;
	uint64_t sp;
	uint64_t s[12]; /* s0..s11 */
};

/* Save the current registers in *from and continue with *to. */
void arch_switch(struct arch_context *from, const struct arch_context *to);

/*
 * Prepare ctx so that switching to it calls entry() on the stack that ends
 * at stack_top. entry must never return.
 */
static inline void arch_context_init(struct arch_context *ctx, uintptr_t stack_top,
				     void (*entry)(void))
{
	for (int i = 0; i < 12; i++)
		ctx->s[i] = 0; /* s0 = 0 ends the backtrace's frame chain */
	ctx->ra = (uintptr_t)entry;
	ctx->sp = stack_top;
}

#endif
