/*
 * proc.h: processes: an address space, a pid, a parent and an exit status
 * around one or more threads.
 *
 * Locking: p->lock guards the thread list (below), and mm and name
 * against readers other than the process itself (ps); proc_table_lock
 * (proc.c) guards the table of processes, every p->parent, p->job,
 * p->exited and p->exit_status; waiting parents sleep on their child_exit
 * queue under it. Everything else is set before the process's thread
 * starts and stays until the process is reaped, except mm and name, which
 * only exec replaces (by the process's own, only thread, under p->lock).
 * Lock order: proc_table_lock, p->lock, then a thread's lock or mm_lock.
 *
 * Jobs: a job is what the shell starts for one pipeline; Ctrl-C at the
 * console kills the job the shell named the foreground one (console.c).
 * A process starts in its parent's job (a process without a parent in a
 * job of its own, numbered by its pid), and setjob moves it.
 */
#ifndef KINE_SCHED_PROC_H
#define KINE_SCHED_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "src/kernel/file.h"
#include "src/mm/mm.h"
#include "src/sched/thread.h"
#include "src/sync/waitq.h"

struct thread;
struct user_frame;

#define PROC_MAX     64 /* processes that may exist at once */
#define PROC_THREADS 16 /* threads per process */

struct proc {
	int pid;
	struct thread *thread;
	char name[16];           /* p->lock for readers other than p itself */
	struct mm *mm;           /* p->lock for readers other than p itself */
	struct proc *parent;     /* proc_table_lock; NULL: none (see kernel_owned) */
	int job;                 /* proc_table_lock: its job, for Ctrl-C (setjob) */
	bool kernel_owned;       /* started by the kernel, which proc_waits for it */
	bool exited;             /* proc_table_lock */
	int exit_status;         /* proc_table_lock */
	bool killed;             /* atomic: exit at the next return to user mode */
	struct waitq child_exit; /* its children's exits wake it */
	struct fdtable files;    /* its own lock guards it (file.h) */

	/*
	 * Its threads. lock guards threads[], live and ending. threads[0] is
	 * the first thread (also p->thread); the others are created by
	 * thread_create and freed by thread_join or when the process is
	 * reaped. live counts the threads that have not exited; the thread
	 * that ends the process (exit, or the last thread_exit) waits on
	 * thread_done until it is the only one left.
	 */
	struct spinlock lock;
	struct thread *threads[PROC_THREADS];
	int live;
	bool ending;
	struct waitq thread_done;
};

/* Start the reaper thread (boot, once, before any process exists). */
void proc_init(void);

/* A process around mm (which it then owns), not yet running; NULL if none is free. */
struct proc *proc_create(const char *name, struct mm *mm, struct proc *parent);

/* Start its thread in U-mode at pc with sp, a0 = argc, a1 = argv. 0 or -ENOMEM. */
int proc_start(struct proc *p, uint64_t pc, uint64_t sp, uint64_t argc, uint64_t argv);

/* Free a process that never started (after proc_create, before proc_start). */
void proc_free_unstarted(struct proc *p);

/* The kernel waits for a process it started (parent NULL); its exit status. */
int proc_wait(struct proc *p);

/* The process of the calling thread, NULL for a kernel thread (inline: every trap asks). */
static inline struct proc *proc_current(void)
{
	struct thread *t = thread_current();

	return t != NULL ? t->proc : NULL;
}

/* End the calling process with status. */
void proc_exit(int status) __attribute__((noreturn));

/* fork: a copy of the calling process; the child's pid, or -ENOMEM / -EAGAIN. */
int proc_fork(const struct user_frame *uf);

/*
 * wait: reap an exited child; its pid, with its status in *status. -ECHILD
 * when the caller has no children, -EINTR when its process is killed.
 */
int proc_wait_child(int *status);

/*
 * thread_create: a new thread of the calling process at pc with a0, a1 and
 * a stack of its own; its tid, or -EAGAIN / -ENOMEM.
 */
int proc_thread_create(uint64_t pc, uint64_t a0, uint64_t a1);

/* thread_join: wait for thread tid of this process; its status. 0, -ESRCH, -EINVAL, -EINTR. */
int proc_thread_join(int tid, int *status);

/* thread_exit: end the calling thread (the process, if it is the last). */
void proc_thread_exit(int status) __attribute__((noreturn));

/* Make p the process that inherits orphans (or NULL: the kernel's reaper). */
void proc_set_init(struct proc *p);

/*
 * How many processes exist: running, exited and not yet reaped, or reaped
 * and not yet freed (0 means every process's frames are back).
 */
int proc_count(void);

/* kill: make process pid exit (status -1) at its next return to user mode. */
int proc_kill(int pid);

/*
 * setjob: move process pid (0: the caller; else the caller's child) into
 * job (0: a job of its own, numbered by its pid). 0, -ESRCH (no such
 * child), -EINVAL (a negative argument).
 */
int proc_set_job(int pid, int job);

/*
 * Kill every process of job (as proc_kill); how many there were. A child
 * forked meanwhile by one of them is killed too (proc_create passes the
 * kill on), so a job cannot outrun its Ctrl-C by forking.
 */
int proc_kill_job(int job);

struct kine_procinfo;

/*
 * ps's snapshot: a record per thread of every process (kine/procinfo.h)
 * into buf, at most max of them; returns how many there were. Taken
 * under proc_table_lock, each p->lock, and each thread's lock and
 * mm_lock in turn, so buf must be kernel memory: the caller copies it
 * out after, with no lock held.
 */
int proc_snapshot(struct kine_procinfo *buf, int max);

#endif
