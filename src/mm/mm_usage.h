/*
 * mm_usage.h: how much of an address space is resident, and how much of
 * that is shared, for ps (the procinfo system call).
 */
#ifndef KINE_MM_MM_USAGE_H
#define KINE_MM_MM_USAGE_H

#include <stdint.h>

struct mm;

/*
 * Count the user pages mapped in mm (*resident) and, of those, the ones
 * whose frame some other mapping also holds (*shared: the frame's
 * reference count is above 1), which is what fork leaves copy-on-write
 * until one side writes (and MAP_SHARED memory). Takes and releases
 * mm_lock; the caller must keep mm alive across the call. The counts are
 * exact for that moment only.
 */
void mm_usage(struct mm *mm, uint64_t *resident, uint64_t *shared);

#endif
