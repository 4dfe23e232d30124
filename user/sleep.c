/*
 * sleep.c: wait a number of seconds, or of clock ticks with -t. The
 * sleep system call counts ticks, 100 a second.
 *
 * help: wait SECONDS, or TICKS with -t (100 ticks a second)
 */
#include "kine/user.h"
#include "user/tool.h"

#define TICKS_PER_SECOND 100
#define TICKS_MAX        0x7fffffffL /* the system call takes an int */

static int usage(void)
{
	fprintf(2,
		"usage: sleep SECONDS | sleep -t TICKS (100 ticks a second; at most %ld ticks)\n",
		TICKS_MAX);
	return 2;
}

int main(int argc, char *argv[])
{
	long ticks;
	int err;

	if (argc == 3 && strcmp(argv[1], "-t") == 0) {
		if (tool_number(argv[2], TICKS_MAX, &ticks) < 0)
			return usage();
	} else if (argc == 2) {
		if (tool_number(argv[1], TICKS_MAX / TICKS_PER_SECOND, &ticks) < 0)
			return usage();
		ticks *= TICKS_PER_SECOND;
	} else {
		return usage();
	}
	if ((err = sleep((int)ticks)) < 0) {
		fprintf(2, "sleep: interrupted (error %d)\n", err);
		return 1;
	}
	return 0;
}
