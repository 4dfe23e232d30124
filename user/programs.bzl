"""The programs of the boot image (//user:boot), by target name in //user.

./kine run --add builds a second image from the same list plus the user's
own programs (the scratch package user/local, which the front script
writes and git ignores).
"""

BOOT_PROGRAMS = [
    "badargs",
    "cowstat",
    "cowtest",
    "exitcode",
    "forktest",
    "forktree",
    "hello",
    "init",
    "memleak",
    "pingpong",
    "pipetest",
    "sh",
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
]
