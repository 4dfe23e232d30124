/*
 * cow.h: the user page fault and the copy-on-write fault (cow.c,
 * docs/cow.md).
 */
#ifndef KINE_MM_COW_H
#define KINE_MM_COW_H

#include <stdbool.h>
#include <stdint.h>

#include "src/arch/riscv/pte.h"
#include "src/mm/mm.h"

enum cow_access { COW_ACCESS_READ, COW_ACCESS_WRITE, COW_ACCESS_EXEC };

/*
 * A user access faulted at va (a page fault of a thread of mm, or
 * copyin/copyout's). Under va's table lock alone (ptlock.h), once the PTE
 * is not busy (mm.h): if it now allows the access (another thread's COW
 * fault was installing it, or a hart faulted on a clear A), 0 to retry; a
 * write to a COW page is resolved; a link fork left dormant is woken, or
 * for a write the table made mm's own, under the table's lock alone
 * (ptshare_fault); anything else is
 * -EFAULT. -ENOMEM if a COW copy or a table's copy found no frame. 0 may
 * also mean "another thread changed the page meanwhile: retry". A megapage
 * leaf (megapage.h) is resolved under mm->lock instead: made writable whole
 * for its only owner, or split, and the 4 KiB fault goes on in its table.
 */
int cow_user_fault(struct mm *mm, uintptr_t va, enum cow_access access);

/* cow_pte_settled's wait for a busy PTE (out of line: rare). */
pte_t cow_pte_settle_wait(pte_t *pte);

/*
 * The PTE at pte (its table locked, ptlock.h) once it is not busy: waits,
 * lock held, for the copy that owns a busy one to install. Inline: every
 * fault reads its PTE through this.
 */
static inline pte_t cow_pte_settled(pte_t *pte)
{
	pte_t e = __atomic_load_n(pte, __ATOMIC_ACQUIRE);

	return mm_pte_busy(e) ? cow_pte_settle_wait(pte) : e;
}

/* Copy-on-write counters (per hart, summed by cow_stats_read; see docs/cow.md). */
struct cow_stats {
	uint64_t faults;     /* write faults on a COW page: copies + reuses (summed when read) */
	uint64_t copies;     /* resolved by copying the frame */
	uint64_t reuses;     /* resolved in place: this process was the last owner */
	uint64_t overlaps;   /* races met: resolved by another thread meanwhile, or the
			    * frame copied or released by another sharer during the copy */
	uint64_t last_frees; /* old frames a copy's drop freed: the other sharers were gone */
	uint64_t busy_waits; /* faults and copies that waited for another fault's busy PTE */
	uint64_t untouched;  /* copies of a page no hart had accessed since fork: no flush */
	uint64_t fork_waits; /* copies that waited for a fork of their mm to finish its shootdown */
};

/* The COW counters, every hart's summed (a snapshot). */
void cow_stats_read(struct cow_stats *out);

/*
 * The faultlock=mm baseline (boot option; off by default): every fault
 * also takes the bare mm->lock around its table lock, as all faults did
 * before tables had locks, to measure the split locks against.
 */
extern bool cow_fault_serialized;

/*
 * Fault injection, the debug image only (boot option ptlock=noforkwait): a
 * COW copy does not wait for a pending fork's shootdown (cow.c), the broken
 * protocol the TLB shadow's copy check must catch.
 */
extern bool cow_skip_fork_wait;

#endif
