/*
 * thread.c: kernel threads, per-hart run queues and the scheduler loop.
 *
 * Every hart runs scheduler() on its boot stack. It takes the first thread
 * of its own run queue, or, when that is empty, steals one that is free to
 * move from another hart's queue (so no runnable thread waits while a hart
 * idles), and switches to it. A thread gives the hart back by switching to
 * the scheduler: when it yields, sleeps or exits, and when the timer
 * preempts it. Waking a thread queues it on its hart and, if that is not
 * this hart, sends that hart an IPI so it leaves wfi.
 *
 * The switch protocol (why t->lock crosses arch_switch): see thread.h.
 */
#include "src/sched/thread.h"

#include <stddef.h>

#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/mm/kstack.h"
#include "src/mm/mm.h"
#include "src/mm/slab.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/ipi.h"
#include "src/sched/perturb.h"
#include "src/sched/proc.h"
#include "src/sync/lockcheck.h"

static int next_tid = 1; /* atomic */

void thread_current_stack(uintptr_t *lo, uintptr_t *hi)
{
	struct hart *h = this_hart();
	struct thread *t = h->current;

	if (t == NULL) {
		*lo = h->stack_base;
		*hi = h->stack_top;
		return;
	}
	*lo = t->kstack->base;
	*hi = t->kstack->top;
}

/* ---- run queues ---- */

static void runq_push(struct hart *h, struct thread *t)
{
	spin_lock(&h->runq_lock);
	t->runq_next = NULL;
	if (h->runq_tail)
		h->runq_tail->runq_next = t;
	else
		h->runq_head = t;
	h->runq_tail = t;
	h->runq_len++;
	spin_unlock(&h->runq_lock);
}

/* The first thread of h's queue that may run on hart `on`, or NULL. */
static struct thread *runq_take(struct hart *h, int on)
{
	struct thread *t, *prev = NULL;

	spin_lock(&h->runq_lock);
	for (t = h->runq_head; t != NULL; prev = t, t = t->runq_next) {
		if (t->affinity != THREAD_ANY_HART && t->affinity != on)
			continue;
		if (prev)
			prev->runq_next = t->runq_next;
		else
			h->runq_head = t->runq_next;
		if (h->runq_tail == t)
			h->runq_tail = prev;
		h->runq_len--;
		break;
	}
	spin_unlock(&h->runq_lock);
	return t;
}

/*
 * A thread that may run anywhere was queued here: if some other hart is
 * idle, wake one so that it steals the thread now rather than at its next
 * timer tick.
 */
static void sched_kick_idle(struct hart *self)
{
	/* seed=N: which idle hart is kicked first is the seed's choice (perturb.h). */
	int start = perturb_start(nharts - 1);

	for (int i = 1; i < nharts; i++) {
		struct hart *h =
		    &harts[(self->index + 1 + (start + i - 1) % (nharts - 1)) % nharts];

		if (__atomic_load_n(&h->idle, __ATOMIC_ACQUIRE)) {
			ipi_send(h, IPI_RESCHED);
			return;
		}
	}
}

/*
 * Queue a runnable thread (t->lock held) on its hart and kick a hart. A
 * pinned thread goes to the queue of the hart it is pinned to, whichever
 * it ran on last: queued anywhere else, only its own hart could take it,
 * and that hart steals only when its own queue is empty. (A thread
 * preempted between setting its affinity and moving sat on the old hart's
 * queue while its new hart stayed busy with yielding threads, for good:
 * forkbench scale hung about one boot in 30.)
 */
static void sched_enqueue(struct thread *t)
{
	struct hart *h;

	assert(spin_holding(&t->lock) && t->state == THREAD_RUNNABLE);
	if (t->affinity != THREAD_ANY_HART)
		t->hart = t->affinity;
	h = &harts[t->hart];
	runq_push(h, t);
	if (h != this_hart() && hart_is_online(h))
		ipi_send(h, IPI_RESCHED);
	else if (t->affinity == THREAD_ANY_HART)
		sched_kick_idle(h);
}

/* ---- switching ---- */

/*
 * Switch from the running thread t (t->lock held, state already changed)
 * to this hart's scheduler. The interrupt state belongs to the thread, not
 * to the hart, so it travels with it across the switch.
 */
static void sched_switch_out(struct thread *t)
{
	struct hart *h = this_hart();
	bool irq_were_enabled = h->irq_were_enabled;

	assert(spin_holding(&t->lock) && t->state != THREAD_RUNNING);
	assert(h->irq_off_depth == 1 && !arch_irq_enabled());
	arch_switch(&t->ctx, &h->sched_ctx);
	/* Perhaps on another hart now: this_hart() again. */
	this_hart()->irq_were_enabled = irq_were_enabled;
}

void thread_sleep_locked(struct thread *t)
{
	sched_switch_out(t);
}

void thread_yield(void)
{
	struct thread *t = thread_current();

	if (t == NULL)
		return;
	lockcheck_may_sleep("thread_yield", 0); /* yielding with a spinlock held is a bug */
	spin_lock(&t->lock);
	t->state = THREAD_RUNNABLE;
	sched_enqueue(t);
	sched_switch_out(t);
	spin_unlock(&t->lock);
}

void thread_preempt(void)
{
	if (this_hart()->current != NULL)
		thread_yield();
}

void thread_wake(struct thread *t, uint64_t sleep)
{
	spin_lock(&t->lock);
	if (t->state == THREAD_SLEEPING && t->sleeps == sleep) {
		t->sleeping_on = NULL;
		t->state = THREAD_RUNNABLE;
		sched_enqueue(t);
	}
	spin_unlock(&t->lock);
}

void thread_interrupt(struct thread *t)
{
	spin_lock(&t->lock);
	if (t->state == THREAD_SLEEPING) {
		if (t->sleeping_on != NULL)
			waitq_remove(t->sleeping_on, t);
		t->sleeping_on = NULL;
		t->state = THREAD_RUNNABLE;
		sched_enqueue(t);
	}
	spin_unlock(&t->lock);
}

/* ---- the scheduler loop ---- */

static struct thread *sched_pick(struct hart *self)
{
	struct thread *t = runq_take(self, self->index);
	/* seed=N: the victim tried first when stealing is the seed's choice (perturb.h). */
	int start = t == NULL ? perturb_start(nharts - 1) : 0;

	for (int i = 1; t == NULL && i < nharts; i++)
		t = runq_take(&harts[(self->index + 1 + (start + i - 1) % (nharts - 1)) % nharts],
			      self->index);
	return t;
}

static void sched_run(struct hart *self, struct thread *t)
{
	spin_lock(&t->lock);
	assert(t->state == THREAD_RUNNABLE);
	t->state = THREAD_RUNNING;
	t->hart = self->index;
	t->switches++;
	self->thread_switches++;
	self->current = t;
	if (t->proc != NULL)
		mm_activate(t->proc->mm);
	self->stack_limit = t->kstack->base; /* interrupts are off until t runs */
	arch_switch(&self->sched_ctx, &t->ctx);
	/* t switched back to us, holding its lock (see sched_switch_out). */
	self->stack_limit = self->stack_base;
	self->current = NULL;
	/*
	 * Back to the kernel's table: the process may be reaped (its tables
	 * freed) as soon as t->lock is released.
	 */
	if (t->proc != NULL)
		mm_activate(NULL);
	spin_unlock(&t->lock);
}

void scheduler(void)
{
	struct hart *self = this_hart();

	for (;;) {
		struct thread *t;

		/* Let interrupts in (a wakeup may be an IPI), then look. */
		arch_irq_enable();
		arch_irq_disable();
		kstack_quiesce(); /* a flush owed for unmapped stacks, if any */
		t = sched_pick(self);
		if (t != NULL) {
			sched_run(self, t);
			continue;
		}
		/*
		 * Announce idleness, then look once more: a thread queued
		 * between the pick and the store would otherwise wait for
		 * the next tick (its enqueuer saw us busy and sent no IPI).
		 */
		__atomic_store_n(&self->idle, 1, __ATOMIC_SEQ_CST);
		t = sched_pick(self);
		if (t == NULL)
			arch_wait_for_interrupt();
		__atomic_store_n(&self->idle, 0, __ATOMIC_RELEASE);
		if (t != NULL)
			sched_run(self, t);
	}
}

/* ---- creation and exit ---- */

/* Where a new thread starts: it holds its lock, taken by sched_run. */
static void thread_trampoline(void)
{
	struct thread *t = this_hart()->current;

	spin_unlock(&t->lock);
	arch_irq_enable();
	t->fn(t->arg);
	thread_exit();
}

struct thread *thread_create(void (*fn)(void *), void *arg, const char *name, int affinity)
{
	return thread_create_proc(fn, arg, name, affinity, NULL, NULL);
}

struct thread *thread_create_proc(void (*fn)(void *), void *arg, const char *name, int affinity,
				  struct proc *p, const struct user_frame *uf)
{
	struct thread *t = kzalloc(sizeof(*t));
	uintptr_t top;
	int hart;

	assert(affinity == THREAD_ANY_HART || (affinity >= 0 && affinity < nharts));
	if (t == NULL)
		return NULL;
	t->kstack = kstack_alloc();
	if (t->kstack == NULL) {
		kfree(t);
		return NULL;
	}
	spin_init(&t->lock, "thread");
	waitq_init(&t->exited, "thread_exit");
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	t->name = name;
	t->fn = fn;
	t->arg = arg;
	t->affinity = affinity;
	t->proc = p;
	/* The user frame sits at the very top; the kernel stack grows below it. */
	top = t->kstack->top;
	t->uframe = (struct user_frame *)(top - sizeof(struct user_frame));
	if (uf != NULL)
		*t->uframe = *uf;
	arch_context_init(&t->ctx, (uintptr_t)t->uframe, thread_trampoline);
	hart = affinity != THREAD_ANY_HART ? affinity : hart_local_index();
	spin_lock(&t->lock);
	t->hart = hart;
	t->state = THREAD_RUNNABLE;
	sched_enqueue(t);
	spin_unlock(&t->lock);
	return t;
}

void thread_exit(void)
{
	struct thread *t = thread_current();

	assert(t != NULL);
	spin_lock(&t->lock);
	t->state = THREAD_EXITED;
	/* Joiners check state under t->lock, then sleep on t->exited. */
	waitq_wake_all(&t->exited);
	sched_switch_out(t);
	panic("thread %d ran after it exited", t->tid);
}

void thread_join(struct thread *t)
{
	spin_lock(&t->lock);
	while (t->state != THREAD_EXITED)
		waitq_sleep(&t->exited, &t->lock);
	/* Holding t->lock means its switch out of the hart is complete. */
	spin_unlock(&t->lock);
	kstack_free(t->kstack);
	kfree(t);
}

void thread_set_affinity(int hart)
{
	struct thread *t = thread_current();

	assert(t != NULL && (hart == THREAD_ANY_HART || (hart >= 0 && hart < nharts)));
	spin_lock(&t->lock);
	t->affinity = hart;
	spin_unlock(&t->lock);
	/* Re-queued by the yield, on the pinned hart if this is not it. */
	if (hart != THREAD_ANY_HART && hart != hart_local_index()) {
		spin_lock(&t->lock);
		t->state = THREAD_RUNNABLE;
		sched_enqueue(t); /* which queues it on its pinned hart */
		sched_switch_out(t);
		spin_unlock(&t->lock);
	}
}
