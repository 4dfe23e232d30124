/*
 * cow.pml: a Promela model of kine's copy-on-write protocol, checked
 * exhaustively by spin (test/model/spin_test.sh). docs/model.md says what
 * is modelled, what is abstracted away, and which promise of docs/cow.md
 * each assertion stands for.
 *
 * One user page, four harts, four configurations:
 *
 * The default ("fork tree"): three address spaces.
 *   PARENT:     thread_A on hart 0 forks the child, stores to the page (a
 *               COW fault), loads it back and munmaps it. thread_B on hart
 *               1, the same process, stores, may be switched out and back
 *               in, stores again and loads, racing the fork, the faults and
 *               the munmap.
 *   CHILD:      thread_C on hart 2, once fork has returned: loads its
 *               snapshot, then either forks the grandchild and writes the
 *               page (a store, or a copyout as read() does), or writes and
 *               then forks; loads; exits.
 *   GRANDCHILD: thread_G on hart 3: loads its snapshot, stores, loads, exits.
 * -DTHREE_THREADS: the parent has a third thread, thread_D on hart 3 (a
 *   load, which sets A in the parent's COW PTE, a store and a load); the
 *   child does not fork.
 * -DBUSY_RACE ("busy race"): the page is COW from the start, shared with a
 *   child forked before (no thread; reaped at the end). thread_A forks a
 *   second child (reaped at once) and munmaps, thread_B stores and loads,
 *   thread_D copyouts and loads: a fork, a munmap and a copyout that can
 *   meet another thread's BUSY PTE. Without ASIDs.
 * -DREMAP_RACE ("remap race"): the page is COW from the start, frame 0
 *   shared with a child whose thread has exited; the child's mm_destroy
 *   (init, for its reaper) drops its reference at a moment of its own.
 *   The parent has two threads. thread_B stores (a COW fault, which copies
 *   while the child still holds the frame) and loads. thread_A unmaps the
 *   page and maps it again at the same address (as sbrk shrinks and grows
 *   the heap), stores, forks a second child (its snapshot is checked at the
 *   end) and loads: once the child is gone, the unmapped frame may be
 *   freed and handed out again to the new mapping, which fork makes COW
 *   again, so that B's copy, back under mm_lock, can meet the very PTE it
 *   copied for. Without ASIDs.
 *
 * The copy fault (cow_copy) takes one of two ways, chosen under
 * mm_lock once it has seen refs > 1:
 *  - the busy copy (cow_copy_busy, the rule; only with no fork of the mm
 *    pending, fork_pending read under the lock): swap the PTE for its BUSY
 *    form (V=0, PTE_BUSY; the swap returns A), count it in mm->busy,
 *    unlock; then, without the lock: allocate and copy, shoot down only if
 *    A was set, install the copy (busy--), drop the process's reference on
 *    the old frame. No temporary reference, no re-lock, no re-check: the
 *    PTE is the copy's until it installs.
 *  - the unlocked copy (cow_copy_unlocked; in the code when a fork is
 *    pending, and one copy in 8 of a seeded run): a temporary reference,
 *    unlock, wait for a pending fork, copy, re-lock, re-check, then
 *    cow_pte_replace: BUSY as above, unlock, shoot down, install (busy--),
 *    and two drops.
 * The model takes either way wherever the code may; the busy one only with
 * fork_pending clear. A fault that finds the PTE BUSY waits for it under
 * mm_lock (cow_pte_settled); fork, munmap, exit and copyout wait for
 * mm->busy == 0 (mm_wait_busy).
 *
 * The A-bit filter: a hart's walk sets the PTE's A in the same step in
 * which it checks V and the permission, and only then caches. Fork leaves
 * the COW PTEs it makes with A clear (cow_a, mm_cow_accessed), and the copy
 * exchanges the PTE with the BUSY value atomically (cow_pte_replace): if A
 * was clear, no hart can use a translation of the page, so the copy goes
 * in at once under mm_lock, with no shootdown (untouched). Reuse flushes
 * its local entry only if A was set. -DCOW_A keeps A set at fork (a hart
 * that faults on a clear A, a U74): every copy shoots down.
 *
 * Fork (mm_copy) sets fork_pending before it takes the PTE's lock, makes
 * the parent's PTE COW and maps the child's, and lets the lock go, as the
 * code lets each table's lock go (mm_copy_table); it shoots the parent
 * down only after that (mm_copy_locked, still under mm->lock, which no
 * fault takes), then clears fork_pending and returns. An unlocked copy
 * waits for fork_pending == 0 before it reads the old frame (cow_fork_wait),
 * and a busy copy is taken only if fork_pending is clear under the lock:
 * until fork's shootdown, a hart may still store into the frame through a
 * writable entry from before fork.
 *
 * Two TLB modes, as kine runs: without ASIDs (the default here: every
 * switch flushes and clears the hart's bits in the mask and in mm_active)
 * and -DASID (a switch away neither flushes nor clears the mask bit: the
 * entries stay, tagged with the mm's ASID; only the mm_active bit goes).
 *
 * Shootdowns are lazy (src/mm/tlb.c): a shootdown bumps tlb_gen and fences
 * only the harts in mm_harts & mm_active other than itself; a hart it
 * skipped flushes the mm's ASID when it next loads the mm, because its
 * tlb_seen is behind tlb_gen (tlb_enter, in tlb_activate).
 *
 * Threads stay on their harts. A hart caches in its TLB the translation of
 * the address space it runs, filled by the hardware's walk and used until
 * a flush: a load or store through a cached entry never looks at the PTE.
 *
 * The names follow the code (src/mm/mm.c, src/mm/cow.c, src/mm/uaccess.c, src/mm/tlb.c,
 * src/mm/frame.c): mm_lock (struct mm's lock), pte[].V/W/COW/pa (the PTE's
 * bits and pte_pa), mm_harts (mm->harts, the hart mask), refs (struct
 * frame.refs, read by frame_refcount), frame_get, frame_put_pa and
 * frame_put (each drops one reference; the last one frees), frame_alloc,
 * mm_active, tlb_gen and tlb_seen (mm->active, mm->tlb_gen, mm->tlb_seen),
 * mm_copy, tlb_shootdown, tlb_flush_local, tlb_activate, cow_user_fault,
 * cow_pte_access, cow_pte_write, cow_copy, cow_copy_busy,
 * cow_copy_unlocked, copyout, mm_munmap, mm_map_anon, mm_destroy. Two inlines are the model's own:
 * cow_pte_write_rest, the part of cow_pte_write after frame_refcount (the
 * model's steps split there), and copyout_page, copyout's loop body.
 *
 * Broken variants, which spin must refute (spin -DNAME -a cow.pml):
 *   NO_FORK_SHOOTDOWN     mm_copy returns without tlb_shootdown(parent)
 *   DROP_BEFORE_FLUSH     cow_copy_unlocked drops its references on the old
 *                         frame (the process's and the temporary one)
 *                         before the shootdown, not after it
 *   NO_RECHECK            cow_user_fault and cow_pte_write decide on the
 *                         PTE read before taking mm_lock, not re-read under it
 *   SHOOTDOWN_LOCAL_ONLY  tlb_shootdown flushes only the calling hart, as if
 *                         the mask held nobody else
 *   INSTALL_BEFORE_FLUSH  cow_copy_unlocked installs the new PTE before the
 *                         shootdown (refuted with -DTHREE_THREADS only)
 *   NO_COPY_RECHECK       cow_copy_unlocked, back under mm_lock, installs its
 *                         copy without re-walking the PTE
 *   INSTALL_BEFORE_SHOOTDOWN cow_copy_unlocked installs the new PTE and drops
 *                         the old frame before its shootdown
 *   FAULT_IGNORES_BUSY    cow_user_fault takes a BUSY PTE for an invalid one
 *                         (EFAULT) instead of waiting for it
 *   FORK_IGNORES_BUSY     mm_copy does not wait for mm->busy == 0: it skips
 *                         a BUSY PTE as not a leaf (-DBUSY_RACE)
 *   MUNMAP_IGNORES_BUSY   munmap does not wait for mm->busy == 0 (-DBUSY_RACE)
 *   COPYOUT_WAITS_ONCE    copyout waits for mm->busy == 0 only when it takes
 *                         mm_lock, not again after cow_pte_write, which
 *                         may have dropped it (-DBUSY_RACE)
 *   NO_TEMP_REF           cow_copy_unlocked copies without the temporary
 *                         frame_get/frame_put on the old frame (-DREMAP_RACE:
 *                         elsewhere no PTE comes back to the value it had)
 *   SWITCH_CLEARS_MASK    with -DASID: a switch away clears the hart's bit
 *                         in the mask though its entries stay (not refuted
 *                         since shootdowns are lazy: see docs/model.md)
 *   LAZY_NO_CATCHUP       with -DASID: a load never flushes, though tlb_gen
 *                         moved since the hart's tlb_seen
 *   LAZY_GEN_BEFORE_ACTIVE with -DASID: tlb_enter reads tlb_gen before it
 *                         sets the hart's mm_active bit
 *   LAZY_LEAVE_EARLY      a switch away clears the mm_active bit while satp
 *                         still holds the mm
 *   A_CHECK_NOT_ATOMIC    the copy reads A with a plain load and stores the
 *                         BUSY value a step later, not one exchange: a walk
 *                         between them sets A and caches unseen
 *   FILL_BEFORE_A         a walk caches the translation and sets A in a later
 *                         step (a hart that breaks the spec's rule)
 *   FORK_CLEARS_A_NO_FLUSH fork clears A in a PTE that was COW already, which
 *                         it neither changes otherwise nor shoots down
 *   COPY_NO_FORK_WAIT     cow_copy_unlocked reads the old frame without waiting
 *                         for a pending fork of its mm (-DTHREE_THREADS)
 *   BUSY_COPY_NO_FORK_CHECK the busy copy is taken even with a fork of the
 *                         mm pending, and does not wait (-DTHREE_THREADS)
 *   BUSY_COPY_NO_SHOOTDOWN the busy copy never shoots down, even when the
 *                         swap found A set
 *   BUSY_COPY_UNCOUNTED   the busy copy's BUSY PTE is not counted in
 *                         mm->busy: fork, munmap and copyout do not wait for
 *                         it (-DBUSY_RACE; -DREMAP_RACE too)
 * The three A-bit variants are refuted with -DNO_FILTER_ASSERT, which leaves
 * out the filter's own assertion (ASSERT_NOT_CACHED), so that what fails is
 * what a user would see; COPY_NO_FORK_WAIT and BUSY_COPY_NO_FORK_CHECK with
 * -DNO_FILTER_ASSERT and -DNO_COPY_ASSERT, which leaves out the copy's two
 * (ASSERT_NOT_WRITABLE: nobody can store into the frame it reads;
 * ASSERT_NO_OVERLAP: only a copy shoots down while a PTE is BUSY).
 * Reachability probes (spin -DREACH=N, N = 1..23 below): probe N's assertion
 * fails once the search reaches the situation it names, which shows that
 * the correct model's "errors: 0" does not come from a path never taken.
 */

#ifdef BUSY_RACE
#define THREE_THREADS /* thread_D, and no grandchild thread */
#endif
#if defined(REMAP_RACE) && (defined(BUSY_RACE) || defined(THREE_THREADS))
#error "REMAP_RACE is a configuration of its own: the parent's threads are A and B"
#endif

#define NHARTS  4
#define NFRAMES 5   /* the first frame and up to 4 copies in flight at once (one per thread) */
#define NMM     3
#define NOFRAME 255

/*
 * mm_cow_accessed(): the A bit fork gives the COW PTEs it makes (the
 * context's cow_a). 0 where the harts set A themselves, as modelled here;
 * a hart that faults on a clear A instead (a U74) gets PTE_A, and then the
 * model is the one before the A-bit filter: every copy shoots down.
 */
#ifndef COW_A
#define cow_a 0
#else
#define cow_a 1
#endif

#define PARENT     0
#define CHILD      1
#define GRANDCHILD 2

#define HART_A 0 /* thread_A: PARENT */
#define HART_B 1 /* thread_B: PARENT */
#define HART_C 2 /* thread_C: CHILD */
#define HART_G 3 /* thread_G: GRANDCHILD */
#define HART_D 3 /* thread_D: PARENT, in the THREE_THREADS configuration */

#define ACCESS_READ  0
#define ACCESS_WRITE 1

#define OK     0
#define EFAULT 1

/* What each thread stores; the page starts as zeroes. All distinct. */
#define VAL_B1 2
#define VAL_B2 3
#define VAL_C  4
#define VAL_A  5
#define VAL_G  6
#define VAL_D  7

/* Reachability probes: REACHED(n, cond) fails when probe n is on and cond holds. */
#ifndef REACH
#define REACH 0
#endif
#define REACHED(n, cond) assert(!(REACH == (n) && (cond)))
/*
 * Probes 13 and 15 look at a state between two steps of the correct model:
 * an extra step, in the probe's own build only.
 */
#if REACH == 13
#define PROBE_FAULT_ON_BUSY(m) d_step { REACHED(13, pte[m].BUSY) };
#else
#define PROBE_FAULT_ON_BUSY(m)
#endif
#if REACH == 15
#define PROBE_WAIT_BUSY(m) d_step { REACHED(15, mm_busy[m] > 0) };
#else
#define PROBE_WAIT_BUSY(m)
#endif
/*
 * Probe 18 needs to know, at a copy's re-check, what held frame 0 when the
 * page was mapped again: a ghost, in the probe's own build only. Frame 0
 * held by nobody but a copy's temporary reference: no PTE maps it and the
 * child's exit is not between its clear and its drop (it holds the child's
 * lock until after the drop); every other reference is a PTE's.
 */
#if REACH == 18
bit map_beside_temp_ref; /* mm_map_anon allocated while only a temporary reference held frame 0 */
#define PROBE_MAP_AGAIN() \
	map_beside_temp_ref = (refs[0] == 1 && !mm_lock[CHILD] && \
			       !(pte[PARENT].V && pte[PARENT].pa == 0) && \
			       !(pte[CHILD].V && pte[CHILD].pa == 0) && \
			       !(pte[GRANDCHILD].V && pte[GRANDCHILD].pa == 0));
#define MAP_BESIDE_TEMP_REF map_beside_temp_ref
#else
#define PROBE_MAP_AGAIN()
#define MAP_BESIDE_TEMP_REF 0
#endif

typedef pte_t {
	bit V;   /* PTE_V */
	bit W;   /* PTE_W */
	bit COW; /* PTE_COW, RSW bit 8 */
	bit A;   /* PTE_A: set by a hart's walk, atomically with its check of V
		  * and the permission, before it caches the translation */
	bit BUSY; /* PTE_BUSY (software bit, with V=0): a copy fault is between its
		   * re-check and its install, shooting down without mm_lock */
	byte pa  /* the frame it maps: pte_pa() */
};

typedef tlb_t {
	bit v;   /* the hart caches a translation of the page (for hart_mm[h]'s ASID) */
	bit w;   /* ... a writable one */
	byte pa  /* ... to this frame */
};

pte_t pte[NMM];        /* each mm's PTE for the page: guarded by mm_lock */
bit mm_lock[NMM];      /* struct mm's lock */
byte mm_busy[NMM];     /* mm->busy: the mm's BUSY PTEs (atomic; raised only under mm_lock) */
byte mm_harts[NMM];    /* mm->harts: the harts that may still use the mm's cached entries */
byte mm_active[NMM];   /* mm->active: the harts whose satp holds the mm's table now */
/*
 * mm->tlb_gen (shootdowns begun) and mm->tlb_seen[h] (the tlb_gen that hart
 * h's TLB is known to include). Each hart runs one mm, so tlb_seen[h] is
 * hart_mm[h]'s. Both are kept at 0 while dead (docs/model.md, "Steps"):
 * without ASIDs always (every switch flushes, so tlb_enter's answer is
 * ignored), and with ASIDs tlb_seen[h] once hart h will not load its mm
 * again (reloads[h] clear), tlb_gen[m] once none of m's harts will.
 */
byte tlb_gen[NMM];
byte tlb_seen[NHARTS];
bit reloads[NHARTS];   /* ghost: hart h will still load hart_mm[h] (read its tlb_seen) */
#define RELOADER(m) (reloads[0] && hart_mm[0] == (m) || reloads[1] && hart_mm[1] == (m) || \
		     reloads[2] && hart_mm[2] == (m) || reloads[3] && hart_mm[3] == (m))
bit forked[NMM];       /* mm_copy into this mm has returned: its process may run */
bit fork_pending[NMM]; /* mm->fork_pending: set by fork before its lock, cleared after its shootdown */
byte refs[NFRAMES];    /* struct frame.refs (atomic); 0: the frame is free */
byte data[NFRAMES];    /* the frame's contents */
tlb_t tlb[NHARTS];     /* each hart's cached translation of the page */
byte hart_mm[NHARTS];  /* the mm whose threads the hart runs (constant) */
bit hart_runs[NHARTS]; /* the hart has hart_mm's table loaded now */

/* Ghost state, for the assertions only. */
byte last[NMM];        /* the process's last store; for a new process, its snapshot at fork */
bit flush_owed[NMM];   /* a PTE of the mm lost W or was cleared by a path still holding mm_lock,
			* or by a fork that has not returned */
bit unmapped[NMM];     /* the page is unmapped (munmap, exit; only the remap race maps it
			* again, mm_map_anon): a fault on it is real */
bit dead[NMM];         /* mm_destroy has begun: nobody loads this mm (or its ASID) again */

/*
 * Hart h may still use its cached entry (if its mm is not dead): its satp
 * holds hart_mm[h], or it will load it again without a catch-up flush. A
 * hart that left the mm while a shootdown skipped it flushes the mm's ASID
 * before it runs the mm again (tlb_enter sees tlb_gen moved). Without
 * ASIDs the second case is empty: a hart that switched away flushed.
 */
#define TLB_USABLE(h) (hart_runs[h] || reloads[h] && tlb_seen[h] == tlb_gen[hart_mm[h]])

/* A frame's refcount covers every PTE that maps it. */
inline check_refs()
{
	f = 0;
	do
	:: f < NFRAMES ->
		assert(refs[f] >= (pte[PARENT].V && pte[PARENT].pa == f -> 1 : 0) +
				   (pte[CHILD].V && pte[CHILD].pa == f -> 1 : 0) +
				   (pte[GRANDCHILD].V && pte[GRANDCHILD].pa == f -> 1 : 0));
		f++
	:: else -> f = 0; break
	od
}

inline spin_lock(m)
{
	atomic { mm_lock[m] == 0 -> mm_lock[m] = 1 }
}

/*
 * spin_lock, then mm_wait_busy: wait, holding mm_lock, until no PTE of m is
 * BUSY (mm->busy == 0). One step with the acquisition: a thread that holds
 * the lock and spins is the same, to every other thread, as one that takes
 * it once mm->busy is 0, since the owners of the BUSY PTEs finish without
 * mm_lock (docs/model.md, "Steps"). None appears while the lock is held.
 */
inline spin_lock_wait_busy(m)
{
	atomic { mm_lock[m] == 0 && mm_busy[m] == 0 -> mm_lock[m] = 1 }
}

inline spin_unlock(m)
{
	atomic {
		check_refs();
		/*
		 * the path that changed the PTE returns: its flush is done; but
		 * a fork's only once it returns, after its shootdown
		 */
		flush_owed[m] = (flush_owed[m] && fork_pending[m]);
		mm_lock[m] = 0
	}
}

/* tlb_flush_local: this hart's entry for the page. */
inline tlb_flush_local(h)
{
	d_step { tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0 }
}

/* tlb_shootdown's assertion (see there); NO_COPY_ASSERT leaves it out. */
#ifndef NO_COPY_ASSERT
#define ASSERT_NO_OVERLAP(m) assert(relock || mm_busy[m] == 0)
#else
#define ASSERT_NO_OVERLAP(m) skip
#endif

/*
 * tlb_shootdown, after PTE stores of mm m: bump tlb_gen, flush this hart if
 * it is in the mask (and count that flush in its tlb_seen if it had seen
 * every earlier shootdown), and the other harts in the mask that run m now
 * (mm_active); return once all have: the SBI remote fence is synchronous.
 * A hart skipped flushes at its next load (tlb_activate). Called under
 * mm_lock, except by the copy fault (relock set: its PTE is BUSY) and by
 * fork, after it let the lock go (fork_pending set). One
 * step: see docs/model.md, "Steps", for why the bump and the read of
 * mm_active may be one.
 */
inline tlb_shootdown(h, m)
{
	d_step {
#ifdef ASID
		if
		:: RELOADER(m) -> tlb_gen[m]++
		:: else -> skip /* dead: nobody will read it */
		fi;
#endif
		printf("MSC: hart %d: tlb_shootdown(mm %d), mask %d, active %d\n", h, m,
		       mm_harts[m], mm_active[m]);
		REACHED(9, m == PARENT && !hart_runs[HART_B]);
		/* a copy's shootdown, outside mm_lock, while another thread holds it */
		REACHED(14, relock && mm_lock[m]);
		/*
		 * Only a copy shoots down while a PTE of m is BUSY: fork's and
		 * munmap's shootdowns (mm_wait_busy; fork's after it let the
		 * lock go, but before any copy of its PTE reads the frame)
		 * never overlap a copy's.
		 */
		ASSERT_NO_OVERLAP(m);
		/* the fence reaches a hart that entered m but has not read tlb_gen yet */
		REACHED(12, m == PARENT && h != HART_B && (mm_active[m] & (1 << HART_B)) &&
			    !hart_runs[HART_B]);
		if
		:: mm_harts[m] & (1 << h) ->
			tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0;
			/*
			 * tlb.c's shortcut, as in the code: tlb_seen == gen - 1
			 * means this TLB had caught up with every earlier
			 * shootdown (docs/model.md, "The tlb_seen shortcut").
			 */
			if
			:: reloads[h] && tlb_seen[h] == tlb_gen[m] - 1 -> tlb_seen[h] = tlb_gen[m]
			:: else -> skip
			fi
		:: else -> skip
		fi;
#ifdef SHOOTDOWN_LOCAL_ONLY
		printf("MSC: hart %d: no remote flush\n", h) /* BROKEN: as if nobody else were in the mask */
#else
		i = 0;
		do
		:: i < NHARTS ->
			if
			:: i != h && (mm_harts[m] & mm_active[m] & (1 << i)) ->
				tlb[i].v = 0; tlb[i].w = 0; tlb[i].pa = 0
			:: else -> skip
			fi;
			i++
		:: else -> i = 0; break
		od
#endif
	}
}

/* Hart h will not load m again (each hart loads at most once after its start). */
inline no_reload(h, m)
{
#ifdef ASID
	reloads[h] = 0;
	tlb_seen[h] = 0; /* dead */
	if
	:: !RELOADER(m) -> tlb_gen[m] = 0 /* dead */
	:: else -> skip
	fi
#else
	skip /* all three stay 0 without ASIDs (and a step on locals only stays one) */
#endif
}

/*
 * tlb_activate on hart h: load mm m's table (away: the kernel's).
 *
 * Without ASIDs (tlb_activate_flushing) the switch flushes: the hart's bits
 * in the mask and in mm_active are set before the new table is loaded and
 * cleared only after the flush that leaves the old one. One step each way:
 * a shootdown in between only flushes a TLB that the switch flushes anyway.
 *
 * With ASIDs (tlb_activate_asid) nothing is flushed at a switch away (the
 * generation is the same throughout), the mask bit stays, and the entries
 * stay under m's ASID; the hart leaves mm_active once satp no longer holds
 * m (tlb_leave). A load sets the mask bit and the mm_active bit (tlb_enter),
 * then reads tlb_gen: if it moved since tlb_seen[h], a shootdown may have
 * skipped this hart, which flushes m's ASID before it runs m.
 */
inline tlb_activate(h, m)
{
#ifndef ASID
	d_step {
		mm_harts[m] = mm_harts[m] | (1 << h);
		mm_active[m] = mm_active[m] | (1 << h);
		tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0;
		hart_runs[h] = 1;
		printf("MSC: hart %d loads mm %d's table, mask %d\n", h, m, mm_harts[m])
	}
#elif !defined(LAZY_GEN_BEFORE_ACTIVE)
	d_step { /* tlb_mask_set, then tlb_enter announces the hart in mm->active */
		mm_harts[m] = mm_harts[m] | (1 << h);
		mm_active[m] = mm_active[m] | (1 << h);
		printf("MSC: hart %d enters mm %d, mask %d, active %d\n", h, m, mm_harts[m],
		       mm_active[m])
	};
	d_step { /* tlb_enter reads tlb_gen; mmu_switch; mmu_flush_asid if it moved */
		if
		:: tlb_seen[h] != tlb_gen[m] ->
			tlb_seen[h] = tlb_gen[m];
#ifndef LAZY_NO_CATCHUP
			/* a shootdown skipped this hart, and its entry is stale */
			REACHED(11, tlb[h].v && !(pte[m].V && pte[m].W == tlb[h].w &&
						  pte[m].pa == tlb[h].pa));
			tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0;
			printf("MSC: hart %d: mm %d's tlb_gen moved: flushes its ASID\n", h, m)
#else
			printf("MSC: hart %d: mm %d's tlb_gen moved: no flush\n", h, m) /* BROKEN */
#endif
		:: else -> skip
		fi;
		hart_runs[h] = 1;
		printf("MSC: hart %d loads mm %d's table, tlb_gen %d\n", h, m, tlb_gen[m]);
		no_reload(h, m)
	}
#else
	d_step { /* BROKEN: tlb_enter reads tlb_gen before it sets its mm->active bit */
		stale = (tlb_seen[h] != tlb_gen[m]);
		tlb_seen[h] = tlb_gen[m];
		printf("MSC: hart %d reads mm %d's tlb_gen %d (stale %d)\n", h, m, tlb_gen[m], stale);
		no_reload(h, m)
	};
	d_step {
		mm_harts[m] = mm_harts[m] | (1 << h);
		mm_active[m] = mm_active[m] | (1 << h);
		if
		:: stale -> tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0
		:: else -> skip
		fi;
		stale = 0;
		hart_runs[h] = 1;
		printf("MSC: hart %d loads mm %d's table, mask %d, active %d\n", h, m, mm_harts[m],
		       mm_active[m])
	}
#endif
}

inline tlb_activate_away(h, m)
{
#ifdef LAZY_LEAVE_EARLY
	d_step { /* BROKEN: tlb_leave while satp still holds m */
		mm_active[m] = mm_active[m] & ~(1 << h);
		printf("MSC: hart %d leaves mm %d's active set, active %d\n", h, m, mm_active[m])
	};
#endif
	d_step {
#ifndef ASID
		tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0;
		mm_harts[m] = mm_harts[m] & ~(1 << h);
#endif
#ifdef SWITCH_CLEARS_MASK
		mm_harts[m] = mm_harts[m] & ~(1 << h); /* BROKEN with ASID: its entries stay */
#endif
		hart_runs[h] = 0;
#ifndef LAZY_LEAVE_EARLY
		mm_active[m] = mm_active[m] & ~(1 << h); /* tlb_leave: satp no longer holds m */
#endif
		killed = 0; /* dead from here on (a thread that switches back in was not killed) */
		printf("MSC: hart %d switches away from mm %d, mask %d, active %d\n", h, m,
		       mm_harts[m], mm_active[m])
	}
}

/* Drop one reference; the last one gives the frame back to the allocator. */
inline frame_put_pa(fr)
{
	atomic {
		assert(refs[fr] > 0); /* never freed twice */
		refs[fr]--;
		if
		:: refs[fr] == 0 ->
			printf("MSC: frame %d freed\n", fr);
			/* no PTE and no TLB entry that a hart may still use maps a free frame */
			assert(!(pte[PARENT].V && pte[PARENT].pa == fr));
			assert(!(pte[CHILD].V && pte[CHILD].pa == fr));
			assert(!(pte[GRANDCHILD].V && pte[GRANDCHILD].pa == fr));
			assert(!(tlb[0].v && tlb[0].pa == fr && !dead[hart_mm[0]] && TLB_USABLE(0)));
			assert(!(tlb[1].v && tlb[1].pa == fr && !dead[hart_mm[1]] && TLB_USABLE(1)));
			assert(!(tlb[2].v && tlb[2].pa == fr && !dead[hart_mm[2]] && TLB_USABLE(2)));
			assert(!(tlb[3].v && tlb[3].pa == fr && !dead[hart_mm[3]] && TLB_USABLE(3)));
			data[fr] = 0 /* the next owner's zeroes */
		:: else -> skip
		fi
	}
}

inline frame_get(fr)
{
	refs[fr]++
}

/* frame_put(pa_to_frame(pa)): the same drop, by struct frame. */
inline frame_put(fr)
{
	frame_put_pa(fr)
}

/* An order-0 frame with one reference (the lowest free one), or NOFRAME. */
inline frame_alloc(fr)
{
	atomic {
		fr = 0;
		do
		:: fr < NFRAMES && refs[fr] != 0 -> fr++
		:: fr < NFRAMES && refs[fr] == 0 -> refs[fr] = 1; break
		:: fr == NFRAMES -> fr = NOFRAME; break
		od
	}
}

/* old = *pte (__atomic_load_n), into the locals oV, oW, oCOW, oA, opa. */
inline read_pte(h, m)
{
	d_step {
		oV = pte[m].V; oW = pte[m].W; oCOW = pte[m].COW; oA = pte[m].A; opa = pte[m].pa;
		printf("MSC: hart %d reads mm %d's PTE: V=%d W=%d COW=%d A=%d frame %d\n",
		       h, m, oV, oW, oCOW, oA, opa)
	}
}

/* The locals back to 0 once dead, so that states equal but for them merge. */
inline forget_locals()
{
	d_step { oV = 0; oW = 0; oCOW = 0; oA = 0; opa = 0; refs_seen = 0; copy = 0; err = OK }
}

/*
 * Model steps (docs/model.md, "Steps"): the step that takes mm_lock goes on
 * with what the code does next under it, up to and including the first
 * access that another thread can see or that another thread changes (a PTE
 * store, a refcount, a TLB flush, the page's data). What it passes on the
 * way reads only the thread's locals or the mm's PTE, which nobody stores
 * to without mm_lock but the owner of a BUSY PTE, and a path that reads it
 * under the lock has waited until it is not BUSY (or only compares it with
 * a COW PTE, which neither BUSY nor the install equals): no other thread's
 * step could fall in between with another outcome. Likewise, local steps just before a spin_unlock are one
 * step with it.
 */

/*
 * The A-bit filter's premise, at the moment a copy finds A clear: no hart
 * can use a cached translation of m's page (none that a flush is not
 * already owed to before its next use: TLB_USABLE). NO_FILTER_ASSERT
 * leaves it out, so that the broken variants must be refuted by what a
 * user can see (a lost write, a frame freed while cached).
 */
#define NOT_CACHED(i, m) !(hart_mm[i] == (m) && tlb[i].v && !dead[m] && TLB_USABLE(i))
#ifndef NO_FILTER_ASSERT
#define ASSERT_NOT_CACHED(m) \
	assert(NOT_CACHED(0, m) && NOT_CACHED(1, m) && NOT_CACHED(2, m) && NOT_CACHED(3, m))
#define ASSERT_OWN_NOT_CACHED(h) assert(oA || !tlb[h].v)
#else
#define ASSERT_NOT_CACHED(m) skip
#define ASSERT_OWN_NOT_CACHED(h) skip
#endif

/*
 * The copy's premise, when it reads the old frame fr (after its wait for a
 * pending fork): no hart may still store into fr through a cached writable
 * entry (TLB_USABLE: one a flush is not already owed to before its next
 * use). The frame is COW everywhere and the copy holds a reference on it;
 * only an entry from before fork's shootdown could still write it.
 * NO_COPY_ASSERT leaves it out, so that COPY_NO_FORK_WAIT is refuted by
 * what a user can see (a lost write).
 */
#define NOT_WRITABLE(i, fr) !(tlb[i].v && tlb[i].w && tlb[i].pa == (fr) && !dead[hart_mm[i]] && \
			      TLB_USABLE(i))
#ifndef NO_COPY_ASSERT
#define ASSERT_NOT_WRITABLE(fr) \
	assert(NOT_WRITABLE(0, fr) && NOT_WRITABLE(1, fr) && NOT_WRITABLE(2, fr) && NOT_WRITABLE(3, fr))
#else
#define ASSERT_NOT_WRITABLE(fr) skip
#endif

/* The BUSY value cow_pte_replace swaps in: the old leaf with V (and A) clear. */
inline copy_busy_store(m)
{
	pte[m].V = 0; pte[m].W = 0; pte[m].COW = 0; pte[m].A = 0; pte[m].BUSY = 1; pte[m].pa = 0
}

/*
 * The rest of cow_pte_replace, under mm_lock, once the BUSY value is in
 * and oA is the A it swapped out. A clear (untouched): no hart has cached
 * the page since the PTE last lost A, so install the copy at once (the
 * window with V clear is under the lock: a walk that meets it faults and
 * waits for the lock, as for the installed PTE, see "Steps"), no
 * shootdown, unlock. A set: count the BUSY PTE in mm->busy, unlock; the
 * shootdown and the install follow without the lock.
 */
inline cow_pte_replace_rest(h, m)
{
	if
	:: !oA ->
		ASSERT_NOT_CACHED(m);
		REACHED(16, m == PARENT);
		pte[m].V = 1; pte[m].W = 1; pte[m].COW = 0; pte[m].A = 1; pte[m].BUSY = 0;
		pte[m].pa = copy;
		printf("MSC: hart %d: mm %d's PTE had A clear: maps frame %d writable, no shootdown (untouched)\n",
		       h, m, copy);
		copy = 0
	:: oA ->
		/*
		 * BUSY, counted in mm->busy; then spin_unlock. mm->busy is read
		 * only under mm_lock (which we hold), and the unlock moves left
		 * (docs/model.md, "Steps").
		 */
		REACHED(17, m == PARENT);
		mm_busy[m]++;
		printf("MSC: hart %d: mm %d's PTE to frame %d had A set: BUSY (busy %d); unlocks\n",
		       h, m, opa, mm_busy[m])
	fi;
	oV = 0; oW = 0; oCOW = 0; /* dead: only opa (and oA) are needed from here on */
	spin_unlock(m);
	relock = 1
}

/* cow_pte_install's store of the copy (release), then mm->busy-- (release): see "Steps". */
inline copy_install(h, m)
{
	d_step {
		pte[m].V = 1; pte[m].W = 1; pte[m].COW = 0; pte[m].A = 1; pte[m].BUSY = 0;
		pte[m].pa = copy;
		mm_busy[m]--;
		printf("MSC: hart %d: mm %d maps frame %d writable (busy %d)\n", h, m, copy,
		       mm_busy[m]);
		copy = 0
	}
}

/*
 * cow_copy's drops: this process's reference, then the temporary
 * one; the first is never the last (we still hold the second).
 */
inline copy_drops()
{
	atomic {
#ifndef NO_TEMP_REF
		frame_put(opa);
#endif
		REACHED(3, refs[opa] == 1);
		frame_put(opa);
		opa = 0;
		oA = 0
	}
}

/*
 * cow_copy_unlocked on hart h, entered under mm_lock with old (oV, oW, oCOW,
 * opa), the COW PTE, and refs_seen (> 1), the count when the copy was
 * chosen. The temporary reference keeps the old frame from being freed
 * or taken over in place while it is copied without the lock, and the
 * wait for a pending fork keeps the copy from reading it before fork's
 * shootdown, while a pre-fork entry may still store into it. Back under
 * the lock, a PTE that is no longer old means another thread resolved or
 * unmapped it (or made it BUSY): the copy is thrown away and the store is
 * retried. Otherwise mark the PTE BUSY and count it in mm->busy, unlock,
 * shoot down, install the copy and uncount it, and only then drop the
 * process's reference and the temporary one; then take mm_lock again to
 * return (relock: the caller's next step takes it).
 */
inline cow_copy_unlocked(h, m)
{
	/*
	 * frame_get, spin_unlock, the wait for a pending fork, frame_alloc and
	 * the memcpy are one step, or two if the wait waits: the get and the
	 * unlock commute with every other thread's step (ours are held up by
	 * the lock, other mms' do not look at it), and once no fork is pending,
	 * with the temporary reference nobody writes or frees the old frame
	 * while it is held, so the copy reads the same data at any point of the
	 * window. The wait is a guard: the code yields until it reads 0
	 * (cow_fork_wait), and a read of 1 changes nothing. NO_TEMP_REF copies
	 * as a step of its own, just before re-locking.
	 */
	atomic {
#ifndef NO_TEMP_REF
		frame_get(opa); /* our temporary reference */
#endif
		spin_unlock(m);
		/* a copy finds a fork of its mm pending (and, 21, a hart may still write the frame) */
		REACHED(20, fork_pending[m]);
		REACHED(21, fork_pending[m] && !(NOT_WRITABLE(0, opa) && NOT_WRITABLE(1, opa) &&
						 NOT_WRITABLE(2, opa) && NOT_WRITABLE(3, opa)));
#ifndef COPY_NO_FORK_WAIT
		fork_pending[m] == 0; /* cow_fork_wait: until fork's shootdown is done */
#else
		if
		:: fork_pending[m] -> /* BROKEN: reads the frame before fork's shootdown */
			printf("MSC: hart %d: does not wait for mm %d's pending fork\n", h, m)
		:: else -> skip
		fi;
#endif
		frame_alloc(copy);
		assert(copy != NOFRAME); /* the model has frames enough */
		printf("MSC: hart %d: mm %d allocates frame %d to copy frame %d (refs was %d)\n",
		       h, m, copy, opa, refs_seen);
		refs_seen = 0; /* dead: the model keeps no counters (the C code's "fell") */
#ifndef NO_TEMP_REF
		/* tlb_shadow_copy_source's check, in the debug image */
		ASSERT_NOT_WRITABLE(opa);
		data[copy] = data[opa] /* memcpy, outside the lock */
#else
		skip
#endif
	};
#ifdef NO_TEMP_REF
	d_step { /* memcpy, outside the lock, from a frame we hold no reference on */
		data[copy] = data[opa];
		printf("MSC: hart %d: copies frame %d (holds %d) to frame %d\n", h, opa, data[opa], copy)
	};
#endif
#ifdef NO_COPY_RECHECK
	atomic {
		spin_lock(m); /* BROKEN: marks BUSY whatever the PTE has become */
#else
	if
	:: atomic { /* spin_lock; cow_pte_settled(...) != old: resolved, unmapped or BUSY meanwhile */
		mm_lock[m] == 0 &&
		!(pte[m].V == oV && pte[m].W == oW && pte[m].COW == oCOW && pte[m].pa == opa) ->
		mm_lock[m] = 1;
		/* the copy was never mapped (no flush); the store is retried */
		REACHED(10, true);
		/*
		 * the PTE is COW again, on another frame: while we copied, the
		 * page was unmapped, mapped again and forked (remap race), and
		 * when it was mapped again, only our temporary reference held
		 * the old frame, which kept frame_alloc off it
		 */
		REACHED(18, MAP_BESIDE_TEMP_REF && pte[m].V && pte[m].COW && pte[m].pa != opa);
		printf("MSC: hart %d: mm %d's PTE changed meanwhile: frame %d discarded\n",
		       h, m, copy);
		frame_put_pa(copy);
#ifndef NO_TEMP_REF
		frame_put(opa);
#endif
		oV = 0; oW = 0; oCOW = 0; oA = 0; opa = 0; copy = 0
	   }
	:: atomic { /* spin_lock; the PTE is still old */
		mm_lock[m] == 0 &&
		pte[m].V == oV && pte[m].W == oW && pte[m].COW == oCOW && pte[m].pa == opa ->
		mm_lock[m] = 1;
#endif
		/* a COW fault replaces a frame that three address spaces map */
		REACHED(2, (pte[PARENT].V && pte[PARENT].pa == opa) +
			   (pte[CHILD].V && pte[CHILD].pa == opa) +
			   (pte[GRANDCHILD].V && pte[GRANDCHILD].pa == opa) == 3);
#ifndef A_CHECK_NOT_ATOMIC
		/*
		 * cow_pte_replace: exchange the PTE with the BUSY value (V and A
		 * clear); oA is A as swapped out. One step with the re-check: the
		 * exchange is the one visible access (docs/model.md, "Steps").
		 */
		oA = pte[m].A;
		copy_busy_store(m);
#else
		oA = pte[m].A /* BROKEN: a plain load of A, the BUSY store a step later */
	   };
	atomic {
		printf("MSC: hart %d: mm %d's copy read A=%d; now A=%d\n", h, m, oA, pte[m].A);
		copy_busy_store(m);
#endif
		cow_pte_replace_rest(h, m)
	   };
	/*
	 * Untouched (A was clear): the copy is in, mm_lock let go: only the
	 * drops remain. Otherwise, from here on without mm_lock, and without
	 * preemption (interrupts off): other threads of the process run,
	 * fault and wait.
	 */
	if
	:: atomic { !oA -> copy_drops() }
#if defined(DROP_BEFORE_FLUSH)
	:: atomic {
		oA ->
		frame_put(opa) /* BROKEN: the old frame may be freed while cached */
	   };
#ifndef NO_TEMP_REF
		frame_put(opa);
#endif
		tlb_shootdown(h, m);
		copy_install(h, m);
		d_step { opa = 0; oA = 0 }
#elif defined(INSTALL_BEFORE_FLUSH)
	:: atomic { oA -> copy_install(h, m) };
		tlb_shootdown(h, m); /* BROKEN: other harts meet the old and the new frame */
		copy_drops()
#elif defined(INSTALL_BEFORE_SHOOTDOWN)
	:: atomic { oA -> copy_install(h, m) };
		copy_drops();
		tlb_shootdown(h, m) /* BROKEN: the old frame was dropped while still cached */
#else
	:: atomic { oA -> tlb_shootdown(h, m) };
		copy_install(h, m);
		copy_drops()
#endif
	fi
		/* cow_copy re-takes mm_lock to return: see cow_user_fault and copyout */
#ifndef NO_COPY_RECHECK
	fi
#endif
}

/*
 * The busy copy's guard, its count and its shootdown. BUSY_COPY_NO_FORK_CHECK
 * takes the busy way with a fork of the mm pending; BUSY_COPY_UNCOUNTED
 * leaves the BUSY PTE out of mm->busy; BUSY_COPY_NO_SHOOTDOWN never shoots
 * down.
 */
#ifndef BUSY_COPY_NO_FORK_CHECK
#define BUSY_COPY_OK(m) !fork_pending[m]
#else
#define BUSY_COPY_OK(m) true /* BROKEN: busy, though fork's shootdown is still to come */
#endif
#ifndef BUSY_COPY_UNCOUNTED
#define BUSY_COPY_COUNT(m) mm_busy[m]++
#define BUSY_COPY_UNCOUNT(m) mm_busy[m]--
#else
#define BUSY_COPY_COUNT(m) skip /* BROKEN: fork, munmap and copyout do not wait for it */
#define BUSY_COPY_UNCOUNT(m) skip
#endif

/* cow_copy_busy's store of the copy (release), then ptlock_busy_done (release): see "Steps". */
inline busy_copy_install(h, m)
{
	pte[m].V = 1; pte[m].W = 1; pte[m].COW = 0; pte[m].A = 1; pte[m].BUSY = 0;
	pte[m].pa = copy;
	BUSY_COPY_UNCOUNT(m);
	REACHED(22, true); /* a busy copy installs */
	printf("MSC: hart %d: busy copy: mm %d maps frame %d writable (busy %d)\n", h, m, copy,
	       mm_busy[m]);
	copy = 0
}

/*
 * cow_copy_busy on hart h, after its first step (in cow_copy: the
 * exchange with the BUSY value, oA the A it swapped out, the count, the
 * unlock). From here on without mm_lock and without preemption (interrupts
 * off): frame_alloc and the memcpy (one step, as in the unlocked copy: the
 * old frame is held by the BUSY PTE's own reference, which nobody drops
 * while it is BUSY and counted, and nobody writes it: it is COW
 * everywhere, and no fork of the mm was pending when we looked); the
 * shootdown if A was set; the install and the uncount; the drop of the
 * process's reference. No temporary reference, no re-lock, no re-check:
 * the PTE is ours until the install. The model has frames enough (the
 * code's out-of-memory path, which puts the old PTE back, is not modelled).
 */
inline cow_copy_busy(h, m)
{
	atomic {
		frame_alloc(copy);
		assert(copy != NOFRAME); /* the model has frames enough */
		/* tlb_shadow_copy_source's check, in the debug image */
		ASSERT_NOT_WRITABLE(opa);
		data[copy] = data[opa]; /* memcpy, outside the lock */
		printf("MSC: hart %d: busy copy: mm %d copies frame %d (holds %d) to frame %d\n",
		       h, m, opa, data[opa], copy)
	};
	if
#ifndef BUSY_COPY_NO_SHOOTDOWN
	:: atomic { /* a busy copy shoots down: its swap found A set */
		oA -> REACHED(23, true); tlb_shootdown(h, m)
	   };
		d_step { busy_copy_install(h, m) }
#else
	:: d_step {
		oA -> /* BROKEN: A was set, a hart may cache the old frame */
		printf("MSC: hart %d: busy copy: A was set, no shootdown\n", h);
		busy_copy_install(h, m)
	   }
#endif
	:: d_step { !oA -> busy_copy_install(h, m) } /* A was clear: no hart caches the page */
	fi;
	atomic { /* frame_put: the process's reference; the last one frees */
		REACHED(3, refs[opa] == 1);
		frame_put(opa);
		opa = 0;
		oA = 0
	}
	/* as the unlocked copy, it re-takes mm_lock to return (relock) */
}

/*
 * cow_copy on hart h, entered under mm_lock with old (oV, oW, oCOW,
 * opa), the COW PTE, and refs_seen (> 1): the busy copy (the rule) or the
 * unlocked copy (cow_copy_unlocked). The code takes the unlocked one when it
 * finds a fork of its mm pending (fork_pending, read under the lock: its
 * wait for the fork may yield, which a busy window may not) and one time
 * in 8 of a seeded run; the model takes either, but the busy one only with
 * no fork pending.
 *
 * The busy copy's first step: the read of fork_pending, the exchange of
 * the PTE with the BUSY value (oA: A as swapped out), the count in
 * mm->busy, and spin_unlock. The exchange is the visible access; a step
 * of another thread between the read and the exchange either commutes
 * with the exchange (a fork setting fork_pending, then stopped at the lock
 * we hold; a fork clearing it) or with the read (a walk setting A), so the
 * read moves right to the exchange (docs/model.md, "Steps"). The count and
 * the unlock go with the exchange, as in cow_pte_replace_rest.
 */
inline cow_copy(h, m)
{
	if
	:: atomic {
		BUSY_COPY_OK(m) ->
		oA = pte[m].A;
		copy_busy_store(m);
		if
		:: !oA -> ASSERT_NOT_CACHED(m) /* the A-bit filter: no shootdown is owed */
		:: else -> skip
		fi;
		BUSY_COPY_COUNT(m);
		printf("MSC: hart %d: busy copy: mm %d's PTE to frame %d BUSY, A was %d (busy %d, fork_pending %d); unlocks\n",
		       h, m, opa, oA, mm_busy[m], fork_pending[m]);
		oV = 0; oW = 0; oCOW = 0; refs_seen = 0; /* dead */
		spin_unlock(m);
		relock = 1
	   };
		cow_copy_busy(h, m)
	:: cow_copy_unlocked(h, m)
	fi
}

/*
 * cow_pte_write on hart h, under mm_lock, with old (oV, oW, oCOW, opa) the
 * PTE as read: its checks, up to and including frame_refcount, which is the
 * first access another thread can change. They end the step that took the
 * lock (or read the PTE again). Sets err on a real protection fault, and
 * refs_seen when the page is COW; cow_pte_write_rest goes on from there.
 */
inline cow_pte_write(h, m)
{
	if
	:: !oV -> err = EFAULT
	:: oV && oW ->
		/* an overlap: another thread resolved it; a stale entry sent us in */
		tlb_flush_local(h)
	:: oV && !oW && !oCOW -> err = EFAULT
	:: oV && !oW && oCOW ->
		refs_seen = refs[opa] /* frame_refcount */
	fi
}

/* The rest of cow_pte_write: reuse or copy when it found a COW page (refs_seen != 0). */
inline cow_pte_write_rest(h, m)
{
	if
	:: d_step {
		refs_seen == 1 ->
		/* reuse: the last owner makes the PTE writable in place, A and D
		 * set; gaining W needs no shootdown */
		pte[m].V = 1; pte[m].W = 1; pte[m].COW = 0; pte[m].A = 1; pte[m].pa = opa;
		REACHED(1, true);
		/* A clear: this hart never cached the page (the local flush is skipped) */
		ASSERT_OWN_NOT_CACHED(h);
		printf("MSC: hart %d: mm %d reuses frame %d (refs 1, A was %d)\n", h, m, opa, oA);
		oV = 0; oW = 0; oCOW = 0; opa = 0; refs_seen = 0
	   };
		d_step { /* tlb_flush_local, only if A was set */
			if
			:: oA -> tlb[h].v = 0; tlb[h].w = 0; tlb[h].pa = 0
			:: else -> skip
			fi;
			oA = 0
		}
	:: refs_seen > 1 -> cow_copy(h, m)
	:: refs_seen == 0 -> skip
	fi
}

/*
 * A user page fault on hart h (cow_user_fault): take mm_lock, re-check the
 * PTE (cow_pte_access: the access may be allowed by now), otherwise resolve
 * a store with cow_pte_write. Sets killed when the fault is real.
 */
inline cow_user_fault(h, m, access)
{
#ifdef NO_RECHECK
	read_pte(h, m); /* BROKEN: the PTE as it was before the lock */
#endif
	atomic {
#ifndef FAULT_IGNORES_BUSY
		/* spin_lock; cow_pte_settled: wait, holding the lock, until the PTE is not BUSY */
		mm_lock[m] == 0 && !pte[m].BUSY -> mm_lock[m] = 1;
#else
		spin_lock(m); /* BROKEN: a BUSY PTE is taken for an invalid one */
#endif
#ifndef NO_RECHECK
		read_pte(h, m);
#endif
		if
		:: oV && (access == ACCESS_READ || oW) ->
			/*
			 * cow_pte_access: resolved meanwhile; drop this hart's stale
			 * entry. The harts here set A themselves, so a PTE that
			 * allows the access under the lock has it, but for one
			 * case: a load that faulted on the unmapped page finds it
			 * mapped again and forked since, COW with A clear (remap
			 * race). cow_pte_access sets A for the hart, as it does for
			 * a hart that faults on a clear A (a U74); an atomic OR
			 * under mm_lock, which commutes with the walks' (Steps).
			 * The entry flushed is empty then: the hart walked for
			 * want of one.
			 */
			assert(pte[m].A || (access == ACCESS_READ && pte[m].COW && !tlb[h].v));
			REACHED(19, !pte[m].A);
			pte[m].A = 1;
			REACHED(4, access == ACCESS_WRITE && m == PARENT);
			REACHED(5, access == ACCESS_READ);
			tlb_flush_local(h)
		:: !(oV && (access == ACCESS_READ || oW)) && access == ACCESS_WRITE ->
			cow_pte_write(h, m)
		:: !(oV && (access == ACCESS_READ || oW)) && access == ACCESS_READ ->
			err = EFAULT
		fi
	};
	cow_pte_write_rest(h, m);
	atomic {
		if
		:: err != OK ->
			printf("MSC: hart %d: the fault is real: the process is killed\n", h);
			/* only a fault on a page that is really gone kills the process */
			assert(unmapped[m]);
			killed = 1
		:: else -> skip
		fi;
		forget_locals();
		if
		:: relock -> relock = 0 /* the copy's re-lock and this unlock: nothing between */
		:: else -> spin_unlock(m)
		fi
	}
}

/*
 * The hardware's fill of hart h's TLB from mm m's PTE (the walk), for a
 * load or, when the PTE has W, a store: in one step it checks V and the
 * permission, sets A in the PTE (an atomic update that re-checks them) and
 * caches the translation. A translation is cached only once A is set in
 * memory (the privileged spec's rule, without Svade): that is what fork's
 * clear A and the copy's exchange rely on (mm_cow_accessed,
 * cow_pte_replace). FILL_BEFORE_A breaks the rule: the hart caches first
 * and sets A in a step of its own after.
 */
#ifndef FILL_BEFORE_A
#define TLB_FILL_A(m) pte[m].A = 1;
#define TLB_FILL_LATE_A(h, m)
#else
#define TLB_FILL_A(m) /* BROKEN: A is set later */
#define TLB_FILL_LATE_A(h, m) ; d_step { \
		if \
		:: pte[m].V -> pte[m].A = 1; \
			printf("MSC: hart %d sets A in mm %d's PTE, after caching\n", h, m) \
		:: else -> skip \
		fi }
#endif

/*
 * A user store of val from hart h: through the TLB when it holds a
 * writable entry (the PTE is not looked at); otherwise the hardware walks
 * the table: a valid PTE with W is cached (setting A), and a PTE without
 * V or W raises a store page fault at once, before any A update, caching
 * nothing. Ends with killed set on a real fault.
 */
inline user_store(h, m, val)
{
	do
	:: atomic {
		!killed && tlb[h].v && tlb[h].w ->
		printf("MSC: hart %d stores %d into frame %d (mm %d)\n", h, val, tlb[h].pa, m);
		/* no hart stores through a stale translation once the kernel
		 * path that took W away (fork, munmap) has returned */
		assert(flush_owed[m] || (pte[m].V && pte[m].W && pte[m].pa == tlb[h].pa));
		REACHED(6, flush_owed[m] && m == PARENT && !unmapped[m]);
		data[tlb[h].pa] = val;
		last[m] = (unmapped[m] -> 0 : val); /* nobody checks an unmapped page's loads */
		break
	   }
	:: atomic { /* the walk: V and W, then A, then the fill */
		!killed && !tlb[h].v && pte[m].V && pte[m].W ->
		TLB_FILL_A(m)
		tlb[h].v = 1; tlb[h].w = 1; tlb[h].pa = pte[m].pa;
		printf("MSC: hart %d caches frame %d, W=1 (PTE A=%d)\n", h, tlb[h].pa, pte[m].A)
	   }
		TLB_FILL_LATE_A(h, m)
	:: !killed && ((tlb[h].v && !tlb[h].w) || (!tlb[h].v && !(pte[m].V && pte[m].W))) ->
		/* a store page fault */
		PROBE_FAULT_ON_BUSY(m)
		cow_user_fault(h, m, ACCESS_WRITE)
	:: killed -> break
	od
}

/* A user load from hart h: it sees the process's own last store. */
inline user_load(h, m)
{
	do
	:: atomic {
		!killed && tlb[h].v ->
		printf("MSC: hart %d loads %d from frame %d (mm %d)\n", h, data[tlb[h].pa], tlb[h].pa, m);
		assert(unmapped[m] || data[tlb[h].pa] == last[m]);
		break
	   }
	:: atomic { /* the walk: V, then A, then the fill */
		!killed && !tlb[h].v && pte[m].V ->
		TLB_FILL_A(m)
		tlb[h].v = 1; tlb[h].w = pte[m].W; tlb[h].pa = pte[m].pa;
		printf("MSC: hart %d caches frame %d, W=%d (PTE A=%d)\n", h, tlb[h].pa, tlb[h].w, pte[m].A)
	   }
		TLB_FILL_LATE_A(h, m)
	:: !killed && !tlb[h].v && !pte[m].V ->
		/* a load page fault */
		PROBE_FAULT_ON_BUSY(m)
		cow_user_fault(h, m, ACCESS_READ)
	:: killed -> break
	od
}

/*
 * copyout's page (mm_user_page, then cow_pte_write when the page is not
 * writable), after a read of the PTE under mm_lock: the write through the
 * direct map, or -EFAULT, or a COW page for cow_pte_write_rest (refs_seen).
 */
inline copyout_page(h, m, val)
{
	if
	:: oV && oW ->
		data[opa] = val;
		last[m] = val;
		REACHED(7, true);
		printf("MSC: hart %d: copyout writes %d into frame %d (mm %d)\n", h, val, opa, m)
	:: !(oV && oW) ->
		cow_pte_write(h, m);
		if
		:: err != OK ->
			killed = 1; /* -EFAULT */
			assert(unmapped[m])
		:: else -> skip
		fi
	fi
}

/*
 * copyout of val into the page (read() into an inherited page): under
 * mm_lock, mm_user_page; while the page is not writable and cow_pte_write
 * returns 0 (it may have discarded its copy), look again; then the kernel
 * writes through the direct map.
 */
#ifndef COPYOUT_WAITS_ONCE
#define COPYOUT_BUSY_OK && mm_busy[m] == 0
#else
#define COPYOUT_BUSY_OK /* BROKEN: mm_wait_busy only when copyout took the lock */
#endif
inline copyout(h, m, val)
{
	atomic {
		spin_lock_wait_busy(m);
		read_pte(h, m);
		copyout_page(h, m, val)
	};
	do
	:: refs_seen != 0 ->
		cow_pte_write_rest(h, m);
		/*
		 * cow_pte_write returned 0: look again. It may have let go of
		 * mm_lock (cow_copy drops it and takes it again), so another
		 * thread's copy may have made the PTE BUSY meanwhile: wait again.
		 */
		if
		:: atomic { /* the copy installed: it re-takes mm_lock; mm_wait_busy */
			relock && mm_lock[m] == 0 COPYOUT_BUSY_OK ->
			mm_lock[m] = 1; relock = 0;
			read_pte(h, m);
			copyout_page(h, m, val)
		   }
		:: atomic { /* reused, or discarded (under mm_lock all along); mm_wait_busy */
			!relock COPYOUT_BUSY_OK ->
			read_pte(h, m);
			copyout_page(h, m, val)
		   }
		fi
	:: refs_seen == 0 -> break
	od;
	atomic {
		forget_locals();
		spin_unlock(m)
	}
}

/*
 * fork on hart h: mm_copy of src into the new dst (src/mm/mm.c). Under
 * mm->lock, which no fault takes, and in the model no other thread's path
 * of src either: fork_pending set, then the PTE's lock (mm_copy_table's
 * ptlock_lock_batch), the parent's PTE made COW, the child's mapped, the
 * lock let go; the shootdown of the parent after (mm_copy_locked), then
 * fork_pending cleared, and fork returns.
 */
inline mm_copy(h, src, dst)
{
	PROBE_WAIT_BUSY(src)
	atomic {
		/*
		 * mm->fork_pending, before the first table lock: a copy that
		 * finds the COW PTE this fork makes, under the lock after fork
		 * let it go, finds it set. If the lock is taken, fork waits for
		 * it with fork_pending set.
		 */
		fork_pending[src] = 1;
#ifndef FORK_IGNORES_BUSY
		spin_lock_wait_busy(src);
#else
		spin_lock(src); /* BROKEN: a BUSY PTE is copied as it is found */
#endif
		/*
		 * mm_copy_page: a private writable page becomes COW in the
		 * parent, with A clear (cow_a): no hart may cache it again
		 * without setting A, once the shootdown below has flushed them
		 */
		if
		:: pte[src].V && pte[src].W ->
			pte[src].W = 0; pte[src].COW = 1; pte[src].A = cow_a;
			flush_owed[src] = 1;
			src_changed = 1
#ifdef FORK_CLEARS_A_NO_FLUSH
		:: pte[src].V && pte[src].COW ->
			pte[src].A = 0 /* BROKEN: a COW page's A cleared without a shootdown */
#endif
		:: else -> skip
		fi
	};
#if defined(FORK_IGNORES_BUSY) || defined(BUSY_COPY_UNCOUNTED)
	if
	:: atomic { !pte[src].V -> /* not a leaf (pte_is_leaf): the child gets no page */
		printf("MSC: hart %d: fork finds mm %d's PTE invalid (BUSY %d): not copied\n",
		       h, src, pte[src].BUSY);
		spin_unlock(src) }
	:: pte[src].V ->
#endif
	frame_get(pte[src].pa);
	atomic { /* pt_map in the child, same bits; A as mm_leaf gives it; unlock */
		pte[dst].V = pte[src].V;
		pte[dst].W = pte[src].W;
		pte[dst].COW = pte[src].COW;
		pte[dst].A = (pte[src].COW -> cow_a : 1);
		pte[dst].pa = pte[src].pa;
		/* mm_copy_table's unlock; flush_owed stays until fork returns */
		printf("MSC: hart %d: fork lets mm %d's lock go, before its shootdown\n", h, src);
		spin_unlock(src)
	}
#if defined(FORK_IGNORES_BUSY) || defined(BUSY_COPY_UNCOUNTED)
	fi
#endif
	;
#ifndef NO_FORK_SHOOTDOWN
	if
	:: src_changed -> tlb_shootdown(h, src) /* without the PTE's lock */
	:: else -> skip
	fi;
#endif
	atomic {
		src_changed = 0;
		/*
		 * fork_pending cleared (release), after the shootdown; fork
		 * returns: what the page holds now is the child's for good
		 */
		fork_pending[src] = 0;
		flush_owed[src] = 0;
		last[dst] = data[pte[dst].pa];
		printf("MSC: fork of mm %d returns; mm %d's snapshot is %d\n", src, dst, last[dst]);
		forked[dst] = 1
	}
}

/* munmap of the page (mm_unmap_locked): clear, shootdown, then drop. */
#ifndef MUNMAP_IGNORES_BUSY
#define MUNMAP_BUSY_OK && mm_busy[m] == 0
#else
#define MUNMAP_BUSY_OK /* BROKEN: a BUSY PTE is taken for an unmapped page */
#endif
inline mm_munmap(h, m)
{
	PROBE_WAIT_BUSY(m)
	if
	:: atomic { /* spin_lock; mm_wait_busy; the page is mapped */
		mm_lock[m] == 0 MUNMAP_BUSY_OK && pte[m].V -> mm_lock[m] = 1;
		opa = pte[m].pa;
		pte[m].V = 0; pte[m].W = 0; pte[m].COW = 0; pte[m].A = 0; pte[m].pa = 0;
		unmapped[m] = 1;
		last[m] = 0; /* dead: nobody checks an unmapped page's loads */
		flush_owed[m] = 1;
		printf("MSC: hart %d: munmap clears mm %d's PTE to frame %d\n", h, m, opa)
	   };
		tlb_shootdown(h, m);
		atomic { frame_put_pa(opa); opa = 0 }
	:: atomic { mm_lock[m] == 0 MUNMAP_BUSY_OK && !pte[m].V -> mm_lock[m] = 1 }
	fi;
	spin_unlock(m)
}

/*
 * The page mapped again at the same address, once munmap took it away
 * (remap race): mm_map_anon, that is mm_lock (spin_lock, mm_wait_busy),
 * mm_map_anon_locked's frame_alloc_zeroed and pt_map (writable, A and D
 * set), mm_unlock. sbrk does this when the heap grows back over a page it
 * gave up; mmap never hands out an address again (mm->mmap_next only
 * grows), but it runs the same mm_map_anon_locked. frame_alloc gives the
 * lowest free frame: the one munmap has just freed if nobody holds it any
 * more, as the hart's frame cache hands back the frame freed last. Free
 * frames are zeroes in the model already (frame_put_pa), so the allocation
 * is frame_alloc_zeroed. Two steps: the allocation is the first access
 * another thread can see, the PTE store the second (the unlock moves left
 * to it, "Steps").
 */
inline mm_map_anon(h, m)
{
	atomic { /* mm_lock; frame_alloc_zeroed */
		spin_lock_wait_busy(m);
		assert(!pte[m].V); /* the address is free: munmap took the page */
		PROBE_MAP_AGAIN()
		frame_alloc(opa);
		assert(opa != NOFRAME); /* the model has frames enough */
		printf("MSC: hart %d: mm %d allocates frame %d (zeroes) to map the page again\n",
		       h, m, opa)
	};
	atomic { /* pt_map; mm_unlock */
		pte[m].V = 1; pte[m].W = 1; pte[m].COW = 0; pte[m].A = 1; pte[m].pa = opa;
		unmapped[m] = 0;
		last[m] = 0; /* the new page's zeroes */
		printf("MSC: hart %d: mm %d maps frame %d writable again\n", h, m, opa);
		opa = 0;
		spin_unlock(m)
	}
}

/*
 * exit's mm_destroy, once no hart runs the process (the reaper joined its
 * threads): drop every page, no shootdown. Without ASIDs every hart
 * flushed when it switched away; with ASIDs the entries that stay are
 * tagged with an ASID that comes back only after a flush.
 */
inline mm_destroy(m)
{
	atomic {
		spin_lock_wait_busy(m);
		assert(!(hart_runs[0] && hart_mm[0] == m) && !(hart_runs[1] && hart_mm[1] == m) &&
		       !(hart_runs[2] && hart_mm[2] == m) && !(hart_runs[3] && hart_mm[3] == m));
		assert(mm_active[m] == 0);
		dead[m] = 1;
		/*
		 * Dead from here on: no thread of m runs again, nobody shoots
		 * m's harts down any more, and frame_put_pa's check leaves a dead
		 * mm's entries out (they stay only with ASIDs).
		 */
		i = 0;
		do
		:: i < NHARTS ->
			if
			:: hart_mm[i] == m ->
				tlb[i].v = 0; tlb[i].w = 0; tlb[i].pa = 0; tlb_seen[i] = 0
			:: else -> skip
			fi;
			i++
		:: else -> i = 0; break
		od;
		mm_harts[m] = 0;
		tlb_gen[m] = 0;
		last[m] = 0
	};
	if
	:: d_step {
		pte[m].V ->
		opa = pte[m].pa;
		pte[m].V = 0; pte[m].W = 0; pte[m].COW = 0; pte[m].A = 0; pte[m].pa = 0;
		unmapped[m] = 1;
		printf("MSC: exit of mm %d drops frame %d\n", m, opa)
	   };
		atomic {
			REACHED(8, refs[opa] == 1);
			frame_put_pa(opa);
			opa = 0
		}
	:: d_step { !pte[m].V -> skip }
	fi;
	spin_unlock(m)
}

/*
 * The parent's first thread, on hart 0: fork, store, load, munmap. In the
 * remap race: munmap, map again, store, fork, load.
 */
proctype thread_A()
{
	bit oV, oW, oCOW, oA, killed, src_changed, relock;
	byte opa, refs_seen, copy, err, f, i;

#if defined(REMAP_RACE)
	/*
	 * sbrk(-PAGE_SIZE), sbrk(PAGE_SIZE): the page goes and comes back,
	 * zeroed, while B may be copying it; a store; then a fork makes the
	 * PTE COW again (A clear): if the new page got the frame B copies
	 * from, this is the very PTE B's copy will re-check against.
	 */
	mm_munmap(HART_A, PARENT);
	mm_map_anon(HART_A, PARENT);
	user_store(HART_A, PARENT, VAL_A);
	mm_copy(HART_A, PARENT, GRANDCHILD); /* its snapshot is checked when it is reaped */
	user_load(HART_A, PARENT);
#elif !defined(BUSY_RACE)
	mm_copy(HART_A, PARENT, CHILD);
	user_store(HART_A, PARENT, VAL_A);
	if
	:: !killed -> user_load(HART_A, PARENT)
	:: else -> skip
	fi;
#else
	/* a second fork, racing B's and D's copies; the new child exits at once */
	mm_copy(HART_A, PARENT, GRANDCHILD);
	d_step { /* the grandchild's thread loads its snapshot, without a TLB of its own */
		assert(pte[GRANDCHILD].V && data[pte[GRANDCHILD].pa] == last[GRANDCHILD])
	};
	mm_destroy(GRANDCHILD); /* reaped by A */
#endif
#ifndef REMAP_RACE
	mm_munmap(HART_A, PARENT);
#endif
	tlb_activate_away(HART_A, PARENT)
}

/*
 * The parent's second thread, on hart 1: a store; perhaps a switch out
 * and back in (it sleeps, the hart runs the kernel meanwhile); a store and
 * a load. In the busy race and the remap race: a store and a load.
 */
proctype thread_B()
{
	bit oV, oW, oCOW, oA, killed, relock;
	byte opa, refs_seen, copy, err, f, i;
#ifdef LAZY_GEN_BEFORE_ACTIVE
	bit stale;
#endif

	user_store(HART_B, PARENT, VAL_B1);
#if !defined(BUSY_RACE) && !defined(REMAP_RACE)
	if
	:: d_step { !killed -> no_reload(HART_B, PARENT) }
	:: !killed ->
		tlb_activate_away(HART_B, PARENT);
		tlb_activate(HART_B, PARENT)
	:: d_step { killed -> no_reload(HART_B, PARENT) }
	fi;
	if
	:: !killed -> user_store(HART_B, PARENT, VAL_B2)
	:: else -> skip
	fi;
#endif
	if
	:: !killed -> user_load(HART_B, PARENT)
	:: else -> skip
	fi;
	tlb_activate_away(HART_B, PARENT)
}

/* The child, on hart 2 once fork has returned: load, fork, store or copyout, load, exit. */
proctype thread_C()
{
	bit oV, oW, oCOW, oA, killed, src_changed, relock;
	byte opa, refs_seen, copy, err, f, i;
#ifdef LAZY_GEN_BEFORE_ACTIVE
	bit stale;
#endif

	forked[CHILD];
	tlb_activate(HART_C, CHILD);
	user_load(HART_C, CHILD);
#ifdef THREE_THREADS
	if
	:: user_store(HART_C, CHILD, VAL_C)
	:: copyout(HART_C, CHILD, VAL_C)
	fi;
#else
	if
	:: /* fork first: the child's page is still COW, shared three ways */
		mm_copy(HART_C, CHILD, GRANDCHILD);
		if
		:: user_store(HART_C, CHILD, VAL_C)
		:: copyout(HART_C, CHILD, VAL_C)
		fi
	:: /* write first: fork makes the child's own private page COW */
		user_store(HART_C, CHILD, VAL_C);
		mm_copy(HART_C, CHILD, GRANDCHILD)
	fi;
#endif
	if
	:: !killed -> user_load(HART_C, CHILD)
	:: else -> skip
	fi;
	tlb_activate_away(HART_C, CHILD);
	mm_destroy(CHILD)
}

#ifndef THREE_THREADS
/* The grandchild, on hart 3 once the child's fork has returned: load, store, load, exit. */
proctype thread_G()
{
	bit oV, oW, oCOW, oA, killed, relock;
	byte opa, refs_seen, copy, err, f, i;
#ifdef LAZY_GEN_BEFORE_ACTIVE
	bit stale;
#endif

	forked[GRANDCHILD];
	tlb_activate(HART_G, GRANDCHILD);
	user_load(HART_G, GRANDCHILD);
	user_store(HART_G, GRANDCHILD, VAL_G);
	if
	:: !killed -> user_load(HART_G, GRANDCHILD)
	:: else -> skip
	fi;
	tlb_activate_away(HART_G, GRANDCHILD);
	mm_destroy(GRANDCHILD)
}
#else
/*
 * The parent's third thread, on hart 3: a load (which sets A in the COW
 * PTE: the parent's copies after it must shoot down), a store and a load.
 */
proctype thread_D()
{
	bit oV, oW, oCOW, oA, killed, relock;
	byte opa, refs_seen, copy, err, f, i;

#ifndef BUSY_RACE
	user_load(HART_D, PARENT);
	if
	:: !killed -> user_store(HART_D, PARENT, VAL_D)
	:: else -> skip
	fi;
#else
	copyout(HART_D, PARENT, VAL_D); /* read() into the page */
#endif
	if
	:: !killed -> user_load(HART_D, PARENT)
	:: else -> skip
	fi;
	tlb_activate_away(HART_D, PARENT)
}
#endif

init
{
#if defined(BUSY_RACE) || defined(REMAP_RACE)
	bit src_changed;
	byte opa, f, i;
#endif
	atomic {
#if defined(REMAP_RACE)
		/*
		 * The parent forked the child before: the page is COW in both,
		 * frame 0, zeroes. The child's thread has exited; its
		 * mm_destroy comes below, at a moment of its own. The parent's
		 * A: clear or set, as in the busy race.
		 */
		refs[0] = 2;
		pte[PARENT].V = 1; pte[PARENT].COW = 1; pte[PARENT].pa = 0;
		pte[CHILD].V = 1; pte[CHILD].COW = 1; pte[CHILD].A = cow_a; pte[CHILD].pa = 0;
		if
		:: pte[PARENT].A = cow_a
		:: pte[PARENT].A = 1
		fi;
		forked[CHILD] = 1;
#elif !defined(BUSY_RACE)
		/* the parent's page: private writable, frame 0, zeroes */
		refs[0] = 1;
		pte[PARENT].V = 1; pte[PARENT].W = 1; pte[PARENT].A = 1; pte[PARENT].pa = 0;
#else
		/*
		 * The parent forked the child before: the page is COW in both,
		 * frame 0, zeroes. The child's thread has exited (it never
		 * runs); the child is reaped at the end.
		 */
		refs[0] = 2;
		pte[PARENT].V = 1; pte[PARENT].COW = 1; pte[PARENT].pa = 0;
		pte[CHILD].V = 1; pte[CHILD].COW = 1; pte[CHILD].A = cow_a; pte[CHILD].pa = 0;
		/*
		 * The parent's A: clear if no thread has touched the page since
		 * that fork (its copies need no shootdown), or set if one read
		 * it (and has been flushed since): both.
		 */
		if
		:: pte[PARENT].A = cow_a
		:: pte[PARENT].A = 1
		fi;
		forked[CHILD] = 1;
#endif
		hart_mm[HART_A] = PARENT; hart_runs[HART_A] = 1;
		hart_mm[HART_B] = PARENT; hart_runs[HART_B] = 1;
#if defined(ASID) && !defined(BUSY_RACE)
		reloads[HART_B] = 1; /* it may switch out and back in */
#endif
		hart_mm[HART_C] = CHILD;
#if defined(ASID) && !defined(BUSY_RACE)
		reloads[HART_C] = 1;
#endif
#ifdef THREE_THREADS
		hart_mm[HART_D] = PARENT; hart_runs[HART_D] = 1;
		mm_harts[PARENT] = (1 << HART_A) | (1 << HART_B) | (1 << HART_D);
		mm_active[PARENT] = mm_harts[PARENT];
#else
		hart_mm[HART_G] = GRANDCHILD;
#ifdef ASID
		reloads[HART_G] = 1;
#endif
		mm_harts[PARENT] = (1 << HART_A) | (1 << HART_B);
		mm_active[PARENT] = mm_harts[PARENT];
#endif
		run thread_A();
#if defined(REMAP_RACE)
		run thread_B()
#else
		run thread_B();
#ifndef BUSY_RACE
		run thread_C();
#endif
#ifdef THREE_THREADS
		run thread_D()
#else
		run thread_G()
#endif
#endif
	};
#ifdef REMAP_RACE
	/*
	 * The child's exit (its reaper's mm_destroy), racing the parent's
	 * threads: its reference on frame 0 goes before B's fault, during B's
	 * copy, or after it.
	 */
	mm_destroy(CHILD);
#endif
	/* every thread has ended and every process is gone: every frame is back */
	_nr_pr == 1;
#ifdef BUSY_RACE
	mm_destroy(CHILD);
#endif
#ifdef REMAP_RACE
	d_step { /* the second child's thread loads its snapshot, without a TLB of its own */
		assert(pte[GRANDCHILD].V && data[pte[GRANDCHILD].pa] == last[GRANDCHILD])
	};
	mm_destroy(GRANDCHILD); /* the second child exits; the parent exits */
	mm_destroy(PARENT);
#endif
	assert(refs[0] == 0 && refs[1] == 0 && refs[2] == 0 && refs[3] == 0 && refs[4] == 0)
}
