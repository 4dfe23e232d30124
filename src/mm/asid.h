/*
 * asid.h: address-space identifiers, handed out by generation.
 *
 * An mm's context is (generation << asid_bits) | asid. The ASID tags the
 * TLB entries the mm's translations leave behind, so a hart can switch
 * between address spaces without flushing: an entry is used only while
 * satp carries its tag. When the ASIDs of a generation run out, a new
 * generation starts (a rollover): every hart must flush its whole TLB
 * before it runs anything under the new generation, because the new
 * generation hands the same numbers to other address spaces.
 *
 * ASID 0 is the kernel's (its root has no user half, and its own
 * translations are global). With fewer user ASIDs than harts the scheme
 * cannot work (every hart may pin one ASID across a rollover), and with 0
 * bits there are none: kine then runs every address space under ASID 0
 * and flushes at every switch (asid_enabled() is false).
 *
 * Who changes what (docs/cow.md, "ASIDs"):
 *  - an mm's context: only under asid_lock, but read without it (atomic);
 *  - a hart's active context: the hart itself, by compare-and-swap, and a
 *    rollover (under asid_lock), which swaps every hart's to 0 so that its
 *    next switch takes the locked path and flushes;
 *  - the generation, the ASID map, reserved contexts and pending flushes:
 *    under asid_lock.
 */
#ifndef KINE_MM_ASID_H
#define KINE_MM_ASID_H

#include <stdbool.h>
#include <stdint.h>

struct mm;

/*
 * Set up the allocator for `bits` ASID bits and `harts` harts (called once
 * by the boot hart, before any user address space runs). Prints which
 * mode kine runs in.
 */
void asid_init(unsigned bits, int harts);

/* True when address spaces get their own ASIDs (false: ASID 0 and a flush per switch). */
bool asid_enabled(void);

/*
 * The context mm runs under on this hart (call with interrupts off, on the
 * hart that is about to load it). Sets *flush when this hart must flush
 * its whole TLB before it loads the context (a rollover happened since its
 * last switch). May hand mm a new context: then mm's hart mask is narrowed
 * to the harts that may still hold its translations under the ASID it
 * keeps (see asid.c).
 */
uint64_t asid_context_for(struct mm *mm, int hart, bool *flush);

/* The ASID and the generation of a context. */
unsigned asid_of(uint64_t context);
uint64_t asid_generation_of(uint64_t context);

/* Rollovers since boot (atomic). */
extern uint64_t asid_rollovers;

#endif
