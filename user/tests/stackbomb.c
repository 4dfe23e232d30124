/*
 * stackbomb: a user stack overflow kills only the process that overflowed.
 *
 * A child recurses without end, 1 KiB of stack per call, until it runs
 * off its 64 KiB stack into the unmapped page below: the kernel must kill
 * it (a console line "kine: pid N (stackbomb): store/AMO page fault ...:
 * killed", status -1) and nothing else. Then the same from a second thread
 * of a child (its thread_create stack has a guard page too): the whole
 * child ends, the parent does not. Then once more while the child's first
 * thread sits in wait() for a grandchild that waits on a pipe the child
 * holds: the kill must end the wait (it once hung there for good, as did
 * a thread_join). The parent checks the statuses, that it still runs,
 * and that every frame came back. Exits 0 on success.
 *
 * help: a user stack overflow kills only its process (test)
 */

#include "kine/user.h"

static volatile int depth;
static volatile int limit = 1 << 30; /* never reached: 1 KiB a call overflows 64 KiB first */

/* Each call keeps 1 KiB of its frame live, so the compiler cannot shrink it. */
static int recurse(int n)
{
	volatile char frame[1024];

	if (n >= limit)
		return 0;
	frame[0] = (char)n;
	frame[sizeof(frame) - 1] = (char)n;
	depth = n;
	return recurse(n + 1) + frame[0] + frame[sizeof(frame) - 1];
}

static int overflow_thread(void *arg)
{
	return recurse(0);
}

/*
 * A child whose thread overflows while its first thread waits for a
 * grandchild; the grandchild reads a pipe only the child writes, so it
 * ends when the child's descriptors close.
 */
static void overflow_while_waiting(void)
{
	int fds[2], gc;
	char c;

	if (pipe(fds) < 0)
		exit(5);
	if ((gc = fork()) == 0) {
		close(fds[1]);
		read(fds[0], &c, 1);
		exit(0);
	}
	close(fds[0]);
	if (gc < 0 || thread_create(overflow_thread, NULL) < 0)
		exit(6);
	wait(NULL); /* the grandchild ends only after this process */
	exit(4);
}

/* A child that overflows (from a second thread when threaded; 2: while waiting): its status. */
static int overflow_child(int threaded)
{
	int pid = fork(), status = 0;

	if (pid == 0) {
		if (threaded == 2)
			overflow_while_waiting();
		if (threaded) {
			int tid = thread_create(overflow_thread, NULL);

			if (tid < 0)
				exit(3);
			thread_join(tid, NULL); /* never returns: the process dies */
			exit(4);
		}
		exit(recurse(0));
	}
	if (pid < 0 || wait(&status) != pid)
		return 99;
	return status;
}

int main(void)
{
	struct kine_memstat before, after;
	int plain, threaded, waiting;

	overflow_child(0); /* warm-up, as memleak does */
	memstat(&before, 1);
	plain = overflow_child(0);
	threaded = overflow_child(1);
	waiting = overflow_child(2);
	/* The grandchild is an orphan the kernel reaps: give it a moment. */
	for (int i = 0; i < 100 && (memstat(&after, 1), after.free != before.free); i++)
		sleep(2);
	printf("stackbomb: overflowing child: status %d (want -1)\n", plain);
	printf("stackbomb: overflowing thread of a child: status %d (want -1)\n", threaded);
	printf("stackbomb: overflowing thread while the first waits: status %d (want -1)\n",
	       waiting);
	printf("stackbomb: parent still running; free frames %lu before, %lu after\n",
	       (unsigned long)before.free, (unsigned long)after.free);
	if (plain == -1 && threaded == -1 && waiting == -1 && before.free == after.free) {
		printf("stackbomb: PASS\n");
		return 0;
	}
	printf("stackbomb: FAIL\n");
	return 1;
}
