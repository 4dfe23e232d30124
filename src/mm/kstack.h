/*
 * kstack.h: kernel thread stacks, each above an unmapped guard.
 *
 * A thread's kernel stack lives in the kernel-stack window of the kernel's
 * address space (memlayout.h), not in the direct map: there a stack that
 * overflows would run silently into whatever frame lies below it. In the
 * window each stack sits in its own slot, whose lower part is never mapped,
 * so an overflow faults at once; the trap entry sees the stack pointer
 * below the hart's stack limit and panics on a spare stack (trap.c).
 */
#ifndef KINE_MM_KSTACK_H
#define KINE_MM_KSTACK_H

#include <stdint.h>

#include "src/mm/phys.h"
#include "src/mm/pt_frames.h"

#define KSTACK_PAGES       4                                  /* 16 KiB of stack */
#define KSTACK_SLOT_PAGES  8                                  /* 32 KiB of window per stack */
#define KSTACK_GUARD_PAGES (KSTACK_SLOT_PAGES - KSTACK_PAGES) /* 16 KiB never mapped */

struct kstack {
	uintptr_t base; /* lowest byte of the stack; the guard lies just below */
	uintptr_t top;  /* one past the highest (the initial sp) */
	uint32_t slot;  /* index of the slot in the window */
	paddr_t frames[KSTACK_PAGES];
	struct kstack *next;      /* on the warm, dirty or pending list (kstack.c) */
	uint64_t gen;             /* pending: the generation of its batch */
	struct pt_retired tables; /* pending: the level-0 table it emptied, if any */
};

/* Counters (atomic), for the self-test and anyone curious. */
struct kstack_stats {
	uint64_t mapped;   /* stacks mapped into a fresh slot */
	uint64_t reused;   /* stacks handed out again from the warm list */
	uint64_t unmapped; /* stacks unmapped (freed once every hart has flushed) */
	uint64_t batches;  /* batches of unmapped stacks closed */
	uint64_t flushes;  /* local flushes harts made for closed batches */
};

extern struct kstack_stats kstack_stats;

/*
 * Make the window's page-table path in the kernel's table. Boot hart,
 * after kmap_init() and before any user address space is made: each of
 * those copies the kernel's root entries once, so the window's root entry
 * must exist by then.
 */
void kstack_init(void);

/* A mapped stack, or NULL when memory or slots run out. */
struct kstack *kstack_alloc(void);

/* Give back a stack nobody runs on any more. */
void kstack_free(struct kstack *ks);

/*
 * Each time round a hart's scheduler loop: if a batch of unmapped stacks
 * was closed since this hart last flushed, flush its TLB (global entries
 * included) and say so. Cheap otherwise: one load and a compare.
 */
void kstack_quiesce(void);

/*
 * Unmap every stack kept for reuse, close the batch, wait (yielding) until
 * every online hart has flushed, and free every unmapped stack: after
 * this, kernel stacks hold only the frames of live threads (a
 * memstat_settle hook; thread context, no spinlock held).
 */
void kstack_settle(void);

#endif
