#!/usr/bin/env bash
# bench/fuzz_speed.sh - exec/s of every libFuzzer target (-max_len=4096,
# one process, its dictionary and seeds), in the two builds a campaign
# runs (ci/fuzz.sh): ASan+UBSan (the sanitized worker) and plain (no
# sanitizer: the workers that make most of the executions), each beside
# an empty target built the same way and run in the same run (the
# yardstick: libFuzzer's own cost per execution).
#
#   bench/fuzz_speed.sh [--quick] [--build-dir DIR] [--secs N]
#
#   --build-dir  the ASan+UBSan tree (-DSMTPP_FUZZ=ON -DSMTPP_SANITIZE=ON);
#                the plain tree is DIR-plain; both configured here if they
#                are not (default build-bench-fuzz in this checkout,
#                gitignored)
#   --secs N     seconds per target and build (default 10)
#   --quick      2 seconds per target and build
# Prints a table, then "metric fuzz_<target>_execs N" (ASan+UBSan) and
# "metric fuzz_<target>_plain_execs N" (plain) per target.
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
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz_speed: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mapfile -t TARGETS < <(echo fuzz_empty; grep -E '^[a-z]+$' "$ROOT/fuzz/targets" | sed 's/^/fuzz_/')

PLAIN="$BUILD-plain"
for b in "$BUILD:ON" "$PLAIN:OFF"; do
  dir="${b%:*}" san="${b##*:}"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang-14 \
      -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE="$san" -DSMTPP_TESTS=OFF >/dev/null
  fi
  cmake --build "$dir" --target "${TARGETS[@]}" >/dev/null
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=0
declare -A rate crashed
# measure KEY BINARY TARGET: one run from the seeds; rate[KEY], crashed[KEY]
measure() {
  local key="$1" bin="$2" t="$3" layer="${3#fuzz_}" out
  rm -rf "$work/$key"
  mkdir -p "$work/$key"
  local args=(-max_len=4096 -max_total_time="$SECS" -print_final_stats=1
              -artifact_prefix="$work/$key-")
  if [ -f "$ROOT/fuzz/$t.dict" ]; then args+=(-dict="$ROOT/fuzz/$t.dict")
  elif [ "$t" != fuzz_empty ]; then args+=(-dict="$ROOT/dict/smtp.dict"); fi
  [ -d "$ROOT/corpus/seeds/$layer" ] && cp "$ROOT/corpus/seeds/$layer/." "$work/$key/" -R
  # -ignore_crashes via fork would change the figure: a crash ends the run
  # early, and the rate up to it is still the rate.
  out="$("$bin" "${args[@]}" "$work/$key" 2>&1 || true)"
  rate[$key]="$(sed -n 's/^stat::average_exec_per_sec: *//p' <<<"$out" | tail -n 1)"
  # a crash ends the run before the final stats: its last status line
  # ("#N ... exec/s: X") still gives the rate, marked with a '*'
  if [ -z "${rate[$key]}" ]; then
    rate[$key]="$(grep -a -o -E 'exec/s: [0-9]+' <<<"$out" | tail -n 1 | sed 's/exec\/s: //')"
    [ -n "${rate[$key]}" ] && crashed[$key]="*"
  fi
  rate[$key]="${rate[$key]:-0}"
}
for t in "${TARGETS[@]}"; do
  measure "$t" "$BUILD/fuzz/$t" "$t"
  measure "$t-plain" "$PLAIN/fuzz/$t" "$t"
done

pct() { # pct RATE EMPTY: RATE as a percentage of EMPTY
  if [ "$2" -gt 0 ]; then echo $(( 100 * $1 / $2 )); else echo 0; fi
}
empty="${rate[fuzz_empty]}" empty_plain="${rate[fuzz_empty-plain]}"
printf '%-14s %12s %8s %12s %8s\n' target "ASan exec/s" "% empty" "plain exec/s" "% empty"
for t in "${TARGETS[@]}"; do
  note=""
  [ -n "${crashed[$t]:-}${crashed[$t-plain]:-}" ] && note="(* stopped at a finding: rate up to it)"
  printf '%-14s %11s%1s %7s%% %11s%1s %7s%%  %s\n' "$t" \
    "${rate[$t]}" "${crashed[$t]:-}" "$(pct "${rate[$t]}" "$empty")" \
    "${rate[$t-plain]}" "${crashed[$t-plain]:-}" "$(pct "${rate[$t-plain]}" "$empty_plain")" "$note"
done
for t in "${TARGETS[@]}"; do
  echo "metric ${t}_execs ${rate[$t]}"
  echo "metric ${t}_plain_execs ${rate[$t-plain]}"
done
