/*
 * stress: the copy-on-write race and a fork storm on every hart, for a
 * time or a number of rounds, ending with one line a person can paste
 * into an issue (docs/board.md: what a HiFive Unmatched run looks like).
 *
 *   stress [DURATION | ROUNDS] [HARTS]
 *     DURATION  "90s" or "10m": run rounds until that much time has passed
 *     ROUNDS    a plain number: run exactly that many rounds (default 3)
 *     HARTS     use this many harts (default: every hart kine started)
 *
 * A round is:
 *   race   the parent, pinned to hart 0, forks one child pinned to each
 *          other hart; all meet at a barrier in MAP_SHARED memory, store
 *          their own value into the same inherited page at the same
 *          instant, meet again and read it back: each must see only its
 *          own value (RACE_FORKS times a round)
 *   storm  one worker process per hart, pinned there, forks STORM_FORKS
 *          children in a row; each child checks that it inherited the
 *          worker's pages, overwrites half of them (COW copies), checks
 *          them and exits; the worker checks that its own pages never
 *          changed, then rewrites them (reuses, once the child is gone)
 *
 * The counters are memstat's, taken settled (per-hart caches emptied)
 * before the first round and after the last; the line ends the run:
 *
 *   stress: PASS: 4 harts, 12 rounds in 60 s; cow faults ... free frames
 *   N before, N after
 *
 * or "stress: FAIL (reason): ..." with the same counters; exit status 0
 * on PASS. It passes when no process ever saw another's data, every COW
 * fault was a copy or a reuse, and every frame came back.
 *
 * help: the COW race and a fork storm on every hart, for a time or rounds
 */
#include <kine/barrier.h>
#include <kine/user.h>

#define PAGE        4096
#define WORDS       (PAGE / sizeof(long))
#define MAX_HARTS   64
#define RACE_FORKS  50
#define STORM_FORKS 20
#define STORM_PAGES 16
#define TICKS_HZ    100 /* uptime() ticks a second */

/* How many harts set_affinity accepts (kine numbers them 0..n-1). */
static int count_harts(void)
{
	int n = 0;

	while (n < MAX_HARTS && set_affinity(n) == 0)
		n++;
	set_affinity(-1);
	return n;
}

/* ---- race ---- */

static volatile long race_page[WORDS] __attribute__((aligned(PAGE)));

/* One race: n processes, each pinned to hart i % nharts, write one page. */
static int race_once(struct barrier *b, int nharts, long tag)
{
	int n = b->parties, wrong = 0, status;

	for (int i = 1; i < n; i++) {
		int pid = fork();

		if (pid < 0)
			return n; /* counts as wrong: the round could not run */
		if (pid == 0) {
			long me = tag * MAX_HARTS + i;

			set_affinity(i % nharts);
			barrier_wait(b);
			race_page[0] = me;
			race_page[WORDS - 1] = me;
			barrier_wait(b);
			exit(race_page[0] == me && race_page[WORDS - 1] == me ? 0 : 1);
		}
	}
	long me = tag * MAX_HARTS;

	barrier_wait(b);
	race_page[0] = me;
	race_page[WORDS - 1] = me;
	barrier_wait(b);
	wrong += race_page[0] != me || race_page[WORDS - 1] != me;
	for (int i = 1; i < n; i++)
		if (wait(&status) < 0 || status != 0)
			wrong++;
	return wrong;
}

static int race_round(struct barrier *b, int nharts, int round)
{
	int wrong = 0;

	set_affinity(0);
	for (int f = 0; f < RACE_FORKS; f++)
		wrong += race_once(b, nharts, (long)round * RACE_FORKS + f);
	set_affinity(-1);
	return wrong;
}

/* ---- storm ---- */

static volatile long storm_pages[STORM_PAGES][WORDS] __attribute__((aligned(PAGE)));

static void storm_fill(long v)
{
	for (int p = 0; p < STORM_PAGES; p++) {
		storm_pages[p][0] = v + p;
		storm_pages[p][WORDS - 1] = v + p;
	}
}

/* Pages [from, to) hold v + page index at both ends. */
static int storm_holds(int from, int to, long v)
{
	for (int p = from; p < to; p++)
		if (storm_pages[p][0] != v + p || storm_pages[p][WORDS - 1] != v + p)
			return 0;
	return 1;
}

/* A worker on hart h: STORM_FORKS children; its exit status counts the wrong ones. */
static void storm_worker(int h, int round)
{
	int wrong = 0, status;

	set_affinity(h);
	for (int f = 0; f < STORM_FORKS; f++) {
		long mine = ((long)round * STORM_FORKS + f) * 1000 + h * 100;
		int pid;

		storm_fill(mine);
		pid = fork();
		if (pid == 0) {
			int ok = storm_holds(0, STORM_PAGES, mine);

			/* The first half copied, the second half still shared. */
			for (int p = 0; p < STORM_PAGES / 2; p++) {
				storm_pages[p][0] = -mine - p;
				storm_pages[p][WORDS - 1] = -mine - p;
			}
			for (int p = 0; p < STORM_PAGES / 2; p++)
				ok &= storm_pages[p][0] == -mine - p &&
				      storm_pages[p][WORDS - 1] == -mine - p;
			ok &= storm_holds(STORM_PAGES / 2, STORM_PAGES, mine);
			exit(ok ? 0 : 1);
		}
		if (pid < 0 || wait(&status) != pid || status != 0)
			wrong++;
		wrong += !storm_holds(0, STORM_PAGES, mine);
	}
	exit(wrong > 255 ? 255 : wrong);
}

static int storm_round(int nharts, int round)
{
	int wrong = 0, status, started = 0;

	for (int h = 0; h < nharts; h++) {
		int pid = fork();

		if (pid == 0)
			storm_worker(h, round);
		if (pid < 0)
			wrong++;
		else
			started++;
	}
	for (int i = 0; i < started; i++) {
		if (wait(&status) < 0)
			wrong++;
		else if (status != 0)
			wrong += status > 0 ? status : 1; /* -1: killed */
	}
	return wrong;
}

/* ---- the run ---- */

/* "90s", "10m": ticks; a plain number: rounds. */
static int parse_limit(const char *arg, long *ticks, int *rounds)
{
	int n = atoi(arg);
	size_t len = strlen(arg);

	if (n <= 0 || len == 0)
		return -1;
	if (arg[len - 1] == 's')
		*ticks = (long)n * TICKS_HZ;
	else if (arg[len - 1] == 'm')
		*ticks = (long)n * 60 * TICKS_HZ;
	else if (arg[len - 1] >= '0' && arg[len - 1] <= '9')
		*rounds = n;
	else
		return -1;
	return 0;
}

static unsigned long delta(uint64_t after, uint64_t before)
{
	return (unsigned long)(after - before);
}

int main(int argc, char **argv)
{
	struct kine_memstat before, after;
	struct barrier *b;
	long ticks = 0, start, elapsed;
	int rounds = 3, nharts = count_harts(), done = 0, wrong_race = 0, wrong_storm = 0;

	if (argc > 1 && parse_limit(argv[1], &ticks, &rounds) < 0) {
		printf("usage: stress [SECONDSs | MINUTESm | ROUNDS] [HARTS]\n");
		return 2;
	}
	if (argc > 2) {
		int want = atoi(argv[2]);
		if (want < 1 || want > nharts) {
			printf("stress: HARTS must be 1 to %d\n", nharts);
			return 2;
		}
		nharts = want;
	}
	b = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	if (b == (void *)-1) {
		printf("stress: FAIL (mmap of the barrier page)\n");
		return 1;
	}
	barrier_init(b, nharts > 1 ? nharts : 2);
	/* Touch every page the rounds write, so "before" already counts them. */
	race_page[0] = 0;
	storm_fill(0);
	if (ticks)
		printf("stress: %d harts, for %ld s\n", nharts, ticks / TICKS_HZ);
	else
		printf("stress: %d harts, %d rounds\n", nharts, rounds);
	memstat(&before, 1);
	start = uptime();
	for (;;) {
		elapsed = uptime() - start;
		if (ticks ? elapsed >= ticks : done >= rounds)
			break;
		int r = race_round(b, nharts, done);
		int s = storm_round(nharts, done);

		wrong_race += r;
		wrong_storm += s;
		done++;
		/* One line a round: a board run that hangs still shows how far it got. */
		printf("stress: round %d: race %d wrong, storm %d wrong, %ld s\n", done, r, s,
		       (uptime() - start) / TICKS_HZ);
	}
	elapsed = uptime() - start;
	memstat(&after, 1);

	unsigned long faults = delta(after.cow_faults, before.cow_faults);
	unsigned long copies = delta(after.cow_copies, before.cow_copies);
	unsigned long reuses = delta(after.cow_reuses, before.cow_reuses);
	const char *why = wrong_race || wrong_storm   ? "a process saw another's data"
			  : faults != copies + reuses ? "faults != copies + reuses"
			  : after.free != before.free ? "frames leaked"
			  : done == 0                 ? "no round ran"
						      : NULL;

	printf("stress: %s%s%s: %d harts, %d rounds in %ld s; wrong %d race + %d storm; cow faults "
	       "%lu = copies %lu + reuses %lu, overlaps %lu; shootdowns %lu to %lu harts, %lu "
	       "local; ASID rollovers %lu; free frames %lu before, %lu after\n",
	       why ? "FAIL (" : "PASS", why ? why : "", why ? ")" : "", nharts, done,
	       elapsed / TICKS_HZ, wrong_race, wrong_storm, faults, copies, reuses,
	       delta(after.cow_overlaps, before.cow_overlaps),
	       delta(after.tlb_shootdowns, before.tlb_shootdowns),
	       delta(after.tlb_harts, before.tlb_harts),
	       delta(after.tlb_local_only, before.tlb_local_only),
	       delta(after.asid_rollovers, before.asid_rollovers), (unsigned long)before.free,
	       (unsigned long)after.free);
	return why ? 1 : 0;
}
