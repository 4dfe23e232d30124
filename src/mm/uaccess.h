/*
 * uaccess.h: copying between the kernel and a user address space.
 *
 * Every user pointer and length a system call gets goes through these.
 * They check each page in the process's page table (mapped, user, readable
 * or writable as needed) and copy through the kernel's direct map, so a
 * bad pointer is an -EFAULT return, never a kernel fault. A page that does
 * not allow the access goes through cow_user_fault() (cow.h), the path a
 * user access takes, so copyout breaks copy-on-write for free. Each page is
 * copied under its level-0 table's lock alone (ptlock.h), not mm->lock.
 */
#ifndef KINE_MM_UACCESS_H
#define KINE_MM_UACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "src/mm/mm.h"

/* 0, or -EFAULT if any byte of the user range is not readable. */
int copyin(struct mm *mm, void *dst, uintptr_t usrc, size_t n);

/* 0, or -EFAULT if any byte of the user range is not writable. */
int copyout(struct mm *mm, uintptr_t udst, const void *src, size_t n);

/*
 * Copy a NUL-terminated string of at most max bytes (NUL included):
 * its length, -EFAULT, or -E2BIG when no NUL comes within max bytes.
 */
long copyinstr(struct mm *mm, char *dst, uintptr_t usrc, size_t max);

#endif
