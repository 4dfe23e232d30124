/*
 * lockstat.c: the class table, the per-hart counts and the dump.
 *
 * classes[0..nclasses) are published with a release store of nclasses and
 * never change afterwards, so lookups read them without a lock; only
 * registration takes class_lock (a bare ticket lock with interrupts off:
 * it must not itself be a spinlock with a class).
 *
 * lockstat_counts[h][id] belongs to hart h (see lockstat.h); the locks
 * write it through lockstat_record.h's inline fast paths and the _slow
 * functions here. lockstat_epoch is the reset generation: written by
 * lockstat_reset, read by every writer.
 */
#include "src/sync/lockstat.h"

#include "src/arch/riscv/timer.h"
#include "src/base/kprintf.h"
#include "src/lib/fmt.h"
#include "src/lib/string.h"
#include "src/sched/hart.h"
#include "src/sync/lockcheck.h"
#include "src/sync/lockstat_calc.h"
#include "src/sync/lockstat_record.h"
#include "src/sync/ticket.h"

static struct lock_class classes[LOCK_CLASSES_MAX];
static int nclasses;                  /* release store after the entry is complete */
static struct ticket_lock class_lock; /* serializes registration */

#ifndef KINE_NO_LOCKSTAT
struct lockstat_counts lockstat_counts[KINE_MAX_HARTS][LOCK_CLASSES_MAX];
static const char *const kind_names[] = {[LOCK_SPIN] = "spin", [LOCK_SLEEP] = "sleep"};
uint64_t lockstat_epoch = 1; /* counts of another epoch are stale */
#endif

/*
 * Names are string literals, usually the very pointer a class was made
 * with: match pointers first, so that spin_init (on fork's path) rarely
 * needs a strcmp per class.
 */
static struct lock_class *class_find(const char *name, enum lock_kind kind, int n)
{
	for (int i = 0; i < n; i++)
		if (classes[i].kind == kind && classes[i].name == name)
			return &classes[i];
	for (int i = 0; i < n; i++)
		if (classes[i].kind == kind && strcmp(classes[i].name, name) == 0)
			return &classes[i];
	return NULL;
}

struct lock_class *lockstat_class_get(const char *name, enum lock_kind kind)
{
	int n = __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE);
	struct lock_class *c = class_find(name, kind, n);

	if (c != NULL)
		return c;
	hart_irq_push_off();
	ticket_acquire(&class_lock);
	n = nclasses;
	c = class_find(name, kind, n);
	if (c == NULL) {
		if (n == LOCK_CLASSES_MAX - 1) {
			/* The last slot is the shared overflow class. */
			name = "(overflow)";
			c = class_find(name, kind, n);
		}
		if (c == NULL) {
			c = &classes[n];
			c->name = name;
			c->kind = kind;
			c->id = n;
			c->rank = kind == LOCK_SPIN ? lockcheck_rank(name) : 0;
			__atomic_store_n(&nclasses, n + 1, __ATOMIC_RELEASE);
		}
	}
	ticket_release(&class_lock);
	hart_irq_pop_off();
	return c;
}

#ifndef KINE_NO_LOCKSTAT

static struct lockstat_counts *counts_of(struct lock_class *c, int hart)
{
	struct lockstat_counts *k = &lockstat_counts[hart][c->id];

	lockstat_counts_begin(k, __atomic_load_n(&lockstat_epoch, __ATOMIC_RELAXED));
	return k;
}

void lockstat_acquired_slow(struct lock_class *c, int hart, bool bounced, bool contended,
			    uint64_t wait, uintptr_t pc)
{
	lockstat_note_acquire(counts_of(c, hart), contended, bounced, wait, pc);
}

void lockstat_released_slow(struct lock_class *c, int hart, uint64_t hold)
{
	lockstat_note_hold(counts_of(c, hart), hold);
}

/* Every hart's counts of class id in the current epoch, merged. */
static void merge_class(int id, uint64_t now, struct lockstat_counts *sum)
{
	lockstat_counts_reset(sum, now);
	for (int h = 0; h < nharts; h++)
		if (lockstat_counts[h][id].epoch == now)
			lockstat_merge(sum, &lockstat_counts[h][id]);
}

bool lockstat_read(const char *name, enum lock_kind kind, struct lockstat_counts *out)
{
	struct lock_class *c = class_find(name, kind, __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE));

	if (c == NULL)
		return false;
	merge_class(c->id, __atomic_load_n(&lockstat_epoch, __ATOMIC_RELAXED), out);
	return true;
}

void lockstat_reset(void)
{
	__atomic_fetch_add(&lockstat_epoch, 1, __ATOMIC_RELAXED);
}

bool lockstat_enabled(void)
{
	return true;
}

/* Append one formatted record (len bytes in line) at *pos. */
static void put(char *buf, size_t n, size_t *pos, const char *line, int len)
{
	for (int i = 0; i < len; i++, (*pos)++)
		if (*pos + 1 < n)
			buf[*pos] = line[i];
}

size_t lockstat_dump(char *buf, size_t n)
{
	uint64_t now = __atomic_load_n(&lockstat_epoch, __ATOMIC_RELAXED);
	int nc = __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE);
	char line[LOCKSTAT_LINE_MAX];
	size_t pos = 0;
	int shown = 0;

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			put(buf, n, &pos, line,
			    lockstat_format_begin(line, sizeof(line), timer_timebase_hz(), nharts,
						  shown));
		for (int id = 0; id < nc; id++) {
			struct lockstat_counts sum;
			const char *kind = kind_names[classes[id].kind];

			merge_class(id, now, &sum);
			if (sum.acq == 0 && sum.holds == 0)
				continue;
			if (pass == 0) {
				shown++;
				continue;
			}
			put(buf, n, &pos, line,
			    lockstat_format_class(line, sizeof(line), kind, classes[id].name,
						  &sum));
			for (int s = 0; s < LOCKSTAT_SITES && sum.sites[s].pc != 0; s++)
				put(buf, n, &pos, line,
				    lockstat_format_site(line, sizeof(line), kind, classes[id].name,
							 &sum.sites[s]));
		}
	}
	put(buf, n, &pos, line, lockstat_format_end(line, sizeof(line)));
	if (n > 0)
		buf[pos < n ? pos : n - 1] = '\0';
	return pos;
}

#else /* KINE_NO_LOCKSTAT */

bool lockstat_read(const char *name, enum lock_kind kind, struct lockstat_counts *out)
{
	return false;
}

void lockstat_reset(void)
{
}

bool lockstat_enabled(void)
{
	return false;
}

size_t lockstat_dump(char *buf, size_t n)
{
	char line[LOCKSTAT_LINE_MAX];
	int len = fmt_snprintf(line, sizeof(line), "lockstat v%d off\n", LOCKSTAT_VERSION);

	for (int i = 0; i < len && (size_t)i + 1 < n; i++)
		buf[i] = line[i];
	if (n > 0)
		buf[(size_t)len < n ? (size_t)len : n - 1] = '\0';
	return (size_t)len;
}

#endif

void lockstat_print(void)
{
	static char buf[40 * 1024];
	char *line = buf;

	/* Static buffer: callers are self-tests, one at a time. */
	lockstat_dump(buf, sizeof(buf));
	for (char *p = buf; *p != '\0'; p++) {
		if (*p != '\n')
			continue;
		*p = '\0';
		kprintf("%s\n", line);
		line = p + 1;
	}
}
