/*
 * forksleep: fork a child that only waits (it writes nothing of its own
 * memory), then sleep; ps_virt_smp2 looks at the pair meanwhile.
 *
 *	forksleep TICKS     the parent sleeps TICKS (100 a second), then exits
 *
 * The child blocks reading a pipe whose only writer is the parent, so it
 * ends when the parent does, however that comes (its sleep ends, or a
 * kill): the test needs to know only the parent's pid.
 *
 * help: fork a child that waits for its parent without writing (test)
 */
#include <kine/user.h>

int main(int argc, char **argv)
{
	int ticks = argc > 1 ? atoi(argv[1]) : 100, fds[2], pid;
	char c;

	if (pipe(fds) < 0 || (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		close(fds[1]);
		exit(read(fds[0], &c, 1) == 0 ? 0 : 1);
	}
	close(fds[0]);
	sleep(ticks);
	return 0;
}
