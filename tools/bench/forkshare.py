#!/usr/bin/env python3
"""forkshare.py: issue 20's figures: fork with level-0 tables shared, against per-page COW
fork and the eager copy, in one run.

    tools/bench/forkshare.py [--bin bazel-bin] [--icount] [--rounds N] [--reps R]
                             [--mib 0 1 16 64 256 1024] [--wmib 256] [--out bench]

Three boots of `--mem 2G`, alternating round by round (A B C A B C ...) so that a noisy host
slows them alike:

  sharing   //:kernel (fork shares level-0 tables: ptshare=on, the default)
  per-page  //:kernel with the boot option ptshare=off (per-page copy-on-write fork)
  eager     //:kernel_eager (fork copies every private page)

The first two boot with thp=off: issue 20's figures are of 4 KiB pages in tables (with
megapages, a heap forks as one PTE per 2 MiB whatever the mode; ./kine bench thp).

Each runs `forkbench [-i] share -r REPS -w WMIB MIB...` (user/forkbench.c): fork+exit+wait
and fork+exec+wait with MIB MiB resident (every page written just before each fork), the
ptshare counters of a fork (tables linked, leaves copied), then for sizes up to WMIB one fork
whose child reads every page and then writes every page (timed in the child) and the frames
the child holds at fork, after its reads and after its writes (memstat with settle).

--icount boots deterministically (-icount shift=3, one hart) and reports instructions, the
same from run to run; without it, guest time in microseconds (the time CSR), medians over
rounds of the per-boot medians. The eager image cannot fork 1 GiB in 2 GiB of RAM (it needs
a second GiB for the copy): its row says so.

Prints the tables and the targets of issue 20, and writes OUT/forkshare.json (every record)
and OUT/forkshare.md. Needs the images built: bazel build //:kernel //:kernel_eager //user:boot.
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

CONFIGS = [
    # name, image, boot options. thp=off: issue 20's figures are of 4 KiB pages in
    # tables (with megapages a heap forks as one PTE per 2 MiB in every mode;
    # ./kine bench thp measures that).
    ("sharing", "kernel", "thp=off"),
    ("per-page", "kernel", "thp=off ptshare=off"),
    ("eager", "kernel_eager", None),
]
NAMES = [c[0] for c in CONFIGS]


def plan(args):
    run = "forkbench %sshare -r %d -w %d %s" % ("-i " if args.icount else "", args.reps,
                                                 args.wmib, " ".join(map(str, args.mib)))
    # A boot's estimate: the per-page child writes dominate (about 10 us a page, 3 x WMIB).
    est = 30 + (3 * args.wmib * 256 * 10e-6) * 3
    return suite.alternate("forkshare", CONFIGS, args.rounds, smp=args.smp, est_s=est,
                           run=run, mem="2G", timeout=args.timeout,
                           deterministic=1 if args.icount else None)


def collect(records):
    """{(config, bench, mib): [records]}"""
    out = {}
    for r in records:
        if "mib" in r:
            out.setdefault((r["config"], r["bench"], r["mib"]), []).append(r)
    return out


def med(recs, field="median"):
    vals = [r[field] for r in recs if field in r and "error" not in r]
    return statistics.median(vals) if vals else None


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "insns":
        return "%.0f" % v
    return "%.1f" % (v / 1000.0)  # ns -> us


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(x):
    return "-" if x is None else ("%.2fx" % x if x < 10 else "%.0fx" % x)


def tables(records, args):
    by = collect(records)
    unit = "insns" if args.icount else "ns"
    u = "instructions" if args.icount else "us"
    md = []
    summary = {}

    for bench, title in [("share_fork_exit_wait", "fork+exit+wait"),
                         ("share_fork_exec", "fork+exec+wait")]:
        md += ["### %s (%s, median)" % (title, u), "",
               "| MiB resident | sharing | per-page COW | eager | per-page / sharing "
               "| eager / sharing | tables linked | leaves copied (sharing; per-page) |",
               "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for mib in args.mib:
            v = {c: med(by.get((c, bench, mib), [])) for c in NAMES}
            errs = [c for c in NAMES
                    if any("error" in r for r in by.get((c, bench, mib), []))]
            links = med(by.get(("sharing", bench, mib), []), "links")
            leaves = med(by.get(("sharing", bench, mib), []), "leaves")
            pp_leaves = med(by.get(("per-page", bench, mib), []), "leaves")
            summary.setdefault(bench, {})[mib] = v
            eager = fmt(v["eager"], unit) if "eager" not in errs else "fork fails (no RAM)"
            md.append("| %d | %s | %s | %s | %s | %s | %s | %s; %s |" % (
                mib, fmt(v["sharing"], unit), fmt(v["per-page"], unit), eager,
                fmt_ratio(ratio(v["per-page"], v["sharing"])),
                fmt_ratio(ratio(v["eager"], v["sharing"])),
                "-" if links is None else "%.0f" % links,
                "-" if leaves is None else "%.0f" % leaves,
                "-" if pp_leaves is None else "%.0f" % pp_leaves))
        md.append("")

    md += ["### After one fork: the child reads every page, then writes every page "
           "(%s, median)" % u, "",
           "| MiB | read: sharing | per-page | sharing / per-page | write: sharing | per-page "
           "| sharing / per-page | eager write | tables copied by the writes (sharing) |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for mib in [m for m in args.mib if m <= args.wmib and m > 0]:
        rd = {c: med(by.get((c, "share_child_read", mib), [])) for c in NAMES}
        wr = {c: med(by.get((c, "share_child_write", mib), [])) for c in NAMES}
        cp = med(by.get(("sharing", "share_child_write", mib), []), "copies")
        summary.setdefault("read", {})[mib] = rd
        summary.setdefault("write", {})[mib] = wr
        md.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            mib, fmt(rd["sharing"], unit), fmt(rd["per-page"], unit),
            fmt_ratio(ratio(rd["sharing"], rd["per-page"])), fmt(wr["sharing"], unit),
            fmt(wr["per-page"], unit), fmt_ratio(ratio(wr["sharing"], wr["per-page"])),
            fmt(wr["eager"], unit), "-" if cp is None else "%.0f" % cp))
    md.append("")

    md += ["### Frames a forked child holds (memstat, settled): at fork, after reading, "
           "after writing every page", "",
           "| MiB | sharing | per-page COW | eager |", "| ---: | ---: | ---: | ---: |"]
    for mib in [m for m in args.mib if m <= args.wmib]:
        cells = []
        for c in NAMES:
            f = by.get((c, "share_frames", mib), [])
            if not f:
                cells.append("-")
                continue
            cells.append("%.0f / %.0f / %.0f" % (med(f, "at_fork"), med(f, "after_read"),
                                                 med(f, "after_write")))
        summary.setdefault("frames", {})[mib] = cells
        md.append("| %d | %s |" % (mib, " | ".join(cells)))
    md += ["", "At fork, the child's frames are its page-table pages plus a constant (its kernel "
           "stack and the like: the 0 MiB row); per-page COW adds a level-0 table per 2 MiB, "
           "eager adds the copies. After writing, every page is a copy of the child's own.", ""]

    # Targets of issue 20.
    fk = summary.get("share_fork_exit_wait", {})
    top = max(args.mib)
    targets = []
    s0, s_top = fk.get(0, {}).get("sharing"), fk.get(top, {}).get("sharing")
    pp_top = fk.get(top, {}).get("per-page")
    r1 = ratio(s_top, s0)
    targets.append(("sharing: fork+exit+wait at %d MiB / at 0 MiB" % top, "<= 2x",
                    fmt_ratio(r1), r1 is not None and r1 <= 2))
    r2 = ratio(pp_top, s_top)
    targets.append(("fork+exit+wait at %d MiB: per-page COW / sharing" % top, ">= 50x",
                    fmt_ratio(r2), r2 is not None and r2 >= 50))
    wtop = max([m for m in args.mib if 0 < m <= args.wmib], default=None)
    if wtop is not None:
        w = summary["write"][wtop]
        r3 = ratio(w["sharing"], w["per-page"])
        targets.append(("child writes every page after fork, %d MiB: sharing / per-page" % wtop,
                        "<= 1.2x", fmt_ratio(r3), r3 is not None and r3 <= 1.2))
    leaves = [r.get("leaves") for r in records
              if r.get("config") == "sharing" and r.get("bench") == "share_fork_exit_wait"]
    # Fork copies leaf by leaf only the tables it does not share (text and data
    # below an empty heap, the stack: docs/cow.md "What is shared"): a bound
    # that must not grow with the heap.
    targets.append(("leaves fork copied with sharing: the same at every size (none of the heap's)",
                    "min = max", "%s to %s" % (min(leaves), max(leaves)) if leaves else "-",
                    bool(leaves) and max(leaves) == min(leaves)))
    head = ["### Targets", "", "| what | target | measured | met |", "| --- | --- | --- | --- |"]
    for what, want, got, ok in targets:
        head.append("| %s | %s | %s | %s |" % (what, want, got, "**met**" if ok else "**not met**"))
    return head + [""] + md, summary, targets


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(HERE, "..", "..", "bazel-bin"),
                   help="bazel-bin: kernel.elf, kernel_eager.elf and user/boot.cpio")
    p.add_argument("--icount", action="store_true",
                   help="instructions from a deterministic one-hart boot, not guest time")
    p.add_argument("--rounds", type=int, default=None,
                   help="boots per configuration (default 3; 1 with --icount)")
    p.add_argument("--reps", type=int, default=5, help="forks per size and boot")
    p.add_argument("--mib", type=int, nargs="+", default=[0, 1, 16, 64, 256, 1024])
    p.add_argument("--wmib", type=int, default=256,
                   help="largest size whose child reads and writes every page")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--timeout", type=int, default=1800, help="per boot, seconds")
    p.add_argument("--out", default="bench")
    args = p.parse_args()
    if args.rounds is None:
        args.rounds = 1 if args.icount else 3
    if args.icount:
        args.smp = 1  # instret counts every hart's instructions
    start = time.monotonic()
    records, failed = suite.run_alternating(plan(args), args.bin, "forkshare")
    md, summary, targets = tables(records, args)
    meta = ("%s; %s; %s; --mem 2G, -smp %d, %s, %d round(s) of %d forks per size; %d boots "
            "in %.0f s%s" % (time.strftime("%Y-%m-%d %H:%M %Z"), suite_qemu(), host(),
                             args.smp, "icount (instructions)" if args.icount
                             else "guest time (us)", args.rounds, args.reps,
                             3 * args.rounds, time.monotonic() - start,
                             "; FAILED boots: %s" % ", ".join(failed) if failed else ""))
    text = "\n".join(["## Fork with shared tables (issue 20)", "", meta, ""] + md)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    name = "forkshare_icount" if args.icount else "forkshare"
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump({"meta": meta, "targets": [{"what": w, "target": t, "measured": m, "met": ok}
                                             for w, t, m, ok in targets],
                   "records": records}, f, indent=1)
    with open(os.path.join(args.out, name + ".md"), "w") as f:
        f.write(text + "\n")
    print("forkshare: wrote %s/%s.json and .md" % (args.out, name), file=sys.stderr)
    return 1 if failed else 0


def suite_qemu():
    import bench
    return bench.qemu_version()


def host():
    import bench
    return bench.host_description()


if __name__ == "__main__":
    sys.exit(main())
