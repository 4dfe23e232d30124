/*
 * tlb_shadow.c: the debug image's shadow TLBs (see tlb_shadow.h).
 *
 * One record per hart: the (mm id, ASID tag) pairs whose translations the
 * hart may cache, each with `seen`, the number of the mm's last shootdown
 * whose effect the hart's entries are known to include. An entry is added
 * when a hart loads an mm (seen = the mm's shootdown count, read after the
 * hart set its bit in the mask: see tlb.h for why that order makes it
 * exact), refreshed when a shootdown reaches the hart, and dropped only by
 * a full flush: a record may over-approximate the real TLB, never miss
 * an entry it could hold.
 *
 * A record holds SHADOW_ENTRIES pairs; when it is full, the hart really
 * flushes its TLB (which is always allowed) and the record starts over.
 *
 * Table pages unlinked from an mm and not yet freed sit in tables[], each
 * with `harts`, the harts that may still hold a cached link to it (see
 * tlb_shadow.h): set at the unlink to the harts with an entry for the mm,
 * only ever cleared afterwards (a hart that loads the mm later cannot
 * reach the page), and required to be empty when the page is freed.
 *
 * All records are guarded by one lock, the innermost of all: the image
 * that has it is the debug one, where clarity beats speed.
 */
#include "src/mm/tlb_shadow.h"

#include "src/arch/riscv/mmu.h"
#include "src/base/check.h"
#include "src/base/panic.h"
#include "src/mm/asid.h"
#include "src/mm/mm.h"
#include "src/mm/ptlock.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"

#ifdef KINE_MM_CHECK

#define SHADOW_ENTRIES 32
#define SHADOW_TABLES  64 /* unlinked, not yet freed: mm.c frees them within the unmap */

struct shadow_entry {
	uint64_t mm_id;
	unsigned tag;
	uint64_t seen;
};

struct shadow_hart {
	int n;
	struct shadow_entry e[SHADOW_ENTRIES];
	bool pending;         /* a rollover happened: a full flush is owed before a new ASID */
	uint64_t pending_gen; /* the first generation it may not load before that flush */
	uint64_t current_id;  /* the mm loaded now (0: the kernel's table) */
	unsigned current_tag; /* the ASID in satp now */
};

/* A table page unlinked from an mm, not yet freed. */
struct shadow_table {
	uint64_t pa;         /* 0: a free slot */
	uint64_t mm_id;      /* the mm whose tree it left */
	uint64_t harts;      /* harts that may still follow a cached link to it */
	uint64_t unlink_gen; /* the mm's tlb_gen after the unlink: later shootdowns count */
};

static struct spinlock shadow_lock = SPINLOCK_INIT("tlb_shadow");
static struct shadow_hart shadow[HART_LOCAL_MAX]; /* guarded by shadow_lock */
static struct shadow_table tables[SHADOW_TABLES]; /* guarded by shadow_lock */

/*
 * Can hart h still use e? Once a rollover is pending, only under the tag
 * it runs now: it flushes before it loads any other.
 */
static bool shadow_usable(const struct shadow_hart *s, const struct shadow_entry *e)
{
	return !s->pending || (e->tag == s->current_tag && e->mm_id == s->current_id);
}

static struct shadow_entry *shadow_find(struct shadow_hart *s, uint64_t mm_id, unsigned tag)
{
	for (int i = 0; i < s->n; i++)
		if (s->e[i].mm_id == mm_id && s->e[i].tag == tag)
			return &s->e[i];
	return NULL;
}

/*
 * Before hart h runs mm under tag: nothing it may still use under that tag
 * is stale. Stale means older than a shootdown that is over (gen is the
 * number of the last one whose shadow update is done): one still in
 * flight reaches this hart, or panics itself, when it completes.
 */
static void shadow_check_load(int h, struct shadow_hart *s, struct mm *mm, unsigned tag,
			      uint64_t gen)
{
	for (int i = 0; i < s->n; i++) {
		struct shadow_entry *e = &s->e[i];

		if (e->tag != tag || !shadow_usable(s, e))
			continue;
		if (e->mm_id != mm->id)
			panic("tlb shadow: hart %d loads ASID %u for mm %lu but may still cache "
			      "entries of mm %lu under that ASID (a rollover without a flush?)",
			      h, tag, (unsigned long)mm->id, (unsigned long)e->mm_id);
		if (e->seen < gen)
			panic("tlb shadow: hart %d loads mm %lu (ASID %u) with entries from before "
			      "its "
			      "shootdown %lu (last seen %lu): a shootdown missed this hart",
			      h, (unsigned long)mm->id, tag, (unsigned long)gen,
			      (unsigned long)e->seen);
	}
}

/* Does hart h's record hold an entry for mm_id, under any tag? */
static bool shadow_has_mm(const struct shadow_hart *s, uint64_t mm_id)
{
	for (int i = 0; i < s->n; i++)
		if (s->e[i].mm_id == mm_id)
			return true;
	return false;
}

/*
 * Hart h's record just lost entries to a flush of its own: it holds no
 * link to an unlinked table of an mm it no longer has an entry for.
 */
static void shadow_tables_flushed(int h)
{
	for (int i = 0; i < SHADOW_TABLES; i++)
		if (tables[i].pa != 0 && !shadow_has_mm(&shadow[h], tables[i].mm_id))
			tables[i].harts &= ~(1ull << h);
}

/* Forget every entry under tag: an sfence.vma of that ASID dropped them. */
static void shadow_drop_tag(struct shadow_hart *s, unsigned tag)
{
	int kept = 0;

	for (int i = 0; i < s->n; i++)
		if (s->e[i].tag != tag)
			s->e[kept++] = s->e[i];
	s->n = kept;
}

void tlb_shadow_switch(int h, struct mm *mm, uint64_t ctx, bool flushed, bool asid_flushed)
{
	struct shadow_hart *s = &shadow[h];
	unsigned tag = asid_enabled() ? asid_of(ctx) : 0;
	struct shadow_entry *e;
	uint64_t gen;

	spin_lock(&shadow_lock);
	if (flushed) {
		s->n = 0;
		s->pending = false;
	} else if (asid_flushed) {
		shadow_drop_tag(s, tag);
	}
	if (flushed || asid_flushed)
		shadow_tables_flushed(h);
	s->current_id = mm != NULL ? mm->id : 0;
	s->current_tag = tag;
	if (mm == NULL) {
		spin_unlock(&shadow_lock);
		return;
	}
	/*
	 * A context of the old generation is allowed: the hart switched to it
	 * (without a lock) just before the rollover, which then kept it.
	 */
	if (s->pending && asid_generation_of(ctx) >= s->pending_gen)
		panic("tlb shadow: hart %d loads ASID %u for mm %lu without the full flush it owes "
		      "since the last ASID rollover",
		      h, tag, (unsigned long)mm->id);
	shadow_check_load(h, s, mm, tag, mm->tlb_done);
	/*
	 * A new entry is as fresh as the shootdowns begun before this hart's
	 * bit was set (tlb.h); an old one keeps its own, older age: the TLB
	 * may still hold what it held.
	 */
	gen = __atomic_load_n(&mm->tlb_gen, __ATOMIC_SEQ_CST);
	e = shadow_find(s, mm->id, tag);
	if (e == NULL) {
		if (s->n == SHADOW_ENTRIES) {
			mmu_flush_all(); /* really: the record may only forget what the TLB forgot */
			s->n = 0;
			shadow_tables_flushed(h);
		}
		e = &s->e[s->n++];
		*e = (struct shadow_entry){.mm_id = mm->id, .tag = tag, .seen = gen};
	}
	spin_unlock(&shadow_lock);
}

void tlb_shadow_rollover(uint64_t new_gen)
{
	spin_lock(&shadow_lock);
	for (int h = 0; h < nharts; h++) {
		if (!shadow[h].pending)
			shadow[h].pending_gen = new_gen;
		shadow[h].pending = true;
	}
	spin_unlock(&shadow_lock);
}

/*
 * Shootdown gen of mm, begun after the unlink of t: which harts it clears
 * of a link to t. A whole flush clears its targets. A hart it skipped
 * while that hart ran something else owes an ASID flush before it loads
 * mm again (the load check holds it to that), so it cannot use a link
 * before it has flushed it; a hart that runs mm under another tag (an
 * old generation's) is not cleared. A flush by address clears no target.
 */
static void shadow_table_shot(struct shadow_table *t, const struct mm *mm, unsigned tag,
			      uint64_t targets, uint64_t gen, bool whole)
{
	for (int h = 0; h < nharts; h++) {
		struct shadow_entry *e;

		if (!(t->harts & (1ull << h)))
			continue;
		e = shadow_find(&shadow[h], mm->id, tag);
		if (targets & (1ull << h)) {
			if (whole)
				t->harts &= ~(1ull << h);
		} else if (shadow[h].current_id != mm->id && (e == NULL || e->seen < gen)) {
			t->harts &= ~(1ull << h);
		}
	}
}

void tlb_shadow_shootdown(struct mm *mm, uint64_t targets, uint64_t gen, int self, bool whole)
{
	unsigned tag =
	    asid_enabled() ? asid_of(__atomic_load_n(&mm->context, __ATOMIC_ACQUIRE)) : 0;

	spin_lock(&shadow_lock);
	for (int i = 0; i < SHADOW_TABLES; i++)
		if (tables[i].pa != 0 && tables[i].mm_id == mm->id && tables[i].unlink_gen < gen)
			shadow_table_shot(&tables[i], mm, tag, targets, gen, whole);
	for (int h = 0; h < nharts; h++) {
		struct shadow_hart *s = &shadow[h];

		for (int i = 0; i < s->n; i++) {
			struct shadow_entry *e = &s->e[i];

			if (e->mm_id != mm->id)
				continue;
			if (targets & (1ull << h)) {
				if (e->seen < gen)
					e->seen = gen;
			} else if (e->tag == tag && s->current_id == mm->id &&
				   s->current_tag == tag && e->seen < gen) {
				panic("tlb shadow: shootdown %lu of mm %lu (ASID %u) from hart %d "
				      "reached harts %#lx, but hart %d may still use its entries "
				      "(last seen shootdown %lu)",
				      (unsigned long)gen, (unsigned long)mm->id, tag, self,
				      (unsigned long)targets, h, (unsigned long)e->seen);
			}
		}
	}
	if (mm->tlb_done < gen) /* shootdowns of one mm may overlap, and end out of order */
		mm->tlb_done = gen;
	spin_unlock(&shadow_lock);
}

void tlb_shadow_table_unlinked(struct mm *mm, uint64_t pa)
{
	struct shadow_table *t = NULL;
	uint64_t harts = 0;

	spin_lock(&shadow_lock);
	for (int i = 0; i < SHADOW_TABLES && t == NULL; i++)
		if (tables[i].pa == 0)
			t = &tables[i];
	if (t == NULL)
		panic("tlb shadow: more than %d table pages unlinked and not yet freed (mm %lu)",
		      SHADOW_TABLES, (unsigned long)mm->id);
	for (int h = 0; h < nharts; h++)
		if (shadow_has_mm(&shadow[h], mm->id))
			harts |= 1ull << h;
	/* Read after the unlinking store: a shootdown numbered above it comes after that store. */
	*t = (struct shadow_table){.pa = pa,
				   .mm_id = mm->id,
				   .harts = harts,
				   .unlink_gen = __atomic_load_n(&mm->tlb_gen, __ATOMIC_SEQ_CST)};
	spin_unlock(&shadow_lock);
}

void tlb_shadow_table_free(struct mm *mm, uint64_t pa)
{
	struct shadow_table *t = NULL;

	spin_lock(&shadow_lock);
	for (int i = 0; i < SHADOW_TABLES && t == NULL; i++)
		if (tables[i].pa == pa && tables[i].mm_id == mm->id)
			t = &tables[i];
	if (t == NULL)
		panic("tlb shadow: table page %#lx of mm %lu freed without being unlinked first",
		      (unsigned long)pa, (unsigned long)mm->id);
	if (t->harts != 0)
		panic("tlb shadow: table page %#lx of mm %lu freed while hart %d may still walk "
		      "through a cached link to it (harts %#lx; no whole-ASID flush reached them "
		      "since the unlink)",
		      (unsigned long)pa, (unsigned long)mm->id, __builtin_ctzll(t->harts),
		      (unsigned long)t->harts);
	t->pa = 0;
	spin_unlock(&shadow_lock);
	ptlock_walk_check_free(mm, pa); /* and no lockless walk of mm may read it either */
}

void tlb_shadow_write_taken(struct mm *mm)
{
	/* Read after the PTE store: only a shootdown numbered above this one follows it. */
	uint64_t cover = __atomic_load_n(&mm->tlb_gen, __ATOMIC_SEQ_CST) + 1;

	spin_lock(&shadow_lock);
	if (mm->wp_cover < cover)
		mm->wp_cover = cover;
	spin_unlock(&shadow_lock);
}

/*
 * The first hart other than this one that runs mm and has not seen
 * shootdown cover, or -1 (with *seen its last one). Only harts that run mm
 * now can use its entries: one that runs something else flushes before it
 * loads mm again (the load check). Called with shadow_lock held.
 */
static int shadow_stale_runner(struct mm *mm, uint64_t cover, uint64_t *seen)
{
	int self = hart_local_index();

	for (int h = 0; h < nharts; h++) {
		struct shadow_hart *s = &shadow[h];
		struct shadow_entry *e;

		if (h == self || s->current_id != mm->id)
			continue;
		e = shadow_find(s, mm->id, s->current_tag);
		if (e != NULL && shadow_usable(s, e) && e->seen < cover) {
			*seen = e->seen;
			return h;
		}
	}
	return -1;
}

/*
 * Panic, naming the harts, if another hart that runs mm has not seen
 * shootdown cover when this one is about to act on what fork took away:
 * who (on this hart) does what to mm, while that hart may still do risk.
 */
static void shadow_stale_check(struct mm *mm, uint64_t cover, const char *who, const char *what,
			       const char *risk)
{
	uint64_t seen = 0;
	int h;

	spin_lock(&shadow_lock);
	h = shadow_stale_runner(mm, cover, &seen);
	if (h >= 0)
		panic("tlb shadow: %s on hart %d %s mm %lu while hart %d may still %s (shootdown "
		      "%lu has not reached it; last seen %lu)",
		      who, hart_local_index(), what, (unsigned long)mm->id, h, risk,
		      (unsigned long)cover, (unsigned long)seen);
	spin_unlock(&shadow_lock);
}

void tlb_shadow_copy_source(struct mm *mm, uint64_t cover)
{
	shadow_stale_check(mm, cover, "a COW copy", "reads a frame of",
			   "store through a writable entry fork took away");
}

void tlb_shadow_protect_pass(struct mm *mm, uint64_t cover)
{
	shadow_stale_check(mm, cover, "a protection pass", "write-protects a shared table of",
			   "walk it through a link fork made dormant, or store through a writable "
			   "entry of it");
}

void tlb_shadow_mm_destroy(struct mm *mm)
{
	spin_lock(&shadow_lock);
	for (int h = 0; h < nharts; h++)
		if (shadow[h].current_id == mm->id)
			panic("tlb shadow: mm %lu is destroyed while hart %d still runs it",
			      (unsigned long)mm->id, h);
	spin_unlock(&shadow_lock);
}

#endif /* KINE_MM_CHECK */
