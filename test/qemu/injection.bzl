"""injection_test: a fault injected into the debug kernel, which its checks must catch.

    load(":injection.bzl", "injection_test")

    injection_test(
        name = "ptlock_nograce_debug_virt_smp2",
        append = "ptlock=nograce -- ptlocktest -r 8 unmap",
        panic = "ptlock: table page 0x[0-9a-f]+ of mm [0-9]+ freed while .*",
        timeout_s = 240,
    )

A boot option of the debug image (//:kernel_debug) breaks one of the
kernel's rules on purpose, and the program after `--` (from //user:boot)
drives the code that breaks it. The debug image's check must catch it: the
run passes only if it ends in the verdict "FAIL panic" with that panic line
and a backtrace. A check that stays quiet fails the test, by the verdict
(PASS) or by the timeout.
"""

load("//tools/qemu:defs.bzl", "qemu_test")

def injection_test(name, append, panic, smp = 2, timeout_s = 30):
    """A qemu_test of the debug image that must end in one panic.

    Args:
      name: test name.
      append: kernel options: the injection, then "-- CMD" (CMD from //user:boot).
      panic: a regex for the panic's message: what follows
        "kine: panic: hart N: " on its console line.
      smp: number of harts.
      timeout_s: the runner's hard wall-clock timeout, in seconds (qemu_test's
        default, 30, unless the program needs longer to reach the check).
    """
    qemu_test(
        name = name,
        append = append,
        expect = [
            "kine: panic: hart [0-9]+: " + panic,
            "kine: bt #0 0x[0-9a-f]+",
        ],
        expect_verdict = "FAIL panic",
        initrd = "//user:boot",
        kernel = "//:kernel_debug",
        smp = smp,
        timeout_s = timeout_s,
    )
