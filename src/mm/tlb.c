/*
 * tlb.c: address-space switches and TLB shootdowns (see tlb.h and
 * docs/cow.md, "Shootdowns").
 *
 * Owns: each mm's hart mask (with asid.c, which narrows it at a new
 * generation), each hart's record of the mm it loaded last, the
 * shootdown counters, and the per-hart flush request slots of IPI
 * shootdowns (tlb=ipi).
 *
 * Shootdowns of one mm may overlap: one under mm->lock (fork, munmap,
 * mprotect) with any number from COW copies in their busy window, which
 * run without any lock (mm.h). Nothing here relies on them taking turns:
 * each stores its PTEs, bumps tlb_gen, and fences whoever is active then.
 *
 * Invariant (checked by tlb_shadow.c in the debug image): a hart that may
 * still use a cached translation of mm has its bit set in mm->harts, and
 * every such hart is either flushed by each shootdown or flushes mm's
 * ASID before it next loads mm.
 *
 * Lazy shootdowns: only the harts running mm now (mm->active) are flushed
 * remotely. A hart that merely ran mm before cannot use mm's entries
 * while its satp holds another ASID, so it is left alone and flushes mm's
 * ASID when it next loads mm, if mm->tlb_gen moved since its tlb_seen.
 * Why it is exact: the loader sets its bit in mm->active, then reads
 * tlb_gen; the shooter bumps tlb_gen (after its PTE stores), then reads
 * mm->active; all four accesses are sequentially consistent, so either
 * the shooter sees the bit (and flushes the hart) or the loader sees the
 * new generation (and flushes itself). This spares the IPI or SBI call,
 * and its wait, for every hart that is idle or runs something else:
 * 85% of the remote targets in the system-call fuzzer, and the sleeping
 * second thread of forkbench's two-threaded fault case (docs/cow.md).
 */
#include "src/mm/tlb.h"

#include "src/arch/riscv/kmap.h"
#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/mmu.h"
#include "src/base/check.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/mm/asid.h"
#include "src/mm/mm.h"
#include "src/mm/tlb_shadow.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/perturb.h"

_Static_assert(HART_LOCAL_MAX <= 64, "a hart mask is one 64-bit word");

#define TLB_DEFAULT_THRESHOLD 64 /* pages; Linux's tlb_flush_all_threshold */

struct tlb_stats tlb_stats;
unsigned tlb_range_threshold = TLB_DEFAULT_THRESHOLD;

/*
 * The mm each hart loaded last (written by that hart only, interrupts
 * off). Without ASIDs it is dereferenced at the next switch, to clear the
 * hart's bit: that switch always comes before the mm can be destroyed (the
 * scheduler switches to the kernel's table before it lets go of a thread).
 */
static struct mm *tlb_loaded[HART_LOCAL_MAX];

static void tlb_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/*
 * How remote harts are flushed: through the firmware (SBI RFENCE, the
 * default) or by kine's own IPIs (the //:kernel_ipi build's default, and
 * boot option tlb=ipi). Set once by tlb_init() before any other hart runs
 * user code; read-only afterwards.
 */
#ifdef KINE_TLB_IPI
static bool tlb_by_ipi = true;
#else
static bool tlb_by_ipi = false;
#endif

void tlb_init(unsigned asid_bits, int harts, unsigned threshold_pages, enum tlb_remote remote)
{
	asid_init(asid_bits, harts);
	if (threshold_pages != 0)
		tlb_range_threshold = threshold_pages;
	if (remote != TLB_REMOTE_DEFAULT)
		tlb_by_ipi = remote == TLB_REMOTE_IPI;
	if (tlb_by_ipi)
		spin_wait_hook = tlb_ipi_poll; /* a hart that spins answers flush requests */
	kprintf("kine: tlb: shootdowns through %s, by range up to %u pages%s\n",
		tlb_shootdown_mode(), tlb_range_threshold,
		tlb_shadow_enabled() ? ", shadow record checked" : "");
}

static void tlb_mask_set(struct mm *mm, int hart)
{
	__atomic_fetch_or(&mm->harts, 1ull << hart, __ATOMIC_SEQ_CST);
}

static void tlb_mask_clear(struct mm *mm, int hart)
{
	__atomic_fetch_and(&mm->harts, ~(1ull << hart), __ATOMIC_SEQ_CST);
}

/*
 * This hart is about to load mm: announce it in mm->active, then read the
 * generation (the order is what makes lazy shootdowns exact, see above).
 * Returns whether mm's PTEs changed since this hart's TLB last caught up
 * with them; the caller then flushes mm's ASID here before it runs mm.
 */
static bool tlb_enter(struct mm *mm, int hart)
{
	uint64_t gen;

	__atomic_fetch_or(&mm->active, 1ull << hart, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&mm->tlb_gen, __ATOMIC_SEQ_CST);
	if (mm->tlb_seen[hart] == gen)
		return false;
	mm->tlb_seen[hart] = gen;
	return true;
}

/* This hart's satp no longer holds mm: shootdowns may skip it from now on. */
static void tlb_leave(struct mm *mm, int hart)
{
	__atomic_fetch_and(&mm->active, ~(1ull << hart), __ATOMIC_SEQ_CST);
}

/* The hart switched from prev to mm (either may be NULL). */
static void tlb_switched(int hart, struct mm *prev, struct mm *mm)
{
	if (prev != NULL && prev != mm)
		tlb_leave(prev, hart);
	tlb_loaded[hart] = mm;
}

/* Without ASIDs: every user translation is tagged 0, so every switch flushes. */
static void tlb_activate_flushing(int hart, struct mm *mm)
{
	struct mm *prev = tlb_loaded[hart];

	if (mm != NULL) {
		tlb_mask_set(mm, hart);
		(void)tlb_enter(mm, hart); /* the flush below covers any generation */
	}
	mmu_switch(mm != NULL ? mm->root : kernel_root, 0);
	mmu_flush_all();
	tlb_count(&tlb_stats.switch_flushes, 1);
	tlb_shadow_switch(hart, mm, 0, true, false);
	/* Only now can this hart no longer use prev's entries (and its shadow knows). */
	if (prev != NULL && prev != mm)
		tlb_mask_clear(prev, hart);
	tlb_switched(hart, prev, mm);
}

/* With ASIDs: the kernel's table is ASID 0 and holds no user translations. */
static void tlb_activate_asid(int hart, struct mm *mm)
{
	bool flush = false, stale = false;
	uint64_t ctx = 0;

	if (mm != NULL) {
		ctx = asid_context_for(mm, hart, &flush);
		tlb_mask_set(mm, hart); /* after the context: a new one narrows the mask */
		stale = tlb_enter(mm, hart);
	}
	mmu_switch(mm != NULL ? mm->root : kernel_root, asid_of(ctx));
	if (flush) {
		mmu_flush_all();
		tlb_count(&tlb_stats.switch_flushes, 1);
	} else if (stale) {
		mmu_flush_asid(asid_of(ctx)); /* the shootdowns that skipped this hart */
		tlb_count(&tlb_stats.lazy_flushes, 1);
	}
	/* The shadow's record of what runs here changes before mm->active does. */
	tlb_shadow_switch(hart, mm, ctx, flush, stale && !flush);
	tlb_switched(hart, tlb_loaded[hart], mm);
}

void tlb_activate(struct mm *mm)
{
	int hart = hart_local_begin();

	if (asid_enabled())
		tlb_activate_asid(hart, mm);
	else
		tlb_activate_flushing(hart, mm);
	hart_local_end();
}

static unsigned tlb_asid(struct mm *mm)
{
	return asid_enabled() ? asid_of(__atomic_load_n(&mm->context, __ATOMIC_ACQUIRE)) : 0;
}

/* This hart's part of a shootdown: the pages, or the whole ASID. */
static void tlb_flush_here(uintptr_t va, size_t pages, bool whole, unsigned asid)
{
	if (!asid_enabled()) {
		if (whole)
			mmu_flush_all();
		else
			for (size_t i = 0; i < pages; i++)
				mmu_flush_page_any_asid(va + i * PAGE_SIZE);
		return;
	}
	if (whole)
		mmu_flush_asid(asid);
	else
		for (size_t i = 0; i < pages; i++)
			mmu_flush_page(va + i * PAGE_SIZE, asid);
}

/*
 * Flush requests by IPI: slot [target][sender] holds what sender asks of
 * target; tlb_ipi_pending[target] has bit `sender` set while the slot is
 * full. A sender fills the slot, sets the bit (release) and raises the
 * IPI; the target flushes and clears the bit (release); the sender waits
 * for every bit to clear, answering requests to itself meanwhile (two
 * harts may shoot each other down at once).
 */
struct tlb_request {
	uintptr_t va;
	size_t pages;
	bool whole;
	unsigned asid;
};

static struct tlb_request tlb_requests[HART_LOCAL_MAX][HART_LOCAL_MAX];
static uint64_t tlb_ipi_pending[HART_LOCAL_MAX];

void tlb_ipi_poll(void)
{
	int self = hart_local_index();
	uint64_t pending = __atomic_load_n(&tlb_ipi_pending[self], __ATOMIC_ACQUIRE);

	for (int sender = 0; pending != 0; sender++, pending >>= 1) {
		struct tlb_request *r = &tlb_requests[self][sender];

		if (!(pending & 1))
			continue;
		tlb_flush_here(r->va, r->pages, r->whole, r->asid);
		__atomic_fetch_and(&tlb_ipi_pending[self], ~(1ull << sender), __ATOMIC_RELEASE);
	}
}

static void tlb_flush_remote_ipi(int self, uint64_t targets, uintptr_t va, size_t pages, bool whole,
				 unsigned asid)
{
	for (int t = 0; t < nharts; t++) {
		if (!(targets & (1ull << t)))
			continue;
		tlb_requests[t][self] = (struct tlb_request){va, pages, whole, asid};
		__atomic_fetch_or(&tlb_ipi_pending[t], 1ull << self, __ATOMIC_RELEASE);
		if (!arch_ipi_send(harts[t].hartid))
			panic("tlb: cannot send a shootdown IPI to hart %u", harts[t].hartid);
	}
	for (int t = 0; t < nharts; t++)
		while (targets & (1ull << t) &&
		       __atomic_load_n(&tlb_ipi_pending[t], __ATOMIC_ACQUIRE) & (1ull << self))
			spin_wait_once(); /* answers requests to this hart (the hook), paces seed=N */
}

/* SBI RFENCE: one call per window of 64 hart ids that holds targets. */
static void tlb_flush_remote_sbi(uint64_t targets, uintptr_t va, size_t pages, bool whole,
				 unsigned asid)
{
	while (targets != 0) {
		unsigned long base = (unsigned long)-1;
		uint64_t mask = 0;

		for (int t = 0; t < nharts; t++)
			if (targets & (1ull << t) && harts[t].hartid < base)
				base = harts[t].hartid;
		for (int t = 0; t < nharts; t++) {
			if (targets & (1ull << t) && harts[t].hartid - base < 64) {
				mask |= 1ull << (harts[t].hartid - base);
				targets &= ~(1ull << t);
			}
		}
		perturb_remote_wait(); /* seed=N: let the targets run during the wait */
		mmu_flush_remote(mask, base, whole ? 0 : va,
				 whole ? (uintptr_t)-1 : pages * PAGE_SIZE, asid, asid_enabled());
	}
}

const char *tlb_shootdown_mode(void)
{
	return tlb_by_ipi ? "IPI" : "SBI RFENCE";
}

static void tlb_flush_remote(int self, uint64_t targets, uintptr_t va, size_t pages, bool whole,
			     unsigned asid)
{
	if (tlb_by_ipi)
		tlb_flush_remote_ipi(self, targets, va, pages, whole, asid);
	else
		tlb_flush_remote_sbi(targets, va, pages, whole, asid);
}

/* A shootdown of pages from va, or (whole) of mm's entire ASID. */
static void tlb_shoot(struct mm *mm, uintptr_t va, size_t pages, bool whole)
{
	uint64_t mask, others, gen;
	unsigned asid;
	int self;

	/*
	 * Under mm->lock, in a COW copy's busy window (cow.c), where its
	 * table's busy count holds the PTE for it, or after a fault's own by
	 * copy moved a link (ptshare.c): nothing here needs any of them.
	 */
	self = hart_local_begin();
	/* Order the caller's PTE stores before reading who may cache them. */
	gen = __atomic_add_fetch(&mm->tlb_gen, 1, __ATOMIC_SEQ_CST);
	mask = __atomic_load_n(&mm->harts, __ATOMIC_SEQ_CST);
	/* The others flush at their next load of mm (tlb_enter). */
	others = mask & __atomic_load_n(&mm->active, __ATOMIC_SEQ_CST) & ~(1ull << self);
	tlb_count(&tlb_stats.harts_skipped,
		  (uint64_t)__builtin_popcountll(mask & ~others & ~(1ull << self)));
	asid = tlb_asid(mm);
	if (mask & (1ull << self)) {
		tlb_flush_here(va, pages, whole, asid);
		/*
		 * tlb_seen[self] == gen - 1 means this hart's TLB already holds
		 * every PTE store made before bumps 1 .. gen - 1 (each shooter
		 * stores, then bumps), and the flush above covers ours: so it
		 * holds everything up to gen, even if another shootdown of mm
		 * (numbered below gen) has not finished fencing the others.
		 */
		if (mm->tlb_seen[self] == gen - 1)
			mm->tlb_seen[self] = gen;
	}
	if (others == 0) {
		tlb_count(&tlb_stats.local_only, 1);
	} else {
		tlb_flush_remote(self, others, va, pages, whole, asid);
		tlb_count(&tlb_stats.shootdowns, 1);
		tlb_count(&tlb_stats.harts_targeted, (uint64_t)__builtin_popcountll(others));
	}
	if (whole)
		tlb_count(&tlb_stats.full_asid, 1);
	tlb_shadow_shootdown(mm, (mask & (1ull << self)) | others, gen, self, whole);
	hart_local_end();
}

void tlb_shootdown(struct mm *mm, uintptr_t va, size_t size)
{
	bool whole = size > (size_t)tlb_range_threshold * PAGE_SIZE;
	size_t pages = whole ? 0 : (PAGE_ALIGN_UP(va + size) - PAGE_ALIGN_DOWN(va)) / PAGE_SIZE;

	tlb_shoot(mm, PAGE_ALIGN_DOWN(va), pages, whole);
}

void tlb_shootdown_tables(struct mm *mm)
{
	tlb_count(&tlb_stats.table_flushes, 1);
	tlb_shoot(mm, 0, 0, true);
}

void tlb_flush_local(struct mm *mm, uintptr_t va)
{
	(void)hart_local_begin(); /* the flush must happen on the hart that asked */
	tlb_flush_here(PAGE_ALIGN_DOWN(va), 1, false, tlb_asid(mm));
	hart_local_end();
}

void tlb_flush_local_all(struct mm *mm)
{
	(void)hart_local_begin(); /* the flush must happen on the hart that asked */
	tlb_flush_here(0, 0, true, tlb_asid(mm));
	hart_local_end();
}
