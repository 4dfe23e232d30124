// mixed.c: a program that includes both dialects' headers, which
// `./kine run --add` must refuse, naming the include to drop
// (test/qemu/run_test.py). It is never compiled.
#include "kernel/types.h"
#include "kine/user.h"
#include "user/user.h"

int main(void)
{
	return 0;
}
