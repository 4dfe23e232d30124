/*
 * init.c: the first process. It runs the shell and, whenever the shell
 * exits, starts a new one ("init: restarting sh"), so the console always
 * has a shell. If sh cannot be started (not in the boot image, no memory
 * for a process), init exits 1.
 *
 * init waits only for its shell: kine hands orphans to the kernel, which
 * reaps them, so init has no zombies to collect.
 *
 * A failed exec in the child must reach init, and a status cannot carry
 * it (sh may exit with any status), so the child writes exec's error into
 * a MAP_SHARED page, which fork leaves shared.
 *
 * help: the first process; runs sh again whenever it exits
 */
#include "kine/user.h"

/* Fork and exec sh; wait for it. 0 when it ran, or the -errno that stopped it. */
static int run_shell(volatile int *exec_err)
{
	char *argv[] = {"sh", NULL};
	int pid, status, got;

	*exec_err = 0;
	pid = fork();
	if (pid < 0)
		return pid;
	if (pid == 0) {
		*exec_err = exec("sh", argv);
		exit(127);
	}
	while ((got = wait(&status)) >= 0 && got != pid)
		;
	return *exec_err;
}

int main(void)
{
	volatile int *exec_err =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	int err;

	if (exec_err == (void *)-1) {
		fprintf(2, "init: no memory\n");
		return 1;
	}
	for (;;) {
		err = run_shell(exec_err);
		if (err < 0) {
			fprintf(2, "init: cannot start sh (error %d)\n", err);
			return 1;
		}
		printf("init: restarting sh\n");
	}
}
