#!/usr/bin/env python3
"""sh_line_test: a command line longer than the shell's buffer, typed at the console.

The shell (user/sh.c) reads lines of at most LINE_MAX - 1 bytes. A longer line must get a
clear error and run nothing (not a command cut at the buffer's end), and the shell must go on
reading the next line. The test boots the shell from the boot image through
`kine_qemu.py run` with a pipe on stdin, types a 700-byte line at the first prompt in one
write, then `echo after`, and checks the error, that nothing of the long line ran, and the echo.

The line is nearly three times the console's 256-byte input ring, all sent at once: it passes
only because console input has flow control (src/kernel/console.c: the UART's receive interrupt
is masked while the ring is full, and the bytes wait in QEMU). Without it bytes were dropped and
the test failed about one run in three.

Arguments: MACHINE SMP (virt 2: the ns16550a; sifive_u 2: the SiFive UART).
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_io import read_past  # noqa: E402 (beside this script)

DEADLINE_S = 40  # under Bazel's 60 s for a short test, so a failure is reported
STEP_S = 10      # for each answer once the shell is up
LONG = "echo " + "x" * 695  # 700 bytes: past the shell's 511
ERROR = "sh: line too long (at most 511 bytes)"


def main():
    runfiles = os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "kine"))
    kernel = os.path.join(runfiles, "kernel.elf")
    initrd = os.path.join(runfiles, "user/boot.cpio")
    runner = os.path.join(runfiles, "tools/qemu/kine_qemu.py")
    machine, smp = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen(
        [sys.executable, runner, "run", "--kernel", kernel, "--initrd", initrd,
         "--machine", machine, "--smp", smp, "--timeout", str(DEADLINE_S)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + DEADLINE_S
    out = bytearray()
    problems = []

    def step_deadline():
        return min(deadline, time.monotonic() + STEP_S)

    mark = read_past(proc, out, b"$ ", 0, deadline)
    if mark is None:
        problems.append("no shell prompt")
    else:
        # The whole line and its return in one write, as a paste would send it.
        proc.stdin.write((LONG + "\r").encode())
        proc.stdin.flush()
        mark = read_past(proc, out, ERROR.encode(), mark, step_deadline())
        if mark is None:
            problems.append("no %r for a 700-byte line" % ERROR)
        else:
            # Type the next line at the next prompt, so its echo and its output stay apart.
            mark = read_past(proc, out, b"$ ", mark, step_deadline())
            proc.stdin.write(b"echo after\r")
            proc.stdin.flush()
            if mark is None or read_past(proc, out, b"\nafter", mark, step_deadline()) is None:
                problems.append("the shell did not run the next line")
    proc.stdin.close()
    try:
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
    text = out.decode("latin-1")
    # The console echoes each byte it takes: all 700 in a row, or input was dropped.
    if LONG not in text:
        problems.append("the console's echo lacks some of the 700 bytes (input dropped)")
    # The echo of the typed line holds the x's once; a command cut short would print them again.
    if "\n" + "x" * 64 in text:
        problems.append("part of the long line ran as a command")
    for p in problems:
        print("sh_line_test: FAIL: " + p)
    if not problems:
        print("sh_line_test: PASS: a 700-byte line got %r; the next line ran" % ERROR)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
