/*
 * ptlock.c: the lock of each level-0 page table, and the lockless walk
 * that reaches it (ptlock.h; docs/cow.md, "Split table locks").
 *
 * Owns the per-hart walk marks and the table lock's class. Invariants:
 *  - walker[h] is written by hart h alone, with interrupts off: seq is odd
 *    exactly while hart h is inside a walk section of walker[h].mm;
 *  - a table's busy count (pt_share) rises only under its lock.
 *
 * Why a walk section suffices (the argument of docs/cow.md in short): an
 * unlink is a store to a level-1 or root entry, then a full fence, then
 * ptlock_walk_wait reads every walker's mark. A walk section begins with its
 * mark, a full fence, and only then reads the entries. By the two fences,
 * either the waiter sees the mark (and waits for the section to end), or
 * the walk reads the entries after the unlink and never reaches the
 * unlinked page. Entries are read once each (an aligned 64-bit load: the
 * old value or the new), with acquire order, so that a table page linked
 * since (zeroed and counted first, then published with release) is seen
 * whole; RVWMO would order the dependent loads anyway, C does not promise
 * it.
 */
#include "src/mm/ptlock.h"

#include "src/base/assert.h"
#include "src/base/panic.h"
#include "src/mm/frame.h"
#include "src/mm/pagetable.h"
#include "src/mm/ptshare.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/perturb.h"
#include "src/sync/bitlock.h"
#include "src/sync/spinlock.h"

struct ptlock_stats ptlock_stats;
bool ptlock_skip_grace, ptlock_skip_recheck;

struct bitlock_class ptlock_class = BITLOCK_CLASS("pte");

/* walker[h]: hart h's walk mark, on a cache line of its own. */
static struct {
	struct mm *mm; /* the address space of the open (or last) section */
	uint64_t seq;  /* odd: inside a section */
#ifdef KINE_MM_CHECK
	paddr_t seen[2]; /* debug: the level-1 and level-0 table pages this section loaded */
	pte_t *link;     /* debug: the link a fault's lock was found through (ptlock_find) */
	pte_t link_e;    /* ... and its value then */
#endif
} __attribute__((aligned(64))) walker[HART_LOCAL_MAX];

/*
 * The debug image's shadow of the lockless walks: each section records the
 * table pages it loads, and a table page of mm freed while an open section
 * of mm has loaded it is a use after free the grace wait exists to prevent
 * (ptlock_walk_check_free; fault injection ptlock=nograce shows it firing).
 * A fault's lock also remembers the link it was found through, and its
 * release checks the link still names the table: a table that left mm
 * while a fault held its lock (ptlock=norecheck shows that one).
 */
#ifdef KINE_MM_CHECK
static void walk_saw(int level, paddr_t page)
{
	__atomic_store_n(&walker[hart_local_index()].seen[level], page, __ATOMIC_SEQ_CST);
}

void ptlock_walk_check_free(struct mm *mm, paddr_t table)
{
	for (int h = 0; h < HART_LOCAL_MAX; h++) {
		if (!(__atomic_load_n(&walker[h].seq, __ATOMIC_SEQ_CST) & 1) ||
		    __atomic_load_n(&walker[h].mm, __ATOMIC_RELAXED) != mm)
			continue;
		if (__atomic_load_n(&walker[h].seen[0], __ATOMIC_RELAXED) == table ||
		    __atomic_load_n(&walker[h].seen[1], __ATOMIC_RELAXED) == table)
			panic(
			    "ptlock: table page %#lx of mm %lu freed while hart %d's lockless walk "
			    "may still read it (no ptlock_walk_wait since its unlink)",
			    (unsigned long)table, (unsigned long)mm->id, h);
	}
}

static void held_link_set(pte_t *link, pte_t e)
{
	int self = hart_local_index();

	walker[self].link = link;
	walker[self].link_e = e;
}

/* The fault that holds link's table moved link itself: the check follows it. */
static void held_link_moved(pte_t *link, pte_t e)
{
	int self = hart_local_index();

	if (walker[self].link == link)
		walker[self].link_e = e;
}

/* At a fault's unlock: the link it found the table through must still name it. */
void ptlock_held_link_check(paddr_t table)
{
	int self = hart_local_index();
	pte_t *link = walker[self].link;

	if (link == NULL)
		return; /* a layout change's lock */
	walker[self].link = NULL;
	if (__atomic_load_n(link, __ATOMIC_RELAXED) != walker[self].link_e)
		panic("ptlock: a fault held table %#lx's lock after the table left its address "
		      "space (link now %#lx; the find did not check the link again)",
		      (unsigned long)table, (unsigned long)*link);
}
#else
static void walk_saw(int level, paddr_t page)
{
	(void)level, (void)page;
}

void ptlock_walk_check_free(struct mm *mm, paddr_t table)
{
	(void)mm, (void)table;
}

static void held_link_set(pte_t *link, pte_t e)
{
	(void)link, (void)e;
}

static void held_link_moved(pte_t *link, pte_t e)
{
	(void)link, (void)e;
}

void ptlock_held_link_check(paddr_t table)
{
	(void)table;
}
#endif

static uint32_t *lock_word(paddr_t table)
{
	return &pa_to_frame(table)->pt_share;
}

/* Lock the table whose page's frame is f, for call site pc. */
static inline __attribute__((always_inline)) void ptlock_lock_at(struct frame *f, uintptr_t pc)
{
	bit_lock(&f->pt_share, PT_SHARE_LOCK, &ptlock_class, &f->pt_lock_last, pc);
}

__attribute__((noinline)) void ptlock_lock(paddr_t table)
{
	ptlock_lock_at(pa_to_frame(table), (uintptr_t)__builtin_return_address(0));
}

bool ptlock_holding(paddr_t table)
{
	return bit_lock_holding(lock_word(table), PT_SHARE_LOCK, &ptlock_class);
}

__attribute__((noinline)) void ptlock_lock_quiet(paddr_t table)
{
	uint32_t *word = lock_word(table);

	ptlock_lock_at(pa_to_frame(table), (uintptr_t)__builtin_return_address(0));
	/* Acquire: pairs with each owner's release in ptlock_busy_done. */
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) & PT_SHARE_BUSY)
		spin_wait_once();
}

__attribute__((noinline)) bool ptlock_lock_batch_slow(paddr_t table, bool taken)
{
	uint32_t *word = lock_word(table);

	if (!taken)
		ptlock_lock_at(pa_to_frame(table), (uintptr_t)__builtin_return_address(0));
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) & PT_SHARE_BUSY)
		spin_wait_once();
	return !taken;
}

void ptlock_busy_add(paddr_t table)
{
	uint32_t old;

	assert(ptlock_holding(table));
	old = __atomic_fetch_add(lock_word(table), PT_SHARE_BUSY_ONE, __ATOMIC_RELAXED);
	assert((old & PT_SHARE_BUSY) < PT_SHARE_BUSY - PT_SHARE_BUSY_ONE);
}

void ptlock_busy_done(paddr_t table)
{
	/* Release: whoever sees the count fall sees the install before it. */
	uint32_t old = __atomic_fetch_sub(lock_word(table), PT_SHARE_BUSY_ONE, __ATOMIC_RELEASE);

	assert((old & PT_SHARE_BUSY) != 0); /* ours was counted */
}

/* Inline: every fault opens a section, and a call would spill the find's registers. */
static inline void ptlock_walk_begin(struct mm *mm)
{
	int self;

	hart_irq_push_off(); /* the section stays on this hart */
	self = this_hart()->index;

	assert(!(walker[self].seq & 1)); /* sections do not nest */
#ifdef KINE_MM_CHECK
	walker[self].seen[0] = walker[self].seen[1] = 0;
#endif
	__atomic_store_n(&walker[self].mm, mm, __ATOMIC_RELAXED);
	__atomic_store_n(&walker[self].seq, walker[self].seq + 1, __ATOMIC_RELEASE);
	/* The mark before any load of the walk (see the top of this file). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void ptlock_walk_end(void)
{
	int self = this_hart()->index;

	assert(walker[self].seq & 1);
	/* Release: the walk's loads before the end of the section. */
	__atomic_store_n(&walker[self].seq, walker[self].seq + 1, __ATOMIC_RELEASE);
	hart_irq_pop_off();
}

void ptlock_walk_layout_begin(struct mm *mm)
{
	assert(spin_holding(&mm->lock));
	ptlock_walk_begin(mm);
}

void ptlock_walk_layout_end(void)
{
	ptlock_walk_end();
}

void ptlock_walk_wait(struct mm *mm)
{
	bool waited = false;

	/*
	 * Never from inside a walk section of this hart: the loop would wait
	 * for it, forever (the model's OWN_WAIT_IN_SECTION). Sound with
	 * interrupts on too: a section keeps them off, so an open one on this
	 * hart is the caller's own.
	 */
	assert(!(__atomic_load_n(&walker[this_hart()->index].seq, __ATOMIC_RELAXED) & 1));
	if (VM_INJECTED(ptlock_skip_grace))
		return; /* fault injection: ptlock_walk_check_free must catch it */
	/* The caller's unlink before any load of a mark. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int h = 0; h < HART_LOCAL_MAX; h++) {
		uint64_t seq = __atomic_load_n(&walker[h].seq, __ATOMIC_ACQUIRE);

		if (!(seq & 1) || __atomic_load_n(&walker[h].mm, __ATOMIC_RELAXED) != mm)
			continue;
		/* Any change of seq ends that section (a new one began after the unlink). */
		while (__atomic_load_n(&walker[h].seq, __ATOMIC_ACQUIRE) == seq)
			spin_wait_once();
		waited = true;
	}
	if (waited)
		__atomic_fetch_add(&ptlock_stats.grace_waits, 1, __ATOMIC_RELAXED);
}

/*
 * With either fault injection (debug image), a walk lingers between reading
 * the link and taking the lock (50000 spin turns, longer than an unmap's
 * shootdown under QEMU), so that the broken protocol is caught within a few
 * rounds of ptlocktest's unmap race, not once in millions of unlinks (the
 * window is a dozen instructions wide). Lingering with the wait and the
 * re-check in place, the same race never trips either check.
 */
static void walk_linger(void)
{
	for (int i = 0; i < 50000; i++)
		spin_wait_once();
}

/* The level-1 entry for va in mm, read without mm->lock; NULL if no level-1 table. */
static inline __attribute__((always_inline)) pte_t *walk_link(struct mm *mm, uintptr_t va)
{
	const pte_t *root = phys_to_virt(mm->root);
	pte_t e = __atomic_load_n(&root[sv39_vpn(va, 2)], __ATOMIC_ACQUIRE);

	if (!pte_is_table(e))
		return NULL;
	walk_saw(0, pte_pa(e));
	return &((pte_t *)phys_to_virt(pte_pa(e)))[sv39_vpn(va, 1)];
}

/*
 * Is the table, locked (f, its page's frame), mm's own and free to change?
 * Relaxed: the lock's acquire already orders the load after it, and links
 * and PROTECTED change under the lock (ptshare.h).
 */
static bool table_own(const struct frame *f)
{
	uint32_t word = __atomic_load_n(&f->pt_share, __ATOMIC_RELAXED);

	return (word & (PT_SHARE_LINKS | PT_SHARE_PROTECTED)) == 1;
}

/*
 * Inside a walk section: lock the table behind link (valid or dormant; a
 * fault's counted lock, or with batch the layout change's, ptlock.h) and
 * check that link still names it. Returns false if it changed meanwhile
 * (nothing held: try again); else true, with *e the link's value (locked
 * if it names a table, 0 or no table otherwise).
 */
static bool link_lock_once(pte_t *link, pte_t *e, bool *batch, uintptr_t pc)
{
	pte_t v = __atomic_load_n(link, __ATOMIC_ACQUIRE);
	paddr_t table;

	*e = v;
	if (!pte_is_table(v) && !pte_is_dormant(v))
		return true;
	table = pte_pa(v);
	walk_saw(1, table);
	if (batch != NULL)
		*batch = ptlock_lock_batch(table);
	else
		ptlock_lock_at(pa_to_frame(table), pc);
	if (__atomic_load_n(link, __ATOMIC_RELAXED) == v)
		return true; /* relaxed: ordered after the lock by its acquire */
	if (batch != NULL)
		ptlock_unlock_batch(table, *batch);
	else
		ptlock_unlock(table);
	__atomic_fetch_add(&ptlock_stats.retries, 1, __ATOMIC_RELAXED);
	return false;
}

pte_t ptlock_find_link(struct mm *mm, uintptr_t va, pte_t **link, uintptr_t pc)
{
	assert(va < USER_END);
	for (;;) {
		pte_t e = 0;
		bool done;

		ptlock_walk_begin(mm);
		*link = walk_link(mm, va);
		done = *link == NULL || link_lock_once(*link, &e, NULL, pc);
		if (done && (pte_is_table(e) || pte_is_dormant(e)))
			held_link_set(*link, e);
		ptlock_walk_end();
		if (done)
			return pte_is_table(e) || pte_is_dormant(e) ? e : 0;
	}
}

pte_t ptlock_lock_link_slow(pte_t *link, struct ptlock_held *held)
{
	bool counted = false;
	pte_t e;

	assert(walker[this_hart()->index].seq & 1); /* inside ptlock_walk_layout_begin .. end */
	while (!link_lock_once(link, &e, &counted, 0))
		;
	if (!pte_is_table(e) && !pte_is_dormant(e)) {
		*held = (struct ptlock_held){.frame = NULL, .word = 0, .counted = false};
		return 0;
	}
	held->frame = pa_to_frame(pte_pa(e));
	held->word = __atomic_load_n(&held->frame->pt_share, __ATOMIC_RELAXED);
	held->counted = counted;
	assert(held->word & PT_SHARE_LOCK); /* ours */
	return e;
}

void ptlock_link_store(pte_t *link, pte_t e)
{
	assert(ptlock_holding(pte_pa(*link)));
	__atomic_store_n(link, e, __ATOMIC_RELEASE);
	held_link_moved(link, e);
}

enum ptlock_found ptlock_find(struct mm *mm, uintptr_t va, pte_t **pte, uintptr_t pc)
{
	assert(va < USER_END);
	for (;;) {
		pte_t *link, e;
		paddr_t table;
		struct frame *f;

		ptlock_walk_begin(mm);
		link = walk_link(mm, va);
		e = link != NULL ? __atomic_load_n(link, __ATOMIC_ACQUIRE) : 0;
		if (!pte_is_table(e)) {
			ptlock_walk_end();
			return pte_is_dormant(e)                  ? PTLOCK_DORMANT
			       : pte_is_leaf(e) || pte_is_lazy(e) ? PTLOCK_HUGE
								  : PTLOCK_NONE;
		}
		table = pte_pa(e);
		f = pa_to_frame(table);
		walk_saw(1, table);
		perturb_window(); /* seed=N: let an unlink act inside the walk */
		if (VM_INJECTED(ptlock_skip_grace) || VM_INJECTED(ptlock_skip_recheck))
			walk_linger(); /* fault injection: widen the window each closes */
		ptlock_lock_at(f, pc);
		/*
		 * Still the link? Then the table stays linked while we hold its
		 * lock (every unlink takes it), and the section may end. (If the
		 * page was freed and came back as this very table meanwhile, it
		 * is this table now all the same.) Relaxed: the lock's acquire
		 * orders the load after the lock.
		 */
		if (VM_INJECTED(ptlock_skip_recheck) ||
		    __atomic_load_n(link, __ATOMIC_RELAXED) == e) {
			held_link_set(link, e);
			ptlock_walk_end();
			*pte = &((pte_t *)phys_to_virt(table))[sv39_vpn(va, 0)];
			return table_own(f) ? PTLOCK_OWN : PTLOCK_SHARED;
		}
		ptlock_unlock(table);
		ptlock_walk_end();
		__atomic_fetch_add(&ptlock_stats.retries, 1, __ATOMIC_RELAXED);
	}
}
