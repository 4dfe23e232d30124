/*
 * lockstat: the kernel's lock statistics, as a table with Linux's
 * /proc/lock_stat columns (con-bounces, contentions, waittime-*,
 * acq-bounces, acquisitions, holdtime-*; the same header as `./kine
 * profile`), one row per lock class sorted by contentions (most first),
 * each followed by its busiest contending call sites (kernel addresses:
 * `./kine profile` symbolizes them).
 *
 *	lockstat        the table, counts since boot or the last reset
 *	lockstat -r     start every count afresh
 *	lockstat -d     the raw dump (docs/lockstat.md), for host tools
 *
 * Times are in microseconds, from the kernel's clock ticks and the
 * timebase in the dump's header line.
 *
 * help: the kernel's lock statistics, in Linux's lock_stat columns
 */
#include <kine/user.h>

#define MAX_CLASSES 64
#define MAX_SITES   4
#define DUMP_MAX    (64 * 1024)

struct row {
	char kind[8];
	char name[40];
	unsigned long acq, con, acq_bounce, con_bounce;
	unsigned long wait_min, wait_max, wait_total, hold_min, hold_max, hold_total;
	unsigned long site_pc[MAX_SITES], site_con[MAX_SITES];
	int nsites;
};

static struct row rows[MAX_CLASSES];
static int nrows;
static unsigned long timebase_hz = 10000000;

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix != '\0')
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static unsigned long parse_ul(const char *s)
{
	unsigned long v = 0;
	int base = 10;

	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			return v;
		v = v * base + d;
	}
}

/* The value of key=... in the record line (up to the next space), or NULL. */
static const char *field(const char *line, const char *key)
{
	for (const char *p = line; *p != '\0' && *p != '\n'; p++)
		if ((p == line || p[-1] == ' ') && starts_with(p, key) && p[strlen(key)] == '=')
			return p + strlen(key) + 1;
	return NULL;
}

static void copy_word(char *dst, const char *src, size_t n)
{
	size_t i = 0;

	while (src != NULL && src[i] != '\0' && src[i] != ' ' && src[i] != '\n' && i + 1 < n) {
		dst[i] = src[i];
		i++;
	}
	dst[i] = '\0';
}

static unsigned long num(const char *line, const char *key)
{
	const char *v = field(line, key);

	return v == NULL ? 0 : parse_ul(v);
}

static struct row *find(const char *kind, const char *name)
{
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i].kind, kind) == 0 && strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

static void parse(const char *dump)
{
	for (const char *line = dump; *line != '\0';) {
		char kind[8], name[40];
		const char *eol = line;

		while (*eol != '\0' && *eol != '\n')
			eol++;
		copy_word(kind, field(line, "kind"), sizeof(kind));
		copy_word(name, field(line, "name"), sizeof(name));
		if (starts_with(line, "lockstat v1 begin ")) {
			timebase_hz = num(line, "timebase_hz");
			if (timebase_hz == 0)
				timebase_hz = 1;
		} else if (starts_with(line, "lockstat v1 class ") && nrows < MAX_CLASSES) {
			struct row *r = &rows[nrows++];

			memset(r, 0, sizeof(*r));
			memcpy(r->kind, kind, sizeof(kind));
			memcpy(r->name, name, sizeof(name));
			r->acq = num(line, "acq");
			r->con = num(line, "con");
			r->acq_bounce = num(line, "acq_bounce");
			r->con_bounce = num(line, "con_bounce");
			r->wait_min = num(line, "wait_min");
			r->wait_max = num(line, "wait_max");
			r->wait_total = num(line, "wait_total");
			r->hold_min = num(line, "hold_min");
			r->hold_max = num(line, "hold_max");
			r->hold_total = num(line, "hold_total");
		} else if (starts_with(line, "lockstat v1 site ")) {
			struct row *r = find(kind, name);

			if (r != NULL && r->nsites < MAX_SITES) {
				r->site_pc[r->nsites] = num(line, "pc");
				r->site_con[r->nsites++] = num(line, "con");
			}
		}
		line = *eol == '\n' ? eol + 1 : eol;
	}
}

/* ticks as microseconds with two decimals, right-aligned in width. */
static void print_us(unsigned long ticks, int width)
{
	unsigned long hundredths =
	    ticks / timebase_hz * 100000000ul + ticks % timebase_hz * 100000000ul / timebase_hz;
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu.%02lu", hundredths / 100, hundredths % 100);
	printf(" %*s", width, buf);
}

/*
 * A column's average in whole ticks, rounded down (0 without samples), as
 * tools/lockstat/profile.py computes it: waits average over contentions,
 * holds over acquisitions, as in Linux's waittime-avg and holdtime-avg.
 */
static unsigned long avg(unsigned long total, unsigned long count)
{
	return count == 0 ? 0 : total / count;
}

static void print_table(void)
{
	/* Most contended first (insertion sort; ties: most acquisitions first). */
	for (int i = 1; i < nrows; i++) {
		struct row r = rows[i];
		int j = i;

		while (j > 0 && (rows[j - 1].con < r.con ||
				 (rows[j - 1].con == r.con && rows[j - 1].acq < r.acq))) {
			rows[j] = rows[j - 1];
			j--;
		}
		rows[j] = r;
	}
	/* Linux's /proc/lock_stat header, column for column. */
	printf("%-22s %11s %11s %12s %12s %14s %12s %11s %12s %12s %12s %14s %12s\n", "class name",
	       "con-bounces", "contentions", "waittime-min", "waittime-max", "waittime-total",
	       "waittime-avg", "acq-bounces", "acquisitions", "holdtime-min", "holdtime-max",
	       "holdtime-total", "holdtime-avg");
	for (int i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		char label[48];

		snprintf(label, sizeof(label), "%s%s", r->name,
			 strcmp(r->kind, "sleep") == 0 ? " (sleep)" : "");
		printf("%-22s %11lu %11lu", label, r->con_bounce, r->con);
		print_us(r->wait_min, 12);
		print_us(r->wait_max, 12);
		print_us(r->wait_total, 14);
		print_us(avg(r->wait_total, r->con), 12);
		printf(" %11lu %12lu", r->acq_bounce, r->acq);
		print_us(r->hold_min, 12);
		print_us(r->hold_max, 12);
		print_us(r->hold_total, 14);
		print_us(avg(r->hold_total, r->acq), 12);
		printf("\n");
		for (int s = 0; s < r->nsites; s++)
			printf("    %9lu  [<%#lx>]\n", r->site_con[s], r->site_pc[s]);
	}
	printf("times in us (timebase %lu Hz); %d classes\n", timebase_hz, nrows);
}

int main(int argc, char **argv)
{
	static char dump[DUMP_MAX];
	int reset = 0, raw = 0;
	long n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-r") == 0) {
			reset = 1;
		} else if (strcmp(argv[i], "-d") == 0) {
			raw = 1;
		} else {
			fprintf(2, "usage: lockstat [-r] [-d]\n");
			return 2;
		}
	}
	if (reset && !raw) {
		if ((n = lockstat(0, 0, LOCKSTAT_RESET)) < 0) {
			fprintf(2, "lockstat: reset failed: %ld\n", n);
			return 1;
		}
		printf("lockstat: statistics reset\n");
		return 0;
	}
	if ((n = lockstat(dump, sizeof(dump), reset ? LOCKSTAT_RESET : 0)) < 0) {
		fprintf(2, "lockstat: %ld\n", n);
		return 1;
	}
	if (starts_with(dump, "lockstat v1 off")) {
		fprintf(2, "lockstat: this kernel was built without lock statistics\n");
		return 1;
	}
	if (raw) {
		/* One write per line, so the host tools find whole records. */
		for (char *line = dump, *p = dump; *p != '\0'; p++)
			if (*p == '\n') {
				write(1, line, (int)(p + 1 - line));
				line = p + 1;
			}
		return 0;
	}
	parse(dump);
	print_table();
	return 0;
}
