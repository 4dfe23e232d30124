/*
 * badargs: every system call kine implements, fed arguments it must
 * refuse: null, kernel (0xffffffff80200000), unmapped and read-only
 * pointers, buffers that run off the end of a mapping, negative lengths,
 * closed, wrong-way and huge descriptors, impossible sizes and flags.
 * Each call must come back with the -errno the kernel documents
 * (user/include/kine/errno.h, docs/processes.md), and none may bring the
 * kernel down. Calls go through kine_syscall, so the raw result is seen.
 *
 * One line per call:
 *	badargs: read(pipe, NULL, 8)                       -14 EFAULT   ok
 * then "badargs: N calls checked, M unexpected"; exits 0 when M is 0.
 *
 * exec is tried in a child (which exits with -result), so that an exec
 * that wrongly succeeded cannot replace this program. Calls without
 * arguments (fork, exit, getpid, uptime, yield, hart) have nothing to get
 * wrong here; chdir returns -ENOSYS (the boot image has no directories).
 *
 * help: every system call fed arguments it must refuse (test)
 */
#include "kine/user.h"

#define PAGE     4096
#define KADDR    0xffffffff80200000ul /* the kernel's text */
#define HUGE     (1 << 20)            /* a descriptor far past any table */
#define FD_SLOTS 64                   /* more descriptors than a process may hold (16) */

#define SYS1(n, a)          kine_syscall((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b)       kine_syscall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c)    kine_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) kine_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static int checked, unexpected;

/* Bad places, set up by setup(). */
static char *unmapped;  /* a page nothing maps (mmap'd, then unmapped) */
static char *edge;      /* the last 4 bytes of the mapped page before it */
static char *text;      /* this program's code: readable, not writable */
static int closed_fd;   /* a descriptor that was open and is closed */
static int pr = -1, pw; /* a pipe */

static const char *errname(long e)
{
	static const struct {
		int num;
		const char *name;
	} names[] = {
	    {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},   {EINTR, "EINTR"},
	    {E2BIG, "E2BIG"},   {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"},   {ECHILD, "ECHILD"},
	    {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},   {EFAULT, "EFAULT"}, {EEXIST, "EEXIST"},
	    {EINVAL, "EINVAL"}, {EMFILE, "EMFILE"},   {EROFS, "EROFS"},   {EPIPE, "EPIPE"},
	    {ENOSYS, "ENOSYS"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (-e == names[i].num)
			return names[i].name;
	return e < 0 ? "?" : "";
}

static void check(const char *what, long got, long want)
{
	checked++;
	if (got == want) {
		printf("badargs: %-46s %4ld %-7s ok\n", what, got, errname(got));
		return;
	}
	unexpected++;
	printf("badargs: %-46s %4ld %-7s UNEXPECTED (want %ld %s)\n", what, got, errname(got), want,
	       errname(want));
}

static void setup(void)
{
	char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	int fds[2];

	if (m == (void *)-1 || munmap(m + PAGE, PAGE) < 0 || pipe(fds) < 0) {
		printf("badargs: setup failed\n");
		exit(2);
	}
	unmapped = m + PAGE;
	edge = unmapped - 4;
	text = (char *)(uintptr_t)&setup;
	closed_fd = dup(0);
	close(closed_fd);
	pr = fds[0];
	pw = fds[1];
}

/*
 * edge holding "abcd", a string without its NUL before the unmapped page.
 * Refilled each time: a failed copyout may have written part of it.
 */
static char *unterminated(void)
{
	memcpy(edge, "abcd", 4);
	return edge;
}

/* The lowest free descriptor (to see that failed calls leak none). */
static int lowest_free(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

/* read(pipe, buf, 8) with 8 bytes waiting, so the read does not block. */
static long read_pipe(void *buf)
{
	write(pw, "12345678", 8);
	return SYS3(SYS_read, pr, buf, 8);
}

static void test_read(void)
{
	char buf[8];

	check("read(-1, buf, 1)", SYS3(SYS_read, -1, buf, 1), -EBADF);
	check("read(1<<20, buf, 1)", SYS3(SYS_read, HUGE, buf, 1), -EBADF);
	check("read(closed fd, buf, 1)", SYS3(SYS_read, closed_fd, buf, 1), -EBADF);
	check("read(pipe's write end, buf, 1)", SYS3(SYS_read, pw, buf, 1), -EBADF);
	check("read(pipe, buf, -1)", SYS3(SYS_read, pr, buf, -1), -EINVAL);
	check("read(pipe, NULL, 8)", read_pipe(NULL), -EFAULT);
	check("read(pipe, kernel address, 8)", read_pipe((void *)KADDR), -EFAULT);
	check("read(pipe, unmapped, 8)", read_pipe(unmapped), -EFAULT);
	check("read(pipe, read-only text, 8)", read_pipe(text), -EFAULT);
	check("read(pipe, 4 bytes before unmapped, 8)", read_pipe(edge), -EFAULT);
}

static void test_write(void)
{
	check("write(-1, buf, 1)", SYS3(SYS_write, -1, "x", 1), -EBADF);
	check("write(1<<20, buf, 1)", SYS3(SYS_write, HUGE, "x", 1), -EBADF);
	check("write(closed fd, buf, 1)", SYS3(SYS_write, closed_fd, "x", 1), -EBADF);
	check("write(pipe's read end, buf, 1)", SYS3(SYS_write, pr, "x", 1), -EBADF);
	check("write(1, buf, -1)", SYS3(SYS_write, 1, "x", -1), -EINVAL);
	check("write(1, NULL, 8)", SYS3(SYS_write, 1, NULL, 8), -EFAULT);
	check("write(1, kernel address, 8)", SYS3(SYS_write, 1, KADDR, 8), -EFAULT);
	check("write(1, unmapped, 8)", SYS3(SYS_write, 1, unmapped, 8), -EFAULT);
	check("write(1, 4 bytes before unmapped, 8)", SYS3(SYS_write, 1, edge, 8), -EFAULT);
	check("write(pipe, NULL, 8)", SYS3(SYS_write, pw, NULL, 8), -EFAULT);
}

static void test_close_dup(void)
{
	int fds[FD_SLOTS], n = 0, last;

	check("close(-1)", SYS1(SYS_close, -1), -EBADF);
	check("close(1<<20)", SYS1(SYS_close, HUGE), -EBADF);
	check("close(closed fd)", SYS1(SYS_close, closed_fd), -EBADF);
	check("dup(-1)", SYS1(SYS_dup, -1), -EBADF);
	check("dup(1<<20)", SYS1(SYS_dup, HUGE), -EBADF);
	check("dup(closed fd)", SYS1(SYS_dup, closed_fd), -EBADF);
	while (n < FD_SLOTS && (last = dup(0)) >= 0)
		fds[n++] = last;
	check("dup(0) with every descriptor in use", last, -EMFILE);
	while (n > 0)
		close(fds[--n]);
}

static void test_pipe(void)
{
	int before = lowest_free();

	check("pipe(NULL)", SYS1(SYS_pipe, NULL), -EFAULT);
	check("pipe(kernel address)", SYS1(SYS_pipe, KADDR), -EFAULT);
	check("pipe(unmapped)", SYS1(SYS_pipe, unmapped), -EFAULT);
	check("pipe(read-only text)", SYS1(SYS_pipe, text), -EFAULT);
	check("pipe(4 bytes before unmapped)", SYS1(SYS_pipe, edge), -EFAULT);
	check("lowest free fd after the failed pipes", lowest_free(), before);
}

/* A child that exits at once; its pid. */
static int quick_child(void)
{
	int pid = fork();

	if (pid == 0)
		exit(5);
	return pid;
}

static void test_wait_kill(void)
{
	check("wait(NULL) without children", SYS1(SYS_wait, NULL), -ECHILD);
	check("wait(unmapped) without children", SYS1(SYS_wait, unmapped), -ECHILD);
	quick_child();
	check("wait(kernel address) for a child", SYS1(SYS_wait, KADDR), -EFAULT);
	quick_child();
	check("wait(read-only text) for a child", SYS1(SYS_wait, text), -EFAULT);
	check("wait(NULL) after both were reaped", SYS1(SYS_wait, NULL), -ECHILD);
	check("kill(-1)", SYS1(SYS_kill, -1), -ESRCH);
	check("kill(0)", SYS1(SYS_kill, 0), -ESRCH);
	check("kill(1<<30)", SYS1(SYS_kill, 1 << 30), -ESRCH);
}

/* exec in a child, which exits with -result: the result. */
static long exec_child(const void *path, const void *argv)
{
	int pid = fork(), status = 0;

	if (pid == 0)
		exit((int)-SYS2(SYS_exec, path, argv));
	if (pid < 0 || wait(&status) != pid)
		return 1;
	return -status;
}

static void test_exec(void)
{
	static char long_word[300];
	char *ok[] = {"hello", NULL}, *none[] = {NULL};
	char *bad_string[] = {"hello", unmapped, NULL}, *too_long[] = {"hello", long_word, NULL};
	char *many[18];

	memset(long_word, 'a', sizeof(long_word) - 1);
	for (int i = 0; i < 17; i++)
		many[i] = "x";
	many[17] = NULL;
	check("exec(NULL, argv)", exec_child(NULL, ok), -EFAULT);
	check("exec(kernel address, argv)", exec_child((void *)KADDR, ok), -EFAULT);
	check("exec(unmapped, argv)", exec_child(unmapped, ok), -EFAULT);
	check("exec(path running into unmapped, argv)", exec_child(unterminated(), ok), -EFAULT);
	check("exec(300-byte path, argv)", exec_child(long_word, ok), -E2BIG);
	check("exec(\"nosuchprogram\", argv)", exec_child("nosuchprogram", ok), -ENOENT);
	check("exec(\"hello\", kernel address)", exec_child("hello", (void *)KADDR), -EFAULT);
	check("exec(\"hello\", unmapped)", exec_child("hello", unmapped), -EFAULT);
	check("exec(\"hello\", {\"hello\", unmapped})", exec_child("hello", bad_string), -EFAULT);
	check("exec(\"hello\", {NULL})", exec_child("hello", none), -EINVAL);
	check("exec(\"hello\", 17 arguments)", exec_child("hello", many), -E2BIG);
	check("exec(\"hello\", a 300-byte argument)", exec_child("hello", too_long), -E2BIG);
}

static void test_sbrk_mmap(void)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;

	check("sbrk(1<<40)", SYS1(SYS_sbrk, 1l << 40), -ENOMEM);
	check("sbrk(-(1<<62))", SYS1(SYS_sbrk, -(1l << 62)), -EINVAL);
	check("mmap(len 0)", SYS4(SYS_mmap, 0, 0, rw, anon), -EINVAL);
	check("mmap(len -1)", SYS4(SYS_mmap, 0, -1, rw, anon), -EINVAL);
	check("mmap(len 1<<37: more than the mmap area)", SYS4(SYS_mmap, 0, 1l << 37, rw, anon),
	      -ENOMEM);
	check("mmap(PROT_NONE)", SYS4(SYS_mmap, 0, PAGE, PROT_NONE, anon), -EINVAL);
	check("mmap(PROT_WRITE|PROT_EXEC)", SYS4(SYS_mmap, 0, PAGE, PROT_WRITE | PROT_EXEC, anon),
	      -EINVAL);
	check("mmap(flags MAP_PRIVATE, not anonymous)", SYS4(SYS_mmap, 0, PAGE, rw, MAP_PRIVATE),
	      -EINVAL);
	check("mmap(flags MAP_ANONYMOUS alone)", SYS4(SYS_mmap, 0, PAGE, rw, MAP_ANONYMOUS),
	      -EINVAL);
	check("mmap(MAP_SHARED|MAP_PRIVATE)",
	      SYS4(SYS_mmap, 0, PAGE, rw, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS), -EINVAL);
}

static void test_munmap_mprotect(void)
{
	char *page = edge - (PAGE - 4); /* the mapped page below unmapped */

	check("munmap(unaligned, 4096)", SYS2(SYS_munmap, page + 1, PAGE), -EINVAL);
	check("munmap(kernel address, 4096)", SYS2(SYS_munmap, KADDR, PAGE), -EINVAL);
	check("munmap(page, 0)", SYS2(SYS_munmap, page, 0), -EINVAL);
	check("munmap(page, -1)", SYS2(SYS_munmap, page, -1), -EINVAL);
	check("mprotect(unaligned, 4096, READ)", SYS3(SYS_mprotect, page + 1, PAGE, PROT_READ),
	      -EINVAL);
	check("mprotect(kernel address, 4096, READ)", SYS3(SYS_mprotect, KADDR, PAGE, PROT_READ),
	      -EINVAL);
	check("mprotect(page, 4096, PROT_NONE)", SYS3(SYS_mprotect, page, PAGE, PROT_NONE),
	      -EINVAL);
	check("mprotect(page, 4096, WRITE|EXEC)",
	      SYS3(SYS_mprotect, page, PAGE, PROT_WRITE | PROT_EXEC), -EINVAL);
	check("mprotect(unmapped, 4096, READ)", SYS3(SYS_mprotect, unmapped, PAGE, PROT_READ),
	      -ENOMEM);
}

static void test_misc(void)
{
	check("sleep(-1)", SYS1(SYS_sleep, -1), -EINVAL);
	check("set_affinity(-2)", SYS1(SYS_set_affinity, -2), -EINVAL);
	check("set_affinity(1<<20)", SYS1(SYS_set_affinity, 1 << 20), -EINVAL);
	check("memstat(NULL, 0)", SYS2(SYS_memstat, NULL, 0), -EFAULT);
	check("memstat(kernel address, 0)", SYS2(SYS_memstat, KADDR, 0), -EFAULT);
	check("memstat(unmapped, 1)", SYS2(SYS_memstat, unmapped, 1), -EFAULT);
	check("memstat(read-only text, 0)", SYS2(SYS_memstat, text, 0), -EFAULT);
	check("memstat(running into unmapped, 0)", SYS2(SYS_memstat, edge, 0), -EFAULT);
	check("system call 0", SYS1(0, 0), -ENOSYS);
	check("system call 20", SYS1(20, 0), -ENOSYS);
	check("system call 999", SYS1(999, 0), -ENOSYS);
	check("system call -1", SYS1(-1, 0), -ENOSYS);
}

static void test_open_fstat(void)
{
	char st[64];

	check("open(NULL, O_RDONLY)", SYS2(SYS_open, NULL, O_RDONLY), -EFAULT);
	check("open(kernel address, O_RDONLY)", SYS2(SYS_open, KADDR, O_RDONLY), -EFAULT);
	check("open(path running into unmapped, O_RDONLY)",
	      SYS2(SYS_open, unterminated(), O_RDONLY), -EFAULT);
	check("open(\"nosuchfile\", O_RDONLY)", SYS2(SYS_open, "nosuchfile", O_RDONLY), -ENOENT);
	check("open(\"hello\", O_RDWR)", SYS2(SYS_open, "hello", O_RDWR), -EROFS);
	check("open(\"hello\", O_CREATE)", SYS2(SYS_open, "hello", O_CREATE), -EROFS);
	check("fstat(-1, buf)", SYS2(SYS_fstat, -1, st), -EBADF);
	check("fstat(closed fd, buf)", SYS2(SYS_fstat, closed_fd, st), -EBADF);
	check("fstat(0, NULL)", SYS2(SYS_fstat, 0, NULL), -EFAULT);
	check("fstat(0, kernel address)", SYS2(SYS_fstat, 0, KADDR), -EFAULT);
	check("fstat(0, read-only text)", SYS2(SYS_fstat, 0, text), -EFAULT);
}

static int seven(void *arg)
{
	return 7;
}

static void test_threads(void)
{
	int tid = thread_create(seven, NULL);

	check("thread_join(-1, &status)", SYS2(SYS_thread_join, -1, NULL), -ESRCH);
	check("thread_join(1<<30, &status)", SYS2(SYS_thread_join, 1 << 30, NULL), -ESRCH);
	if (tid < 0) {
		check("thread_create(fn, arg)", tid, 0);
		return;
	}
	check("thread_join(tid, kernel address)", SYS2(SYS_thread_join, tid, KADDR), -EFAULT);
	check("thread_join(tid) a second time", SYS2(SYS_thread_join, tid, NULL), -ESRCH);
}

int main(void)
{
	setup();
	test_read();
	test_write();
	test_close_dup();
	test_pipe();
	test_wait_kill();
	test_exec();
	test_sbrk_mmap();
	test_munmap_mprotect();
	test_misc();
	test_open_fstat();
	test_threads();
	printf("badargs: %d calls checked, %d unexpected\n", checked, unexpected);
	return unexpected == 0 ? 0 : 1;
}
