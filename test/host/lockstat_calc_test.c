/*
 * lockstat_calc_test.c: the arithmetic of lock statistics
 * (src/sync/lockstat_calc.c): counting, minimums of nothing, the epoch
 * reset, merging harts (sums, min/max, call sites pooled and ranked), and
 * the dump's record lines.
 */
#include <stdio.h>
#include <string.h>

#include "src/sync/lockstat_calc.h"
#include "test/host/check.h"

static void test_note(void)
{
	struct lockstat_counts c;

	lockstat_counts_reset(&c, 1);
	CHECK(c.wait_min == LOCKSTAT_NO_MIN && c.hold_min == LOCKSTAT_NO_MIN);
	lockstat_note_acquire(&c, false, false, 99, 0x10);
	lockstat_note_acquire(&c, true, true, 7, 0x20);
	lockstat_note_acquire(&c, true, false, 3, 0x20);
	lockstat_note_acquire(&c, true, true, 11, 0x30);
	lockstat_note_hold(&c, 5);
	lockstat_note_hold(&c, 2);
	CHECK(c.acq == 4 && c.con == 3 && c.acq_bounce == 2 && c.con_bounce == 2);
	/* Wait times count contentions only: 99 was uncontended. */
	CHECK(c.wait_min == 3 && c.wait_max == 11 && c.wait_total == 21);
	CHECK(c.hold_min == 2 && c.hold_max == 5 && c.hold_total == 7 && c.holds == 2);
	CHECK(c.sites[0].pc == 0x20 && c.sites[0].count == 2);
	CHECK(c.sites[1].pc == 0x30 && c.sites[1].count == 1);
	CHECK(c.sites[2].pc == 0);
}

static void test_sites_overflow(void)
{
	struct lockstat_counts c;

	lockstat_counts_reset(&c, 1);
	for (uintptr_t pc = 1; pc <= LOCKSTAT_SITES + 2; pc++)
		lockstat_note_acquire(&c, true, false, 1, pc * 0x100);
	CHECK(c.sites_other == 2);
	lockstat_note_acquire(&c, true, false, 1, 0x100);
	CHECK(c.sites[0].count == 2 && c.sites_other == 2);
}

static void test_epoch(void)
{
	struct lockstat_counts c;

	lockstat_counts_reset(&c, 1);
	lockstat_note_acquire(&c, true, true, 5, 0x40);
	lockstat_counts_begin(&c, 1);
	CHECK(c.acq == 1);
	lockstat_counts_begin(&c, 2);
	CHECK(c.acq == 0 && c.epoch == 2 && c.wait_min == LOCKSTAT_NO_MIN && c.sites[0].pc == 0);
}

static void test_merge(void)
{
	struct lockstat_counts a, b, sum;

	lockstat_counts_reset(&a, 3);
	lockstat_counts_reset(&b, 3);
	lockstat_counts_reset(&sum, 3);
	for (int i = 0; i < 5; i++)
		lockstat_note_acquire(&a, true, i & 1, 10 + i, 0xa0);
	lockstat_note_acquire(&a, true, false, 1, 0xb0);
	for (int i = 0; i < 4; i++)
		lockstat_note_acquire(&b, true, true, 100, 0xb0);
	lockstat_note_acquire(&b, true, false, 2, 0xc0);
	lockstat_note_acquire(&b, true, false, 2, 0xd0);
	lockstat_note_acquire(&b, true, false, 2, 0xe0);
	lockstat_note_acquire(&b, false, false, 0, 0);
	lockstat_note_hold(&a, 9);
	lockstat_note_hold(&b, 1);
	lockstat_merge(&sum, &a);
	lockstat_merge(&sum, &b);
	CHECK(sum.acq == 14 && sum.con == 13);
	CHECK(sum.acq_bounce == 6 && sum.con_bounce == 6);
	CHECK(sum.wait_min == 1 && sum.wait_max == 100);
	CHECK(sum.wait_total == 10 + 11 + 12 + 13 + 14 + 1 + 400 + 6);
	CHECK(sum.hold_min == 1 && sum.hold_max == 9 && sum.holds == 2);
	/* 0xb0: 1 + 4 = 5 ties with 0xa0's 5; the lower pc first. */
	CHECK(sum.sites[0].pc == 0xa0 && sum.sites[0].count == 5);
	CHECK(sum.sites[1].pc == 0xb0 && sum.sites[1].count == 5);
	CHECK(sum.sites[2].pc == 0xc0 && sum.sites[3].pc == 0xd0);
	CHECK(sum.sites_other == 1); /* 0xe0 did not fit */

	/* A hart that saw nothing leaves the sum unchanged. */
	lockstat_counts_reset(&a, 3);
	lockstat_merge(&sum, &a);
	CHECK(sum.wait_min == 1 && sum.acq == 14 && sum.sites[0].pc == 0xa0);
}

static void test_format(void)
{
	struct lockstat_counts c;
	char buf[LOCKSTAT_LINE_MAX];
	int n;

	lockstat_counts_reset(&c, 1);
	lockstat_note_acquire(&c, false, false, 0, 0);
	lockstat_note_hold(&c, 4);
	n = lockstat_format_class(buf, sizeof(buf), "spin", "mm", &c);
	CHECK(n == (int)strlen(buf) && n < LOCKSTAT_LINE_MAX);
	CHECK(strcmp(buf, "lockstat v1 class kind=spin name=mm acq=1 con=0 acq_bounce=0 "
			  "con_bounce=0 wait_min=0 wait_max=0 wait_total=0 hold_min=4 hold_max=4 "
			  "hold_total=4 other_sites=0\n") == 0);
	lockstat_format_begin(buf, sizeof(buf), 10000000, 4, 12);
	CHECK(strcmp(buf, "lockstat v1 begin timebase_hz=10000000 harts=4 classes=12\n") == 0);
	c.sites[0] = (struct lockstat_site){.pc = 0xffffffff80201234ul, .count = 17};
	lockstat_format_site(buf, sizeof(buf), "sleep", "pipe", &c.sites[0]);
	CHECK(strcmp(buf, "lockstat v1 site kind=sleep name=pipe pc=0xffffffff80201234 con=17\n") ==
	      0);
	lockstat_format_end(buf, sizeof(buf));
	CHECK(strcmp(buf, "lockstat v1 end\n") == 0);
}

int main(void)
{
	test_note();
	test_sites_overflow();
	test_epoch();
	test_merge();
	test_format();
	return check_summary("lockstat_calc_test");
}
