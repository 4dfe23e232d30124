/*
 * pagetable.c: walking, mapping, unmapping and protecting Sv39 tables.
 *
 * Owns the shape of the tree below a root: which table pages exist and
 * which entries are valid. The invariants and the locking rule are in
 * pagetable.h: no locks here, the caller serializes changes to one table;
 * PTEs are written whole; A is set on every leaf kine makes, D on every
 * writable one; below the root, no table page is left empty. A table page
 * that leaves a tree other harts may walk is handed back to the caller
 * (struct pt_release), never freed here: only pages no walker can have
 * seen (a failed walk's, never linked) and whole dead trees (pt_destroy)
 * are freed in this file.
 *
 * A walk goes from level 2 (the root) down to level 0, taking VPN[level]
 * of the address as the index at each level, as the MMU does. Functions
 * that work on a range recurse over the tree with the range given as
 * [lo, last], inclusive, so that the last page of the address space
 * (whose end would be 2^64) needs no special case.
 */
#include "src/mm/pagetable.h"

#include "src/base/check.h"

static pte_t *table_of(paddr_t table)
{
	CHECK(table != 0 && table % PAGE_SIZE == 0);
	return phys_to_virt(table);
}

/*
 * Every store to a live table goes through here. Another hart's MMU may
 * read the entry at any moment, so it must see the old value or the new
 * one, never half of each (one aligned 64-bit store); and if the entry
 * links a new table, the zeroes in that table must be visible before the
 * link is (release order).
 */
static void pte_set(pte_t *pte, pte_t val)
{
	__atomic_store_n(pte, val, __ATOMIC_RELEASE);
}

static uintptr_t min_va(uintptr_t a, uintptr_t b)
{
	return a < b ? a : b;
}

static uintptr_t max_va(uintptr_t a, uintptr_t b)
{
	return a > b ? a : b;
}

/*
 * The first address mapped by entry i of a table at `level`, given any
 * address lo that the table covers. At level 2 the index supplies bit 38,
 * so the result is sign-extended to stay canonical.
 */
static uintptr_t slot_va(uintptr_t lo, unsigned level, unsigned i)
{
	uint64_t table_span = sv39_level_size(level + 1);

	return sv39_va_extend((lo & ~(table_span - 1)) | ((uint64_t)i << sv39_level_shift(level)));
}

/* The last address mapped by entry i (inclusive; never wraps). */
static uintptr_t slot_last(uintptr_t lo, unsigned level, unsigned i)
{
	return slot_va(lo, level, i) + (sv39_level_size(level) - 1);
}

static bool table_is_empty(paddr_t table)
{
	const pte_t *t = table_of(table);

	for (unsigned i = 0; i < SV39_ENTRIES; i++)
		if (t[i] != 0)
			return false;
	return true;
}

/*
 * Hang a chain of n fresh tables for va below the empty entry *pte at
 * `level`: one for each level from level - 1 down to level - n. Every page
 * is allocated, and the chain linked together inside them, before the one
 * store that publishes it (release: the zeroes and the inner links are
 * visible first). So a chain that cannot be had changes nothing, and no
 * walker ever saw a page this call gives back. (Taking back a published
 * link would owe a whole flush before the page could go: pagetable.h.)
 */
static bool link_new_tables(pte_t *pte, unsigned level, unsigned n, uintptr_t va)
{
	paddr_t fresh[SV39_LEVELS - 1];

	CHECK(*pte == 0 && n >= 1 && n <= level && n <= SV39_LEVELS - 1);
	for (unsigned i = 0; i < n; i++) {
		fresh[i] = pt_page_alloc();
		if (fresh[i] == 0) {
			while (i-- > 0)
				pt_page_free(fresh[i]); /* never linked: no walker saw it */
			return false;
		}
		CHECK(table_is_empty(fresh[i])); /* pt_page_alloc promised zeroes */
	}
	/* fresh[i] is the table at level - 1 - i; link each into the one above it. */
	for (unsigned i = n - 1; i > 0; i--)
		table_of(fresh[i - 1])[sv39_vpn(va, level - i)] = pa_to_pte(fresh[i]) | PTE_V;
	pte_set(pte, pa_to_pte(fresh[0]) | PTE_V);
	return true;
}

/*
 * The entry for va at `level`, reached from the root, adding the missing
 * tables on the way when alloc. On failure returns NULL with *err:
 * PT_ERR_EXIST if a leaf above `level` already maps va, PT_ERR_NOTMAPPED if
 * a table is missing and !alloc, PT_ERR_NOMEM if none could be had (then
 * nothing was added: link_new_tables).
 */
static pte_t *walk_to(paddr_t root, uintptr_t va, unsigned level, bool alloc, int *err)
{
	paddr_t table = root;

	for (unsigned l = SV39_LEVELS - 1; l > level; l--) {
		pte_t *pte = &table_of(table)[sv39_vpn(va, l)];

		if (pte_is_leaf(*pte) || pte_is_lazy(*pte)) {
			*err =
			    PT_ERR_EXIST; /* a huge leaf, or a lazy slot (memory reserved there) */
			return NULL;
		}
		CHECK(!pte_is_dormant(*pte) || !alloc); /* own the table first (ptshare.h) */
		if (!pte_valid(*pte)) {
			if (!alloc) {
				*err = PT_ERR_NOTMAPPED;
				return NULL;
			}
			if (!link_new_tables(pte, l, l - level, va)) {
				*err = PT_ERR_NOMEM;
				return NULL;
			}
		}
		table = pte_pa(*pte);
	}
	return &table_of(table)[sv39_vpn(va, level)];
}

/* The leaf that maps va, and its level, or NULL. */
static pte_t *find_leaf(paddr_t root, uintptr_t va, unsigned *level)
{
	paddr_t table = root;

	for (unsigned l = SV39_LEVELS - 1;; l--) {
		pte_t *pte = &table_of(table)[sv39_vpn(va, l)];

		if (pte_is_leaf(*pte)) {
			*level = l;
			return pte;
		}
		if (!pte_valid(*pte))
			return NULL;
		CHECK(l > 0); /* a table pointer at level 0 is malformed */
		table = pte_pa(*pte);
	}
}

/*
 * Is [va, va + size) a range the calls accept? Page-aligned, not empty,
 * not wrapping, canonical at both ends and within one half of the address
 * space (the gap between the halves is not addressable). Sets *last.
 */
static bool range_ok(uintptr_t va, size_t size, uintptr_t *last)
{
	if (size == 0 || va % PAGE_SIZE != 0 || size % PAGE_SIZE != 0)
		return false;
	if (size - 1 > UINTPTR_MAX - va)
		return false;
	*last = va + (size - 1);
	return sv39_va_canonical(va) && sv39_va_canonical(*last) &&
	       ((va ^ *last) >> (SV39_VA_BITS - 1)) == 0;
}

/* Does a huge leaf (or a lazy slot) map va and reach outside [lo, last]? */
static bool cuts_huge_leaf(paddr_t root, uintptr_t va, uintptr_t lo, uintptr_t last)
{
	unsigned level;
	uintptr_t base;
	int err;
	const pte_t *slot = walk_to(root, va, 1, false, &err);

	if (slot != NULL && pte_is_lazy(*slot))
		level = 1; /* a lazy slot is cut like the megapage it will be */
	else if (!find_leaf(root, va, &level) || level == 0)
		return false;
	base = va & ~(sv39_level_size(level) - 1);
	return base < lo || base + (sv39_level_size(level) - 1) > last;
}

/*
 * Perm as the caller gives it: known bits only, and a valid leaf (some of
 * R, W, X, and W only with R).
 */
static bool leaf_perm_ok(uint64_t perm)
{
	if (perm & ~PT_PERM_MASK)
		return false;
	if (!(perm & PTE_LEAF_MASK))
		return false;
	return !((perm & PTE_W) && !(perm & PTE_R));
}

/* Call drop for each 4 KiB frame of a leaf of `size` bytes at pa. */
static void drop_frames(paddr_t pa, uint64_t size, void (*drop)(paddr_t, void *), void *ctx)
{
	if (!drop)
		return;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		drop(pa + off, ctx);
}

/* A release that hands back table pages only (pt_map's undo). */
static struct pt_release tables_only(const struct pt_release *rel)
{
	return (struct pt_release){.frame = NULL, .table = rel->table, .ctx = rel->ctx};
}

const char *pt_strerror(int err)
{
	switch (err) {
	case PT_OK:
		return "ok";
	case PT_ERR_NOMEM:
		return "out of table pages";
	case PT_ERR_EXIST:
		return "already mapped";
	case PT_ERR_INVAL:
		return "invalid argument";
	case PT_ERR_NOTMAPPED:
		return "not mapped";
	case PT_ERR_HUGE:
		return "would split a huge leaf";
	}
	return "unknown error";
}

paddr_t pt_create(void)
{
	paddr_t root = pt_page_alloc();

	if (root)
		CHECK(table_is_empty(root));
	return root;
}

pte_t *pt_walk(paddr_t root, uintptr_t va, bool alloc)
{
	int err;

	if (!sv39_va_canonical(va))
		return NULL;
	return walk_to(root, va, 0, alloc, &err);
}

int pt_lookup(paddr_t root, uintptr_t va, paddr_t *pa, uint64_t *perm, unsigned *level)
{
	unsigned l;
	pte_t *pte;

	if (!sv39_va_canonical(va))
		return PT_ERR_INVAL;
	pte = find_leaf(root, va, &l);
	if (!pte)
		return PT_ERR_NOTMAPPED;
	if (pa)
		*pa = pte_pa(*pte) + (va & (sv39_level_size(l) - 1));
	if (perm)
		*perm = *pte & PTE_FLAGS_MASK;
	if (level)
		*level = l;
	return PT_OK;
}

pte_t *pt_walk_link(paddr_t root, uintptr_t va, bool alloc)
{
	int err;

	if (!sv39_va_canonical(va))
		return NULL;
	return walk_to(root, va, 1, alloc, &err);
}

paddr_t pt_unlink_empty_table(paddr_t root, uintptr_t va)
{
	paddr_t table;
	pte_t *link;
	int err;

	if (!sv39_va_canonical(va))
		return 0;
	link = walk_to(root, va, 1, false, &err);
	if (link == NULL || !pte_is_table(*link))
		return 0;
	table = pte_pa(*link);
	if (!table_is_empty(table))
		return 0;
	pte_set(link, 0);
	return table;
}

/* ---- Unmapping ---- */

/*
 * Clear every leaf of [lo, last] in this table (at `level`), and unlink the
 * child tables that end up empty, handing them to rel->table. The caller
 * has made sure no leaf reaches outside the range. Each PTE is cleared
 * before its frames or its table are handed back, so the tree never points
 * at a page its owner has let go of.
 */
static void unmap_table(paddr_t table, unsigned level, uintptr_t lo, uintptr_t last,
			const struct pt_release *rel)
{
	pte_t *t = table_of(table);

	for (unsigned i = sv39_vpn(lo, level); i <= sv39_vpn(last, level); i++) {
		pte_t e = t[i];

		CHECK(level != 1 || !pte_is_dormant(e)); /* owned first (ptshare.h) */
		if (pte_is_leaf(e)) {
			CHECK(slot_va(lo, level, i) >= lo && slot_last(lo, level, i) <= last);
			pte_set(&t[i], 0);
			drop_frames(pte_pa(e), sv39_level_size(level), rel->frame, rel->ctx);
		} else if (level == 1 && pte_is_lazy(e)) {
			/* A reservation, no frame: nothing to drop, and no MMU caches it. */
			CHECK(slot_va(lo, level, i) >= lo && slot_last(lo, level, i) <= last);
			pte_set(&t[i], 0);
		} else if (pte_is_table(e)) {
			CHECK(level > 0);
			unmap_table(pte_pa(e), level - 1, max_va(lo, slot_va(lo, level, i)),
				    min_va(last, slot_last(lo, level, i)), rel);
			if (table_is_empty(pte_pa(e))) {
				pte_set(&t[i], 0);
				rel->table(pte_pa(e), rel->ctx);
			}
		}
	}
}

int pt_unmap(paddr_t root, uintptr_t va, size_t size, const struct pt_release *rel)
{
	uintptr_t last;

	CHECK(rel != NULL && rel->table != NULL);
	if (!range_ok(va, size, &last))
		return PT_ERR_INVAL;
	/* Only the leaves at the two ends can stick out of the range. */
	if (cuts_huge_leaf(root, va, va, last) || cuts_huge_leaf(root, last, va, last))
		return PT_ERR_HUGE;
	unmap_table(root, SV39_LEVELS - 1, va, last, rel);
	return PT_OK;
}

/* ---- Destroying ---- */

/* How pt_destroy() and pt_destroy_leaf_tables() let go of the leaves. */
struct destroy {
	void (*drop)(paddr_t pa, void *ctx);            /* per 4 KiB frame, or NULL */
	void (*release)(const pte_t *links, void *ctx); /* per level-1 table, or NULL */
	void *ctx;
};

/* A leaf that the caller of pt_destroy*() did not provide for. */
static void unexpected_leaf(pte_t e, unsigned level, const struct destroy *d)
{
	if (d->release)
		fatal("pt_destroy_leaf_tables: a level-%u leaf maps %#lx", level,
		      (unsigned long)pte_pa(e));
	fatal("pt_destroy: a leaf still maps frame %#lx", (unsigned long)pte_pa(e));
}

/*
 * Free this table (at `level`) and every table below it, handing the
 * leaves to the caller first. The whole tree goes: nothing can walk it any
 * more, so its entries are not cleared one by one, and no table needs an
 * emptiness check.
 */
static void destroy_table(paddr_t table, unsigned level, const struct destroy *d)
{
	const pte_t *t = table_of(table);

	if (level == 1 && d->release) {
		d->release(t, d->ctx); /* it takes over every level-0 table linked here */
		pt_page_free(table);
		return;
	}
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		if (t[i] == 0)
			continue;
		if (pte_is_table(t[i])) {
			CHECK(level > 0);
			destroy_table(pte_pa(t[i]), level - 1, d);
		} else if (pte_is_leaf(t[i])) {
			if (!d->drop)
				unexpected_leaf(t[i], level, d);
			drop_frames(pte_pa(t[i]), sv39_level_size(level), d->drop, d->ctx);
		}
	}
	pt_page_free(table);
}

void pt_destroy(paddr_t root, void (*drop)(paddr_t pa, void *ctx), void *ctx)
{
	struct destroy d = {.drop = drop, .release = NULL, .ctx = ctx};

	destroy_table(root, SV39_LEVELS - 1, &d);
}

void pt_destroy_leaf_tables(paddr_t root, void (*release)(const pte_t *links, void *ctx), void *ctx)
{
	struct destroy d = {.drop = NULL, .release = release, .ctx = ctx};

	CHECK(release != NULL);
	destroy_table(root, SV39_LEVELS - 1, &d);
}

/* ---- Mapping ---- */

/* Can one leaf at `level` map va to pa, with `left` bytes still to map? */
static bool leaf_fits(uintptr_t va, paddr_t pa, uint64_t left, unsigned level)
{
	uint64_t size = sv39_level_size(level);

	return va % size == 0 && pa % size == 0 && left >= size;
}

/*
 * The level of the leaf pt_map(PT_MAP_HUGE) puts at va: the highest one
 * that fits, unless a table already hangs in that slot (then the mapping
 * goes into that table, at a lower level).
 */
static unsigned choose_level(paddr_t root, uintptr_t va, paddr_t pa, uint64_t left)
{
	paddr_t table = root; /* 0 once the path runs into a missing table */

	for (unsigned level = SV39_LEVELS - 1; level > 0; level--) {
		pte_t e = table ? table_of(table)[sv39_vpn(va, level)] : 0;

		if (leaf_fits(va, pa, left, level) && !pte_is_table(e))
			return level;
		table = pte_is_table(e) ? pte_pa(e) : 0;
	}
	return 0;
}

/*
 * Map one leaf at va: 4 KiB, or the largest that fits when huge. Sets
 * *mapped to its size. On failure, changes nothing (walk_to).
 */
static int map_one(paddr_t root, uintptr_t va, paddr_t pa, uint64_t left, pte_t bits, bool huge,
		   uint64_t *mapped)
{
	unsigned level = huge ? choose_level(root, va, pa, left) : 0;
	int err = PT_OK;
	pte_t *pte = walk_to(root, va, level, true, &err);

	if (!pte)
		return err;
	if (pte_valid(*pte)) {
		CHECK(pte_is_leaf(*pte)); /* choose_level steers around tables */
		return PT_ERR_EXIST;
	}
	pte_set(pte, pa_to_pte(pa) | bits);
	*mapped = sv39_level_size(level);
	return PT_OK;
}

int pt_map(paddr_t root, uintptr_t va, paddr_t pa, size_t size, uint64_t perm, unsigned flags,
	   const struct pt_release *undo)
{
	pte_t bits = perm | PTE_V | PTE_A | ((perm & PTE_W) ? PTE_D : 0);
	uint64_t done, step = 0;
	uintptr_t last;

	CHECK(undo != NULL && undo->table != NULL);
	if (!range_ok(va, size, &last) || !leaf_perm_ok(perm) || (flags & ~PT_MAP_HUGE))
		return PT_ERR_INVAL;
	if (pa % PAGE_SIZE != 0 || pa >= (1UL << SV39_PA_BITS) || size > (1UL << SV39_PA_BITS) - pa)
		return PT_ERR_INVAL;

	for (done = 0; done < size; done += step) {
		int err = map_one(root, va + done, pa + done, size - done, bits,
				  (flags & PT_MAP_HUGE) != 0, &step);
		if (err) {
			/*
			 * Take back what this call mapped. Every page of
			 * [va, va + done) was empty before, so unmapping it
			 * restores the leaves, and the tables this call added
			 * are emptied and handed to undo->table (the failed
			 * step itself changed nothing). The frames were the
			 * caller's all along: none is dropped.
			 */
			if (done) {
				struct pt_release tables = tables_only(undo);

				unmap_table(root, SV39_LEVELS - 1, va, va + (done - 1), &tables);
			}
			return err;
		}
	}
	return PT_OK;
}

/* ---- Visiting leaves ---- */

/* Call fn on each leaf of this table (at `level`) that meets [lo, last]. */
static int visit_table(paddr_t table, unsigned level, uintptr_t lo, uintptr_t last, pt_leaf_fn fn,
		       void *ctx)
{
	pte_t *t = table_of(table);

	for (unsigned i = sv39_vpn(lo, level); i <= sv39_vpn(last, level); i++) {
		int ret = 0;

		CHECK(level != 1 || !pte_is_dormant(t[i])); /* owned first (ptshare.h) */
		if (pte_is_leaf(t[i])) {
			ret = fn(slot_va(lo, level, i), &t[i], level, ctx);
		} else if (pte_is_table(t[i])) {
			CHECK(level > 0);
			ret =
			    visit_table(pte_pa(t[i]), level - 1, max_va(lo, slot_va(lo, level, i)),
					min_va(last, slot_last(lo, level, i)), fn, ctx);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int pt_for_each_leaf(paddr_t root, uintptr_t va, size_t size, pt_leaf_fn fn, void *ctx)
{
	uintptr_t last;

	if (!range_ok(va, size, &last))
		return PT_ERR_INVAL;
	return visit_table(root, SV39_LEVELS - 1, va, last, fn, ctx);
}

/*
 * Call fn on each level-0 table below this table (at `level`, 1 or 2) that
 * meets [lo, last], with the run of its entries inside the range. A huge
 * leaf in the range stops the walk with PT_ERR_HUGE.
 */
static int visit_leaf_tables(paddr_t table, unsigned level, uintptr_t lo, uintptr_t last,
			     pt_table_fn fn, void *ctx)
{
	pte_t *t = table_of(table);

	for (unsigned i = sv39_vpn(lo, level); i <= sv39_vpn(last, level); i++) {
		uintptr_t from, to;
		int ret;

		/* Most slots of a user space are empty: skip them before any arithmetic. */
		if (t[i] == 0)
			continue;
		if (pte_is_leaf(t[i]))
			return PT_ERR_HUGE;
		CHECK(level != 1 || !pte_is_dormant(t[i])); /* owned first (ptshare.h) */
		if (!pte_is_table(t[i]))
			continue;
		from = max_va(lo, slot_va(lo, level, i));
		to = min_va(last, slot_last(lo, level, i));
		if (level == 1) {
			unsigned first = sv39_vpn(from, 0);

			ret = fn(from, &table_of(pte_pa(t[i]))[first], sv39_vpn(to, 0) - first + 1,
				 ctx);
		} else {
			ret = visit_leaf_tables(pte_pa(t[i]), level - 1, from, to, fn, ctx);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int pt_for_each_leaf_table(paddr_t root, uintptr_t va, size_t size, pt_table_fn fn, void *ctx)
{
	uintptr_t last;

	if (!range_ok(va, size, &last))
		return PT_ERR_INVAL;
	return visit_leaf_tables(root, SV39_LEVELS - 1, va, last, fn, ctx);
}

int pt_for_each_link_table(paddr_t root, uintptr_t va, size_t size, pt_links_fn fn, void *ctx)
{
	const pte_t *t = table_of(root);
	uintptr_t last;

	if (!range_ok(va, size, &last))
		return PT_ERR_INVAL;
	for (unsigned i = sv39_vpn(va, 2); i <= sv39_vpn(last, 2); i++) {
		uintptr_t from, to;
		unsigned first;
		int ret;

		if (t[i] == 0)
			continue;
		if (pte_is_leaf(t[i]))
			return PT_ERR_HUGE;
		if (!pte_is_table(t[i]))
			continue;
		from = max_va(va, slot_va(va, 2, i));
		to = min_va(last, slot_last(va, 2, i));
		first = sv39_vpn(from, 1);
		ret = fn(from & ~(sv39_level_size(1) - 1), &table_of(pte_pa(t[i]))[first],
			 sv39_vpn(to, 1) - first + 1, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- Changing permissions ---- */

struct protect {
	uint64_t set, clear;
	uint64_t covered; /* bytes of the range that leaves map */
};

/* A leaf's new value: A kept, D added if the result is writable. */
static pte_t protected_pte(pte_t pte, const struct protect *p)
{
	pte_t n = (pte | p->set) & ~p->clear;

	return (n & PTE_W) ? n | PTE_D : n;
}

/* First pass: would every leaf stay a valid leaf? Count what is mapped. */
static int protect_check(uintptr_t va, pte_t *pte, unsigned level, void *ctx)
{
	struct protect *p = ctx;

	(void)va;
	if (!leaf_perm_ok(protected_pte(*pte, p) & PT_PERM_MASK))
		return PT_ERR_INVAL;
	p->covered += sv39_level_size(level);
	return 0;
}

/* Second pass: store the new values. */
static int protect_apply(uintptr_t va, pte_t *pte, unsigned level, void *ctx)
{
	(void)va;
	(void)level;
	pte_set(pte, protected_pte(*pte, ctx));
	return 0;
}

int pt_protect(paddr_t root, uintptr_t va, size_t size, uint64_t set, uint64_t clear,
	       unsigned flags)
{
	struct protect p = {.set = set, .clear = clear, .covered = 0};
	uintptr_t last;
	int err;

	if (!range_ok(va, size, &last) || (set & ~PT_PERM_MASK) || (clear & ~PT_PERM_MASK) ||
	    (set & clear) || (flags & ~PT_PROTECT_SKIP_HOLES))
		return PT_ERR_INVAL;
	if (cuts_huge_leaf(root, va, va, last) || cuts_huge_leaf(root, last, va, last))
		return PT_ERR_HUGE;

	/* Check everything first, so that a refused call changes nothing. */
	err = visit_table(root, SV39_LEVELS - 1, va, last, protect_check, &p);
	if (err)
		return err;
	CHECK(p.covered <= size); /* no leaf sticks out: checked above */
	if (p.covered != size && !(flags & PT_PROTECT_SKIP_HOLES))
		return PT_ERR_NOTMAPPED;
	return visit_table(root, SV39_LEVELS - 1, va, last, protect_apply, &p);
}

/* ---- Checking A, D and the format ---- */

struct checker {
	void (*report)(uintptr_t va, pte_t pte, const char *why, void *ctx);
	void *ctx;
	int problems;
};

static void problem(struct checker *c, uintptr_t va, pte_t pte, const char *why)
{
	c->problems++;
	if (c->report)
		c->report(va, pte, why, c->ctx);
}

static void check_leaf(struct checker *c, uintptr_t va, pte_t e, unsigned level)
{
	/* Fork leaves COW leaves unaccessed where harts set A themselves (mm.c). */
	if (!(e & PTE_A) && !(e & PTE_COW))
		problem(c, va, e, "leaf without A");
	if ((e & PTE_W) && !(e & PTE_D))
		problem(c, va, e, "writable leaf without D");
	if ((e & PTE_W) && !(e & PTE_R))
		problem(c, va, e, "W without R");
	if (pte_pa(e) % sv39_level_size(level) != 0)
		problem(c, va, e, "huge leaf with a misaligned frame");
}

/* Check every valid entry of a table at `level`; base is an address it covers. */
static void check_table(struct checker *c, paddr_t table, unsigned level, uintptr_t base)
{
	const pte_t *t = table_of(table);

	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		uintptr_t va = slot_va(base, level, i);
		pte_t e = t[i];

		/* At level 0 the same bits are a busy PTE (mm.h), not a link. */
		if (pte_is_dormant(e) && level == 2)
			problem(c, va, e, "dormant link at level 2");
		if (pte_is_lazy(e) && level != 1)
			problem(c, va, e, "lazy slot outside level 1");
		if (pte_is_lazy(e) && (e & PTE_PPN_MASK) != 0)
			problem(c, va, e, "lazy slot with a frame");
		if (!pte_valid(e))
			continue;
		if (e & PTE_RESERVED_MASK)
			problem(c, va, e, "reserved bits set");
		if (pte_is_leaf(e)) {
			check_leaf(c, va, e, level);
		} else if (level == 0) {
			problem(c, va, e, "table pointer at level 0");
		} else {
			if (e & (PTE_A | PTE_D | PTE_U))
				problem(c, va, e, "table pointer with A, D or U");
			check_table(c, pte_pa(e), level - 1, va);
		}
	}
}

int pt_check_ad(paddr_t root, void (*report)(uintptr_t va, pte_t pte, const char *why, void *ctx),
		void *ctx)
{
	struct checker c = {.report = report, .ctx = ctx, .problems = 0};

	check_table(&c, root, SV39_LEVELS - 1, 0);
	return c.problems;
}
