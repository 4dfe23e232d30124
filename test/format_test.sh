#!/bin/bash
# format_test: every C file of kine is formatted as the project's
# .clang-format says (clang-format --dry-run -Werror names each file and
# line that differs; `clang-format -i --style=file FILE` fixes it).
set -euo pipefail
cd "${TEST_SRCDIR}/${TEST_WORKSPACE:-kine}"
files=()
for f in "$@"; do files+=("$f"); done
if [[ ${#files[@]} -lt 20 ]]; then
  echo "format_test: only ${#files[@]} files given: the file lists are broken" >&2
  exit 1
fi
clang-format --style=file --dry-run -Werror "${files[@]}"
echo "format_test: ${#files[@]} files formatted as .clang-format says"
