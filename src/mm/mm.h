/*
 * mm.h: user address spaces.
 *
 * A struct mm is one process's address space: an Sv39 page table whose
 * upper half is the kernel's (the root's entries 256..511 are copied from
 * the kernel's root at creation and never change: they point at the
 * kernel's own, shared lower-level tables), and whose lower half holds the
 * program's mappings, all with PTE_U.
 *
 * mm->lock serializes the changes of the address space's layout (mmap,
 * munmap, mprotect, sbrk, fork, exec, exit) and guards the mm's fields and
 * its megapage leaves (megapage.h); take it with mm_lock(). Page faults do
 * not take it, but for the rare fault on a megapage: a fault locks the
 * level-0 table of its PTE alone (ptlock.h), and a layout change locks
 * each table whose leaves or link it changes, after mm->lock. A COW copy
 * makes its PTE busy (mm_pte_busy) under the table's lock, then lets the
 * lock go while it shoots the old translation down and installs the copy,
 * so that the other faults in the table do not wait for its remote fence.
 * A busy PTE belongs to that fault alone: a layout change waits until its
 * table has none (ptlock_lock_quiet), and a fault that meets one waits
 * for that PTE (cow.c). The owner never needs a lock to finish, so waiting
 * with a lock held cannot deadlock.
 */
#ifndef KINE_MM_MM_H
#define KINE_MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/arch/riscv/pte.h"
#include "src/mm/phys.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"

/* The user half of Sv39 and where each program's stack goes. */
#define USER_END        0x4000000000ul         /* first address above user space */
#define USER_STACK_TOP  (USER_END - PAGE_SIZE) /* the top page stays unmapped */
#define USER_STACK_SIZE (64ul * 1024)
#define USER_MMAP_BASE  0x2000000000ul /* mmap regions grow up from here; the heap stays below */

/* A user page shared across fork (MAP_SHARED): the PTE's free software bit. */
#define VM_PTE_SHARED PTE_SW1

/* Permissions for mm_map_anon (ORed). */
#define VM_READ  1u
#define VM_WRITE 2u
#define VM_EXEC  4u

struct mm {
	struct spinlock lock;
	paddr_t root;        /* fixed; its user half's layout guarded by lock, leaves by ptlock.h */
	uintptr_t brk;       /* guarded by lock: end of the heap (sbrk) */
	uintptr_t brk_base;  /* guarded by lock: where the heap starts; sbrk never goes below */
	uintptr_t mmap_next; /* guarded by lock: where the next mmap region goes */
	uint64_t id;         /* unique, never reused (the debug TLB shadow's key) */
	uint64_t context;    /* atomic: ASID and generation (src/mm/asid.c), 0 before the first */
	uint64_t harts;      /* atomic: harts that may cache its translations (src/mm/tlb.c) */
	uint64_t active;     /* atomic: harts whose satp holds its table now (src/mm/tlb.c) */
	uint64_t tlb_gen;    /* atomic: shootdowns begun (also the debug TLB shadow's clock) */
	/*
	 * tlb_seen[h]: the tlb_gen whose PTE changes hart h's TLB is known to
	 * include (src/mm/tlb.c); read and written only by hart h.
	 */
	uint64_t tlb_seen[HART_LOCAL_MAX];
	uint64_t tlb_done; /* debug TLB shadow: the highest shootdown whose shadow update is done */
	/*
	 * The debug TLB shadow: the first shootdown number that covers the
	 * leaves a fork of this mm last took W from (0: none yet).
	 */
	uint64_t wp_cover;
	/*
	 * fork_pending: a fork of this mm is between its first table and the
	 * end of its shootdown (mm.c mm_copy_locked). Written by fork alone,
	 * under lock; read by COW copies (cow.c), which wait for it to clear.
	 */
	uint32_t fork_pending;
	/*
	 * audit_next: the debug image's list of live mms (ptshare.c), guarded
	 * by the audit's lock (mm_audit), which is taken before any mm->lock.
	 */
	struct mm *audit_next;
};

/*
 * A fault injection's flag, in the vm library's .c files: read in the debug
 * image (KINE_MM_CHECK) alone, where main.c may set it; false elsewhere,
 * so that the release image's fast paths test nothing.
 */
#ifdef KINE_MM_CHECK
#define VM_INJECTED(flag) (flag)
#else
#define VM_INJECTED(flag) false
#endif

/*
 * A busy PTE: the old leaf with V cleared. No hart can load it, and
 * nothing else in kine leaves a non-zero invalid PTE in a user table.
 */
static inline bool mm_pte_busy(pte_t e)
{
	return e != 0 && !(e & PTE_V);
}

/*
 * Take mm->lock for a change of mm's layout (and the debug image's walks
 * of the whole tree); mm_unlock() lets it go. Faults may still run in the
 * tables it does not lock (ptlock.h).
 */
void mm_lock(struct mm *mm);
void mm_unlock(struct mm *mm);

/* A new address space with the kernel half only; NULL when out of memory. */
struct mm *mm_create(void);

/* Unmap and free every user page and table, then the mm itself. */
void mm_destroy(struct mm *mm);

/*
 * Map [va, va + size) to fresh zeroed frames with perm (VM_*); page
 * aligned. Returns 0, -ENOMEM (nothing is left mapped by this call), or
 * -EINVAL (bad range, or W and X together), or -EEXIST.
 */
int mm_map_anon(struct mm *mm, uintptr_t va, size_t size, unsigned perm);

/*
 * The direct-map address of user address va if the page is mapped with
 * PTE_U and allows `write` (or reading); NULL otherwise. For an mm no
 * thread runs yet (exec's new image): call with mm->lock held; the result
 * is valid until it is released. (A running mm's faults may change its
 * pages without that lock: copyin and copyout lock each page's table,
 * uaccess.c.)
 */
void *mm_user_page(struct mm *mm, uintptr_t va, bool write);

/*
 * fork's copy of src: every page shared copy-on-write (or, in the
 * KINE_EAGER_FORK baseline, private pages copied). NULL when out of memory,
 * with nothing left allocated and every refcount as it was.
 */
struct mm *mm_copy(struct mm *src);

/*
 * In the debug image (KINE_MM_CHECK), run the A/D checker over mm's table
 * and panic on any problem; nothing otherwise. Call with mm->lock held.
 */
void mm_check(struct mm *mm, const char *when);

/* "copy-on-write", or "eager copy" in the KINE_EAGER_FORK baseline. */
const char *mm_fork_mode(void);

/*
 * Move the end of the heap by delta bytes (mapping or unmapping whole
 * pages; with megapages, each 2 MiB-aligned 2 MiB of a growth is only
 * reserved, for its first touch: megapage.h); returns the old end, or
 * -ENOMEM / -EINVAL. The heap may not reach the stack's guard page.
 */
long mm_sbrk(struct mm *mm, long delta);

/*
 * mmap of anonymous memory: len bytes (rounded up to pages) with perm
 * (VM_*), shared across fork if shared (private: 2 MiB reserved for their
 * first touch, as sbrk's). Returns the address, or -EINVAL / -ENOMEM.
 */
long mm_mmap(struct mm *mm, size_t len, unsigned perm, bool shared);

/*
 * Unmap every page in [va, va + len) (holes allowed). 0, -EINVAL, or
 * -ENOMEM when a table fork shared, or a megapage, at an end of the range,
 * found no page for this process's copy or split (ptshare.h, megapage.h;
 * the shared tables and megapages the range covers whole may be gone by
 * then, nothing else is unmapped).
 */
int mm_munmap(struct mm *mm, uintptr_t va, size_t len);

/*
 * Change the permissions of every page in [va, va + len). 0, -EINVAL or
 * -ENOMEM (a hole, or no page to split a megapage at an end of the range).
 */
int mm_mprotect(struct mm *mm, uintptr_t va, size_t len, unsigned perm);

/*
 * A stack for a new thread: USER_STACK_SIZE bytes in the mmap area above
 * an unmapped guard page. Returns its top (and *base), or -ENOMEM.
 */
long mm_stack_alloc(struct mm *mm, uintptr_t *base);

/* Make mm this hart's address space (the kernel's when mm is NULL). */
void mm_activate(struct mm *mm);

#endif
