"""The programs of the boot image (//user:boot), and local_programs, the
boot image of `./kine run --add` (the same list plus the user's own).

./kine run --add and ./kine compile write the scratch package user/local
(git-ignored) as one call of local_programs; test/qemu builds its own
programs through the same macro, so a test boots what --add would build.
"""

load("//user:defs.bzl", "kine_boot_image", "kine_user_program", "xv6_program")

# The everyday tools (user/NAME.c over //user:tool), one list for their
# targets in user/BUILD and for the boot image.
TOOLS = [
    "cat",
    "echo",
    "grep",
    "head",
    "kill",
    "ls",
    "ps",
    "sleep",
    "wc",
]

BOOT_PROGRAMS = [
    "badargs",
    "cowstat",
    "cowtest",
    "exitcode",
    "forktest",
    "forktree",
    "hello",
    "init",
    "megatest",
    "memleak",
    "pingpong",
    "pipetest",
    "ptlocktest",
    "sh",
    "sharetest",
    "tabletest",
    "threadtest",
    "lockstat",
    "forkbench",
    "stress",
    "sysfuzz",
    "oomtest",
    "stackbomb",
    "vtrap",
    "badelf_trunc",
    "badelf_half",
    "badelf_garbage",
] + TOOLS

# Data files of the boot image (user/data/NAME, stored as NAME), for the
# tools to read; help.txt is added to every boot image (kine_boot_image).
BOOT_FILES = [
    "sample.txt",
]

_BUILDERS = {
    "kine": kine_user_program,
    "xv6": xv6_program,
}

def local_programs(name, programs, visibility = None):
    """Programs of one's own and a boot image `name` (NAME.cpio) holding them.

    Args:
      name: the boot image's target name.
      programs: {program name: (dialect, source)}: dialect "kine" (built by
        kine_user_program, against kine/user.h) or "xv6" (by xv6_program,
        against user/xv6's kernel/types.h and user/user.h); the source is
        one C file of this package. A program of //user:boot with the same
        name is replaced by this one.
      visibility: of the boot image.
    """
    for prog, (dialect, src) in programs.items():
        if dialect not in _BUILDERS:
            fail("%s: dialect %r: kine or xv6" % (prog, dialect))
        # One's own program may go without a description (help says so).
        _BUILDERS[dialect](name = prog, srcs = [src], help_required = False)
    kine_boot_image(
        name = name,
        programs = ["//user:" + p for p in BOOT_PROGRAMS if p not in programs] +
                   [":" + p for p in programs],
        files = ["//user:data/" + f for f in BOOT_FILES],
        visibility = visibility,
    )
