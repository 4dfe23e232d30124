// forktree: an xv6-style teaching program, written against xv6's headers
// and built unchanged for kine (//user:forktree, by xv6_program).
//
// The root forks a binary tree of processes DEPTH levels deep. Every
// process names itself by its path from the root ("", "0", "01", ...),
// prints it, forks its two children unless it is a leaf, waits for both,
// and exits with the number of processes in its subtree. The root checks
// the total, 2^(DEPTH+1) - 1, and exits 0 when it is right.
//
// help: fork a binary tree of processes 3 levels deep (xv6 example)
//
// Kept in xv6's own layout (not kine's clang-format style) on purpose.
// clang-format off
#include "kernel/types.h"
#include "kernel/memlayout.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/stat.h"
#include "user/user.h"

#define DEPTH 3

int node(char *path, int depth);

// Fork a child that runs node(path + which, depth - 1); its pid.
int
child(char *path, char which, int depth)
{
  int pid = fork();

  if(pid == 0){
    int n = strlen(path);
    char *mine = malloc(n + 2);

    if(mine == 0){
      fprintf(2, "forktree: malloc failed\n");
      exit(-1);
    }
    strcpy(mine, path);
    mine[n] = which;
    mine[n + 1] = 0;
    exit(node(mine, depth - 1));
  }
  return pid;
}

// The processes in this subtree, this one included; -1 if something failed.
int
node(char *path, int depth)
{
  int total = 1, status, i;

  printf("forktree: node \"%s\" is pid %d\n", path, getpid());
  if(depth == 0)
    return 1;
  if(child(path, '0', depth) < 0 || child(path, '1', depth) < 0){
    fprintf(2, "forktree: fork failed\n");
    return -1;
  }
  for(i = 0; i < 2; i++){
    if(wait(&status) < 0 || status < 0)
      return -1;
    total += status;
  }
  return total;
}

int
main(int argc, char *argv[])
{
  int want = (1 << (DEPTH + 1)) - 1, got;

  printf("forktree: %d MiB of RAM, %d-byte pages, up to %d processes\n",
         (int)((PHYSTOP - KERNBASE) / (1024 * 1024)), PGSIZE, NPROC);
  got = node("", DEPTH);
  printf("forktree: %d processes (want %d)\n", got, want);
  if(got != want)
    exit(1);
  printf("forktree: ok\n");
  exit(0);
}
