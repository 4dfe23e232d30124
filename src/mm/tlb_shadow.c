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
 * All records are guarded by one lock, the innermost of all: the image
 * that has it is the debug one, where clarity beats speed.
 */
#include "src/mm/tlb_shadow.h"

#include "src/arch/riscv/mmu.h"
#include "src/kernel/kernel.h"
#include "src/lib/check.h"
#include "src/mm/asid.h"
#include "src/mm/vm.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sync/spinlock.h"

#ifdef KINE_MM_CHECK

#define SHADOW_ENTRIES 32

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

static struct spinlock shadow_lock = SPINLOCK_INIT("tlb_shadow");
static struct shadow_hart shadow[HART_LOCAL_MAX]; /* guarded by shadow_lock */

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

void tlb_shadow_shootdown(struct mm *mm, uint64_t targets, uint64_t gen, int self)
{
	unsigned tag =
	    asid_enabled() ? asid_of(__atomic_load_n(&mm->context, __ATOMIC_ACQUIRE)) : 0;

	spin_lock(&shadow_lock);
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

#endif /* KINE_MM_CHECK */
