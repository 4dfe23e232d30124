/*
 * cowstat: print kine's copy-on-write and frame allocator counters.
 *
 *	cowstat        the counters since boot
 *	cowstat -s     settle first (empty the per-hart caches), then print
 *
 * help: copy-on-write and frame allocator counters (-s: settle first)
 */
#include <kine/user.h>

int main(int argc, char **argv)
{
	struct kine_memstat ms;
	int settle = argc > 1 && argv[1][0] == '-' && argv[1][1] == 's';

	if (memstat(&ms, settle) < 0) {
		fprintf(2, "cowstat: memstat failed\n");
		return 1;
	}
	printf("cow faults    %lu\n", (unsigned long)ms.cow_faults);
	printf("  copies      %lu\n", (unsigned long)ms.cow_copies);
	printf("  reuses      %lu\n", (unsigned long)ms.cow_reuses);
	printf("overlaps      %lu\n", (unsigned long)ms.cow_overlaps);
	printf("last frees    %lu (old frames a copy freed: the other sharers were gone)\n",
	       (unsigned long)ms.cow_last_frees);
	printf("  untouched   %lu (copies of pages no hart had read since fork: no shootdown)\n",
	       (unsigned long)ms.cow_untouched);
	printf("busy waits    %lu (for another fault's shootdown of the same process)\n",
	       (unsigned long)ms.cow_busy_waits);
	printf(
	    "fork waits    %lu (copies that waited for a fork's shootdown of the same process)\n",
	    (unsigned long)ms.cow_fork_waits);
	printf("shootdowns    %lu to %lu remote harts; %lu local only; %lu whole-ASID\n",
	       (unsigned long)ms.tlb_shootdowns, (unsigned long)ms.tlb_harts,
	       (unsigned long)ms.tlb_local_only, (unsigned long)ms.tlb_full_asid);
	printf("switch flushes %lu, ASID rollovers %lu\n", (unsigned long)ms.tlb_switch_flushes,
	       (unsigned long)ms.asid_rollovers);
	printf("table pages   %lu retired, %lu freed; %lu whole-ASID shootdowns for them\n",
	       (unsigned long)ms.pt_retired, (unsigned long)ms.pt_freed,
	       (unsigned long)ms.tlb_table_flushes);
	printf("fork          %lu tables shared, %lu leaves copied one by one\n",
	       (unsigned long)ms.ptshare_links, (unsigned long)ms.fork_leaves);
	printf("shared tables %lu woken, %lu protected, %lu copied, %lu taken over, %lu freed, "
	       "%lu unmapped whole\n",
	       (unsigned long)ms.ptshare_wakes, (unsigned long)ms.ptshare_protects,
	       (unsigned long)ms.ptshare_copies, (unsigned long)ms.ptshare_takeovers,
	       (unsigned long)ms.ptshare_frees, (unsigned long)ms.ptshare_drops);
	printf("first touch   %lu 2 MiB slots reserved by sbrk and mmap, %lu filled at their "
	       "first touch\n",
	       (unsigned long)ms.mega_reserves, (unsigned long)ms.mega_fills);
	printf("megapages     %lu mapped, %lu fallbacks to 4 KiB, %lu split, %lu reused whole, "
	       "%lu blocks freed whole, %lu in parts\n",
	       (unsigned long)ms.mega_maps, (unsigned long)ms.mega_fallbacks,
	       (unsigned long)ms.mega_splits, (unsigned long)ms.mega_whole_reuses,
	       (unsigned long)ms.mega_whole_frees, (unsigned long)ms.mega_part_frees);
	printf("table locks   %lu finds started over (link changed), %lu frees waited for a walk\n",
	       (unsigned long)ms.ptlock_retries, (unsigned long)ms.ptlock_grace_waits);
	if (ms.audit_runs + ms.audit_skipped != 0)
		printf("count audits  %lu run (the last: %lu tables, %lu frames), %lu skipped\n",
		       (unsigned long)ms.audit_runs, (unsigned long)ms.audit_tables,
		       (unsigned long)ms.audit_frames, (unsigned long)ms.audit_skipped);
	printf("frames free   %lu of %lu (%lu in per-hart caches)\n", (unsigned long)ms.free,
	       (unsigned long)ms.managed, (unsigned long)ms.cached);
	printf("frame allocs  %lu, frees %lu (%lu on another hart), global lock %lu, refills %lu, "
	       "drains %lu, cache lock waits %lu\n",
	       (unsigned long)ms.allocs, (unsigned long)ms.frees, (unsigned long)ms.remote_frees,
	       (unsigned long)ms.global_lock, (unsigned long)ms.refills, (unsigned long)ms.drains,
	       (unsigned long)ms.cache_lock_waits);
	return ms.cow_faults == ms.cow_copies + ms.cow_reuses ? 0 : 1;
}
