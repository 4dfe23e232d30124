/*
 * user.h: crossing between U-mode and the kernel.
 *
 * A thread that runs user code keeps a struct user_frame at the top of its
 * kernel stack. While it is in U-mode, sscratch points at that frame and
 * stvec at uservec; uservec saves every user register there, switches to
 * the kernel stack below the frame and calls user_trap(). user_return()
 * goes the other way.
 */
#ifndef KINE_ARCH_RISCV_USER_H
#define KINE_ARCH_RISCV_USER_H

#include <stdint.h>

#include "src/arch/riscv/trap.h"

struct user_frame {
	struct trap_frame tf; /* the user registers, sepc, sstatus, scause, stval */
	uint64_t kernel_tp;   /* this hart's struct hart, restored by uservec */
	uint64_t pad;         /* keeps the frame a multiple of 16 bytes */
};

#define USER_FRAME_SIZE      304 /* must match uservec.S */
#define USER_FRAME_TP_OFFSET 288

/* Set up a fresh frame: user code starts at pc with sp, a0, a1. */
void user_frame_init(struct user_frame *uf, uint64_t pc, uint64_t sp, uint64_t a0, uint64_t a1);

/* Enter (or go back to) U-mode with the registers in uf. */
void user_return(struct user_frame *uf) __attribute__((noreturn));

/* Called by uservec with the user's registers saved in uf. */
void user_trap(struct user_frame *uf);

#endif
