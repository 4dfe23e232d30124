/*
 * proc.c: creating, forking, ending and reaping processes.
 *
 * A process that exits stays in the table as exited until its parent
 * reaps it with wait (or, for a process the kernel started, proc_wait).
 * When a parent exits first, its children are handed to the kernel: an
 * exited orphan is reaped by the reaper thread right away, a running one
 * when it exits. So no process outlives its usefulness and no frame stays
 * behind (the leak checks compare settled free counts).
 */
#include "src/sched/proc.h"

#include "src/arch/riscv/user.h"
#include "src/kernel/kernel.h"
#include "src/mm/slab.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"

static struct spinlock proc_table_lock = SPINLOCK_INIT("proc_table");
static struct proc *proc_table[PROC_MAX]; /* guarded by proc_table_lock */
static int next_pid = 1;                  /* guarded by proc_table_lock */

/* Orphans that exited wait here for the reaper thread. */
static struct waitq reaper_wait;
static struct thread *reaper;

struct proc *proc_create(const char *name, struct mm *mm, struct proc *parent)
{
	struct proc *p = kzalloc(sizeof(*p));
	int slot = -1;
	size_t i;

	if (p == NULL)
		return NULL;
	waitq_init(&p->child_exit, "child_exit");
	for (i = 0; i + 1 < sizeof(p->name) && name[i]; i++)
		p->name[i] = name[i];
	p->mm = mm;
	spin_lock(&proc_table_lock);
	for (int s = 0; s < PROC_MAX && slot < 0; s++)
		if (proc_table[s] == NULL)
			slot = s;
	if (slot >= 0) {
		p->pid = next_pid++;
		p->parent = parent;
		p->kernel_owned = parent == NULL;
		proc_table[slot] = p;
	}
	spin_unlock(&proc_table_lock);
	if (slot < 0) {
		kfree(p);
		return NULL;
	}
	return p;
}

static void proc_table_remove(struct proc *p)
{
	assert(spin_holding(&proc_table_lock));
	for (int s = 0; s < PROC_MAX; s++)
		if (proc_table[s] == p)
			proc_table[s] = NULL;
}

/* Free what is left of an exited, reaped process. */
static void proc_free(struct proc *p)
{
	fdtable_close_all(&p->files); /* a process that never ran still has them */
	if (p->thread != NULL)
		thread_join(p->thread); /* after this no hart runs it or has its table */
	mm_destroy(p->mm);
	kfree(p);
}

void proc_free_unstarted(struct proc *p)
{
	assert(p->thread == NULL);
	spin_lock(&proc_table_lock);
	proc_table_remove(p);
	spin_unlock(&proc_table_lock);
	proc_free(p);
}

/* The first function of a user thread: drop to U-mode with the frame prepared. */
static void proc_thread_main(void *arg)
{
	struct thread *t = thread_current();

	user_return(t->uframe);
}

static int proc_start_thread(struct proc *p, const struct user_frame *uf)
{
	p->thread = thread_create_proc(proc_thread_main, NULL, p->name, THREAD_ANY_HART, p, uf);
	return p->thread != NULL ? 0 : -ENOMEM;
}

int proc_start(struct proc *p, uint64_t pc, uint64_t sp, uint64_t argc, uint64_t argv)
{
	struct user_frame uf;

	user_frame_init(&uf, pc, sp, argc, argv);
	return proc_start_thread(p, &uf);
}

struct proc *proc_current(void)
{
	struct thread *t = thread_current();

	return t != NULL ? t->proc : NULL;
}

/* The reaper: frees orphans that exited. */
static void proc_reaper(void *arg)
{
	for (;;) {
		struct proc *victim = NULL;

		spin_lock(&proc_table_lock);
		while (victim == NULL) {
			for (int s = 0; s < PROC_MAX && victim == NULL; s++) {
				struct proc *p = proc_table[s];

				if (p != NULL && p->exited && p->parent == NULL && !p->kernel_owned)
					victim = p;
			}
			if (victim == NULL)
				waitq_sleep(&reaper_wait, &proc_table_lock);
		}
		proc_table_remove(victim);
		spin_unlock(&proc_table_lock);
		proc_free(victim);
	}
}

static void proc_reaper_start(void)
{
	static struct spinlock once = SPINLOCK_INIT("reaper_once");

	spin_lock(&once);
	if (reaper == NULL) {
		waitq_init(&reaper_wait, "reaper");
		reaper = thread_create(proc_reaper, NULL, "reaper", THREAD_ANY_HART);
		if (reaper == NULL)
			panic("no memory for the reaper thread");
	}
	spin_unlock(&once);
}

void proc_exit(int status)
{
	struct proc *p = proc_current();
	bool orphans = false;

	assert(p != NULL);
	/* Closing a pipe's end wakes whoever waits on the other. */
	fdtable_close_all(&p->files);
	spin_lock(&proc_table_lock);
	/* Children go to the kernel; exited ones are reaped now. */
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *c = proc_table[s];

		if (c != NULL && c->parent == p) {
			c->parent = NULL;
			orphans |= c->exited;
		}
	}
	p->exited = true;
	p->exit_status = status;
	if (p->parent != NULL)
		waitq_wake_all(&p->parent->child_exit);
	else if (p->kernel_owned)
		waitq_wake_all(&p->child_exit); /* proc_wait sleeps on the process itself */
	else
		orphans = true;
	if (orphans)
		waitq_wake_all(&reaper_wait);
	spin_unlock(&proc_table_lock);
	thread_exit();
}

int proc_wait(struct proc *p)
{
	int status;

	assert(p->kernel_owned);
	spin_lock(&proc_table_lock);
	while (!p->exited)
		waitq_sleep(&p->child_exit, &proc_table_lock);
	status = p->exit_status;
	proc_table_remove(p);
	spin_unlock(&proc_table_lock);
	proc_free(p);
	return status;
}

int proc_wait_child(int *status)
{
	struct proc *me = proc_current(), *child;

	spin_lock(&proc_table_lock);
	for (;;) {
		bool any = false;

		child = NULL;
		for (int s = 0; s < PROC_MAX && child == NULL; s++) {
			struct proc *c = proc_table[s];

			if (c != NULL && c->parent == me) {
				any = true;
				if (c->exited)
					child = c;
			}
		}
		if (child != NULL || !any)
			break;
		waitq_sleep(&me->child_exit, &proc_table_lock);
	}
	if (child != NULL) {
		*status = child->exit_status;
		proc_table_remove(child);
	}
	spin_unlock(&proc_table_lock);
	if (child == NULL)
		return -ECHILD;
	int pid = child->pid;

	proc_free(child);
	return pid;
}

int proc_fork(const struct user_frame *uf)
{
	struct proc *me = proc_current(), *child;
	struct user_frame cuf = *uf;
	struct mm *mm;

	proc_reaper_start();
	mm = mm_copy(me->mm);
	if (mm == NULL)
		return -ENOMEM;
	child = proc_create(me->name, mm, me);
	if (child == NULL) {
		mm_destroy(mm);
		return -EAGAIN;
	}
	cuf.tf.regs[10] = 0; /* fork returns 0 in the child */
	fdtable_copy(&child->files, &me->files);
	if (proc_start_thread(child, &cuf) < 0) {
		proc_free_unstarted(child);
		return -ENOMEM;
	}
	return child->pid;
}

int proc_kill(int pid)
{
	int found = -ESRCH;

	spin_lock(&proc_table_lock);
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *p = proc_table[s];

		if (p != NULL && p->pid == pid && !p->exited) {
			__atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);
			found = 0;
		}
	}
	spin_unlock(&proc_table_lock);
	return found;
}
