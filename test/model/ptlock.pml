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
 *  (cow_copy_busy): the leaf marked BUSY and busy + 1 under the lock,
 *  unlock, a new frame with the old one's contents, the shootdown
 *  (abstract: no TLBs here), the copy installed (writable), busy - 1, the
 *  old frame put once (the leaf's reference). Or, nondeterministically (the
 *  code's case of a fork on its way, or a seeded run's pick), the unlocked
 *  copy (cow_copy_unlocked): a temporary reference on the old frame,
 *  unlock, a new frame with the old one's contents, 1..5 again, then the
 *  re-check: the leaf is the one the copy was made from and the table
 *  still private. If not, the copy is freed and the temporary reference
 *  put, and the fault retries. If so, the leaf is marked BUSY, busy + 1,
 *  unlock, the shootdown, the copy installed, busy - 1, and the old frame
 *  put twice (the leaf's reference and the temporary one). A fault that
 *  finds its leaf BUSY unlocks and retries (the wait of cow_pte_settled).
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
 * own takes the slow path (cow_fault_link, under mm->lock): the last sharer
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
 * The lockless own (-DOWN_LOCKLESS; issue 21's last step, modelled before
 * the code and now the code's protocol, ptshare.c ptshare_fault): a fault that finds its link dormant or its table
 * not its own no longer takes mm->lock. In a walk section it reads the
 * link, locks the table, reads the link again (changed: unlock, leave the
 * section, start over); then, under the table's lock, the wake, the
 * take-over in place (count 1), or own by copy (count > 1): the protection
 * pass if the link is dormant, a new table with the same leaves (COW, one
 * more reference on each frame), the link stored to the copy, unlock, the
 * section left, and only then the whole-ASID flush, ptlock_walk_wait(mm) (every
 * hart of the mm, the caller's too, as ptlock.c's loop) and the put of the
 * old table (the last put frees it and puts its frames). Every path under
 * mm->lock that locks a table through a link (munmap, fork) takes it the
 * same way: in a walk section, the link read again under the lock.
 *  - -DFORK2 -DOWN_LOCKLESS: bb96dd1's, two forks, own in place only (a
 *    copy gives up);
 *  - -DOWNCOPY: table 0 shared by the parent (link[0]) and a child
 *    (link[1]), both links dormant, or one or both valid (PROTECTED), its
 *    leaf frame 0, COW. Harts 0 and 1, the parent's threads, each take a
 *    store fault on the page (both may own the table at once); hart 3, the
 *    child, takes a store fault (own by copy, or the take-over once the
 *    parent's copy has put the table), or unmaps its link, or nothing. The
 *    fast path's copy is the busy copy only;
 *  - -DOWNCOPY -DOWN_UNMAP: instead of hart 1, the parent's munmap of the
 *    table (hart 2, under mm->lock): in a walk section, the link, the
 *    table's lock, the link again; the count under the lock: the last link
 *    (pt_unmap's case: busy == 0, the leaf cleared and its frame put) or
 *    shared (ptshare_unmap_shared); the unlink, unlock, flush, ptlock_walk_wait,
 *    the put;
 *  - -DFORKCOPY: -DFORK2 with the lockless own by copy: the parent's own
 *    copies while the forks count the link. fork_one, the wake and the
 *    child's drop take the table as above; a page copy does not read the
 *    frame while a fork is on its way (fork_pending, cow_fork_wait).
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
 *  With -DOWNCOPY and -DFORKCOPY, also: (3) for every table page, copies
 *  included (a frame's count is the number of live tables that map it);
 *  (5) checked; (6) for every table: its count is the number of links that
 *  name it, and a table no link names is freed (none leaked);
 *  (7) no table is put twice (a put of a freed table is (1), a put below
 *      0 links asserted);
 *  (8) own by copy copies COW leaves only (no W, no BUSY), and a valid
 *      link to a shared table is PROTECTED;
 *  (9) no table is freed (its last put) while a hart holds its lock (the
 *      lock word is in the page's bookkeeping; -DNO_FREE_LOCK_ASSERT
 *      leaves it out, and (1) fires instead);
 *  and (-DOWNCOPY) a store goes through a writable leaf only of a table of
 *  the mm's own, and each address space's page holds at the end its first
 *  contents or its own store.
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
 *  With the lockless own (-DOWNCOPY, -DOWN_UNMAP, -DFORKCOPY):
 *  FORK_DORMANT_LOCKLESS  fork counts a dormant link without the table lock
 *                      (-DFORK2 -DOWN_LOCKLESS; refuted by (5))
 *  OWN_NO_RECHECK      own does not read the link again under the table
 *                      lock: two owners both copy (-DOWNCOPY; (9), or (1))
 *  OWN_PUT_BEFORE_WAIT own puts the old table before its ptlock_walk_wait ((9))
 *  OWN_DORMANT_NO_WAIT own by copy of a dormant link skips ptlock_walk_wait, as
 *                      own_by_copy does today ((9))
 *  OWN_WAIT_IN_SECTION own's ptlock_walk_wait inside its walk section: it waits
 *                      for itself (an invalid end state)
 *  OWN_WAIT_UNDER_LOCK own's ptlock_walk_wait under the table lock (with
 *                      -DPTWALK_SKIPS_SELF, a wait that passes over its
 *                      caller): a walker spinning for that lock inside its
 *                      section (an invalid end state)
 *  UNMAP_NO_RECHECK    munmap unlinks the link it read without reading it
 *                      again under the table lock (-DOWN_UNMAP; (9))
 *  UNMAP_NO_SECTION    munmap reads the link and locks its table outside
 *                      a walk section: the table may be copied away and
 *                      put, its last put freeing it, before the lock
 *                      (-DOWN_UNMAP; (9), or (1))
 *  UNMAP_DORMANT_NO_WAIT  munmap of a dormant shared link skips
 *                      ptlock_walk_wait, as ptshare_unmap_shared does today ((9))
 *  FORK_NO_RECHECK, FORK_NO_SECTION  fork_one does not read the link again
 *                      under the lock, or reads it outside a walk section
 *                      (-DFORKCOPY; (9))
 *  COPY_NO_FORK_WAIT   a page copy reads the frame while a fork is on its
 *                      way (-DFORKCOPY; (4))
 *  FORK_COUNT_AFTER_UNLOCK  fork_one counts the child's link just after it
 *                      unlocks the table, not in the unlock's own atomic
 *                      step (-DFORKCOPY; (5): a fault of the parent finds
 *                      one link in between and reuses a frame the child
 *                      shares)
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
 * With the lockless own: 16 (-DOWNCOPY), both threads of the parent own
 * the same table at once (one copies while the other has read the same
 * link); 17, an own's re-check finds the link swapped to another's copy;
 * 18 (-DOWN_UNMAP), munmap's re-check finds the link swapped to a copy;
 * 19, own by copy's ptlock_walk_wait waits out a walk; 20, the child takes
 * over in place the table the parent copied away from; 21, an own by
 * copy's put is the table's last and frees it; 22, the parent and the
 * child own the same table at once; 23 (-DFORKCOPY), fork's re-check finds
 * the link swapped to a copy.
 */

#ifdef FORKCOPY
#define FORK2       /* FORKCOPY is FORK2 with the lockless own, by copy too */
#ifndef OWN_LOCKLESS
#define OWN_LOCKLESS
#endif
#endif
#ifdef OWNCOPY
#ifndef OWN_LOCKLESS
#define OWN_LOCKLESS    /* OWNCOPY is a configuration of the lockless own */
#endif
#define NH 4        /* harts 0, 1 (the parent's faults), 2 (its munmap), 3 (the child) */
#define NT 4        /* table pages: the shared one, up to two copies, one more for a broken variant */
#define NF 8        /* frames */
#define NR 2        /* link[0]: the parent's, link[1]: the child's (another address space) */
#else
#ifdef FORK2
#define FORK        /* FORK2 is FORK with a second fork, a take-over and a second child */
#define NH 4        /* harts */
#else
#define NH 3
#endif
#ifdef FORKCOPY
#define NT 3        /* table pages: the shared one, the parent's copy, one more */
#else
#define NT 2        /* table pages */
#endif
#define NF 6        /* frames */
#ifdef TWO_TABLES
#define NR 2        /* regions (level-1 slots) */
#else
#define NR 1
#endif
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
byte owner[NH];     /* probes 16, 19, 21: hart h is in its own (the table's number + 1) */
#define PROBE(x) x
#else
#define PROBE(x) skip
#endif

#define LOCALS byte t, t0, l, e, f, c, g; bool done, same

/*
 * -DFORKCOPY: fork_pending (cow_fork_wait): set while a fork of the parent
 * is on its way (from before it counts the first link to its return, its
 * shootdown); a copy of a page does not read the frame meanwhile: the
 * busy copy is not taken then, the unlocked copy waits before it reads.
 * Without it a lockless own by copy lets the parent's fault copy the page
 * of a table fork has just counted, and store into it, before fork returns
 * (the other configurations have no fault on a table while fork runs).
 */
#ifdef FORKCOPY
bool forking;
#define BUSY_COPY_OK forking == 0
#ifdef COPY_NO_FORK_WAIT
#define FORK_WAIT /* no wait */
#else
#define FORK_WAIT forking == 0;
#endif
#define FORK_BEGIN forking = 1;
#define FORK_END forking = 0;
#else
#define BUSY_COPY_OK skip
#define FORK_WAIT /* none */
#define FORK_BEGIN /* none */
#define FORK_END /* none */
#endif

/* Every touch of a table's page or of its bookkeeping: (1). */
#define TCHECK(tt) assert(tstate[tt] == LIVE)

/*
 * A fault's every change of a leaf (reuse, BUSY mark, install): (5),
 * ptshare.h's claim that no leaf of a shared table changes (but for A and
 * the protection pass). Checked with -DFORK2 (but for -DNO_PRIVATE_ASSERT);
 * the other configurations' variants are refuted by what they break first.
 */
#if !(defined(FORK2) || defined(OWNCOPY)) || defined(NO_PRIVATE_ASSERT)
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
			 * The busy copy (cow_copy_busy, the rule): the leaf made
			 * BUSY and counted under the lock, then the copy, the
			 * shootdown and the install in its busy window, without
			 * the lock, no temporary reference, no second walk. Or
			 * (a fork on its way, or a seeded run's pick) the
			 * unlocked copy below.
			 */
			if
			:: BUSY_COPY_OK ->
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
#ifndef OWNCOPY
			:: skip     /* -DOWNCOPY: the busy copy only (the unlocked one is checked above) */
#endif
			fi;
			atomic {
				fref[f]++;  /* the temporary reference */
				PROBE(copying[h] = 1);
				printf("MSC: hart %d copies frame %d of table %d\n", h, f, t)
			}
			tunlock(t, h);
			frame_alloc(c);
			FORK_WAIT
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

#if defined(OWNCOPY) || defined(FORKCOPY)
/* A table page for a copy: the lowest one not live (a freed one comes back: ABA). */
inline table_alloc(tt)
{
	atomic {
		tt = 0;
		do
		:: tt < NT && tstate[tt] == LIVE -> tt++
		:: tt < NT && tstate[tt] != LIVE -> break
		:: tt == NT -> assert(tt < NT)   /* out of table pages: raise NT */
		od;
		tstate[tt] = LIVE;
		tlock[tt] = 0;
		busy[tt] = 0;
		links[tt] = 1;
		prot[tt] = 0;
		leaf[tt] = 0
	}
}

/*
 * ptshare_put: one link fewer; the last put frees the table and puts the
 * frame its leaf maps (table_free). A put of a freed table is (1); a put
 * below 0 links is (7): no table is put twice.
 */
inline table_put(tt, h)
{
	atomic {
		TCHECK(tt);
		assert(links[tt] > 0);  /* (7) */
		links[tt]--;
		printf("MSC: hart %d puts table %d (%d links left)\n", h, tt, links[tt]);
		if
		:: links[tt] == 0 ->
#ifdef REACH
			assert(!(REACH == 21 && owner[h]));  /* probe 21: an own by copy's put frees the old table */
#endif
#ifndef NO_FREE_LOCK_ASSERT
			assert(tlock[tt] == 0);     /* (9): no table is freed while a hart holds its lock */
#endif
			if
			:: leaf[tt] & EV -> frame_put(EFR(leaf[tt]))
			:: else -> skip
			fi;
			leaf[tt] = 0;
			prot[tt] = 0;
			tstate[tt] = FREED;
			printf("MSC: hart %d frees table %d\n", h, tt)
		:: else -> skip
		fi
	}
}

/* The address space of hart h: harts lo .. hi - 1 (the parent's 0 to 2, the child's 3). */
#ifdef FORKCOPY
/* -DFORKCOPY: the parent's harts 0 and 1; each child's hart alone */
#define MMLO(h) ((h) < 2 -> 0 : (h))
#define MMHI(h) ((h) < 2 -> 2 : (h) + 1)
#else
#define MMLO(h) ((h) < 3 -> 0 : 3)
#define MMHI(h) ((h) < 3 -> 3 : 4)
#endif

/*
 * ptlock_walk_wait(mm): for every hart of the mm, the caller's own too (as
 * ptlock.c's loop), wait until it is outside its walk section.
 */
inline ptlock_walk_wait(h)
{
	g = MMLO(h);
	do
	:: g < MMHI(h) ->
		if
#ifdef PTLOCK_WALK_SKIPS_SELF
		:: g == (h) -> skip     /* a ptlock_walk_wait that passes over its caller's hart */
		:: g != (h) && walking[g] ->
#else
		:: walking[g] ->
#endif
			printf("MSC: hart %d waits for hart %d's walk\n", h, g);
#ifdef REACH
			assert(!(REACH == 19 && owner[h]));   /* probe 19: an own by copy waits out a walk */
#endif
			walking[g] == 0
		:: else -> skip
		fi;
		g++
	:: g == MMHI(h) -> break
	od;
	g = 0
}

/*
 * The lockless own (cow_fault_link without mm->lock) of link[r] by hart h.
 * In a walk section: read the link (0: gone, the fault gives up, same =
 * 0), lock its table, read the link again (changed: unlock, leave the
 * section, start over). Then, under the table's lock: private already;
 * the last link: the take-over in place (PROTECTED cleared, the link made
 * valid); more links: own by copy: the protection pass if the link is
 * dormant (once busy == 0), a new table with the same leaf (COW: (8)) and
 * one more reference on its frame, the link stored to the copy, unlock,
 * the walk section left; then the whole-ASID flush (abstract),
 * ptlock_walk_wait(mm) and the put of the old table. same = 1: the fast path
 * again.
 */
inline own_lc(h, r)
{
	do
	:: walking[h] = 1;
		atomic {
			l = link[r];
			printf("MSC: hart %d owns: link %d\n", h, l);
			if
			:: l == 0 -> walking[h] = 0; t = NOT
			:: else -> t = LTAB(l)
			fi
		}
		if
		:: t == NOT -> same = 0; break
		:: else -> skip
		fi;
		PROBE(owner[h] = t + 1);
		tlock_take(t, h);
#ifndef OWN_NO_RECHECK
		if
		:: link[r] != l ->
			printf("MSC: hart %d: link %d changed (now %d) under the lock of table %d: start over\n", h, l, link[r], t);
#ifdef REACH
			assert(!(REACH == 17 && link[r] != 0));  /* probe 17: another own swapped the link to its copy */
#endif
			tunlock(t, h);
			PROBE(owner[h] = 0);
			walking[h] = 0
		:: else ->
#endif
			atomic { TCHECK(t); g = links[t]; same = prot[t] }
			if
			:: g == 1 && (l & LV) && !same ->   /* private already */
				tunlock(t, h); walking[h] = 0; same = 1; break
			:: g == 1 && !((l & LV) && !same) ->
				atomic {
					TCHECK(t);
					prot[t] = 0;
					link[r] = t | LV;
					printf("MSC: hart %d takes table %d over (link %d), locklessly\n", h, t, l)
#ifdef REACH
					; assert(!(REACH == 20 && h == 3 && link[0] != 0 && LTAB(link[0]) != t))  /* probe 20: the child takes over the table the parent copied */
#endif
				}
				tunlock(t, h); walking[h] = 0; same = 1; break
			:: g > 1 ->
#ifdef REACH
				/* probe 16: both threads of the parent own the same table at once */
				assert(!(REACH == 16 && ((h == 0 && owner[1] == t + 1) || (h == 1 && owner[0] == t + 1))));
				/* probe 22: the parent and the child own the same table at once */
				assert(!(REACH == 22 && ((h < 3 && owner[3] == t + 1) || (h == 3 && (owner[0] == t + 1 || owner[1] == t + 1)))));
#endif
				busy[t] == 0;
				atomic {
					TCHECK(t);
					if
					:: !prot[t] ->
						assert(l & LD);    /* a valid link to a shared table: PROTECTED */
						leaf[t] = leaf[t] & ~EW;
						prot[t] = 1;
						printf("MSC: hart %d protects table %d (%d links)\n", h, t, links[t])
					:: else -> skip
					fi
				}
				table_alloc(c);
				atomic {
					TCHECK(t);
					e = leaf[t];
					assert(!(e & (EW | EB)));   /* (8): the copy's leaves are COW (and none BUSY) */
					leaf[c] = e;
					if
					:: e & EV -> assert(fstate[EFR(e)] == LIVE); fref[EFR(e)]++
					:: else -> skip
					fi;
					link[r] = c | LV;
					printf("MSC: hart %d copies table %d to table %d and links it\n", h, t, c);
					e = 0
				}
#ifdef OWN_WAIT_UNDER_LOCK
				ptlock_walk_wait(h);
#endif
				tunlock(t, h);
#ifdef OWN_WAIT_IN_SECTION
				ptlock_walk_wait(h);
#endif
				walking[h] = 0;
				/* the whole-ASID flush: abstract */
#ifdef OWN_PUT_BEFORE_WAIT
				table_put(t, h);
#endif
#if !defined(OWN_WAIT_IN_SECTION) && !defined(OWN_WAIT_UNDER_LOCK)
#ifdef OWN_DORMANT_NO_WAIT
				if
				:: l & LV -> ptlock_walk_wait(h)
				:: else -> skip     /* today's own_by_copy: no wait after a dormant link */
				fi;
#else
				ptlock_walk_wait(h);
#endif
#endif
#ifndef OWN_PUT_BEFORE_WAIT
				table_put(t, h);
#endif
				same = 1;
				break
			fi
#ifndef OWN_NO_RECHECK
		fi
#endif
	od;
	PROBE(owner[h] = 0);
	atomic { t = 0; l = 0; g = 0; c = 0 }
}

/*
 * munmap of link[r]'s whole table by hart h, under its mm->lock: in a
 * walk section (but for -DUNMAP_NO_SECTION), read the link (0: nothing to
 * do), lock its table, read the link again (changed: unlock, start over;
 * but for -DUNMAP_NO_RECHECK), leave the section. Under the lock: the
 * count; the last link (pt_unmap's case): wait for busy == 0, clear the
 * leaf (its frame put); shared (ptshare_unmap_shared): the leaf stays.
 * Then the unlink (link = 0), unlock, the flush (abstract), ptlock_walk_wait,
 * the put (the last one frees the table).
 */
inline unmap_lc(h, r)
{
	do
	::
#ifndef UNMAP_NO_SECTION
		walking[h] = 1;
#endif
		atomic {
			l = link[r];
			printf("MSC: hart %d unmaps: link %d\n", h, l);
			if
			:: l == 0 -> walking[h] = 0; t = NOT
			:: else -> t = LTAB(l)
			fi
		}
		if
		:: t == NOT -> break
		:: else -> skip
		fi;
		tlock_take(t, h);
#ifndef UNMAP_NO_RECHECK
		if
		:: link[r] != l ->
			printf("MSC: hart %d: link %d changed (now %d) under the lock of table %d: unmap starts over\n", h, l, link[r], t);
#ifdef REACH
			assert(!(REACH == 18 && link[r] != 0));  /* probe 18: munmap finds the link swapped to a copy */
#endif
			tunlock(t, h);
			walking[h] = 0
		:: else ->
#endif
			walking[h] = 0;
			atomic { TCHECK(t); g = links[t] }
			if
			:: g == 1 -> busy[t] == 0
			:: else -> skip
			fi;
			atomic {
				TCHECK(t);
				if
				:: g == 1 && (leaf[t] & EV) -> frame_put(EFR(leaf[t])); leaf[t] = 0
				:: else -> skip
				fi;
				link[r] = 0;
				printf("MSC: hart %d unlinks table %d (%d links)\n", h, t, g)
			}
			tunlock(t, h);
			/* the whole-ASID flush: abstract */
#ifdef UNMAP_DORMANT_NO_WAIT
			if
			:: l & LV -> ptlock_walk_wait(h)
			:: else -> skip     /* today's ptshare_unmap_shared: no wait after dormant links */
			fi;
#else
			ptlock_walk_wait(h);
#endif
			table_put(t, h);
			break
#ifndef UNMAP_NO_RECHECK
		fi
#endif
	od;
	atomic { t = 0; l = 0; g = 0 }
}

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
	 * The slow path (cow_fault_link) of a store to a dormant link or a
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
#ifdef FORKCOPY
		own_lc(h, 0);
#else
		own(h);
#endif
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
#ifdef FORKCOPY
/*
 * fork_one with the lockless own by copy: the parent's link may now name
 * another table at any moment (a fault's own by copy), so fork takes it as
 * a fault does: in a walk section (but for -DFORK_NO_SECTION), read the
 * link, lock its table, read the link again (changed: unlock, start over;
 * but for -DFORK_NO_RECHECK), leave the section; then, under the lock and
 * once busy == 0, count the link: a valid link of a PROTECTED table is
 * handed to the child as it is; a valid one of an unprotected table
 * becomes dormant in both; a dormant one is handed on.
 */
inline fork_one(lk, h)
{
	do
	::
#ifndef FORK_NO_SECTION
		walking[h] = 1;
#endif
		atomic { l = link[0]; t = LTAB(l); printf("MSC: hart %d forks: link %d\n", h, l) }
		tlock_take(t, h);
#ifndef FORK_NO_RECHECK
		if
		:: link[0] != l ->
			printf("MSC: hart %d: link %d changed (now %d) under the lock of table %d: fork starts over\n", h, l, link[0], t);
#ifdef REACH
			assert(!(REACH == 23));     /* probe 23: fork finds the link swapped to a copy */
#endif
			tunlock(t, h);
			walking[h] = 0
		:: else ->
#endif
			walking[h] = 0;
			busy[t] == 0;
			atomic {
				TCHECK(t);
				if
				:: (l & LV) && !prot[t] -> link[0] = t | LD; lk = t | LD
				:: else -> lk = l
				fi;
				printf("MSC: hart %d forks: link %d, under the lock: child's link %d\n", h, l, lk)
			}
#ifndef FORK_COUNT_AFTER_UNLOCK
			/* The count and the unlock: one AMO (ptshare.c fork_one). */
			atomic {
				TCHECK(t);
				links[t]++;
				assert(tlock[t] == (h) + 1);
				tlock[t] = 0;
				printf("MSC: hart %d counts link %d and unlocks table %d (%d links)\n", h, lk, t, links[t])
			}
#else
			tunlock(t, h);
			atomic { links[t]++ } /* BROKEN: counted after the lock went */
#endif
			break
#ifndef FORK_NO_RECHECK
		fi
#endif
	od;
	/* the whole shootdown of the parent if its link became dormant: abstract */
	t = 0; l = 0
}
#else
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
#endif

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
 * busy == 0), the link made valid. -DFORKCOPY: the link may name another
 * table by the time the table is locked (the parent's own by copy), so the
 * wake takes it as a fault does: in a walk section, the link read again
 * under the lock (changed: start over; valid by then: nothing to do).
 */
inline wake(lk, h)
{
#ifdef FORKCOPY
	do
	:: walking[h] = 1;
		atomic { l = lk; t = LTAB(l) }
		if
		:: l & LV -> walking[h] = 0; break
		:: else -> skip
		fi;
		tlock_take(t, h);
		if
		:: lk != l -> tunlock(t, h); walking[h] = 0
		:: else -> walking[h] = 0; break
		fi
	od;
	if
	:: l & LV -> skip
	:: else ->
#else
	atomic { t = LTAB(lk); TCHECK(t) }
	tlock_take(t, h);
#endif
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
#ifdef FORKCOPY
	fi;
	l = 0;
#endif
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
#ifdef FORKCOPY
		/* the parent may have copied the table away: this put may be the last */
		ptlock_walk_wait(h);
		table_put(t, h)
#else
		atomic { TCHECK(t); assert(links[t] > 1); links[t]-- }  /* (6) */
#endif
	:: else -> skip     /* the child's alone: never while the parent links it */
	fi;
	t = 0; g = 0
}

/* Hart 1: the parent's layout changes, under its mm->lock: fork, perhaps a load (a wake), fork again. */
proctype forker(byte h)
{
	LOCALS;
	mm_lock(h);
	FORK_BEGIN
	fork_one(link_c, h);
	atomic {
		exp_c = fval[EFR(leaf[LTAB(link[0])])];
		forked = 1;
		FORK_END
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
	FORK_BEGIN
	fork_one(link_c2, h);
	atomic {
		exp_c2 = fval[EFR(leaf[LTAB(link[0])])];
		forked2 = 1;
		FORK_END
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

#ifdef OWNCOPY
/*
 * -DOWNCOPY: own by copy without mm->lock (issue 21's last step; the
 * code's protocol since, ptshare.c). Table 0 is shared by the parent (link[0])
 * and a child (link[1], another address space), two links, each valid
 * (PROTECTED) or dormant; its leaf maps frame 0 COW. Harts 0 and 1, the
 * parent's threads, each take a store fault on the page; or, with
 * -DOWN_UNMAP, hart 0 does and hart 2 unmaps the parent's table (under
 * the parent's mm->lock, the only one to take it here, so left out);
 * hart 3, the child, takes a store fault (own by copy, or the take-over in
 * place once the parent's copy has put the table), or unmaps its link, or
 * does nothing.
 */

/*
 * A thread's store fault on link[r]'s page, by hart h: the fast path; if
 * it finds the link dormant or the table not its own, the lockless own
 * and the fast path again (at most three times). Then the store of v,
 * through a valid link to a writable leaf only, into a table of its own:
 * (5').
 */
proctype owner_fault(byte h; byte r; byte v)
{
	LOCALS;
	byte tries;
again:
	fault(h, r);
	if
	:: !done && tries < 2 ->
		tries++;
		own_lc(h, r);
		if
		:: same -> same = 0; goto again
		:: else -> skip
		fi
	:: else -> skip
	fi;
	if
	:: done ->
		atomic {
			if
			:: link[r] & LV ->
				t = LTAB(link[r]);
				TCHECK(t);
				if
				:: leaf[t] & EW ->
					assert(links[t] == 1 && !prot[t]);  /* no store through a shared table's writable leaf */
					fval[EFR(leaf[t])] = v;
					printf("MSC: hart %d stores %d to frame %d\n", h, v, EFR(leaf[t]))
				:: else -> skip
				fi
			:: else -> skip
			fi;
			t = 0
		}
	:: else -> skip
	fi;
	done = 0
}

proctype owner_unmap(byte h; byte r)
{
	LOCALS;
	unmap_lc(h, r)
}

/* Hart 3, the child: a store fault (own by copy or take-over), or munmap of its link, or nothing. */
proctype owner_child(byte h)
{
	LOCALS;
	if
	:: run owner_fault(h, 1, 2)
	:: run owner_unmap(h, 1)
	:: skip
	fi
}
#endif

init {
	byte k, j, n;
#ifdef OWNCOPY
	atomic {
		/* table 0, shared by the parent and the child: its leaf maps frame 0 COW */
		tstate[0] = LIVE; links[0] = 2; leaf[0] = 0 | EV;
		fref[0] = 1; fstate[0] = LIVE;
		nframes = 1;
		/* after the fork (both links dormant), or one wake, or both */
		if
		:: link[0] = 0 | LD; link[1] = 0 | LD
		:: link[0] = 0 | LV; link[1] = 0 | LD; prot[0] = 1
		:: link[0] = 0 | LD; link[1] = 0 | LV; prot[0] = 1
		:: link[0] = 0 | LV; link[1] = 0 | LV; prot[0] = 1
		fi;
		run owner_fault(0, 0, 1);
#ifdef OWN_UNMAP
		run owner_unmap(2, 0);
#else
		run owner_fault(1, 0, 1);
#endif
		run owner_child(3)
	}
#else
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
#endif
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
#if defined(FORK2) && !defined(FORKCOPY)
	/* (6): the count is the number of links */
	assert(links[0] == (link[0] != 0) + (link_c != 0) + (link_c2 != 0))
#endif
#ifdef FORKCOPY
	/* (6) and (7): every table's count is the number of links that name it; a table none names is freed */
	k = 0;
	do
	:: k < NT ->
		n = (link[0] != 0 && LTAB(link[0]) == k) + (link_c != 0 && LTAB(link_c) == k) + (link_c2 != 0 && LTAB(link_c2) == k);
		if
		:: tstate[k] == LIVE -> assert(links[k] == n && n > 0)
		:: else -> assert(n == 0)
		fi;
		k++
	:: else -> break
	od
#endif
#ifdef OWNCOPY
	/*
	 * (6) and (7): every table's count is the number of links that name it,
	 * a table no link names is freed (none leaked, none put twice); each
	 * address space's page holds the page's first contents or its own store.
	 */
	k = 0;
	do
	:: k < NT ->
		n = (link[0] != 0 && LTAB(link[0]) == k) + (link[1] != 0 && LTAB(link[1]) == k);
		if
		:: tstate[k] == LIVE -> assert(links[k] == n && n > 0)
		:: else -> assert(n == 0)
		fi;
		k++
	:: else -> break
	od;
	assert(link[0] == 0 || fval[EFR(leaf[LTAB(link[0])])] != 2);
	assert(link[1] == 0 || fval[EFR(leaf[LTAB(link[1])])] != 1)
#endif
}
