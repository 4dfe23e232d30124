/*
 * lockstat_calc.c: counting, merging and printing lock statistics (see
 * lockstat_calc.h). Pure functions of their arguments.
 */
#include "src/sync/lockstat_calc.h"

#include "src/lib/fmt.h"

void lockstat_counts_reset(struct lockstat_counts *c, uint64_t epoch)
{
	*c = (struct lockstat_counts){0};
	c->epoch = epoch;
	c->wait_min = LOCKSTAT_NO_MIN;
	c->hold_min = LOCKSTAT_NO_MIN;
}

/* Count n contentions at pc: its slot, a free slot, or sites_other. */
static void site_add(struct lockstat_counts *c, uintptr_t pc, uint64_t n)
{
	struct lockstat_site *free_slot = NULL;

	for (int i = 0; i < LOCKSTAT_SITES; i++) {
		if (c->sites[i].pc == pc) {
			c->sites[i].count += n;
			return;
		}
		if (c->sites[i].pc == 0 && free_slot == NULL)
			free_slot = &c->sites[i];
	}
	if (free_slot != NULL) {
		free_slot->pc = pc;
		free_slot->count = n;
		return;
	}
	c->sites_other += n;
}

void lockstat_note_acquire(struct lockstat_counts *c, bool contended, bool bounced, uint64_t wait,
			   uintptr_t pc)
{
	c->acq++;
	c->acq_bounce += bounced;
	if (!contended)
		return;
	c->con++;
	c->con_bounce += bounced;
	c->wait_total += wait;
	if (wait < c->wait_min)
		c->wait_min = wait;
	if (wait > c->wait_max)
		c->wait_max = wait;
	site_add(c, pc, 1);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void lockstat_sort_sites(struct lockstat_counts *c)
{
	/* Insertion sort of four slots; free slots (pc 0, count 0) sink. */
	for (int i = 1; i < LOCKSTAT_SITES; i++) {
		struct lockstat_site s = c->sites[i];
		int j = i;

		while (j > 0 && (c->sites[j - 1].count < s.count ||
				 (c->sites[j - 1].count == s.count && s.pc != 0 &&
				  (c->sites[j - 1].pc == 0 || c->sites[j - 1].pc > s.pc)))) {
			c->sites[j] = c->sites[j - 1];
			j--;
		}
		c->sites[j] = s;
	}
}

void lockstat_merge(struct lockstat_counts *sum, const struct lockstat_counts *part)
{
	struct lockstat_site all[2 * LOCKSTAT_SITES];
	int n = 0;

	sum->acq += part->acq;
	sum->con += part->con;
	sum->acq_bounce += part->acq_bounce;
	sum->con_bounce += part->con_bounce;
	sum->wait_min = min64(sum->wait_min, part->wait_min);
	sum->wait_max = max64(sum->wait_max, part->wait_max);
	sum->wait_total += part->wait_total;
	sum->hold_min = min64(sum->hold_min, part->hold_min);
	sum->hold_max = max64(sum->hold_max, part->hold_max);
	sum->hold_total += part->hold_total;
	sum->holds += part->holds;
	sum->sites_other += part->sites_other;

	/* Pool both site lists (same pc added up), keep the busiest. */
	for (int i = 0; i < LOCKSTAT_SITES; i++)
		if (sum->sites[i].pc != 0)
			all[n++] = sum->sites[i];
	for (int i = 0; i < LOCKSTAT_SITES; i++) {
		int k;

		if (part->sites[i].pc == 0)
			continue;
		for (k = 0; k < n && all[k].pc != part->sites[i].pc; k++)
			;
		if (k < n)
			all[k].count += part->sites[i].count;
		else
			all[n++] = part->sites[i];
	}
	for (int i = 0; i < LOCKSTAT_SITES; i++)
		sum->sites[i] = (struct lockstat_site){0};
	/* Selection of the busiest: repeatedly take the largest left. */
	for (int out = 0; n > 0; out++) {
		int best = 0;

		for (int k = 1; k < n; k++)
			if (all[k].count > all[best].count ||
			    (all[k].count == all[best].count && all[k].pc < all[best].pc))
				best = k;
		if (out < LOCKSTAT_SITES)
			sum->sites[out] = all[best];
		else
			sum->sites_other += all[best].count;
		all[best] = all[--n];
	}
}

static uint64_t shown_min(uint64_t v)
{
	return v == LOCKSTAT_NO_MIN ? 0 : v;
}

int lockstat_format_begin(char *buf, size_t n, uint64_t timebase_hz, int harts, int classes)
{
	return fmt_snprintf(buf, n, "lockstat v%d begin timebase_hz=%lu harts=%d classes=%d\n",
			    LOCKSTAT_VERSION, (unsigned long)timebase_hz, harts, classes);
}

int lockstat_format_class(char *buf, size_t n, const char *kind, const char *name,
			  const struct lockstat_counts *c)
{
	return fmt_snprintf(buf, n,
			    "lockstat v%d class kind=%s name=%s acq=%lu con=%lu acq_bounce=%lu "
			    "con_bounce=%lu wait_min=%lu wait_max=%lu wait_total=%lu hold_min=%lu "
			    "hold_max=%lu hold_total=%lu other_sites=%lu\n",
			    LOCKSTAT_VERSION, kind, name, (unsigned long)c->acq,
			    (unsigned long)c->con, (unsigned long)c->acq_bounce,
			    (unsigned long)c->con_bounce, (unsigned long)shown_min(c->wait_min),
			    (unsigned long)c->wait_max, (unsigned long)c->wait_total,
			    (unsigned long)shown_min(c->hold_min), (unsigned long)c->hold_max,
			    (unsigned long)c->hold_total, (unsigned long)c->sites_other);
}

int lockstat_format_site(char *buf, size_t n, const char *kind, const char *name,
			 const struct lockstat_site *s)
{
	return fmt_snprintf(buf, n, "lockstat v%d site kind=%s name=%s pc=%#lx con=%lu\n",
			    LOCKSTAT_VERSION, kind, name, (unsigned long)s->pc,
			    (unsigned long)s->count);
}

int lockstat_format_end(char *buf, size_t n)
{
	return fmt_snprintf(buf, n, "lockstat v%d end\n", LOCKSTAT_VERSION);
}
