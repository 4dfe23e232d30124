/*
 * threadtest: threads of one process on several harts.
 *
 *   counter   8 threads add to one shared counter with atomics; the sum
 *             must be exact, each thread's status comes back through join
 *   pinned    a thread pinned to each hart runs only there
 *   fork      fork while other threads run: the child sees the memory as
 *             it was and runs alone
 *   kill      a child with 4 spinning threads and one blocked in a pipe
 *             read is killed: wait returns status -1, and every frame
 *             comes back (memstat, settled)
 *   rdtime    user mode reads the time CSR (scounteren.TM), and it advances
 * Prints one line per scenario; exits 0 when all pass.
 *
 * help: threads of one process on several harts (test)
 */
#include <kine/user.h>

#define NTHREADS 8
#define ROUNDS   20000

static long counter;
static int harts_used;
static volatile int stop_spinning;
static volatile int fork_snapshot = 7;

static int adder(void *arg)
{
	for (int i = 0; i < ROUNDS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	__atomic_fetch_or(&harts_used, 1 << hart(), __ATOMIC_RELAXED);
	return (int)(long)arg;
}

static int test_counter(void)
{
	int tid[NTHREADS], status, sum = 0, want = 0;

	for (int i = 0; i < NTHREADS; i++) {
		tid[i] = thread_create(adder, (void *)(long)(i + 1));
		if (tid[i] < 0) {
			printf("threadtest: counter: thread_create: %d\n", tid[i]);
			return 0;
		}
		want += i + 1;
	}
	for (int i = 0; i < NTHREADS; i++) {
		if (thread_join(tid[i], &status) < 0)
			return 0;
		sum += status;
	}
	printf("threadtest: counter: %ld of %d, statuses %d of %d, %d harts\n", counter,
	       NTHREADS * ROUNDS, sum, want, __builtin_popcount(harts_used));
	return counter == NTHREADS * ROUNDS && sum == want;
}

static int pinned(void *arg)
{
	int h = (int)(long)arg, wrong = 0;

	if (set_affinity(h) < 0)
		return 1;
	for (int i = 0; i < 100; i++) {
		wrong += hart() != h;
		yield();
	}
	return wrong;
}

static int test_pinned(int nharts)
{
	int tid[16], status, wrong = 0;

	for (int h = 0; h < nharts && h < 16; h++)
		tid[h] = thread_create(pinned, (void *)(long)h);
	for (int h = 0; h < nharts && h < 16; h++) {
		if (tid[h] < 0 || thread_join(tid[h], &status) < 0)
			return 0;
		wrong += status;
	}
	printf("threadtest: pinned: %d harts, %d wrong\n", nharts, wrong);
	return wrong == 0;
}

static int spinner(void *arg)
{
	while (!stop_spinning)
		fork_snapshot++;
	return 0;
}

static int test_fork(void)
{
	int tid = thread_create(spinner, 0), status = -1, pid;

	if (tid < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		/* The child has only this thread: nobody changes its snapshot now. */
		int a = fork_snapshot;

		sleep(2);
		exit(fork_snapshot == a ? 0 : 1);
	}
	wait(&status);
	stop_spinning = 1;
	thread_join(tid, 0);
	printf("threadtest: fork: child status %d\n", status);
	return status == 0;
}

static int sleeper_fd;

static int blocked_reader(void *arg)
{
	char c;

	read(sleeper_fd, &c, 1); /* never written: only the kill ends it */
	return 0;
}

static int forever(void *arg)
{
	for (;;)
		;
	return 0;
}

static int test_kill(void)
{
	struct kine_memstat before, after;
	int pid, status = 0, fds[2];

	memstat(&before, 1);
	pid = fork();
	if (pid == 0) {
		pipe(fds);
		sleeper_fd = fds[0];
		for (int i = 0; i < 4; i++)
			thread_create(forever, 0);
		thread_create(blocked_reader, 0);
		for (;;)
			sleep(1);
	}
	sleep(5);
	kill(pid);
	wait(&status);
	memstat(&after, 1);
	printf("threadtest: kill: status %d, free frames %lu before, %lu after\n", status,
	       (unsigned long)before.free, (unsigned long)after.free);
	return status == -1 && before.free == after.free;
}

static unsigned long rdtime(void)
{
	unsigned long t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static int test_rdtime(void)
{
	unsigned long t0 = rdtime(), t1;

	sleep(1);
	t1 = rdtime();
	printf("threadtest: rdtime: %s\n", t1 > t0 ? "advances" : "STUCK");
	return t1 > t0;
}

int main(int argc, char **argv)
{
	int nharts = argc > 1 ? atoi(argv[1]) : 1;
	int ok = 1;

	ok &= test_rdtime();
	ok &= test_counter();
	ok &= test_pinned(nharts);
	ok &= test_fork();
	ok &= test_kill();
	printf("threadtest: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
