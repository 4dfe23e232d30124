/*
 * ptlock.pml: the fault's fast path under a lock per level-0 table
 * instead of mm->lock (issue 21; docs/model.md, "Split table locks").
 *
 * One address space. Its level-1 slot of a region (its link) names a
 * level-0 table, valid or dormant, or is 0. Every table has a lock (in its
 * frame's bookkeeping), a count of the address spaces that link it, a
 * PROTECTED bit, a count of its BUSY leaves (busy) and a state: unused,
 * live, or freed (the page given back; it may be handed out again as a new
 * table). A table maps one page (one leaf). A frame's count is the number
 * of leaves that map it, plus the copies' temporary references, plus (frame
 * 0) the reference of an outside holder (another process that shares the
 * frame COW) that it may drop at any moment.
 *
 * Each hart has a walk section flag, walking[h]: hart h is inside a
 * lockless walk of the mm. Setting and clearing it are sequentially
 * consistent (Promela's interleaving).
 *
 * The fault's fast path (fault below), no mm lock:
 *  1. walking = 1;  2. read the link: 0 or dormant: walking = 0, the slow
 *  path (not modelled here: the fault gives up);  3. lock the table the
 *  link names;  4. read the link again: another table, or none: unlock,
 *  walking = 0, retry from 1;  5. walking = 0 (the table is locked and
 *  linked: every unlink takes its lock);  6. a table that is not private
 *  (count != 1, or PROTECTED): unlock, the slow path;  7. the COW write:
 *  frame count 1, reuse in place (W); otherwise, as a rule, the busy copy
 *  (vm_copy_busy): the leaf marked BUSY and busy + 1 under the lock,
 *  unlock, a new frame with the old one's contents, the shootdown
 *  (abstract: no TLBs here), the copy installed (writable), busy - 1, the
 *  old frame put once (the leaf's reference). Or, nondeterministically (the
 *  code's case of a fork on its way, or a seeded run's pick), the unlocked
 *  copy (vm_copy_unlocked): a temporary reference on the old frame,
 *  unlock, a new frame with the old one's contents, 1..5 again, then the
 *  re-check: the leaf is the one the copy was made from and the table
 *  still private. If not, the copy is freed and the temporary reference
 *  put, and the fault retries. If so, the leaf is marked BUSY, busy + 1,
 *  unlock, the shootdown, the copy installed, busy - 1, and the old frame
 *  put twice (the leaf's reference and the temporary one). A fault that
 *  finds its leaf BUSY unlocks and retries (the wait of vm_pte_settled).
 *
 * munmap of the whole table (under mm->lock, which the model leaves out:
 * one hart makes every layout change of the mm): lock the table, wait for
 * busy == 0, clear the leaf (its frame put), unlink (link = 0, count - 1),
 * unlock; the whole-ASID shootdown (abstract); the grace wait: for every
 * other hart, wait until walking[h] == 0 (one hart at a time); then free
 * the table. A later map may allocate the same table page again (its
 * bookkeeping reset) and link it at the same slot, with a new frame:
 * the ABA the re-check of step 4 and the copy's leaf re-check must survive.
 *
 * fork (-DFORK; under mm->lock): lock the table, wait for busy == 0,
 * count + 1, the parent's link and the child's dormant, unlock; the whole
 * shootdown (abstract). A wake of a dormant link (the parent's load, the
 * child's): lock the table, wait for busy == 0, clear W in the leaf, set
 * PROTECTED, the link valid, unlock (share.pml checks the wake's finer
 * protocol: its bit lock and flushes).
 *
 * Two forks (-DFORK2), as ptshare.c has them (fork_one, ptshare_wake,
 * own_link). The parent's mm->lock is modelled (mmlock): fork, the
 * parent's wake and the parent's take-over hold it; each child's mm->lock
 * is its own, taken by nobody else, so it is left out. fork_one reads the
 * parent's link: a valid one is shared under the table's lock once
 * busy == 0 (count + 1; the child's link valid too if PROTECTED, else both
 * dormant); a link still dormant from the first fork is counted with one
 * atomic add and no table lock (commit dec9bb0), and only the child's link
 * is written. The child's snapshot is the page as fork returns (mm->lock
 * released). A wake (ptshare_wake) reads the count: more than 1, the
 * protection pass under the table's lock once busy == 0 (W cleared and
 * PROTECTED set, unless set already); then the link made valid. The
 * parent's store fault that finds its link dormant or its table not its
 * own takes the slow path (vm_fault_own, under mm->lock): the last sharer
 * (count 1) takes the table over in place (PROTECTED cleared, with no
 * table lock, the link made valid), then the fast path again; with more
 * sharers own would copy the table (not modelled: the fault gives up).
 * A child may let go of its link (ptshare_unmap_shared: the unlink under
 * the table's lock, then the put, count - 1), so that the parent's
 * dormant link is the table's last when the second fork counts it.
 *
 * The configurations:
 *  - default: harts 0 and 1 each take a store fault on the page (COW,
 *    frame 0, count 2 with the outside holder's); hart 2 unmaps the table,
 *    then may map the region again (a new table, perhaps the same page);
 *  - -DTWO_TABLES: hart 0 faults in region 0, hart 1 in region 1, each
 *    with a table of its own (the point of split locks); hart 2 unmaps
 *    region 0;
 *  - -DFORK: hart 0 takes a store fault on the page, then stores to it
 *    (only through a writable leaf, as a hart would); hart 1 forks, then
 *    loads the page (a wake); the child's hart 2 loads the page.
 *  - -DFORK2: hart 0 takes a store fault on the page (its slow path at
 *    most twice), then stores to it; hart 1 forks, perhaps loads the page
 *    (a wake), and forks again; the first child's hart 2 loads the page or
 *    not, then lets go of its link or not; the second child's hart 3 loads
 *    the page. The second fork finds the parent's link dormant (nothing
 *    woke it) or valid (the parent's wake or take-over came between).
 *
 * The properties, as assertions:
 *  (1) no hart locks, unlocks, reads or writes a table that is freed;
 *  (2) a copy installs only into a table the mm links;
 *  (3) no frame is put below 0 or once freed; at the end every frame's
 *      count is the number of leaves of live tables that map it (plus the
 *      outside holder's), and a frame nobody maps is freed: none lost;
 *  (4) -DFORK: the child's load returns what the page held when fork
 *      returned (the snapshot), never a later store of the parent; with
 *      -DFORK2, each child's of its own fork;
 *  (5) -DFORK2 (but for -DNO_PRIVATE_ASSERT): a fault changes a leaf
 *      (reuse, BUSY mark, install) only in a table of its own (count 1,
 *      not PROTECTED): ptshare.h's claim that no leaf of a shared table
 *      changes but for A and the protection pass;
 *  (6) -DFORK2: the count is the number of links: a child's put is never
 *      the last (the parent links the table), and at the end the count is
 *      the links that name the table.
 *
 * Broken variants (-D), each of which spin must refute:
 *  NO_RECHECK          the fault does not read the link again after it
 *                      took the table lock (step 4)
 *  FREE_NO_WAIT        munmap frees the table without the grace wait
 *  UNMAP_NO_TABLE_LOCK munmap clears the leaf and unlinks without the
 *                      table lock
 *  WALK_END_EARLY      the fault ends its walk section before it takes the
 *                      table lock
 *  UNMAP_IGNORES_BUSY  munmap does not wait for the table's busy count
 *  COPY_NO_LEAF_RECHECK  the copy's re-check after the relock checks that
 *                      the table is private, not that its leaf is the one
 *                      the copy was made from
 *  COPY_NO_PRIVATE_RECHECK  the copy's re-check after the relock checks the
 *                      leaf only, not that the table is still private (-DFORK)
 *  SHARE_IGNORES_BUSY  fork and the wake both take the table lock without
 *                      waiting for busy == 0 (-DFORK; either wait alone is
 *                      enough here: a link becomes valid again only by a wake)
 *  FORK_VALID_LOCKLESS fork counts a valid link (and makes it dormant)
 *                      without the table lock, as it counts a dormant one
 *                      (-DFORK2; refuted by (5))
 *  FORK_DORMANT_NO_WAIT  the fork that makes a link dormant takes the table
 *                      lock but does not wait for busy == 0, the wait the
 *                      lockless count of the next fork rests on (-DFORK2;
 *                      refuted by (5))
 *  OWN_NO_MM_LOCK      the parent's take-over in place runs without its
 *                      mm->lock, so it can make the dormant link valid
 *                      between the second fork's read of it and its
 *                      lockless count (-DFORK2 -DNO_PRIVATE_ASSERT; refuted
 *                      by (4): the second child loads a later store)
 *  COUNT_NOT_ATOMIC    the lockless count is a load and a store, not one
 *                      atomic add (-DFORK2; refuted by (6): the first
 *                      child's put between the two is lost)
 *  BUSY_COPY_UNCOUNTED the busy copy marks its leaf BUSY but does not count
 *                      it in the table's busy count, so munmap (and, with
 *                      -DFORK, fork) does not wait for it
 *
 * Reachability probes (-DREACH=N): 1, both faults hold their table locks
 * at once, in two tables (-DTWO_TABLES); 2, a fault's re-check of the link
 * fails and it retries; 3, the grace wait waits on a hart inside its walk
 * section; 4, a copy thrown away; 5, a reuse in place; 6, fork shares the
 * table while a copy holds its temporary reference (-DFORK); 7, a copy's
 * re-check finds the table shared (-DFORK); 8, munmap waits for a BUSY
 * leaf; 9, the copy's second walk locks the same table page, freed and
 * mapped again meanwhile (ABA). -DFORK2: 10, the second fork counts the
 * dormant link without the lock while the first child's hart holds the
 * table lock (its wake's protection pass, or its drop); 11, the second
 * fork finds the link valid again (woken or taken over between the
 * forks); 12, the parent takes the table over in place (count 1); 13, the
 * second fork counts a dormant link that is the table's last (the child
 * let go of its own); 14, the second child loads the parent's store (made
 * between the forks); 15, a busy copy installs while another hart holds
 * its table's lock (the copy runs beside the table's other faults).
 */

#ifdef FORK2
#define FORK        /* FORK2 is FORK with a second fork, a take-over and a second child */
#define NH 4        /* harts */
#else
#define NH 3
#endif
#define NT 2        /* table pages */
#define NF 6        /* frames */
#ifdef TWO_TABLES
#define NR 2        /* regions (level-1 slots) */
#else
#define NR 1
#endif

/* A link: the table's number in bits 0-1, and V or DORMANT; 0: no table. */
#define LV 4
#define LD 8
#define LTAB(l) ((l) & 3)

/* A leaf: the frame's number in bits 0-2, V, W (no W: COW), BUSY. */
#define EV 8
#define EW 16
#define EB 32
#define EFR(e) ((e) & 7)

#define UNUSED 0
#define LIVE   1
#define FREED  2

#define NOT 255     /* no table: the slow path */

byte link[NR];
byte tstate[NT];
byte tlock[NT];     /* 0, or the holder's hart + 1 */
byte links[NT];     /* address spaces that link the table */
bool prot[NT];      /* PROTECTED */
byte busy[NT];      /* BUSY leaves of the table */
byte leaf[NT];

byte fref[NF];
byte fstate[NF];
byte fval[NF];      /* the frame's contents */
byte nframes;

bool walking[NH];
bool holder;        /* the outside holder still has its reference to frame 0 */

#ifdef FORK
byte link_c;        /* the child's link */
byte exp_c;         /* the child's snapshot of the page */
bool forked;
#endif
#ifdef FORK2
byte mmlock;        /* the parent's mm->lock: 0, or the holder's hart + 1 */
byte link_c2;       /* the second child's link */
byte exp_c2;        /* the second child's snapshot */
bool forked2;
#endif

#ifdef REACH
bool copying[NH];   /* probe 6: a copy holds its temporary reference */
bool aba;           /* probe 9: the map took table 0 again */
#define PROBE(x) x
#else
#define PROBE(x) skip
#endif

#define LOCALS byte t, t0, l, e, f, c, g; bool done, same

/* Every touch of a table's page or of its bookkeeping: (1). */
#define TCHECK(tt) assert(tstate[tt] == LIVE)

/*
 * A fault's every change of a leaf (reuse, BUSY mark, install): (5),
 * ptshare.h's claim that no leaf of a shared table changes (but for A and
 * the protection pass). Checked with -DFORK2 (but for -DNO_PRIVATE_ASSERT);
 * the other configurations' variants are refuted by what they break first.
 */
#if !defined(FORK2) || defined(NO_PRIVATE_ASSERT)
#define PRIVATE(tt) /* nothing: (5) unchecked */
#else
#define PRIVATE(tt) \
	if \
	:: links[tt] != 1 || prot[tt] -> \
		printf("MSC: a fault changes the leaf of table %d: %d links, protected %d\n", tt, links[tt], prot[tt]); \
		assert(links[tt] == 1 && !prot[tt]) \
	:: else -> skip \
	fi;
#endif

inline tlock_take(tt, h)
{
	atomic {
		tlock[tt] == 0 ->
		printf("MSC: hart %d locks table %d\n", h, tt);
		TCHECK(tt);
		tlock[tt] = (h) + 1
	}
}

inline tunlock(tt, h)
{
	atomic { TCHECK(tt); assert(tlock[tt] == (h) + 1); tlock[tt] = 0 }
}

inline frame_put(fr)
{
	atomic {
		assert(fstate[fr] == LIVE && fref[fr] > 0);
		fref[fr]--;
		if
		:: fref[fr] == 0 -> fstate[fr] = FREED; fval[fr] = 0
		:: else -> skip
		fi
	}
}

inline frame_alloc(fr)
{
	atomic {
		assert(nframes < NF);
		fr = nframes;
		nframes++;
		fref[fr] = 1;
		fstate[fr] = LIVE
	}
}

/*
 * Steps 1 to 5: the lockless walk to region r's table, locked, the link
 * read again. t: the table, locked; or NOT (no table, or a dormant link).
 */
inline walk_lock(h, r)
{
	do
	:: walking[h] = 1;
		atomic {
			l = link[r];
			printf("MSC: hart %d walks: link %d\n", h, l);
			if
			:: l == 0 || (l & LD) -> walking[h] = 0; t = NOT
			:: else -> t = LTAB(l)
			fi
		}
		if
		:: t == NOT -> break
		:: else -> skip
		fi;
#ifdef WALK_END_EARLY
		walking[h] = 0;
#endif
		tlock_take(t, h);
#ifndef NO_RECHECK
		if
		:: link[r] != l ->
			printf("MSC: hart %d: link %d changed under the lock of table %d: retry\n", h, l, t);
#ifdef REACH
			assert(!(REACH == 2));  /* probe 2 */
#endif
			tunlock(t, h);
			walking[h] = 0
		:: else ->
			walking[h] = 0;
#ifdef REACH
			/* probe 1: the two faults hold their tables' locks at once */
			assert(!(REACH == 1 && tlock[0] + tlock[1] == 3 && tlock[0] != 0 && tlock[1] != 0));
#endif
			break
		fi
#else
		walking[h] = 0;
		break
#endif
	od;
	l = 0
}

/*
 * The install of the copy c into table t (locked, leaf re-checked): BUSY,
 * unlock, shootdown, install, busy - 1.
 */
inline install(h, r)
{
	atomic { TCHECK(t); PRIVATE(t) leaf[t] = e | EB; busy[t]++ }
	tunlock(t, h);
	/* the shootdown of the mm's harts: abstract */
	atomic {
		printf("MSC: hart %d installs frame %d in table %d\n", h, c, t);
		TCHECK(t);
		PRIVATE(t)
		assert(link[r] != 0 && LTAB(link[r]) == t);    /* (2) */
		leaf[t] = c | EV | EW
	}
	atomic { TCHECK(t); busy[t]-- }
}

/* A store fault of hart h on the page of region r. done: resolved (W). */
inline fault(h, r)
{
	do
	:: walk_lock(h, r);
		if
		:: t == NOT -> break    /* the slow path */
		:: else -> skip
		fi;
		atomic {
			TCHECK(t);
			e = leaf[t];
			same = (links[t] == 1 && !prot[t])
		}
		if
		:: !same -> tunlock(t, h); break    /* not private: the slow path */
		:: same && !(e & EV) -> tunlock(t, h); break
		:: same && (e & EW) -> tunlock(t, h); done = 1; break
		:: same && (e & EB) -> tunlock(t, h) /* wait for it, retry */
		:: same && (e & EV) && !(e & (EW | EB)) ->
			atomic {
				f = EFR(e);
				if
				:: fref[f] == 1 ->
					printf("MSC: hart %d reuses frame %d in table %d\n", h, f, t);
#ifdef REACH
					assert(!(REACH == 5));  /* probe 5 */
#endif
					TCHECK(t);
					PRIVATE(t)
					leaf[t] = e | EW;
					done = 1
				:: else -> skip
				fi
			}
			if
			:: done -> tunlock(t, h); break
			:: else -> skip
			fi;
			/*
			 * The busy copy (vm_copy_busy, the rule): the leaf made
			 * BUSY and counted under the lock, then the copy, the
			 * shootdown and the install in its busy window, without
			 * the lock, no temporary reference, no second walk. Or
			 * (a fork on its way, or a seeded run's pick) the
			 * unlocked copy below.
			 */
			if
			:: skip ->
				atomic {
					printf("MSC: hart %d copies frame %d of table %d, its leaf BUSY\n", h, f, t);
					TCHECK(t);
					PRIVATE(t)
					leaf[t] = e | EB;
#ifndef BUSY_COPY_UNCOUNTED
					busy[t]++
#endif
				}
				tunlock(t, h);
				frame_alloc(c);
				fval[c] = fval[f];
				/* the shootdown of the mm's harts: abstract */
				atomic {
					printf("MSC: hart %d installs frame %d in table %d\n", h, c, t);
					TCHECK(t);
					PRIVATE(t)
					assert(link[r] != 0 && LTAB(link[r]) == t);    /* (2) */
#ifdef REACH
					assert(!(REACH == 15 && tlock[t] != 0));  /* probe 15 */
#endif
					leaf[t] = c | EV | EW
				}
#ifndef BUSY_COPY_UNCOUNTED
				atomic { TCHECK(t); busy[t]-- }
#endif
				frame_put(f);  /* the leaf's reference on the old frame */
				done = 1;
				break
			:: skip
			fi;
			atomic {
				fref[f]++;  /* the temporary reference */
				PROBE(copying[h] = 1);
				printf("MSC: hart %d copies frame %d of table %d\n", h, f, t)
			}
			tunlock(t, h);
			frame_alloc(c);
			fval[c] = fval[f];
			t0 = t;
			walk_lock(h, r);
			if
			:: t == NOT ->  /* the slow path: throw the copy away */
				frame_put(c); frame_put(f); PROBE(copying[h] = 0);
				break
			:: else -> skip
			fi;
			atomic {
				TCHECK(t);
#ifdef REACH
				assert(!(REACH == 7 && links[t] != 1)); /* probe 7 */
				assert(!(REACH == 9 && aba && t == t0)); /* probe 9 */
#endif
#if defined(COPY_NO_PRIVATE_RECHECK)
				same = (leaf[t] == e)
#elif defined(COPY_NO_LEAF_RECHECK)
				same = (links[t] == 1 && !prot[t])
#else
				same = (leaf[t] == e && links[t] == 1 && !prot[t])
#endif
			}
			if
			:: !same ->
				printf("MSC: hart %d throws its copy, frame %d, away\n", h, c);
#ifdef REACH
				assert(!(REACH == 4));  /* probe 4 */
#endif
				tunlock(t, h);
				frame_put(c);
				frame_put(f);
				PROBE(copying[h] = 0)   /* and retries */
			:: same ->
				install(h, r);
				frame_put(f);
				frame_put(f);
				PROBE(copying[h] = 0);
				done = 1;
				break
			fi
		fi
	od;
	atomic { t = 0; t0 = 0; e = 0; f = 0; c = 0; same = 0 }
}

/* munmap of region r's whole table, by hart h (which holds mm->lock). */
inline unmap(h, r)
{
	t = LTAB(link[r]);
#ifndef UNMAP_NO_TABLE_LOCK
	tlock_take(t, h);
#endif
#ifndef UNMAP_IGNORES_BUSY
#ifdef REACH
	assert(!(REACH == 8 && busy[t] != 0));  /* probe 8 */
#endif
	busy[t] == 0;
#endif
	atomic {
		TCHECK(t);
		e = leaf[t];
		if
		:: e & EV -> frame_put(EFR(e))
		:: else -> skip
		fi;
		leaf[t] = 0;
		link[r] = 0;
		links[t]--;
		printf("MSC: hart %d clears the leaf and unlinks table %d\n", h, t)
	}
#ifndef UNMAP_NO_TABLE_LOCK
	tunlock(t, h);
#endif
	/* the whole-ASID shootdown: abstract */
#ifndef FREE_NO_WAIT
	/* the grace wait: every walk section that began before the unlink has ended */
	g = 0;
	do
	:: g < NH && g != (h) ->
		if
		:: walking[g] ->
			printf("MSC: hart %d waits for hart %d's walk\n", h, g);
#ifdef REACH
			assert(!(REACH == 3));  /* probe 3 */
#endif
			walking[g] == 0
		:: else -> skip
		fi;
		g++
	:: g == (h) -> g++
	:: g == NH -> break
	od;
#endif
	atomic {
		TCHECK(t);
		tstate[t] = FREED;
		links[t] = 0;
		prot[t] = 0;
		printf("MSC: hart %d frees table %d\n", h, t);
		g = 0; e = 0
	}
}

/* A map of region r after the unmap: a new table (perhaps the page just freed), a new frame. */
inline map(h, r)
{
	atomic {
		if
		:: tstate[0] != LIVE -> t = 0
		:: tstate[1] != LIVE -> t = 1
		fi;
		PROBE(aba = (t == 0))
	}
	frame_alloc(f);
	atomic {
		tstate[t] = LIVE;
		tlock[t] = 0;
		busy[t] = 0;
		links[t] = 1;
		prot[t] = 0;
		leaf[t] = f | EV | EW;
		link[r] = t | LV;
		printf("MSC: hart %d maps table %d, frame %d\n", h, t, f);
		t = 0; f = 0
	}
}

#ifdef FORK2
inline mm_lock(h)
{
	atomic { mmlock == 0 -> mmlock = (h) + 1 }
}

inline mm_unlock(h)
{
	atomic { assert(mmlock == (h) + 1); mmlock = 0 }
}

/*
 * ptshare_own (own_link) of the parent's link by hart 0, under mm->lock:
 * one read of the count and PROTECTED; the last sharer takes the table
 * over in place (PROTECTED cleared, with no table lock, then the link made
 * valid if dormant); same: owned. Otherwise a copy (not modelled).
 */
#ifdef OWN_LOCKLESS
/*
 * The ownership step without mm->lock (the design for issue 21's last
 * step): find the table through the parent's link, lock it, read the link
 * again (changed: start over), then decide as below under the table's
 * lock, which fork now takes for every link it counts.
 */
inline own(h)
{
	atomic { l = link[0]; t = LTAB(l); TCHECK(t) }
	tlock_take(t, h);
#ifndef OWN_NO_RECHECK
	if
	:: link[0] != l -> tunlock(t, h); same = 1 /* changed: the fast path again */
	:: else ->
#endif
		atomic { TCHECK(t); g = links[t]; same = prot[t] }
		if
		:: g == 1 && (l & LV) && !same -> same = 1 /* private already */
		:: g == 1 && !((l & LV) && !same) ->
#ifdef REACH
			assert(!(REACH == 12));     /* probe 12: a take-over in place */
#endif
			atomic {
				TCHECK(t);
				prot[t] = 0;
				if
				:: l & LD -> link[0] = t | LV
				:: else -> skip
				fi;
				printf("MSC: hart %d takes table %d over (link %d), locklessly\n", h, t, l)
			}
			same = 1
		:: g > 1 -> same = 0   /* a copy: the fault gives up */
		fi;
		tunlock(t, h)
#ifndef OWN_NO_RECHECK
	fi;
#endif
	t = 0; l = 0; g = 0
}
#else
inline own(h)
{
	atomic { l = link[0]; t = LTAB(l); TCHECK(t); g = links[t]; same = prot[t] }
	if
	:: g == 1 && (l & LV) && !same -> same = 1 /* private already */
	:: g == 1 && !((l & LV) && !same) ->
#ifdef REACH
		assert(!(REACH == 12));     /* probe 12: a take-over in place */
#endif
		atomic { TCHECK(t); prot[t] = 0 };
		atomic {
			if
			:: l & LD -> link[0] = t | LV
			:: else -> skip
			fi;
			printf("MSC: hart %d takes table %d over (link %d)\n", h, t, l)
		}
		same = 1
	:: g > 1 -> same = 0   /* a copy: the fault gives up */
	fi;
	t = 0; l = 0; g = 0
}
#endif

#endif

proctype faulter(byte h; byte r)
{
	LOCALS;
#ifdef FORK2
	byte tries;
again:
#endif
	fault(h, r);
#ifdef FORK2
	/*
	 * The slow path (vm_fault_own) of a store to a dormant link or a
	 * table not its own: under mm->lock, own it. Taken over in place if
	 * the parent is its last sharer; a copy otherwise (not modelled: the
	 * fault gives up). Then the fast path again. At most once per fork.
	 */
	if
	:: !done && tries < 2 ->
		tries++;
#if !defined(OWN_NO_MM_LOCK) && !defined(OWN_LOCKLESS)
		mm_lock(h);
#endif
		own(h);
#if !defined(OWN_NO_MM_LOCK) && !defined(OWN_LOCKLESS)
		mm_unlock(h);
#endif
		if
		:: same -> same = 0; goto again
		:: else -> skip
		fi
	:: else -> skip
	fi;
#endif
#ifdef FORK
	/* the store the fault was for: through a valid link to a writable leaf, or a fault again (given up) */
	if
	:: done ->
		atomic {
			if
			:: link[r] & LV ->
				t = LTAB(link[r]);
				TCHECK(t);
				if
				:: leaf[t] & EW ->
					fval[EFR(leaf[t])] = 1;
					printf("MSC: hart %d stores 1 to frame %d\n", h, EFR(leaf[t]))
				:: else -> skip
				fi
			:: else -> skip
			fi;
			t = 0
		}
	:: else -> skip
	fi;
#endif
	done = 0
}

proctype unmapper(byte h)
{
	LOCALS;
	unmap(h, 0);
#ifndef TWO_TABLES
	if
	:: map(h, 0)
	:: skip
	fi
#endif
}

/* The outside holder of frame 0 lets it go, or not. */
proctype outside()
{
	if
	:: atomic { frame_put(0); holder = 0; printf("MSC: the outside holder puts frame 0\n") }
	:: skip
	fi
}

#if defined(FORK) && !defined(FORK2)
/* The wake of a dormant link lk (the parent's or the child's), by hart h. */
inline wake(lk, h)
{
	t = LTAB(lk);
	tlock_take(t, h);
#ifndef SHARE_IGNORES_BUSY
	busy[t] == 0;
#endif
	atomic {
		TCHECK(t);
		leaf[t] = leaf[t] & ~EW;
		prot[t] = 1;
		lk = t | LV;
		printf("MSC: hart %d wakes its link to table %d\n", h, t)
	}
	tunlock(t, h);
	t = 0
}

/* Hart 1: fork, then a load of the page (a wake). */
proctype forker(byte h)
{
	LOCALS;
	t = LTAB(link[0]);
	tlock_take(t, h);
#ifndef SHARE_IGNORES_BUSY
	busy[t] == 0;
#endif
	atomic {
		TCHECK(t);
		links[t]++;
		link[0] = t | LD;
		link_c = t | LD;
		exp_c = fval[EFR(leaf[t])];
#ifdef REACH
		assert(!(REACH == 6 && (copying[0] || copying[1]))); /* probe 6 */
#endif
		printf("MSC: hart %d forks: table %d shared, the page holds %d\n", h, t, exp_c)
	}
	tunlock(t, h);
	/* the whole shootdown of the parent: abstract */
	forked = 1;
	if
	:: link[0] & LD -> wake(link[0], h)
	:: else -> skip
	fi
}

/* Hart 2: the child loads the page. */
proctype child(byte h)
{
	LOCALS;
	forked;
	if
	:: link_c & LD -> wake(link_c, h)
	:: else -> skip
	fi;
	atomic {
		t = LTAB(link_c);
		TCHECK(t);
		e = leaf[t];
		assert(e & EV);
		if
		:: fval[EFR(e)] != exp_c ->
			printf("MSC: the child loads %d from frame %d, not %d\n", fval[EFR(e)], EFR(e), exp_c)
		:: else -> skip
		fi;
		assert(fval[EFR(e)] == exp_c);  /* (4) */
		t = 0; e = 0
	}
}
#endif

#ifdef FORK2
/*
 * fork_one (ptshare.c): share the table behind the parent's link with a
 * child whose link lk is 0, by hart h under the parent's mm->lock. A link
 * dormant already (an earlier fork's, not woken since) is counted with
 * one atomic add and no table lock; a valid one under the table's lock,
 * once busy == 0: count + 1, then the child's link valid too if the table
 * is PROTECTED, else both dormant (and the whole shootdown, abstract).
 */
inline fork_one(lk, h)
{
	atomic { l = link[0]; t = LTAB(l); TCHECK(t) }
#if defined(OWN_LOCKLESS) && !defined(FORK_DORMANT_LOCKLESS)
	/*
	 * With a lockless own and wake, a dormant link may become valid at any
	 * moment but under its table's lock: take it for every link, and read
	 * the link again under it.
	 */
	if
	:: l & LD ->
		tlock_take(t, h);
		atomic { l = link[0] }
		if
		:: l & LV -> tunlock(t, h) /* woken meanwhile: the valid path below takes the lock again */
		:: else -> skip
		fi
	:: else -> skip
	fi;
#endif
	if
	:: l & LD ->
		atomic {
			TCHECK(t);
#ifdef REACH
			/* probe 10: a child's hart holds the table's lock (its wake's protection pass, its drop) */
			assert(!(REACH == 10 && tlock[t] == 3));
			/* probe 13: the parent's dormant link is the table's last (the child let go of its own) */
			assert(!(REACH == 13 && links[t] == 1));
#endif
			printf("MSC: hart %d forks: link %d dormant, counted without the lock (%d links)\n", h, l, links[t] + 1);
#ifdef COUNT_NOT_ATOMIC
			g = links[t]
		}
		atomic {
			TCHECK(t);
			links[t] = g + 1;
			g = 0;
#else
			links[t]++;
#endif
			lk = l
		};
#if defined(OWN_LOCKLESS) && !defined(FORK_DORMANT_LOCKLESS)
		tunlock(t, h)
#else
		skip
#endif
	:: l & LV ->
#ifdef REACH
		assert(!(REACH == 11 && forked));   /* probe 11: the second fork finds the link woken */
#endif
#ifndef FORK_VALID_LOCKLESS
		tlock_take(t, h);
#ifndef FORK_DORMANT_NO_WAIT
#ifndef SHARE_IGNORES_BUSY
		busy[t] == 0;
#endif
#endif
#endif
		atomic {
			TCHECK(t);
			links[t]++;
			if
			:: prot[t] -> lk = l
			:: else -> link[0] = t | LD; lk = t | LD
			fi;
			printf("MSC: hart %d forks: link %d, under the lock: child's link %d (%d links)\n", h, l, lk, links[t])
		}
#ifndef FORK_VALID_LOCKLESS
		tunlock(t, h);
#endif
	fi;
	/* the whole shootdown of the parent if its link became dormant: abstract */
	t = 0; l = 0
}

/*
 * ptshare_wake of the dormant link lk by hart h, under its own mm->lock
 * (the parent's: mmlock, held by the caller; a child's: its own, which
 * nobody else takes, so not modelled). Read the count; if shared, the
 * protection pass under the table's lock once busy == 0 (W cleared and
 * PROTECTED set, unless PROTECTED already); then the link made valid.
 */
#ifdef OWN_LOCKLESS
/*
 * The wake without mm->lock: everything under the table's lock, which fork
 * takes to count any link: the count read, the protection pass (once
 * busy == 0), the link made valid.
 */
inline wake(lk, h)
{
	atomic { t = LTAB(lk); TCHECK(t) }
	tlock_take(t, h);
#ifndef SHARE_IGNORES_BUSY
	busy[t] == 0;
#endif
	atomic {
		TCHECK(t);
		if
		:: links[t] > 1 && !prot[t] ->
			leaf[t] = leaf[t] & ~EW;
			prot[t] = 1;
			printf("MSC: hart %d protects table %d (%d links)\n", h, t, links[t])
		:: else -> skip
		fi;
		lk = t | LV;
		printf("MSC: hart %d wakes its link to table %d\n", h, t)
	}
	tunlock(t, h);
	t = 0
}
#else
inline wake(lk, h)
{
	atomic { t = LTAB(lk); TCHECK(t); g = links[t] }
	if
	:: g > 1 ->
		tlock_take(t, h);
#ifndef SHARE_IGNORES_BUSY
		busy[t] == 0;
#endif
		atomic {
			TCHECK(t);
			if
			:: !prot[t] ->
				leaf[t] = leaf[t] & ~EW;
				prot[t] = 1;
				printf("MSC: hart %d protects table %d (%d links)\n", h, t, links[t])
			:: else -> skip
			fi
		}
		tunlock(t, h)
	:: else ->
		printf("MSC: hart %d: table %d has 1 link, no protection\n", h, t)
	fi;
	atomic {
		lk = t | LV;
		printf("MSC: hart %d wakes its link to table %d\n", h, t);
		t = 0; g = 0
	}
}
#endif

/* A load of the page by a process whose link is lk (waking it if dormant); it must read exp: (4). */
inline load(lk, exp, h)
{
	if
	:: lk & LD -> wake(lk, h)
	:: else -> skip
	fi;
	atomic {
		t = LTAB(lk);
		TCHECK(t);
		e = leaf[t];
		assert(e & EV);
		printf("MSC: hart %d loads %d from frame %d (the snapshot: %d)\n", h, fval[EFR(e)], EFR(e), exp);
#ifdef REACH
		assert(!(REACH == 14 && h == 3 && exp == 1));   /* probe 14: the second child sees the parent's store */
#endif
		assert(fval[EFR(e)] == exp);    /* (4) */
		t = 0; e = 0
	}
}

/*
 * ptshare_unmap_shared of a child's whole link lk, by hart h: the unlink
 * under the table's lock, the shootdown and grace wait (abstract: the
 * child's harts), the put. The parent links the table, so the put is
 * never the last: (6).
 */
inline drop(lk, h)
{
	atomic { t = LTAB(lk); TCHECK(t); g = links[t] }
	if
	:: g > 1 ->
		tlock_take(t, h);
		atomic { lk = 0; printf("MSC: hart %d drops its link to table %d\n", h, t) }
		tunlock(t, h);
		atomic { TCHECK(t); assert(links[t] > 1); links[t]-- }  /* (6) */
	:: else -> skip     /* the child's alone: never while the parent links it */
	fi;
	t = 0; g = 0
}

/* Hart 1: the parent's layout changes, under its mm->lock: fork, perhaps a load (a wake), fork again. */
proctype forker(byte h)
{
	LOCALS;
	mm_lock(h);
	fork_one(link_c, h);
	atomic {
		exp_c = fval[EFR(leaf[LTAB(link[0])])];
		forked = 1;
		printf("MSC: hart %d: fork returns, the page holds %d\n", h, exp_c);
		mm_unlock(h)
	}
	if
	:: mm_lock(h);
		if
		:: link[0] & LD -> wake(link[0], h)
		:: else -> skip
		fi;
		mm_unlock(h)
	:: skip
	fi;
	mm_lock(h);
	fork_one(link_c2, h);
	atomic {
		exp_c2 = fval[EFR(leaf[LTAB(link[0])])];
		forked2 = 1;
		printf("MSC: hart %d: fork returns, the page holds %d\n", h, exp_c2);
		mm_unlock(h)
	}
}

/* Hart 2: the first child loads the page or not, then lets go of its link (munmap) or not. */
proctype child(byte h)
{
	LOCALS;
	forked;
	if
	:: load(link_c, exp_c, h)
	:: skip
	fi;
	if
	:: drop(link_c, h)
	:: skip
	fi
}

/* Hart 3: the second child loads the page. */
proctype child2(byte h)
{
	LOCALS;
	forked2;
	load(link_c2, exp_c2, h)
}
#endif

init {
	byte k, j, n;
	atomic {
		/* table 0: the page, COW over frame 0, which the outside holder shares */
		tstate[0] = LIVE; links[0] = 1; leaf[0] = 0 | EV;
		link[0] = 0 | LV;
		fref[0] = 2; fstate[0] = LIVE; holder = 1;
		nframes = 1;
#ifdef TWO_TABLES
		/* table 1: region 1's page, COW over frame 1, shared the same way (for good) */
		tstate[1] = LIVE; links[1] = 1; leaf[1] = 1 | EV;
		link[1] = 1 | LV;
		fref[1] = 2; fstate[1] = LIVE;
		nframes = 2;
		run faulter(0, 0);
		run faulter(1, 1);
		run unmapper(2);
#elif defined(FORK)
		run faulter(0, 0);
		run forker(1);
		run child(2);
#ifdef FORK2
		run child2(3);
#endif
#else
		run faulter(0, 0);
		run faulter(1, 0);
		run unmapper(2);
#endif
		run outside()
	}
	_nr_pr == 1;
	/* (3): every frame's count is its leaves (and holders); none lost */
	k = 0;
	do
	:: k < nframes ->
		n = 0;
		if
		:: k == 0 && holder -> n++
		:: else -> skip
		fi;
#ifdef TWO_TABLES
		if
		:: k == 1 -> n++    /* region 1's outside holder keeps its reference */
		:: else -> skip
		fi;
#endif
		j = 0;
		do
		:: j < NT ->
			if
			:: tstate[j] == LIVE && (leaf[j] & EV) && EFR(leaf[j]) == k -> n++
			:: else -> skip
			fi;
			j++
		:: else -> break
		od;
		assert(fref[k] == n);
		assert((n == 0) == (fstate[k] == FREED));
		k++
	:: else -> break
	od;
	k = 0;
	do
	:: k < NT ->
		assert(tlock[k] == 0 && (tstate[k] != LIVE || busy[k] == 0));
		k++
	:: else -> break
	od;
#ifdef FORK2
	/* (6): the count is the number of links */
	assert(links[0] == (link[0] != 0) + (link_c != 0) + (link_c2 != 0))
#endif
}
