/*
 * uaccess.c: copyin, copyout, copyinstr (see uaccess.h).
 *
 * The copy goes page by page under mm->lock, which keeps each page mapped
 * while it is copied (the direct-map pointer stays valid).
 */
#include "src/mm/uaccess.h"

#include "src/kernel/kernel.h"
#include "user/include/kine/errno.h"

static size_t chunk(uintptr_t va, size_t left)
{
	size_t in_page = PAGE_SIZE - (va % PAGE_SIZE);

	return left < in_page ? left : in_page;
}

int vm_fault_write(struct mm *mm, uintptr_t va)
{
	assert(spin_holding(&mm->lock));
	(void)va;
	return -EFAULT; /* no copy-on-write pages exist yet */
}

int copyin(struct mm *mm, void *dst, uintptr_t usrc, size_t n)
{
	uint8_t *d = dst;

	if (usrc + n < usrc)
		return -EFAULT;
	spin_lock(&mm->lock);
	while (n > 0) {
		size_t c = chunk(usrc, n);
		const uint8_t *page = mm_user_page(mm, PAGE_ALIGN_DOWN(usrc), false);

		if (page == NULL) {
			spin_unlock(&mm->lock);
			return -EFAULT;
		}
		memcpy(d, page + usrc % PAGE_SIZE, c);
		d += c;
		usrc += c;
		n -= c;
	}
	spin_unlock(&mm->lock);
	return 0;
}

int copyout(struct mm *mm, uintptr_t udst, const void *src, size_t n)
{
	const uint8_t *s = src;

	if (udst + n < udst)
		return -EFAULT;
	spin_lock(&mm->lock);
	while (n > 0) {
		size_t c = chunk(udst, n);
		uint8_t *page = mm_user_page(mm, PAGE_ALIGN_DOWN(udst), true);

		if (page == NULL && vm_fault_write(mm, udst) == 0)
			page = mm_user_page(mm, PAGE_ALIGN_DOWN(udst), true);
		if (page == NULL) {
			spin_unlock(&mm->lock);
			return -EFAULT;
		}
		memcpy(page + udst % PAGE_SIZE, s, c);
		s += c;
		udst += c;
		n -= c;
	}
	spin_unlock(&mm->lock);
	return 0;
}

long copyinstr(struct mm *mm, char *dst, uintptr_t usrc, size_t max)
{
	size_t len = 0;
	long ret = -E2BIG;

	spin_lock(&mm->lock);
	while (len < max && ret == -E2BIG) {
		uintptr_t va = usrc + len;
		size_t c = chunk(va, max - len);
		const char *page = mm_user_page(mm, PAGE_ALIGN_DOWN(va), false);

		if (page == NULL) {
			ret = -EFAULT;
			break;
		}
		for (size_t i = 0; i < c; i++, len++) {
			dst[len] = page[va % PAGE_SIZE + i];
			if (dst[len] == '\0') {
				ret = (long)len;
				break;
			}
		}
	}
	spin_unlock(&mm->lock);
	return ret;
}
