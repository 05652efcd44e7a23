#!/usr/bin/env bash
# bench/fuzz_speed.sh - exec/s of every libFuzzer target (ASan+UBSan,
# -max_len=4096, one process, its dictionary and seeds), beside an empty
# target built with the same flags and run in the same run (the yardstick).
#
#   bench/fuzz_speed.sh [--quick] [--build-dir DIR] [--secs N]
#
#   --build-dir  a tree configured with -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON,
#                configured here if it is not (default build-bench-fuzz in
#                this checkout, gitignored)
#   --secs N     seconds per target (default 10)
#   --quick      2 seconds per target
# Prints a table, then one "metric fuzz_<target>_execs N" line per target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench-fuzz"
SECS=10
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SECS=2; shift ;;
    --build-dir) [ $# -ge 2 ] || { echo "fuzz_speed: --build-dir needs a directory" >&2; exit 2; }
                 BUILD="$2"; shift 2 ;;
    --secs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz_speed: --secs needs a number >= 1" >&2; exit 2; }
            SECS="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz_speed: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mapfile -t TARGETS < <(echo fuzz_empty; grep -E '^[a-z]+$' "$ROOT/fuzz/targets" | sed 's/^/fuzz_/')

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang-14 \
    -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON -DSMTPP_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" --target "${TARGETS[@]}" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=0
declare -A rate crashed
for t in "${TARGETS[@]}"; do
  layer="${t#fuzz_}"
  mkdir -p "$work/$t"
  args=(-max_len=4096 -max_total_time="$SECS" -print_final_stats=1
        -artifact_prefix="$work/$t-")
  if [ -f "$ROOT/fuzz/$t.dict" ]; then args+=(-dict="$ROOT/fuzz/$t.dict")
  elif [ "$t" != fuzz_empty ]; then args+=(-dict="$ROOT/dict/smtp.dict"); fi
  [ -d "$ROOT/corpus/seeds/$layer" ] && cp "$ROOT/corpus/seeds/$layer/." "$work/$t/" -R
  # -ignore_crashes via fork would change the figure: a crash ends the run
  # early, and the rate up to it is still the rate.
  out="$("$BUILD/fuzz/$t" "${args[@]}" "$work/$t" 2>&1 || true)"
  rate[$t]="$(sed -n 's/^stat::average_exec_per_sec: *//p' <<<"$out" | tail -n 1)"
  # a crash ends the run before the final stats: its last status line
  # ("#N ... exec/s: X") still gives the rate, marked with a '*'
  if [ -z "${rate[$t]}" ]; then
    rate[$t]="$(grep -a -o -E 'exec/s: [0-9]+' <<<"$out" | tail -n 1 | sed 's/exec\/s: //')"
    [ -n "${rate[$t]}" ] && crashed[$t]="*"
  fi
  rate[$t]="${rate[$t]:-0}"
done

empty="${rate[fuzz_empty]}"
printf '%-14s %12s %10s\n' target exec/s "% empty"
for t in "${TARGETS[@]}"; do
  pct=0
  [ "$empty" -gt 0 ] && pct=$(( 100 * ${rate[$t]} / empty ))
  printf '%-14s %12s %9s%%  %s\n' "$t" "${rate[$t]}" "$pct" "${crashed[$t]:+(* stopped at a finding: rate up to it)}"
done
for t in "${TARGETS[@]}"; do
  echo "metric ${t}_execs ${rate[$t]}"
done
