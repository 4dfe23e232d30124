"""suite.py: the benchmark cases of `./kine bench`, which boots run which, and in what order.

Each case is a list of boots; every boot runs one command line of the user program
`forkbench` (user/forkbench.c) or one kernel self-test, on one image, and returns the
`kine: bench {json}` lines it printed, each tagged with the case, the image and the boot
number. Images compared in one case boot alternately (A B A B ...), so that a noisy host
slows both alike; figures are compared as ratios within one run.

alternate() plans such boots and run_alternating() runs them, for this suite and for the
drivers of single comparisons (forkshare.py, ptlock.py, copies.py): progress and an
estimate on stderr, and a boot that fails is reported and recorded without losing the rest.

Images (bazel-bin/NAME.elf): kernel (copy-on-write, per-hart frame caches, SBI RFENCE),
kernel_eager (fork copies every page), kernel_nocache (no per-hart frame caches),
kernel_ipi (shootdowns by kine's own IPIs).
"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "qemu", "kine_qemu.py")
BENCH_RE = re.compile(r"kine: bench (\{.*\})")
VERDICT_RE = re.compile(r"kine: verdict: (PASS|FAIL.*)")

# Fork sizes (MiB resident in the parent). 64 MiB plus its eager copy fits in 256M.
FORK_MIB = [0, 1, 4, 16, 64]
# The shootdown figures come from the fault case (RFENCE and IPI images side by side).
ALIASES = {"shootdown": "fault", "shootdowns": "fault"}
EXEC_MIB = [0, 16]


class Boot:
    """One QEMU boot of one image: the forkbench command (or kernel options) it runs."""

    def __init__(self, case, image, smp, est_s, run=None, append=None, mem="256M",
                 deterministic=None, timeout=600, cpu=None, elf=None, initrd=None,
                 config=None, machine="virt"):
        self.case, self.image, self.smp, self.est_s = case, image, smp, est_s
        self.run, self.append, self.mem = run, append, mem
        self.deterministic, self.timeout = deterministic, timeout
        # QEMU -cpu, and paths that replace bindir/IMAGE.elf and bindir/user/boot.cpio
        # (copies.py boots a saved "before" build beside the current one).
        self.cpu, self.elf, self.initrd = cpu, elf, initrd
        # QEMU -M: virt, or sifive_u (thp.py reads a heap on the board's closest model).
        self.machine = machine
        # The configuration's name where one image boots under several kernel options
        # (ptlock.py: "table" and "mm"); run_alternating() tags records and failures with it.
        self.config = config
        self.index = 0  # which boot of this case and image: the round (set by alternate())

    def describe(self):
        what = " ".join(x for x in (self.append, self.run) if x)
        det = ", icount seed %d" % self.deterministic if self.deterministic is not None else ""
        cpu = ", -cpu %s" % self.cpu if self.cpu else ""
        machine = ", -M %s" % self.machine if self.machine != "virt" else ""
        return "%s on %s (-smp %d%s%s%s): %s" % (self.case, self.image, self.smp, det, cpu,
                                                machine, what)


def alternate(case, configs, rounds, **kw):
    """rounds rounds of every configuration in turn (A B A B ...), Boot.index the round.

    A configuration is an image name, or a triple (name, image, append): that image with
    those kernel options (None: none), its boots carrying Boot.config = name. kw: the other
    Boot arguments, the same for every boot.
    """
    out = []
    for r in range(rounds):
        for c in configs:
            name, image, append = (None, c, kw.get("append")) if isinstance(c, str) else c
            b = Boot(case, image, **dict(kw, append=append, config=name))
            b.index = r
            out.append(b)
    return out


# The suite's fork, exec, fault, scale and icount figures are of 4 KiB pages, as they always
# were (BENCHMARKS.md compares them run to run): with megapages (thp=on, the default) a
# resident heap would be 2 MiB leaves. ./kine bench thp measures megapages beside them.
PAGES_4K = "thp=off"


def plan(cases, quick):
    """The boots of the chosen cases, in order. quick: fewer boots, repetitions and pages."""
    boots = []
    rounds = 1 if quick else 3
    for case in cases:
        case = ALIASES.get(case, case)
        if case == "fork":
            reps = 3 if quick else 5
            boots += alternate("fork", ["kernel", "kernel_eager"], rounds, smp=2,
                               append=PAGES_4K, est_s=2,
                               run="forkbench fork -r %d %s"
                               % (reps, " ".join(map(str, FORK_MIB))))
        elif case == "exec":
            reps = 5 if quick else 10
            boots += alternate("exec", ["kernel", "kernel_eager"], rounds, smp=2,
                               append=PAGES_4K, est_s=2,
                               run="forkbench exec -r %d %s"
                               % (reps, " ".join(map(str, EXEC_MIB))))
        elif case == "fault":
            # fault_copy_mt fences a hart that runs the mm (its other thread spins there):
            # milliseconds per fault on a loaded host, where that hart's vCPU thread must
            # be scheduled by the host for each fence.
            pages = 256 if quick else 1024
            boots += alternate("fault", ["kernel", "kernel_ipi"], rounds, smp=2,
                               append=PAGES_4K, est_s=10,
                               run="forkbench fault -n %d" % pages)
        elif case == "scale":
            # Processes, and threads of one process, with the same pages each: a thread
            # writes only its own slice, which no other hart has touched since fork, so its
            # copies need no shootdown (docs/cow.md) and take mm->lock only briefly.
            pages = 512 if quick else 1024
            reps = 2 if quick else 3
            boots += alternate(
                "scale", ["kernel", "kernel_nocache"], 1 if quick else 2, smp=8, est_s=60,
                append=PAGES_4K,
                run="forkbench scale -n %d -r %d procs 1 2 4 8 ; "
                    "forkbench scale -n %d -r %d threads 1 2 4 8" % (pages, reps, pages, reps))
        elif case == "frames":
            boots += alternate("frames", ["kernel", "kernel_nocache"], rounds, smp=4,
                               est_s=2, append="test=frames_bench", timeout=120)
        elif case == "icount":
            # Instruction counts: deterministic, so two boots of one image must agree.
            # One hart (instret counts every hart's instructions), so no threaded fault
            # case: it needs a second hart, and fault_copy_mt's fence to a running hart
            # crawls under -icount (BENCHMARKS.md, "What surprised us").
            boots += alternate("icount", ["kernel", "kernel_eager"], 1 if quick else 2,
                               smp=1, append=PAGES_4K, est_s=8, deterministic=1, timeout=240,
                               run="forkbench -i fork -r 3 0 1 4 ; "
                                   "forkbench -i fault -n 64 -t 0")
        else:
            raise SystemExit("bench: unknown case %r" % case)
    return boots


def boot(b, bindir):
    """Boot once; the bench records, or SystemExit with the console's tail."""
    elf = b.elf or os.path.join(bindir, b.image + ".elf")
    cmd = [sys.executable, RUNNER, "run", "--kernel", elf, "--smp", str(b.smp),
           "--mem", b.mem, "--timeout", str(b.timeout),
           # The guest may compute for seconds without a word: never end it on silence.
           "--eof-idle", "0"]
    if b.run is not None:
        cmd += ["--initrd", b.initrd or os.path.join(bindir, "user", "boot.cpio"),
                "--run", b.run]
    if b.cpu is not None:
        cmd += ["--cpu", b.cpu]
    if b.machine != "virt":
        cmd += ["--machine", b.machine]
    if b.append is not None:
        cmd += ["--append", b.append]
    if b.deterministic is not None:
        cmd += ["--deterministic", str(b.deterministic)]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=b.timeout + 30)
    lines = proc.stdout.decode("latin-1").splitlines()
    verdicts = [m.group(1) for m in map(VERDICT_RE.search, lines) if m]
    records = []
    for m in map(BENCH_RE.search, lines):
        if m:
            rec = json.loads(m.group(1))
            rec.update(case=b.case, image=b.image, boot=b.index, smp=b.smp)
            records.append(rec)
    if verdicts != ["PASS"] or not records:
        raise SystemExit("bench: %s: verdict %s, %d bench lines\n%s"
                         % (b.describe(), verdicts or "none", len(records),
                            "\n".join(lines[-30:])))
    return records


def _fmt_s(s):
    return "%d min %02d s" % (s // 60, s % 60) if s >= 60 else "%d s" % s


def run_alternating(boots, bindir, who="bench"):
    """Boot every boot in order, as planned (alternate(): A B A B ...): (records, failed).

    Prints a progress line before each boot and a total at the end on stderr, each starting
    "WHO: ", with the time spent and an estimate of the time left (the boots' est_s, scaled
    by how fast this host has been so far). A boot that fails (no PASS, no bench line, a
    timeout, anything boot() raises) is reported as "WHO: FAILED: ..." and the run goes on
    with the others. records: every record of every boot that passed, tagged by boot() and,
    for a boot with a configuration, with "config". failed: one entry per failed boot,
    "CONFIG round N" for a boot with a configuration, else Boot.describe().
    """
    records, failed = [], []
    start = time.monotonic()
    est_total = sum(b.est_s for b in boots)
    est_done = 0
    for k, b in enumerate(boots):
        spent = time.monotonic() - start
        # Scale the remaining estimate by how fast this host has been so far.
        speed = spent / est_done if est_done else 1.0
        left = (est_total - est_done) * speed
        print("%s: [%d/%d] %s%s; %s so far, about %s left"
              % (who, k + 1, len(boots), b.describe(),
                 " (%s)" % b.config if b.config is not None else "", _fmt_s(spent),
                 _fmt_s(left)), file=sys.stderr, flush=True)
        est_done += b.est_s
        try:
            recs = boot(b, bindir)
        except (SystemExit, Exception) as err:
            # One bad boot (a hart that never came up on a loaded host) must not
            # throw away the rest of the run: report it, keep going.
            print("%s: FAILED: %s" % (who, err), file=sys.stderr, flush=True)
            failed.append(b.describe() if b.config is None
                          else "%s round %d" % (b.config, b.index))
            continue
        if b.config is not None:
            for rec in recs:
                rec["config"] = b.config
        records += recs
    print("%s: %d boots in %s, %d failed" % (who, len(boots),
                                              _fmt_s(time.monotonic() - start), len(failed)),
          file=sys.stderr)
    return records, failed


CASES = ["fork", "exec", "fault", "scale", "frames", "icount"]
