/*
 * memlayout.c (xv6 compatibility): PHYSTOP at run time (see
 * kernel/memlayout.h): KERNBASE plus the frames kine's allocator manages,
 * rounded up to a whole MiB. RAM sizes are whole MiB, so the rounding
 * never goes past the real end of RAM. Asked once, then remembered.
 */
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/types.h"
#include "user/include/kine/memstat.h"
#include "user/include/kine/syscall.h"

#define MIB (1024 * 1024UL)

static long memstat_call(struct kine_memstat *st)
{
	register long a0 asm("a0") = (long)st;
	register long a1 asm("a1") = 0;
	register long a7 asm("a7") = SYS_memstat;

	asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
	return a0;
}

uint64 xv6_phystop(void)
{
	static uint64 ram;
	struct kine_memstat st;

	if (ram == 0 && memstat_call(&st) == 0)
		ram = (st.managed * PGSIZE + MIB - 1) / MIB * MIB;
	return KERNBASE + ram;
}
