/*
 * kill.c: end the processes with the given pids (each exits with status
 * -1). Every pid is checked first (a bad one: usage, status 2, nothing
 * killed), then each is tried; the status is 1 if any could not be killed.
 *
 * help: end the processes whose pids are given
 */
#include "kine/user.h"
#include "user/tool.h"

#define PID_MAX 0x7fffffffL

int main(int argc, char *argv[])
{
	int status = 0;
	long pid;

	if (argc < 2) {
		fprintf(2, "usage: kill PID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (tool_number(argv[i], PID_MAX, &pid) < 0) {
			fprintf(2, "kill: %s: not a pid\nusage: kill PID...\n", argv[i]);
			return 2;
		}
	}
	for (int i = 1; i < argc; i++) {
		int err;

		tool_number(argv[i], PID_MAX, &pid); /* checked above */
		if ((err = kill((int)pid)) < 0) {
			fprintf(2, "kill: %s: %s\n", argv[i],
				err == -ESRCH ? "no such process" : "cannot kill");
			status = 1;
		}
	}
	return status;
}
