/*
 * exitcode.c: exits with the status its first argument names ("exitcode
 * 7" exits 7), or 3 without one, so tests can check that a status travels
 * from exit() to wait().
 *
 * help: exit with the status its argument names (default 3)
 */
#include "kine/user.h"

int main(int argc, char *argv[])
{
	return argc > 1 ? atoi(argv[1]) : 3;
}
