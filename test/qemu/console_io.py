"""console_io: reading a booted kine's console from a test that types at it.

The console tests (sh_line_test.py, sh_ctrlc_test.py) start QEMU through kine_qemu.py with a
pipe on stdin and read its output as it comes, echoing it to the test log.
"""
import os
import re
import select
import sys
import time


def read_until(proc, out, want, since, deadline):
    """Read proc's output into out (a bytearray) until the regex want (bytes) matches at or
    after index since, echoing what arrives. The match, or None at the deadline or at the end
    of the output."""
    pattern = re.compile(want)
    while True:
        m = pattern.search(out, since)
        if m:
            return m
        if time.monotonic() >= deadline:
            return None
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                return None
            out += chunk
            sys.stdout.write(chunk.decode("latin-1"))


def read_past(proc, out, text, since, deadline):
    """read_until for a literal text: the index just past it (where the next search starts),
    or None."""
    m = read_until(proc, out, re.escape(text), since, deadline)
    return m.end() if m else None
