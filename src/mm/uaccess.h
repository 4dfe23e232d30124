/*
 * uaccess.h: copying between the kernel and a user address space.
 *
 * Every user pointer and length a system call gets goes through these.
 * They check each page in the process's page table (mapped, user, readable
 * or writable as needed) and copy through the kernel's direct map, so a
 * bad pointer is an -EFAULT return, never a kernel fault. copyout resolves
 * a page that is not writable through vm_fault_write() (uaccess.c), the
 * same path a user store takes: the copy-on-write issue makes that path
 * break COW, and copyout follows it for free.
 */
#ifndef KINE_MM_UACCESS_H
#define KINE_MM_UACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "src/mm/vm.h"

/* 0, or -EFAULT if any byte of the user range is not readable. */
int copyin(struct mm *mm, void *dst, uintptr_t usrc, size_t n);

/* 0, or -EFAULT if any byte of the user range is not writable. */
int copyout(struct mm *mm, uintptr_t udst, const void *src, size_t n);

/*
 * Copy a NUL-terminated string of at most max bytes (NUL included):
 * its length, -EFAULT, or -E2BIG when no NUL comes within max bytes.
 */
long copyinstr(struct mm *mm, char *dst, uintptr_t usrc, size_t max);

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
 * installing it), 0 to retry; a
 * write to a COW page is resolved (vm_fault_write); anything else is
 * -EFAULT. -ENOMEM if a COW copy found no frame.
 */
int vm_user_fault(struct mm *mm, uintptr_t va, enum vm_access access);

#endif
