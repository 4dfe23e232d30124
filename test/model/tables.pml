/*
 * tables.pml: the lifecycle of a page-table page in a live address space
 * (docs/model.md, "Table pages"; docs/cow.md, "Table pages").
 *
 * One level-0 table T of one mm holds the only leaf of its 2 MiB region.
 * Three harts:
 *  - hart 0 runs the thread that unmaps the page (munmap, a thread join, an
 *    sbrk shrink: all the same path, mm.c mm_unmap_locked). It may load the
 *    page first, so that its own walker caches the link to T (the one-hart
 *    case), then clears the leaf, unlinks T, shoots down, frees T, and the
 *    allocator hands T out again as a user page full of PTE-shaped words
 *    (the forged leaf of the issue);
 *  - hart 1 runs a sibling thread that loads the page in a loop, and may be
 *    switched out and back in;
 *  - hart 2 ran the mm before and runs another address space now: its walk
 *    cache still holds the link to T under the mm's ASID. It loads the mm
 *    again at some point and loads the page.
 *
 * What the hardware may do, from the privileged spec:
 *  - a walk is two reads here: the link to T (from memory, or from the
 *    hart's walk cache if it holds one), then T's entry; the walker may
 *    cache the link as it goes (a page-walk cache), and the leaf once it
 *    is valid (the TLB);
 *  - sfence.vma with an address (a ranged flush) drops leaf entries only;
 *    sfence.vma with rs1 = x0 (a whole flush of the ASID) drops the cached
 *    links too;
 *  - a remote flush (SBI RFENCE or kine's IPI) is taken between two
 *    instructions of the target: never in the middle of its walk;
 *  - a hart's cached entries are tagged with the mm's ASID: it uses them
 *    only while its satp holds that ASID.
 *
 * The lazy shootdown of tlb.c: a shootdown bumps the mm's generation, then
 * fences the harts whose bit is set in mm->active; a hart that loads the
 * mm sets its bit, then reads the generation, and flushes the ASID first if
 * the generation moved since it last caught up.
 *
 * The property: no walk ever reads T's entry once T has been freed (a walk
 * that reads the page after the allocator handed it out again would take
 * a user's word for a PTE). And, to check that the fixed protocol does not
 * trivially forbid walks, probes (-DREACH=N) must be reached: 1, a walk
 * reads T after the unlink (through a cached link, or in flight), before
 * the free; 2, the shootdown skips a hart that caches the link (it runs
 * something else); 3, such a hart loads the mm again and catches up;
 * 4, a whole flush drops a link to T that a hart had cached.
 *
 * Broken variants (-D), each of which spin must refute:
 *  FREE_BEFORE_FLUSH   the free comes before the shootdown (kine before
 *                      the fix: pt_unmap freed T at once)
 *  RANGED_FLUSH        the shootdown flushes the page only (rs1 = va), as
 *                      kine did for 64 pages or fewer
 *  NO_LAZY_CATCHUP     a hart that loads the mm again skips the flush the
 *                      lazy rule owes (hart 2 keeps its stale link)
 */

#define NHARTS 3
#define FREE_T 0   /* T's state: given back to the allocator */
#define TABLE  1   /* linked, or unlinked and not yet freed */
#define REUSED 2   /* handed out again: a user page of forged leaves */

byte t_state = TABLE;
bool link = 1;          /* the level-1 entry that points at T */
bool leaf = 1;          /* T's entry for the page */
byte gen = 0;           /* the mm's shootdown generation (tlb_gen) */
bool act[NHARTS];    /* mm->active: the harts whose satp holds the mm */
byte seen[NHARTS];      /* tlb_seen: the generation the hart caught up with */
bool wc[NHARTS];        /* the hart's walk cache holds the link to T */
bool tlb[NHARTS];       /* the hart's TLB holds the page's leaf */
bool midwalk[NHARTS];   /* between the two reads of a walk */
bool unmapped = 0;      /* hart 0 is done: the page is gone */

/* The second read of a walk on hart h: T's entry. T must still be a table page. */
inline read_t(h)
{
	assert(t_state == TABLE);
#ifdef REACH
	assert(!(REACH == 1 && !link)); /* probe 1: a stale link or a walk in flight reads T */
#endif
	if
	:: leaf -> tlb[h] = 1
	:: else -> skip /* invalid: a page fault, nothing cached */
	fi
}

/*
 * A walk for the page on hart h (which runs the mm), one read at a time:
 * the link (from the walk cache, or from memory, caching it or not), then
 * T's entry. Other harts run between the two reads.
 */
inline walk(h)
{
	if
	:: tlb[h] -> skip /* a TLB hit: no walk */
	:: else ->
		midwalk[h] = 1;
		if
		:: wc[h] -> printf("MSC: hart %d walks through its cached link to T\n", h); read_t(h)
		:: !wc[h] && link -> wc[h] = 1; read_t(h)
		:: !wc[h] && link -> read_t(h)
		:: !wc[h] && !link -> skip /* no table: a page fault */
		fi;
		midwalk[h] = 0
	fi
}

/* The target side of a flush: taken between instructions, never mid-walk. */
inline flush_remote(h, whole)
{
	atomic {
		!midwalk[h];
#ifdef REACH
		assert(!(REACH == 4 && whole && wc[h] && t_state == TABLE)); /* probe 4: drops a live link */
#endif
		tlb[h] = 0;
		if
		:: whole -> wc[h] = 0
		:: else -> skip
		fi
	}
}

/* tlb_enter + the lazy catch-up: set the bit, read the generation, flush if it moved. */
inline load_mm(h)
{
	act[h] = 1;
	if
	:: seen[h] != gen ->
		printf("MSC: hart %d loads the mm: generation %d moved\n", h, gen);
		seen[h] = gen;
#ifdef REACH
		assert(!(REACH == 3 && wc[h] && !link)); /* probe 3: a skipped hart catches up */
#endif
#ifndef NO_LAZY_CATCHUP
		atomic { tlb[h] = 0; wc[h] = 0 }   /* sfence.vma x0, asid */
#else
		skip
#endif
	:: else -> skip
	fi
}

/* The switch away: satp leaves the mm (its entries stay, tagged with its ASID). */
inline leave_mm(h)
{
	act[h] = 0
}

/* tlb_shootdown_tables: bump, read the mask, flush self and the active ones. */
inline shootdown()
{
	bool whole_flush;
#ifdef RANGED_FLUSH
	whole_flush = 0;
#else
	whole_flush = 1;
#endif
	gen++;
	printf("MSC: hart 0 shoots down (generation %d, whole %d), active %d %d\n", gen,
	       whole_flush, act[1], act[2]);
	seen[0] = gen;   /* this hart flushes itself below */
	atomic { tlb[0] = 0; if :: whole_flush -> wc[0] = 0 :: else -> skip fi };
#ifdef REACH
	assert(!(REACH == 2 && ((!act[1] && wc[1]) || (!act[2] && wc[2])))); /* probe 2: a lazy skip */
#endif
	if
	:: act[1] -> flush_remote(1, whole_flush); seen[1] = gen
	:: else -> skip
	fi;
	if
	:: act[2] -> flush_remote(2, whole_flush); seen[2] = gen
	:: else -> skip
	fi
}

inline free_table()
{
	t_state = FREE_T;
	printf("MSC: hart 0 frees T; it comes back as a user page\n");
	t_state = REUSED    /* sbrk hands the page out again, full of forged leaves */
}

proctype hart0()
{
	load_mm(0);
	if
	:: walk(0)        /* the thread reads the page first: the link may be cached */
	:: skip
	fi;
	/* munmap, under mm->lock: clear the leaf, unlink the emptied table. */
	leaf = 0;
	link = 0;
	printf("MSC: hart 0 clears the leaf and unlinks T\n");
#ifdef FREE_BEFORE_FLUSH
	free_table();
	shootdown();
#else
	shootdown();
	free_table();
#endif
	unmapped = 1;
	/* The thread touches the unmapped page: a fault, if the walk cache lets go. */
	walk(0)
}

proctype hart1()
{
	load_mm(1);
	do
	:: walk(1)
	:: leave_mm(1); load_mm(1)      /* switched out and back in */
	:: unmapped -> break
	od;
	walk(1)
}

proctype hart2()
{
	/* It ran the mm before (init gave it a cached link to T); now it loads it again. */
	load_mm(2);
	walk(2)
}

init {
	atomic {
		wc[2] = 1; /* hart 2 ran the mm before: a link to T under its ASID */
		run hart0();
		run hart1();
		run hart2()
	}
}
