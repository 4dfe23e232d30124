/*
 * lockcheck.h: the debug checks on spinlocks, which report a misuse with
 * a backtrace (a panic) instead of letting it hang or corrupt:
 *
 *   - taking a lock while this hart holds a lock of a class ranked after
 *     it (the rank table is in lockcheck.c), or taking a lock whose class
 *     has no rank at all;
 *   - releasing a lock this hart does not hold;
 *   - sleeping (a sleep lock, a wait queue) or yielding while holding a
 *     spinlock it may not hold there.
 *
 * Each hart keeps the list of spinlocks it holds, with the return address
 * of each acquisition, which the reports print. Only the hart itself
 * touches its list, with interrupts off (it holds a spinlock, or is taking
 * one), so the list needs no lock. These checks stay on in every build;
 * the debug image (KINE_LOCKCHECK_ALL) also lists and checks bit locks
 * and the frame caches' lock words.
 */
#ifndef KINE_SYNC_LOCKCHECK_H
#define KINE_SYNC_LOCKCHECK_H

#include <stdint.h>

struct hart;
struct lock_class;

/* The rank of a class name in lockcheck.c's table (0: none, an error when taken). */
int lockcheck_rank(const char *name);

/*
 * Before this hart waits for lock (of class c, taken at pc): rank and order
 * check, then record. lock is whatever identifies it to lockcheck_release
 * (a spinlock, or a bit lock's word).
 */
void lockcheck_acquire(const void *lock, const struct lock_class *c, uintptr_t pc);

/* This hart lets lock go. */
void lockcheck_release(const void *lock);

/*
 * This hart is about to sleep or yield (what says how) and may hold at
 * most `allowed` spinlocks (e.g. 1: a wait queue's condition lock):
 * panic, naming the locks, otherwise.
 */
void lockcheck_may_sleep(const char *what, int allowed);

/* Report a release of a lock held by owner (not this hart), from pc; does not return. */
void lockcheck_fail_unheld(const char *name, const struct hart *owner, uintptr_t pc)
    __attribute__((noreturn));

#endif
