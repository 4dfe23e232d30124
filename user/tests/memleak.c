/*
 * memleak: forking and reaping processes must give every frame back.
 *
 * The settled free-frame count (memstat with settle = 1: per-hart caches
 * and spare slabs emptied first) is taken before and after 10 children
 * that each touch 1 MiB of heap, one page at a time, and exit; the two
 * counts must be equal. One warm-up round runs first, so that what the
 * kernel allocates once and keeps (the reaper thread, slabs for process
 * structures) is already there. Between the two counts this process
 * allocates nothing: no malloc, no output. Exits 0 on success.
 *
 * help: forking and reaping give every frame back (test)
 */
#include "kine/user.h"

#define CHILDREN 10
#define TOUCH    (1024 * 1024)
#define PAGE     4096

/* A child: 1 MiB of heap, every page written and read back. */
static int touch_heap(void)
{
	char *p = malloc(TOUCH);

	if (p == NULL)
		return 1;
	for (int i = 0; i < TOUCH; i += PAGE)
		p[i] = (char)(i / PAGE);
	for (int i = 0; i < TOUCH; i += PAGE)
		if (p[i] != (char)(i / PAGE))
			return 2;
	return 0;
}

/* Fork n children that touch their heap, and reap them: how many failed. */
static int fork_and_reap(int n)
{
	int started = 0, bad = 0, status;

	for (int i = 0; i < n; i++) {
		int pid = fork();

		if (pid == 0)
			exit(touch_heap());
		if (pid > 0)
			started++;
	}
	for (int i = 0; i < started; i++)
		if (wait(&status) < 0 || status != 0)
			bad++;
	return bad + (n - started);
}

int main(void)
{
	struct kine_memstat before, after;
	int bad;

	bad = fork_and_reap(1);
	if (memstat(&before, 1) < 0)
		return 1;
	bad += fork_and_reap(CHILDREN);
	if (memstat(&after, 1) < 0)
		return 1;
	printf("memleak: %d children touched 1 MiB each; %d failed\n", CHILDREN, bad);
	printf("memleak: free frames %lu before, %lu after\n", (unsigned long)before.free,
	       (unsigned long)after.free);
	bad += before.free != after.free;
	printf("memleak: %s\n", bad == 0 ? "OK" : "FAILED");
	return bad == 0 ? 0 : 1;
}
