/*
 * uaccess.c: copyin, copyout, copyinstr (see uaccess.h).
 *
 * The copy goes page by page under mm->lock (mm_lock), which keeps each
 * page mapped while it is copied (the direct-map pointer stays valid).
 * copyout breaks copy-on-write through the write fault (cow.c).
 */
#include "src/mm/uaccess.h"

#include "src/kernel/kernel.h"
#include "src/mm/cow.h"
#include "user/include/kine/errno.h"

static size_t chunk(uintptr_t va, size_t left)
{
	size_t in_page = PAGE_SIZE - (va % PAGE_SIZE);

	return left < in_page ? left : in_page;
}

int copyin(struct mm *mm, void *dst, uintptr_t usrc, size_t n)
{
	uint8_t *d = dst;

	if (usrc + n < usrc)
		return -EFAULT;
	mm_lock(mm);
	while (n > 0) {
		size_t c = chunk(usrc, n);
		const uint8_t *page = mm_user_page(mm, PAGE_ALIGN_DOWN(usrc), false);

		if (page == NULL) {
			mm_unlock(mm);
			return -EFAULT;
		}
		memcpy(d, page + usrc % PAGE_SIZE, c);
		d += c;
		usrc += c;
		n -= c;
	}
	mm_unlock(mm);
	return 0;
}

int copyout(struct mm *mm, uintptr_t udst, const void *src, size_t n)
{
	const uint8_t *s = src;

	if (udst + n < udst)
		return -EFAULT;
	mm_lock(mm);
	while (n > 0) {
		size_t c = chunk(udst, n);
		uint8_t *page = mm_user_page(mm, PAGE_ALIGN_DOWN(udst), true);

		/*
		 * vm_fault_write lets the lock go. 0 without a writable page
		 * after it: another thread changed the page meanwhile; look again.
		 */
		while (page == NULL) {
			int err = vm_fault_write(mm, udst);

			if (err != 0)
				return -EFAULT; /* -ENOMEM too: the call cannot write there */
			mm_lock(mm);
			page = mm_user_page(mm, PAGE_ALIGN_DOWN(udst), true);
		}
		memcpy(page + udst % PAGE_SIZE, s, c);
		s += c;
		udst += c;
		n -= c;
	}
	mm_unlock(mm);
	return 0;
}

long copyinstr(struct mm *mm, char *dst, uintptr_t usrc, size_t max)
{
	size_t len = 0;
	long ret = -E2BIG;

	mm_lock(mm);
	while (len < max && ret == -E2BIG) {
		uintptr_t va = usrc + len;
		size_t c = chunk(va, max - len);
		const char *page = mm_user_page(mm, PAGE_ALIGN_DOWN(va), false);

		if (page == NULL) {
			ret = -EFAULT;
			break;
		}
		/* Scan for the NUL, then copy what it ends (memcpy goes by words). */
		size_t n = strnlen(page + va % PAGE_SIZE, c);

		memcpy(dst + len, page + va % PAGE_SIZE, n < c ? n + 1 : c);
		len += n;
		if (n < c)
			ret = (long)len;
	}
	mm_unlock(mm);
	return ret;
}
