/*
 * lockcheck.c: the lock-order table and the per-hart lists of held
 * spinlocks behind the checks of lockcheck.h.
 *
 * held[h] belongs to hart h: written only by it, with interrupts off.
 * Locks are not always released in the reverse order of acquisition
 * (waitq_sleep lets the condition lock go before its thread lock), so a
 * release removes its entry from wherever it is.
 *
 * The order: every lock class of kine has a rank in lock_ranks below
 * (docs/lockstat.md mirrors it, with what each class guards, and
 * //test:lock_ranks_test checks that the two tables and the classes the
 * sources define agree). A hart holding a lock of rank r may take a lock of
 * rank r or higher, never lower: equal ranks may nest (a thread lock while
 * holding another, as thread_exit wakes its joiner), and classes that never
 * meet share a rank. A lock of a class with no rank is itself an error,
 * reported at its first acquisition, so that a new class cannot escape the
 * order by being forgotten. Spinlocks are checked in every image; bit locks
 * ("pte") and the frame caches' lock words in the debug image
 * (KINE_LOCKCHECK_ALL), where lockcheck sees them too.
 */
#include "src/sync/lockcheck.h"

#include <stddef.h>

#include "src/arch/riscv/cpu.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/lib/string.h"
#include "src/sched/hart.h"
#include "src/sync/lockstat.h"

/*
 * Outermost first. How each rank was found: the nesting of every
 * acquisition site (who takes what while holding what), read in the code
 * and confirmed by the debug image recording each (held, taken) pair it met
 * across the QEMU tests; docs/lockstat.md, "The lock order", says per class
 * which pair puts it where. Gaps of ten leave room for a new class.
 */
static const struct lock_rank {
	const char *name;
	int rank;
} lock_ranks[] = {
    /* Self-tests' own locks, taken holding nothing (src/kernel/selftest*.c). */
    {"bench_uncontended", 10},
    {"hammer", 10},
    {"hammer_private", 10},
    {"pingpong", 10}, /* the condition lock of pingpong_wait */
    {"selftest", 10}, /* a spinlock, and a sleep lock's inner lock */
    {"selftest_bits", 10},
    {"selftest_mailbox", 10},
    {"selftest_sleep", 10},
    {"selftest_spin", 10},
    {"selftest_unheld", 10},
    /* Processes: the table, then one process (proc_end_others, proc_snapshot). */
    {"proc_table", 20},
    {"proc", 30},
    /* Condition locks of wait queues, and the file locks: before thread. */
    {"console_input", 40},
    {"fdtable", 40},
    {"file", 40},
    {"pipe", 40},
    {"ticks", 40},
    /* Address spaces: the audit's list, one mm, then one of its tables. */
    {"mm_audit", 50},
    {"mm", 60},
    {"pte", 70},
    /* Scheduling: a thread, then a wait queue's or run queue's lock. */
    {"thread", 80},
    {"child_exit", 90},
    {"console_input_wait", 90},
    {"pingpong_wait", 90},
    {"pipe_readable", 90},
    {"pipe_writable", 90},
    {"reaper", 90},
    {"sleeplock_waiters", 90},
    {"thread_done", 90},
    {"thread_exit", 90},
    {"ticks_wait", 90},
    {"runq", 100},
    /* Switching to an address space (under its thread's lock). */
    {"asid", 110},
    {"tlb_shadow", 120},
    /* Memory allocators, innermost but for the console: anyone may allocate. */
    {"kstack", 130},
    {"slab", 140},
    {"pt_run", 150},
    {"frame_cache", 160},
    {"buddy", 170},
    /* kprintf may be called holding anything. */
    {"console", 180},
};

#define HELD_MAX 16

struct held_lock {
	const void *lock;
	const struct lock_class *cls;
	uintptr_t pc;
};

static struct held_list {
	int n;
	struct held_lock locks[HELD_MAX];
} held[MAX_HARTS];

int lockcheck_rank(const char *name)
{
	for (size_t i = 0; i < sizeof(lock_ranks) / sizeof(lock_ranks[0]); i++)
		if (strcmp(lock_ranks[i].name, name) == 0)
			return lock_ranks[i].rank;
	return 0;
}

/* Print what this hart holds (symbolizable: ra=0x...). */
static void print_held(const struct held_list *l)
{
	for (int i = 0; i < l->n; i++)
		kprintf("kine: lockcheck: holding '%s' taken at ra=%#lx\n", l->locks[i].cls->name,
			(unsigned long)l->locks[i].pc);
}

static __attribute__((noreturn)) void fail(const struct held_list *l, const char *fmt,
					   const char *a, const char *b, uintptr_t pc)
{
	panic_begin();
	kprintf("kine: panic: hart %u: lockcheck: ", this_hart()->hartid);
	kprintf(fmt, a, b);
	kprintf(" at ra=%#lx\n", (unsigned long)pc);
	if (l != NULL)
		print_held(l);
	panic_end(0, arch_frame_pointer());
}

void lockcheck_acquire(const void *lock, const struct lock_class *c, uintptr_t pc)
{
	struct held_list *l = &held[this_hart()->index];

	if (c->rank == 0)
		fail(l, "lock class '%s' has no rank (add it to %s's lock_ranks)", c->name,
		     "src/sync/lockcheck.c", pc);
	for (int i = 0; i < l->n; i++)
		if (l->locks[i].cls->rank > c->rank)
			fail(l, "lock order: '%s' taken while holding '%s'", c->name,
			     l->locks[i].cls->name, pc);
	if (l->n == HELD_MAX)
		fail(l, "more than %s locks held, taking '%s'", "16", c->name, pc);
	l->locks[l->n++] = (struct held_lock){.lock = lock, .cls = c, .pc = pc};
}

void lockcheck_release(const void *lock)
{
	struct held_list *l = &held[this_hart()->index];

	for (int i = l->n - 1; i >= 0; i--) {
		if (l->locks[i].lock != lock)
			continue;
		for (int j = i; j + 1 < l->n; j++)
			l->locks[j] = l->locks[j + 1];
		l->n--;
		return;
	}
}

void lockcheck_may_sleep(const char *what, int allowed)
{
	struct held_list *l;

	hart_irq_push_off();
	l = &held[this_hart()->index];
	if (l->n > allowed)
		fail(l, "%s while holding spinlock '%s'", what, l->locks[l->n - 1].cls->name,
		     (uintptr_t)__builtin_return_address(0));
	hart_irq_pop_off();
}

void lockcheck_fail_unheld(const char *name, const struct hart *owner, uintptr_t pc)
{
	panic_begin();
	kprintf("kine: panic: hart %u: lockcheck: release of lock '%s' that this hart does not "
		"hold (%s) at ra=%#lx\n",
		this_hart()->hartid, name, owner == NULL ? "it is free" : "another hart holds it",
		(unsigned long)pc);
	print_held(&held[this_hart()->index]);
	panic_end(0, arch_frame_pointer());
}
