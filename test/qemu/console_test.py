#!/usr/bin/env python3
"""console_test: typing at kine's console, through `kine_qemu.py run` from a pipe.

Two things at once, end to end:
  - the receive path: a byte written to the ns16550a raises its PLIC interrupt on the boot
    hart, the handler hands it to the console, and the console echoes it;
  - the runner's rule for a standard input that is not a terminal: once stdin ends and the
    guest has been quiet for a moment, the runner ends QEMU by itself (no verdict needed).

The test types only after the kernel has said it idles (input sent earlier, before the UART is
set up, is lost), then closes stdin and waits, with a deadline, for the runner to exit.
"""
import os
import subprocess
import sys
import time

DEADLINE_S = 30
LINE = "hello kine"


def main():
    runfiles = os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "kine"))
    kernel = os.path.join(runfiles, "kernel.elf")
    runner = os.path.join(runfiles, "tools/qemu/kine_qemu.py")
    # Machine options from the test's args (e.g. the sifive_u variant), else virt at 2 harts.
    machine = sys.argv[1:] or ["--smp", "2"]
    proc = subprocess.Popen(
        [sys.executable, runner, "run", "--kernel", kernel] + machine +
        ["--timeout", str(DEADLINE_S)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start = time.monotonic()
    seen = []
    typed = False
    for raw in proc.stdout:
        line = raw.decode("latin-1").rstrip("\r\n")
        seen.append(line)
        print(line)
        if not typed and line.startswith("kine: idle"):
            proc.stdin.write((LINE + "\r").encode())
            proc.stdin.close()
            typed = True
    status = proc.wait(timeout=DEADLINE_S)
    elapsed = time.monotonic() - start

    problems = []
    if not typed:
        problems.append("the kernel never said it idles")
    elif LINE not in seen:
        problems.append("the typed line %r was not echoed" % LINE)
    if elapsed >= DEADLINE_S:
        problems.append("the runner only stopped on its %d s timeout, not at stdin's end"
                        % DEADLINE_S)
    for p in problems:
        print("console_test: FAIL: " + p)
    if not problems:
        print("console_test: PASS: echoed %r; the runner ended QEMU %.1f s after start "
              "(status %d)" % (LINE, elapsed, status))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
