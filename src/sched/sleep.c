/*
 * sleep.c: ticks and timed sleep.
 *
 * Hart 0's timer interrupt counts ticks under ticks_lock and wakes every
 * sleeper, which checks whether its time has come (xv6's scheme: simple,
 * and cheap while few threads sleep).
 */
#include "src/sched/sleep.h"

#include <stddef.h>

#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"
#include "user/include/kine/errno.h"

static struct spinlock ticks_lock = SPINLOCK_INIT("ticks");
static uint64_t ticks; /* guarded by ticks_lock */
static struct waitq ticks_wait = WAITQ_INIT("ticks_wait");

void sleep_tick(void)
{
	if (hart_local_index() != 0)
		return;
	spin_lock(&ticks_lock);
	ticks++;
	waitq_wake_all(&ticks_wait);
	spin_unlock(&ticks_lock);
}

uint64_t sleep_tick_count(void)
{
	uint64_t t;

	spin_lock(&ticks_lock);
	t = ticks;
	spin_unlock(&ticks_lock);
	return t;
}

int sleep_ticks(uint64_t n, const bool *killed)
{
	uint64_t start;
	int ret = 0;

	spin_lock(&ticks_lock);
	start = ticks;
	while (ticks - start < n) {
		if (killed != NULL && __atomic_load_n(killed, __ATOMIC_ACQUIRE)) {
			ret = -EINTR;
			break;
		}
		waitq_sleep(&ticks_wait, &ticks_lock);
	}
	spin_unlock(&ticks_lock);
	return ret;
}
