#!/bin/bash
# build_fuzzer.sh OUT FILE...: link a libFuzzer target of test/fuzz with clang.
#
# Bazel's host C toolchain is gcc, which has no libFuzzer, so the fuzz
# targets do not go through cc_binary: a genrule (test/fuzz/fuzz.bzl) runs
# this script, which compiles the .c files among FILE... (the target and the
# kine sources it tests; headers are passed only so the sandbox holds them)
# with Debian's clang 14 and its libclang_rt.fuzzer (libclang-rt-14-dev).
# Paths are relative to the execution root, which is also the include root
# ("src/lib/fdt.h").
set -euo pipefail

[[ $# -ge 2 ]] || {
  echo "usage: build_fuzzer.sh OUT FILE..." >&2
  exit 2
}
out="$1"
shift

cc=""
for c in /usr/bin/clang-14 /usr/bin/clang; do
  if [[ -x "$c" ]]; then
    cc="$c"
    break
  fi
done
[[ -n "$cc" ]] || {
  echo "build_fuzzer.sh: no clang (Debian packages clang and libclang-rt-14-dev; ./kine deps)" >&2
  exit 1
}

srcs=()
for f in "$@"; do
  [[ "$f" == *.c ]] && srcs+=("$f")
done

# -fsanitize=fuzzer links libFuzzer's main and instruments for coverage;
# address and undefined turn silent corruption into a crash report. Errors
# are fatal (no recovery), like the host tests; -O1 keeps it fast enough
# while the stack traces stay readable. The C is held to the kernel's bar.
exec "$cc" -std=gnu11 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -iquote . \
  -o "$out" "${srcs[@]}"
