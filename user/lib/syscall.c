/*
 * syscall.c: kine's system calls as C functions (see kine/user.h).
 *
 * One ecall with the number in a7 and the arguments in a0..a5; the kernel
 * puts the result in a0 (negative: -errno) and preserves every other
 * register, so the asm names only a0..a5 and a7. Each wrapper casts its
 * arguments to long, and its result back to the declared type.
 */
#include "kine/user.h"

long kine_syscall(long num, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r_a0 asm("a0") = a0;
	register long r_a1 asm("a1") = a1;
	register long r_a2 asm("a2") = a2;
	register long r_a3 asm("a3") = a3;
	register long r_a4 asm("a4") = a4;
	register long r_a5 asm("a5") = a5;
	register long r_a7 asm("a7") = num;

	asm volatile("ecall"
		     : "+r"(r_a0)
		     : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7)
		     : "memory");
	return r_a0;
}

/* Calls with fewer arguments pass zeros in the rest. */
#define SC0(n)          kine_syscall((n), 0, 0, 0, 0, 0, 0)
#define SC1(n, a)       kine_syscall((n), (long)(a), 0, 0, 0, 0, 0)
#define SC2(n, a, b)    kine_syscall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(n, a, b, c) kine_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* A pointer result: the address, or (void *)-1 for any -errno. */
static void *pointer_result(long r)
{
	return r < 0 ? (void *)-1 : (void *)r;
}

/* ---- Processes ---- */

int fork(void)
{
	return SC0(SYS_fork);
}

void exit(int status)
{
	SC1(SYS_exit, status);
	for (;;) /* not reached: the kernel never returns from exit */
		;
}

int wait(int *status)
{
	return SC1(SYS_wait, status);
}

int kill(int pid)
{
	return SC1(SYS_kill, pid);
}

int exec(const char *path, char *const argv[])
{
	return SC2(SYS_exec, path, argv);
}

int getpid(void)
{
	return SC0(SYS_getpid);
}

int sleep(int ticks)
{
	return SC1(SYS_sleep, ticks);
}

long uptime(void)
{
	return SC0(SYS_uptime);
}

int yield(void)
{
	return SC0(SYS_yield);
}

int hart(void)
{
	return SC0(SYS_hart);
}

int set_affinity(int hart)
{
	return SC1(SYS_set_affinity, hart);
}

/* ---- Memory ---- */

void *sbrk(long increment)
{
	return pointer_result(SC1(SYS_sbrk, increment));
}

void *mmap(void *addr, size_t len, int prot, int flags)
{
	return pointer_result(kine_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, 0, 0));
}

int munmap(void *addr, size_t len)
{
	return SC2(SYS_munmap, addr, len);
}

int mprotect(void *addr, size_t len, int prot)
{
	return SC3(SYS_mprotect, addr, len, prot);
}

int memstat(struct kine_memstat *st, int settle)
{
	return SC2(SYS_memstat, st, settle);
}

long lockstat(char *buf, long len, int flags)
{
	return SC3(SYS_lockstat, buf, len, flags);
}

long procinfo(struct kine_procinfo *buf, long n)
{
	return SC2(SYS_procinfo, buf, n);
}

int setjob(int pid, int job)
{
	return SC2(SYS_setjob, pid, job);
}

int fgjob(int job)
{
	return SC1(SYS_fgjob, job);
}

int bootfile(int index, struct kine_bootfile *out)
{
	return SC2(SYS_bootfile, index, out);
}

/* ---- Files ---- */

int open(const char *path, int flags)
{
	return SC2(SYS_open, path, flags);
}

int read(int fd, void *buf, int n)
{
	return SC3(SYS_read, fd, buf, n);
}

int write(int fd, const void *buf, int n)
{
	return SC3(SYS_write, fd, buf, n);
}

int close(int fd)
{
	return SC1(SYS_close, fd);
}

int dup(int fd)
{
	return SC1(SYS_dup, fd);
}

int pipe(int fds[2])
{
	return SC1(SYS_pipe, fds);
}

int fstat(int fd, struct stat *st)
{
	return SC2(SYS_fstat, fd, st);
}

int chdir(const char *path)
{
	return SC1(SYS_chdir, path);
}

/* ---- Threads ---- */

/*
 * Where a new thread begins: SYS_thread_create(pc, a0, a1) starts it at
 * pc with a0, a1 and sp at the top of a stack of its own. Returning from
 * fn ends the thread with fn's result, as returning from main ends the
 * process.
 */
static void thread_start(int (*fn)(void *), void *arg)
{
	thread_exit(fn(arg));
}

int thread_create(int (*fn)(void *), void *arg)
{
	return SC3(SYS_thread_create, thread_start, fn, arg);
}

int thread_join(int tid, int *status)
{
	return SC2(SYS_thread_join, tid, status);
}

void thread_exit(int status)
{
	SC1(SYS_thread_exit, status);
	for (;;) /* not reached */
		;
}
