"""kine_fuzz_target: one libFuzzer target of test/fuzz, and its short run.

For a target NAME (fdt, elf, cpio, mem) the macro makes

  :fuzz_NAME       the fuzzer, linked by clang (build_fuzzer.sh); a genrule,
                   so Bazel caches it like any other output:
                   bazel-bin/test/fuzz/fuzz_NAME
  :fuzz_NAME_test  an sh_test: replays the regression inputs, then fuzzes
                   for a few seconds from the seed corpus (run_fuzz.sh)

`./kine fuzz` runs the same test target with `bazel run` for a long run
over a persistent corpus (see docs/fuzzing.md).
"""

def kine_fuzz_target(name, srcs, seeds, dict, regress, seconds = 15):
    """Declares :fuzz_<name> and :fuzz_<name>_test.

    Args:
      name: the target's short name (fdt, elf, cpio, mem).
      srcs: the fuzz target's .c file and every kine source and header it
        compiles with.
      seeds: files that seed the corpus.
      dict: a libFuzzer dictionary.
      regress: inputs that once broke a rule (a list of files, may be
        empty); replayed before fuzzing.
      seconds: how long the short run fuzzes.
    """
    fuzzer = "fuzz_" + name
    native.genrule(
        name = fuzzer + "_build",
        srcs = srcs + ["fuzz_util.h"],
        outs = [fuzzer],
        cmd = "$(location build_fuzzer.sh) $@ $(SRCS)",
        tools = ["build_fuzzer.sh"],
        executable = True,
        message = "Linking libFuzzer target " + fuzzer + " with clang",
    )
    args = [
        "--bin",
        "$(rootpath :%s)" % fuzzer,
        "--time",
        str(seconds),
        "--dict",
        "$(rootpath %s)" % dict,
    ]
    for s in seeds:
        args += ["--seeds", "$(rootpaths %s)" % s]
    if regress:
        args += ["--regress"] + ["$(rootpath %s)" % f for f in regress]
    native.sh_test(
        name = fuzzer + "_test",
        size = "small",
        srcs = ["run_fuzz.sh"],
        args = args,
        data = [":" + fuzzer, dict] + seeds + regress,
    )
