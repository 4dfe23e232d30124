/*
 * lockcheck.c: the lock-order table and the per-hart lists of held
 * spinlocks behind the checks of lockcheck.h.
 *
 * held[h] belongs to hart h: written only by it, with interrupts off.
 * Locks are not always released in the reverse order of acquisition
 * (waitq_sleep lets the condition lock go before its thread lock), so a
 * release removes its entry from wherever it is.
 *
 * The order: a hart holding a lock of rank r may take a lock of rank r or
 * higher, never lower. Classes not in the table are not checked.
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
 * Declared classes, outermost first (docs/sched.md, "Locking rules"): a
 * thread's lock before any run queue's lock, and the console's lock
 * innermost (kprintf may be called holding anything).
 */
static const char *const lock_order[] = {
    "thread",
    "runq",
    "console",
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
	for (size_t i = 0; i < sizeof(lock_order) / sizeof(lock_order[0]); i++)
		if (strcmp(lock_order[i], name) == 0)
			return (int)i + 1;
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

	if (c->rank != 0)
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

	irq_push_off();
	l = &held[this_hart()->index];
	if (l->n > allowed)
		fail(l, "%s while holding spinlock '%s'", what, l->locks[l->n - 1].cls->name,
		     (uintptr_t)__builtin_return_address(0));
	irq_pop_off();
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
