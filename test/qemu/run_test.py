#!/usr/bin/env python3
"""run_test: `./kine run` as a script calls it, stdin not a terminal, and its exit status.

    run_test.py quiet0 | quiet3 | timeout | noverdict | dialects

Each scenario runs the front script itself (./kine from the runfiles) with KINE_SKIP_DEPS=1 and
KINE_PREBUILT_KERNEL/KINE_PREBUILT_INITRD naming the images Bazel built for this test: a test
cannot call Bazel, so ./kine skips its build; everything after it (the --add checks, the
arguments, kine_qemu.py run and its rules) is the path a user's `./kine run` takes. The boot
image is local_programs (user/programs.bzl) over test/qemu/xv6lab.c, the package `--add`
writes, so the program booted is the one `./kine run --add xv6lab.c` would build.

  quiet0    --run "xv6lab 10 0", stdin /dev/null: quiet for 10 s, then exit 0: status 0
  quiet3    --run "xv6lab 10 3", stdin an empty pipe: status 3, and stderr says so
  timeout   --run "xv6lab forever" --timeout 5, stdin /dev/null: status 124, stderr says why
  noverdict --cpu QEMU does not know: QEMU exits first, status 125, and stderr says so
  dialects  --add of a file mixing xv6's and kine's includes, and --xv6 with a kine file:
            refused before any build, naming the include to drop (no QEMU)
"""
import os
import subprocess
import sys
import time

RUNFILES = os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "kine"))
KINE = os.path.join(RUNFILES, "kine")
XV6LAB = os.path.join(RUNFILES, "test/qemu/xv6lab.c")
LAB_LINE = "xv6lab: 8 pages forked, child exit 7, parent's copy intact"


def kine(args, stdin=subprocess.DEVNULL, limit=90):
    """./kine ARGS against the prebuilt images: (status, stdout lines, stderr, seconds)."""
    env = dict(os.environ, KINE_SKIP_DEPS="1",
               KINE_PREBUILT_KERNEL=os.path.join(RUNFILES, "kernel.elf"),
               KINE_PREBUILT_INITRD=os.path.join(RUNFILES, "test/qemu/xv6lab_boot.cpio"))
    start = time.monotonic()
    proc = subprocess.run([KINE] + args, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=limit)
    elapsed = time.monotonic() - start
    out = proc.stdout.decode("latin-1")
    err = proc.stderr.decode("latin-1")
    sys.stdout.write(out)
    sys.stdout.write("---- stderr ----\n" + err + "----\n")
    print("./kine %s: status %d after %.1f s" % (" ".join(args), proc.returncode, elapsed))
    return proc.returncode, out.splitlines(), err, elapsed


def run_args(cmd, *more):
    return ["run", "--smp", "2", "--add", XV6LAB, "--run", cmd] + list(more)


def quiet(status, stdin):
    problems = []
    rc, lines, err, elapsed = kine(run_args("xv6lab 10 %d" % status, "--timeout", "60"),
                                   stdin=stdin)
    if rc != status:
        problems.append("exit status %d, want the program's %d" % (rc, status))
    if elapsed < 10:
        problems.append("ended after %.1f s, before the program's 10 s of quiet" % elapsed)
    if not any(LAB_LINE in line for line in lines):
        problems.append("no line %r: the xv6 program's check did not pass" % LAB_LINE)
    if "xv6lab: xv6's dialect" not in err:
        problems.append("./kine did not recognize xv6lab.c as xv6's dialect")
    if status != 0 and "exit status %d" % status not in err:
        problems.append("stderr does not say 'exit status %d'" % status)
    return problems


def scenario_quiet0():
    return quiet(0, subprocess.DEVNULL)


def scenario_quiet3():
    # An empty pipe: EOF at once, through the runner's select path (not /dev/null's).
    r, w = os.pipe()
    os.close(w)
    try:
        return quiet(3, r)
    finally:
        os.close(r)


def scenario_timeout():
    problems = []
    rc, lines, err, elapsed = kine(run_args("xv6lab forever", "--timeout", "5"))
    if rc != 124:
        problems.append("exit status %d, want 124" % rc)
    if "--timeout 5 s struck" not in err:
        problems.append("stderr does not say the --timeout struck")
    if elapsed < 5 or elapsed > 30:
        problems.append("ended after %.1f s, want 5 s (plus boot and the stop)" % elapsed)
    if not any(LAB_LINE in line for line in lines):
        problems.append("no line %r before the quiet" % LAB_LINE)
    return problems


def scenario_noverdict():
    # A CPU model QEMU does not know: it exits 1 at once, before any verdict.
    problems = []
    rc, _, err, _ = kine(run_args("xv6lab 0 0", "--cpu", "no-such-cpu", "--timeout", "20"),
                         limit=40)
    if rc != 125:
        problems.append("exit status %d, want 125 (QEMU exited without a verdict)" % rc)
    if "run ended without a verdict: QEMU exited by itself with status 1" not in err:
        problems.append("stderr does not say QEMU exited without a verdict")
    return problems


def refused(args, want):
    """./kine ARGS must fail at once, before any build, with every string of want on stderr."""
    rc, _, err, elapsed = kine(args, limit=20)
    problems = []
    if rc == 0:
        problems.append("./kine %s succeeded; it must refuse" % " ".join(args))
    for text in want:
        if text not in err:
            problems.append("./kine %s: stderr lacks %r" % (" ".join(args), text))
    if any(mark in err for mark in ("Loading:", "INFO:", "ERROR:")):
        problems.append("./kine %s reached Bazel; the check must come first" % " ".join(args))
    return problems


def scenario_dialects():
    mixed = os.path.join(RUNFILES, "test/qemu/data/mixed.c")
    kinefile = os.path.join(RUNFILES, "test/qemu/data/kineprog.c")
    drop = 'drop the line #include "kine/user.h"'
    return (refused(["run", "--add", mixed, "--run", "mixed"],
                    ["mixes the two dialects", 'line 4 includes xv6\'s "kernel/types.h"',
                     'line 5 includes kine\'s "kine/user.h"', drop]) +
            refused(["compile", mixed], ["mixes the two dialects", drop]) +
            refused(["run", "--xv6", "--add", kinefile, "--run", "kineprog"],
                    ["--xv6, but line 3 includes kine's", 'drop that line #include "kine/user.h"']))


SCENARIOS = {
    "quiet0": scenario_quiet0,
    "quiet3": scenario_quiet3,
    "timeout": scenario_timeout,
    "noverdict": scenario_noverdict,
    "dialects": scenario_dialects,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print("usage: run_test.py %s" % "|".join(SCENARIOS))
        return 2
    problems = SCENARIOS[sys.argv[1]]()
    for p in problems:
        print("run_test %s: FAIL: %s" % (sys.argv[1], p))
    if not problems:
        print("run_test %s: PASS" % sys.argv[1])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
