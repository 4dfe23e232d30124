/*
 * hello.c: the first user program. Prints who and where it is, and its
 * arguments, then exits with status 0 (test=user checks both).
 *
 * help: print its pid, hart and arguments (a first program)
 */
#include "kine/user.h"

int main(int argc, char *argv[])
{
	printf("hello from user space: pid %d, hart %d, argc %d, argv[0] %s\n", getpid(), hart(),
	       argc, argc > 0 ? argv[0] : "(none)");
	for (int i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	return 0;
}
