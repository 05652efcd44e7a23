#!/usr/bin/env bash
# ci/test.sh - install the toolchain, build with ASan+UBSan (clang-14), run
# every test under ctest, then check that gcc builds everything warning-free.
#
#   ci/test.sh              everything (installs packages when some are missing)
#   ci/test.sh --no-install do not touch apt; fail if something is missing
#   ci/test.sh --deps-only  only make sure the packages are installed
#   ci/test.sh --deps-only --fuzz-deps   also the fuzzing packages (ci/fuzz.sh)
#
# Runs from any directory; build trees go to <repo>/build-ci and
# <repo>/build-gcc.  Exit status: 0 all passed, 1 a step failed, 2 bad usage.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages.  Beyond the obvious ones: libclang-rt-14-dev holds the
# sanitizer and libFuzzer runtimes (only a Recommends of clang-14, so
# --no-install-recommends would leave it out) and gcc is the second compiler.
# ctest's ossfuzz_build runs .clusterfuzzlite/build.sh for libFuzzer and
# AFL++ (afl++), zips and unzips the seed corpora (zip, unzip), and checks
# the binaries (file, objdump from binutils) and the project and workflow
# YAML files (python3-yaml).  ctest example_host builds examples/host.c
# against OpenSSL (libssl-dev), makes its key with the openssl CLI and
# drives it from Python (python3).
PACKAGES=(clang-14 llvm-14 libclang-rt-14-dev gcc cmake ninja-build
          libcmocka-dev pkg-config binutils zip unzip afl++ file python3-yaml
          libssl-dev openssl python3)
# Fuzz campaigns (ci/fuzz.sh, ci/corpus.sh, ci/coverage.sh, --fuzz-deps):
# AFL++ 4.x, gnuplot for the progress plot (gnuplot-nox: the png terminal
# without the Qt/GTK stack), zip for seed-corpus zips, lcov for genhtml.
FUZZ_PACKAGES=(afl++ gnuplot-nox zip lcov)

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

install=1
deps_only=0
fuzz_deps=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --no-install) install=0 ;;
    --deps-only) deps_only=1 ;;
    --fuzz-deps) PACKAGES+=("${FUZZ_PACKAGES[@]}"); fuzz_deps=1 ;;
    *) echo "ci/test.sh: unknown option '$1' (allowed: --no-install, --deps-only, --fuzz-deps, -h)" >&2
       exit 2 ;;
  esac
  shift
done

log() { printf '\n== %s\n' "$*"; }
indent() { while IFS= read -r line; do printf '  %s\n' "$line"; done; }

# Prints what is missing, one item per line; nothing when all is there.
missing_deps() {
  local c
  for c in clang-14 clang++-14 llvm-symbolizer-14 llvm-profdata-14 gcc cmake ninja pkg-config ar \
           zip unzip afl-clang-fast file objdump openssl python3; do
    command -v "$c" >/dev/null 2>&1 || echo "command $c"
  done
  python3 -c 'import yaml' 2>/dev/null || echo "python3 module yaml (python3-yaml)"
  [ -f /usr/include/cmocka.h ] || echo "file /usr/include/cmocka.h"
  [ -f /usr/include/openssl/ssl.h ] || echo "file /usr/include/openssl/ssl.h (libssl-dev)"
  if command -v pkg-config >/dev/null 2>&1 && ! pkg-config --exists cmocka; then
    echo "pkg-config module cmocka"
  fi
  if ! compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.asan-*.a' >/dev/null; then
    echo "clang-14 ASan runtime (libclang-rt-14-dev)"
  fi
  if ! compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' >/dev/null; then
    echo "clang-14 libFuzzer runtime (libclang-rt-14-dev)"
  fi
  if [ "$fuzz_deps" = 1 ]; then
    for c in afl-fuzz afl-clang-fast afl-tmin afl-cmin afl-plot gnuplot zip genhtml llvm-cov-14; do
      command -v "$c" >/dev/null 2>&1 || echo "command $c"
    done
  fi
}

ensure_deps() {
  local missing
  missing="$(missing_deps)"
  if [ -z "$missing" ]; then
    echo "all packages present; skipping apt-get"
    return 0
  fi
  echo "missing:"
  indent <<<"$missing"
  if [ "$install" = 0 ]; then
    echo "ci/test.sh: --no-install given; install: ${PACKAGES[*]}" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "ci/test.sh: not root and no sudo: cannot install ${PACKAGES[*]}" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  # (this runs inside `if`, where set -e is off: check every result)
  "${sudo[@]}" apt-get update || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${PACKAGES[@]}" || return 1
  missing="$(missing_deps)"
  if [ -n "$missing" ]; then
    echo "ci/test.sh: still missing after apt-get install:" >&2
    indent <<<"$missing" >&2
    return 1
  fi
}

# ---- steps -------------------------------------------------------------
STEPS=()
FAILED=0

# step NAME CMD...: runs CMD, records its result and time.
step() {
  local name="$1" start=$SECONDS rc=0
  shift
  log "$name"
  "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then
    STEPS+=("$(printf '%-28s ok      %4ds' "$name" $((SECONDS - start)))")
  else
    STEPS+=("$(printf '%-28s FAILED  %4ds  (exit %d)' "$name" $((SECONDS - start)) "$rc")")
    FAILED=1
  fi
  return "$rc"
}

skip() {
  STEPS+=("$(printf '%-28s skipped       (%s)' "$1" "$2")")
}

summary() {
  log "summary"
  printf '  %s\n' "${STEPS[@]}"
  if [ "$FAILED" = 0 ]; then
    echo "ci/test.sh: all steps passed"
  else
    echo "ci/test.sh: FAILED"
  fi
}

# `smtpp serve --stdio` answers a short dialog and ends with 221.
# shellcheck disable=SC2317  # called through step()
tool_smoke() {
  local bin="$1" out rc=0
  out="$(printf 'EHLO a.example\r\nNOOP\r\nQUIT\r\n' | "$bin" serve --stdio)" || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -ne 0 ]; then
    echo "smtpp serve exited with $rc" >&2
    return 1
  fi
  case "$out" in
    220*221*) return 0 ;;
    *) echo "smtpp serve: expected 220 ... 221" >&2; return 1 ;;
  esac
}

if [ "$deps_only" = 1 ]; then
  ensure_deps
  exit $?
fi

cd "$ROOT"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if ! step "packages" ensure_deps; then
  summary; exit 1
fi

# 1. clang-14, ASan+UBSan, Debug: build and run every test.
if step "configure (clang-14, asan)" cmake -S . -B build-ci -G Ninja \
     -DCMAKE_C_COMPILER=clang-14 -DSMTPP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; then
  if step "build (clang-14, asan)" cmake --build build-ci; then
    step "ctest (clang-14, asan)" \
      ctest --test-dir build-ci --output-on-failure --no-tests=error -j2 || true
    if [ -x build-ci/tools/smtpp ]; then
      step "smtpp serve smoke" tool_smoke build-ci/tools/smtpp || true
    else
      skip "smtpp serve smoke" "no build-ci/tools/smtpp"
    fi
  else
    skip "ctest (clang-14, asan)" "build failed"
    skip "smtpp serve smoke" "build failed"
  fi
else
  skip "build (clang-14, asan)" "configure failed"
  skip "ctest (clang-14, asan)" "configure failed"
  skip "smtpp serve smoke" "configure failed"
fi

# 2. gcc, no sanitizers, -Werror: compile only (a second set of warnings).
if step "configure (gcc)" cmake -S . -B build-gcc -G Ninja \
     -DCMAKE_C_COMPILER=gcc -DSMTPP_TESTS=OFF; then
  step "build (gcc, -Werror)" cmake --build build-gcc || true
else
  skip "build (gcc, -Werror)" "configure failed"
fi

summary
exit "$FAILED"
