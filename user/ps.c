/*
 * ps.c: one line per thread of every process, from the kernel's snapshot
 * (the procinfo system call, kine/procinfo.h):
 *
 *	PID PPID TID STATE HART THREADS RES SHARED NAME
 *
 * PPID 0 is the kernel; HART is the hart the thread runs on now (state
 * run) or last ran or waits on, "-" for none; THREADS counts the
 * process's live threads; RES is its resident user pages and SHARED how
 * many of them another process still shares copy-on-write (or through
 * MAP_SHARED). A process that has exited and waits for its parent's wait
 * shows once, as "exited", with tid 0.
 *
 * help: processes and threads: state, hart, resident and shared pages
 */
#include "kine/user.h"

static const char *state_name(int state)
{
	switch (state) {
	case KINE_PS_RUNNABLE:
		return "ready";
	case KINE_PS_RUNNING:
		return "run";
	case KINE_PS_SLEEPING:
		return "sleep";
	default:
		return "exited";
	}
}

int main(int argc, char *argv[])
{
	struct kine_procinfo *buf = NULL;
	long room = 32, n;

	if (argc > 1) {
		fprintf(2, "usage: ps\n");
		return 2;
	}
	/* Ask again with more room while processes appear faster than we grow. */
	for (;;) {
		free(buf);
		if ((buf = malloc(room * sizeof(*buf))) == NULL) {
			fprintf(2, "ps: out of memory\n");
			return 1;
		}
		if ((n = procinfo(buf, room)) < 0) {
			fprintf(2, "ps: procinfo: error %ld\n", n);
			return 1;
		}
		if (n <= room)
			break;
		room = n + 8;
	}
	printf("  PID  PPID   TID STATE  HART THREADS    RES SHARED NAME\n");
	for (long i = 0; i < n; i++) {
		const struct kine_procinfo *r = &buf[i];
		char hart[8];

		if (r->hart >= 0)
			snprintf(hart, sizeof(hart), "%d", r->hart);
		else
			snprintf(hart, sizeof(hart), "-");
		printf("%5d %5d %5d %-6s %4s %7d %6lu %6lu %s\n", r->pid, r->ppid, r->tid,
		       state_name(r->state), hart, r->threads, (unsigned long)r->resident,
		       (unsigned long)r->shared, r->name);
	}
	free(buf);
	return 0;
}
