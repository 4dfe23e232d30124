/*
 * mm_shim.c: the host's spinlocks, hart_local and checks for src/mm (see
 * mm_shim.h). The lock word is owner, a per-thread token set by
 * compare-and-swap, so spin_holding() answers for this thread alone.
 */
#include "test/host/mm_shim.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/base/check.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"

/* A death test's child exits with this after reporting to the parent. */
#define DEATH_EXIT 86

static __thread int this_hart_index;
static __thread int hart_local_depth;
static __thread long owner_token; /* its address identifies this thread */
static int death_fd = -1;         /* in a shim_death child: the pipe to the parent */

void shim_set_hart(int index)
{
	if (index < 0 || index >= HART_LOCAL_MAX)
		abort();
	this_hart_index = index;
}

int hart_local_begin(void)
{
	hart_local_depth++;
	return this_hart_index;
}

void hart_local_end(void)
{
	if (--hart_local_depth < 0)
		check_failed("hart_local_end without begin", __FILE__, __LINE__);
}

int hart_local_index(void)
{
	return this_hart_index;
}

static struct hart *me(void)
{
	return (struct hart *)(void *)&owner_token;
}

void spin_init(struct spinlock *lk, const char *name)
{
	lk->name = name;
	__atomic_store_n(&lk->owner, NULL, __ATOMIC_RELAXED);
}

bool spin_holding(const struct spinlock *lk)
{
	return __atomic_load_n(&lk->owner, __ATOMIC_RELAXED) == me();
}

void spin_lock(struct spinlock *lk)
{
	if (spin_holding(lk))
		fatal("spin_lock: this thread already holds '%s'", lk->name);
	for (;;) {
		struct hart *none = NULL;

		if (__atomic_compare_exchange_n(&lk->owner, &none, me(), false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		for (int spins = 0; __atomic_load_n(&lk->owner, __ATOMIC_RELAXED) != NULL; spins++)
			if (spins > 100)
				sched_yield();
	}
}

/* A host thread that waits for a lock may be waiting for one that is preempted: yield. */
void spin_wait_once(void)
{
	sched_yield();
}

void spin_unlock(struct spinlock *lk)
{
	if (!spin_holding(lk))
		fatal("spin_unlock: this thread does not hold '%s'", lk->name);
	__atomic_store_n(&lk->owner, NULL, __ATOMIC_RELEASE);
}

static __attribute__((noreturn)) void die(const char *msg)
{
	if (death_fd >= 0) {
		ssize_t unused = write(death_fd, msg, strlen(msg));

		(void)unused;
		_exit(DEATH_EXIT);
	}
	fprintf(stderr, "%s\n", msg);
	abort();
}

void check_failed(const char *expr, const char *file, int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "check failed: %s (%s:%d)", expr, file, line);
	die(msg);
}

void fatal(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die(msg);
}

bool shim_death(void (*fn)(void *), void *arg, char *msg, size_t len)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	fflush(NULL);
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		abort();
	if (pid == 0) {
		close(fds[0]);
		death_fd = fds[1];
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], msg, len - 1);
	msg[n > 0 ? n : 0] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == DEATH_EXIT)
		return true;
	snprintf(msg, len, "child ended with status %#x, not through fatal/check_failed", status);
	return false;
}

static void *arena;

void shim_arena(struct physmem *pm, paddr_t base, uint64_t size,
		const struct physmem_range *reserved, int nreserved)
{
	struct physmem_range ram = {base, size};
	char err[128];

	free(arena);
	arena = aligned_alloc(PAGE_SIZE, size);
	if (arena == NULL)
		abort();
	memset(arena, 0x5a, size); /* garbage, as RAM would hold */
	phys_map_offset = (uintptr_t)arena - base;
	if (physmem_init(pm, &ram, 1, reserved, nreserved, err, sizeof(err)) != 0) {
		fprintf(stderr, "shim_arena: %s\n", err);
		abort();
	}
}
