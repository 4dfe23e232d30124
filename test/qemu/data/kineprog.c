// kineprog.c: a kine-dialect program, for `./kine run --add --xv6`, which
// must refuse it naming kine/user.h (test/qemu/run_test.py). Never compiled.
#include "kine/user.h"

int main(void)
{
	return 0;
}
