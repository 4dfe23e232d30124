"""qemu_test: boot a kine kernel in QEMU as a Bazel test.

    load("//tools/qemu:defs.bzl", "qemu_test")

    qemu_test(
        name = "boot_virt_smp8",
        smp = 8,
        expect = ["kine: 8/8 harts online"],
    )

    qemu_test(
        name = "user_smp4",
        append = "test=user",
        initrd = "//user:boot",   # the boot image (QEMU -initrd) holding the programs
    )

The test boots the kernel once through `tools/qemu/kine_qemu.py test` and
passes iff the kernel's verdict line is PASS (or `expect_verdict`), every `expect` regex matches a
console line, no `reject` regex does, and (on virt) QEMU exits by itself with
status 0. The whole console lands in the test's undeclared outputs as
console.log (bazel-testlogs/<pkg>/<name>/test.outputs/).
"""

def _shell_quote(s):
    """Quote one argument for the `args` attribute.

    Bazel expands $(...) make variables in `args` and then splits them with
    Bourne shell rules, so a regex such as "kine: 4/4 harts online" or
    "PASS$" must be escaped twice: $ -> $$, then single quotes.
    """
    return "'" + s.replace("$", "$$").replace("'", "'\\''") + "'"

def _bazel_timeout(timeout_s):
    """The smallest Bazel timeout class that outlasts the runner's own hard timeout.

    The runner must time out first, so its report (why, console tail,
    backtrace) reaches the log; allow for QEMU start-up and the 2 s + 2 s the
    runner may spend ending QEMU.
    """
    need = timeout_s + 15
    if need <= 60:
        return "short"
    if need <= 300:
        return "moderate"
    if need <= 900:
        return "long"
    return "eternal"

def qemu_test(
        name,
        smp = 4,
        machine = "virt",
        bios = "default",
        cpu = None,
        mem = "256M",
        append = "test=boot",
        expect = [],
        expect_unseeded = [],
        reject = [],
        expect_verdict = "PASS",
        timeout_s = 30,
        deterministic = None,
        seed = None,
        kernel = "//:kernel",
        initrd = None,
        tags = [],
        dtb = None,
        **kwargs):
    """An sh_test that boots `kernel` in QEMU and checks its console.

    Args:
      name: test name.
      smp: number of harts (QEMU -smp).
      machine: "virt" or "sifive_u".
      bios: "default" (QEMU's OpenSBI), "fw_jump", "fw_dynamic" (Debian's
        OpenSBI images) or a path.
      cpu: QEMU -cpu, e.g. "rv64,sstc=off"; None for the machine's default.
      mem: RAM size (QEMU -m).
      append: kernel options (bootargs); they must lead to a verdict line
        (test=NAME, or "-- CMD"), or the test fails on its timeout.
      expect: regexes (Python `re`), each of which must match some console line.
      expect_unseeded: more such regexes, checked only when the run is not
        seeded (no `seed`, and not under `./kine test --seed N`): facts of
        an unperturbed schedule, such as a spinning thread staying on its
        hart, that a seed's injected yields may legitimately change.
      reject: regexes no console line may match.
      expect_verdict: the verdict the run must end with: "PASS", or for a
        test of the failure path, e.g. "FAIL panic" (then QEMU's exit
        status on virt must be non-zero).
      timeout_s: the runner's hard wall-clock timeout, in seconds. The Bazel
        timeout class is chosen to outlast it.
      deterministic: an integer seed for an instruction-count deterministic
        run (-icount shift=3,sleep=off -accel tcg,thread=single -seed N),
        or None.
      seed: an integer N for a seeded run (docs/robustness.md): deterministic
        as above with -seed N, and the kernel's boot option seed=N, which
        perturbs its schedule from N (one seed, one repeatable interleaving);
        or None.
      kernel: a target whose files include the kernel ELF (NAME.elf), such as
        a riscv_image.
      initrd: a target with exactly one file, handed to QEMU as -initrd: the
        boot image the kernel loads user programs from, such as "//user:boot"
        (a kine_boot_image); None (the default) for no initrd.
      dtb: a target with one device tree blob, handed to QEMU as -dtb
        instead of the machine's own tree; None (the default) for none.
      tags: extra tags. Tests with smp >= 4 also get "cpu:2", so Bazel
        reserves both host cores for QEMU's one-thread-per-hart TCG.
      **kwargs: passed to sh_test (size, flaky, ...).
    """
    args = [
        "--smp",
        str(smp),
        "--machine",
        machine,
        "--bios",
        bios,
        "--mem",
        mem,
        "--timeout",
        str(timeout_s),
        "--append",
        _shell_quote(append),
    ]
    if expect_verdict != "PASS":
        args += ["--expect-verdict", _shell_quote(expect_verdict)]
    if cpu:
        args += ["--cpu", _shell_quote(cpu)]
    if deterministic != None:
        args += ["--deterministic", str(deterministic)]
    if seed != None:
        args += ["--seed", str(seed)]
    if dtb != None:
        args += ["--dtb", "$(rootpath %s)" % dtb]
    for regex in expect:
        args += ["--expect", _shell_quote(regex)]
    for regex in expect_unseeded:
        args += ["--expect-unseeded", _shell_quote(regex)]
    for regex in reject:
        args += ["--reject", _shell_quote(regex)]

    all_tags = list(tags)
    if smp >= 4 and "cpu:2" not in all_tags:
        all_tags.append("cpu:2")

    # $(rootpaths) lists the kernel target's files (kernel.elf and
    # kernel.bin); the wrapper picks the ELF, takes "--initrd FILE", and
    # stops at "--".
    files = ["$(rootpaths %s)" % kernel]
    data = [kernel, "//tools/qemu:runner"]
    if initrd != None:
        files += ["--initrd", "$(rootpath %s)" % initrd]
        data.append(initrd)
    if dtb != None:
        data.append(dtb)

    native.sh_test(
        name = name,
        srcs = ["//tools/qemu:qemu_test.sh"],
        args = files + ["--"] + args,
        data = data,
        size = kwargs.pop("size", "medium"),
        timeout = kwargs.pop("timeout", _bazel_timeout(timeout_s)),
        tags = all_tags,
        **kwargs
    )
