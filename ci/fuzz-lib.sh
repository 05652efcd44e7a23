# ci/fuzz-lib.sh - helpers shared by ci/fuzz.sh, ci/triage.sh, ci/corpus.sh
# and ci/coverage.sh.  Sourced, not run.  Expects ROOT (the repo) to be set.
#
# Build trees (gitignored, under the repo):
#   build-fuzz        clang-14, libFuzzer + ASan/UBSan: fuzz_<t>, replay_fuzz_<t>
#                     (the reproducer binary), smtpp (smtpp check)
#   build-fuzz-plain  clang-14, libFuzzer, no sanitizer: fuzz_<t> (the fast
#                     workers of a campaign)
#   build-afl         afl-clang-fast, no sanitizer: afl_fuzz_<t>
#   build-afl-asan    afl-clang-fast, ASan+UBSan: afl_fuzz_<t>
#   build-afl-cmplog  afl-clang-fast with AFL_LLVM_CMPLOG=1: afl_fuzz_<t>
# SMTPP_BUILD_PREFIX (default $ROOT/build) changes where they go.

FUZZ_LAYERS_ALL="$(grep -E '^[a-z]+$' "$ROOT/fuzz/targets" | tr '\n' ' ')"

# Sanitizer settings for every replay/minimize run: stop at the first error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

flog() { printf '== %s\n' "$*" >&2; }

# layer_of NAME: "session" / "fuzz_session" -> "session"; empty if unknown.
layer_of() {
  local n="${1#fuzz_}" l
  for l in $FUZZ_LAYERS_ALL; do
    [ "$n" = "$l" ] && { echo "$l"; return 0; }
  done
  return 1
}

build_prefix() { echo "${SMTPP_BUILD_PREFIX:-$ROOT/build}"; }

# libfuzzer_build SUFFIX SANITIZE TARGET...: configure (once) and build
# <prefix>-SUFFIX, libFuzzer with SMTPP_SANITIZE=SANITIZE
libfuzzer_build() {
  local b; b="$(build_prefix)-$1"
  local san=$2
  shift 2
  mkdir -p "$b"
  if [ ! -f "$b/build.ninja" ]; then
    cmake -S "$ROOT" -B "$b" -G Ninja -DCMAKE_C_COMPILER=clang-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMTPP_FUZZ=ON -DSMTPP_SANITIZE="$san" \
      -DSMTPP_TESTS=OFF >"$b/ci-configure.log" 2>&1 ||
      { cat "$b/ci-configure.log" >&2; return 1; }
  fi
  cmake --build "$b" --target "$@" >"$b/ci-build.log" 2>&1 ||
    { tail -n 40 "$b/ci-build.log" >&2; return 1; }
}

# build_fuzz TARGET...: build-fuzz (libFuzzer, ASan+UBSan)
build_fuzz() { libfuzzer_build fuzz ON "$@"; }

# build_fuzz_plain TARGET...: build-fuzz-plain (libFuzzer, no sanitizer)
build_fuzz_plain() { libfuzzer_build fuzz-plain OFF "$@"; }

# build_afl KIND TARGET: KIND plain | asan | cmplog
build_afl() {
  local kind="$1" t="$2" b env=() opts=()
  b="$(build_prefix)-afl"
  case "$kind" in
    plain) ;;
    asan) b="$b-asan"; opts=(-DSMTPP_SANITIZE=ON) ;;
    cmplog) b="$b-cmplog"; env=(AFL_LLVM_CMPLOG=1) ;;
  esac
  mkdir -p "$b"
  if [ ! -f "$b/build.ninja" ]; then
    env "${env[@]}" CC=afl-clang-fast cmake -S "$ROOT" -B "$b" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMTPP_AFL=ON -DSMTPP_TESTS=OFF \
      -DSMTPP_WERROR=OFF "${opts[@]}" >"$b/ci-configure.log" 2>&1 ||
      { cat "$b/ci-configure.log" >&2; return 1; }
  fi
  env "${env[@]}" AFL_QUIET=1 cmake --build "$b" --target "afl_$t" \
    >"$b/ci-build.log" 2>&1 || { tail -n 40 "$b/ci-build.log" >&2; return 1; }
  echo "$b/fuzz/afl_$t"
}

replay_bin() { echo "$(build_prefix)-fuzz/fuzz/replay_$1"; }
fuzz_bin() { echo "$(build_prefix)-fuzz/fuzz/$1"; }
fuzz_plain_bin() { echo "$(build_prefix)-fuzz-plain/fuzz/$1"; }
smtpp_bin() { echo "$(build_prefix)-fuzz/tools/smtpp"; }

# replay_report TARGET FILE OUTFILE: replays FILE with the ASan replay
# binary, writes its stderr to OUTFILE; returns the replay's exit status.
replay_report() {
  local rc=0
  # (in a subshell that waits: no "Aborted" job notice on the terminal)
  (timeout -k 5 60 "$(replay_bin "$1")" "$2" >"$3" 2>&1; exit $?) 2>/dev/null || rc=$?
  return "$rc"
}

# finding_key REPORTFILE: a one-line dedup key from a replay report:
#   the oracle property id ("P4_MALFORMED_LINE"), else the sanitizer error
#   kind and the top 3 stack frames in our code ("heap-buffer-overflow
#   in f1<f2<f3"), else the first line naming the failure.
finding_key() {
  local r="$1" prop kind frames
  prop="$(grep -o -m1 'oracle: VIOLATION P[0-9]*_[A-Z0-9_]*' "$r" | sed 's/.* //')"
  if [ -n "$prop" ]; then echo "$prop"; return; fi
  kind="$(grep -o -m1 -E '(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|MemorySanitizer): [A-Za-z0-9_-]+' "$r" | sed 's/.*: //')"
  [ -n "$kind" ] || kind="$(grep -o -m1 -E 'runtime error: [a-z -]+' "$r" | sed 's/runtime error: //; s/ *$//; s/ /-/g')"
  [ -n "$kind" ] || kind="$(grep -o -m1 'model disagrees' "$r" | tr ' ' '-')"
  [ -n "$kind" ] || kind="deadly-signal"
  # frames: "    #3 0x55 in func /path/file.c:12:3"; keep our own code
  frames="$(grep -E '^ *#[0-9]+ 0x[0-9a-f]+ in ' "$r" |
    grep -E '/(parser|oracle|fuzz|tools)/' |
    grep -v -E ' in (LLVMFuzzerTestOneInput|main|run_exact|replay_file|replay_path|replay_args) ' |
    awk '{print $4}' | awk '!seen[$0]++' | head -n 3 | paste -sd'<' -)"
  if [ -n "$frames" ]; then echo "$kind in $frames"; else echo "$kind"; fi
}

# slug TEXT: file-name-safe short form of a key
slug() { tr -c 'A-Za-z0-9_.\n-' '-' <<<"$1" | tr -s '-' | cut -c1-60 | sed 's/-$//'; }

# minimize_libfuzzer TARGET FILE OUTFILE KEY [SECONDS]: smallest input
# that still gives KEY; falls back to FILE.
minimize_libfuzzer() {
  local t="$1" f="$2" out="$3" key="$4" secs="${5:-60}" tmp best k
  tmp="$(mktemp -d)"
  (cd "$tmp" && timeout -k 5 $((secs + 30)) "$(fuzz_bin "$t")" -minimize_crash=1 -runs=20000 \
     -max_total_time="$secs" -artifact_prefix="$tmp/" "$f" >"$tmp/min.log" 2>&1) || true
  cp "$f" "$out"
  # try the minimized candidates smallest first
  for best in $(find "$tmp" -maxdepth 1 -type f -name 'minimized-from-*' -printf '%s %p\n' |
                sort -n | awk '{print $2}'); do
    if [ "$(stat -c %s "$best")" -ge "$(stat -c %s "$out")" ]; then break; fi
    (replay_report "$t" "$best" "$tmp/r") 2>/dev/null || true
    k="$(finding_key "$tmp/r")"
    if [ "$k" = "$key" ]; then cp "$best" "$out"; break; fi
  done
  rm -rf "$tmp"
}

# minimize_afl TARGET FILE OUTFILE KEY: afl-tmin on the ASan AFL binary.
minimize_afl() {
  local t="$1" f="$2" out="$3" key="$4" bin tmp k
  bin="$(build_prefix)-afl-asan/fuzz/afl_$t"
  tmp="$(mktemp -d)"
  cp "$f" "$out"
  if [ -x "$bin" ] && timeout -k 5 120 env AFL_QUIET=1 \
       ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=1 \
       UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0 afl-tmin -i "$f" -o "$tmp/min" \
       -m none -t 5000 -- "$bin" >"$tmp/tmin.log" 2>&1 && [ -s "$tmp/min" ]; then
    (replay_report "$t" "$tmp/min" "$tmp/r") 2>/dev/null || true
    k="$(finding_key "$tmp/r")"
    [ "$k" = "$key" ] && cp "$tmp/min" "$out"
  fi
  rm -rf "$tmp"
}

# reproduce_cmd TARGET FILE: the one command that reproduces a finding
reproduce_cmd() { echo "$(replay_bin "$1") $2"; }
