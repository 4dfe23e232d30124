/*
 * syscall.c (xv6 compatibility): xv6's system calls over kine's.
 *
 * kine's numbers and registers are xv6's (a7 = number, a0..a5 =
 * arguments, a0 = result), but a kine call fails with -errno where xv6's
 * fails with -1: xv6_result() folds every error into -1. This layer has
 * its own ecall (xv6_syscall) rather than kine's kine_syscall, whose
 * object file also defines kine's exit, sbrk, ... with other types.
 */
#include "user/include/kine/syscall.h"
#include "kernel/types.h"
#include "user/user.h"

#define KINE_TICKS_PER_XV6_TICK 10 /* kine ticks at 100 Hz, xv6 at about 10 Hz */

static long xv6_syscall(long num, long a0, long a1, long a2)
{
	register long r_a0 asm("a0") = a0;
	register long r_a1 asm("a1") = a1;
	register long r_a2 asm("a2") = a2;
	register long r_a7 asm("a7") = num;

	asm volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
	return r_a0;
}

/* xv6's convention: the result, or -1 for any error. */
static int xv6_result(long r)
{
	return r < 0 ? -1 : (int)r;
}

static int call1(long num, long a0)
{
	return xv6_result(xv6_syscall(num, a0, 0, 0));
}

static int call2(long num, long a0, long a1)
{
	return xv6_result(xv6_syscall(num, a0, a1, 0));
}

static int call3(long num, long a0, long a1, long a2)
{
	return xv6_result(xv6_syscall(num, a0, a1, a2));
}

int fork(void)
{
	return call1(SYS_fork, 0);
}

int exit(int status)
{
	xv6_syscall(SYS_exit, status, 0, 0);
	for (;;) /* not reached */
		;
}

int wait(int *status)
{
	return call1(SYS_wait, (long)status);
}

int pipe(int *fds)
{
	return call1(SYS_pipe, (long)fds);
}

int write(int fd, const void *buf, int n)
{
	return call3(SYS_write, fd, (long)buf, n);
}

int read(int fd, void *buf, int n)
{
	return call3(SYS_read, fd, (long)buf, n);
}

int close(int fd)
{
	return call1(SYS_close, fd);
}

int kill(int pid)
{
	return call1(SYS_kill, pid);
}

int exec(const char *path, char **argv)
{
	return call2(SYS_exec, (long)path, (long)argv);
}

int open(const char *path, int flags)
{
	return call2(SYS_open, (long)path, flags);
}

int fstat(int fd, struct stat *st)
{
	return call2(SYS_fstat, fd, (long)st);
}

int chdir(const char *path)
{
	return call1(SYS_chdir, (long)path);
}

int dup(int fd)
{
	return call1(SYS_dup, fd);
}

int getpid(void)
{
	return call1(SYS_getpid, 0);
}

char *sbrk(int n)
{
	long r = xv6_syscall(SYS_sbrk, n, 0, 0);

	return r < 0 ? SBRK_ERROR : (char *)r;
}

char *sbrklazy(int n)
{
	return sbrk(n);
}

int sleep(int ticks)
{
	if (ticks < 0)
		return -1;
	return call1(SYS_sleep, (long)ticks * KINE_TICKS_PER_XV6_TICK);
}

int pause(int ticks)
{
	return sleep(ticks);
}

int uptime(void)
{
	long t = xv6_syscall(SYS_uptime, 0, 0, 0);

	return t < 0 ? -1 : (int)(t / KINE_TICKS_PER_XV6_TICK);
}

/* No file system: these cannot succeed on kine. */

int mknod(const char *path, short major, short minor)
{
	return -1;
}

int unlink(const char *path)
{
	return -1;
}

int link(const char *old, const char *new)
{
	return -1;
}

int mkdir(const char *path)
{
	return -1;
}
