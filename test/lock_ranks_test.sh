#!/bin/bash
# lock_ranks_test: runs lock_ranks_test.py (what it checks: its docstring)
# from the runfiles root, where the paths Bazel passes are valid.
set -euo pipefail
cd "${TEST_SRCDIR}/${TEST_WORKSPACE:-kine}"
exec python3 "$@"
