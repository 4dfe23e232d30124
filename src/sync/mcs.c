/*
 * mcs.c: the queued lock of mcs.h, and the per-hart pools of queue nodes.
 *
 * Each hart owns MCS_NODES nodes and a bitmap of the ones in use. Only the
 * hart itself changes its bitmap, with interrupts off (spin_lock turns them
 * off before it calls in here), so the bitmap needs no lock. A node is in
 * use from mcs_acquire until the holder's release has handed the lock on.
 *
 * Every spin-wait loop (waiting for our turn, and a releaser waiting for
 * a newly arrived successor to link itself in) goes through
 * spin_wait_once(), which runs spin_wait_hook.
 */
#include "src/sync/mcs.h"

#include <stddef.h>

#include "src/base/panic.h"
#include "src/sched/hart.h"
#include "src/sync/spinlock.h"

/* One node per lock a hart holds or waits for at once. */
#define MCS_NODES 16

static struct mcs_pool {
	struct mcs_node nodes[MCS_NODES];
	uint32_t used; /* bitmap; only this hart, interrupts off */
} pools[MAX_HARTS];

static struct mcs_node *mcs_node_get(void)
{
	struct mcs_pool *p = &pools[this_hart()->index];

	for (int i = 0; i < MCS_NODES; i++)
		if (!(p->used & (1u << i))) {
			p->used |= 1u << i;
			return &p->nodes[i];
		}
	panic("mcs: hart %u holds more than %d locks", this_hart()->hartid, MCS_NODES);
}

static void mcs_node_put(struct mcs_node *n)
{
	struct mcs_pool *p = &pools[this_hart()->index];

	p->used &= ~(1u << (n - p->nodes));
}

bool mcs_acquire(struct mcs_lock *l)
{
	struct mcs_node *me = mcs_node_get(), *prev;

	me->next = NULL;
	me->locked = 1;
	me->parked = 0;
	me->hart = this_hart()->index;
	/* Release: our node's fields are set before a successor can see it. */
	prev = __atomic_exchange_n(&l->tail, me, __ATOMIC_ACQ_REL);
	if (prev != NULL) {
		__atomic_store_n(&prev->next, me, __ATOMIC_RELEASE);
		for (int turns = 0; __atomic_load_n(&me->locked, __ATOMIC_ACQUIRE) != 0; turns++) {
			if (turns >= SPIN_PARK_AFTER) {
				__atomic_store_n(&me->parked, 1, __ATOMIC_SEQ_CST);
				if (__atomic_load_n(&me->locked, __ATOMIC_SEQ_CST) != 0)
					spin_park();
				__atomic_store_n(&me->parked, 0, __ATOMIC_RELAXED);
			}
			spin_wait_once();
		}
	}
	l->holder = me;
	return prev != NULL;
}

void mcs_release(struct mcs_lock *l)
{
	struct mcs_node *me = l->holder, *next = __atomic_load_n(&me->next, __ATOMIC_ACQUIRE);
	int hart;

	if (next == NULL) {
		struct mcs_node *expect = me;

		/* No one behind us: the lock becomes free, unless someone just arrived. */
		if (__atomic_compare_exchange_n(&l->tail, &expect, NULL, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			mcs_node_put(me);
			return;
		}
		/* A successor swapped itself in; wait until it links to us. */
		while ((next = __atomic_load_n(&me->next, __ATOMIC_ACQUIRE)) == NULL)
			spin_wait_once();
	}
	/* next may be reused once locked is 0 (a stale parked only costs a spurious kick). */
	hart = next->hart;
	__atomic_store_n(&next->locked, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&next->parked, __ATOMIC_SEQ_CST))
		spin_kick(hart);
	mcs_node_put(me);
}
