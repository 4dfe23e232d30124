/*
 * forktest: 20 children, each exiting with its own index; the parent
 * waits for all of them. Checks that wait returns each child's pid exactly
 * once with that child's status (so the statuses sum to 0 + 1 + ... + 19),
 * and that a further wait finds no child (-ECHILD). Exits 0 on success.
 *
 * help: 20 children and their exit statuses through wait (test)
 */
#include "kine/user.h"

#define CHILDREN 20

/* The index of pid in pids[0..n), or -1. */
static int index_of(const int *pids, int n, int pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return i;
	return -1;
}

/* Fork the children into pids[]; the number started. */
static int start_children(int *pids)
{
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			exit(i);
		if (pids[i] < 0) {
			printf("forktest: fork %d failed: %d\n", i, pids[i]);
			return i;
		}
	}
	return CHILDREN;
}

/* Reap n children: the number of mistakes; the sum of statuses in *sum. */
static int reap_children(int *pids, int n, int *sum)
{
	int bad = 0, status, pid;

	*sum = 0;
	for (int reaped = 0; reaped < n; reaped++) {
		pid = wait(&status);
		int i = index_of(pids, n, pid);

		if (i < 0 || status != i) {
			printf(
			    "forktest: wait gave pid %d status %d: not a child or wrong status\n",
			    pid, status);
			bad++;
			continue;
		}
		pids[i] = -1; /* each pid once */
		*sum += status;
	}
	return bad;
}

int main(void)
{
	int pids[CHILDREN], sum, want = CHILDREN * (CHILDREN - 1) / 2, n, bad, last;

	n = start_children(pids);
	bad = reap_children(pids, n, &sum) + (n != CHILDREN);
	last = wait(NULL);
	if (last != -ECHILD) {
		printf("forktest: a wait after the last child gave %d, want %d\n", last, -ECHILD);
		bad++;
	}
	printf("forktest: %d children, status sum %d (want %d)\n", n, sum, want);
	bad += sum != want;
	printf("forktest: %s\n", bad == 0 ? "OK" : "FAILED");
	return bad == 0 ? 0 : 1;
}
