"""Bazel rules for kine's user space: programs and the boot image.

    load("//user:defs.bzl", "kine_boot_image", "kine_help", "kine_user_program", "xv6_program")

    kine_user_program(
        name = "hello",          # builds hello.elf (and hello.bin) for riscv64
        srcs = ["hello.c"],      # one has a comment line " * help: DESCRIPTION"
        deps = [],               # more cc_libraries; //user:ulib comes with it
    )

    kine_boot_image(
        name = "boot",           # builds boot.cpio, the initrd kine loads programs from
        programs = [":hello"],   # each is stored under its target name: "hello"
        files = ["data/x.txt"],  # data files, stored as "x.txt"
    )                            # plus help.txt: each program's description

    xv6_program(                 # an xv6 teaching program, unchanged (see below)
        name = "pingpong",
        srcs = ["xv6/examples/pingpong.c"],
    )

A program is a static RV64 ELF linked at 0x10000 by user/user.ld (a text
segment R-X and a data segment RW-), with crt0, the system-call wrappers and
the small C library of //user:ulib. Like //:kernel, it is built for the
riscv64_kine platform through the transition of riscv_image
(tools/bazel/riscv.bzl), so a host `bazel build //...` builds it too.
"""

load("//tools/bazel:riscv.bzl", "riscv_image")

_RISCV = ["//tools/platforms:riscv64_freestanding"]
_LINKER_SCRIPT = "//user:user.ld"

# A program's one-line description for `help` is the line "help: TEXT" of
# one of its sources, in a comment (" * help: TEXT" or "// help: TEXT").
# It stays next to the code it describes, and //user:boot's build fails on
# a program without one.
_HELP_CMD = """d=$$(sed -n -e 's|^ \\* help: ||p' -e 's|^// help: ||p' $(SRCS) | head -n 1)
if [ -z "$$d" ]; then
  if [ {required} = 1 ]; then
    echo "{name}: no 'help: TEXT' comment line in $(SRCS) (the description 'help' prints)" >&2
    exit 1
  fi
  d='(no description: add a " * help: TEXT" comment line)'
fi
printf '%s\\n' "$$d" > $@"""

def kine_help(name, srcs, required = True, visibility = None):
    """NAME_help: NAME.help, the description line `help` shows for program NAME.

    Args:
      name: the program's name.
      srcs: files to search for the "help: TEXT" comment line.
      required: fail the build when there is none (False: a placeholder).
      visibility: of the NAME_help target.
    """
    native.genrule(
        name = name + "_help",
        srcs = srcs,
        outs = [name + ".help"],
        cmd = _HELP_CMD.format(name = name, required = 1 if required else 0),
        visibility = visibility,
    )

def _user_program(name, srcs, deps, visibility, help_required = True, **kwargs):
    """NAME_bin, a riscv-only cc_binary linked with user.ld, NAME, its
    riscv_image, and NAME_help, its description (kine_help)."""
    kine_help(name, srcs, help_required, visibility)
    native.cc_binary(
        name = name + "_bin",
        srcs = srcs,
        deps = deps,
        additional_linker_inputs = [_LINKER_SCRIPT],
        linkopts = ["-T $(location %s)" % _LINKER_SCRIPT],
        target_compatible_with = _RISCV,
        visibility = ["//visibility:private"],
        **kwargs
    )
    riscv_image(
        name = name,
        binary = ":" + name + "_bin",
        visibility = visibility,
    )

def kine_user_program(name, srcs, deps = [], visibility = None, **kwargs):
    """A kine user program: NAME.elf (the riscv_image target NAME).

    Args:
      name: the program's name; also its name in a kine_boot_image.
      srcs: C (and assembly) sources; one of them defines main(argc, argv).
      deps: more cc_library targets (riscv-compatible).
      visibility: of the program target.
      **kwargs: passed to the cc_binary (copts, defines, ...), except
        help_required: False lets the program go without a "help:" line
        (kine_help).
    """
    _user_program(name, srcs, ["//user:ulib"] + deps, visibility, **kwargs)

def _program_file(target):
    """The file of a program target to pack: its .elf, or its only file."""
    files = target[DefaultInfo].files.to_list()
    elves = [f for f in files if f.extension == "elf"]
    if len(elves) == 1:
        return elves[0]
    if len(files) == 1:
        return files[0]
    fail("%s: expected one .elf file (or exactly one file), got %s" %
         (target.label, [f.short_path for f in files]))

# help.txt: a heading, then "  NAME  DESCRIPTION" per program (from its
# NAME.help), then the other files; arguments OUT NAME HELP ... -- FILE...
_HELP_TXT_CMD = """out=$1; shift
echo "programs of the boot image:" > "$out"
while [ "$1" != -- ]; do printf '  %-15s %s\\n' "$1" "$(cat "$2")" >> "$out"; shift 2; done
shift
echo "other files: help.txt $*" >> "$out"
"""

def _help_txt(ctx, programs, files):
    """Write help.txt from (name, NAME.help file) pairs and the other files' names."""
    out = ctx.actions.declare_file(ctx.label.name + "/help.txt")
    args = ctx.actions.args()
    args.add(out)
    for name, help in programs:
        args.add(name)
        args.add(help)
    args.add("--")
    args.add_all(files)
    ctx.actions.run_shell(
        inputs = [help for _, help in programs],
        outputs = [out],
        command = _HELP_TXT_CMD,
        arguments = [args],
        mnemonic = "KineHelp",
        progress_message = "Writing help.txt of %s" % ctx.label,
    )
    return out

def _first(pair):
    return pair[0]

def _kine_boot_image_impl(ctx):
    if len(ctx.attr.helps) != len(ctx.attr.programs):
        fail("helps: one per program")
    out = ctx.actions.declare_file(ctx.label.name + ".cpio")
    names = {}
    inputs = [ctx.file._mkcpio]
    packed = []
    helps = []
    for target, help in zip(ctx.attr.programs, ctx.attr.helps):
        name = target.label.name
        if name in names:
            fail("two programs named %r: %s and %s" % (name, names[name], target.label))
        names[name] = target.label
        packed.append((name, _program_file(target)))
        helps.append((name, help.files.to_list()[0]))
    for f in ctx.files.files:
        if f.basename in names or f.basename == "help.txt":
            fail("%s: a second file named %r in the boot image" % (f.short_path, f.basename))
        names[f.basename] = f
        packed.append((f.basename, f))
    helps = sorted(helps, key = _first)  # by name: a list a reader can scan
    packed.append(("help.txt", _help_txt(ctx, helps, [f.basename for f in ctx.files.files])))
    args = ctx.actions.args()
    args.add(ctx.file._mkcpio)
    args.add("--output", out)
    for name, f in packed:
        inputs.append(f)
        args.add("%s=%s" % (name, f.path))
    ctx.actions.run_shell(
        inputs = inputs,
        outputs = [out],
        # Debian's python3 when it is there (standard library only).
        command = 'p=/usr/bin/python3; [ -x "$p" ] || p=python3; exec "$p" "$@"',
        arguments = [args],
        mnemonic = "KineCpio",
        progress_message = "Packing boot image %s" % ctx.label,
    )
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out]),
    )]

_kine_boot_image = rule(
    implementation = _kine_boot_image_impl,
    attrs = {
        "programs": attr.label_list(mandatory = True, allow_files = True),
        "helps": attr.label_list(mandatory = True, allow_files = [".help"]),
        "files": attr.label_list(allow_files = True),
        "_mkcpio": attr.label(
            default = "//tools/bazel:mkcpio.py",
            allow_single_file = True,
        ),
    },
)

def kine_boot_image(name, programs, files = [], visibility = None):
    """A cpio newc archive (NAME.cpio) of user programs, for QEMU's -initrd.

    Each program is the regular file (mode 0100755) named after its target,
    with no directory and no leading slash; each of `files` is stored under
    its base name; and help.txt lists every program with its description
    (the target PROGRAM_help beside each program: kine_help, which
    kine_user_program and xv6_program define) for the shell's `help`.
    Built by tools/bazel/mkcpio.py: the same inputs give the same bytes.

    Args:
      name: the target; its file is NAME.cpio.
      programs: labels "[//pkg]:NAME" of kine_user_program targets (their
        NAME.elf is packed as NAME), or of single files (packed as NAME);
        each needs a NAME_help target beside it.
      files: data files (text) for programs to open, not listed as programs.
      visibility: of the boot image.
    """
    _kine_boot_image(
        name = name,
        programs = programs,
        helps = [p + "_help" for p in programs],
        files = files,
        visibility = visibility,
    )

# ---- xv6 teaching programs ----

# GCC 12 knows printf, strlen, memset, ... as built-ins with C's types;
# xv6's user.h declares them with its own (void printf, uint strlen), so
# xv6 code compiles only freestanding (tools/toolchain already passes
# -ffreestanding; it is repeated here because xv6 programs depend on it).
# xv6's Makefile builds with -Wall -Werror but not -Wextra, and xv6 code
# mixes int and uint and falls through switch cases: -Wno-extra turns the
# toolchain's -Wextra group back off (checked on xv6-riscv's own user
# programs: all that need no kernel/fs.h compile).
_XV6_COPTS = [
    "-ffreestanding",
    "-fno-builtin",
    "-Wno-extra",
]

def xv6_program(name, srcs, deps = [], visibility = None, copts = [], **kwargs):
    """An xv6-style user program, built unchanged against kine.

        xv6_program(
            name = "pingpong",          # pingpong.elf, "pingpong" in a boot image
            srcs = ["xv6/examples/pingpong.c"],
        )

    The sources include xv6's headers ("kernel/types.h", "user/user.h",
    ...) from user/xv6, and link with crt0 and the xv6 compatibility
    library //user:xv6 instead of //user:ulib: xv6's names and signatures
    (int exit(int), void printf, char *sbrk(int), -1 on error) over kine's
    system calls. The result is a kine program like any other
    (kine_user_program's layout, user.ld), for kine_boot_image.

    Args:
      name: the program's name; also its name in a kine_boot_image.
      srcs: C sources in xv6's dialect; one of them defines main(argc, argv).
      deps: more cc_library targets (riscv-compatible).
      visibility: of the program target.
      copts: more compiler options, after the xv6 ones.
      **kwargs: passed to the cc_binary, except help_required (as for
        kine_user_program).
    """
    _user_program(name, srcs, ["//user:xv6"] + deps, visibility, copts = _XV6_COPTS + copts, **kwargs)
