#!/usr/bin/env bash
# ci/ossfuzz_test.sh - runs .clusterfuzzlite/build.sh on this machine the way
# OSS-Fuzz / ClusterFuzzLite would, into a temporary $OUT, then runs every
# binary it produced over its seed corpus.  Two variants:
#   libFuzzer + ASan: CC=clang-14 CXX=clang++-14
#       CFLAGS=CXXFLAGS='-fsanitize=address,fuzzer-no-link -g -O1'
#       LIB_FUZZING_ENGINE=-fsanitize=fuzzer; each binary: -runs=0 <corpus dir>
#   AFL++ + ASan: CC=afl-clang-fast CXX=afl-clang-fast++
#       LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a; each binary gets every
#       corpus file as an argument (skipped, with a message, only when
#       afl-clang-fast is not installed)
# Registered in ctest as ossfuzz_build (fuzz/CMakeLists.txt).  ~1-2 minutes.
# Exit status: 0 passed, 1 failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mapfile -t TARGETS < <(grep -E '^[a-z]+$' "$ROOT/fuzz/targets" | sed 's/^/fuzz_/')
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1

variant() { # name CC CXX FLAGS ENGINE
  local name="$1" out="$tmp/$1/out" t dir n rc
  mkdir -p "$out" "$tmp/$name/work"
  echo "== $name: build.sh (CC=$2 CXX=$3 CFLAGS='$4' LIB_FUZZING_ENGINE=$5)"
  if ! (cd "$ROOT" && env CC="$2" CXX="$3" CFLAGS="$4" CXXFLAGS="$4" LIB_FUZZING_ENGINE="$5" \
        SRC="$(dirname "$ROOT")" OUT="$out" WORK="$tmp/$name/work" AFL_QUIET=1 \
        bash .clusterfuzzlite/build.sh >"$tmp/$name/build.log" 2>&1); then
    tail -n 30 "$tmp/$name/build.log"; echo "FAIL: $name build.sh"; fail=1; return
  fi
  for t in "${TARGETS[@]}"; do
    for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
      [ -s "$out/$f" ] || { echo "FAIL: $name: \$OUT/$f missing"; fail=1; }
    done
    [ -x "$out/$t" ] && [ -f "$out/${t}_seed_corpus.zip" ] || continue
    dir="$tmp/$name/corpus-$t"; mkdir -p "$dir"
    unzip -q -o "$out/${t}_seed_corpus.zip" -d "$dir"
    n="$(find "$dir" -type f | wc -l)"
    rc=0
    if [ "$name" = libfuzzer ]; then
      ("$out/$t" -runs=0 -dict="$out/$t.dict" "$dir" >"$tmp/$name/$t.log" 2>&1; exit $?) 2>/dev/null || rc=$?
    else
      ("$out/$t" "$dir"/* >"$tmp/$name/$t.log" 2>&1; exit $?) 2>/dev/null || rc=$?
    fi
    if [ "$rc" = 0 ]; then
      printf '   ok    %-14s %4s seed inputs\n' "$t" "$n"
    else
      printf '   FAIL  %-14s exit %s over %s seed inputs:\n' "$t" "$rc" "$n"
      { grep -a -E 'Running: |Reading ' "$tmp/$name/$t.log" | tail -n 1
        grep -a -m2 -E 'VIOLATION|ERROR|model disagrees' "$tmp/$name/$t.log"; } | sed 's/^/         /'
      fail=1
    fi
  done
}

variant libfuzzer clang-14 clang++-14 '-fsanitize=address,fuzzer-no-link -g -O1' -fsanitize=fuzzer
if command -v afl-clang-fast >/dev/null 2>&1 && [ -f /usr/lib/afl/libAFLDriver.a ]; then
  variant afl afl-clang-fast afl-clang-fast++ '-fsanitize=address -g -O1' /usr/lib/afl/libAFLDriver.a
else
  echo "== afl: SKIPPED: afl-clang-fast or /usr/lib/afl/libAFLDriver.a not installed (ci/test.sh --deps-only --fuzz-deps)"
fi
[ "$fail" = 0 ] && echo "ossfuzz_test: passed" || echo "ossfuzz_test: FAILED"
exit "$fail"
