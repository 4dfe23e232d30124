/*
 * user/user.h (xv6 compatibility): xv6's user API with xv6's names and
 * signatures, for teaching programs that need no file system. Both
 * dialects: the classic one (sleep) and the recent lab one (pause,
 * sbrklazy, SBRK_ERROR).
 *
 * Built by //user:xv6 (user/xv6/lib) over kine's system calls. As on xv6,
 * a failed call returns -1 (kine's own API returns -errno instead), and
 * sbrk returns SBRK_ERROR. What kine cannot do (mknod, unlink, link,
 * mkdir; chdir for now) is declared and returns -1. open serves the
 * read-only files of kine's boot image (the programs themselves).
 *
 * kine's own header, kine/user.h, declares some of the same names with
 * other types (void exit, int printf, size_t strlen): a program includes
 * one or the other, never both.
 *
 * Time: xv6's clock ticks about 10 times a second, kine's 100. sleep,
 * pause and uptime count xv6 ticks (10 kine ticks each), so a program
 * waits as long in seconds as it would on xv6.
 */
#ifndef KINE_XV6_USER_USER_H
#define KINE_XV6_USER_USER_H

#include "kernel/types.h"

struct stat;

#define SBRK_ERROR ((char *)-1)

/* System calls. */
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int write(int, const void *, int);
int read(int, void *, int);
int close(int);
int kill(int);
int exec(const char *, char **);
int open(const char *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int fstat(int fd, struct stat *);
int link(const char *, const char *);
int mkdir(const char *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sbrk(int);
char *sbrklazy(int); /* kine maps eagerly: the same as sbrk */
int sleep(int);      /* in xv6 ticks (see below) */
int pause(int);      /* the lab dialect's name for sleep */
int uptime(void);    /* xv6 ticks since boot */

/* The C library (ulib.c, printf.c, umalloc.c on xv6). */
int stat(const char *, struct stat *);
char *strcpy(char *, const char *);
void *memmove(void *, const void *, int);
char *strchr(const char *, char c);
int strcmp(const char *, const char *);
void fprintf(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void printf(const char *, ...) __attribute__((format(printf, 1, 2)));
char *gets(char *, int max);
uint strlen(const char *);
void *memset(void *, int, uint);
int atoi(const char *);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);
void *malloc(uint);
void free(void *);

#endif
