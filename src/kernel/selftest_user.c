/*
 * selftest_user.c: self-test of user mode (test=user): programs of the
 * boot image (user/) run as processes and end with the right status.
 *
 *   hello one two   prints its pid, hart and arguments; status 0
 *   exitcode 7      status 7 (what it was asked for)
 *   exitcode        status 3 (its default)
 *   nosuchprogram   not started: -ENOENT
 * Four processes run at once on every hart, then all are reaped; the
 * settled free-frame count must equal the count at the start.
 */
#include "src/kernel/exec.h"
#include "src/kernel/kernel.h"
#include "src/kernel/selftest.h"
#include "src/mm/memstat.h"
#include "src/sched/proc.h"
#include "user/include/kine/errno.h"

struct user_case {
	const char *argv[4];
	int argc;
	int want; /* exit status, or the negative errno of exec_spawn */
};

static const struct user_case user_cases[] = {
    {{"hello", "one", "two"}, 3, 0},
    {{"exitcode", "7"}, 2, 7},
    {{"exitcode"}, 1, 3},
    {{"nosuchprogram"}, 1, -ENOENT},
};

#define NCASES   (sizeof(user_cases) / sizeof(user_cases[0]))
#define PARALLEL 4

static bool selftest_user(void)
{
	uint64_t before = memstat_free_frames(), after;
	struct proc *p[NCASES * PARALLEL];
	int got[NCASES * PARALLEL];
	bool ok = true;

	/* Start every case PARALLEL times, so processes run on every hart at once. */
	for (size_t i = 0; i < NCASES * PARALLEL; i++) {
		const struct user_case *c = &user_cases[i % NCASES];

		got[i] = exec_spawn(c->argc, c->argv, &p[i]);
		if (got[i] < 0)
			p[i] = NULL;
	}
	for (size_t i = 0; i < NCASES * PARALLEL; i++) {
		const struct user_case *c = &user_cases[i % NCASES];

		if (p[i] != NULL)
			got[i] = proc_wait(p[i]);
		if (i < NCASES)
			kprintf("kine: selftest user: %s: %d (want %d)\n", c->argv[0], got[i],
				c->want);
		ok &= got[i] == c->want;
	}
	after = memstat_free_frames();
	kprintf("kine: selftest user: %d processes; free frames %lu before, %lu after\n",
		(int)(NCASES * PARALLEL), before, after);
	return ok && before == after;
}

bool selftest_user_run(const char *name, bool *known)
{
	*known = strcmp(name, "user") == 0;
	return *known && selftest_user();
}
