#!/usr/bin/env python3
"""sh_ctrlc_test: Ctrl-C at the console ends the foreground job, and only it.

Boots the interactive shell (kine_qemu.py run, stdin a pipe) and, at its prompts:
  1. `sleep 100 &`: a background job, which Ctrl-C must leave alone;
  2. `cowstat -s`: the settled free-frame count before (once two readings agree);
  3. `forkbench fork -r 4096 4 4 4 4`: minutes of fork+exit+wait of a 4 MiB process; after
     2 s (no prompt yet: it runs) a Ctrl-C byte; the shell's prompt must come back;
  4. `ps`: no forkbench left (neither it nor a child it forked), the sleep still there;
  5. `cowstat -s` again until its free count is the one of step 2 exactly (the killed job's
     children may take a moment to be reaped), or FAIL after 10 tries;
  6. `echo typed` then Ctrl-C with no foreground job: the line is thrown away, a new prompt.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_io import read_until  # noqa: E402 (beside this script)

DEADLINE_S = 100  # under Bazel's 300 s for a moderate test
STEP_S = 15
FREE = re.compile(rb"frames free +([0-9]+) of")


def main():
    runfiles = os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "kine"))
    proc = subprocess.Popen(
        [sys.executable, os.path.join(runfiles, "tools/qemu/kine_qemu.py"), "run",
         "--kernel", os.path.join(runfiles, "kernel.elf"),
         "--initrd", os.path.join(runfiles, "user/boot.cpio"),
         "--smp", "2", "--timeout", str(DEADLINE_S)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + DEADLINE_S
    out = bytearray()
    mark = [0]

    def step():
        return min(deadline, time.monotonic() + STEP_S)

    def send(data):
        proc.stdin.write(data)
        proc.stdin.flush()

    def expect(want):
        """Wait for want after the mark; move the mark past it. The match, or None."""
        m = read_until(proc, out, want, mark[0], step())
        if m:
            mark[0] = m.end()
        return m

    def command(line):
        """Type line at a prompt; the bytes it printed up to the next prompt, or None."""
        send(line.encode() + b"\r")
        start = expect(re.escape(line.encode()) + rb"\r?\n")
        end = start and expect(rb"\$ ")
        return out[start.end():end.start()] if end else None

    def fail(why):
        print("sh_ctrlc_test: FAIL: " + why)
        proc.kill()
        return 1

    if not expect(rb"\$ "):
        return fail("no shell prompt")
    text = command("sleep 100 &")
    m = text and re.search(rb"\[([0-9]+)\]", text)
    if not m:
        return fail("no pid for the background sleep")
    sleep_pid = int(m.group(1))
    # The background sleep may still be on its way into exec when its [pid] shows: the count
    # before is one that two readings in a row agree on.
    before = None
    for _ in range(10):
        text = command("cowstat -s")
        m = text and FREE.search(text)
        if not m:
            return fail("no free-frame count before")
        if before == int(m.group(1)):
            break
        before = int(m.group(1))
        time.sleep(0.3)

    send(b"forkbench fork -r 4096 4 4 4 4\r")
    if not expect(rb"forkbench fork -r 4096 4 4 4 4\r?\n"):
        return fail("forkbench's line was not echoed")
    if read_until(proc, out, rb"\$ ", mark[0], time.monotonic() + 2):
        return fail("forkbench ended by itself within 2 s: nothing for Ctrl-C to end")
    send(b"\x03")
    if not expect(rb"\^C\r?\n") or not expect(rb"\$ "):
        return fail("no prompt after Ctrl-C: forkbench still runs")

    text = command("ps")
    if text is None:
        return fail("ps did not finish")
    if b"forkbench" in text:
        return fail("a forkbench process is left after Ctrl-C")
    if not re.search(rb"(?m)^ +%d +[0-9]+ .* sleep\r?$" % sleep_pid, text):
        return fail("the background sleep (pid %d) did not survive Ctrl-C" % sleep_pid)

    after = None
    for _ in range(10):
        text = command("cowstat -s")
        m = text and FREE.search(text)
        if not m:
            return fail("no free-frame count after")
        after = int(m.group(1))
        if after == before:
            break
        time.sleep(0.5)
    if after != before:
        return fail("settled free frames %d before, %d after Ctrl-C" % (before, after))

    # No foreground job: Ctrl-C drops the line being typed and the shell prompts again.
    send(b"echo typed")
    if not expect(rb"echo typed"):
        return fail("the typed line was not echoed")
    send(b"\x03")
    if not expect(rb"\^C\r?\n") or not expect(rb"\$ "):
        return fail("no new prompt after Ctrl-C at the prompt")
    if command("kill %d" % sleep_pid) is None:
        return fail("kill of the background sleep did not finish")
    if re.search(rb"(?m)^typed", out):
        return fail("the line Ctrl-C threw away ran")
    proc.stdin.close()
    try:
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
    print("sh_ctrlc_test: PASS: Ctrl-C ended forkbench, the sleep lived on, "
          "settled free frames %d before and after" % before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
