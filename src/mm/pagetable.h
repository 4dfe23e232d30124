/*
 * pagetable.h: building and changing Sv39 page tables.
 *
 * A page table is named by the physical address of its root page; every
 * table page is reached through the direct map (phys_to_virt). The PTE
 * format is src/arch/riscv/pte.h's; this API is what the rest of kine uses
 * for the kernel's own map and for user address spaces.
 *
 * Invariants kept by every call:
 * - Every leaf this file makes has A set, and D set when it is writable
 *   (cores that do not update A and D fault forever on a leaf without
 *   them). The one exception is made outside: fork leaves a COW leaf's A
 *   clear where the harts set A themselves (mm.c, mm_cow_accessed).
 *   pt_check_ad() verifies a whole table.
 * - Below the root, a table page is linked only while it holds at least
 *   one valid entry: pt_unmap() unlinks the tables it empties. (The one
 *   exception is a table pt_walk(alloc=true) just added for a caller who
 *   has not yet stored the PTE it returned.)
 * - Invalid entries are all-zero (mm.h's busy PTEs, and dormant links and
 *   lazy slots at level 1, below, aside).
 * - A call that fails changes nothing: arguments are checked before the
 *   table is touched, a walk allocates every table page it needs before
 *   it links the first, and pt_map() undoes its partial work (see there).
 *
 * Locking: none inside. All calls that change one table (same root) must be
 * serialized by the caller, who holds the lock of the address space that
 * owns it (for the kernel's map: only the boot hart changes it, before the
 * other harts start). Other harts' MMUs may walk the table at any time, so
 * each PTE is written with one aligned 64-bit store, and a new table page
 * is zeroed before the entry that links it is published (release order).
 * A hart may set A (and D) in a leaf itself, on cores that update them in
 * hardware: that update is atomic with its permission check and re-walks
 * a PTE that changed, so a whole-PTE store under the caller's lock can at
 * worst clear an A the hart just set, never grant what was taken away.
 *
 * TLBs: nothing here flushes. After pt_unmap() or pt_protect() (or a
 * failed pt_map(), which unmapped what it had mapped), the caller flushes
 * the address space's translations on every hart that may hold them before
 * it returns to user mode or lets another hart run it, and only then lets
 * the dropped frames be reused.
 *
 * Table pages: a hart's walker may cache the non-leaf links it follows
 * (a page-walk cache), and the privileged spec drops those only on an
 * sfence.vma with rs1 = x0: a flush by address clears leaf entries alone.
 * So no call here frees a table page that a walker may have seen: each
 * table page a call unlinks is handed to its struct pt_release, and the
 * caller frees it (pt_page_free) only after every hart that may cache a
 * link to it has flushed the whole address space (rs1 = x0; mm.c for user
 * spaces, kstack.c for the kernel's stack window, both through
 * pt_frames.h). pt_destroy() alone frees a whole tree, for a tree no
 * hart can walk any more.
 */
#ifndef KINE_MM_PAGETABLE_H
#define KINE_MM_PAGETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/arch/riscv/pte.h" /* pte_t, PTE_* bits */
#include "src/mm/phys.h"

/*
 * Store a PTE whole, with no order of its own, for a caller that walks
 * leaves itself (through pt_walk or pt_for_each_leaf_table) and orders its
 * stores otherwise: by the shootdown that must follow them anyway, or
 * because no hart runs the table yet. One aligned 64-bit store, so an MMU
 * walking the table sees the old entry or the new one. (A volatile store:
 * GCC 12 makes even a relaxed __atomic_store_n an AMO on RISC-V.)
 */
static inline void pte_store(pte_t *pte, pte_t val)
{
	*(volatile pte_t *)pte = val;
}

/*
 * A dormant link: a level-1 entry with V clear that keeps the PPN of its
 * level-0 table and PTE_DORMANT (an RSW bit: free for software in an
 * invalid PTE). Fork leaves the links of tables it shares this way
 * (ptshare.h); the MMU faults on one, and the kernel wakes it. The calls
 * below treat a dormant link as a hole that must not be filled: a walk
 * that would add a table there, or change a leaf below it, is a bug of the
 * caller (fatal), who owns the table first (ptshare_own). Only
 * pt_destroy_leaf_tables, pt_for_each_link_table and pt_check_ad see it for the
 * link it is.
 */
#define PTE_DORMANT PTE_COW

static inline bool pte_is_dormant(pte_t e)
{
	return (e & (PTE_V | PTE_DORMANT)) == PTE_DORMANT;
}

/*
 * A lazy slot: a level-1 entry with V clear, PTE_LAZY (the other RSW bit)
 * and the leaf bits (R, W, X, U) its memory will get, but no frame: 2 MiB
 * of a private anonymous mapping reserved at mmap or sbrk and filled at
 * its first touch (megapage.h). The MMU faults on it. The calls below take
 * it for a mapping: a walk that would add a table there finds PT_ERR_EXIST,
 * pt_unmap clears one its range covers whole (and refuses to cut one, as
 * it does a huge leaf), and pt_check_ad accepts it at level 1 alone.
 */
#define PTE_LAZY PTE_SW1

static inline bool pte_is_lazy(pte_t e)
{
	return (e & (PTE_V | PTE_LAZY)) == PTE_LAZY;
}

/*
 * A level-1 entry that links a level-0 table, valid or dormant: of the
 * kinds a level-1 entry is (0, a link, a dormant link, a huge leaf, a lazy
 * slot), the ones with V or PTE_DORMANT and none of R, W, X (a lazy slot
 * has neither V nor PTE_DORMANT). For every entry kine makes,
 * pte_is_table || pte_is_dormant in two masks (pagetable_test), for the
 * loops over 512 links (fork, exit).
 */
static inline bool pte_is_link(pte_t e)
{
	return (e & PTE_LEAF_MASK) == 0 && (e & (PTE_V | PTE_DORMANT)) != 0;
}

/* What the calls return: 0 on success, or one of these. */
enum pt_err {
	PT_OK = 0,
	PT_ERR_NOMEM = -1,     /* no page for a new table */
	PT_ERR_EXIST = -2,     /* a leaf already maps part of the range */
	PT_ERR_INVAL = -3,     /* unaligned, non-canonical, empty range or bad bits */
	PT_ERR_NOTMAPPED = -4, /* a page of the range has no leaf */
	PT_ERR_HUGE = -5,      /* a huge leaf lies partly outside the range */
};

/* A short name for an error code, for messages. */
const char *pt_strerror(int err);

/*
 * Table pages. Implemented outside this file (by the kernel over the frame
 * allocator, by the host tests over their arena): pt_page_alloc() returns
 * a zeroed, page-aligned page, or 0 when there is none.
 */
paddr_t pt_page_alloc(void);
void pt_page_free(paddr_t pa);

/*
 * What a call that takes things out of a tree hands back instead of
 * freeing them: frame is called once for each 4 KiB frame an unmapped leaf
 * mapped (may be NULL), table once for each table page the call unlinked
 * (required). Both run in the middle of the call, after the entry that
 * pointed at the page was cleared; neither may touch the tree.
 */
struct pt_release {
	void (*frame)(paddr_t pa, void *ctx);
	void (*table)(paddr_t table, void *ctx);
	void *ctx;
};

/* A new, empty table (its root page), or 0 when out of memory. */
paddr_t pt_create(void);

/*
 * Free every table page below root and root itself. Leaves that remain are
 * handed to drop (once per 4 KiB frame, as pt_unmap does); with drop NULL,
 * a remaining leaf is a bug, reported with fatal().
 */
void pt_destroy(paddr_t root, void (*drop)(paddr_t pa, void *ctx), void *ctx);

/*
 * pt_destroy() for a table whose leaves are 4 KiB or 2 MiB (a user address
 * space), at a cost per level-0 table rather than per frame, and with no
 * call per level-0 table: release is called once for each level-1 table
 * with its SV39_ENTRIES entries as they are (0, links, dormant links, 2 MiB
 * leaves: release lets go of those too) and takes over every level-0 table
 * they link: it lets go of the frames a table maps and of the page itself
 * (pt_page_free), or of its own share of a table other trees link
 * (ptshare.h). Every other table page is freed here. A 1 GiB leaf is fatal.
 */
void pt_destroy_leaf_tables(paddr_t root, void (*release)(const pte_t *links, void *ctx),
			    void *ctx);

/*
 * The level-0 PTE for va, valid or not, or NULL. With alloc, missing table
 * pages are added on the way down (NULL, with none added, if that runs out
 * of memory: every page is allocated before the first is linked). The
 * PTEs of the following pages up to the next 2 MiB boundary follow it in
 * the same table, so one walk serves a run of them.
 * Also NULL, with or without alloc, when va is not canonical or when a
 * huge leaf covers va: there is no level-0 entry then (use pt_lookup).
 * A caller that stores a leaf through the pointer sets A (and D if
 * writable) itself.
 */
pte_t *pt_walk(paddr_t root, uintptr_t va, bool alloc);

/*
 * The level-1 entry for va (a link to a level-0 table, a dormant link, a
 * 2 MiB leaf or empty), or NULL. With alloc, a missing level-1 table is
 * added on the way (NULL if that runs out of memory, with none added).
 * Also NULL when va is not canonical or a 1 GiB leaf covers it.
 */
pte_t *pt_walk_link(paddr_t root, uintptr_t va, bool alloc);

/*
 * Translate va: the physical address it maps to (page offset included),
 * the leaf's flag bits (PTE_FLAGS_MASK) and its level (0, 1 or 2). Any
 * output pointer may be NULL. Returns 0 or PT_ERR_NOTMAPPED/PT_ERR_INVAL.
 */
int pt_lookup(paddr_t root, uintptr_t va, paddr_t *pa, uint64_t *perm, unsigned *level);

/* pt_map() flags. */
#define PT_MAP_HUGE (1u << 0) /* use 2 MiB and 1 GiB leaves where aligned */

/* The bits a caller may pass as perm (pt_map) or set/clear (pt_protect). */
#define PT_PERM_MASK (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_RSW_MASK)

/*
 * Map [va, va + size) to [pa, pa + size). All three are page-aligned, size
 * is not 0, the range is canonical and lies in one half of the address
 * space. perm is taken from PT_PERM_MASK and must make a valid leaf (some
 * of R, W, X; never W without R); the software bits (PTE_COW, PTE_SW1) are
 * stored as given. pt_map adds V and A, and D when W is set.
 *
 * With PT_MAP_HUGE, a 1 GiB or 2 MiB leaf is used wherever va and pa are
 * aligned to it and the rest of the range covers it, unless a table page
 * already sits in that slot (then smaller leaves go into that table).
 * Without it, every leaf is 4 KiB.
 *
 * Returns PT_ERR_EXIST if any page of the range is already mapped, and
 * PT_ERR_NOMEM if a table page cannot be had. Either way the table is left
 * as it was: the leaves this call made are unmapped again (the caller
 * owes the flush) and the table pages it added are handed to undo->table
 * (undo->frame is not used: the frames were never the table's). A call
 * that maps one 4 KiB page, or fails at its first leaf, hands back nothing.
 */
int pt_map(paddr_t root, uintptr_t va, paddr_t pa, size_t size, uint64_t perm, unsigned flags,
	   const struct pt_release *undo);

/*
 * Unmap every leaf in [va, va + size) (page-aligned, canonical, one half).
 * Holes are fine. rel->frame, if not NULL, is called once for each 4 KiB
 * frame that was mapped (512 times for a 2 MiB leaf), so the caller can
 * drop its reference; the caller must not reuse the frame before its TLB
 * flush. Table pages left empty are unlinked and handed to rel->table;
 * the caller frees them only after a whole flush (see "Table pages"
 * above). Returns PT_ERR_HUGE, having changed nothing, if a huge leaf
 * reaches outside the range: huge leaves are never split. A lazy slot
 * (below) the range covers whole is cleared; one it covers in part is
 * PT_ERR_HUGE too.
 */
int pt_unmap(paddr_t root, uintptr_t va, size_t size, const struct pt_release *rel);

/*
 * For a table other harts' MMUs may be walking, where pt_unmap() would
 * empty too much (kstack.c keeps the window's level-1 table for good): if
 * the level-0 table that covers va holds no valid entry, unlink it from
 * its parent and return it. The caller frees it (pt_page_free) only after
 * every hart that may have cached the link has flushed everything
 * (rs1 = x0). Returns 0, changing nothing, if there is no such table or it
 * is not empty. The table's other invariants hold throughout.
 */
paddr_t pt_unlink_empty_table(paddr_t root, uintptr_t va);

/* pt_protect() flags. */
#define PT_PROTECT_SKIP_HOLES (1u << 0) /* unmapped pages are not an error */

/*
 * Change the permission bits of every leaf in [va, va + size): bits in set
 * are turned on, bits in clear turned off (both from PT_PERM_MASK, never
 * the same bit in both). A stays set. D is set when the result is
 * writable and otherwise left as it was (removing W does not make a page
 * clean). Every result must still be a valid leaf, or nothing changes and
 * the call returns PT_ERR_INVAL. A hole is PT_ERR_NOTMAPPED, with nothing
 * changed, unless flags has PT_PROTECT_SKIP_HOLES; a huge leaf reaching
 * outside the range is PT_ERR_HUGE.
 */
int pt_protect(paddr_t root, uintptr_t va, size_t size, uint64_t set, uint64_t clear,
	       unsigned flags);

/*
 * Call fn for every leaf that maps some of [va, va + size), in address
 * order, with the leaf's own start address (below va for a huge leaf that
 * begins earlier), a pointer to the PTE and its level. fn may change the
 * PTE's flag bits (keeping it a leaf, with A and D as above). A non-zero
 * return from fn stops the walk and is returned; PT_ERR_INVAL for a bad
 * range; otherwise 0.
 */
typedef int (*pt_leaf_fn)(uintptr_t va, pte_t *pte, unsigned level, void *ctx);
int pt_for_each_leaf(paddr_t root, uintptr_t va, size_t size, pt_leaf_fn fn, void *ctx);

/*
 * The same walk a level-0 table at a time, for callers that handle many
 * pages (fork's copy): fn is called once for each level-0 table that
 * covers some of [va, va + size), in address order, with the address that
 * pte maps, pte pointing at the table's first entry in the range, and n,
 * how many entries of the range follow in that table (1 to SV39_ENTRIES;
 * invalid ones are 0). fn may change the flag bits of those entries, as
 * for pt_for_each_leaf. A huge leaf in the range stops the walk with
 * PT_ERR_HUGE; a non-zero return from fn stops it and is returned;
 * PT_ERR_INVAL for a bad range; otherwise 0.
 */
typedef int (*pt_table_fn)(uintptr_t va, pte_t *pte, unsigned n, void *ctx);
int pt_for_each_leaf_table(paddr_t root, uintptr_t va, size_t size, pt_table_fn fn, void *ctx);

/*
 * The level-1 entries (links) that map some of [va, va + size), a level-1
 * table at a time, for callers that handle many (fork: its cost is this
 * walk): fn is called once for each level-1 table that covers some of the
 * range, in address order, with the address its first entry in the range
 * maps, links pointing at that entry, and n, how many entries of the range
 * follow in the table (1 to SV39_ENTRIES), as they are: 0, links, dormant
 * links or 2 MiB leaves. fn may rewrite them as the caller's lock allows.
 * A 1 GiB leaf in the range stops the walk with PT_ERR_HUGE; a non-zero
 * return from fn stops it and is returned; PT_ERR_INVAL for a bad range;
 * otherwise 0.
 */
typedef int (*pt_links_fn)(uintptr_t va, pte_t *links, unsigned n, void *ctx);
int pt_for_each_link_table(paddr_t root, uintptr_t va, size_t size, pt_links_fn fn, void *ctx);

/*
 * The index of the first non-zero entry of ptes[i .. n), or n: for the
 * loops over a level-1 table's links (fork, exit), where most entries of
 * a small process are 0 and most of a large one's are not. The empty
 * ones four at a time: a fork walks two level-1 tables of 512 entries
 * each even for an empty process.
 */
static inline size_t pt_next_used(const pte_t *ptes, size_t i, size_t n)
{
	if (__builtin_expect(i < n && ptes[i] != 0, 1))
		return i; /* a large process's links are side by side */
	while (i + 4 <= n && (ptes[i] | ptes[i + 1] | ptes[i + 2] | ptes[i + 3]) == 0)
		i += 4;
	while (i < n && ptes[i] == 0)
		i++;
	return i;
}

/*
 * Check the whole table for entries that break the invariants above or
 * the format: a leaf without A, a writable leaf without D, W without R,
 * reserved bits set, a huge leaf whose frame is misaligned, a table
 * pointer with A, D or U set, or at level 0, a dormant link anywhere but
 * level 1. report (may be NULL) is
 * called for each, with a reason; returns how many there were. Where a
 * table pointer leads is trusted, not checked.
 */
int pt_check_ad(paddr_t root, void (*report)(uintptr_t va, pte_t pte, const char *why, void *ctx),
		void *ctx);

#endif
