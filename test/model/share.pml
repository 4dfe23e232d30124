/*
 * share.pml: level-0 page tables shared between address spaces by fork
 * (src/mm/ptshare.h; docs/model.md, "Shared tables"; docs/cow.md).
 *
 * One level-0 table T maps two pages (0 and 1) over two frames (0 and 1).
 * Fork gives the child T itself: one level-1 entry (a link) per address
 * space points at T, valid, or dormant (V clear, PTE_DORMANT set). T's
 * share word (struct frame.pt_share) is modelled as three variables: the
 * count of links (atomic), PROTECTED (no private leaf of T is writable) and
 * LOCK (the bit lock of the protection pass). A table holds one frame
 * reference per leaf it maps, however many address spaces link it; a
 * frame's count is the number of tables that map it. Every table,
 * T and the private copies, has such a share word (ptshare_init_table).
 *
 * The address spaces (mm) and their threads, each pinned to a hart (one
 * proctype, thread, runs each thread's program, CODE below):
 *  - P, the parent (mm 0). thread_A (hart 0) forks C, stores to page 0,
 *    loads page 1 and page 0, joins thread_B and exits. thread_B (hart 1)
 *    ran before the fork: its TLB holds page 0 writable and its walk cache
 *    the link to T. It loads page 1 and stores to page 0, at any moment:
 *    before, during or after the fork (the fork-during-write race).
 *  - C, the child (mm 1, hart 2), starts when fork returns: loads page 0,
 *    stores to page 1, loads page 0 again, and exits; or its first touch is
 *    the store to page 1 (own through its dormant link, as copyout, munmap
 *    or mprotect would), then it loads page 0 and exits.
 *  - -DNESTED, without thread_B (its race is the default configuration's):
 *    thread_A forks C, stores to page 0, loads page 1 and exits; C loads
 *    page 0, forks the grandchild G (mm 2, hart 3) before or after its store
 *    to page 1, loads page 1 and exits; G stores to page 1, loads page 0 and
 *    exits.
 *  - -DFORK_FAIL: thread_A's first fork runs out of memory after it made
 *    its link dormant (the child's address space destroyed at once); then
 *    it loads page 1 (a wake: the protection pass), forks C (which finds
 *    T protected), loads page 0 and exits; thread_B stores to page 0 at any
 *    moment; C loads page 0 and exits.
 *
 * The protocol (ptshare.h), each step under the mm lock of the address
 * space whose link it reads or changes:
 *  - fork (under P's lock): T PROTECTED: the child's link is valid, count
 *    + 1, no flush. Otherwise the parent's link and the child's become
 *    dormant, count + 1, and the parent flushes its whole ASID on its harts
 *    (if its link was valid) before it lets its lock go.
 *  - a fault on a dormant link wakes it: T's bit lock; if T is not
 *    PROTECTED, clear W (set COW) in every writable leaf, one plain store
 *    each, then set PROTECTED; release the bit lock; make the link valid;
 *    flush this hart (sfence.vma x0, asid).
 *  - a store fault on a COW leaf first owns the table: count 1, a take-over
 *    in place (clear PROTECTED; a dormant link becomes valid); otherwise a
 *    copy T' (if T is not PROTECTED and the link is dormant, the protection
 *    pass first), a frame reference per leaf, the link to T' valid, the
 *    whole flush of this mm's harts if the old link was valid, then put(T):
 *    count - 1 (atomic), and the put that takes it to 0 drops T's frame
 *    references and frees T. Then the COW fault of the page in the now
 *    private table: frame count 1, reuse in place (W); otherwise a new frame
 *    with the old one's contents, the leaf rewritten, the whole flush of the
 *    mm's harts, then the old frame's reference dropped (cow.pml checks the
 *    finer protocol of that fault; here it is one step under the lock).
 *  - exit: put(T) for the link (no hart runs the mm any more).
 *
 * What the hardware may do, from the privileged spec:
 *  - a walk is two reads: the link (from memory, or from the hart's walk
 *    cache), then the table's leaf; the hart may cache the link as it goes
 *    and the leaf once it is valid (or not: both are searched); other harts
 *    run between the two reads. A store through a cached writable
 *    translation needs no walk; a store whose cached entry is read-only
 *    faults (the fault handler then flushes this hart and retries);
 *  - sfence.vma with rs1 = x0 drops the cached links and leaves of the
 *    ASID; a remote flush is taken between two instructions of its target,
 *    never in the middle of its walk (the walk and the access it serves are
 *    one instruction);
 *  - an implementation may cache invalid entries as well: so a waker
 *    flushes its own hart after making a link valid. A hart that cached the
 *    invalid link faults again and its fault handler must flush it (not
 *    modelled: that is liveness; see docs/model.md).
 * Harts never switch: each runs its thread's mm from start to end, so the
 * lazy shootdowns of tlb.c play no part (tables.pml checks them).
 *
 * The properties, as assertions:
 *  (1) the snapshot: every load returns what the loading process last
 *      stored to the page, or what its parent held there when fork returned
 *      (exp[], set at each store together with the store, and copied from
 *      the parent's at the end of fork);
 *  (2) no access reaches a freed frame; no frame's count drops below 0 nor
 *      a freed frame's count moves; at the end, every table and every frame
 *      has been freed exactly once and every count is 0 (nothing leaked);
 *  (3) no walk reads a freed table;
 *  and, unless -DNO_CLAIM_ASSERT, ptshare.h's own claim: the protection
 *  pass runs while no address space has a valid link to T and no running
 *  hart caches one. The broken variants run with -DNO_CLAIM_ASSERT, so that
 *  spin refutes each by (1), (2) or (3), what a user could see.
 *
 * Broken variants (-D), each of which spin must refute:
 *  UNSHARE_NO_RECHECK  own's copy puts T with the count it read when it
 *                      decided (count = c - 1, and it frees T if c was 1),
 *                      not with an atomic decrement that re-reads it
 *  WAKE_BEFORE_PROTECT the waker makes its link valid before the
 *                      protection pass
 *  FORK_NO_FLUSH       fork makes the parent's valid link dormant without
 *                      the whole flush of the parent's harts
 *  PUT_BEFORE_FLUSH    own's copy puts T before the flush of its harts
 *  FAULT_NO_OWN        the store fault skips own: the COW fault runs in the
 *                      shared table (frame count 1: reuse in place)
 *  COPY_NO_PROTECT     own's copy of an unprotected T through a dormant
 *                      link copies its entries without the protection pass
 *                      (the copy's leaves made COW, T's left writable)
 *  OWN_WAKES_NO_FLUSH  own's copy through a dormant link wakes the link
 *                      (valid) before it copies, and then skips the flush
 *                      because the link "was dormant"
 *  TAKEOVER_KEEPS_PROTECTED  the take-over leaves PROTECTED set (-DNESTED)
 *  FORK_FAIL_NO_FLUSH  a fork that fails with -ENOMEM skips the flush it
 *                      owes for the parent's link made dormant (-DFORK_FAIL)
 *
 * Reachability probes (-DREACH=N): 1, two address spaces copy T at once
 * (one decides while the other is between its decision and its put); 2, a
 * take-over of a table another address space copied away from; 3, the
 * child runs the protection pass; 4, the parent does; 5, own's put frees
 * T; 6, exit's put frees T; 7, thread_B's store through its cached entry
 * lands while fork runs (links dormant, flush not done yet); 8, thread_B's
 * store lands after fork, in a frame of the parent's own; 9, a take-over
 * through a dormant link; 10, a walk through a cached link to a table the
 * mm no longer links (before own's flush); 11, a reuse in place (frame
 * count 1) in a table taken over; 12, fork finds T PROTECTED (-DNESTED:
 * the child forks after its wake); 13, three address spaces link T
 * (-DNESTED).
 */

#ifdef NESTED
#define NM 3        /* address spaces: P, C, G */
#define NH 4        /* harts: A, B (unused), C, G */
#define NT 4        /* T and one private copy per address space */
#define NF 5        /* frames 0 and 1, and a copy per address space */
#else
#define NM 2
#define NH 3
#define NT 3
#define NF 4
#endif
#define NP 2        /* pages (leaves of T) */

#define MP 0        /* the parent */
#define MC 1        /* the child */
#define MG 2        /* the grandchild (-DNESTED) */

/* A link (level-1 entry): the table's number in bits 0-2, and V or DORMANT. */
#define LV   8
#define LD   16
#define LTAB(l) ((l) & 7)

/* A leaf: the frame's number in bits 0-2, V, W (no W: COW). */
#define EV   8
#define EW   16
#define EFR(e) ((e) & 7)

/* A TLB entry: frame + 1 in bits 0-3, and W. */
#define TW   16

#define UNUSED 0
#define LIVE   1
#define FREED  2

byte link[NM];          /* each mm's level-1 entry for the region */
byte leaf[NT * NP];     /* each table's two leaves */
byte tstate[NT];
byte cnt[NT];           /* pt_share: links (atomic) */
bool prot[NT];          /* pt_share: PROTECTED */
bool blk[NT];           /* pt_share: LOCK */
bool tcopied[NT];       /* probe 2: some mm copied this table away */
byte ntables = 1;

byte fref[NF];          /* struct frame.refs (atomic): tables that map the frame */
byte fstate[NF];
byte fval[NF];          /* the frame's contents */
byte nframes = 2;

byte exp[NM * NP];      /* what each process must read from each page */
byte mmlock[NM];        /* mm->lock: 0, or the holder's hart + 1 */
bool copying[NM];       /* probe 1: between own's copy decision and its put */

byte hmm[NH];           /* the mm each hart runs */
bool running[NH];       /* the hart's thread has not finished */
byte tlb[NH * NP];      /* the hart's TLB entry for each page */
byte wc[NH];            /* the hart's walk cache: table + 1, or 0 */
bool midwalk[NH];

bool forking = 0;       /* probe 7: fork made the links dormant and has not flushed */
bool forked = 0;        /* fork has returned */
bool b_done = 0;        /* thread_B finished (thread_A joins it) */

/* The locals every thread's inlines use. */
/* Probe-only state, kept out of the searches without probes. */
#ifdef REACH
#define PROBE(x) x
#else
#define PROBE(x) skip
#endif

#define LOCALS byte t, e, f, c, nt, old, copy, i, g, x; bool ok, last, fl

#define VAL(m) ((m) + 1)    /* what process m stores */

/* A thread ends: its hart never walks again; forget its caches (fewer states). */
#define HART_DONE(hh) atomic { running[hh] = 0; tlb[(hh) * NP + 0] = 0; tlb[(hh) * NP + 1] = 0; wc[hh] = 0 }

/* ---- frames ---- */

inline frame_put(fr)
{
	assert(fstate[fr] == LIVE && fref[fr] > 0);
	fref[fr]--;
	if
	:: fref[fr] == 0 -> fstate[fr] = FREED; fval[fr] = 0
	:: else -> skip
	fi
}

/* ---- TLBs ---- */

inline flush_hart(hh)
{
	i = 0;
	do
	:: i < NP -> tlb[(hh) * NP + i] = 0; i++
	:: else -> break
	od;
	wc[hh] = 0
}

/* Hart hh is not in the middle of a walk for mm m (or is the flusher). */
#define QUIET(hh, m, self) (hmm[hh] != (m) || (hh) == (self) || !midwalk[hh])
#ifdef NESTED
#define QUIET3(m, self) QUIET(3, m, self)
#else
#define QUIET3(m, self) 1
#endif

/*
 * The whole-ASID flush of mm m's harts, from hart self (tlb_shootdown_tables):
 * itself, and each other hart that runs m, between two of its instructions.
 */
inline flush_mm(m, self)
{
	atomic {
		QUIET(0, m, self) && QUIET(1, m, self) && QUIET(2, m, self) && QUIET3(m, self) ->
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
	assert(fstate[fr] == LIVE);
	if
	:: w ->
		fval[fr] = VAL(m);
		exp[(m) * NP + p] = VAL(m);
		printf("MSC: hart %d (mm %d) stores %d to page %d: frame %d\n", hh, m, VAL(m), p, fr);
#ifdef REACH
		assert(!(REACH == 7 && (hh) == 1 && forking));  /* probe 7 */
		assert(!(REACH == 8 && (hh) == 1 && forked && fr >= 2)); /* probe 8 */
#endif
		skip
	:: !w ->
		x = exp[(m) * NP + p];  /* what this process must read */
		if
		:: fval[fr] != x ->
			printf("MSC: hart %d (mm %d) loads %d from page %d (frame %d), not %d\n", hh, m, fval[fr], p, fr, x)
		:: else -> skip
		fi;
		assert(fval[fr] == x);  /* (1): the snapshot */
		x = 0
	fi
}

/*
 * One instruction of hart hh (mm m) that loads (w 0) or stores (w 1) page
 * p: a TLB hit, or a walk in two reads. ok: it ran; otherwise it faulted.
 */
inline access(hh, m, p, w)
{
	ok = 0;
	if
	:: atomic { tlb[(hh) * NP + p] != 0 && (!w || (tlb[(hh) * NP + p] & TW)) ->
		f = (tlb[(hh) * NP + p] & 15) - 1;
		touch(hh, m, p, w, f);
		ok = 1; f = 0 }
	:: atomic { tlb[(hh) * NP + p] != 0 && w && !(tlb[(hh) * NP + p] & TW) ->
		skip }      /* a store through a read-only entry: a fault */
	:: atomic { tlb[(hh) * NP + p] == 0 ->
		if
		:: wc[hh] != 0 -> t = wc[hh] - 1;
			if
			:: LTAB(link[m]) != t || !(link[m] & LV) ->
				printf("MSC: hart %d walks through its stale cached link to table %d\n", hh, t)
			:: else -> skip
			fi;
#ifdef REACH
			assert(!(REACH == 10 && LTAB(link[m]) != t)); /* probe 10 */
#endif
			midwalk[hh] = 1
		:: wc[hh] == 0 && (link[m] & LV) -> t = LTAB(link[m]); midwalk[hh] = 1;
			if
			:: wc[hh] = t + 1
			:: skip
			fi
		:: wc[hh] == 0 && !(link[m] & LV) -> skip /* no valid link: a fault */
		fi }
		if
		:: midwalk[hh] ->
			atomic {
				if
				:: tstate[t] != LIVE -> printf("MSC: hart %d's walk reads table %d, freed\n", hh, t)
				:: else -> skip
				fi;
				assert(tstate[t] == LIVE);  /* (3): no walk reads a freed table */
				e = leaf[t * NP + p];
				if
				:: (e & EV) && (!w || (e & EW)) ->
					f = EFR(e);
					if
					:: tlb[(hh) * NP + p] = (f + 1) | (e & EW)
					:: skip
					fi;
					touch(hh, m, p, w, f);
					ok = 1
				:: else -> skip /* a fault */
				fi;
				midwalk[hh] = 0; t = 0; e = 0; f = 0
			}
		:: else -> skip
		fi
	fi
}

/* ---- the kernel ---- */

inline mm_lock(m, hh)
{
	atomic { mmlock[m] == 0 -> mmlock[m] = (hh) + 1 }
}

inline mm_unlock(m)
{
	mmlock[m] = 0
}

/* ptshare.h's claim: the protection pass of table tt runs while no hart can walk it. */
inline claim_alone(tt)
{
#ifndef NO_CLAIM_ASSERT
	atomic {
		g = 0;
		do
		:: g < NM -> assert(LTAB(link[g]) != (tt) || !(link[g] & LV)); g++
		:: else -> break
		od;
		g = 0;
		do
		:: g < NH -> assert(!running[g] || wc[g] != (tt) + 1); g++
		:: else -> break
		od;
		g = 0
	}
#else
	skip
#endif
}

/*
 * The protection pass of table tt, with its bit lock held (taken by the
 * caller): one plain store per writable leaf, then PROTECTED, and the lock
 * let go.
 */
inline protect_locked(m, tt)
{
	if
	:: !prot[tt] ->
		claim_alone(tt);
#ifdef REACH
		assert(!(REACH == 3 && (m) == MC && (tt) == 0)); /* probe 3 */
		assert(!(REACH == 4 && (m) == MP && (tt) == 0)); /* probe 4 */
#endif
		if
		:: leaf[(tt) * NP + 0] & EW -> leaf[(tt) * NP + 0] = leaf[(tt) * NP + 0] & ~EW
		:: else -> skip
		fi;
		if
		:: leaf[(tt) * NP + 1] & EW -> leaf[(tt) * NP + 1] = leaf[(tt) * NP + 1] & ~EW
		:: else -> skip
		fi;
		atomic { prot[tt] = 1; blk[tt] = 0 }
	:: else -> blk[tt] = 0
	fi
}

/* ptshare_wake: the link of m is dormant. */
inline wake(hh, m)
{
#ifdef WAKE_BEFORE_PROTECT
	atomic { link[m] = LTAB(link[m]) | LV; printf("MSC: hart %d (mm %d) makes its link valid before the pass\n", hh, m) }
#endif
	atomic {
		!blk[LTAB(link[m])] ->
		t = LTAB(link[m]);
		blk[t] = 1;
		printf("MSC: hart %d (mm %d) wakes its link to table %d (protected %d)\n", hh, m, t, prot[t])
	}
	protect_locked(m, t);
	atomic { link[m] = t | LV; flush_hart(hh); t = 0 }
}

/*
 * put: one link less. The put that takes the count to 0 drops the table's
 * frame references and frees it. c: own's count at its decision.
 */
inline put(m, tt, fromown)
{
	atomic {
		assert(tstate[tt] == LIVE && cnt[tt] > 0);
#ifdef UNSHARE_NO_RECHECK
		if
		:: fromown -> cnt[tt] = c - 1
		:: else -> cnt[tt]--
		fi;
#else
		cnt[tt]--;
#endif
		last = (cnt[tt] == 0);
		printf("MSC: mm %d puts table %d: count %d\n", m, tt, cnt[tt]);
	/* the last put: nobody links the table, nobody can reach it */
	if
	:: last ->
			printf("MSC: the last put frees table %d\n", tt);
#ifdef REACH
			assert(!(REACH == 5 && fromown && (tt) == 0)); /* probe 5 */
			assert(!(REACH == 6 && !fromown && (tt) == 0)); /* probe 6 */
#endif
			i = 0;
			do
			:: i < NP && (leaf[(tt) * NP + i] & EV) -> frame_put(EFR(leaf[(tt) * NP + i])); i++
			:: i < NP && !(leaf[(tt) * NP + i] & EV) -> i++
			:: else -> break
			od;
			i = 0;
			leaf[(tt) * NP + 0] = 0;
			leaf[(tt) * NP + 1] = 0;
			prot[tt] = 0;
			tstate[tt] = FREED;
			last = 0
	:: else -> skip
	fi
	}
}

/* ptshare_own: before mm m changes a leaf of the table it links. */
inline own(hh, m)
{
	atomic {
		t = LTAB(link[m]);
		c = cnt[t];     /* the atomic read the decision rests on */
		if
		:: c == 1 ->
			/* the last sharer: take the table over in place */
			printf("MSC: hart %d (mm %d) takes table %d over in place\n", hh, m, t);
#ifdef REACH
			assert(!(REACH == 2 && tcopied[t])); /* probe 2 */
			assert(!(REACH == 9 && (link[m] & LD))); /* probe 9 */
#endif
#ifndef TAKEOVER_KEEPS_PROTECTED
			prot[t] = 0;
#endif
			if
			:: link[m] & LD -> link[m] = t | LV; flush_hart(hh)
			:: else -> skip
			fi;
			t = 0; c = 0
		:: c != 1 ->
			/* a copy for this mm alone */
#ifdef REACH
			assert(!(REACH == 1 && (copying[0] || copying[1]
#ifdef NESTED
			                        || copying[2]
#endif
			                        ))); /* probe 1 */
#endif
			PROBE(copying[m] = 1);
			printf("MSC: hart %d (mm %d) copies table %d (count %d)\n", hh, m, t, c);
			old = link[m]
		fi
	}
	if
	:: old != 0 ->
#ifdef OWN_WAKES_NO_FLUSH
		if
		:: (link[m] & LD) -> wake(hh, m); t = LTAB(link[m])
		:: else -> skip
		fi;
#else
#ifndef COPY_NO_PROTECT
		/* an unprotected table seen through a dormant link: protect it first */
		if
		:: (link[m] & LD) && !prot[t] ->
			atomic { !blk[t] -> blk[t] = 1 }
			protect_locked(m, t)
		:: else -> skip
		fi;
#endif
#endif
		atomic {
			nt = ntables;
			assert(nt < NT);
			ntables++;
			i = 0;
			do
			:: i < NP ->
				e = leaf[t * NP + i];
				if
				:: e & EV -> assert(fstate[EFR(e)] == LIVE); fref[EFR(e)]++
				:: else -> skip
				fi;
#ifdef COPY_NO_PROTECT
				leaf[nt * NP + i] = e & ~EW;
#else
				leaf[nt * NP + i] = e;
#endif
				i++
			:: else -> break
			od;
			i = 0; e = 0;
			cnt[nt] = 1;
			prot[nt] = 0;
			tstate[nt] = LIVE;
			PROBE(tcopied[t] = 1);
			link[m] = nt | LV
		}
#ifdef PUT_BEFORE_FLUSH
		put(m, t, 1);
#endif
		if
		:: old & LV -> flush_mm(m, hh)
		:: else -> atomic { flush_hart(hh) }
		fi;
#ifndef PUT_BEFORE_FLUSH
		put(m, t, 1);
#endif
		atomic { PROBE(copying[m] = 0); nt = 0; old = 0; t = 0; c = 0 }
	:: else -> skip
	fi
}

/* The COW fault of page p in the table mm m now owns alone. */
inline cow_fault(hh, m, p)
{
	atomic {
		t = LTAB(link[m]);
		e = leaf[t * NP + p];
		f = EFR(e);
		if
		:: fref[f] == 1 ->
			printf("MSC: hart %d (mm %d) reuses frame %d in place\n", hh, m, f);
#ifdef REACH
			assert(!(REACH == 11 && t == 0)); /* probe 11 */
#endif
			leaf[t * NP + p] = e | EW;
			flush_hart(hh);
			t = 0; e = 0; f = 0
		:: fref[f] != 1 ->
			copy = nframes;
			if
			:: copy >= NF -> copy = 255
			:: else -> nframes++
			fi;
			assert(copy != 255);
			fref[copy] = 1;
			fstate[copy] = LIVE;
			fval[copy] = fval[f];
			leaf[t * NP + p] = copy | EV | EW;
			printf("MSC: hart %d (mm %d) copies frame %d to frame %d\n", hh, m, f, copy)
		fi
	}
	if
	:: copy != 0 ->
		flush_mm(m, hh);
		atomic { frame_put(f); t = 0; e = 0; f = 0; copy = 0 }
	:: else -> skip
	fi
}

/* A page fault of hart hh (mm m) on page p, under m's lock. */
inline fault(hh, m, p, w)
{
	mm_lock(m, hh);
	if
	:: link[m] & LD -> wake(hh, m)  /* a load or a store: wake, retry */
	:: w && (link[m] & LD) ->
		/* as copyout, munmap or mprotect do: own first, link dormant */
		own(hh, m);
		if
		:: !(leaf[LTAB(link[m]) * NP + p] & EW) -> cow_fault(hh, m, p)
		:: else -> skip
		fi
	:: w && (link[m] & LV) && (leaf[LTAB(link[m]) * NP + p] & EV) && !(leaf[LTAB(link[m]) * NP + p] & EW) ->
#ifndef FAULT_NO_OWN
		own(hh, m);
#endif
		cow_fault(hh, m, p)
	:: (link[m] & LV) && (!w || !(leaf[LTAB(link[m]) * NP + p] & EV) || (leaf[LTAB(link[m]) * NP + p] & EW)) ->
		/* a stale entry (another thread resolved it): flush this hart, retry */
		atomic { flush_hart(hh) }
	fi;
	mm_unlock(m)
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

/* ptshare_fork, by hart hh of mm src, for the new mm dst (under src's lock). */
inline fork(hh, src, dst)
{
	atomic {
	mmlock[src] == 0 -> mmlock[src] = (hh) + 1;
	t = LTAB(link[src]);
	if
	:: prot[t] ->
		printf("MSC: mm %d forks mm %d: table %d is protected, the child's link is valid\n", src, dst, t);
#ifdef REACH
		assert(!(REACH == 12)); /* probe 12 */
#endif
		link[dst] = t | LV; cnt[t]++
	:: !prot[t] ->
			fl = (link[src] & LV) != 0;
			link[src] = t | LD;
			link[dst] = t | LD;
			cnt[t]++;
			PROBE(forking = 1);
			printf("MSC: mm %d forks mm %d: both links to table %d dormant\n", src, dst, t)
	fi
	}
	if
	:: fl ->
#ifndef FORK_NO_FLUSH
		flush_mm(src, hh);
#endif
		fl = 0
	:: else -> skip
	fi;
#ifdef REACH
	assert(!(REACH == 13 && cnt[0] == 3)); /* probe 13 */
#endif
	atomic {
		/* fork returns: the child's snapshot is what the parent holds now */
		exp[(dst) * NP + 0] = exp[(src) * NP + 0];
		exp[(dst) * NP + 1] = exp[(src) * NP + 1];
		PROBE(forking = 0);
		PROBE(forked = 1);
		t = 0;
		mm_unlock(src)
	}
}

/*
 * -DFORK_FAIL: ptshare_fork runs out of memory after it linked the table
 * into the child: the parent's link is dormant (if the table was not
 * protected) and *flush set; the child's address space is destroyed (its
 * put, which cannot free the table: the parent links it). The flush is
 * still owed before the unlock.
 */
inline fork_fail(hh, src)
{
	atomic {
		mmlock[src] == 0 -> mmlock[src] = (hh) + 1;
		t = LTAB(link[src]);
		if
		:: prot[t] -> skip
		:: !prot[t] -> fl = (link[src] & LV) != 0; link[src] = t | LD
		fi;
		cnt[t]++;
		printf("MSC: mm %d forks and runs out of memory: its link to table %d dormant %d\n", src, t, (link[src] & LD) != 0)
	}
	atomic { cnt[t]--; printf("MSC: the child's address space is destroyed: table %d count %d\n", t, cnt[t]) }
	if
	:: fl ->
#ifndef FORK_FAIL_NO_FLUSH
		flush_mm(src, hh);
#endif
		fl = 0
	:: else -> skip
	fi;
	atomic { t = 0; mm_unlock(src) }
}

/* mm_destroy: no hart runs m any more. */
inline exit_mm(m)
{
	atomic { t = LTAB(link[m]); printf("MSC: mm %d exits\n", m) }
	put(m, t, 0);
	atomic { link[m] = 0; exp[(m) * NP + 0] = 0; exp[(m) * NP + 1] = 0; t = 0 }
}

/* ---- the threads ---- */

/*
 * Each thread runs a program, CODE(pc) (one proctype, so that pan.c holds
 * one copy of each inline and compiles in seconds): a load or a store of a
 * page, a fork (the child's hart, mm and program follow from the parent's),
 * the end of thread_B, or the end of a process (thread_A first joins
 * thread_B).
 */
#define OP_L0   1   /* load page 0 */
#define OP_L1   2   /* load page 1 */
#define OP_S0   3   /* store to page 0 */
#define OP_S1   4   /* store to page 1 */
#define OP_FORK 5   /* fork; the child runs the program at CODE(pc + 1) or CODE(pc + 2) */
#define OP_BEND 6   /* thread_B ends */
#define OP_EXIT 7   /* the process exits */
#define OP_FFAIL 8  /* a fork that runs out of memory (-DFORK_FAIL) */

/*
 * The programs (CODE(pc): a constant, no state; each line is one program).
 * Default: thread_A (0): fork (the child runs C1 or C2), store 0, load 1,
 * load 0, exit. thread_B (8): load 1, store 0 (through its cached entry, or
 * faulting), end. thread_C, C1 (11): load 0 (a wake), store 1, load 0, exit;
 * C2 (15): store 1 first (own through the dormant link, as copyout may),
 * load 0, exit.
 * -DNESTED: thread_A (0): fork (the child runs N1 or N2), store 0, load 1,
 * exit. thread_C, N1 (7): load 0, fork G, store 1, load 1, exit; N2 (14):
 * load 0, store 1, fork G, load 1, exit. thread_G (21): store 1, load 0,
 * exit.
 * -DFORK_FAIL: thread_A (0): a fork that runs out of memory, load 1 (a
 * wake), fork (the child runs 10), load 0, exit. thread_B (7): store 0
 * (through its cached entry, or faulting), end. thread_C (10): load 0, exit.
 */
#if defined(FORK_FAIL)
#define CODE(pc) (pc == 0 -> OP_FFAIL : (pc == 1 -> OP_L1 : (pc == 2 -> OP_FORK : (pc == 3 -> 10 : (pc == 4 -> 0 : (pc == 5 -> OP_L0 : (pc == 6 -> OP_EXIT : (pc == 7 -> OP_S0 : (pc == 8 -> OP_BEND : (pc == 10 -> OP_L0 : (pc == 11 -> OP_EXIT : 0)))))))))))
#elif defined(NESTED)
#define CODE(pc) (pc == 0 -> OP_FORK : (pc == 1 -> 7 : (pc == 2 -> 14 : (pc == 3 -> OP_S0 : (pc == 4 -> OP_L1 : (pc == 5 -> OP_EXIT : (pc == 7 -> OP_L0 : (pc == 8 -> OP_FORK : (pc == 9 -> 21 : (pc == 10 -> 0 : (pc == 11 -> OP_S1 : (pc == 12 -> OP_L1 : (pc == 13 -> OP_EXIT : (pc == 14 -> OP_L0 : (pc == 15 -> OP_S1 : (pc == 16 -> OP_FORK : (pc == 17 -> 21 : (pc == 18 -> 0 : (pc == 19 -> OP_L1 : (pc == 20 -> OP_EXIT : (pc == 21 -> OP_S1 : (pc == 22 -> OP_L0 : (pc == 23 -> OP_EXIT : 0)))))))))))))))))))))))
#else
#define CODE(pc) (pc == 0 -> OP_FORK : (pc == 1 -> 11 : (pc == 2 -> 15 : (pc == 3 -> OP_S0 : (pc == 4 -> OP_L1 : (pc == 5 -> OP_L0 : (pc == 6 -> OP_EXIT : (pc == 8 -> OP_L1 : (pc == 9 -> OP_S0 : (pc == 10 -> OP_BEND : (pc == 11 -> OP_L0 : (pc == 12 -> OP_S1 : (pc == 13 -> OP_L0 : (pc == 14 -> OP_EXIT : (pc == 15 -> OP_S1 : (pc == 16 -> OP_L0 : (pc == 17 -> OP_EXIT : 0)))))))))))))))))
#endif

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
		fork(hh, m, m + 1);
		atomic {
			run thread((hh == 0 -> 2 : 3), m + 1, CODE(pc + 1), CODE(pc + 2));
			pc = pc + 3
		}
	:: CODE(pc) == OP_FFAIL ->
		fork_fail(hh, m);
		pc++
	:: CODE(pc) == OP_BEND ->
		HART_DONE(hh);
		b_done = 1;
		break
	:: CODE(pc) == OP_EXIT ->
		HART_DONE(hh);
		(hh != 0 || b_done);    /* thread_A joins thread_B */
		exit_mm(m);
		break
	od
}

init {
	byte k;
	atomic {
		/* T: two private writable leaves over frames 0 and 1, linked by P alone */
		leaf[0] = 0 | EV | EW;
		leaf[1] = 1 | EV | EW;
		tstate[0] = LIVE;
		cnt[0] = 1;
		fref[0] = 1; fstate[0] = LIVE;
		fref[1] = 1; fstate[1] = LIVE;
		link[MP] = 0 | LV;
		hmm[0] = MP; hmm[1] = MP; hmm[2] = MC;
		running[0] = 1; running[2] = 1;
#ifdef NESTED
		hmm[3] = MG; running[3] = 1;
		b_done = 1;  /* no thread_B */
		hmm[1] = 255;
#else
		/* thread_B ran before the fork: page 0 writable in its TLB, the link cached */
		running[1] = 1;
		tlb[1 * NP + 0] = (0 + 1) | TW;
		wc[1] = 0 + 1;
#ifdef FORK_FAIL
		run thread(1, MP, 7, 0);
#else
		run thread(1, MP, 8, 0);
#endif
#endif
		run thread(0, MP, 0, 0)
	}
	_nr_pr == 1;
	/* (2): every table and every frame freed exactly once, every count 0 */
	k = 0;
	do
	:: k < ntables -> assert(tstate[k] == FREED && cnt[k] == 0); k++
	:: else -> break
	od;
	k = 0;
	do
	:: k < nframes -> assert(fstate[k] == FREED && fref[k] == 0); k++
	:: else -> break
	od
}
