/*
 * proc.c: creating, forking, ending and reaping processes.
 *
 * A process that exits stays in the table as exited until its parent
 * reaps it with wait (or, for a process the kernel started, proc_wait).
 * When a parent exits first, its children pass to init, which reaps them
 * in its wait loop; when there is no init (a self-test, a --run command),
 * to the kernel's reaper thread, which reaps an exited orphan right away
 * and a running one when it exits. So no process outlives its usefulness and no frame stays
 * behind (the leak checks compare settled free counts).
 */
#include "src/sched/proc.h"

#include "src/arch/riscv/user.h"
#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/lib/string.h"
#include "src/mm/mm_usage.h"
#include "src/mm/slab.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"
#include "user/include/kine/procinfo.h"

static struct spinlock proc_table_lock = SPINLOCK_INIT("proc_table");
static struct proc *proc_table[PROC_MAX]; /* guarded by proc_table_lock */
static int next_pid = 1;                  /* guarded by proc_table_lock */
/*
 * Processes created and not yet freed (atomic). Not the table's count: a
 * reaped process leaves the table before proc_free gives back its frames.
 */
static int procs_held;

/* The init process (proc_table_lock), which inherits orphans; NULL: none. */
static struct proc *init_proc;

/* Orphans that exited wait here for the reaper thread. */
static struct waitq reaper_wait;
static struct thread *reaper;

/* threads[] slot taken while its thread is being created. */
#define THREAD_SLOT_RESERVED ((struct thread *)1)

struct proc *proc_create(const char *name, struct mm *mm, struct proc *parent)
{
	struct proc *p = kzalloc(sizeof(*p));
	int slot = -1;
	size_t i;

	if (p == NULL)
		return NULL;
	waitq_init(&p->child_exit, "child_exit");
	waitq_init(&p->thread_done, "thread_done");
	spin_init(&p->lock, "proc");
	spin_init(&p->files.lock, "fdtable");
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
		p->job = parent != NULL ? parent->job : p->pid;
		p->kernel_owned = parent == NULL;
		/*
		 * A kill of the parent (proc_kill, proc_kill_job: under this lock)
		 * came before this child was in the table to be found: pass it on,
		 * or a process killed while it forks leaves a live child behind.
		 */
		if (parent != NULL && __atomic_load_n(&parent->killed, __ATOMIC_ACQUIRE))
			__atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);
		proc_table[slot] = p;
		__atomic_add_fetch(&procs_held, 1, __ATOMIC_RELAXED);
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
	int was;

	fdtable_close_all(&p->files); /* a process that never ran still has them */
	/* After the joins no hart runs any of its threads or has its table. */
	for (int i = 0; i < PROC_THREADS; i++)
		if (p->threads[i] != NULL)
			thread_join(p->threads[i]);
	mm_destroy(p->mm);
	kfree(p);
	/* Release: whoever reads the fall sees every frame above given back. */
	was = __atomic_fetch_sub(&procs_held, 1, __ATOMIC_RELEASE);
	assert(was > 0); /* every freed process was counted by proc_create */
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

/*
 * The thread is made under p->lock because it may run at once: whoever
 * scans p->threads[] (under p->lock: a thread ending p, interrupting the
 * others) must find it in its slot, or a kill could miss it while it
 * sleeps (stackbomb hung so: a child's second thread overflowed and ended
 * the child before fork had stored the first one).
 */
static int proc_start_thread(struct proc *p, const struct user_frame *uf, int affinity)
{
	spin_lock(&p->lock);
	p->live = 1;
	p->thread = thread_create_proc(proc_thread_main, NULL, p->name, affinity, p, uf);
	p->threads[0] = p->thread;
	spin_unlock(&p->lock);
	return p->thread != NULL ? 0 : -ENOMEM;
}

int proc_start(struct proc *p, uint64_t pc, uint64_t sp, uint64_t argc, uint64_t argv)
{
	struct user_frame uf;

	user_frame_init(&uf, pc, sp, argc, argv);
	return proc_start_thread(p, &uf, THREAD_ANY_HART);
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

void proc_init(void)
{
	waitq_init(&reaper_wait, "reaper");
	reaper = thread_create(proc_reaper, NULL, "reaper", THREAD_ANY_HART);
	if (reaper == NULL)
		panic("no memory for the reaper thread");
}

/* Thread slot i of p, or NULL (also while a thread_create fills it). */
static struct thread *proc_thread_at(struct proc *p, int i)
{
	return p->threads[i] == THREAD_SLOT_RESERVED ? NULL : p->threads[i];
}

/* Wake every other thread of p that sleeps, so that it sees the kill. */
static void proc_interrupt_threads(struct proc *p)
{
	struct thread *self = thread_current();

	assert(spin_holding(&p->lock));
	for (int i = 0; i < PROC_THREADS; i++)
		if (proc_thread_at(p, i) != NULL && p->threads[i] != self)
			thread_interrupt(p->threads[i]);
}

/* This thread has exited as a thread: count it and tell the waiters. */
static void proc_thread_gone(struct proc *p, int status)
{
	struct thread *t = thread_current();

	assert(spin_holding(&p->lock));
	t->user_status = status;
	t->user_exited = true;
	p->live--;
	waitq_wake_all(&p->thread_done);
}

/*
 * Make this thread the one that ends p: every other thread is killed and
 * waited for. If another thread is already ending p, this one just goes.
 */
static void proc_end_others(struct proc *p)
{
	/*
	 * proc_table_lock too, as proc_kill takes it: a thread of p in
	 * proc_wait_child checks p->killed under proc_table_lock and holds it
	 * until it sleeps, so it either sees the kill or is asleep when the
	 * interrupt comes. Under p->lock alone, it could check, miss the kill,
	 * be interrupted while still running (a no-op), then sleep for good,
	 * and this thread would wait for it forever (stackbomb hung so).
	 */
	spin_lock(&proc_table_lock);
	spin_lock(&p->lock);
	if (p->ending) {
		spin_unlock(&proc_table_lock);
		proc_thread_gone(p, -1);
		spin_unlock(&p->lock);
		thread_exit();
	}
	p->ending = true;
	__atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);
	proc_interrupt_threads(p);
	spin_unlock(&proc_table_lock);
	while (p->live > 1)
		waitq_sleep(&p->thread_done, &p->lock);
	spin_unlock(&p->lock);
}

void proc_exit(int status)
{
	struct proc *p = proc_current(), *heir;
	bool orphans = false;

	assert(p != NULL);
	proc_end_others(p);
	/* Closing a pipe's end wakes whoever waits on the other. */
	fdtable_close_all(&p->files);
	spin_lock(&proc_table_lock);
	/*
	 * Children go to init, which reaps whatever it waits for; without an
	 * init (a self-test, --run) to the kernel's reaper thread.
	 */
	heir = init_proc != NULL && init_proc != p && !init_proc->exited ? init_proc : NULL;
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *c = proc_table[s];

		if (c != NULL && c->parent == p) {
			c->parent = heir;
			if (c->exited && heir != NULL)
				waitq_wake_all(&heir->child_exit);
			orphans |= c->exited && heir == NULL;
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
	if (init_proc == p)
		init_proc = NULL;
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
		/*
		 * Killed (or another thread is ending the process): stop
		 * waiting, or the ending thread waits for this one forever.
		 */
		if (__atomic_load_n(&me->killed, __ATOMIC_ACQUIRE)) {
			spin_unlock(&proc_table_lock);
			return -EINTR;
		}
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
	/* The child runs where its parent may (as sched_setaffinity's mask is inherited). */
	if (proc_start_thread(child, &cuf, thread_current()->affinity) < 0) {
		proc_free_unstarted(child);
		return -ENOMEM;
	}
	return child->pid;
}

void proc_set_init(struct proc *p)
{
	spin_lock(&proc_table_lock);
	init_proc = p;
	spin_unlock(&proc_table_lock);
}

int proc_count(void)
{
	return __atomic_load_n(&procs_held, __ATOMIC_ACQUIRE);
}

/* Make p exit at its next return to user mode. */
static void proc_kill_locked(struct proc *p)
{
	assert(spin_holding(&proc_table_lock));
	__atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);
	/* Sleeping threads wake and see it; running ones at their next trap. */
	spin_lock(&p->lock);
	for (int i = 0; i < PROC_THREADS; i++)
		if (proc_thread_at(p, i) != NULL)
			thread_interrupt(p->threads[i]);
	spin_unlock(&p->lock);
}

int proc_kill(int pid)
{
	int found = -ESRCH;

	spin_lock(&proc_table_lock);
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *p = proc_table[s];

		if (p != NULL && p->pid == pid && !p->exited) {
			proc_kill_locked(p);
			found = 0;
		}
	}
	spin_unlock(&proc_table_lock);
	return found;
}

int proc_kill_job(int job)
{
	int n = 0;

	spin_lock(&proc_table_lock);
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *p = proc_table[s];

		if (p != NULL && p->job == job && !p->exited) {
			proc_kill_locked(p);
			n++;
		}
	}
	spin_unlock(&proc_table_lock);
	return n;
}

int proc_set_job(int pid, int job)
{
	struct proc *me = proc_current();
	int err = -ESRCH;

	if (pid < 0 || job < 0)
		return -EINVAL;
	spin_lock(&proc_table_lock);
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *p = proc_table[s];

		if (p != NULL && (pid == 0 ? p == me : p->pid == pid && p->parent == me)) {
			p->job = job != 0 ? job : p->pid;
			err = 0;
		}
	}
	spin_unlock(&proc_table_lock);
	return err;
}

static int32_t thread_state_info(enum thread_state st)
{
	switch (st) {
	case THREAD_RUNNABLE:
		return KINE_PS_RUNNABLE;
	case THREAD_RUNNING:
		return KINE_PS_RUNNING;
	case THREAD_SLEEPING:
		return KINE_PS_SLEEPING;
	default:
		return KINE_PS_EXITED;
	}
}

/*
 * p's records, from the fields common to all of its threads in *common.
 * Under proc_table_lock (p stays in the table, so neither it nor its mm
 * is freed) and p->lock (its threads stay in their slots, exec does not
 * swap its mm).
 */
static int proc_snapshot_one(struct proc *p, const struct kine_procinfo *common,
			     struct kine_procinfo *buf, int n, int max)
{
	if (p->exited) {
		if (n < max) {
			buf[n] = *common;
			buf[n].state = KINE_PS_EXITED;
		}
		return n + 1;
	}
	for (int i = 0; i < PROC_THREADS; i++) {
		struct thread *t = proc_thread_at(p, i);

		if (t == NULL)
			continue;
		if (n < max) {
			buf[n] = *common;
			buf[n].tid = t->tid;
			spin_lock(&t->lock);
			buf[n].state =
			    t->user_exited ? KINE_PS_EXITED : thread_state_info(t->state);
			buf[n].hart = t->hart;
			spin_unlock(&t->lock);
		}
		n++;
	}
	return n;
}

int proc_snapshot(struct kine_procinfo *buf, int max)
{
	int n = 0;

	spin_lock(&proc_table_lock);
	for (int s = 0; s < PROC_MAX; s++) {
		struct proc *p = proc_table[s];
		struct kine_procinfo common = {.hart = -1};

		if (p == NULL)
			continue;
		common.pid = p->pid;
		common.ppid = p->parent != NULL ? p->parent->pid : 0;
		common.job = p->job;
		spin_lock(&p->lock);
		common.threads = p->exited ? 0 : p->live;
		memcpy(common.name, p->name, sizeof(common.name));
		common.name[sizeof(common.name) - 1] = '\0';
		/* Only records that will be copied need the walk. */
		if (n < max)
			mm_usage(p->mm, &common.resident, &common.shared);
		n = proc_snapshot_one(p, &common, buf, n, max);
		spin_unlock(&p->lock);
	}
	spin_unlock(&proc_table_lock);
	return n;
}

int proc_thread_create(uint64_t pc, uint64_t a0, uint64_t a1)
{
	struct proc *p = proc_current();
	struct user_frame uf;
	struct thread *t = NULL;
	uintptr_t stack;
	long top;
	int slot = -1;

	spin_lock(&p->lock);
	for (int i = 1; i < PROC_THREADS && slot < 0; i++)
		if (p->threads[i] == NULL)
			slot = i;
	if (slot < 0 || p->ending) {
		spin_unlock(&p->lock);
		return -EAGAIN;
	}
	p->threads[slot] = THREAD_SLOT_RESERVED;
	p->live++;
	spin_unlock(&p->lock);

	top = mm_stack_alloc(p->mm, &stack);
	spin_lock(&p->lock);
	/*
	 * Under p->lock, as in proc_start_thread: the thread is in its slot
	 * before anyone scanning threads[] can look. An ending thread skipped
	 * the reserved slot when it interrupted the others, so none is made
	 * once p is ending.
	 */
	if (top > 0 && !p->ending) {
		user_frame_init(&uf, pc, (uint64_t)top, a0, a1);
		t = thread_create_proc(proc_thread_main, NULL, p->name, THREAD_ANY_HART, p, &uf);
	}
	if (t == NULL) {
		int err = top < 0 ? (int)top : p->ending ? -EAGAIN : -ENOMEM;

		p->threads[slot] = NULL;
		p->live--;
		waitq_wake_all(&p->thread_done); /* an ending thread waits for live to drop */
		spin_unlock(&p->lock);
		if (top > 0)
			mm_munmap(p->mm, stack, USER_STACK_SIZE);
		return err;
	}
	t->ustack = stack;
	p->threads[slot] = t;
	spin_unlock(&p->lock);
	return t->tid;
}

int proc_thread_join(int tid, int *status)
{
	struct proc *p = proc_current();
	struct thread *t = NULL;
	int slot = -1;

	spin_lock(&p->lock);
	for (int i = 1; i < PROC_THREADS && slot < 0; i++)
		if (p->threads[i] != NULL && p->threads[i] != THREAD_SLOT_RESERVED &&
		    p->threads[i]->tid == tid)
			slot = i;
	if (slot < 0 || p->threads[slot] == thread_current()) {
		spin_unlock(&p->lock);
		return slot < 0 ? -ESRCH : -EINVAL;
	}
	t = p->threads[slot];
	while (!t->user_exited) {
		/* As in proc_wait_child: a killed joiner must not hold up the exit. */
		if (__atomic_load_n(&p->killed, __ATOMIC_ACQUIRE)) {
			spin_unlock(&p->lock);
			return -EINTR;
		}
		waitq_sleep(&p->thread_done, &p->lock);
	}
	p->threads[slot] = NULL;
	*status = t->user_status;
	spin_unlock(&p->lock);
	mm_munmap(p->mm, t->ustack, USER_STACK_SIZE);
	thread_join(t);
	return 0;
}

void proc_thread_exit(int status)
{
	struct proc *p = proc_current();
	bool last;

	spin_lock(&p->lock);
	last = p->live == 1 && !p->ending;
	if (!last) {
		proc_thread_gone(p, status);
		spin_unlock(&p->lock);
		thread_exit();
	}
	spin_unlock(&p->lock);
	proc_exit(status); /* the last thread ends the process */
}
