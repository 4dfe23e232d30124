#!/bin/bash
# qemu_run.sh: `bazel run //:qemu -- [kine_qemu.py run options]`.
#
# Usage (the args attribute of //:qemu supplies the first part):
#   qemu_run.sh KERNEL_FILE... [--initrd INITRD_FILE] -- [--smp N] [--gdb] [--run CMD] ...
# Boots the ELF among KERNEL_FILE... with `kine_qemu.py run`, with
# INITRD_FILE (the boot image, //user:boot) as QEMU's -initrd; an --initrd
# among the user's options wins (`--initrd none` boots without one). `bazel run`
# keeps stdin, so on a terminal QEMU owns it (Ctrl-A X quits); from a pipe or
# /dev/null the runner's non-terminal rules apply (tools/qemu/README.md).
set -euo pipefail

# `bazel run` starts us inside our runfiles tree (and may set RUNFILES_DIR);
# a direct run of bazel-bin/qemu finds the tree next to the script.
if [[ -n "${RUNFILES_DIR:-}" ]]; then
  runfiles="$RUNFILES_DIR/kine"
elif [[ -d "$0.runfiles/kine" ]]; then
  runfiles="$0.runfiles/kine"
else
  runfiles="$PWD"
fi

kernel=""
initrd=""
while [[ $# -gt 0 && "$1" != "--" ]]; do
  if [[ "$1" == --initrd && $# -ge 2 ]]; then
    initrd="${2#./}"
    shift 2
    continue
  fi
  if [[ "$1" == *.elf || -z "$kernel" ]]; then
    kernel="${1#./}"
  fi
  shift
done
[[ $# -gt 0 ]] && shift # the "--"

# Absolute paths first, then go back to where the user typed the command, so
# relative paths in their options (--bios ./my_fw.elf) mean what they meant.
kernel="$(realpath "$runfiles/$kernel")"
if [[ -n "$initrd" ]]; then
  initrd="$(realpath "$runfiles/$initrd")"
fi
runner="$(realpath "$runfiles/tools/qemu/kine_qemu.py")"
cd "${BUILD_WORKING_DIRECTORY:-$PWD}"

python=/usr/bin/python3
[[ -x "$python" ]] || python=python3

exec "$python" "$runner" run --kernel "$kernel" ${initrd:+--initrd "$initrd"} "$@"
