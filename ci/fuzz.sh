#!/usr/bin/env bash
# ci/fuzz.sh - run the whole-session libFuzzer target for a while.
#
#   ci/fuzz.sh [--time SECONDS] [--no-install]
#
#   --time SECONDS  how long to fuzz (default 600)
#   --no-install    do not touch apt; fail if a package is missing
#   -h, --help      this help
#
# Builds <repo>/build-fuzz (clang-14, -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON),
# copies corpus/seeds/session into a fresh work dir out/fuzz-session-<time>/
# and runs fuzz_session there with -jobs=$(nproc) -workers=$(nproc) (and
# -dict=dict/smtp.dict when present).  Findings go to <work dir>/artifacts/,
# the worker logs to <work dir>/fuzz-N.log.
# Exit status: 0 no findings, 1 findings or a failed step, 2 bad usage.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET=fuzz_session
LAYER=session

usage() { sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "ci/fuzz.sh: $*" >&2; echo "Try 'ci/fuzz.sh --help'." >&2; exit 2; }

time_s=600
install_flag=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --time) [ $# -ge 2 ] || die_usage "--time needs a value (seconds)"
            time_s="$2"; shift ;;
    --time=*) time_s="${1#--time=}" ;;
    --no-install) install_flag=(--no-install) ;;
    *) die_usage "unknown option '$1' (allowed: --time SECONDS, --no-install, -h)" ;;
  esac
  shift
done
if ! [[ "$time_s" =~ ^[0-9]{1,9}$ ]] || [ "$((10#$time_s))" -lt 1 ]; then
  die_usage "--time expects whole seconds from 1 to 999999999, got '$time_s'"
fi
time_s=$((10#$time_s))

cd "$ROOT"
echo "== packages"
bash ci/test.sh --deps-only "${install_flag[@]}"

echo "== configure + build (build-fuzz)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang-14 \
  -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON -DSMTPP_TESTS=OFF
targets="$(ninja -C build-fuzz -t targets all)" # (no pipe into grep -q: pipefail)
if ! grep -q "^$TARGET:" <<<"$targets"; then
  echo "ci/fuzz.sh: the build defines no target '$TARGET' (fuzz/CMakeLists.txt); nothing to run" >&2
  exit 1
fi
cmake --build build-fuzz --target "$TARGET"
bin="$(find build-fuzz -type f -name "$TARGET" -perm -u+x | head -n 1)"
[ -n "$bin" ] || { echo "ci/fuzz.sh: built $TARGET but cannot find the binary" >&2; exit 1; }
bin="$ROOT/$bin"

work="$ROOT/out/fuzz-$LAYER-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$work/corpus" "$work/artifacts"
seeds="corpus/seeds/$LAYER"
if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ]; then
  cp -R "$seeds/." "$work/corpus/"
else
  echo "warning: no seeds in $seeds; starting from an empty corpus" >&2
fi
nseeds="$(find "$work/corpus" -type f | wc -l)"

jobs="$(nproc)"
args=(-jobs="$jobs" -workers="$jobs" -max_total_time="$time_s"
      -print_final_stats=1 -artifact_prefix="$work/artifacts/")
if [ -f dict/smtp.dict ]; then
  args+=(-dict="$ROOT/dict/smtp.dict")
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "== fuzzing $TARGET for ${time_s}s with $jobs workers in $work"
echo "   $bin ${args[*]} corpus"
rc=0
(cd "$work" && "$bin" "${args[@]}" corpus) || rc=$?

nfound="$(find "$work/artifacts" -type f | wc -l)"
ncorpus="$(find "$work/corpus" -type f | wc -l)"
echo
echo "== summary"
echo "  target      $TARGET ($bin)"
echo "  time        ${time_s}s, $jobs workers (libFuzzer exit $rc)"
echo "  corpus      $nseeds seeds -> $ncorpus inputs ($work/corpus)"
echo "  findings    $nfound ($work/artifacts)"
echo "  logs        $work/fuzz-*.log"
if [ "$nfound" -gt 0 ]; then
  find "$work/artifacts" -type f -printf '    %f\n'
  echo "  reproduce:  $bin <artifact>"
  exit 1
fi
[ "$rc" -eq 0 ] || exit 1
exit 0
