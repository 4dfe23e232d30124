/*
 * tool.h: what the everyday tools (cat, echo, grep, head, kill, sleep, wc)
 * share: opening a file of the boot image with a clear message on failure,
 * and reading a decimal argument without overflow.
 */
#ifndef KINE_USER_TOOL_H
#define KINE_USER_TOOL_H

/* Open path read-only: its fd, or -1 after "PROG: PATH: why" on fd 2. */
int tool_open(const char *prog, const char *path);

/* s as a decimal number in [0, max]: 0 and *out, or -1 (nothing printed). */
int tool_number(const char *s, long max, long *out);

/* Say "PROG: NAME: read error N" for a failed read (n < 0); returns 1. */
int tool_read_error(const char *prog, const char *name, int n);

#endif
