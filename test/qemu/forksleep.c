/*
 * forksleep: fork a child that only sleeps (it writes nothing of its own
 * memory), and wait for it; ps_virt_smp2 looks at the pair meanwhile.
 *
 *	forksleep TICKS     the child sleeps TICKS (100 a second)
 *
 * help: fork a child that sleeps TICKS without writing, and wait (test)
 */
#include <kine/user.h>

int main(int argc, char **argv)
{
	int ticks = argc > 1 ? atoi(argv[1]) : 100, status = -1;
	int pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0)
		exit(sleep(ticks) == 0 ? 0 : 1);
	if (wait(&status) != pid)
		return 1;
	return status;
}
