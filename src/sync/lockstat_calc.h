/*
 * lockstat_calc.h: the arithmetic of lock statistics, free of any kernel
 * dependency so the host tests check it (test/host/lockstat_calc_test.c).
 *
 * One struct lockstat_counts holds what one hart saw of one lock class
 * since the last reset; the dump merges every hart's counts into one per
 * class (lockstat_merge) and prints them in the text format of
 * docs/lockstat.md (lockstat_format_*). Times are in ticks of the
 * platform clock (timebase-frequency of the device tree); the dump's
 * header line carries that frequency so readers convert.
 *
 * Meaning of the counts (the columns of Linux's /proc/lock_stat):
 *   acq         acquisitions
 *   con         contentions: acquisitions that had to wait
 *   acq_bounce  acquisitions on another hart than the previous one of the
 *               same lock (the lock's line moved between harts)
 *   con_bounce  contentions that were also bounces
 *   wait_*      time from asking to getting, over contentions only
 *   hold_*      time from getting to releasing, over every release
 *   sites       the return addresses that contended most (LOCKSTAT_SITES
 *               slots; a site arriving when all are taken counts in
 *               sites_other)
 *
 * Rules: a counts struct is written by one hart only; the epoch says which
 * reset generation it belongs to, and a writer that finds an old epoch
 * starts the struct afresh (lockstat_counts_begin), so a reset never
 * needs to write another hart's counts.
 */
#ifndef KINE_SYNC_LOCKSTAT_CALC_H
#define KINE_SYNC_LOCKSTAT_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCKSTAT_SITES    4
#define LOCKSTAT_VERSION  1
#define LOCKSTAT_NO_MIN   UINT64_MAX /* min of no samples */
#define LOCKSTAT_LINE_MAX 256

struct lockstat_site {
	uintptr_t pc;   /* return address of the lock call; 0: slot free */
	uint64_t count; /* contentions from there */
};

struct lockstat_counts {
	uint64_t epoch;
	uint64_t acq, con, acq_bounce, con_bounce;
	uint64_t wait_min, wait_max, wait_total;
	uint64_t hold_min, hold_max, hold_total, holds;
	struct lockstat_site sites[LOCKSTAT_SITES];
	uint64_t sites_other;
};

/* Start c afresh for epoch (zero counts, empty minimums, no sites). */
void lockstat_counts_reset(struct lockstat_counts *c, uint64_t epoch);

/* Reset c if it belongs to an older epoch than epoch. */
static inline void lockstat_counts_begin(struct lockstat_counts *c, uint64_t epoch)
{
	if (c->epoch != epoch)
		lockstat_counts_reset(c, epoch);
}

/* One acquisition; wait and pc matter only when contended. */
void lockstat_note_acquire(struct lockstat_counts *c, bool contended, bool bounced, uint64_t wait,
			   uintptr_t pc);

/* One release after holding for hold ticks (inline: every lock round pays it). */
static inline void lockstat_note_hold(struct lockstat_counts *c, uint64_t hold)
{
	c->holds++;
	c->hold_total += hold;
	if (hold < c->hold_min)
		c->hold_min = hold;
	if (hold > c->hold_max)
		c->hold_max = hold;
}

/*
 * Add part into sum (both of the same class): totals add, minimums and
 * maximums combine, sites with the same pc add up and the busiest
 * LOCKSTAT_SITES stay (the rest go to sites_other).
 */
void lockstat_merge(struct lockstat_counts *sum, const struct lockstat_counts *part);

/* Sort c's sites by count, busiest first (ties: lower pc first). */
void lockstat_sort_sites(struct lockstat_counts *c);

/*
 * The records of the dump, each one line with its newline, NUL-terminated
 * in buf (at most n bytes, LOCKSTAT_LINE_MAX suffices). They return the
 * length, like snprintf. kind is "spin" or "sleep"; name has no spaces.
 */
int lockstat_format_begin(char *buf, size_t n, uint64_t timebase_hz, int harts, int classes);
int lockstat_format_class(char *buf, size_t n, const char *kind, const char *name,
			  const struct lockstat_counts *c);
int lockstat_format_site(char *buf, size_t n, const char *kind, const char *name,
			 const struct lockstat_site *s);
int lockstat_format_end(char *buf, size_t n);

#endif
