#!/usr/bin/env python3
"""sh_line_test: a command line longer than the shell's buffer, typed at the console.

The shell (user/sh.c) reads lines of at most LINE_MAX - 1 bytes. A longer line must get a
clear error and run nothing (not a command cut at the buffer's end), and the shell must go on
reading the next line. The test boots the shell from the boot image through
`kine_qemu.py run` with a pipe on stdin, types a 700-byte line at the first prompt, then
`echo after`, and checks the error, that nothing of the long line ran, and the echo.
"""
import os
import select
import subprocess
import sys
import time

DEADLINE_S = 40  # under Bazel's 60 s for a short test, so a failure is reported
STEP_S = 10      # for each answer once the shell is up
LONG = "echo " + "x" * 695  # 700 bytes: past the shell's 511
ERROR = "sh: line too long (at most 511 bytes)"


def read_until(proc, out, want, deadline):
    """Read the console into out (a bytearray) until want appears after the start; True if so."""
    start = len(out)
    while time.monotonic() < deadline:
        if want in out[start:]:
            return True
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                return want in out[start:]
            out += chunk
            sys.stdout.write(chunk.decode("latin-1"))
    return False


def main():
    runfiles = os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "kine"))
    kernel = os.path.join(runfiles, "kernel.elf")
    initrd = os.path.join(runfiles, "user/boot.cpio")
    runner = os.path.join(runfiles, "tools/qemu/kine_qemu.py")
    proc = subprocess.Popen(
        [sys.executable, runner, "run", "--kernel", kernel, "--initrd", initrd, "--smp", "2",
         "--timeout", str(DEADLINE_S)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + DEADLINE_S
    out = bytearray()
    problems = []
    if not read_until(proc, out, b"$ ", deadline):
        problems.append("no shell prompt")
    else:
        proc.stdin.write((LONG + "\r").encode())
        proc.stdin.flush()
        if not read_until(proc, out, ERROR.encode(), min(deadline, time.monotonic() + STEP_S)):
            problems.append("no %r for a 700-byte line" % ERROR)
        proc.stdin.write(b"echo after\r")
        proc.stdin.flush()
        if not read_until(proc, out, b"\nafter", min(deadline, time.monotonic() + STEP_S)):
            problems.append("the shell did not run the next line")
    proc.stdin.close()
    try:
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
    text = out.decode("latin-1")
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
