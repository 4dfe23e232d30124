#!/usr/bin/env python3
"""copies.py: issue 19's figures in one run: a saved "before" build beside the current one.

    tools/bench/copies.py --before DIR [--bin bazel-bin] [--out bench] [--rounds N]

DIR holds a build of the commit to compare against: kernel.elf, kernel_eager.elf and
user/boot.cpio (copy them from its bazel-bin). Every boot goes through suite.boot(); images
compared with each other boot alternately (A B A B ...), so a noisy host slows both alike.

  icount  (-icount, one hart, seed 1): forkbench -i fork 0 1 4 and -i fault, on before and
          after, COW and eager; and the current kernel at -cpu rv64,v=true,vlen=128 with
          pagecopy=scalar and pagecopy=vector. Instructions, exact.
  time    (guest time, two harts): forkbench fault and fork on the same images; N rounds.
  pipe    4 MiB through a pipe in 64 KiB writes, hart 0 to a reader on hart 1: MB/s.
          The "before" kernel runs the current boot image (its forkbench had no pipe case;
          a pipe's copies are the kernel's, not the user library's).

Writes OUT/copies.json (every record and the medians) and OUT/copies.md (the tables
BENCHMARKS.md quotes). Medians over boots of each boot's median.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

VCPU = "rv64,v=true,vlen=128"
ICOUNT_RUN = "forkbench -i fork -r 3 0 1 4 ; forkbench -i fault -n 64 -t 0"
TIME_RUN = "forkbench fault -n 1024 -t 0 ; forkbench fork -r 5 0 1 4 16"
PIPE_RUN = "forkbench pipe -r 3 4"


def images(before, bindir):
    """label -> Boot keyword arguments (elf, initrd, cpu, append)."""
    b_cpio = os.path.join(before, "user", "boot.cpio")
    a_cpio = os.path.join(bindir, "user", "boot.cpio")
    return {
        "before": dict(elf=os.path.join(before, "kernel.elf"), initrd=b_cpio),
        "after": dict(elf=os.path.join(bindir, "kernel.elf"), initrd=a_cpio),
        "before_eager": dict(elf=os.path.join(before, "kernel_eager.elf"), initrd=b_cpio),
        "after_eager": dict(elf=os.path.join(bindir, "kernel_eager.elf"), initrd=a_cpio),
        "before_kernel_new_cpio": dict(elf=os.path.join(before, "kernel.elf"), initrd=a_cpio),
        "scalar_v": dict(elf=os.path.join(bindir, "kernel.elf"), initrd=a_cpio, cpu=VCPU,
                         append="pagecopy=scalar"),
        "vector_v": dict(elf=os.path.join(bindir, "kernel.elf"), initrd=a_cpio, cpu=VCPU,
                         append="pagecopy=vector"),
    }


def plan(imgs, rounds):
    boots = []

    def alternate(case, labels, n, **kw):
        for r in range(n):
            for label in labels:
                b = suite.Boot(case, label, **kw, **imgs[label])
                b.index = r
                boots.append(b)

    alternate("icount", ["before", "after", "before_eager", "after_eager", "scalar_v",
                         "vector_v"], 1, smp=1, est_s=8, deterministic=1, timeout=300,
              run=ICOUNT_RUN)
    alternate("time", ["before", "after", "before_eager", "after_eager"], rounds, smp=2,
              est_s=20, run=TIME_RUN)
    alternate("time_v", ["scalar_v", "vector_v"], rounds, smp=2, est_s=15, run=TIME_RUN)
    alternate("pipe", ["before_kernel_new_cpio", "after"], rounds, smp=2, est_s=15,
              run=PIPE_RUN)
    return boots


def key(rec):
    return rec["bench"] + ("_%dmib" % rec["mib"] if "mib" in rec else "")


def medians(records):
    """(case, label, key) -> median over boots of the record's median."""
    got = {}
    for r in records:
        if r["bench"] == "clock" or "median" not in r:
            continue
        got.setdefault((r["case"], r["image"], key(r)), []).append(float(r["median"]))
    return {k: statistics.median(v) for k, v in got.items()}


def table(med, case, labels, unit, scale=1.0):
    keys = sorted({k for (c, _, k) in med if c == case})
    out = ["| measurement (%s) | %s |" % (unit, " | ".join(labels)),
           "| --- |" + " ---: |" * len(labels)]
    for k in keys:
        cells = []
        for label in labels:
            v = med.get((case, label, k))
            cells.append("-" if v is None else ("%.1f" % (v / scale) if scale != 1 else
                                                 "%.1f" % v if v % 1 else "%d" % v))
        out.append("| %s | %s |" % (k, " | ".join(cells)))
    return "\n".join(out)


def ratios(med, case, scale):
    """The issue's ratios for before and after."""
    lines = []
    for side in ("before", "after"):
        g = lambda k, lab=side: med.get((case, lab, k))  # noqa: E731
        copy, null, mc, reuse = g("fault_copy"), g("null_syscall"), g("memcpy_4k"), g(
            "fault_reuse")
        if None not in (copy, null, mc):
            lines.append("- %s: copy fault / (null syscall + memcpy_4k) = %.2f (%.1f / (%.1f + "
                         "%.1f) %s); reuse / copy = %.3f"
                         % (side, copy / (null + mc), copy / scale, null / scale, mc / scale,
                            "insns" if scale == 1 else "us", reuse / copy))
        for mib in (0, 1, 4, 16):
            cow, eager = g("fork_exit_wait_%dmib" % mib), g(
                "fork_exit_wait_%dmib" % mib, side + "_eager")
            if cow and eager:
                lines.append("- %s: fork+exit+wait %d MiB: eager / COW = %.1fx (%.1f vs %.1f)"
                             % (side, mib, eager / cow, eager / scale, cow / scale))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, help="directory of the saved before build")
    p.add_argument("--bin", default="bazel-bin")
    p.add_argument("--out", default="bench")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    imgs = images(args.before, args.bin)
    records, failed = suite.run_alternating(plan(imgs, args.rounds), args.bin,
                                            "copies")
    med = medians(records)
    md = ["## icount (instructions; -icount shift=3, one hart, seed 1)",
          table(med, "icount", ["before", "after", "before_eager", "after_eager", "scalar_v",
                                "vector_v"], "insns"),
          "", ratios(med, "icount", 1), "",
          "## guest time (us, medians over %d boots of 2 harts)" % args.rounds,
          table(med, "time", ["before", "after", "before_eager", "after_eager"], "us", 1000),
          "", ratios(med, "time", 1000), "",
          "## page copy at -cpu %s (guest time, us)" % VCPU,
          table(med, "time_v", ["scalar_v", "vector_v"], "us", 1000), "",
          "## pipe, 4 MiB in 64 KiB writes, hart 0 to hart 1",
          table(med, "pipe", ["before_kernel_new_cpio", "after"], "MB/s or ns"), ""]
    if failed:
        md.append("failed boots: " + "; ".join(failed))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "copies.json"), "w") as f:
        json.dump({"records": records, "failed": failed,
                   "medians": {"|".join(k): v for k, v in med.items()}}, f, indent=1)
    with open(os.path.join(args.out, "copies.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
