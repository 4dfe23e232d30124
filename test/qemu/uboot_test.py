#!/usr/bin/env python3
"""uboot_test: the board's boot files through a real U-Boot, on QEMU.

The HiFive Unmatched boots kine as U-Boot SPL -> OpenSBI -> U-Boot -> boot.scr -> booti. This
test runs the same chain from OpenSBI on: QEMU's OpenSBI starts Debian's U-Boot
(qemu-riscv64_smode) on `-M virt -smp 4`; QEMU's loader puts the board's Image, initrd.cpio and
boot.scr (//src/arch/riscv/board:unmatched, byte for byte what the board gets) at U-Boot's
kernel_addr_r, ramdisk_addr_r and scriptaddr; the test stops autoboot, sets what the script
needs when the files are already in RAM (as after a TFTP load: docs/board.md), picks the run
with kine_run and `source`s the script, which runs booti. The kernel must boot on every hart,
run the stress program to its PASS line and power off (QEMU exits with status 0).
"""
import os
import sys
import time

import pexpect

KERNEL_ADDR = 0x84000000  # kernel_addr_r of qemu-riscv64_smode
RAMDISK_ADDR = 0x8c300000  # ramdisk_addr_r
SCRIPT_ADDR = 0x8c100000  # scriptaddr
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
DEADLINE_S = 100
RUN = "stress 1"


def main():
    runfiles = os.path.join(os.environ.get("TEST_SRCDIR", "."),
                            os.environ.get("TEST_WORKSPACE", "kine"))
    board = os.path.join(runfiles, "src/arch/riscv/board/unmatched")
    image, initrd, script = (os.path.join(board, f) for f in ("Image", "initrd.cpio", "boot.scr"))
    cmd = ["qemu-system-riscv64", "-M", "virt", "-smp", "4", "-m", "256M", "-nographic",
           "-no-reboot", "-bios", "default", "-kernel", UBOOT,
           "-device", "loader,file=%s,addr=%#x" % (image, KERNEL_ADDR),
           "-device", "loader,file=%s,addr=%#x" % (initrd, RAMDISK_ADDR),
           "-device", "loader,file=%s,addr=%#x" % (script, SCRIPT_ADDR)]
    print("uboot_test: " + " ".join(cmd), flush=True)
    outdir = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", ".")
    log = open(os.path.join(outdir, "console.log"), "w")
    start = time.monotonic()
    child = pexpect.spawn(cmd[0], cmd[1:], timeout=30, encoding="latin-1")
    child.logfile_read = Tee(sys.stdout, log)
    problems = []
    try:
        child.expect("Hit any key to stop autoboot")
        child.send(" ")
        child.expect("=> ")
        for line in ("setenv kine_loaded 1",
                     "setenv kine_initrd_size %x" % os.path.getsize(initrd),
                     'setenv kine_run "%s"' % RUN,
                     "source %#x" % SCRIPT_ADDR):
            child.sendline(line)
            if not line.startswith("source"):
                child.expect("=> ")
        child.expect("kine: booti with bootargs:  -- " + RUN)
        child.expect("Starting kernel")
        child.expect(r"kine: booting on hart \d+")
        child.expect(r"kine: console: ns16550a at 0x10000000")
        child.expect("kine: 4/4 harts online")
        child.expect(r"stress: PASS: 4 harts, 1 rounds", timeout=DEADLINE_S)
        child.expect("kine: verdict: PASS")
        child.expect(pexpect.EOF, timeout=10)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        problems.append("waited for %r: %s" % (child.pattern if hasattr(child, "pattern") else "?",
                                                type(e).__name__))
    finally:
        child.close(force=True)
        log.close()
    if not problems and child.exitstatus != 0:
        problems.append("QEMU exited with status %s after PASS" % child.exitstatus)
    for p in problems:
        print("\nuboot_test: FAIL: " + p)
    if not problems:
        print("\nuboot_test: PASS: U-Boot sourced boot.scr, booti'd the Image, kine ran '%s' "
              "(%.1f s)" % (RUN, time.monotonic() - start))
    return 1 if problems else 0


class Tee:
    """pexpect's logfile: the console to stdout (the test log) and console.log."""

    def __init__(self, *files):
        self.files = files

    def write(self, data):
        for f in self.files:
            f.write(data)

    def flush(self):
        for f in self.files:
            f.flush()


if __name__ == "__main__":
    sys.exit(main())
