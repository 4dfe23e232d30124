#!/usr/bin/env python3
"""bench.py: kine's benchmarks, measured side by side with their baselines.

    tools/bench/bench.py frames --kernel bazel-bin/kernel.elf \\
        --baseline bazel-bin/kernel_nocache.elf [--smp 4] [--repeat 3] [--out bench]

`frames`: order-0 frame alloc+free throughput at 1, 2, 4 ... harts, with the per-hart frame
caches (the kernel) and without them (the baseline image, every allocation under the buddy
allocator's global lock). Both images boot in the same run, alternating (A B A B ...), so a
noisy host slows both alike; each figure is the median over --repeat boots. The kernel's
self-test prints one `kine: bench {json}` line per hart count (src/kernel/selftest_mm.c);
this script collects them, prints a table with the ratios, and writes OUT/frames.json and
OUT/frames.md.

    tools/bench/bench.py run --bin bazel-bin [--quick] [--out bench] [CASE...]

`run`: the whole suite (or the cases named: fork, exec, fault, scale, frames, icount; see
suite.py), on the images of --bin and the boot image --bin/user/boot.cpio. Shows progress
and an estimate on stderr, then writes OUT/results.json (every record, the summary, the
targets), OUT/results.md and the plots OUT/*.png. Running only some cases keeps the
other cases' latest figures from OUT/results.json.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "qemu", "kine_qemu.py")
BENCH_RE = re.compile(r"kine: bench (\{.*\})")
VERDICT_RE = re.compile(r"kine: verdict: (PASS|FAIL.*)")


def boot(kernel, smp, append, timeout):
    """Boot once; return the bench records, or raise with the console's tail."""
    cmd = [sys.executable, RUNNER, "run", "--kernel", kernel, "--smp", str(smp),
           "--append", append, "--timeout", str(timeout)]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout + 30)
    lines = proc.stdout.decode("latin-1").splitlines()
    records = [json.loads(m.group(1)) for m in map(BENCH_RE.search, lines) if m]
    verdicts = [m.group(1) for m in map(VERDICT_RE.search, lines) if m]
    if verdicts != ["PASS"] or not records:
        tail = "\n".join(lines[-20:])
        raise SystemExit("bench: %s: verdict %s, %d bench lines\n%s"
                         % (kernel, verdicts or "none", len(records), tail))
    return records


def cmd_frames(args):
    images = [("on", args.kernel), ("off", args.baseline)]
    samples = {}  # (caches, harts) -> [ns_per_pair]
    throughput = {}  # (caches, harts) -> [kpairs/s]
    total = 2 * args.repeat
    start = time.monotonic()
    for r in range(args.repeat):
        for caches, kernel in images:
            done = r * 2 + (caches == "off")
            print("bench frames: boot %d/%d (caches %s), %.0f s so far"
                  % (done + 1, total, caches, time.monotonic() - start), file=sys.stderr)
            for rec in boot(kernel, args.smp, "test=frames_bench", args.timeout):
                if rec.get("bench") != "frame_alloc_free" or rec.get("caches") != caches:
                    raise SystemExit("bench: %s printed %r, expected caches %s"
                                     % (kernel, rec, caches))
                key = (caches, rec["harts"])
                samples.setdefault(key, []).append(rec["ns_per_pair"])
                throughput.setdefault(key, []).append(rec["total_kpairs_per_s"])

    harts = sorted({h for (_, h) in samples})
    rows = []
    for h in harts:
        on = statistics.median(samples[("on", h)])
        off = statistics.median(samples[("off", h)])
        ton = statistics.median(throughput[("on", h)])
        toff = statistics.median(throughput[("off", h)])
        rows.append({"harts": h, "ns_per_pair_caches_on": on, "ns_per_pair_caches_off": off,
                     "kpairs_per_s_caches_on": ton, "kpairs_per_s_caches_off": toff,
                     "speedup": off / on if on else None})

    md = ["| harts | caches on: ns per alloc+free | caches off: ns | speedup (off/on) "
          "| total kpairs/s on | off |",
          "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        md.append("| %d | %.0f | %.0f | %.2fx | %.0f | %.0f |" % (
            row["harts"], row["ns_per_pair_caches_on"], row["ns_per_pair_caches_off"],
            row["speedup"], row["kpairs_per_s_caches_on"], row["kpairs_per_s_caches_off"]))
    note = ("Order-0 frame alloc+free, bursts of 64, guest time (rdtime), QEMU virt -smp %d, "
            "median of %d boots per image, images alternating in one run." % (args.smp, args.repeat))
    print("\n".join(md))
    print(note)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "frames.json"), "w") as f:
        json.dump({"bench": "frames", "smp": args.smp, "repeat": args.repeat, "rows": rows,
                   "samples": {"%s/%d" % k: v for k, v in samples.items()}}, f, indent=2)
    with open(os.path.join(args.out, "frames.md"), "w") as f:
        f.write("\n".join(md) + "\n\n" + note + "\n")
    print("bench frames: wrote %s/frames.json and frames.md (%.0f s)"
          % (args.out, time.monotonic() - start), file=sys.stderr)
    return 0


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-riscv64", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10).stdout.decode()
        return out.splitlines()[0].replace("QEMU emulator version", "QEMU").strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "QEMU (version unknown)"


def host_description():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %s, %d cores" % (platform.node() or "host", model, os.cpu_count() or 0)


def cmd_run(args):
    sys.path.insert(0, HERE)
    import plots
    import report
    import suite

    cases = [suite.ALIASES.get(c, c) for c in args.cases] or list(suite.CASES)
    start = time.monotonic()
    records, failed = suite.run_alternating(suite.plan(cases, args.quick), args.bin)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")
    old = {}
    if os.path.exists(path) and set(cases) != set(suite.CASES):
        with open(path) as f:
            old = json.load(f)
    # Cases not run this time keep their latest records.
    kept = [r for r in old.get("records", []) if r.get("case") not in cases]
    records = kept + records
    clocks = [r for r in records if r.get("bench") == "clock" and r.get("unit") == "ns"]
    meta = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "qemu": qemu_version(),
            "host": host_description(), "quick": args.quick, "cases": cases,
            "duration": "%.0f s" % (time.monotonic() - start), "failed_boots": failed,
            "timebase_hz": clocks[-1]["timebase_hz"] if clocks else 10000000}
    summary = report.summarize(records)
    result = {"meta": meta, "summary": summary,
              "targets": [{"what": w, "target": t, "measured": m, "met": ok}
                          for w, t, m, ok in report.targets(summary)],
              "records": records}
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    md = report.markdown(summary, meta)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    pngs = plots.plot(summary, args.out)
    print(md)
    print("bench: wrote %s, results.md and %d plots in %s (%.0f s)"
          % (path, len(pngs), args.out, time.monotonic() - start), file=sys.stderr)
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    fr = sub.add_parser("frames", help="frame alloc/free throughput, caches on and off")
    fr.add_argument("--kernel", required=True, help="the kernel ELF (per-hart caches on)")
    fr.add_argument("--baseline", required=True, help="the kernel_nocache ELF")
    fr.add_argument("--smp", type=int, default=4)
    fr.add_argument("--repeat", type=int, default=3)
    fr.add_argument("--timeout", type=int, default=120)
    fr.add_argument("--out", default="bench")
    run = sub.add_parser("run", help="the benchmark suite (or some of its cases)")
    run.add_argument("cases", nargs="*", help="fork exec fault scale frames icount (default all)")
    run.add_argument("--bin", required=True, help="bazel-bin: the images and user/boot.cpio")
    run.add_argument("--quick", action="store_true", help="fewer boots, repetitions, pages")
    run.add_argument("--out", default="bench")
    args = p.parse_args()
    if args.cmd == "run":
        return cmd_run(args)
    return cmd_frames(args)


if __name__ == "__main__":
    sys.exit(main())
