#!/usr/bin/env bash
# ci/ossfuzz_test.sh - does on this machine, without Docker, what OSS-Fuzz
# and ClusterFuzzLite do with smtpp: build, check every target the way
# their build check does, fuzz a little, report coverage.
#
#   ci/ossfuzz_test.sh [--quick] [--only ENGINE-SANITIZER[,...]] [--secs N]
#                      [--oss-fuzz DIR] [--keep DIR]
#
#   --quick        ctest's subset: libfuzzer-address and afl-address,
#                  short runs, no coverage build
#   --only LIST    configurations to run, e.g. libfuzzer-undefined,coverage
#                  (default: all: libfuzzer-address libfuzzer-undefined
#                  libfuzzer-memory afl-address coverage)
#   --secs N       length of each target's short fuzzing run (default 10;
#                  --quick: 2)
#   --oss-fuzz DIR also run google/oss-fuzz's own scripts from that
#                  checkout: infra/presubmit.py's checks on projects/smtpp,
#                  and infra/base-images/base-runner/bad_build_check (with
#                  run_fuzzer, parse_options.py; copied to a temporary
#                  directory, `sysctl -w` made a no-op) on every target
#   --keep DIR     keep $SRC, $OUT and the logs under DIR
#   --honggfuzz DIR  also honggfuzz-address, with a honggfuzz tree built as
#                  OSS-Fuzz's precompile_honggfuzz builds it (DIR/honggfuzz,
#                  DIR/honggfuzz.a; docs/FUZZING.md section 6); default
#                  $SMTPP_HONGGFUZZ_DIR.  honggfuzz has no Debian package.
#
# First projects/smtpp is written by ci/ossfuzz_project.sh (example URL and
# contact) and checked against presubmit's rules.  Then per configuration,
# as infra/base-images/base-builder's `compile` does:
#   1. $SRC/smtpp = the tracked files of this checkout, $SRC/build.sh =
#      .clusterfuzzlite/build.sh (ClusterFuzzLite's Dockerfile; for
#      libfuzzer-address projects/smtpp/build.sh, OSS-Fuzz's), cwd
#      $SRC/smtpp, `bash -eux $SRC/build.sh`
#      with the base images' environment: CC/CXX, CFLAGS = base-clang's
#      CFLAGS + SANITIZER_FLAGS_<sanitizer> + COVERAGE_FLAGS (libFuzzer:
#      -fsanitize=fuzzer-no-link; AFL++: none, CC=afl-clang-fast),
#      CXXFLAGS = CFLAGS (base-clang adds -stdlib=libc++: see below),
#      LIB_FUZZING_ENGINE, SANITIZER,
#      FUZZING_ENGINE, ARCHITECTURE, FUZZING_LANGUAGE (values below, as in
#      base-clang's and base-builder's Dockerfiles and compile_* scripts);
#   2. $OUT moved elsewhere (test_all.py does so to catch hard-coded paths);
#      every fuzz target test_all.py would find (executable ELF holding
#      LLVMFuzzerTestOneInput) must be one of fuzz/targets and every layer
#      of fuzz/targets must be there with its seed zip, .dict and .options;
#   3. per target, bad_build_check's checks restated (each named below):
#      check_engine, check_architecture, check_mixed_sanitizers,
#      check_startup_crash, with the base-runner's ASAN/MSAN/UBSAN_OPTIONS
#      and FUZZER_ARGS; stricter in two points: the 100-edge warning of
#      check_engine fails here, and test_all.py's 10% of broken targets
#      allowed is 0 here (with 7 targets one broken is 14% there anyway);
#   4. the seed corpus replayed (bad_build_check's disabled
#      check_seed_corpus: `run_fuzzer T -runs=0` over the seed zip);
#   5. a short run of each target from its seeds with the engine, the way
#      run_fuzzer starts it (.options, dictionary): exec/s per target; a run
#      that does not start fails, a crashing input it finds is listed at the
#      end as a finding (a bug in the code under test, not in the build);
#   6. coverage: the "coverage" sanitizer build, every target over its seed
#      corpus as base-runner's `coverage` does (-merge=1), llvm-profdata +
#      llvm-cov report of parser/src (TOTAL line printed).
# Registered in ctest as ossfuzz_build (--quick).  Exit: 0 passed, 1 failed,
# 2 bad usage.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,50s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

ALL="libfuzzer-address libfuzzer-undefined libfuzzer-memory afl-address coverage"
QUICK="libfuzzer-address afl-address"
only="" quick=0 secs="" ossfuzz="" keep="" hfuzz="${SMTPP_HONGGFUZZ_DIR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --quick) quick=1 ;;
    --only) [ $# -ge 2 ] || { echo "ci/ossfuzz_test.sh: --only needs a value" >&2; exit 2; }
            only="${2//,/ }"; shift ;;
    --secs) [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "ci/ossfuzz_test.sh: --secs needs a number" >&2; exit 2; }
            secs="$2"; shift ;;
    --oss-fuzz) [ -f "${2:-}/infra/base-images/base-runner/bad_build_check" ] ||
                  { echo "ci/ossfuzz_test.sh: --oss-fuzz: '${2:-}' is not an oss-fuzz checkout" >&2; exit 2; }
                ossfuzz="$(cd "$2" && pwd)"; shift ;;
    --keep) [ $# -ge 2 ] || { echo "ci/ossfuzz_test.sh: --keep needs a directory" >&2; exit 2; }
            keep="$2"; shift ;;
    --honggfuzz) [ $# -ge 2 ] || { echo "ci/ossfuzz_test.sh: --honggfuzz needs a directory" >&2; exit 2; }
                 hfuzz="$2"; shift ;;
    *) echo "ci/ossfuzz_test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$hfuzz" ]; then
  [ -x "$hfuzz/honggfuzz" ] && [ -f "$hfuzz/honggfuzz.a" ] ||
    { echo "ci/ossfuzz_test.sh: --honggfuzz: '$hfuzz' has no honggfuzz and honggfuzz.a" >&2; exit 2; }
  hfuzz="$(cd "$hfuzz" && pwd)"
  ALL="$ALL honggfuzz-address"
fi
[ -n "$only" ] || { [ "$quick" = 1 ] && only="$QUICK" || only="$ALL"; }
[ -n "$secs" ] || { [ "$quick" = 1 ] && secs=2 || secs=10; }
for c in $only; do
  case " $ALL " in *" $c "*) ;; *) echo "ci/ossfuzz_test.sh: unknown configuration '$c' (one of: $ALL; honggfuzz-address needs --honggfuzz)" >&2; exit 2 ;; esac
done

if [ -n "$keep" ]; then mkdir -p "$keep" && tmp="$(cd "$keep" && pwd)"
else tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT; fi
mapfile -t LAYERS < <(grep -E '^[a-z]+$' "$ROOT/fuzz/targets")
fail=0
FINDINGS=()
bad() { echo "   FAIL  $*"; fail=1; }

# ---- the base images' environment -----------------------------------------
# base-clang Dockerfile: ENV CFLAGS, CXXFLAGS_EXTRA
BASE_CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only \
-Wno-error=incompatible-function-pointer-types -Wno-error=int-conversion \
-Wno-error=deprecated-declarations -Wno-error=implicit-function-declaration \
-Wno-error=implicit-int -Wno-error=unknown-warning-option \
-Wno-error=vla-cxx-extension -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
# CXXFLAGS_EXTRA is "-stdlib=libc++" there, where libFuzzer is built with
# its own internal libc++; Debian's libclang_rt.fuzzer is built against
# libstdc++ and does not link with -stdlib=libc++.  smtpp is pure C: the
# flag only picks the C++ library the engine is linked with.
CXXFLAGS_EXTRA=""
# base-builder Dockerfile: ENV SANITIZER_FLAGS_*, COVERAGE_FLAGS*
SAN_address="-fsanitize=address -fsanitize-address-use-after-scope"
SAN_undefined="-fsanitize=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
SAN_memory="-fsanitize=memory -fsanitize-memory-track-origins"
SAN_coverage=""
COV_default="-fsanitize=fuzzer-no-link"
COV_coverage="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"
# base-runner Dockerfile: the run-time environment
RUN_ASAN="alloc_dealloc_mismatch=0:allocator_may_return_null=1:allocator_release_to_os_interval_ms=500:check_malloc_usable_size=0:detect_container_overflow=1:detect_odr_violation=0:detect_leaks=1:detect_stack_use_after_return=1:fast_unwind_on_fatal=0:handle_abort=1:handle_segv=1:handle_sigill=1:max_uar_stack_size_log=16:print_scariness=1:quarantine_size_mb=10:strict_memcmp=1:strip_path_prefix=/workspace/:symbolize=1:use_sigaltstack=1:dedup_token_length=3"
RUN_MSAN="print_stats=1:strip_path_prefix=/workspace/:symbolize=1:dedup_token_length=3"
RUN_UBSAN="print_stacktrace=1:print_summary=1:silence_unsigned_overflow=1:strip_path_prefix=/workspace/:symbolize=1:dedup_token_length=3"
FUZZER_ARGS="-rss_limit_mb=2560 -timeout=25"
AFL_DRIVER=/usr/lib/afl/libAFLDriver.a
# the compilers: base-clang's clang/clang++ are clang-14 here
CLANG=clang-14 CLANGXX=clang++-14
command -v llvm-symbolizer >/dev/null || export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14

# stage $SRC once: the tracked (and new, not ignored) files of this checkout
stage_src() {
  local src="$1"
  mkdir -p "$src/smtpp"
  if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
       while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
       tar --null -T - -cf -) | tar -xf - -C "$src/smtpp"
  else
    (cd "$ROOT" && tar --exclude='./build*' --exclude='./out' -cf - .) | tar -xf - -C "$src/smtpp"
  fi
}

# ---- 1. build -------------------------------------------------------------
build() { # config -> sets OUT_DIR; returns 1 if build.sh failed
  local cfg="$1" engine="${1%%-*}" san="${1#*-}" d="$tmp/$1" cflags cov
  [ "$cfg" = coverage ] && { engine=libfuzzer; san=coverage; }
  rm -rf "$d"; mkdir -p "$d/out" "$d/work"
  stage_src "$d/src"
  # ClusterFuzzLite's layout ($SRC/build.sh is .clusterfuzzlite/build.sh),
  # and for libfuzzer-address OSS-Fuzz's (projects/smtpp/build.sh, which
  # runs the former from $SRC/smtpp)
  if [ "$cfg" = libfuzzer-address ]; then
    cp "$tmp/oss-fuzz-project/projects/smtpp/build.sh" "$d/src/build.sh"; layout="OSS-Fuzz projects/smtpp/build.sh"
  else
    cp "$d/src/smtpp/.clusterfuzzlite/build.sh" "$d/src/build.sh"; layout=".clusterfuzzlite/build.sh"
  fi
  local sv="SAN_$san" cc="$CLANG" cxx="$CLANGXX" engine_lib=-fsanitize=fuzzer extra=()
  cov="$COV_default"
  [ "$san" = coverage ] && cov="$COV_coverage"
  if [ "$engine" = afl ]; then
    # compile_afl: afl-clang-fast, libAFLDriver.a, no COVERAGE_FLAGS, the
    # afl-* tools copied into $OUT
    cc=afl-clang-fast cxx=afl-clang-fast++ engine_lib="$d/work/libAFLDriver.a" cov=""
    cp "$AFL_DRIVER" "$engine_lib"
    cp "$(command -v afl-fuzz)" "$d/out/"
    extra=(AFL_QUIET=1 AFL_IGNORE_PROBLEMS=1 AFL_IGNORE_UNKNOWN_ENVS=1
           "ASAN_OPTIONS=detect_leaks=0:symbolize=0:detect_odr_violation=0:abort_on_error=1")
    printf 'AFL_QUIET=1\nAFL_IGNORE_PROBLEMS=1\nAFL_IGNORE_UNKNOWN_ENVS=1\n' >"$d/out/afl_options.txt"
  elif [ "$engine" = honggfuzz ]; then
    # compile_honggfuzz: honggfuzz.a as the engine, the honggfuzz binary in
    # $OUT, its own COVERAGE_FLAGS
    engine_lib="$d/work/honggfuzz.a"
    cp "$hfuzz/honggfuzz.a" "$engine_lib"
    cp "$hfuzz/honggfuzz" "$d/out/"
    cov="-fsanitize-coverage=trace-pc-guard,indirect-calls,trace-cmp"
  fi
  # compile: CFLAGS="$CFLAGS $SANITIZER_FLAGS $COVERAGE_FLAGS",
  # CXXFLAGS="$CFLAGS $CXXFLAGS_EXTRA"; UBSan adds -fno-sanitize=function
  cflags="$BASE_CFLAGS ${!sv} $cov"
  local cxxflags="$cflags $CXXFLAGS_EXTRA"
  [ "$san" = undefined ] && cflags="$cflags -fno-sanitize=function"
  echo "== $cfg: \$SRC/build.sh = $layout (CC=$cc SANITIZER=$san FUZZING_ENGINE=$engine LIB_FUZZING_ENGINE=$engine_lib)"
  echo "   CFLAGS=$cflags" | tr -s ' '
  if ! (cd "$d/src/smtpp" && env "${extra[@]}" CC="$cc" CXX="$cxx" CCC="$cxx" \
          CFLAGS="$cflags" CXXFLAGS="$cxxflags" LIB_FUZZING_ENGINE="$engine_lib" \
          SANITIZER="$san" FUZZING_ENGINE="$engine" ARCHITECTURE=x86_64 \
          FUZZING_LANGUAGE=c SRC="$d/src" OUT="$d/out" WORK="$d/work" \
          bash -eux "$d/src/build.sh" >"$d/build.log" 2>&1); then
    tail -n 40 "$d/build.log" | sed 's/^/   | /'
    bad "$cfg: build.sh failed (log: $d/build.log)"
    return 1
  fi
  # test_all.py: $OUT moved to another directory before the checks
  mkdir -p "$tmp/not-out"
  OUT_DIR="$tmp/not-out/$cfg"; rm -rf "$OUT_DIR"; mv "$d/out" "$OUT_DIR"
  ENGINE="$engine" SAN="$san"
}

# test_all.py find_fuzz_targets: executable ELF files holding the string
# LLVMFuzzerTestOneInput, not llvm-symbolizer, not afl-*
find_targets() {
  local f
  for f in "$1"/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    case "$(basename "$f")" in llvm-symbolizer|afl-*|jazzer_*) continue ;; esac
    file "$f" | grep -q ELF || continue
    grep -q -a LLVMFuzzerTestOneInput "$f" && echo "$(basename "$f")"
  done
}

# run_fuzzer's libFuzzer command line: $OUT/T -- $FUZZER_ARGS ARGS
# [corpus] <.options [libfuzzer] section> [-dict=T.dict], from cwd $OUT
lf_options() { # target -> the [libfuzzer] section as -key=value words
  python3 - "$OUT_DIR/$1.options" <<'EOF'
import configparser, sys
p = configparser.ConfigParser(); p.read(sys.argv[1])
if p.has_section('libfuzzer'):
    print(' '.join('-%s=%s' % kv for kv in p['libfuzzer'].items()))
EOF
}
run_env() { # sanitizer options as base-runner + run_fuzzer set them
  ASAN_OPTIONS="$RUN_ASAN" MSAN_OPTIONS="$RUN_MSAN" UBSAN_OPTIONS="$RUN_UBSAN" "$@"
}

# ---- 3. bad_build_check, restated ----------------------------------------
check_target() { # target logdir -> 0 ok
  local t="$1" log="$2/$1" ok=0 n calls
  # check_engine (libFuzzer): `T -- -seed=1337 -runs=4`, no corpus: the
  # one-byte input "\n" must produce coverage; fewer than 100 edges is
  # bad_build_check's "partial coverage instrumentation" warning
  if [ "$ENGINE" = libfuzzer ]; then
    (cd "$2" && run_env timeout 120 "$OUT_DIR/$t" -- -seed=1337 -runs=4 >"$log.engine" 2>&1)
    if grep -q 'ERROR: no interesting inputs were found. Is the code instrumented' "$log.engine"; then
      bad "$t: check_engine: no interesting inputs (the one-byte input reaches no instrumented code)"
      ok=1
    else
      n="$(grep -Po 'INFO: Loaded [[:digit:]]+ module.*\(.*(counters|guards)\):[[:space:]]+\K[[:digit:]]+' "$log.engine")"
      if [ -n "$n" ] && [ "$n" -lt 100 ]; then
        bad "$t: check_engine: only $n edges (partial coverage instrumentation warning)"; ok=1
      fi
      EDGES="$n"
    fi
  elif [ "$ENGINE" = honggfuzz ]; then
    # check_engine (honggfuzz): run_fuzzer with honggfuzz for 20 s, no seed
    # corpus (only "input"): a status line "Sz:N Tm:N" must appear
    local c="$2/$t.hf-in" o="$2/$t.hf-out"
    rm -rf "$c" "$o"; mkdir -p "$c" "$o"; echo input >"$c/input"
    hf_run "$t" "$c" "$o" "$HF_CHECK_SECS" >"$log.engine" 2>&1
    grep -q -E '^Sz:[0-9]+ Tm:[0-9]+' "$log.engine" ||
      { bad "$t: check_engine: honggfuzz ran no input (no 'Sz:N Tm:N' line)"; ok=1; }
  else
    # check_engine (afl): run_fuzzer with afl-fuzz, no seed corpus (only the
    # file "input"): "All set and ready to roll" must appear; and
    # check_startup_crash: no "target binary (crashed|terminated)"
    local c="$2/$t.afl-in" o="$2/$t.afl-out"
    rm -rf "$c" "$o"; mkdir -p "$c"; echo input >"$c/input"
    afl_run "$t" "$c" "$o" "$AFL_CHECK_SECS" >"$log.engine" 2>&1
    grep -q 'All set and ready to roll' "$log.engine" ||
      { bad "$t: check_engine: afl-fuzz did not start (no 'All set and ready to roll')"; ok=1; }
    if grep -q -E 'target binary (crashed|terminated)' "$log.engine"; then
      bad "$t: check_startup_crash: target binary crashed or terminated"; ok=1
    fi
  fi
  # check_architecture: `file` says x86-64
  file "$OUT_DIR/$t" | grep -q x86-64 || { bad "$t: check_architecture: not x86-64"; ok=1; }
  # check_mixed_sanitizers: calls into each sanitizer runtime (objdump -dC)
  objdump -dC "$OUT_DIR/$t" >"$log.objdump"
  local asan msan ubsan dfsan
  asan=$(grep -c -E 'callq?\s+[0-9a-f]+\s+<__asan' "$log.objdump")
  msan=$(grep -c -E 'callq?\s+[0-9a-f]+\s+<__msan' "$log.objdump")
  ubsan=$(grep -c -E 'callq?\s+[0-9a-f]+\s+<__ubsan' "$log.objdump")
  dfsan=$(grep -c -E 'callq?\s+[0-9a-f]+\s+<__dfsan' "$log.objdump")
  rm -f "$log.objdump"
  CALLS="asan $asan msan $msan ubsan $ubsan"
  case "$SAN" in
    address)
      [ "$asan" -ge 1000 ] || { bad "$t: check_asan_build: $asan ASan calls (< 1000)"; ok=1; }
      [ "$dfsan" -le 0 ] && [ "$msan" -le 3 ] && [ "$ubsan" -le 200 ] ||
        { bad "$t: check_asan_build: mixed sanitizers ($CALLS)"; ok=1; } ;;
    memory)
      [ "$msan" -ge 1000 ] || { bad "$t: check_msan_build: $msan MSan calls (< 1000)"; ok=1; }
      [ "$asan" -le 0 ] && [ "$dfsan" -le 0 ] && [ "$ubsan" -le 200 ] ||
        { bad "$t: check_msan_build: mixed sanitizers ($CALLS)"; ok=1; } ;;
    undefined)
      [ "$ubsan" -ge 168 ] || { bad "$t: check_ubsan_build: $ubsan UBSan calls (< 168)"; ok=1; }
      [ "$asan" -le 0 ] && [ "$dfsan" -le 0 ] && [ "$msan" -le 3 ] ||
        { bad "$t: check_ubsan_build: mixed sanitizers ($CALLS)"; ok=1; } ;;
  esac
  # check_startup_crash (libFuzzer): SKIP_SEED_CORPUS=1 run_fuzzer T
  # -seed=1337 -runs=4 must print "Done 4 runs"
  if [ "$ENGINE" = libfuzzer ]; then
    # shellcheck disable=SC2046,SC2086
    (cd "$OUT_DIR" && run_env timeout 120 "$OUT_DIR/$t" -- $FUZZER_ARGS -seed=1337 -runs=4 \
       $(lf_options "$t") $(lf_options "$t" | grep -q -- -dict= || echo "-dict=$t.dict") \
       </dev/null >"$log.startup" 2>&1)
    grep -q 'Done 4 runs' "$log.startup" ||
      { bad "$t: check_startup_crash: no 'Done 4 runs'"; tail -n 5 "$log.startup" | sed 's/^/         /'; ok=1; }
  fi
  return "$ok"
}

# afl-fuzz the way run_fuzzer starts it, stopped with SIGINT after SECS
# (bad_build_check: timeout --preserve-status -s INT 35s run_fuzzer T)
afl_run() { # target corpus outdir secs
  local t="$1" dict=""
  dict="$(sed -n 's/^\s*dict\s*=\s*\(.*\)/\1/p' "$OUT_DIR/$t.options" 2>/dev/null | tail -1)"
  [ -z "$dict" ] && [ -f "$OUT_DIR/$t.dict" ] && dict="$t.dict"
  (cd "$OUT_DIR" && run_env env \
     ASAN_OPTIONS="$RUN_ASAN:abort_on_error=1:symbolize=0:detect_odr_violation=0:" \
     MSAN_OPTIONS="$RUN_MSAN:exit_code=86:symbolize=0" UBSAN_OPTIONS="$RUN_UBSAN:symbolize=0" \
     AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_TRY_AFFINITY=1 \
     AFL_FAST_CAL=1 AFL_CMPLOG_ONLY_NEW=1 AFL_FORKSRV_INIT_TMOUT=30000 \
     AFL_IGNORE_PROBLEMS=1 AFL_IGNORE_UNKNOWN_ENVS=1 AFL_NO_UI=1 \
     timeout --preserve-status -s INT "$4" ./afl-fuzz -m none -t 5000+ -i "$2" -o "$3" \
       ${dict:+-x "$dict"} -- "$OUT_DIR/$t")
}

# honggfuzz the way run_fuzzer starts it, stopped with SIGINT after SECS
hf_run() { # target corpus workdir secs
  local t="$1" dict=""
  dict="$(sed -n 's/^\s*dict\s*=\s*\(.*\)/\1/p' "$OUT_DIR/$t.options" 2>/dev/null | tail -1)"
  [ -z "$dict" ] && [ -f "$OUT_DIR/$t.dict" ] && dict="$t.dict"
  (cd "$OUT_DIR" && run_env timeout --preserve-status -s INT "$4" ./honggfuzz -n 1 \
     --exit_upon_crash -V -R "$3/report" -W "$3" -v -z -P -f "$2" ${dict:+--dict "$dict"} \
     -- "$OUT_DIR/$t")
}

# ---- 5. short runs -----------------------------------------------------------
# Sets EPS (exec/s; empty if the engine did not run) and FINDING (the first
# crash input the run saved, or empty).  A run that does not start fails the
# check; an input that crashes the target is a finding in the code under
# test, not in the build: it is reported (FINDINGS) for ci/triage.sh.
short_run() { # target logdir
  local t="$1" c="$2/$1.corpus" r
  EPS="" FINDING=""
  rm -rf "$c"; mkdir -p "$c"
  unzip -q -o "$OUT_DIR/${t}_seed_corpus.zip" -d "$c"
  if [ "$ENGINE" = libfuzzer ]; then
    # shellcheck disable=SC2046,SC2086
    (cd "$OUT_DIR" && run_env timeout $((secs + 60)) "$OUT_DIR/$t" -- $FUZZER_ARGS \
       -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$2/$t-" "$c" \
       $(lf_options "$t") </dev/null >"$2/$t.run" 2>&1)
    r=$?
    EPS="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$2/$t.run" | tail -n 1)"
    FINDING="$(find "$2" -maxdepth 1 -type f \( -name "$t-crash-*" -o -name "$t-leak-*" \
                 -o -name "$t-timeout-*" -o -name "$t-oom-*" \) -print -quit)"
    if [ "$r" != 0 ] && [ -n "$FINDING" ]; then
      # stopped at a finding: the rate up to it, from the last status line
      EPS="$(grep -a -o -E 'exec/s: [0-9]+' "$2/$t.run" | tail -n 1 | sed 's/exec\/s: //')"
    elif [ "$r" != 0 ]; then
      bad "$t: short run: exit $r"; grep -a -m3 -E 'ERROR|VIOLATION|disagrees' "$2/$t.run" | sed 's/^/         /'
    fi
  elif [ "$ENGINE" = honggfuzz ]; then
    mkdir -p "$2/$t.hf-run"
    hf_run "$t" "$c" "$2/$t.hf-run" "$secs" >"$2/$t.run" 2>&1
    FINDING="$(find "$2/$t.hf-run" -maxdepth 1 -name 'SIG*' -print -quit)"
    # honggfuzz's closing "Summary iterations:N time:N speed:N ..." line
    EPS="$(sed -n 's/^Summary iterations:.* speed:\([0-9]*\).*/\1/p' "$2/$t.run" | tail -n 1)"
  else
    afl_run "$t" "$c" "$2/$t.afl-run" "$secs" >"$2/$t.run" 2>&1
    FINDING="$(find "$2/$t.afl-run/default/crashes" -maxdepth 1 -name 'id:*' -print -quit 2>/dev/null)"
    EPS="$(sed -n 's/^execs_per_sec *: *//p' "$2/$t.afl-run/default/fuzzer_stats" 2>/dev/null | cut -d. -f1)"
  fi
  # the engine must have run: a status or closing line with its speed
  # (honggfuzz prints no summary when SIGINT lands twice: its status lines)
  if [ -z "$EPS" ] && ! { [ "$ENGINE" = honggfuzz ] && grep -q -E '^Sz:[0-9]+ Tm:' "$2/$t.run"; }; then
    bad "$t: short run: the engine ran no input (log: $2/$t.run)"
  fi
  if [ -n "$FINDING" ]; then
    # kept beyond the temporary directory: out/ossfuzz-findings/ (gitignored)
    if [ -z "$keep" ]; then
      local name; name="$(basename "$FINDING")"
      case "$name" in "$t-"*) ;; *) name="$t-$name" ;; esac
      mkdir -p "$ROOT/out/ossfuzz-findings"
      cp "$FINDING" "$ROOT/out/ossfuzz-findings/$name"
      FINDING="$ROOT/out/ossfuzz-findings/$name"
    fi
    FINDINGS+=("$t: $FINDING")
  fi
  return 0
}

# ---- 6. coverage ------------------------------------------------------------
coverage_report() { # logdir
  local d="$1" t prof=() c
  for t in $(find_targets "$OUT_DIR"); do
    c="$d/$t.corpus"; rm -rf "$c" "$d/$t.dummy"; mkdir -p "$c" "$d/$t.dummy"
    unzip -q -o "$OUT_DIR/${t}_seed_corpus.zip" -d "$c"
    # base-runner coverage: T -merge=1 -timeout=100 DUMMY CORPUS
    LLVM_PROFILE_FILE="$d/$t.%1m.profraw" "$OUT_DIR/$t" -merge=1 -timeout=100 \
      "$d/$t.dummy" "$c" >"$d/$t.cov.log" 2>&1 || bad "$t: coverage run failed (log $d/$t.cov.log)"
    llvm-profdata-14 merge -sparse "$d/$t".*.profraw -o "$d/$t.profdata" || bad "$t: llvm-profdata failed"
    prof+=("$d/$t.profdata")
  done
  llvm-profdata-14 merge -sparse "${prof[@]}" -o "$d/merged.profdata" || { bad "coverage: merge failed"; return; }
  local objs=() first=""
  for t in $(find_targets "$OUT_DIR"); do
    if [ -z "$first" ]; then first="$OUT_DIR/$t"; else objs+=(-object="$OUT_DIR/$t"); fi
  done
  llvm-cov-14 report "$first" "${objs[@]}" -instr-profile="$d/merged.profdata" \
    "$tmp/coverage/src/smtpp/parser/src" >"$d/report.txt" 2>&1 ||
    { bad "coverage: llvm-cov report failed"; cat "$d/report.txt"; return; }
  echo "   coverage of parser/src over the seed corpora (llvm-cov report; Regions Functions Lines Branches):"
  grep -E '^TOTAL' "$d/report.txt" | awk '{printf "   TOTAL  regions %s  functions %s  lines %s  branches %s\n", $4, $7, $10, $13}'
  [ -n "$(grep -E '^TOTAL' "$d/report.txt")" ] || bad "coverage: no TOTAL line in the report"
}

# ---- the matrix -------------------------------------------------------------
command -v afl-fuzz >/dev/null && [ -f "$AFL_DRIVER" ] || {
  case " $only " in *" afl-"*) echo "ci/ossfuzz_test.sh: afl-fuzz or $AFL_DRIVER missing (ci/test.sh --deps-only)" >&2; exit 1 ;; esac; }
AFL_CHECK_SECS=35; [ "$quick" = 1 ] && AFL_CHECK_SECS=5
HF_CHECK_SECS=20; [ "$quick" = 1 ] && HF_CHECK_SECS=5
[ -n "$ossfuzz" ] && { rm -rf "$tmp/oss-fuzz-runner"; mkdir -p "$tmp/oss-fuzz-runner"
  cp "$ossfuzz"/infra/base-images/base-runner/{bad_build_check,run_fuzzer,parse_options.py} "$tmp/oss-fuzz-runner/"
  printf '#!/bin/sh\nexit 0\n' >"$tmp/oss-fuzz-runner/sysctl"; chmod +x "$tmp/oss-fuzz-runner"/*; }
# the OSS-Fuzz project folder, written and checked against presubmit's rules
echo "== projects/smtpp: ci/ossfuzz_project.sh (example URL and contact)"
if bash "$ROOT/ci/ossfuzz_project.sh" --main-repo https://example.org/smtpp.git \
     --contact fuzzing@example.org --out "$tmp/oss-fuzz-project" ${ossfuzz:+--oss-fuzz "$ossfuzz"} \
     >"$tmp/project.log" 2>&1; then
  sed 's/^/   /' "$tmp/project.log"
else
  sed 's/^/   /' "$tmp/project.log"; bad "projects/smtpp: ci/ossfuzz_project.sh failed"
fi
# the ClusterFuzzLite files: pinned base image, SARIF uploaded wherever it
# is written, a continuous build for PR fuzzing, every job on the storage
# repo secret (docs/FUZZING.md section 6)
echo "== ClusterFuzzLite: .clusterfuzzlite/Dockerfile and .github/workflows/cflite_*.yml"
if python3 - "$ROOT" >"$tmp/workflows.log" 2>&1 <<'PY'
import glob, os, re, sys, yaml
root = sys.argv[1]; errs = []
df = open(os.path.join(root, '.clusterfuzzlite/Dockerfile')).read()
m = re.search(r'^FROM\s+(\S+)', df, re.M)
if not m or not re.fullmatch(r'gcr\.io/oss-fuzz-base/base-builder:v\d+', m.group(1)):
    errs.append('Dockerfile: base-builder not pinned to a :vN tag')
upload_build = False
for wf in sorted(glob.glob(os.path.join(root, '.github/workflows/cflite_*.yml'))):
    name = os.path.basename(wf); y = yaml.safe_load(open(wf))
    on = y.get(True, y.get('on')) or {}
    for jn, job in y['jobs'].items():
        steps = job.get('steps', [])
        uses = lambda s: s.get('uses', '')
        cfl = [s for s in steps if 'google/clusterfuzzlite/actions/' in uses(s)]
        for s in cfl:
            w = s.get('with', {})
            if not uses(s).endswith('@v1'):
                errs.append('%s/%s: %s not @v1' % (name, jn, uses(s)))
            if 'CFLITE_STORAGE_REPO' not in str(w.get('storage-repo', '')):
                errs.append('%s/%s: %s without the storage-repo secret' % (name, jn, s.get('name')))
            if 'build_fuzzers' in uses(s) and w.get('upload-build') is True and \
               'main' in str((on.get('push') or {}).get('branches', [])):
                upload_build = True
        if any(s.get('with', {}).get('output-sarif') for s in cfl):
            if (job.get('permissions') or {}).get('security-events') != 'write':
                errs.append('%s/%s: SARIF without security-events: write' % (name, jn))
            up = [s for s in steps if uses(s).startswith('github/codeql-action/upload-sarif@')]
            co = [s for s in steps if uses(s).startswith('actions/checkout@')
                  and s.get('with', {}).get('path') == 'cifuzz-sarif']
            if not up or not co or up[0]['with'].get('sarif_file') != 'cifuzz-sarif/results.sarif' \
               or up[0]['with'].get('checkout_path') != 'cifuzz-sarif':
                errs.append('%s/%s: output-sarif without a checkout into cifuzz-sarif and '
                            'upload-sarif of cifuzz-sarif/results.sarif' % (name, jn))
if not upload_build:
    errs.append('no continuous build (build_fuzzers upload-build: true on push to main)')
for e in errs:
    print(e)
print('workflows and Dockerfile: %s' % ('ok' if not errs else 'FAILED'))
sys.exit(1 if errs else 0)
PY
then sed 's/^/   /' "$tmp/workflows.log"
else sed 's/^/   /' "$tmp/workflows.log"; bad "ClusterFuzzLite files"; fi

for cfg in $only; do
  OUT_DIR="" ENGINE="" SAN=""
  build "$cfg" || continue
  logs="$tmp/$cfg/logs"; mkdir -p "$logs"
  mapfile -t found < <(find_targets "$OUT_DIR")
  for l in "${LAYERS[@]}"; do
    for f in "fuzz_$l" "fuzz_${l}_seed_corpus.zip" "fuzz_$l.dict" "fuzz_$l.options"; do
      [ -s "$OUT_DIR/$f" ] || bad "$cfg: \$OUT/$f missing"
    done
  done
  # every seed fits the target's max_len (libFuzzer cuts longer ones)
  for l in "${LAYERS[@]}"; do
    ml="$(sed -n 's/^max_len *= *//p' "$OUT_DIR/fuzz_$l.options" 2>/dev/null | tail -n 1)"
    big="$(unzip -l "$OUT_DIR/fuzz_${l}_seed_corpus.zip" 2>/dev/null |
           awk 'NR > 3 && $1 ~ /^[0-9]+$/ && NF >= 4 {print $1}' | sort -n | tail -n 1)"
    [ -n "$ml" ] && [ -n "$big" ] && [ "$big" -gt "$ml" ] &&
      bad "$cfg: fuzz_$l: a seed of $big octets is longer than max_len = $ml"
  done
  for t in "${found[@]}"; do
    case " ${LAYERS[*]} " in *" ${t#fuzz_} "*) ;; *) bad "$cfg: \$OUT/$t is no layer of fuzz/targets" ;; esac
  done
  if [ "$cfg" = coverage ]; then
    coverage_report "$logs"
    continue
  fi
  echo "   target          bad_build_check    edges  sanitizer calls              exec/s (${secs}s from seeds)"
  for t in "${found[@]}"; do
    EDGES="" CALLS=""
    if check_target "$t" "$logs"; then res=ok; else res=BAD; fi
    if [ -n "$ossfuzz" ]; then
      # google/oss-fuzz's own script, from a temporary copy
      if (cd "$logs" && env PATH="$tmp/oss-fuzz-runner:$OUT_DIR:$PATH" OUT="$OUT_DIR" \
            FUZZING_ENGINE="$ENGINE" SANITIZER="$SAN" ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c \
            ASAN_OPTIONS="$RUN_ASAN" MSAN_OPTIONS="$RUN_MSAN" UBSAN_OPTIONS="$RUN_UBSAN" \
            FUZZER_ARGS="$FUZZER_ARGS" AFL_FUZZER_ARGS="-m none" \
            bash "$tmp/oss-fuzz-runner/bad_build_check" "$OUT_DIR/$t" >"$logs/$t.oss-fuzz" 2>&1); then
        res="$res/oss-fuzz ok"
      else
        res="$res/oss-fuzz BAD"; bad "$t: google/oss-fuzz bad_build_check failed:"
        grep 'BAD BUILD' "$logs/$t.oss-fuzz" | head -n 3 | sed 's/^/         /'
      fi
    fi
    # check_seed_corpus (disabled upstream): every seed replays clean
    if [ "$ENGINE" = libfuzzer ]; then
      c="$logs/$t.seeds"; rm -rf "$c"; mkdir -p "$c"; unzip -q -o "$OUT_DIR/${t}_seed_corpus.zip" -d "$c"
      # shellcheck disable=SC2046,SC2086
      (cd "$OUT_DIR" && run_env timeout 300 "$OUT_DIR/$t" -- $FUZZER_ARGS -runs=0 "$c" $(lf_options "$t") \
         </dev/null >"$logs/$t.seeds.log" 2>&1) ||
        { bad "$t: a seed fails"; grep -a -m3 -E 'Running:|ERROR|VIOLATION|disagrees' "$logs/$t.seeds.log" | sed 's/^/         /'; }
    fi
    short_run "$t" "$logs"
    printf '   %-15s %-18s %6s  %-28s %s%s\n' "$t" "$res" "${EDGES:--}" "${CALLS}" "${EPS:-?}" \
      "${FINDING:+  (found a crashing input)}"
  done
done
if [ "${#FINDINGS[@]}" -gt 0 ]; then
  echo "== the short runs found ${#FINDINGS[@]} crashing input(s): bugs in the code under test, not in"
  echo "   the build (triage: ci/triage.sh FILE --layer LAYER; docs/REPRODUCING.md):"
  printf '   %s\n' "${FINDINGS[@]}"
fi
[ "$fail" = 0 ] && echo "ossfuzz_test: passed ($only)" || echo "ossfuzz_test: FAILED ($only)"
exit "$fail"
