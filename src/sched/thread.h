/*
 * thread.h: kernel threads and the per-hart scheduler.
 *
 * A thread owns a kernel stack, its saved registers and its scheduling
 * state. A thread of a process (t->proc) also runs in U-mode: its user
 * registers live in t->uframe, at the top of its kernel stack.
 *
 * Locking, written next to the data in struct thread:
 *  - t->lock guards state, hart, sleeping_on and the switch itself: a thread
 *    holds its own lock across arch_switch() into its hart's scheduler,
 *    and a scheduler holds it across the switch into the thread, so no
 *    other hart can start running a thread whose registers are not saved
 *    yet. Lock order: a wait queue's condition lock, then t->lock, then a
 *    wait queue's or run queue's lock.
 *  - fields set at creation (fn, arg, name, tid, stack, affinity) are
 *    read-only while the thread exists.
 */
#ifndef KINE_SCHED_THREAD_H
#define KINE_SCHED_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/switch.h"
#include "src/arch/riscv/user.h"
#include "src/sched/hart.h"
#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"

struct kstack;
struct proc;

enum thread_state {
	THREAD_RUNNABLE, /* on a run queue */
	THREAD_RUNNING,  /* on a hart */
	THREAD_SLEEPING, /* on a wait queue */
	THREAD_EXITED,   /* finished; thread_join frees it */
};

/* Run anywhere (the default), or only on the hart with this index. */
#define THREAD_ANY_HART (-1)

struct thread {
	struct arch_context ctx; /* guarded by lock (saved while switched out) */
	struct spinlock lock;
	enum thread_state state;   /* guarded by lock */
	int hart;                  /* guarded by lock: the hart it runs or is queued on */
	bool irq_were_enabled;     /* this thread's hart interrupt state across a switch */
	struct thread *runq_next;  /* guarded by the run queue's lock */
	struct thread *wait_next;  /* guarded by the wait queue's lock */
	uint64_t wait_gen;         /* guarded by the wait queue's lock */
	struct waitq *sleeping_on; /* guarded by lock: the queue it sleeps on */
	uint64_t sleeps;           /* guarded by lock: sleeps begun (waitq_sleep) */
	uint64_t wait_sleep;       /* guarded by the wait queue's lock: sleeps when queued */

	int tid;
	const char *name;
	int affinity; /* THREAD_ANY_HART or a hart index; changed only under lock */
	void (*fn)(void *);
	void *arg;
	struct kstack *kstack; /* its kernel stack, above a guard (src/mm/kstack.h) */

	struct waitq exited;       /* thread_join sleeps here */
	struct proc *proc;         /* the process it belongs to; NULL for a kernel thread */
	struct user_frame *uframe; /* user registers, at the top of its stack */
	uintptr_t ustack;          /* user stack of a thread_create thread */
	int user_status;           /* guarded by proc->lock: its thread_exit status */
	bool user_exited;          /* guarded by proc->lock */
	uint64_t switches;         /* times it was switched in (this thread's only) */
};

/*
 * Create a thread that runs fn(arg) and make it runnable (on the hart
 * given by affinity, or on this hart). NULL when out of memory.
 */
struct thread *thread_create(void (*fn)(void *), void *arg, const char *name, int affinity);

/*
 * The same, for a thread of process p (runs in p's address space), whose
 * user registers start as a copy of *uf.
 */
struct thread *thread_create_proc(void (*fn)(void *), void *arg, const char *name, int affinity,
				  struct proc *p, const struct user_frame *uf);

/* Wait until t has exited, then free it. */
void thread_join(struct thread *t);

/* End the calling thread (returning from fn does the same). */
void thread_exit(void) __attribute__((noreturn));

/* Give up the hart to other runnable threads. */
void thread_yield(void);

/* The thread running on this hart, or NULL in the scheduler. */
static inline struct thread *thread_current(void)
{
	/*
	 * Interrupts off between finding the hart and reading its current
	 * thread, or a preemption in between could move us and we would read
	 * another hart's. The bare save and restore, not hart_irq_push_off: nothing
	 * nests inside, and every trap asks this (inline for the same reason).
	 */
	bool was_enabled = arch_irq_save();
	struct thread *t = this_hart()->current;

	arch_irq_restore(was_enabled);
	return t;
}

/* Pin the calling thread to a hart (THREAD_ANY_HART to unpin); moves it there. */
void thread_set_affinity(int hart);

/*
 * Make t runnable if it still sleeps the sleep numbered `sleep` (t->sleeps
 * when it was queued), and only then: a waker that took t off a queue may
 * come late, after an interrupt already woke t and t went to sleep again,
 * perhaps on another queue; that newer sleep is not the waker's to end.
 */
void thread_wake(struct thread *t, uint64_t sleep);

/*
 * Wake t if it sleeps, taking it off its wait queue: its sleep loop then
 * finds why (a kill) and gives up.
 */
void thread_interrupt(struct thread *t);

/*
 * The wait queue side of sleeping: with t->lock held and state set to
 * THREAD_SLEEPING by the caller, switch to the scheduler. Returns with
 * t->lock held once the thread runs again.
 */
void thread_sleep_locked(struct thread *t);

/* The bounds of the stack this hart runs on (a thread's, or its boot stack). */
void thread_current_stack(uintptr_t *lo, uintptr_t *hi);

/* Each hart's scheduler loop: run threads, steal when idle, wfi. */
void scheduler(void) __attribute__((noreturn));

/* On a timer tick or a reschedule IPI: yield if a thread runs here. */
void thread_preempt(void);

#endif
