#!/usr/bin/env python3
"""profile.py: lock-contention profile of a kine workload (what `./kine profile` runs).

    profile.py --kernel ELF --initrd CPIO [--smp N] [--bootargs OPTS] [--out DIR] "WORKLOAD"
    profile.py --kernel ELF --from-log FILE [--out DIR]

Live: boots the kernel with `OPTS -- lockstat -r ; WORKLOAD ; lockstat -d` (the kernel options
OPTS, e.g. faultlock=mm, if given; reset the statistics, run the workload through the shell,
dump them), shows the console's progress, and parses the dump. It exits with the run's status when that is not 0 (tools/qemu/README.md: 124 when
--timeout struck, 125 when QEMU ended without a verdict), after writing what report it can.
--from-log reads the dump out of a saved serial log instead (a board's, or a run's).
Either way it symbolizes every contending call site with riscv64-unknown-elf-addr2line against
ELF (which must be the image that ran) and writes DIR/lockstat.txt (the table) and
DIR/lockstat.png (wait time and contentions per class). The dump format: docs/lockstat.md.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "qemu", "kine_qemu.py")
ADDR2LINE = "riscv64-unknown-elf-addr2line"
RECORD_RE = re.compile(r"lockstat v(\d+) (begin|class|site|end|off)\b(.*)")


def parse_dump(lines):
    """The last complete v1 dump in lines: (header dict, [class dicts with 'sites'])."""
    header, classes, done = None, [], None
    for line in lines:
        m = RECORD_RE.search(line)
        if not m:
            continue
        if m.group(1) != "1":
            raise SystemExit("profile: dump version %s; this tool reads version 1" % m.group(1))
        kind, rest = m.group(2), m.group(3)
        fields = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
        if kind == "off":
            raise SystemExit("profile: the kernel was built without lock statistics")
        if kind == "begin":
            header, classes = fields, []
        elif kind == "class" and header is not None:
            c = {k: (v if k in ("kind", "name") else int(v, 0)) for k, v in fields.items()}
            c["sites"] = []
            classes.append(c)
        elif kind == "site" and header is not None:
            for c in classes:
                if c["kind"] == fields["kind"] and c["name"] == fields["name"]:
                    c["sites"].append((int(fields["pc"], 16), int(fields["con"])))
        elif kind == "end" and header is not None:
            done = (header, classes)
    if done is None:
        raise SystemExit("profile: no complete 'lockstat v1' dump found")
    return done


def symbolize(elf, pcs):
    """{pc: 'function file:line'} for return addresses (looked up at pc - 2, the call)."""
    pcs = sorted(set(pcs))
    if not pcs or shutil.which(ADDR2LINE) is None or not os.path.isfile(elf):
        return {pc: "?" for pc in pcs}
    out = subprocess.run([ADDR2LINE, "-f", "-C", "-e", elf] + ["%#x" % (pc - 2) for pc in pcs],
                         stdout=subprocess.PIPE, universal_newlines=True).stdout.splitlines()
    names = {}
    for i, pc in enumerate(pcs):
        fn, loc = (out[2 * i:2 * i + 2] + ["?", "?"])[:2]
        loc = loc.replace("/proc/self/cwd/", "")
        names[pc] = "%s %s" % (fn, loc)
    return names


def us(ticks, hz):
    return ticks * 1e6 / hz


def avg(total, count):
    """A column's average in whole ticks, rounded down, as user/lockstat.c computes it."""
    return total // count if count else 0


# Linux's /proc/lock_stat columns, the same header as user/lockstat.c (docs/lockstat.md).
COLUMNS = ("class name", "con-bounces", "contentions", "waittime-min", "waittime-max",
           "waittime-total", "waittime-avg", "acq-bounces", "acquisitions", "holdtime-min",
           "holdtime-max", "holdtime-total", "holdtime-avg")
HEADER_FMT = "%-22s %11s %11s %12s %12s %14s %12s %11s %12s %12s %12s %14s %12s"
ROW_FMT = "%-22s %11d %11d %12s %12s %14s %12s %11d %12d %12s %12s %14s %12s"


def us_text(ticks, hz):
    """Microseconds with two decimals, cut (not rounded) as user/lockstat.c prints them."""
    hundredths = ticks * 100000000 // hz
    return "%d.%02d" % (hundredths // 100, hundredths % 100)


def report(header, classes, elf, out_dir, title):
    hz = int(header.get("timebase_hz", 10000000)) or 1
    classes.sort(key=lambda c: (-c["con"], -c["wait_total"], -c["acq"]))
    names = symbolize(elf, [pc for c in classes for pc, _ in c["sites"]])
    rows = ["# %s" % title,
            "# times in microseconds (timebase %d Hz, %s harts); sorted by contentions"
            % (hz, header.get("harts", "?")),
            HEADER_FMT % COLUMNS]
    for c in classes:
        label = c["name"] + (" (sleep)" if c["kind"] == "sleep" else "")
        rows.append(ROW_FMT % (
            label, c["con_bounce"], c["con"], us_text(c["wait_min"], hz),
            us_text(c["wait_max"], hz), us_text(c["wait_total"], hz),
            us_text(avg(c["wait_total"], c["con"]), hz), c["acq_bounce"], c["acq"],
            us_text(c["hold_min"], hz), us_text(c["hold_max"], hz), us_text(c["hold_total"], hz),
            us_text(avg(c["hold_total"], c["acq"]), hz)))
        for pc, n in c["sites"]:
            rows.append("    %9d  %#x  %s" % (n, pc, names.get(pc, "?")))
    os.makedirs(out_dir, exist_ok=True)
    txt = os.path.join(out_dir, "lockstat.txt")
    with open(txt, "w") as f:
        f.write("\n".join(rows) + "\n")
    print("\n".join(rows))
    chart = os.path.join(out_dir, "lockstat.png")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        top = [c for c in classes if c["con"] > 0][:12] or classes[:12]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 0.5 * len(top) + 2), sharey=True)
        labels = [c["name"] for c in top][::-1]
        ax1.barh(labels, [us(c["wait_total"], hz) / 1000 for c in top][::-1], color="tab:red")
        ax1.set_xlabel("total wait (ms)")
        ax2.barh(labels, [c["con"] for c in top][::-1], color="tab:blue")
        ax2.set_xlabel("contentions")
        for i, c in enumerate(top[::-1]):
            if c["sites"]:
                ax2.annotate(names.get(c["sites"][0][0], "?").split(" ")[0], (c["con"], i),
                             fontsize=7, xytext=(3, 0), textcoords="offset points",
                             va="center")
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(chart)
    except ImportError:
        chart = None
        print("profile: matplotlib not installed: no chart", file=sys.stderr)
    print("profile: report written to %s%s" % (txt, " and %s" % chart if chart else ""),
          file=sys.stderr)


def run_live(args):
    cmd = "lockstat -r ; %s ; lockstat -d" % args.workload
    argv = [sys.executable, RUNNER, "run", "--kernel", args.kernel, "--smp", str(args.smp),
            "--run", cmd, "--timeout", str(args.timeout), "--eof-idle", "0"]
    if args.initrd:
        argv += ["--initrd", args.initrd]
    if args.bootargs:
        argv += ["--append", args.bootargs]
    print("profile: booting %d harts: %s%s" % (args.smp, args.bootargs + " -- " if args.bootargs
                                                else "", cmd), file=sys.stderr)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True,
                            errors="replace")
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if not RECORD_RE.search(line):
            sys.stderr.write("  [%5.1fs] %s" % (time.monotonic() - start, line))
    rc = proc.wait()
    if args.log:
        with open(args.log, "w") as f:
            f.write("\n".join(lines) + "\n")
    return lines, rc


def main():
    """0 when the report is written and the run passed; else the run's exit status."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", nargs="?")
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd")
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--bootargs", help="kernel options before the command, e.g. faultlock=mm")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--from-log", dest="from_log")
    p.add_argument("--log", help="also save the console log here (live runs)")
    p.add_argument("--out", default="profile")
    args = p.parse_args()
    if args.from_log:
        with open(args.from_log, errors="replace") as f:
            lines = f.read().splitlines()
        title = "kine lockstat: %s" % os.path.basename(args.from_log)
    elif args.workload:
        lines, rc = run_live(args)
        if rc != 0:
            # The runner's exit status (tools/qemu/README.md): the workload's own
            # status, 124 for --timeout, 125 when QEMU ended without a verdict.
            # Its "kine_qemu: run ended ..." line above says which.
            print("profile: the run exited with status %d (the kine_qemu line above says why)"
                  % rc, file=sys.stderr)
            if not any("lockstat v1 end" in line for line in lines):
                print("profile: no complete lock statistics dump: no report", file=sys.stderr)
                return rc
        title = "kine lockstat: '%s' at %d harts%s" % (
            args.workload, args.smp, ", %s" % args.bootargs if args.bootargs else "")
    else:
        p.error("give a WORKLOAD or --from-log FILE")
        return 2
    header, classes = parse_dump(lines)
    report(header, classes, args.kernel, args.out, title)
    return 0 if args.from_log else rc


if __name__ == "__main__":
    sys.exit(main())
