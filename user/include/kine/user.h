/*
 * user.h: kine's user-space API, what every program includes.
 *
 * The system calls of kine/syscall.h as C functions, plus the little C
 * library in user/lib: printf and friends (on the kernel's formatter,
 * src/lib/fmt.c), malloc (user/lib/malloc.c), atoi, and the kernel's
 * freestanding string functions (src/lib/string.c).
 *
 * Convention: a call that returns int or long gives a value >= 0 on
 * success and a negative errno (kine/errno.h) on failure, exactly what the
 * kernel put in a0. Calls that return a pointer (sbrk, mmap) give
 * (void *)-1 on failure, as on Unix and xv6; kine_syscall() gives the raw
 * -errno of any call. Names and argument orders follow xv6 where xv6 has
 * the call.
 */
#ifndef KINE_USER_H
#define KINE_USER_H

#include <stdarg.h>
#include <stddef.h>

#include "kine/bootfile.h"
#include "kine/errno.h"
#include "kine/lockstat.h"
#include "kine/memstat.h"
#include "kine/mman.h"
#include "kine/procinfo.h"
#include "kine/syscall.h"
#include "src/lib/string.h"

#include "kine/stat.h"

/* Processes. */
/* Copy this process: 0 in the child, its pid in the parent. */
int fork(void);
/* End this process with status. */
void exit(int status) __attribute__((noreturn));
/* Reap a child: its pid, its status in *status (may be NULL). */
int wait(int *status);
/* Make process pid exit (status -1). */
int kill(int pid);
/* Run path from the boot image; returns only on error. */
int exec(const char *path, char *const argv[]);
/* This process's pid. */
int getpid(void);
/* Sleep for ticks clock ticks (100 a second). */
int sleep(int ticks);
/* Clock ticks since boot. */
long uptime(void);
/* Let other threads run on this hart. */
int yield(void);
/* Index of the hart running the caller (0: boot hart). */
int hart(void);
/* Run the calling thread on hart only (-1: any hart). */
int set_affinity(int hart);
/* A record per thread of every process into buf (at most n): how many there were. */
long procinfo(struct kine_procinfo *buf, long n);
/* Move process pid (0: self; else a child) into job (0: one of its own). */
int setjob(int pid, int job);
/* Make job the console's foreground job, which Ctrl-C kills (0: none): the one before. */
int fgjob(int job);

/* Memory. */
/* Move the heap's end: the old end, or (void *)-1. */
void *sbrk(long increment);
/* Anonymous memory (flags: MAP_ANONYMOUS and MAP_PRIVATE or MAP_SHARED), or (void *)-1. */
void *mmap(void *addr, size_t len, int prot, int flags);
/* Unmap [addr, addr + len). */
int munmap(void *addr, size_t len);
/* Change the PROT_* bits of a range. */
int mprotect(void *addr, size_t len, int prot);
/* The frame allocator's counters (settle != 0: per-hart caches emptied first). */
int memstat(struct kine_memstat *st, int settle);
/* The settled free-frame count (memstat with settle), the number leak checks compare. */
uint64_t settled_free(void);
/* settled_free() once it equals want (exited processes reaped), or after about 4 s. */
uint64_t settled_free_like(uint64_t want);
/* The kernel's lock statistics as text (kine/lockstat.h): the dump's full length. */
long lockstat(char *buf, long len, int flags);

/* Files (the boot image's files are read-only; 0, 1, 2 are the console). */
/* Open a file of the boot image: a descriptor. */
int open(const char *path, int flags);
/* The boot image's file number index (from 0): 0, or -ENOENT past the last. */
int bootfile(int index, struct kine_bootfile *out);
/* Up to n bytes: the count, 0 at end of file. */
int read(int fd, void *buf, int n);
/* Up to n bytes: the count written. */
int write(int fd, const void *buf, int n);
/* Release a descriptor. */
int close(int fd);
/* A new descriptor for the same file: the lowest free. */
int dup(int fd);
/* A pipe: fds[0] reads what fds[1] writes. */
int pipe(int fds[2]);
/* What fd refers to. */
int fstat(int fd, struct stat *st);
/* Change the working directory. */
int chdir(const char *path);

/* Threads: more threads of this process, on any hart, sharing its memory. */
/* Run fn(arg) in a new thread: its tid. */
int thread_create(int (*fn)(void *), void *arg);
/* Wait for thread tid to end; fn's result in *status. */
int thread_join(int tid, int *status);
/* End the calling thread. */
void thread_exit(int status) __attribute__((noreturn));

/* Any system call, raw: the kernel's a0 (negative: -errno). */
long kine_syscall(long num, long a0, long a1, long a2, long a3, long a4, long a5);

/* Formatted output (src/lib/fmt.h's conversions); the number of characters. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(int fd, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* The heap (over sbrk); NULL when it cannot grow. Safe to call from several threads. */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);

/* Decimal string to int: optional spaces and sign, then digits. */
int atoi(const char *s);

#endif
