/*
 * cow.h: the user page fault and the copy-on-write fault (cow.c,
 * docs/cow.md).
 */
#ifndef KINE_MM_COW_H
#define KINE_MM_COW_H

#include <stdint.h>

#include "src/mm/vm.h"

/*
 * A write to user address va found no writable page: resolve it if the
 * page is copy-on-write (0; -ENOMEM if no frame is left for the copy),
 * else -EFAULT. Call with mm->lock held; it comes back released (a copy
 * drops it while it allocates and copies, and again for its shootdown),
 * so the caller must lock and look the page up again afterwards (0 may
 * also mean "another thread changed the page meanwhile: retry").
 */
int vm_fault_write(struct mm *mm, uintptr_t va);

enum vm_access { VM_ACCESS_READ, VM_ACCESS_WRITE, VM_ACCESS_EXEC };

/*
 * A user access faulted at va. Under mm->lock, once the page is not busy
 * (vm.h): if it now allows the access (another thread's COW fault was
 * installing it), 0 to retry; a write to a COW page is resolved
 * (vm_fault_write); anything else is -EFAULT. -ENOMEM if a COW copy found
 * no frame.
 */
int vm_user_fault(struct mm *mm, uintptr_t va, enum vm_access access);

#endif
