/*
 * settle.c: the settled free-frame count, the number every leak check in
 * kine's tests compares (memstat with settle: the per-hart caches and the
 * slab's spare pages emptied first; src/mm/memstat.h).
 */
#include "kine/user.h"

uint64_t settled_free(void)
{
	struct kine_memstat st;

	memstat(&st, 1);
	return st.free;
}

/*
 * The settled count once it equals want, or after about 4 s of asking:
 * processes a test killed or orphaned are reaped by the kernel a moment
 * after the test saw them go.
 */
uint64_t settled_free_like(uint64_t want)
{
	uint64_t now = settled_free();

	for (int i = 0; i < 200 && now != want; i++) {
		sleep(2);
		now = settled_free();
	}
	return now;
}
