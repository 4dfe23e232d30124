/*
 * vtrap: a vector instruction in user mode is an illegal instruction.
 *
 * User programs are built without V, and the kernel keeps sstatus.VS Off
 * in user mode even on harts that have V and even right after its own
 * vector page copy (src/arch/riscv/pagecopy.c). Here a child pinned to
 * hart 0 first takes copy-on-write faults (each a kernel page copy, with V
 * when the boot said pagecopy=vector), then forks a grandchild, which
 * enters user mode for the first time (user_return builds its sstatus from
 * the hart's) and executes vsetvli: the kernel must kill it with "illegal
 * instruction" (status -1), which the child passes on. The parent checks
 * the status and that its own pages kept their values. Exits 0 on
 * success.
 *
 * help: a user vector instruction is an illegal instruction (test)
 */

#include "kine/user.h"

#define PAGES 8

static char pages[PAGES][4096];

static void vector_instruction(void)
{
	unsigned long vl;

	__asm__ volatile(".option push\n"
			 ".option arch, +v\n"
			 "vsetvli %0, zero, e64, m1, ta, ma\n"
			 ".option pop\n"
			 : "=r"(vl));
	printf("vtrap: vsetvli ran in user mode (vl %lu)\n", vl);
}

int main(void)
{
	int status = 0, pid, bad = 0;

	set_affinity(0);
	for (int i = 0; i < PAGES; i++)
		pages[i][0] = 1; /* private and written: COW after the fork */
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < PAGES; i++)
			pages[i][100] = (char)(i + 2); /* a copy fault per page */
		for (int i = 0; i < PAGES; i++)
			bad += pages[i][0] != 1 || pages[i][100] != (char)(i + 2);
		if (bad)
			exit(2);
		pid = fork();
		if (pid == 0) {
			vector_instruction();
			exit(3);
		}
		if (pid < 0 || wait(&status) != pid)
			exit(4);
		exit(status);
	}
	if (pid < 0 || wait(&status) != pid) {
		printf("vtrap: FAIL: fork or wait\n");
		return 1;
	}
	for (int i = 0; i < PAGES; i++)
		bad += pages[i][100] != 0; /* the parent's pages never saw the child's stores */
	printf("vtrap: child status %d (want -1), parent's pages %s\n", status,
	       bad ? "changed" : "untouched");
	if (status != -1 || bad) {
		printf("vtrap: FAIL\n");
		return 1;
	}
	printf("vtrap: PASS\n");
	return 0;
}
