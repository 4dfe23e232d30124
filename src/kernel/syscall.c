/*
 * syscall.c: the system call table and the calls that need nothing more
 * than a process and the console.
 *
 * Arguments are the raw a0..a5 registers; every pointer among them is a
 * user address and goes through copyin/copyout. A call kine does not have
 * yet returns -ENOSYS (the processes issue fills the table).
 */
#include "src/kernel/syscall.h"

#include "src/arch/riscv/cpu.h"
#include "src/arch/riscv/timer.h"
#include "src/kernel/kernel.h"
#include "src/mm/uaccess.h"
#include "src/sched/hart_local.h"
#include "src/sched/proc.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"
#include "user/include/kine/syscall.h"

#define WRITE_CHUNK 256

static long sys_write(const uint64_t *a)
{
	struct proc *p = proc_current();
	int fd = (int)a[0];
	uintptr_t buf = a[1];
	long n = (long)(int)a[2], done = 0;
	char kbuf[WRITE_CHUNK];

	if (fd != 1 && fd != 2)
		return -EBADF;
	if (n < 0)
		return -EINVAL;
	while (done < n) {
		int c = n - done < WRITE_CHUNK ? (int)(n - done) : WRITE_CHUNK;

		if (copyin(p->mm, kbuf, buf + done, c) < 0)
			return done > 0 ? done : -EFAULT;
		kprintf("%.*s", c, kbuf);
		done += c;
	}
	return done;
}

static long sys_exit(const uint64_t *a)
{
	proc_exit((int)a[0]);
}

static long sys_getpid(const uint64_t *a)
{
	return proc_current()->pid;
}

static long sys_yield(const uint64_t *a)
{
	thread_yield();
	return 0;
}

static long sys_hart(const uint64_t *a)
{
	return hart_local_index();
}

/* Timer ticks (TIMER_HZ a second) since boot, like xv6's uptime(). */
static long sys_uptime(const uint64_t *a)
{
	return (long)(arch_time() / (timer_timebase_hz() / TIMER_HZ));
}

static long (*const syscalls[])(const uint64_t *) = {
    [SYS_exit] = sys_exit,   [SYS_getpid] = sys_getpid, [SYS_write] = sys_write,
    [SYS_yield] = sys_yield, [SYS_hart] = sys_hart,     [SYS_uptime] = sys_uptime,
};

long syscall_dispatch(uint64_t num, const uint64_t args[6])
{
	if (num >= sizeof(syscalls) / sizeof(syscalls[0]) || syscalls[num] == NULL)
		return -ENOSYS;
	return syscalls[num](args);
}

void syscall_user_fault(const char *cause, uint64_t pc, uint64_t addr)
{
	struct proc *p = proc_current();

	kprintf("kine: pid %d (%s): %s at pc %#lx, address %#lx: killed\n", p->pid, p->name, cause,
		pc, addr);
	proc_exit(-1);
}
