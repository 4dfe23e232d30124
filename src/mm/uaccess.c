/*
 * uaccess.c: copyin, copyout, copyinstr (see uaccess.h).
 *
 * The copy goes page by page, each under the lock of the level-0 table
 * that maps it (ptlock_find, as a fault finds it): no fault of another
 * thread can change or unmap the PTE meanwhile, so the frame stays mapped
 * (and referenced) and the direct-map pointer valid while it is copied.
 * A page that does not allow the access goes through the fault path
 * (cow_user_fault), which wakes a dormant link, owns a shared table and
 * breaks copy-on-write, then the page is looked up again. A page of a
 * megapage has no table of its own: its copy holds mm->lock instead.
 */
#include "src/mm/uaccess.h"

#include "src/lib/string.h"
#include "src/mm/cow.h"
#include "src/mm/megapage.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptlock.h"
#include "user/include/kine/errno.h"

static size_t chunk(uintptr_t va, size_t left)
{
	size_t in_page = PAGE_SIZE - (va % PAGE_SIZE);

	return left < in_page ? left : in_page;
}

/* Does the PTE let the kernel copy for the user: mapped, user, readable (and writable)? */
static bool uaccess_allows(pte_t e, bool write)
{
	return (e & PTE_V) && (e & PTE_U) && (e & PTE_R) && (!write || (e & PTE_W));
}

/*
 * A megapage's page (ptlock_find's PTLOCK_HUGE): its leaf changes under
 * mm->lock alone (megapage.h), so the copy holds that. The address with
 * mm->lock held, or NULL with nothing held if the leaf does not allow it.
 */
static uint8_t *uaccess_megapage(struct mm *mm, uintptr_t va, bool write)
{
	pte_t *link;
	uint8_t *page;

	mm_lock(mm);
	link = pt_walk_link(mm->root, va, false);
	page = link != NULL ? megapage_user_address(*link, va, write) : NULL;
	if (page == NULL)
		mm_unlock(mm);
	return page;
}

/* Let go of what uaccess_page held: the page's table, or mm->lock for a megapage (0). */
static void uaccess_done(struct mm *mm, paddr_t table)
{
	if (table != 0)
		ptlock_unlock(table);
	else
		mm_unlock(mm);
}

/*
 * The direct-map address of user page va with its table locked (*table:
 * uaccess_done when done), or NULL with nothing locked if the access
 * cannot be had. pc: the system call's call site, for lockstat.
 */
static uint8_t *uaccess_page(struct mm *mm, uintptr_t va, bool write, paddr_t *table, uintptr_t pc)
{
	if (va >= USER_END)
		return NULL;
	for (;;) {
		pte_t *pte;
		enum ptlock_found found = ptlock_find(mm, va, &pte, pc);

		if (found == PTLOCK_NONE)
			return NULL;
		if (found == PTLOCK_HUGE) {
			uint8_t *page = uaccess_megapage(mm, va, write);

			*table = 0;
			if (page != NULL)
				return page;
		} else if (found != PTLOCK_DORMANT) {
			pte_t e = cow_pte_settled(pte);

			*table = ptlock_table_of(pte);
			if (uaccess_allows(e, write))
				return phys_to_virt(pte_pa(e));
			ptlock_unlock(*table);
		}
		/* 0: the access may go now (or the page changed meanwhile): look again. */
		if (cow_user_fault(mm, va, write ? COW_ACCESS_WRITE : COW_ACCESS_READ) != 0)
			return NULL; /* -ENOMEM too: the call cannot copy there */
	}
}

__attribute__((noinline)) int copyin(struct mm *mm, void *dst, uintptr_t usrc, size_t n)
{
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	uint8_t *d = dst;

	if (usrc + n < usrc)
		return -EFAULT;
	while (n > 0) {
		size_t c = chunk(usrc, n);
		paddr_t table;
		const uint8_t *page = uaccess_page(mm, PAGE_ALIGN_DOWN(usrc), false, &table, pc);

		if (page == NULL)
			return -EFAULT;
		memcpy(d, page + usrc % PAGE_SIZE, c);
		uaccess_done(mm, table);
		d += c;
		usrc += c;
		n -= c;
	}
	return 0;
}

__attribute__((noinline)) int copyout(struct mm *mm, uintptr_t udst, const void *src, size_t n)
{
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	const uint8_t *s = src;

	if (udst + n < udst)
		return -EFAULT;
	while (n > 0) {
		size_t c = chunk(udst, n);
		paddr_t table;
		uint8_t *page = uaccess_page(mm, PAGE_ALIGN_DOWN(udst), true, &table, pc);

		if (page == NULL)
			return -EFAULT;
		memcpy(page + udst % PAGE_SIZE, s, c);
		uaccess_done(mm, table);
		s += c;
		udst += c;
		n -= c;
	}
	return 0;
}

__attribute__((noinline)) long copyinstr(struct mm *mm, char *dst, uintptr_t usrc, size_t max)
{
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	size_t len = 0;
	long ret = -E2BIG;

	while (len < max && ret == -E2BIG) {
		uintptr_t va = usrc + len;
		size_t c = chunk(va, max - len);
		paddr_t table;
		const char *page =
		    (const char *)uaccess_page(mm, PAGE_ALIGN_DOWN(va), false, &table, pc);

		if (page == NULL)
			return -EFAULT;
		/* Scan for the NUL, then copy what it ends (memcpy goes by words). */
		size_t n = strnlen(page + va % PAGE_SIZE, c);

		memcpy(dst + len, page + va % PAGE_SIZE, n < c ? n + 1 : c);
		uaccess_done(mm, table);
		len += n;
		if (n < c)
			ret = (long)len;
	}
	return ret;
}
