/*
 * echo.c: print the arguments, separated by single spaces, and a newline
 * (none with -n).
 *
 * help: print its arguments (-n: no newline at the end)
 */
#include "kine/user.h"

int main(int argc, char *argv[])
{
	int newline = 1, i = 1;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = 0;
		i = 2;
	}
	for (int first = i; i < argc; i++)
		printf("%s%s", i > first ? " " : "", argv[i]);
	if (newline)
		printf("\n");
	return 0;
}
