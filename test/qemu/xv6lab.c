// xv6lab: an xv6 lab-style program, written against xv6's headers and
// built unchanged as `./kine run --add xv6lab.c` builds it (xv6_program,
// through local_programs in user/programs.bzl), for test/qemu/run_test.py.
//
//   xv6lab SECONDS STATUS   the COW lab's check, then quiet for SECONDS,
//                           then exit(STATUS)
//   xv6lab forever          the check, then quiet until killed
//
// The check: grow the heap with sbrk, fill it, fork; the child overwrites
// its copy and exits 7; the parent's copy must be unchanged, wait(&st)
// must report 7, and a second child reaped with wait(0) must exist. After
// it, the program prints nothing more: a runner that ends runs on quiet
// would cut it short.
//
// Kept in xv6's own layout (not kine's clang-format style) on purpose.
// clang-format off
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

#define PAGES 8
#define PGSZ 4096

void
check(void)
{
  char *heap = sbrk(PAGES * PGSZ);
  int st = -1;

  if(heap == SBRK_ERROR){
    printf("xv6lab: sbrk failed\n");
    exit(1);
  }
  for(int i = 0; i < PAGES * PGSZ; i++)
    heap[i] = (char)(i % 251);
  int pid = fork();
  if(pid < 0){
    printf("xv6lab: fork failed\n");
    exit(1);
  }
  if(pid == 0){
    for(int i = 0; i < PAGES * PGSZ; i++)
      heap[i] = 0x5a;
    exit(7);
  }
  if(wait(&st) != pid || st != 7){
    printf("xv6lab: wait: status %d, want 7\n", st);
    exit(1);
  }
  for(int i = 0; i < PAGES * PGSZ; i++){
    if(heap[i] != (char)(i % 251)){
      printf("xv6lab: parent's byte %d changed by the child\n", i);
      exit(1);
    }
  }
  if(fork() == 0)
    exit(0);
  if(wait(0) < 0){
    printf("xv6lab: wait(0) found no child\n");
    exit(1);
  }
  printf("xv6lab: %d pages forked, child exit 7, parent's copy intact\n", PAGES);
}

int
main(int argc, char *argv[])
{
  if(argc == 2 && strcmp(argv[1], "forever") == 0){
    check();
    for(;;)
      pause(10);
  }
  if(argc != 3){
    fprintf(2, "usage: xv6lab SECONDS STATUS | xv6lab forever\n");
    exit(2);
  }
  check();
  // xv6 ticks: about 10 a second (user/xv6/user/user.h).
  pause(atoi(argv[1]) * 10);
  exit(atoi(argv[2]));
}
