#!/usr/bin/env python3
"""thp.py: issue 23's figures: 2 MiB megapages (thp=on) against 4 KiB pages only (thp=off),
one image, both boot options, in one run.

    tools/bench/thp.py [--bin bazel-bin] [--rounds N] [--reps R] [--icount-rounds N]
                       [--mega-reps R] [--mib 64 1024] [--heap 64] [--smp 1]
                       [--no-sifive] [--out bench]

Every boot is //:kernel with `thp=on` or `thp=off` on its command line; the two alternate boot
by boot (on off on off ...), so that a noisy host slows both alike. A round is:

  virt      -M virt --mem 2G (guest time, the time CSR, 10 MHz):
              forkbench fork -r REPS MIB...   fork+exit+wait with MIB resident (sbrk'd heap,
                                              every page written before each fork), and how
                                              the heap was mapped (megapages, fallbacks)
              forkbench touch -r REPS HEAP    sbrk(HEAP MiB) from a 2 MiB boundary, then one
                                              store per page, with the page faults it took
              forkbench read -r REPS HEAP     one word per page, then every word, of the heap
              forkbench mega -r MREPS         the megapage write fault (below), in guest time
  sifive_u  -M sifive_u --mem 2G -smp 2 (one U54 hart; the time CSR at 1 MHz): forkbench read
            and touch as above (--no-sifive leaves it out)

and, in the first --icount-rounds rounds (default 1: the counts are the same every time), one
deterministic boot per option (-icount shift=3, one hart: instructions):

  icount      forkbench -i mega -r MREPS      a store to one page of a shared megapage (the
                                              split + the 4 KiB COW copy), the next store in
                                              the same 2 MiB (a 4 KiB COW copy), the whole
                                              reuse when the child is gone; thp=off: the same
                                              stores on 4 KiB pages (a table fork shared)
              forkbench -i touch -r 3 HEAP    and -i fork -r 3 MIB...: the same in instructions

Figures are medians over rounds of each boot's median (icount: of the one boot). Ratios are
thp=off / thp=on (above 1: megapages are cheaper). Prints the tables and writes OUT/thp.json
(every record) and OUT/thp.md. Needs the images built: bazel build //:kernel //user:boot.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suite  # noqa: E402 (the boot runner the other cases use)

OPTS = ["thp=on", "thp=off"]


def plan(args):
    """The boots, round by round, thp=on and thp=off alternating within each part."""
    virt = ("forkbench fork -r %d %s ; forkbench touch -r %d %d ; forkbench read -r %d %d ; "
            "forkbench mega -r %d" % (args.reps, " ".join(map(str, args.mib)), args.reps,
                                      args.heap, args.reps, args.heap, args.mega_reps))
    sifive = "forkbench read -r %d %d ; forkbench touch -r %d %d" % (args.reps, args.heap,
                                                                      args.reps, args.heap)
    icount = "forkbench -i mega -r %d ; forkbench -i touch -r 3 %d ; forkbench -i fork -r 3 %s" % (
        args.mega_reps, args.heap, " ".join(map(str, args.mib)))
    # A boot's estimate (s): the 1 GiB fork dominates (about 1 s a rep on this host).
    est_virt = 5 + args.reps * (1 + sum(args.mib) / 1024.0)
    boots = []
    for r in range(args.rounds):
        parts = [("virt", dict(smp=args.smp, est_s=est_virt, run=virt, mem="2G"))]
        if not args.no_sifive:
            parts.append(("sifive_u", dict(smp=2, est_s=8, run=sifive, mem="2G",
                                           machine="sifive_u")))
        if r < args.icount_rounds:
            parts.append(("icount", dict(smp=1, est_s=10, run=icount, mem="2G",
                                         deterministic=1)))
        for case, kw in parts:
            for opt in OPTS:
                b = suite.Boot(case, "kernel", append=opt, config=opt, timeout=args.timeout,
                               **kw)
                b.index = r
                boots.append(b)
    return boots


def pick(records, case, config, bench, mib=None):
    return [r for r in records if r.get("case") == case and r.get("config") == config
            and r.get("bench") == bench and (mib is None or r.get("mib") == mib)
            and "error" not in r]


def med(recs, field="median"):
    vals = [r[field] for r in recs if field in r]
    return statistics.median(vals) if vals else None


def per_rep(recs, field):
    """A counter printed as a total over a boot's reps, per rep (median over boots)."""
    vals = [r[field] / float(r.get("n") or r.get("reps") or 1) for r in recs if field in r]
    return statistics.median(vals) if vals else None


def per_fork(recs):
    """The parent's faults per fork (fork_mem: the writes before each fork but the first)."""
    def one(f):
        vals = [r[f] / float(r["reps"] - 1) for r in recs if f in r and r.get("reps", 1) > 1]
        return statistics.median(vals) if vals else None
    parts = [(one("page_faults"), "faults"), (one("mega_whole_reuses"), "whole reuses"),
             (one("wakes"), "tables woken"), (one("cow_reuses"), "4 KiB reuses")]
    if parts[0][0] is None:
        return "-"
    return "%s: %s" % (fnum(parts[0][0]), ", ".join("%s %s" % (fnum(v), label)
                                                    for v, label in parts[1:] if v))


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "insns":
        return "%.0f" % v
    if unit == "ms":
        return "%.2f" % (v / 1e6)
    return "%.1f" % (v / 1000.0)  # ns -> us


def fnum(v, f="%.0f"):
    return "-" if v is None else f % v


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(x):
    return "-" if x is None else ("%.2fx" % x if x < 10 else "%.0fx" % x)


def tables(records, args):
    md, summary = [], {}

    # 1. fork+exit+wait.
    md += ["### fork+exit+wait, MIB resident (a heap from sbrk, every page written before each "
           "fork)", "",
           "| MiB | thp=on (us) | thp=off (us) | off / on | thp=on (insns) | thp=off (insns) "
           "| off / on | megapages mapped (on; off) | fallbacks (on) | the parent's faults "
           "per fork, thp=on | ... thp=off |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for mib in args.mib:
        t = {c: med(pick(records, "virt", c, "fork_exit_wait", mib)) for c in OPTS}
        i = {c: med(pick(records, "icount", c, "fork_exit_wait", mib)) for c in OPTS}
        mem = {c: pick(records, "virt", c, "fork_mem", mib) for c in OPTS}
        summary.setdefault("fork", {})[mib] = {"us": t, "insns": i}
        md.append("| %d | %s | %s | %s | %s | %s | %s | %s; %s | %s | %s | %s |" % (
            mib, fmt(t["thp=on"], "us"), fmt(t["thp=off"], "us"),
            fmt_ratio(ratio(t["thp=off"], t["thp=on"])), fmt(i["thp=on"], "insns"),
            fmt(i["thp=off"], "insns"), fmt_ratio(ratio(i["thp=off"], i["thp=on"])),
            fnum(med(mem["thp=on"], "mega_maps")), fnum(med(mem["thp=off"], "mega_maps")),
            fnum(med(mem["thp=on"], "mega_fallbacks")), per_fork(mem["thp=on"]),
            per_fork(mem["thp=off"])))
    md += ["", "Fork walks the same number of entries in both modes with page tables shared "
           "(issue 20): one megapage leaf per 2 MiB with thp=on, one level-0 table linked per "
           "2 MiB with thp=off. The heap starts where the program's data ends, not on a 2 MiB "
           "boundary, so its first and last partial 2 MiB are 4 KiB pages in both modes. The "
           "parent's faults are those of its writes before the next fork (untimed; counted "
           "over every fork but the last): a whole reuse per megapage (thp=on) or a dormant "
           "table link woken and taken over per 2 MiB (thp=off), plus 4 KiB reuses of the "
           "pages below the heap's first 2 MiB boundary (a table that the parent's other "
           "accesses woke first, so its leaves were write-protected one by one). The two "
           "clocks need not agree: instructions are kine's work, guest time is QEMU's host "
           "time, and where thp=on runs fewer instructions yet takes longer the difference is "
           "in how QEMU emulates them (BENCHMARKS.md, \"Megapages\").", ""]

    # 2. First mapping of a heap.
    h = args.heap
    md += ["### Mapping a %d MiB heap and its first touch: sbrk(%d MiB) from a 2 MiB boundary, "
           "then one store per page" % (h, h), "",
           "| what | thp=on | thp=off | off / on |", "| --- | ---: | ---: | ---: |"]
    for machine, case in [("virt", "virt"), ("sifive_u", "sifive_u")]:
        for bench, what in [("touch_sbrk", "sbrk (thp=on: reserves; thp=off: maps and zeroes)"),
                            ("touch_stores", "the stores"), ("touch", "sbrk + stores")]:
            v = {c: med(pick(records, case, c, bench, h)) for c in OPTS}
            if v["thp=on"] is None and v["thp=off"] is None:
                continue
            summary.setdefault("touch", {}).setdefault(case, {})[bench] = v
            md.append("| %s, %s (ms) | %s | %s | %s |" % (
                machine, what, fmt(v["thp=on"], "ms"), fmt(v["thp=off"], "ms"),
                fmt_ratio(ratio(v["thp=off"], v["thp=on"]))))
    for bench, what in [("touch_sbrk", "sbrk"), ("touch_stores", "the stores"),
                        ("touch", "sbrk + stores")]:
        v = {c: med(pick(records, "icount", c, bench, h)) for c in OPTS}
        summary.setdefault("touch", {}).setdefault("icount", {})[bench] = v
        md.append("| %s (instructions) | %s | %s | %s |" % (
            what, fmt(v["thp=on"], "insns"), fmt(v["thp=off"], "insns"),
            fmt_ratio(ratio(v["thp=off"], v["thp=on"]))))
    tr = {c: pick(records, "virt", c, "touch", h) + pick(records, "icount", c, "touch", h)
          for c in OPTS}
    faults = {c: per_rep(tr[c], "page_faults") for c in OPTS}
    maps = {c: per_rep(tr[c], "maps") for c in OPTS}
    summary["touch_faults_per_mib"] = {c: None if faults[c] is None else faults[c] / h
                                       for c in OPTS}
    md += ["| page faults per MiB | %s | %s | |" % (
               fnum(summary["touch_faults_per_mib"]["thp=on"], "%.1f"),
               fnum(summary["touch_faults_per_mib"]["thp=off"], "%.1f")),
           "| megapages mapped per sbrk | %s | %s | |" % (fnum(maps["thp=on"]),
                                                          fnum(maps["thp=off"])),
           "", "With thp=on, `sbrk` only reserves each 2 MiB (a lazy slot, no frame), and the "
           "first store in each 2 MiB faults once and fills it with a zeroed megapage: 0.5 "
           "faults per MiB, and the zeroing moves from `sbrk` into the stores. With thp=off, "
           "`sbrk` maps and zeroes 512 frames per 2 MiB (and a table's worth of PTEs) at once, "
           "and the stores take **no fault**: kine has no first-touch fault for 4 KiB pages, so "
           "issue 23's \"0.5 against 256 faults per MiB\" is 0.5 against 0 here, the 4 KiB "
           "side's cost sitting in `sbrk` (docs/cow.md, \"Not done yet\"). The totals row "
           "compares the two ways whole.",
           ""]

    # 3. The write fault on a shared megapage.
    md += ["### A write fault on a shared megapage (instructions under -icount, one hart)", "",
           "| store | thp=on | thp=off | off / on | counters per store, thp=on "
           "| counters per store, thp=off |", "| --- | ---: | ---: | ---: | --- | --- |"]
    rows = [("mega_plain_store", "a store that does not fault (for scale)"),
            ("mega_split_store", "first store to a page of a shared 2 MiB (child alive)"),
            ("mega_split_next", "the next store, another page of that 2 MiB"),
            ("mega_reuse_store", "first store after the child exited (only owner)")]

    def counters(recs):
        if not recs:
            return "-"
        names = [("page_faults", "faults"), ("splits", "splits"), ("cow_copies", "4 KiB copies"),
                 ("table_copies", "table copies"), ("whole_reuses", "whole reuses"),
                 ("cow_reuses", "4 KiB reuses"), ("takeovers", "tables taken over")]
        out = []
        for f, label in names:
            v = per_rep(recs, f)
            if v:
                out.append("%s %s" % (("%.0f" if v == int(v) else "%.2f") % v, label))
        return ", ".join(out) or "none"

    for case, unit in [("icount", "insns"), ("virt", "us")]:
        if case == "virt":
            md += ["", "The same in guest time on virt (us; with a whole-ASID shootdown's "
                   "QEMU-wide TLB flush in it):", "",
                   "| store | thp=on | thp=off | off / on |", "| --- | ---: | ---: | ---: |"]
        for bench, what in rows:
            recs = {c: pick(records, case, c, bench) for c in OPTS}
            v = {c: med(recs[c]) for c in OPTS}
            summary.setdefault("mega", {}).setdefault(case, {})[bench] = v
            if case == "icount":
                md.append("| %s | %s | %s | %s | %s | %s |" % (
                    what, fmt(v["thp=on"], unit), fmt(v["thp=off"], unit),
                    fmt_ratio(ratio(v["thp=off"], v["thp=on"])), counters(recs["thp=on"]),
                    counters(recs["thp=off"])))
            else:
                md.append("| %s | %s | %s | %s |" % (
                    what, fmt(v["thp=on"], unit), fmt(v["thp=off"], unit),
                    fmt_ratio(ratio(v["thp=off"], v["thp=on"]))))
    ic = summary["mega"]["icount"]
    split, nxt = ic["mega_split_store"]["thp=on"], ic["mega_split_next"]["thp=on"]
    md += ["", "With thp=on the first store splits the megapage (a table of 512 COW leaves "
           "over the same block, a whole-ASID shootdown) and then copies 4 KiB, not 2 MiB: "
           "%s instructions, %s the next store's plain 4 KiB copy (%s); a 2 MiB copy "
           "alone would be about 512 times that copy. With thp=off the first store in a 2 MiB "
           "that fork shared (issue 20) copies the level-0 table, then the page. The only "
           "owner's store makes the megapage writable whole (no copy, no split), after "
           "checking that each of the block's 512 frames has no other reference "
           "(`block_owned_alone`): that scan is why it costs more than thp=off's table "
           "takeover." % (fnum(split), fmt_ratio(ratio(split, nxt)), fnum(nxt)), ""]

    # 4. Reading a heap.
    md += ["### Reading a %d MiB heap (every page written first; megapages on: 32 of them)" % h,
           "", "| machine | read | thp=on (ms) | thp=off (ms) | off / on |",
           "| --- | --- | ---: | ---: | ---: |"]
    for case in ["virt", "sifive_u"]:
        for bench, what in [("read_pages", "one word per page"), ("read_words", "every word")]:
            v = {c: med(pick(records, case, c, bench, h)) for c in OPTS}
            if v["thp=on"] is None and v["thp=off"] is None:
                continue
            summary.setdefault("read", {}).setdefault(case, {})[bench] = v
            md.append("| %s | %s | %s | %s | %s |" % (
                case, what, fmt(v["thp=on"], "ms"), fmt(v["thp=off"], "ms"),
                fmt_ratio(ratio(v["thp=off"], v["thp=on"]))))
    md += ["", "**This is not the board's figure.** QEMU's software TLB is not the U74's "
           "40-entry data TLB: it is a host-side cache of guest translations with thousands "
           "of entries, kept per 4 KiB page (as we understand QEMU 7.2, a megapage's pages "
           "are still filled one by one; what a megapage saves QEMU is a level of its "
           "page walk at each refill), emptied by every `sfence.vma` and ASID change. So the "
           "ratios above are QEMU's refill costs, and the 160 KiB against 80 MiB of TLB reach "
           "that motivates megapages on the HiFive Unmatched does not show here. sifive_u is "
           "QEMU's closest model of the board (U54 harts, its 1 MHz timebase), not a model of "
           "its caches or TLB. Measure on the board for the real figure.", ""]
    return md, summary


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(HERE, "..", "..", "bazel-bin"),
                   help="bazel-bin: kernel.elf and user/boot.cpio")
    p.add_argument("--rounds", type=int, default=15, help="timed boots per option and machine")
    p.add_argument("--icount-rounds", dest="icount_rounds", type=int, default=1,
                   help="deterministic boots per option (their counts repeat exactly)")
    p.add_argument("--reps", type=int, default=7, help="forks, heaps, reads per size and boot")
    p.add_argument("--mega-reps", dest="mega_reps", type=int, default=25,
                   help="fresh megapages per boot for the write-fault case")
    p.add_argument("--mib", type=int, nargs="+", default=[64, 1024],
                   help="resident sizes for fork+exit+wait")
    p.add_argument("--heap", type=int, default=64, help="MiB of the heap touched and read")
    p.add_argument("--smp", type=int, default=1, help="harts of the virt timed boots")
    p.add_argument("--no-sifive", dest="no_sifive", action="store_true",
                   help="leave out the sifive_u boots")
    p.add_argument("--timeout", type=int, default=900, help="per boot, seconds")
    p.add_argument("--out", default="bench")
    args = p.parse_args()
    start = time.monotonic()
    load0 = os.getloadavg()[0]
    boots = plan(args)
    records, failed = suite.run_alternating(boots, args.bin, "thp")
    load1 = os.getloadavg()[0]
    md, summary = tables(records, args)
    meta = ("%s; %s; %s; //:kernel with thp=on and thp=off alternating, %d round(s) "
            "(virt --mem 2G -smp %d%s), %d icount round(s); %d boots in %.0f s; host load "
            "average (1 min) %.1f at the start, %.1f at the end%s"
            % (time.strftime("%Y-%m-%d %H:%M %Z"), suite_qemu(), host(), args.rounds, args.smp,
               "" if args.no_sifive else ", sifive_u --mem 2G -smp 2", args.icount_rounds,
               len(boots), time.monotonic() - start, load0, load1,
               "; FAILED boots: %s" % ", ".join(failed) if failed else ""))
    cmds = ["Boots (each with `thp=on` or `thp=off` before `--`):", ""]
    seen = set()
    for b in boots:
        key = (b.case, b.run)
        if key not in seen:
            seen.add(key)
            cmds.append("- %s: `%s`" % (b.case, b.run))
    text = "\n".join(["## Megapages (issue 23)", "", meta, ""] + cmds + [""] + md)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "thp.json"), "w") as f:
        json.dump({"meta": meta, "summary": jsonable(summary), "records": records}, f, indent=1)
    with open(os.path.join(args.out, "thp.md"), "w") as f:
        f.write(text + "\n")
    print("thp: wrote %s/thp.json and .md" % args.out, file=sys.stderr)
    return 1 if failed else 0


def jsonable(x):
    """The summary with its integer keys as strings (JSON object keys)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    return x


def suite_qemu():
    import bench
    return bench.qemu_version()


def host():
    import bench
    return bench.host_description()


if __name__ == "__main__":
    sys.exit(main())
