/*
 * mega.pml: 2 MiB megapages of private anonymous memory, forked COW, split
 * by a write fault while another thread of the same process faults on
 * another page of the same megapage (src/mm/megapage.c, src/mm/cow.c;
 * issue 23; docs/model.md, "Megapages").
 *
 * One megapage of two pages (the 512 abstracted to 2) over a block of two
 * frames (0 and 1; page p is frame p). Each address space (mm) has one
 * level-1 entry for the region, l1[m]: a megapage leaf (R, U, V; W, or COW
 * when W is clear; A), or a link to a level-0 table of its own (the split
 * table of mm m is table m; a split happens at most once per mm), or 0.
 * The block's references (megapage.h): maps, the whole maps (megapage
 * leaves in any mm); and each frame's refs: the level-0 leaves that map it,
 * the transient references of copies in flight (none here: the busy copy
 * holds its leaf's), and ONE for all the whole maps together while maps is
 * above 0. The last whole map to go drops that one from each frame: the
 * block goes whole if each frame held nothing else, else frame by frame.
 *
 * The address spaces and their threads, each pinned to a hart (one
 * proctype, thread, runs each thread's program, CODE below):
 *  - P, the parent (mm 0). thread_A (hart 0) forks C, stores to page 0 (a
 *    megapage fault: the split, then the 4 KiB COW fault that copies page
 *    0), loads page 1, joins its siblings and exits. thread_B (hart 1) ran
 *    before the fork: its TLB holds the megapage writable. It loads page 1,
 *    loads page 0 and stores to page 1 (the concurrent fault on another
 *    page of the same megapage), at any moment: before, during or after
 *    the fork and the split.
 *  - -DTHREE: a third thread of P, thread_D (hart 3), loads page 0 and
 *    then page 1: a hart that may cache the megapage translation in the
 *    split's window and read through it afterwards.
 *  - C, the child (mm 1, hart 2), starts when fork returns: loads page 0
 *    and page 1, and exits (C1); or stores to page 0 (its own split and
 *    copy), loads page 1 and page 0, and exits (C2). With -DTHREE the child
 *    runs C1 only, unless -DCHILD_SPLITS (16 million states: spin_test
 *    --all).
 *
 * The protocol (megapage.c, cow.c):
 *  - fork (under P's mm->lock): P's writable megapage leaf becomes COW with
 *    A clear (mm_cow_accessed: the harts set A themselves), maps + 1, the
 *    child's entry the same leaf; fork's whole-ASID shootdown of P; the
 *    child's snapshot is P's memory as fork returns.
 *  - a fault that meets a megapage leaf (ptlock_find: PTLOCK_HUGE) takes
 *    mm->lock and reads the entry again (megapage_fault): no longer a
 *    leaf (split meanwhile): start over; an access the leaf allows: set A,
 *    flush this hart; a write to the COW leaf: if maps == 1 and every
 *    frame's refs == 1 (block_owned_alone: maps read first, then each
 *    frame's refs, each its own step) the leaf is made writable whole (W,
 *    A; flush this hart at va); otherwise the split: the table's two leaves
 *    with the megapage leaf's bits as read (A included), frame_get of each
 *    frame; the table locked; the link published; the whole-ASID shootdown
 *    of the mm; the table unlocked; megapage_put. Then the fault starts
 *    over (the access is retried, and faults again into the 4 KiB path).
 *  - the 4 KiB fault (cow_fault_leaf): the table's lock, once the leaf is
 *    not BUSY (cow_pte_settled's wait, as one step with the lock: see
 *    docs/model.md "Steps"); a leaf that allows the access: set A, flush
 *    this hart (all if A was set, else at va); a write to a COW leaf: the
 *    frame's refs (frame_refcount) == 1: reuse in place (W, A; flush at va
 *    if A was set); else the busy copy (cow_copy_busy): the leaf swapped
 *    for its BUSY form (V and A cleared, the old A returned), a new frame
 *    with the old one's contents, unlock; the whole shootdown of the mm if
 *    the swap found A set (none if clear: no hart caches the page); the
 *    copy installed (W, A); the leaf's reference on the old frame put.
 *  - exit (no hart runs the mm any more): the entry cleared; a megapage
 *    leaf: megapage_put; a table: each leaf cleared and its frame put, the
 *    table freed.
 *
 * What the hardware may do, from the privileged spec: a walk reads the
 * level-1 entry, and, for a link, the leaf of the table; it sets A in the
 * leaf it uses atomically with its check of V and the permission, and may
 * then cache the translation (or not: both are searched): a megapage
 * translation covers both pages. A load or store through a cached entry
 * needs no walk; a store whose cached entry is read-only faults. The walk
 * and the access it serves are one step (no table is unlinked or freed
 * while a thread of its mm runs: tables.pml and share.pml check that). A
 * whole-ASID shootdown (tlb_shootdown_tables) flushes every hart that runs
 * the mm and returns once they have; a local flush at va drops the
 * megapage translation covering va and the 4 KiB one of va. Harts never
 * switch mm, so lazy shootdowns play no part (cow.pml, tables.pml).
 *
 * The properties, as assertions:
 *  (1) no stale TLB, the snapshot: every load returns what its process
 *      last stored to the page (a store completed before the load), or,
 *      if it has not stored, what its parent held there when fork returned
 *      (exp[], set with the store in the same step, copied at fork's end);
 *      so the child's snapshot never changes, and no load of P returns a
 *      value older than a store of P completed before it;
 *  (2) no frame is freed while a level-1 leaf, a table leaf (BUSY or not)
 *      or a TLB entry of a running hart can reach it; no access reaches a
 *      freed frame; no count goes below 0 or moves on a freed frame;
 *  (3) at the end (no leak): maps is 0, every frame used is freed with
 *      refs 0, and every table is freed.
 *
 * Broken variants (-D), each of which spin must refute:
 *  SPLIT_UNLOCKED      the split publishes its table without locking it
 *                      through the flush (-DTHREE: with two threads the
 *                      only other thread that can lock the table early
 *                      flushes its own hart on the way; see docs/model.md)
 *  SPLIT_NO_FLUSH      no whole-ASID shootdown after the split
 *  REUSE_MAPS_ONLY     the whole reuse checks maps == 1 only, not each
 *                      frame's refs
 *  SPLIT_PUT_BEFORE_GET the split drops its whole map (megapage_put)
 *                      before it takes the frames' references
 *  BLOCK_LAST_WHOLE    the last whole map frees the block whole without
 *                      looking at the frames' refs
 * Variants spin proves harmless (must pass):
 *  SPLIT_A_COPY        the split's leaves copy the megapage leaf's A (the
 *                      first version of the code; the table's lock through
 *                      the flush makes the code's clear A truthful by
 *                      itself, and copying it is only pessimistic)
 *  SPLIT_PUT_BEFORE_FLUSH the split drops its whole map after the frames'
 *                      references but before the flush (the table's
 *                      references keep every frame a stale entry reaches)
 *
 * Reachability probes (-DREACH=N): 1, a hart sets A in the megapage leaf
 * after the split read it clear, before the link is published (the race
 * window); 2, at the publish, a hart other than the splitter caches the
 * megapage translation; 3, a 4 KiB fault meets the split's lock on the new
 * table while a hart still caches the megapage translation; 4, a 4 KiB copy
 * in a split table skips its shootdown (A clear); 5, one shoots down (A
 * set); 6, a whole reuse; 7, a megapage fault finds, under mm->lock, that
 * the entry is no longer a leaf (the split of the other page's fault came
 * first) and starts over; 8, the last whole map frees the block whole; 9,
 * frame by frame; 10, the whole reuse refused by a frame's refs alone
 * (maps == 1); 11, a 4 KiB reuse in place in a split table; 12, a load
 * through a cached megapage translation after the split's publish (before
 * its flush).
 */

#ifdef THREE
#define NH 4        /* harts: A, B, C, D */
#else
#define NH 3        /* harts: A, B, C */
#endif
#define NM 2        /* address spaces: P, C */
#define NP 2        /* pages of the megapage */
#define NF 5        /* the block's two frames, and up to three copies */
#define NT 2        /* the split table of each mm */

#define MP 0        /* the parent */
#define MC 1        /* the child */

/* A level-1 entry: a megapage leaf (ML: V, R, U; MW, or COW; MA), or a link (MLINK) to table m. */
#define ML    1
#define MW    2
#define MA    4
#define MLINK 8

/* A 4 KiB leaf: the frame in bits 0-2, V, W (no W: COW), A, BUSY (V clear). */
#define EV    8
#define EW    16
#define EA    32
#define EB    64
#define EFR(e) ((e) & 7)

/* A 4 KiB TLB entry: frame + 1 in bits 0-3, and W. A megapage one: 0, MT_R or MT_W. */
#define TW    16
#define MT_R  1
#define MT_W  2

#define UNUSED 0
#define LIVE   1
#define FREED  2

byte l1[NM];            /* each mm's level-1 entry for the region */
byte leaf[NT * NP];     /* table m's leaves */
byte tstate[NT];
byte tlock[NT];         /* the table's lock: 0, or the holder's hart + 1 */
byte maps;              /* the block's whole maps (atomic) */

byte fref[NF];          /* struct frame.refs (atomic) */
byte fstate[NF];
byte fval[NF];          /* the frame's contents */
byte nframes = 2;

byte exp[NM * NP];      /* what each process must read from each page */
byte mmlock[NM];        /* mm->lock: 0, or the holder's hart + 1 */

byte hmm[NH];           /* the mm each hart runs */
bool running[NH];       /* the hart's thread has not finished */
byte mtlb[NH];          /* the hart's megapage translation */
byte tlb[NH * NP];      /* the hart's 4 KiB translation of each page */

bool b_done = 0;        /* thread_B finished (thread_A joins it) */
bool d_done = 1;        /* thread_D finished (-DTHREE: 0 at the start) */

#ifdef REACH
bool splitlocked[NT];   /* probe 3: the split holds the table's lock */
bool published[NT];     /* probe 12: the split published, not flushed yet */
#define PROBE(x) x
#define REACHED(n, cond) assert(!(REACH == (n) && (cond)))
#else
#define PROBE(x) skip
#define REACHED(n, cond) skip
#endif

#define LOCALS byte e, f, c, copy, g, x, a; bool ok, last

#define VAL(m) ((m) + 1)    /* what process m stores */

/* A thread ends: its hart never walks again; forget its caches (fewer states). */
#define HART_DONE(hh) atomic { running[hh] = 0; mtlb[hh] = 0; tlb[(hh) * NP + 0] = 0; tlb[(hh) * NP + 1] = 0 }

/* ---- frames ---- */

/* Does an entry a hart may use still reach frame fr? (2) */
#define LEAF_REACHES(t, p, fr) (tstate[t] == LIVE && (leaf[(t) * NP + (p)] & (EV | EB)) && EFR(leaf[(t) * NP + (p)]) == (fr))
#define TLB_REACHES(h, fr) (running[h] && ((fr) < 2 && mtlb[h] != 0 || \
	(tlb[(h) * NP + 0] & 15) == (fr) + 1 || (tlb[(h) * NP + 1] & 15) == (fr) + 1))
#ifdef THREE
#define TLB3_REACHES(fr) TLB_REACHES(3, fr)
#else
#define TLB3_REACHES(fr) 0
#endif

inline assert_unreachable(fr)
{
	if
	:: (l1[MP] & ML) && (fr) < 2 || (l1[MC] & ML) && (fr) < 2 ||
	   LEAF_REACHES(0, 0, fr) || LEAF_REACHES(0, 1, fr) || LEAF_REACHES(1, 0, fr) || LEAF_REACHES(1, 1, fr) ||
	   TLB_REACHES(0, fr) || TLB_REACHES(1, fr) || TLB_REACHES(2, fr) || TLB3_REACHES(fr) ->
		printf("MSC: frame %d freed while a leaf or a TLB entry reaches it\n", fr);
		assert(0)   /* (2) */
	:: else -> skip
	fi
}

inline frame_release(fr)
{
	assert_unreachable(fr);
	fref[fr] = 0; fstate[fr] = FREED; fval[fr] = 0
}

inline frame_put(fr)
{
	assert(fstate[fr] == LIVE && fref[fr] > 0);
	fref[fr]--;
	if
	:: fref[fr] == 0 -> frame_release(fr); printf("MSC: frame %d freed\n", fr)
	:: else -> skip
	fi
}

/*
 * megapage_put: one whole map less; the last drops the whole maps' one
 * reference from each frame: if each frame's refs is 1, the block goes
 * whole, else frame by frame (block_last reads each frame's refs in turn).
 */
inline megapage_put()
{
	atomic { assert(maps > 0); maps--; last = (maps == 0); printf("MSC: megapage_put: maps %d\n", maps) }
	if
	:: last ->
#ifdef BLOCK_LAST_WHOLE
		c = 1;  /* BROKEN: no look at the frames' refs */
#else
		c = (fref[0] == 1);
		c = c && (fref[1] == 1);
#endif
		if
		:: c -> atomic {
				REACHED(8, 1);
				printf("MSC: the last whole map frees the block whole\n");
				assert(fstate[0] == LIVE && fstate[1] == LIVE);
				frame_release(0); frame_release(1); c = 0; last = 0 }
		:: else ->
			REACHED(9, 1);
			atomic { printf("MSC: the last whole map puts the frames one by one\n"); frame_put(0) };
			atomic { frame_put(1); c = 0; last = 0 }
		fi
	:: else -> skip
	fi
}

/* ---- TLBs ---- */

inline flush_hart(hh)
{
	mtlb[hh] = 0; tlb[(hh) * NP + 0] = 0; tlb[(hh) * NP + 1] = 0
}

/* tlb_flush_local(mm, va): the megapage translation covering va, and va's own. */
inline flush_va(hh, p)
{
	mtlb[hh] = 0; tlb[(hh) * NP + (p)] = 0
}

/* The whole-ASID shootdown of mm m (tlb_shootdown_tables): every hart that runs it. */
inline flush_mm(m)
{
	atomic {
		g = 0;
		do
		:: g < NH && hmm[g] == (m) -> flush_hart(g); g++
		:: g < NH && hmm[g] != (m) -> g++
		:: else -> break
		od;
		g = 0
	}
}

/* ---- user accesses ---- */

/* The access itself, on frame fr: a load checks the snapshot. */
inline touch(hh, m, p, w, fr)
{
	assert(fstate[fr] == LIVE);     /* (2) */
	if
	:: w ->
		fval[fr] = VAL(m);
		exp[(m) * NP + p] = VAL(m);
		printf("MSC: hart %d (mm %d) stores %d to page %d: frame %d\n", hh, m, VAL(m), p, fr)
	:: !w ->
		a = fr; x = exp[(m) * NP + p];    /* what this process must read */
		if
		:: fval[a] != x ->
			printf("MSC: hart %d (mm %d) loads %d from page %d (frame %d), not %d\n", hh, m, fval[a], p, a, x)
		:: else -> skip
		fi;
		assert(fval[a] == x);  /* (1) */
		a = 0; x = 0
	fi
}

/*
 * One instruction of hart hh (mm m) that loads (w 0) or stores (w 1) page
 * p: through a cached entry, or a walk (one step). ok: it ran; otherwise
 * it faulted.
 */
inline access(hh, m, p, w)
{
	ok = 0;
	if
	:: atomic { tlb[(hh) * NP + p] != 0 && (!w || (tlb[(hh) * NP + p] & TW)) ->
		touch(hh, m, p, w, (tlb[(hh) * NP + p] & 15) - 1);
		ok = 1 }
	:: atomic { mtlb[hh] != 0 && (!w || mtlb[hh] == MT_W) ->
		REACHED(12, published[m] && !w);
		touch(hh, m, p, w, p);
		ok = 1 }
	:: atomic { w && (tlb[(hh) * NP + p] != 0 && !(tlb[(hh) * NP + p] & TW) || mtlb[hh] == MT_R) ->
		skip }      /* a store through a read-only entry: a fault */
	:: atomic { tlb[(hh) * NP + p] == 0 && mtlb[hh] == 0 ->
		if
		:: l1[m] & ML ->
			if
			:: !w || (l1[m] & MW) ->
				if
				:: !(l1[m] & MA) -> printf("MSC: hart %d (mm %d) walks the megapage leaf: sets A\n", hh, m)
				:: else -> skip
				fi;
				l1[m] = l1[m] | MA;
				if
				:: mtlb[hh] = ((l1[m] & MW) -> MT_W : MT_R);
					printf("MSC: hart %d (mm %d) caches the megapage (W %d)\n", hh, m, (l1[m] & MW) != 0)
				:: skip
				fi;
				touch(hh, m, p, w, p);
				ok = 1
			:: else -> skip /* a fault */
			fi
		:: l1[m] & MLINK ->
			assert(tstate[m] == LIVE);
			e = leaf[(m) * NP + p];
			if
			:: (e & EV) && (!w || (e & EW)) ->
				leaf[(m) * NP + p] = e | EA;
				f = EFR(e);
				if
				:: tlb[(hh) * NP + p] = (f + 1) | (e & EW)
				:: skip
				fi;
				touch(hh, m, p, w, f);
				ok = 1
			:: else -> skip /* a fault (COW, or BUSY) */
			fi;
			e = 0; f = 0
		fi }
	fi
}

/* ---- the kernel ---- */

inline mm_unlock(m)
{
	mmlock[m] = 0
}

/*
 * split (megapage.c), under mm->lock, of the megapage leaf e of mm m by
 * hart hh: table m.
 */
inline split(hh, m)
{
#ifdef SPLIT_PUT_BEFORE_GET
	megapage_put();     /* BROKEN: the whole map dropped before the frames' references */
#endif
	atomic {
		/* the table's leaves: the same frames, the same bits (A as read) */
#ifdef SPLIT_A_COPY
		a = ((e & MA) -> EA : 0);
#else
		a = 0; /* COW leaves as fork makes them, where harts set A (megapage.c split) */
#endif
		assert(fstate[0] == LIVE && fstate[1] == LIVE && !(e & MW));
		leaf[(m) * NP + 0] = 0 | EV | a;
		leaf[(m) * NP + 1] = 1 | EV | a;
		fref[0]++; fref[1]++;
		tstate[m] = LIVE;
		a = 0
	}
	atomic {
#ifndef SPLIT_UNLOCKED
		tlock[m] = (hh) + 1;
		PROBE(splitlocked[m] = 1);
#endif
		REACHED(1, (l1[m] & MA) && !(e & MA));
		REACHED(2, (mtlb[0] != 0 && hmm[0] == (m) && (hh) != 0) || (mtlb[1] != 0 && hmm[1] == (m) && (hh) != 1)
#ifdef THREE
			   || (mtlb[3] != 0 && hmm[3] == (m) && (hh) != 3)
#endif
			   );
		l1[m] = MLINK;
		PROBE(published[m] = 1);
		printf("MSC: hart %d (mm %d) splits: table published (A %d)\n", hh, m, (e & MA) != 0)
	}
#ifdef SPLIT_PUT_BEFORE_FLUSH
	megapage_put();     /* harmless: the table holds every frame */
#endif
#ifndef SPLIT_NO_FLUSH
	flush_mm(m);
#else
	printf("MSC: hart %d (mm %d): no flush after the split\n", hh, m);   /* BROKEN */
#endif
	atomic {
		PROBE(published[m] = 0);
#ifndef SPLIT_UNLOCKED
		PROBE(splitlocked[m] = 0);
		tlock[m] = 0
#else
		skip        /* BROKEN: the table was never locked */
#endif
	}
#if !defined(SPLIT_PUT_BEFORE_GET) && !defined(SPLIT_PUT_BEFORE_FLUSH)
	megapage_put();
#endif
	skip
}

/* megapage_fault: hart hh (mm m) found a megapage leaf for page p. */
inline megapage_fault(hh, m, p, w)
{
	atomic { mmlock[m] == 0 -> mmlock[m] = (hh) + 1; e = l1[m] }
	if
	:: !(e & ML) ->
		/* split meanwhile: start over */
		REACHED(7, 1);
		atomic { printf("MSC: hart %d (mm %d): the megapage was split meanwhile\n", hh, m); mm_unlock(m); e = 0 }
	:: (e & ML) && (!w || (e & MW)) ->
		atomic { l1[m] = l1[m] | MA; flush_hart(hh); mm_unlock(m); e = 0 }
	:: (e & ML) && w && !(e & MW) ->
		/* block_owned_alone: maps, then each frame's refs */
#ifdef REACH
		atomic { x = maps; c = (x == 1) }  /* probe 10 remembers the maps it read */
#else
		c = (maps == 1);
#endif
#ifndef REUSE_MAPS_ONLY
		c = c && (fref[0] == 1);
		c = c && (fref[1] == 1);
#endif
		if
		:: c ->
			atomic {
				REACHED(6, 1);
				printf("MSC: hart %d (mm %d) makes the megapage writable whole\n", hh, m);
				l1[m] = e | MW | MA;
				flush_va(hh, p);
				mm_unlock(m); c = 0; e = 0
			}
		:: !c ->
			REACHED(10, x == 1);
			PROBE(x = 0);
			split(hh, m);
			atomic { mm_unlock(m); e = 0 }
		fi
	fi
}

/* The 4 KiB fault under table m's lock (cow_fault_leaf, cow_pte_write, cow_copy_busy). */
inline table_fault(hh, m, p, w)
{
#if REACH == 3
	d_step { REACHED(3, splitlocked[m] && (mtlb[0] != 0 && hmm[0] == (m) || mtlb[1] != 0 && hmm[1] == (m)
#ifdef THREE
		|| mtlb[3] != 0 && hmm[3] == (m)
#endif
		)) };
#endif
	atomic {
		tlock[m] == 0 && !(leaf[(m) * NP + p] & EB) ->
		tlock[m] = (hh) + 1;
		assert(tstate[m] == LIVE);
		e = leaf[(m) * NP + p]
	}
	if
	:: (e & EV) && (!w || (e & EW)) ->
		/* allowed: A for the hart (where it does not set it), a flush of this hart */
		atomic {
			leaf[(m) * NP + p] = leaf[(m) * NP + p] | EA;
			if
			:: e & EA -> flush_hart(hh)
			:: else -> flush_va(hh, p)
			fi;
			tlock[m] = 0; e = 0
		}
	:: w && (e & EV) && !(e & EW) ->
		atomic {
			f = EFR(e);
			if
			:: fref[f] == 1 ->
				/* the last owner: reuse in place */
				REACHED(11, 1);
				printf("MSC: hart %d (mm %d) reuses frame %d in place\n", hh, m, f);
				leaf[(m) * NP + p] = e | EW | EA;
				if
				:: e & EA -> flush_va(hh, p)
				:: else -> skip
				fi;
				tlock[m] = 0; e = 0; f = 0
			:: fref[f] > 1 ->
				/* the busy copy: the swap returns A; a new frame; unlock */
				x = leaf[(m) * NP + p];
				a = x & EA;
				leaf[(m) * NP + p] = (x & ~(EV | EA)) | EB;
				copy = nframes;
				assert(copy < NF);
				nframes++;
				fref[copy] = 1; fstate[copy] = LIVE; fval[copy] = fval[f];
				printf("MSC: hart %d (mm %d) copies frame %d to frame %d (A %d)\n", hh, m, f, copy, a != 0);
				tlock[m] = 0; x = 0
			fi
		}
		if
		:: copy != 0 ->
			if
			:: a -> REACHED(5, 1); flush_mm(m)
			:: else -> REACHED(4, 1); printf("MSC: A clear: no shootdown\n")
			fi;
			atomic { leaf[(m) * NP + p] = copy | EV | EW | EA; a = 0 }
			atomic { frame_put(f); f = 0; copy = 0; e = 0 }
		:: else -> skip
		fi
	:: else -> assert(0)
	fi
}

/* A page fault of hart hh (mm m) on page p; the access is retried after it. */
inline fault(hh, m, p, w)
{
	if
	:: l1[m] & ML -> megapage_fault(hh, m, p, w)
	:: l1[m] & MLINK -> table_fault(hh, m, p, w)
	fi
}

/* A load or a store of page p by hart hh (mm m), retried after each fault. */
inline op(hh, m, p, w)
{
	do
	:: access(hh, m, p, w);
		if
		:: ok -> break
		:: else -> fault(hh, m, p, w)
		fi
	od;
	atomic { ok = 0; pc++ }     /* the next operation of the thread's program */
}

/* ---- fork and exit ---- */

/* mm_copy with megapage_fork, by hart hh of P, for C. */
inline fork(hh)
{
	atomic {
		mmlock[MP] == 0 -> mmlock[MP] = (hh) + 1;
		assert(l1[MP] & ML);
		if
		:: l1[MP] & MW -> l1[MP] = l1[MP] & ~(MW | MA)     /* COW, A clear (cow_a 0) */
		:: else -> skip
		fi;
		maps++;
		l1[MC] = l1[MP];
		printf("MSC: mm 0 forks mm 1: the megapage COW, maps %d\n", maps)
	}
	flush_mm(MP);
	atomic {
		/* fork returns: the child's snapshot is what the parent holds now */
		exp[MC * NP + 0] = exp[MP * NP + 0];
		exp[MC * NP + 1] = exp[MP * NP + 1];
		mm_unlock(MP)
	}
}

/* mm_destroy: no hart runs m any more. */
inline exit_mm(m)
{
	atomic { x = l1[m]; l1[m] = 0; printf("MSC: mm %d exits\n", m) }
	if
	:: x & ML -> megapage_put()
	:: x & MLINK ->
		atomic { f = EFR(leaf[(m) * NP + 0]); leaf[(m) * NP + 0] = 0; frame_put(f) }
		atomic { f = EFR(leaf[(m) * NP + 1]); leaf[(m) * NP + 1] = 0; frame_put(f) }
		atomic { tstate[m] = FREED; f = 0 }
	fi;
	atomic { x = 0; exp[(m) * NP + 0] = 0; exp[(m) * NP + 1] = 0 }
}

/* ---- the threads ---- */

#define OP_L0   1   /* load page 0 */
#define OP_L1   2   /* load page 1 */
#define OP_S0   3   /* store to page 0 */
#define OP_S1   4   /* store to page 1 */
#define OP_FORK 5   /* fork; the child runs the program at CODE(pc + 1) or CODE(pc + 2) */
#define OP_BEND 6   /* thread_B ends */
#define OP_DEND 7   /* thread_D ends */
#define OP_EXIT 8   /* the process exits (thread_A joins its siblings first) */

/*
 * The programs (CODE(pc): a constant; each line one program):
 * thread_A (0): fork (the child runs C1 or C2), store 0, load 1, exit.
 * thread_B (7): load 1, load 0, store 1, end.
 * thread_C, C1 (12): load 0, load 1, exit; C2 (16): store 0, load 1, load 0, exit.
 * thread_D (21, -DTHREE): load 0, load 1, end. With -DTHREE the child runs
 * C1 only (but with -DCHILD_SPLITS).
 */
#if defined(THREE) && !defined(CHILD_SPLITS)
#define C2_START 0
#else
#define C2_START 16
#endif
#define CODE(pc) (pc == 0 -> OP_FORK : (pc == 1 -> 12 : (pc == 2 -> C2_START : (pc == 3 -> OP_S0 : \
	(pc == 4 -> OP_L1 : (pc == 5 -> OP_EXIT : \
	(pc == 7 -> OP_L1 : (pc == 8 -> OP_L0 : (pc == 9 -> OP_S1 : (pc == 10 -> OP_BEND : \
	(pc == 12 -> OP_L0 : (pc == 13 -> OP_L1 : (pc == 14 -> OP_EXIT : \
	(pc == 16 -> OP_S0 : (pc == 17 -> OP_L1 : (pc == 18 -> OP_L0 : (pc == 19 -> OP_EXIT : \
	(pc == 21 -> OP_L0 : (pc == 22 -> OP_L1 : (pc == 23 -> OP_DEND : 0))))))))))))))))))))

proctype thread(byte hh; byte m; byte start; byte alt)
{
	LOCALS;
	byte pc;
	if
	:: pc = start
	:: alt != 0 -> pc = alt
	fi;
	do
	:: CODE(pc) >= OP_L0 && CODE(pc) <= OP_S1 ->
		op(hh, m, ((CODE(pc) - 1) % 2), (CODE(pc) >= OP_S0))
	:: CODE(pc) == OP_FORK ->
		fork(hh);
		atomic {
			run thread(2, MC, CODE(pc + 1), CODE(pc + 2));
			pc = pc + 3
		}
	:: CODE(pc) == OP_BEND ->
		HART_DONE(hh);
		b_done = 1;
		break
	:: CODE(pc) == OP_DEND ->
		HART_DONE(hh);
		d_done = 1;
		break
	:: CODE(pc) == OP_EXIT ->
		HART_DONE(hh);
		(hh != 0 || b_done && d_done);  /* thread_A joins its siblings */
		exit_mm(m);
		break
	od
}

init {
	byte k;
	atomic {
		/* P's megapage: private, writable, accessed; the block zeroed, one whole map */
		l1[MP] = ML | MW | MA;
		maps = 1;
		fref[0] = 1; fstate[0] = LIVE;
		fref[1] = 1; fstate[1] = LIVE;
		hmm[0] = MP; hmm[1] = MP; hmm[2] = MC;
		running[0] = 1; running[1] = 1; running[2] = 1;
		/* thread_B ran before the fork: the megapage writable in its TLB */
		mtlb[1] = MT_W;
#ifdef THREE
		hmm[3] = MP; running[3] = 1; d_done = 0;
		run thread(3, MP, 21, 0);
#endif
		run thread(1, MP, 7, 0);
		run thread(0, MP, 0, 0)
	}
	_nr_pr == 1;
	/* (3): no leak */
	assert(maps == 0);
	k = 0;
	do
	:: k < nframes -> assert(fstate[k] == FREED && fref[k] == 0); k++
	:: else -> break
	od;
	assert(tstate[0] != LIVE && tstate[1] != LIVE)
}
