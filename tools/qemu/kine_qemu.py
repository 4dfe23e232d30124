#!/usr/bin/env python3
"""kine_qemu.py: the one way kine boots in QEMU (front script, `bazel run //:qemu`, every QEMU test).

    kine_qemu.py run  --kernel ELF [machine options] [--append OPTS] [--run CMD]
                      [--gdb] [--timeout S] [--eof-idle S]
    kine_qemu.py test --kernel ELF [machine options] [--append OPTS] [--run CMD]
                      [--expect RE ...] [--reject RE ...] [--timeout S] [--name NAME] [--quiet]

    machine options: [--smp N] [--mem SIZE] [--machine virt|sifive_u]
                     [--bios default|fw_jump|fw_dynamic|PATH] [--cpu CPU] [--deterministic SEED]
                     [--initrd FILE|none]

The console protocol it relies on (the kernel's side of the contract):
  * `kine: N/M harts online` once every hart is up;
  * exactly one `kine: verdict: PASS` or `kine: verdict: FAIL <reason>` line ends a run, then
    the kernel powers off (virt: the sifive_test device, so QEMU's exit status is 0 or not;
    elsewhere SBI SRST, whose exit status is always 0, so the verdict line is the truth);
  * a panic prints `kine: panic: ...`, `kine: bt #K 0x<pc>` lines, then `FAIL panic`.

Rules of `run` when stdin is NOT a terminal (a pipe, a test, /dev/null). The runner copies the
console to stdout, forwards stdin to the guest console, and never leaves QEMU behind. A run
"asks for a verdict" when it has --run, or its --append holds `test=NAME` or `-- CMD`. It ends
QEMU (SIGTERM to its process group, SIGKILL 2 s later) when:
  1. a verdict line has appeared and QEMU has not exited by itself within 2 s;
  2. only for a run that does NOT ask for a verdict (an interactive session fed from a pipe):
     stdin has reached EOF and the guest has then printed nothing for --eof-idle seconds
     (default 2; 0 turns the rule off; never applied with --gdb, where the guest waits for the
     debugger). A run that asks for a verdict never ends on quiet, whatever stdin is;
  3. the runner gets SIGINT, SIGTERM or SIGHUP;
  4. --timeout seconds have passed since QEMU started.
Exit status (session_status; the same table is in README.md and tools/qemu/README.md):
  0          verdict PASS (a --run command that exited 0);
  N          verdict "FAIL exit status N": the command's own status (its low byte, 1 if that is 0);
  1          any other FAIL verdict (a panic, a failed self-test);
  124        no verdict: --timeout struck (as timeout(1));
  125        no verdict: QEMU exited by itself when a verdict was asked for, or with a
             non-zero status (or the runner could not start it);
  128+N      no verdict: the runner got signal N;
  0          no verdict, but none was asked for: the session ended on rule 2 (or QEMU exited 0).
Every end without a verdict says why on stderr (`kine_qemu: run ended without a verdict: ...`).

When stdin IS a terminal, QEMU owns it (Ctrl-A X quits, Ctrl-A H lists the other keys); the
runner waits, restores the terminal settings, and exits with QEMU's status (124 on --timeout).

`test` always runs the non-terminal way, with its stdin at /dev/null and a hard wall-clock
timeout, and passes iff: the verdict is PASS (or --expect-verdict), every --expect regex matched
some console line, no --reject regex matched any, there was only one verdict line, and (on virt,
which has the test device) QEMU exited by itself with status 0. On failure it says which check failed,
prints the last 40 console lines and the symbolized backtrace, if any. The whole console
goes to $TEST_UNDECLARED_OUTPUTS_DIR/console.log when Bazel sets that variable (and to
--log FILE when given).

Python 3 standard library only.
"""

import argparse
import ctypes
import fcntl
import importlib.machinery
import importlib.util
import os
import re
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import termios
import time

QEMU = "qemu-system-riscv64"
OPENSBI_DIR = "/usr/lib/riscv64-linux-gnu/opensbi/generic"

VERDICT_RE = re.compile(r"kine: verdict: (PASS|FAIL\b.*)")
BACKTRACE_RE = re.compile(r"kine: bt #\d+ 0x")

# How long QEMU may take to exit by itself once the verdict line is out.
# The kernel powers off right after printing it; on sifive_u an SRST
# shutdown that OpenSBI refuses leaves QEMU spinning, hence the limit.
VERDICT_GRACE_S = 2.0
# Between SIGTERM and SIGKILL when ending QEMU.
TERM_GRACE_S = 2.0
DEFAULT_EOF_IDLE_S = 2.0
TAIL_LINES = 40
# A console "line" longer than this is cut, so a guest that never prints a
# newline cannot make the runner hold (and rescan) an ever-growing line.
MAX_LINE = 64 * 1024

EXIT_TIMEOUT = 124  # like timeout(1)
# A run that asked for a verdict and got none because QEMU exited (or died)
# first. 125 as `timeout` uses it for "could not do its job": distinct from
# 124, from 128+N, and from the 0/1 of a verdict (a command's own exit status
# N can still be any byte: the stderr line says which end it was).
EXIT_NO_VERDICT = 125
SEEDED_TIMEOUT_SCALE = 3  # a test's --timeout under KINE_SEED (./kine test --seed)


def note(msg):
    """Runner messages go to stderr, so stdout carries the guest console only."""
    sys.stderr.write("kine_qemu: %s\n" % msg)
    sys.stderr.flush()


# --------------------------------------------------------------------------
# Building the QEMU command line
# --------------------------------------------------------------------------


def bios_path(bios):
    """-bios value: QEMU's own OpenSBI, one of Debian's OpenSBI images, or a file."""
    if bios == "default":
        return "default"
    if bios in ("fw_jump", "fw_dynamic"):
        path = os.path.join(OPENSBI_DIR, bios + ".elf")
        if not os.path.isfile(path):
            raise SystemExit("kine_qemu: %s not found (install Debian's opensbi package)" % path)
        return path
    if not os.path.isfile(bios):
        raise SystemExit("kine_qemu: --bios %s: no such file "
                         "(use default, fw_jump, fw_dynamic or a path)" % bios)
    return os.path.abspath(bios)


def initrd_path(initrd):
    """-initrd value: the boot image (a cpio archive of user programs), or None for none."""
    if initrd is None or initrd in ("", "none"):
        return None
    if not os.path.isfile(initrd):
        raise SystemExit("kine_qemu: --initrd %s: no such file (build it: bazel build //user:boot)"
                         % initrd)
    return os.path.abspath(initrd)


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As QEMU does: a port left in TIME_WAIT by the last session is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
            return True
        except OSError:
            return False


def free_port():
    """A port the kernel just said is free (racy, but good enough for a debug session)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bootargs(args):
    """The -append string: the options, then `-- CMD` when a command is to be run."""
    parts = []
    if args.append:
        parts.append(args.append.strip())
    seed = getattr(args, "seed", None)
    if seed is not None and not re.search(r"(^| )seed=", args.append or ""):
        # The kernel perturbs its schedule from it; options go before "-- CMD".
        opts = " ".join(parts)
        if opts.startswith("-- "):
            opts = "seed=%d %s" % (seed, opts)
        elif " -- " in opts:
            opts = opts.replace(" -- ", " seed=%d -- " % seed, 1)
        else:
            opts = (opts + " seed=%d" % seed).strip()
        parts = [opts]
    if args.run is not None:
        parts.append("-- " + args.run)
    return " ".join(parts)


def qemu_command(args, gdb_port=None):
    if not os.path.isfile(args.kernel):
        raise SystemExit("kine_qemu: --kernel %s: no such file (build it: bazel build //:kernel)"
                         % args.kernel)
    cmd = [QEMU, "-nographic",
           # A cold reboot must end QEMU, not restart the kernel forever.
           "-no-reboot",
           "-M", args.machine, "-smp", str(args.smp), "-m", args.mem,
           "-bios", bios_path(args.bios),
           "-kernel", args.kernel]
    initrd = initrd_path(args.initrd)
    if initrd is not None:
        # QEMU loads it into RAM and names it in /chosen/linux,initrd-start/-end.
        cmd += ["-initrd", initrd]
    if args.cpu:
        cmd += ["-cpu", args.cpu]
    if getattr(args, "dtb", None):
        # The machine's own tree replaced (e.g. sifive_u with U74 cpu nodes);
        # the firmware still edits it before the kernel gets it.
        if not os.path.isfile(args.dtb):
            raise SystemExit("kine_qemu: --dtb %s: no such file" % args.dtb)
        cmd += ["-dtb", os.path.abspath(args.dtb)]
    if args.deterministic is not None:
        # One host thread runs every hart, virtual time follows the
        # instruction count: the same seed gives the same run (platform-facts).
        cmd += ["-icount", "shift=3,sleep=off", "-accel", "tcg,thread=single",
                "-seed", str(args.deterministic)]
    if gdb_port is not None:
        # -s is -gdb tcp::1234; use it when that port is free, as people expect.
        cmd += ["-s"] if gdb_port == 1234 else ["-gdb", "tcp::%d" % gdb_port]
        cmd += ["-S"]  # wait for the debugger before the first instruction
    line = bootargs(args)
    if line:
        cmd += ["-append", line]
    return cmd


# --------------------------------------------------------------------------
# Starting and ending QEMU
# --------------------------------------------------------------------------


_ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _die_with_parent(sig):
    """preexec_fn: have the kernel send QEMU `sig` if this runner dies, even by SIGKILL.

    The last line of defence of "never leave QEMU running": the signal
    handlers and finally-blocks below cover every exit this process sees.
    """
    def preexec():
        # The runner blocks these around Popen (see Qemu); QEMU must get them.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING_SIGNALS)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    return preexec


class Qemu:
    """A QEMU process that runs in its own process group when it does not own a terminal."""

    def __init__(self, cmd, own_group, **popen_args):
        self.own_group = own_group
        # A signal handled between "QEMU started" and "the caller holds this
        # object" would leave nobody to end QEMU: hold the signals until then
        # (the caller's handlers run as soon as __init__ returns).
        signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING_SIGNALS)
        try:
            self.proc = subprocess.Popen(
                cmd,
                start_new_session=own_group,
                preexec_fn=_die_with_parent(signal.SIGKILL if own_group else signal.SIGTERM),
                **popen_args)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING_SIGNALS)
        self.started = time.monotonic()
        self.ended_by_runner = False

    def _signal(self, sig):
        try:
            if self.own_group:
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def end(self):
        """Terminate, then kill; returns QEMU's status. Safe to call any number of times."""
        if self.proc.poll() is None:
            self.ended_by_runner = True
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(TERM_GRACE_S)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                try:
                    self.proc.wait(TERM_GRACE_S)
                except subprocess.TimeoutExpired:
                    note("QEMU (pid %d) survived SIGKILL for %.0f s" % (self.proc.pid,
                                                                        TERM_GRACE_S))
        elif self.own_group:
            # QEMU is gone; anything it forked would still be in the group.
            self._signal(signal.SIGKILL)
        return self.proc.returncode


def status_of(returncode):
    """Popen's returncode as a shell exit status (-N for death by signal N)."""
    if returncode is None:
        return 1
    return 128 - returncode if returncode < 0 else returncode


class Signalled(Exception):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_signalled(signum, _frame):
    raise Signalled(signum)


def catch_signals():
    """Turn SIGINT/SIGTERM/SIGHUP into an exception, so finally-blocks end QEMU."""
    for sig in _ENDING_SIGNALS:
        signal.signal(sig, _raise_signalled)


def ignore_signals():
    """While ending QEMU, a second Ctrl-C must not cut the cleanup short."""
    for sig in _ENDING_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


# --------------------------------------------------------------------------
# The console session (non-terminal)
# --------------------------------------------------------------------------


class Session:
    """Outcome of one non-terminal boot."""

    def __init__(self):
        self.lines = []            # every complete console line, decoded, without \r\n
        self.partial = b""         # bytes after the last newline
        self.verdicts = []         # the verdict lines, in order
        self.verdict_at = None     # monotonic time of the first verdict line
        self.why_ended = None      # None: QEMU exited by itself; else what the runner did
        self.signum = None
        self.timed_out = False
        self.qemu_status = None    # shell-style exit status of QEMU
        self.exited_by_itself = False
        self.elapsed = 0.0

    @property
    def verdict(self):
        return self.verdicts[0] if self.verdicts else None

    def all_lines(self):
        tail = [self.partial.decode("utf-8", "replace").rstrip("\r")] if self.partial else []
        return self.lines + tail

    def feed(self, data, now):
        """Split console bytes into lines and watch for the verdict."""
        if b"\n" not in data:
            # Most reads are a few bytes of an unfinished line: just collect
            # them (re-splitting the whole partial line each time is quadratic).
            self.partial += data
            if len(self.partial) > MAX_LINE:
                self._line(self.partial, now)  # no newline in sight: cut it here
                self.partial = b""
            return
        *complete, self.partial = (self.partial + data).split(b"\n")
        for raw in complete:
            self._line(raw, now)

    def _line(self, raw, now):
        line = raw.decode("utf-8", "replace").rstrip("\r")
        self.lines.append(line)
        m = VERDICT_RE.search(line)
        if m:
            self.verdicts.append(m.group(1).strip())
            if self.verdict_at is None:
                self.verdict_at = now


def _set_nonblocking(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def console_session(cmd, echo, forward_stdin, timeout, eof_idle, log_files=()):
    """Boot QEMU without a terminal, copy its console, apply the rules, end it on every path.

    echo: write the console to our stdout as it arrives.
    forward_stdin: copy our stdin to the guest console (else QEMU reads /dev/null).
    timeout: wall-clock limit in seconds, or None.
    eof_idle: end QEMU this long after stdin EOF and guest silence; None or 0 = never.
    """
    s = Session()
    catch_signals()
    qemu = None
    stdin_flags = None
    sel = selectors.DefaultSelector()
    try:
        qemu = Qemu(cmd, own_group=True,
                    stdin=subprocess.PIPE if forward_stdin else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    # QEMU's own complaints belong in the log with the console.
                    stderr=subprocess.STDOUT)
        out_fd = qemu.proc.stdout.fileno()
        _set_nonblocking(out_fd)
        sel.register(out_fd, selectors.EVENT_READ, "console")

        to_guest = b""             # stdin bytes the guest has not taken yet
        guest_fd = None
        stdin_fd = None
        stdin_eof_at = None
        if forward_stdin:
            guest_fd = qemu.proc.stdin.fileno()
            _set_nonblocking(guest_fd)
            try:
                stdin_fd = sys.stdin.fileno()
                stdin_flags = fcntl.fcntl(stdin_fd, fcntl.F_GETFL)
            except (AttributeError, ValueError, OSError):
                stdin_fd = None  # no stdin at all (fd 0 closed): as good as EOF
                stdin_eof_at = time.monotonic()
            if stdin_fd is not None:
                try:
                    _set_nonblocking(stdin_fd)
                    sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
                except (OSError, ValueError):
                    # A regular file or /dev/null cannot be polled: it is
                    # always readable, so read it all now and forward it.
                    to_guest = _read_all(stdin_fd)
                    stdin_eof_at = time.monotonic()
                    stdin_fd = None
        last_output = time.monotonic()
        exited_at = None
        console_open = True
        stdout_ok = echo

        while True:
            now = time.monotonic()
            if qemu.proc.poll() is not None:
                # QEMU is gone: stop once its pipe is drained (or after a
                # moment, should something else still hold the pipe open).
                if exited_at is None:
                    exited_at = now
                if not console_open or now - exited_at >= 0.5:
                    break
            # The rules, checked in order of how they are documented.
            if s.verdict_at is not None and now - s.verdict_at >= VERDICT_GRACE_S \
                    and qemu.proc.poll() is None:
                s.why_ended = ("QEMU did not exit within %.0f s of the verdict line"
                               % VERDICT_GRACE_S)
                break
            if eof_idle and stdin_eof_at is not None and not to_guest \
                    and now - max(stdin_eof_at, last_output) >= eof_idle \
                    and s.verdict_at is None:
                s.why_ended = ("stdin reached EOF and the guest was quiet for %.0f s"
                               % eof_idle)
                break
            if timeout is not None and now - qemu.started >= timeout:
                s.why_ended = "timed out after %g s" % timeout
                s.timed_out = True
                break

            # Back-pressure: read stdin only while the guest is less than
            # 64 KiB behind (QEMU takes console input as fast as the guest reads).
            if stdin_fd is not None:
                reading = stdin_fd in sel.get_map()
                if reading and len(to_guest) >= 65536:
                    sel.unregister(stdin_fd)
                elif not reading and len(to_guest) < 65536:
                    sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
            # Ask to write to the guest only while there is something to write.
            if guest_fd is not None:
                want = selectors.EVENT_WRITE if to_guest else 0
                key = sel.get_map().get(guest_fd)
                if want and key is None:
                    sel.register(guest_fd, want, "guest")
                elif not want and key is not None:
                    sel.unregister(guest_fd)

            for key, _ in sel.select(timeout=0.1):
                if key.data == "console":
                    try:
                        data = os.read(out_fd, 65536)
                    except BlockingIOError:
                        continue
                    if not data:
                        sel.unregister(out_fd)
                        console_open = False
                        continue
                    last_output = time.monotonic()
                    s.feed(data, last_output)
                    for f in log_files:
                        f.write(data)
                        f.flush()
                    if stdout_ok:
                        try:
                            sys.stdout.buffer.write(data)
                            sys.stdout.buffer.flush()
                        except BrokenPipeError:
                            # Whoever read our stdout left (e.g. `| head`): keep
                            # running the rules, stop echoing.
                            stdout_ok = False
                elif key.data == "stdin":
                    try:
                        data = os.read(stdin_fd, 4096)
                    except BlockingIOError:
                        continue
                    if not data:
                        sel.unregister(stdin_fd)
                        stdin_fd = None
                        stdin_eof_at = time.monotonic()
                    else:
                        to_guest += data
                elif key.data == "guest":
                    try:
                        n = os.write(guest_fd, to_guest)
                        to_guest = to_guest[n:]
                    except BlockingIOError:
                        pass
                    except BrokenPipeError:
                        to_guest = b""  # QEMU is going away; the loop will see it
            # Forward EOF once everything before it is delivered; QEMU keeps
            # running (a console has no EOF), but nothing is held open for nothing.
            if guest_fd is not None and stdin_eof_at is not None and not to_guest:
                if guest_fd in sel.get_map():
                    sel.unregister(guest_fd)
                qemu.proc.stdin.close()
                guest_fd = None

        if s.why_ended is None:
            s.exited_by_itself = True
    except Signalled as sig:
        s.signum = sig.signum
        s.why_ended = "got signal %s" % signal.Signals(sig.signum).name
    finally:
        ignore_signals()
        if qemu is not None:
            rc = qemu.end()
            s.qemu_status = status_of(rc)
            s.elapsed = time.monotonic() - qemu.started
            # The pipe may still hold the last words (e.g. QEMU's "terminating on signal").
            try:
                rest = qemu.proc.stdout.read() or b""
            except (OSError, ValueError):
                rest = b""
            if rest:
                s.feed(rest, time.monotonic())
                for f in log_files:
                    f.write(rest)
                    f.flush()
                if echo:
                    try:
                        sys.stdout.buffer.write(rest)
                        sys.stdout.buffer.flush()
                    except (BrokenPipeError, ValueError):
                        pass
        sel.close()
        if stdin_flags is not None:
            # O_NONBLOCK lives in the open file description, which whoever
            # gave us this stdin may share: put it back.
            try:
                fcntl.fcntl(sys.stdin.fileno(), fcntl.F_SETFL, stdin_flags)
            except OSError:
                pass
    return s


def _read_all(fd):
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


# --------------------------------------------------------------------------
# `run`
# --------------------------------------------------------------------------


def run_in_terminal(cmd, timeout):
    """QEMU owns the terminal; we only wait for it and put the terminal back afterwards."""
    note("QEMU owns this terminal: quit with Ctrl-A X (Ctrl-A H lists the other keys)")
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    catch_signals()
    qemu = None
    signum = None
    timed_out = False
    try:
        # Same process group as us: QEMU must be in the terminal's
        # foreground group to read it.
        qemu = Qemu(cmd, own_group=False)
        while True:
            try:
                qemu.proc.wait(0.2)
                break
            except subprocess.TimeoutExpired:
                if timeout is not None and time.monotonic() - qemu.started >= timeout:
                    timed_out = True
                    break
    except Signalled as sig:
        signum = sig.signum
    finally:
        ignore_signals()
        rc = qemu.end() if qemu is not None else None
        # QEMU restores the terminal when it exits cleanly; after a SIGKILL
        # it cannot, so do it here in every case.
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    if timed_out:
        note("run ended without a verdict: --timeout %g s struck, QEMU ended; exit status %d"
             % (timeout, EXIT_TIMEOUT))
        return EXIT_TIMEOUT
    if signum is not None:
        return 128 + signum
    return status_of(rc)


EXIT_STATUS_RE = re.compile(r"FAIL exit status (-?[0-9]+)$")


def verdict_status(verdict):
    """The exit status a run reports: 0 for PASS; a command's own status for
    "FAIL exit status N" (its low byte, 1 if that is 0, as QEMU's test device
    reports it); 1 for any other failure."""
    if verdict == "PASS":
        return 0
    m = EXIT_STATUS_RE.match(verdict)
    if m:
        code = int(m.group(1)) & 0xff
        return code if code else 1
    return 1


ASKS_VERDICT_RE = re.compile(r"(^|\s)(test=\S|--(\s|$))")


def asks_for_verdict(args):
    """True when the kernel will end this run with a verdict line: a command to
    run (--run, or `-- CMD` in --append) or a self-test (test=NAME)."""
    return args.run is not None or bool(ASKS_VERDICT_RE.search(args.append or ""))


def quiet_rule(args):
    """The seconds of --eof-idle the run may end on (rule 2), or None.

    Never for a run that asks for a verdict: a program may work quietly for
    as long as it likes, and ending it early would report a run that never
    finished (only --timeout bounds it). Never with --gdb either: the guest
    waits for the debugger, so silence means nothing."""
    if args.gdb:
        return None
    if asks_for_verdict(args):
        if args.eof_idle:
            note("--eof-idle ignored: a run with --run (or test=, or -- CMD) ends on its "
                 "verdict, its --timeout or QEMU's exit, never on quiet")
        return None
    return DEFAULT_EOF_IDLE_S if args.eof_idle is None else args.eof_idle


def session_status(s, args, asked):
    """The exit status of a non-terminal run (the table in the module docstring),
    saying on stderr why a run without a verdict ended."""
    if s.verdict is not None:
        if s.verdict == "PASS" and s.exited_by_itself and s.qemu_status != 0 \
                and args.machine == "virt":
            note("warning: verdict PASS but QEMU exited with status %d" % s.qemu_status)
        status = verdict_status(s.verdict)
        if status != 0:
            note("run ended on verdict %s: exit status %d" % (s.verdict, status))
        return status
    if s.timed_out:
        note("run ended without a verdict: --timeout %g s struck; exit status %d"
             % (args.timeout, EXIT_TIMEOUT))
        return EXIT_TIMEOUT
    if s.signum is not None:
        note("run ended without a verdict: the runner got %s; exit status %d"
             % (signal.Signals(s.signum).name, 128 + s.signum))
        return 128 + s.signum
    if s.exited_by_itself and (asked or s.qemu_status != 0):
        note("run ended without a verdict: QEMU exited by itself with status %s%s; "
             "exit status %d" % (s.qemu_status, " (a verdict was expected)" if asked else "",
                                 EXIT_NO_VERDICT))
        return EXIT_NO_VERDICT
    # No verdict asked for: the piped session ended on quiet (rule 2) or the
    # guest powered off cleanly. That is its normal end.
    return 0


def cmd_run(args):
    gdb_port = None
    if args.gdb:
        gdb_port = 1234 if port_is_free(1234) else free_port()
    cmd = qemu_command(args, gdb_port)
    if args.verbose:
        note("running: " + shlex.join(cmd))
    if gdb_port is not None:
        note("QEMU waits for gdb on port %d; attach with:" % gdb_port)
        note("  gdb-multiarch %s -ex 'target remote :%d'"
             % (shlex.quote(os.path.abspath(args.kernel)), gdb_port))

    if sys.stdin.isatty():
        return run_in_terminal(cmd, args.timeout)

    try:
        s = console_session(cmd, echo=True, forward_stdin=True, timeout=args.timeout,
                            eof_idle=quiet_rule(args))
    except OSError as err:
        note("run ended without a verdict: could not start QEMU (%s); exit status %d"
             % (err, EXIT_NO_VERDICT))
        return EXIT_NO_VERDICT
    if s.why_ended:
        note("ended QEMU: %s" % s.why_ended)
    if len(s.verdicts) > 1:
        note("warning: %d verdict lines (the contract says one): %s"
             % (len(s.verdicts), "; ".join(s.verdicts)))
    return session_status(s, args, asks_for_verdict(args))


# --------------------------------------------------------------------------
# `test`
# --------------------------------------------------------------------------


def load_symbolize():
    """Import tools/symbolize (a script without .py, so by path); None if it is not there."""
    here = os.path.dirname(os.path.abspath(__file__))
    for base in (here, os.path.dirname(os.path.realpath(__file__))):
        path = os.path.join(os.path.dirname(base), "symbolize")
        if os.path.isfile(path):
            loader = importlib.machinery.SourceFileLoader("kine_symbolize", path)
            spec = importlib.util.spec_from_loader("kine_symbolize", loader)
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module
    return None


def open_logs(args):
    files = []
    paths = []
    outdir = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if outdir:
        paths.append(os.path.join(outdir, "console.log"))
    if args.log:
        paths.append(args.log)
    for path in paths:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        files.append(open(path, "wb"))
    return files, paths


def cmd_test(args):
    name = args.name or os.environ.get("TEST_TARGET") or os.path.basename(args.kernel)
    try:
        # A seeded run perturbs the schedule on purpose: what holds only for an
        # unperturbed one (a thread that stays on its hart) is not checked there.
        wanted = args.expect + (args.expect_unseeded if args.seed is None else [])
        expects = [(e, re.compile(e)) for e in wanted]
        rejects = [(r, re.compile(r)) for r in args.reject]
    except re.error as err:
        raise SystemExit("kine_qemu: bad regex: %s" % err)
    cmd = qemu_command(args)
    note("%s: %s" % (name, shlex.join(cmd)))

    logs, _ = open_logs(args)
    try:
        s = console_session(cmd, echo=not args.quiet, forward_stdin=False,
                            timeout=args.timeout, eof_idle=None, log_files=logs)
    finally:
        for f in logs:
            f.close()
    lines = s.all_lines()

    # Every check, so one report says everything that went wrong.
    why = []
    if s.signum is not None:
        why.append("the runner got %s (Bazel's own timeout?) and ended QEMU"
                   % signal.Signals(s.signum).name)
    if s.verdict is None:
        if s.timed_out:
            why.append("no verdict line within the %g s timeout" % args.timeout)
        elif s.signum is None:
            why.append("QEMU exited with status %s before any verdict line" % s.qemu_status)
    elif s.verdict != args.expect_verdict:
        why.append("verdict: %s (expected %s)" % (s.verdict, args.expect_verdict))
    if len(s.verdicts) > 1:
        why.append("%d verdict lines, the contract says one: %s"
                   % (len(s.verdicts), "; ".join(s.verdicts)))
    for text, regex in expects:
        if not any(regex.search(line) for line in lines):
            why.append("--expect %r matched no console line" % text)
    for text, regex in rejects:
        hits = [line for line in lines if regex.search(line)]
        if hits:
            why.append("--reject %r matched: %s" % (text, hits[0]))
    if s.verdict is not None and args.machine == "virt":
        # virt has the test device: the kernel's power-off must end QEMU,
        # with status 0 exactly when it passed.
        if not s.exited_by_itself:
            why.append("QEMU did not exit by itself after the verdict line: %s" % s.why_ended)
        elif s.qemu_status != 0 and s.verdict == "PASS":
            why.append("verdict PASS, yet QEMU exited with status %d" % s.qemu_status)
        elif s.qemu_status == 0 and s.verdict != "PASS":
            why.append("verdict %s, yet QEMU exited with status 0" % s.verdict)

    if not why:
        note("%s: PASS (verdict %s, %d expect, %d reject, QEMU exit %s, %.1f s)"
             % (name, s.verdict, len(expects), len(rejects), s.qemu_status, s.elapsed))
        return 0

    out = sys.stdout
    out.write("\n==== %s: FAIL ====\n" % name)
    for reason in why:
        out.write("  * %s\n" % reason)
    out.write("  (QEMU %s, status %s, after %.1f s)\n" % (
        "exited by itself" if s.exited_by_itself else "was ended by the runner",
        s.qemu_status, s.elapsed))
    if os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR"):
        # The sandbox path means nothing afterwards: say where Bazel puts it.
        out.write("  whole console: %sconsole.log in bazel-testlogs/<test>/"
                  "test.outputs/ (outputs.zip)\n" % ("" if args.quiet else "above, and "))
    if args.log:
        out.write("  whole console: %s\n" % args.log)
    out.write("---- last %d console lines ----\n" % TAIL_LINES)
    for line in lines[-TAIL_LINES:]:
        out.write(line + "\n")
    if any(BACKTRACE_RE.search(line) for line in lines):
        out.write("---- backtrace ----\n")
        symbolize = load_symbolize()
        if symbolize is None:
            out.write("(tools/symbolize not found next to the runner)\n")
        else:
            for line in symbolize.symbolize_lines(lines, args.kernel):
                out.write(line + "\n")
    out.write("==== %s: FAIL ====\n" % name)
    out.flush()
    return 1


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def positive_float(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def add_machine_options(p):
    p.add_argument("--kernel", required=True, help="the kernel ELF (bazel-bin/kernel.elf)")
    p.add_argument("--smp", type=int, default=4, help="number of harts (default 4)")
    p.add_argument("--mem", default="256M", help="RAM size (default 256M)")
    p.add_argument("--machine", choices=["virt", "sifive_u"], default="virt",
                   help="QEMU machine (default virt)")
    p.add_argument("--bios", default="default",
                   help="default (QEMU's OpenSBI), fw_jump, fw_dynamic (Debian's) or a path")
    p.add_argument("--cpu", help="QEMU -cpu, e.g. rv64,sstc=off")
    p.add_argument("--dtb", metavar="FILE",
                   help="QEMU -dtb: a device tree to use instead of the machine's own")
    p.add_argument("--initrd", metavar="FILE",
                   help="boot image for QEMU -initrd, e.g. bazel-bin/user/boot.cpio (the kernel "
                        "loads user programs from it); 'none' (the default) for no initrd. "
                        "The last --initrd given wins")
    p.add_argument("--append", help="kernel options (bootargs), e.g. 'test=boot' "
                   "(test's default: test=boot, unless --run is given)")
    p.add_argument("--run", metavar="CMD",
                   help="shell command for the kernel to run: appends '-- CMD' to the bootargs")
    p.add_argument("--seed", type=int, metavar="N",
                   help="seeded deterministic run: --deterministic N plus the kernel's "
                        "seed=N (its schedule perturbed from N; docs/robustness.md)")
    p.add_argument("--deterministic", type=int, metavar="SEED",
                   help="instruction-count deterministic run: -icount shift=3,sleep=off "
                        "-accel tcg,thread=single -seed SEED")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="kine_qemu.py",
        description="Boot kine in QEMU (run) or check one boot (test).",
        epilog="See the module docstring or tools/qemu/README.md for the runner's rules.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="boot the kernel; interactive on a terminal")
    add_machine_options(run)
    run.add_argument("--gdb", action="store_true",
                     help="stop at the first instruction and wait for gdb (-s -S)")
    run.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                     help="end QEMU after this long (default: no limit)")
    run.add_argument("--eof-idle", type=positive_float, default=None, metavar="SECONDS",
                     help="without a terminal, and only for a run that asks for no verdict "
                          "(no --run, test= or '-- CMD'): end QEMU once stdin is at EOF and "
                          "the guest has been quiet this long (default %g; 0 = never)"
                          % DEFAULT_EOF_IDLE_S)
    run.add_argument("-v", "--verbose", action="store_true", help="print the QEMU command")

    test = sub.add_parser("test", help="boot once, check the console, never hang")
    add_machine_options(test)
    test.add_argument("--expect", action="append", default=[], metavar="REGEX",
                      help="some console line must match (repeatable)")
    test.add_argument("--reject", action="append", default=[], metavar="REGEX",
                      help="no console line may match (repeatable)")
    test.add_argument("--expect-unseeded", action="append", default=[], metavar="REGEX",
                      help="as --expect, but only on an unperturbed schedule: not checked "
                           "under --seed (or KINE_SEED), whose injected yields and "
                           "preemptions legitimately change it (repeatable)")
    test.add_argument("--timeout", type=positive_float, default=30.0, metavar="SECONDS",
                      help="hard wall-clock limit (default %(default)g)")
    test.add_argument("--expect-verdict", default="PASS", metavar="VERDICT",
                      help="the verdict the run must end with: PASS (default), or e.g. "
                           "'FAIL panic' for a test of the failure path")
    test.add_argument("--name", help="test name for the report")
    test.add_argument("--log", metavar="FILE", help="also save the console here")
    test.add_argument("-q", "--quiet", action="store_true",
                      help="do not copy the console to stdout while it runs")

    args = parser.parse_args(argv)
    if args.smp < 1:
        parser.error("--smp must be at least 1")
    # --seed N (or KINE_SEED=N, which `./kine test --seed N` hands every test):
    # QEMU's icount mode with -seed N, and seed=N for the kernel's scheduler.
    if args.seed is None and os.environ.get("KINE_SEED", "").isdigit():
        args.seed = int(os.environ["KINE_SEED"])
        # One vCPU at a time: a test tuned for MTTCG on two host cores takes up to 3x as
        # long (`./kine test --seed` raises Bazel's own timeouts to match).
        if getattr(args, "timeout", None) is not None:
            args.timeout *= SEEDED_TIMEOUT_SCALE
    if args.seed is not None and args.deterministic is None:
        args.deterministic = args.seed
    if args.command == "run":
        return cmd_run(args)
    if args.append is None and args.run is None:
        args.append = "test=boot"  # a test needs a verdict; without test= the kernel idles
    return cmd_test(args)


if __name__ == "__main__":
    sys.exit(main())
