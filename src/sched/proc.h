/*
 * proc.h: processes: an address space, a pid and an exit status around
 * one thread (more threads per process arrive with thread_create).
 *
 * p->lock guards exited and exit_status; everything else is set before the
 * process's thread starts and read-only afterwards, until proc_wait()
 * frees the process.
 */
#ifndef KINE_SCHED_PROC_H
#define KINE_SCHED_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "src/mm/vm.h"
#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"

struct thread;

struct proc {
	struct spinlock lock;
	int pid;
	char name[16];
	struct mm *mm;
	struct thread *thread;
	bool exited;     /* guarded by lock */
	int exit_status; /* guarded by lock */
	struct waitq exit_wq;
};

/* A process around mm (which it now owns), not yet running; NULL if out of memory. */
struct proc *proc_create(const char *name, struct mm *mm);

/* Start its thread in U-mode at pc with sp, a0 = argc, a1 = argv. 0 or -ENOMEM. */
int proc_start(struct proc *p, uint64_t pc, uint64_t sp, uint64_t argc, uint64_t argv);

/* Wait for p to exit, free it with its address space; its exit status. */
int proc_wait(struct proc *p);

/* The process of the calling thread, NULL for a kernel thread. */
struct proc *proc_current(void);

/* End the calling process with status. */
void proc_exit(int status) __attribute__((noreturn));

/* Free a process that never started (after proc_create, before proc_start). */
void proc_free_unstarted(struct proc *p);

#endif
