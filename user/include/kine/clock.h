/*
 * clock.h: the two clocks kine's benchmarks read from user mode.
 *
 * kine_clock(0) is the time CSR (guest time: QEMU virt's timebase is
 * 10 MHz, the board's 1 MHz; the lockstat dump's header names it);
 * kine_clock(1) is instret, which under QEMU's `-icount shift=3` advances 8
 * per instruction on every hart alike (so boot one hart for exact counts).
 * The kernel lets U-mode read both (scounteren TM and IR).
 */
#ifndef KINE_UAPI_CLOCK_H
#define KINE_UAPI_CLOCK_H

static inline unsigned long kine_clock(int instret)
{
	unsigned long t;

	if (instret)
		__asm__ volatile("rdinstret %0" : "=r"(t));
	else
		__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

/* Instructions counted by kine_clock(1) under `-icount shift=3`: 2^3 virtual ns each. */
#define KINE_ICOUNT_SHIFT 3

#endif
