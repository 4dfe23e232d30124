#!/bin/bash
# qemu_test.sh: the sh_test behind every qemu_test (see defs.bzl).
#
# Usage (written by the macro, not by hand):
#   qemu_test.sh KERNEL_FILE... [--initrd INITRD_FILE] -- KINE_QEMU_TEST_ARGS...
# KERNEL_FILE... are the runfiles paths of the kernel target's files (an ELF
# and its raw image); the one ending in .elf is booted. INITRD_FILE is the
# runfiles path of the boot image (qemu_test's initrd), handed to QEMU as
# -initrd. Everything after "--" goes to `kine_qemu.py test`.
set -euo pipefail

# Bazel runs tests with runfiles under $TEST_SRCDIR/$TEST_WORKSPACE (the
# workspace is "kine"); fall back to the .runfiles tree next to this script
# for a manual run of bazel-bin/.../NAME.
runfiles="${TEST_SRCDIR:-$0.runfiles}/${TEST_WORKSPACE:-kine}"

kernel=""
initrd=""
while [[ $# -gt 0 && "$1" != "--" ]]; do
  if [[ "$1" == --initrd && $# -ge 2 ]]; then
    initrd="$runfiles/${2#./}"
    shift 2
    continue
  fi
  # Prefer the ELF; take a lone file of any name (e.g. a bare cc_binary).
  if [[ "$1" == *.elf || -z "$kernel" ]]; then
    kernel="$runfiles/${1#./}"
  fi
  shift
done
if [[ $# -eq 0 ]]; then
  echo "qemu_test.sh: usage: qemu_test.sh KERNEL_FILE... -- ARGS..." >&2
  exit 2
fi
shift # the "--"

runner="$runfiles/tools/qemu/kine_qemu.py"
for f in "$kernel" "$runner" ${initrd:+"$initrd"}; do
  if [[ ! -e "$f" ]]; then
    echo "qemu_test.sh: $f is not in the runfiles" >&2
    exit 2
  fi
done

# Debian's python3 when it is there: the runner needs nothing but the
# standard library, and a user's pyenv shim can misbehave under Bazel's env.
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3

exec "$python" "$runner" test --kernel "$kernel" ${initrd:+--initrd "$initrd"} \
  --name "${TEST_TARGET:-qemu_test}" "$@"
