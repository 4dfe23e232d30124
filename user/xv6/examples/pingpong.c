// pingpong: the classic xv6 exercise, written against xv6's headers and
// built unchanged for kine (//user:pingpong, by xv6_program).
//
// The parent sends a byte to its child over one pipe; the child prints
// "<pid>: received ping" and sends the byte back over a second pipe; the
// parent prints "<pid>: received pong". With an argument N, the byte goes
// round N times and the parent reports how many xv6 ticks that took.
//
// help: a byte to a child and back over two pipes (xv6 example)
//
// Kept in xv6's own layout (not kine's clang-format style) on purpose.
// clang-format off
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

// Send b one way and get it back N times; the child echoes.
void
rally(int rounds, int to_child, int from_child)
{
  char b = 'x';
  int i;

  for(i = 0; i < rounds; i++){
    if(write(to_child, &b, 1) != 1 || read(from_child, &b, 1) != 1){
      fprintf(2, "pingpong: parent: pipe failed\n");
      exit(1);
    }
    if(rounds == 1)
      printf("%d: received pong\n", getpid());
  }
}

void
echo(int rounds, int from_parent, int to_parent)
{
  char b;
  int i;

  for(i = 0; i < rounds; i++){
    if(read(from_parent, &b, 1) != 1){
      fprintf(2, "pingpong: child: pipe failed\n");
      exit(1);
    }
    if(rounds == 1)
      printf("%d: received ping\n", getpid());
    if(write(to_parent, &b, 1) != 1)
      exit(1);
  }
  exit(0);
}

int
main(int argc, char *argv[])
{
  int p2c[2], c2p[2], rounds = 1, start, status, pid;

  if(argc > 1)
    rounds = atoi(argv[1]);
  if(rounds < 1 || pipe(p2c) < 0 || pipe(c2p) < 0){
    fprintf(2, "usage: pingpong [rounds]\n");
    exit(1);
  }
  start = uptime();
  pid = fork();
  if(pid < 0){
    fprintf(2, "pingpong: fork failed\n");
    exit(1);
  }
  if(pid == 0){
    close(p2c[1]);
    close(c2p[0]);
    echo(rounds, p2c[0], c2p[1]);
  }
  close(p2c[0]);
  close(c2p[1]);
  rally(rounds, p2c[1], c2p[0]);
  if(wait(&status) != pid || status != 0)
    exit(1);
  if(rounds > 1)
    printf("pingpong: %d round trips in %d ticks\n", rounds, uptime() - start);
  exit(0);
}
