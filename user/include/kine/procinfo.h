/*
 * procinfo.h: what the procinfo system call reports (kine's ABI), for ps.
 *
 *	long procinfo(struct kine_procinfo *buf, long n);
 *
 * One record per thread of every process (one record, with tid 0 and no
 * hart, for a process that has exited and waits to be reaped), in the
 * order of the kernel's process table. The kernel copies the first n
 * records (n <= 0 copies none) and returns how many there were, so a
 * caller whose buffer was too small can ask again with more room.
 * -EFAULT for a bad buffer, -ENOMEM if the kernel had no room for the
 * snapshot. The records are one snapshot: taken under the process locks,
 * then copied out with no lock held.
 */
#ifndef KINE_UAPI_PROCINFO_H
#define KINE_UAPI_PROCINFO_H

#include <stdint.h>

/* kine_procinfo.state */
#define KINE_PS_RUNNABLE 0 /* waiting for a hart */
#define KINE_PS_RUNNING  1 /* on a hart now */
#define KINE_PS_SLEEPING 2 /* on a wait queue */
#define KINE_PS_EXITED   3 /* the thread, or the whole process, has exited */

struct kine_procinfo {
	int32_t pid;
	int32_t ppid;      /* 0: the kernel's (no parent process) */
	int32_t job;       /* the job it belongs to (setjob), for Ctrl-C */
	int32_t tid;       /* this thread's id; 0 for an exited process */
	int32_t state;     /* KINE_PS_* of this thread */
	int32_t hart;      /* the hart it runs or last ran on; -1: none */
	int32_t threads;   /* threads of the process not yet exited */
	int32_t pad;       /* 0 */
	uint64_t resident; /* user pages mapped in the process */
	uint64_t shared;   /* of those, frames another mapping also holds (COW after fork) */
	char name[16];     /* the process's program, NUL-terminated */
};

#endif
