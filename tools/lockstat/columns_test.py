#!/usr/bin/env python3
"""columns_test: the in-guest `lockstat` table and `./kine profile`'s report speak the same columns.

Boots the kernel with `-- sh -c "lockstat ; lockstat -d"` (kine_qemu.py run, stdin /dev/null),
then checks that:
  - the guest's header line is Linux's /proc/lock_stat header (class name, con-bounces,
    contentions, waittime-min/max/total/avg, acq-bounces, acquisitions, holdtime-min/max/total/avg);
  - profile.py's report of the dump that follows has exactly the same header line;
  - every class row of either has the 12 numbers of those columns, and every class of the table
    is in the report (the counts differ, and the dump may hold more classes: it comes later).
"""
import os
import re
import subprocess
import sys
import tempfile

RUNFILES = os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "kine"))
sys.path.insert(0, os.path.join(RUNFILES, "tools/lockstat"))
import profile as kine_profile  # noqa: E402  (tools/lockstat/profile.py)

LINUX = ["class name", "con-bounces", "contentions", "waittime-min", "waittime-max",
         "waittime-total", "waittime-avg", "acq-bounces", "acquisitions", "holdtime-min",
         "holdtime-max", "holdtime-total", "holdtime-avg"]
_COUNT, _US = r"[0-9]+", r"[0-9]+\.[0-9]{2}"
ROW_RE = re.compile(r"^(\S+(?: \(sleep\))?) +" +
                    r" +".join([_COUNT] * 2 + [_US] * 4 + [_COUNT] * 2 + [_US] * 4) + r"$")


def table(lines):
    """(header, {class: row}) of the first table starting at a line that begins 'class name'."""
    for i, line in enumerate(lines):
        if line.startswith("class name"):
            rows = {}
            for row in lines[i + 1:]:
                m = ROW_RE.match(row)
                if m:
                    rows[m.group(1)] = row
                elif not row.startswith("    "):
                    break
            return line, rows
    return None, {}


def main():
    kernel = os.path.join(RUNFILES, "kernel.elf")
    proc = subprocess.run(
        [sys.executable, os.path.join(RUNFILES, "tools/qemu/kine_qemu.py"), "run",
         "--kernel", kernel, "--initrd", os.path.join(RUNFILES, "user/boot.cpio"), "--smp", "2",
         "--run", "sh -c \"lockstat ; lockstat -d\"", "--timeout", "40"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=80)
    lines = proc.stdout.decode("latin-1").replace("\r", "").splitlines()
    print("\n".join(lines))
    problems = []
    if proc.returncode != 0:
        problems.append("the run's exit status is %d, not 0" % proc.returncode)
    guest_header, guest_rows = table(lines)
    if guest_header is None or ["class name"] + guest_header[len("class name"):].split() != LINUX:
        problems.append("the guest's header is not Linux's columns: %r" % guest_header)
    with tempfile.TemporaryDirectory() as out:
        header, classes = kine_profile.parse_dump(lines)
        kine_profile.report(header, classes, kernel, out, "columns_test")
        with open(os.path.join(out, "lockstat.txt")) as f:
            host_header, host_rows = table(f.read().splitlines())
    if host_header != guest_header:
        problems.append("headers differ:\n  guest   %r\n  profile %r" % (guest_header, host_header))
    # The dump comes later: it may hold classes first taken after the table was printed.
    if not guest_rows or not set(guest_rows) <= set(host_rows):
        problems.append("classes of the table missing from profile's report: %s"
                        % sorted(set(guest_rows) - set(host_rows)))
    for p in problems:
        print("columns_test: FAIL: " + p)
    if not problems:
        print("columns_test: PASS: %d classes, header %r" % (len(guest_rows), guest_header))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
