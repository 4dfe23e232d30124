/*
 * proc.c: creating, running, ending and reaping processes.
 */
#include "src/sched/proc.h"

#include "src/arch/riscv/user.h"
#include "src/kernel/kernel.h"
#include "src/mm/slab.h"
#include "src/sched/thread.h"
#include "user/include/kine/errno.h"

static int next_pid = 1; /* atomic */

struct proc *proc_create(const char *name, struct mm *mm)
{
	struct proc *p = kzalloc(sizeof(*p));
	size_t i;

	if (p == NULL)
		return NULL;
	spin_init(&p->lock, "proc");
	waitq_init(&p->exit_wq, "proc_exit");
	p->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
	for (i = 0; i + 1 < sizeof(p->name) && name[i]; i++)
		p->name[i] = name[i];
	p->mm = mm;
	return p;
}

struct user_start {
	uint64_t pc, sp, argc, argv;
};

/* The first function of a user thread: drop to U-mode. */
static void proc_thread_main(void *arg)
{
	struct thread *t = thread_current();
	struct user_start *us = arg;

	user_frame_init(t->uframe, us->pc, us->sp, us->argc, us->argv);
	kfree(us);
	user_return(t->uframe);
}

int proc_start(struct proc *p, uint64_t pc, uint64_t sp, uint64_t argc, uint64_t argv)
{
	struct user_start *us = kmalloc(sizeof(*us));

	if (us == NULL)
		return -ENOMEM;
	*us = (struct user_start){pc, sp, argc, argv};
	p->thread = thread_create_proc(proc_thread_main, us, p->name, THREAD_ANY_HART, p);
	if (p->thread == NULL) {
		kfree(us);
		return -ENOMEM;
	}
	return 0;
}

struct proc *proc_current(void)
{
	struct thread *t = thread_current();

	return t != NULL ? t->proc : NULL;
}

void proc_exit(int status)
{
	struct proc *p = proc_current();

	assert(p != NULL);
	spin_lock(&p->lock);
	p->exited = true;
	p->exit_status = status;
	waitq_wake_all(&p->exit_wq);
	spin_unlock(&p->lock);
	thread_exit();
}

void proc_free_unstarted(struct proc *p)
{
	assert(p->thread == NULL);
	mm_destroy(p->mm);
	kfree(p);
}

int proc_wait(struct proc *p)
{
	int status;

	spin_lock(&p->lock);
	while (!p->exited)
		waitq_sleep(&p->exit_wq, &p->lock);
	status = p->exit_status;
	spin_unlock(&p->lock);
	/* After the join, no hart runs the thread nor has its table loaded. */
	thread_join(p->thread);
	mm_destroy(p->mm);
	kfree(p);
	return status;
}
