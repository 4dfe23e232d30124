#!/usr/bin/env python3
"""readme_samples_test: every sample of output in README.md is what its command prints today.

    readme_samples_test.py --readme README.md --kine kine --kernel ELF... --boot CPIO
                           --readme-boot CPIO --programs NAME,NAME... [--only LINE]
    readme_samples_test.py --extract README.md OUT.c...   (the genrule of test/BUILD)

The rules of README.md this test holds it to:

  - A fenced block without a language (a bare ```) is output, and the line just above it (blank
    lines between are allowed) is a marker naming the command that prints it:
        <!-- sample: ./kine run --run "hello a b" -->
    Blocks of what one types or reads instead (commands, source, a map) carry a language:
    ```sh, ```c, ```text. A bare block without a marker fails the test, so a new sample cannot
    slip in unchecked.
  - The marker may name a mode in parentheses before the colon:
        <!-- sample (typed at the prompt): ./kine run -->
            the command starts the shell and the test types each sample line that begins with
            "$ " at the prompt, one at a time (after the prompt comes back), then ends stdin;
        <!-- sample (rows in any order): ./kine profile ... -->
            a lock-statistics table: the lines down to its "class name" header are matched in
            order; then each row (an unindented line) must be some row of the output's table,
            and each call-site line under it (an indented line) one of that row's call sites,
            in any order (contention varies from run to run, and so does the order of rows).
  - A sample is a window of the output: its first line may match anywhere, and the lines that
    follow must match the output's next lines one for one, except that a line `...` lets any
    number of output lines pass. What follows the last line is not looked at.
  - Lines are compared after normalising what legitimately varies: carriage returns and trailing
    blanks go, a run of blanks counts as one (columns widen with their numbers), hexadecimal
    numbers become <hex> and decimal numbers <n> (counts, addresses, sizes, timings, line
    numbers, the boot hart). Words stay as they are: function names, file paths, messages, so a
    renamed function or a moved file makes its sample fail.
  - The files a README block writes with `cat > /tmp/NAME.c <<'END'` ... `END` are the README's
    example programs: the genrule of test/BUILD extracts them (--extract) and builds them into
    the boot image --readme-boot with the rules of `./kine run --add` (local_programs); the test
    writes them again under its temporary directory and runs the README's own command lines,
    with /tmp/ standing for that directory. --programs names the programs that image holds: a
    README program it lacks fails the test.

Each command runs through bash in a scratch copy of the repository's front (a copy of ./kine and
a link to tools/), with KINE_SKIP_DEPS=1 and KINE_PREBUILT_KERNEL / KINE_PREBUILT_INITRD naming
the images Bazel built for this test (a test cannot call Bazel): --readme-boot when the command
has --add, --boot (//user:boot) otherwise. Everything after that (./kine's --add checks, the
runner, QEMU, profile.py and its symbolizer) is the path a user's command takes. Standard input
is /dev/null unless the mode types at the prompt; standard error is merged into standard output.

--only LINE runs only the sample whose marker is at README line LINE. To refresh a stale sample,
take the lines from what the command printed: each command's whole output is kept as
sample_lineN.log (N: the marker's line) in bazel-testlogs/test/readme_samples_test/test.outputs/
(Bazel zips them into outputs.zip there), and a failing sample's output is also in the test log.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARKER_RE = re.compile(r"^<!-- sample(?: \(([^)]*)\))?: (.*) -->\s*$")
FENCE_RE = re.compile(r"^```(.*)$")
HEREDOC_RE = re.compile(r"^cat > (/tmp/([A-Za-z0-9_][A-Za-z0-9_.-]*)\.c) <<'?(\w+)'?\s*$")
HEX_RE = re.compile(r"\b0x[0-9a-fA-F]+\b")
NUM_RE = re.compile(r"(?<![A-Za-z_0-9.])[0-9]+(?:\.[0-9]+)*")
MODES = ("", "typed at the prompt", "rows in any order")
ELISION = "..."
PROMPT = b"\n$ "
COMMAND_TIMEOUT_S = 150
STEP_TIMEOUT_S = 90


class Block:
    """A fenced block of the README: its language, first line number, and (number, text)
    lines; for a sample, its marker's mode and command and the marker's line number."""

    def __init__(self, lang, start):
        self.lang, self.start, self.lines = lang, start, []
        self.mode = self.command = self.marker_line = None


def parse_readme(path):
    """(blocks, problems): every fenced block, markers attached; misplaced markers and bare
    blocks without one are problems."""
    blocks, problems = [], []
    marker, block = None, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, text in enumerate(lines, 1):
        if block is not None:
            if text.strip() == "```":
                blocks.append(block)
                block = None
            else:
                block.lines.append((n, text))
            continue
        m = MARKER_RE.match(text)
        if m:
            if marker is not None:
                problems.append("README.md:%d: a sample marker with no block after it" % marker[0])
            mode = m.group(1) or ""
            if mode not in MODES:
                problems.append("README.md:%d: unknown sample mode (%s); modes: %s"
                                % (n, mode, ", ".join("(%s)" % x for x in MODES if x)))
            marker = (n, mode, m.group(2))
            continue
        f = FENCE_RE.match(text)
        if f:
            block = Block(f.group(1).strip(), n)
            if marker is not None:
                block.marker_line, block.mode, block.command = marker
                marker = None
                if block.lang:
                    problems.append("README.md:%d: a sample block is output: a bare ```, not "
                                    "```%s" % (n, block.lang))
            elif not block.lang:
                problems.append("README.md:%d: a bare ``` block is output: put a marker "
                                "<!-- sample: COMMAND --> above it naming the command that "
                                "prints it (or give it a language: sh, c, text, if it is not "
                                "output)" % n)
            continue
        if marker is not None and text.strip():
            problems.append("README.md:%d: a sample marker must stand just above its block"
                            % marker[0])
            marker = None
    if block is not None:
        problems.append("README.md:%d: a block that never closes" % block.start)
    if marker is not None:
        problems.append("README.md:%d: a sample marker with no block after it" % marker[0])
    return blocks, problems


def heredocs(blocks):
    """{program name: (README line, source text)} of every `cat > /tmp/NAME.c <<'END'` in the
    README's sh blocks."""
    progs = {}
    for b in blocks:
        if b.lang != "sh":
            continue
        body = None
        for n, text in b.lines:
            if body is None:
                m = HEREDOC_RE.match(text)
                if m:
                    name, end, body, start = m.group(2), m.group(3), [], n
            elif text == end:
                progs[name] = (start, "\n".join(body) + "\n")
                body = None
            else:
                body.append(text)
    return progs


def extract(readme, outs):
    blocks, _ = parse_readme(readme)
    progs = heredocs(blocks)
    for out in outs:
        name = os.path.basename(out)[:-len(".c")]
        if name not in progs:
            sys.exit("readme_samples_test --extract: README.md writes no /tmp/%s.c (it has: %s)"
                     % (name, ", ".join(sorted(progs)) or "none"))
        with open(out, "w") as f:
            f.write(progs[name][1])
    return 0


def norm(text):
    """A line as compared: see the docstring."""
    text = text.replace("\r", "").rstrip()
    indent = " " if text[:1].isspace() else ""
    text = HEX_RE.sub("<hex>", text)
    text = NUM_RE.sub("<n>", text)
    return indent + " ".join(text.split())


def find_window(sample, out, since):
    """Match sample [(readme line, text)] (no elisions) against out [normalised lines] at the
    first place at or after since: (start, None), or (None, (best start, lines matched there))."""
    want = [norm(t) for _, t in sample]
    best = (None, 0)
    for start in range(since, len(out)):
        k = 0
        while k < len(want) and start + k < len(out) and out[start + k] == want[k]:
            k += 1
        if k == len(want):
            return start, None
        if k > best[1]:
            best = (start, k)
    return None, best


def check_in_order(sample, raw, since=0):
    """Problems of an in-order sample (with `...` elisions) against raw output lines, and the
    output index just past its last match."""
    out = [norm(t) for t in raw]
    segments, seg = [], []
    for n, text in sample:
        if text.strip() == ELISION:
            if seg:
                segments.append(seg)
            seg = []
        else:
            seg.append((n, text))
    if seg:
        segments.append(seg)
    pos, prev = since, None
    for seg in segments:
        start, miss = find_window(seg, out, pos)
        if start is not None:
            pos, prev = start + len(seg), (seg[-1][0], start + len(seg))
            continue
        where = ("after README.md:%d's match (output line %d)" % prev) if prev else "anywhere"
        best, k = miss
        if k == 0:
            n, text = seg[0]
            return ["README.md:%d: %r is no line of the output %s" % (n, text.strip(), where)
                    ], pos
        n, text = seg[k]
        got = raw[best + k].rstrip() if best + k < len(raw) else "(the end of the output)"
        return ["README.md:%d: %r does not match the output: README.md:%d-%d matched output "
                "lines %d-%d, and output line %d is %r" % (
                    n, text.strip(), seg[0][0], seg[k - 1][0], best + 1, best + k,
                    best + k + 1, got.strip())], pos
    return [], pos


def table_groups(lines):
    """[(row, [site lines])] of (readme line or output index, text) pairs: a row is an
    unindented line, a site an indented one; `...` lines and a blank line's end are skipped."""
    groups = []
    for n, text in lines:
        if not text.strip() or text.strip() == ELISION:
            continue
        if text[:1].isspace():
            if groups:
                groups[-1][1].append((n, text))
        else:
            groups.append(((n, text), []))
    return groups


def check_table(sample, raw):
    """Problems of a (rows in any order) sample against raw output lines."""
    head = []
    for i, (n, text) in enumerate(sample):
        head.append((n, text))
        if text.startswith("class name"):
            break
    else:
        return ["README.md:%d: a (rows in any order) sample needs its table's 'class name' "
                "header line" % sample[0][0]]
    problems, pos = check_in_order(head, raw)
    if problems:
        return problems
    body = []
    for i in range(pos, len(raw)):
        if not raw[i].strip():
            break
        body.append((i, raw[i]))
    rows = {}
    for (i, row), sites in table_groups(body):
        rows[row.split()[0]] = (norm(row), [norm(t) for _, t in sites], [t for _, t in sites])
    for (n, row), sites in table_groups(sample[len(head):]):
        name = row.split()[0]
        if name not in rows:
            problems.append("README.md:%d: the table has no row %r (its rows: %s)"
                            % (n, name, " ".join(rows)))
            continue
        got_row, got_sites, raw_sites = rows[name]
        if norm(row) != got_row:
            problems.append("README.md:%d: row %r is not the output's row %r"
                            % (n, norm(row), got_row))
        for m, site in sites:
            if norm(site) not in got_sites:
                problems.append("README.md:%d: %r is no call site of %s in the output (its "
                                "sites: %s)" % (m, site.strip(), name, "; ".join(
                                    s.strip() for s in raw_sites) or "none"))
    return problems


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_command(command, env, cwd):
    """bash -c COMMAND, stdin /dev/null: its output (stdout and stderr) as text."""
    proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        out += b"\n(readme_samples_test: stopped after %d s)\n" % COMMAND_TIMEOUT_S
    return out.decode("latin-1")


def run_typed(command, typed, env, cwd):
    """COMMAND with a pipe on stdin: at each prompt, the next line of typed; then stdin's end.
    Its output as text."""
    proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    # test/qemu/console_io.py reads a console as it comes (imported here: the build's
    # --extract runs this script without it).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "qemu"))
    import console_io  # noqa: E402

    out = bytearray()

    def read_past(want, since):
        return console_io.read_past(proc, out, want, since, time.monotonic() + STEP_TIMEOUT_S)

    mark = read_past(PROMPT, 0)
    for line in typed:
        if mark is None:
            out.extend(b"\n(readme_samples_test: no prompt to type %r at)\n" % line.encode())
            break
        proc.stdin.write(line.encode() + b"\r")
        proc.stdin.flush()
        mark = read_past(PROMPT, mark)
    proc.stdin.close()
    proc.stdin = None  # closed: communicate() has nothing to send
    try:
        rest, _ = proc.communicate(timeout=30)
        out.extend(rest)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out.extend(proc.communicate()[0])
    return out.decode("latin-1")


def scratch_root(tmp, runfiles_kine):
    """A copy of ./kine beside a link to the runfiles' tools/: the front script's $ROOT, where
    `./kine profile` may write profile/ (the runfiles are not ours to write)."""
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    shutil.copy(runfiles_kine, os.path.join(root, "kine"))
    os.symlink(os.path.join(os.path.dirname(os.path.abspath(runfiles_kine)), "tools"),
               os.path.join(root, "tools"))
    return root


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--extract", nargs="+", metavar="FILE")
    p.add_argument("--readme")
    p.add_argument("--kine")
    p.add_argument("--kernel", nargs="+", help="the kernel target's files: its .elf is booted")
    p.add_argument("--boot")
    p.add_argument("--readme-boot")
    p.add_argument("--programs", default="")
    p.add_argument("--only", type=int)
    args = p.parse_args()
    if args.extract:
        return extract(args.extract[0], args.extract[1:])

    blocks, problems = parse_readme(args.readme)
    progs = heredocs(blocks)
    built = set(filter(None, args.programs.split(",")))
    for name, (n, _) in sorted(progs.items()):
        if name not in built:
            problems.append("README.md:%d writes /tmp/%s.c, which the test's boot image does "
                            "not build: add it to test/BUILD's README_PROGRAMS" % (n, name))
    samples = [b for b in blocks if b.command is not None]
    if args.only:
        samples = [b for b in samples if b.marker_line == args.only]
    if not samples:
        problems.append("README.md has no sample marker%s" % (
            " at line %d" % args.only if args.only else ""))

    tmp = tempfile.mkdtemp(prefix="readme_samples_", dir=os.environ.get("TEST_TMPDIR"))
    root = scratch_root(tmp, args.kine)
    for name, (_, text) in progs.items():
        with open(os.path.join(tmp, name + ".c"), "w") as f:
            f.write(text)
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", tmp)
    base_env = dict(os.environ, KINE_SKIP_DEPS="1", MPLCONFIGDIR=os.path.join(tmp, "mpl"),
                    KINE_PREBUILT_KERNEL=os.path.abspath(
                        [k for k in args.kernel if k.endswith(".elf")][0]))
    total = time.monotonic()
    for b in samples:
        command = b.command.replace("/tmp/", tmp + "/")
        env = dict(base_env, KINE_PREBUILT_INITRD=os.path.abspath(
            args.readme_boot if "--add" in command else args.boot))
        start = time.monotonic()
        sample = [(n, t) for n, t in b.lines]
        if b.mode == "typed at the prompt":
            typed = [t[2:] for _, t in sample if t.startswith("$ ") and t[2:].strip()]
            text = run_typed(command, typed, env, root)
        else:
            text = run_command(command, env, root)
        raw = text.replace("\r", "").split("\n")
        log = os.path.join(outputs, "sample_line%d.log" % b.marker_line)
        with open(log, "w") as f:
            f.write(text)
        if b.mode == "rows in any order":
            found = check_table(sample, raw)
        else:
            found = check_in_order(sample, raw)[0]
        print("README.md:%d: %s%s: %d lines of output in %.1f s: %s" % (
            b.marker_line, b.command, " (%s)" % b.mode if b.mode else "", len(raw),
            time.monotonic() - start, "FAIL" if found else "matches"))
        if found:
            print("---- its output (also in %s) ----" % os.path.basename(log))
            print(text.replace("\r", "").rstrip())
            print("----")
        problems += found
    for prob in problems:
        print("readme_samples_test: FAIL: " + prob)
    print("readme_samples_test: %s: %d samples in %.1f s" % (
        "FAIL" if problems else "PASS", len(samples), time.monotonic() - total))
    if os.environ.get("TEST_TMPDIR") is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
