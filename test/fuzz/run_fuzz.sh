#!/bin/bash
# run_fuzz.sh: run one libFuzzer target of test/fuzz.
#
#   run_fuzz.sh --bin FUZZER [--time SECONDS] [--dict FILE]
#               [--seeds FILE...] [--regress FILE...]
#               [--corpus DIR] [--artifacts DIR] [-- LIBFUZZER_ARGS...]
#
# First every --regress input (an input that once broke a rule) is replayed:
# any failure fails the run. Then the fuzzer runs for SECONDS over the corpus
# DIR, which the --seeds files are copied into first (new inputs that reach
# new code are added to it). A crash, a sanitizer report, a broken contract
# (EXPECT) or an input that takes more than 10 s is saved in the artifacts
# DIR as crash-*, leak-*, timeout-* or oom-*, and the run fails with the
# command that replays it.
#
# Under `bazel test` (the short run), the corpus is a scratch directory and
# the artifacts go to the test's undeclared outputs
# (bazel-testlogs/test/fuzz/fuzz_NAME_test/test.outputs/); the crashing
# input is also printed in base64, so the log alone is enough to replay it.
# `./kine fuzz` (the long run) passes a persistent --corpus and --artifacts
# and a longer --time. Later options win, so those override the BUILD file's.
#
# Environment: KINE_FUZZ_TIME overrides --time of the short run (bazel test
# --test_env=KINE_FUZZ_TIME=50); KINE_FUZZ_SEED fixes libFuzzer's random
# seed (it prints the one it picked otherwise).
set -euo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  cd "$TEST_SRCDIR/${TEST_WORKSPACE:-kine}"
fi

die() {
  echo "run_fuzz: $*" >&2
  exit 2
}

bin="" secs=15 dict="" corpus="" artifacts=""
seeds=() regress=() extra=()
list=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --bin | --time | --dict | --corpus | --artifacts)
    [[ $# -ge 2 ]] || die "$1 needs a value"
    case "$1" in
    --bin) bin="$2" ;;
    --time) secs="$2" ;;
    --dict) dict="$2" ;;
    --corpus) corpus="$2" ;;
    --artifacts) artifacts="$2" ;;
    esac
    list=""
    shift 2
    ;;
  --seeds | --regress)
    list="${1#--}"
    shift
    ;;
  --)
    shift
    extra=("$@")
    break
    ;;
  -*) die "unknown option: $1" ;;
  *)
    case "$list" in
    seeds) seeds+=("$1") ;;
    regress) regress+=("$1") ;;
    *) die "unexpected argument: $1" ;;
    esac
    shift
    ;;
  esac
done
# KINE_FUZZ_TIME lengthens the short run only (a long run has its --corpus).
if [[ -z "$corpus" ]]; then
  secs="${KINE_FUZZ_TIME:-$secs}"
fi
[[ -n "$bin" && -x "$bin" ]] || die "no fuzzer binary (--bin): '$bin'"
[[ "$secs" =~ ^[0-9]+$ && "$secs" -ge 1 ]] || die "--time wants whole seconds, got '$secs'"
name="$(basename "$bin")"

# Scratch space: the test's own under `bazel test`. A long run (a --corpus
# of its own) goes through `bazel run`, whose TEST_TMPDIR lies in the
# execroot's _tmp, which the next Bazel command may wipe: use /tmp then.
scratch=""
if [[ -n "${TEST_TMPDIR:-}" && -z "$corpus" ]]; then
  scratch="$TEST_TMPDIR"
else
  scratch="$(mktemp -d /tmp/kine-fuzz.XXXXXX)"
  # shellcheck disable=SC2064  # expand $scratch now
  trap "rm -rf '$scratch'" EXIT
  export TMPDIR="$scratch" # libFuzzer's -fork mode keeps its files there
fi
corpus="${corpus:-$scratch/corpus}"
artifacts="${artifacts:-${TEST_UNDECLARED_OUTPUTS_DIR:-$scratch/artifacts}}"
mkdir -p "$corpus" "$artifacts"
# Absolute paths: the replay command printed below works from anywhere.
corpus="$(cd "$corpus" && pwd)"
artifacts="$(cd "$artifacts" && pwd)"

# A regression input runs once; libFuzzer exits non-zero if it fails.
if [[ ${#regress[@]} -gt 0 ]]; then
  echo "run_fuzz: $name: replaying ${#regress[@]} regression input(s)"
  if ! "$bin" -runs=1 "${regress[@]}"; then
    echo "run_fuzz: $name: a regression input fails again (above); replay it with" >&2
    echo "  bazel build //test/fuzz:$name && bazel-bin/test/fuzz/$name FILE" >&2
    exit 1
  fi
fi

# Seeds join the corpus under their own names (never overwriting an input
# the corpus already has); regression inputs seed it too.
for f in ${seeds[@]+"${seeds[@]}"} ${regress[@]+"${regress[@]}"}; do
  cp -n "$f" "$corpus/seed-$(basename "$f")"
  chmod u+w "$corpus/seed-$(basename "$f")"
done

opts=(
  -max_total_time="$secs"
  -timeout=10
  -rss_limit_mb=2048
  -print_final_stats=1
  -artifact_prefix="$artifacts/"
)
[[ -n "$dict" ]] && opts+=(-dict="$dict")
[[ -n "${KINE_FUZZ_SEED:-}" ]] && opts+=(-seed="$KINE_FUZZ_SEED")

echo "run_fuzz: $name: fuzzing for ${secs}s; corpus $corpus ($(find "$corpus" -type f | wc -l) inputs)"
# Where a crash can be found once this run is over: the undeclared outputs of
# a test end up zipped in bazel-testlogs.
where="$artifacts/"
in_testlogs=false
if [[ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" && "$artifacts" -ef "$TEST_UNDECLARED_OUTPUTS_DIR" ]]; then
  in_testlogs=true
  t="${TEST_TARGET:-//test/fuzz:${name}_test}"
  t="${t#//}"
  where="bazel-testlogs/${t%%:*}/${t##*:}/test.outputs/outputs.zip (and in base64 in this log)"
fi
echo "run_fuzz: $name: crashes go to $where"
log="$scratch/$name.log"
: >"$scratch/started" # what is newer than this, this run saved
started=$SECONDS
set +e
"$bin" "${opts[@]}" ${extra[@]+"${extra[@]}"} "$corpus" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
echo "run_fuzz: $name: ${execs:-?} executions in $((SECONDS - started))s, corpus now $(find "$corpus" -type f | wc -l) inputs"
if [[ $rc -ne 0 ]]; then
  echo "run_fuzz: $name: FAILED (libFuzzer exit status $rc)" >&2
  find "$artifacts" -maxdepth 1 -type f -newer "$scratch/started" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
    while read -r f; do
      b="$(basename "$f")"
      echo "run_fuzz: $name: saved $b ($(stat -c %s "$f") bytes) in $where; replay it with" >&2
      if $in_testlogs; then
        echo "  bazel build //test/fuzz:$name && bazel-bin/test/fuzz/$name $b" >&2
        echo "run_fuzz: $b in base64 (base64 -d > $b):" >&2
        base64 "$f" >&2
      else
        echo "  bazel build //test/fuzz:$name && bazel-bin/test/fuzz/$name $f" >&2
      fi
    done
  exit 1
fi
if [[ -z "$execs" || "$execs" -lt 100 ]]; then
  echo "run_fuzz: $name: only ${execs:-no} executions: the fuzzer did not really run" >&2
  exit 1
fi
