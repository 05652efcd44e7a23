#!/usr/bin/env bash
# bench/fuzz_speed.sh - exec/s of every libFuzzer target (ASan+UBSan,
# -max_len=4096, one process, its dictionary and seeds), beside an empty
# target built with the same flags and run in the same run (the yardstick).
#
#   bench/fuzz_speed.sh [BUILD_DIR] [SECONDS]
#
# BUILD_DIR: a tree configured with -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON
# (default: builds /tmp/smtpp-fuzz-bench); SECONDS per target (default 10).
# Prints a table, then one "metric fuzz_<target>_execs N" line per target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-/tmp/smtpp-fuzz-bench}"
SECS="${2:-10}"
mapfile -t TARGETS < <(echo fuzz_empty; grep -E '^[a-z]+$' "$ROOT/fuzz/targets" | sed 's/^/fuzz_/')

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang-14 \
    -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON -DSMTPP_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" --target "${TARGETS[@]}" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=0
declare -A rate
for t in "${TARGETS[@]}"; do
  layer="${t#fuzz_}"
  mkdir -p "$work/$t"
  args=(-max_len=4096 -max_total_time="$SECS" -print_final_stats=1
        -artifact_prefix="$work/$t-")
  [ -f "$ROOT/fuzz/$t.dict" ] && args+=(-dict="$ROOT/fuzz/$t.dict")
  [ -d "$ROOT/corpus/seeds/$layer" ] && cp "$ROOT/corpus/seeds/$layer/." "$work/$t/" -R
  # -ignore_crashes via fork would change the figure: a crash ends the run
  # early, and the rate up to it is still the rate.
  out="$("$BUILD/fuzz/$t" "${args[@]}" "$work/$t" 2>&1 || true)"
  rate[$t]="$(sed -n 's/^stat::average_exec_per_sec: *//p' <<<"$out" | tail -n 1)"
  rate[$t]="${rate[$t]:-0}"
done

empty="${rate[fuzz_empty]}"
printf '%-14s %12s %10s\n' target exec/s "% empty"
for t in "${TARGETS[@]}"; do
  pct=0
  [ "$empty" -gt 0 ] && pct=$(( 100 * ${rate[$t]} / empty ))
  printf '%-14s %12s %9s%%\n' "$t" "${rate[$t]}" "$pct"
done
for t in "${TARGETS[@]}"; do
  echo "metric ${t}_execs ${rate[$t]}"
done
