#!/usr/bin/env bash
# ci/coverage.sh - source-based coverage of parser/ (clang
# -fprofile-instr-generate -fcoverage-mapping, CMake SMTPP_COVERAGE=ON).
#
#   ci/coverage.sh [--ctest] [--corpus DIR]... [--no-install]
#
#   (default)     replay corpus/seeds/<layer> and corpus/regress/<layer>
#                 through every replay_fuzz_<layer>
#   --ctest       also run the ctest suite (unit, dialog, split tests)
#   --corpus DIR  also replay DIR through replay_fuzz_session (e.g. a
#                 campaign's corpus); may be given more than once
#   --no-install  do not touch apt
#   -h, --help    this help
#
# Prints `llvm-cov-14 report` for parser/src (with its TOTAL line), writes
# the HTML report to out/coverage/html/index.html, out/coverage/lcov.info,
# and lists every uncovered line and branch of parser/ in
# out/coverage/uncovered.txt (also printed).  Build tree: build-coverage.
# Exit status: 0 done (whatever the figures), 1 a step failed, 2 bad usage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ci/fuzz-lib.sh
. "$ROOT/ci/fuzz-lib.sh"
usage() { sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "ci/coverage.sh: $*" >&2; echo "Try 'ci/coverage.sh --help'." >&2; exit 2; }
die() { echo "ci/coverage.sh: $*" >&2; exit 1; }

with_ctest=0 extra=() install_flag=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --ctest) with_ctest=1 ;;
    --corpus) [ $# -ge 2 ] && [ -d "$2" ] || die_usage "--corpus needs a directory"
              extra+=("$(cd "$2" && pwd)"); shift ;;
    --no-install) install_flag=(--no-install) ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  shift
done

bash "$ROOT/ci/test.sh" --deps-only --fuzz-deps "${install_flag[@]}" >&2 || die "packages missing"
B="$(build_prefix)-coverage"
OUT="$ROOT/out/coverage"
rm -rf "$OUT" "$B/prof"; mkdir -p "$OUT" "$B/prof"
flog "build ($B: clang-14, SMTPP_COVERAGE=ON)"
# (SMTPP_TESTS=ON: the replay drivers live in fuzz/, added with the tests)
cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug \
  -DSMTPP_COVERAGE=ON -DSMTPP_TESTS=ON >"$OUT/configure.log" 2>&1 ||
  { cat "$OUT/configure.log"; die "configure failed"; }
targets=()
if [ "$with_ctest" = 0 ]; then for l in $FUZZ_LAYERS_ALL; do targets+=(--target "replay_fuzz_$l"); done; fi
cmake --build "$B" "${targets[@]}" >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; die "build failed"; }

export LLVM_PROFILE_FILE="$B/prof/%p-%m.profraw"
# The non-sanitized build still aborts on an oracle violation, and an
# aborted process writes no profile: replay one file at a time then.
objects=()
for l in $FUZZ_LAYERS_ALL; do
  bin="$B/fuzz/replay_fuzz_$l"
  [ -x "$bin" ] || die "missing $bin"
  objects+=("$bin")
  dirs=()
  for d in "$ROOT/corpus/seeds/$l" "$ROOT/corpus/regress/$l"; do [ -d "$d" ] && dirs+=("$d"); done
  [ "$l" = session ] && dirs+=("${extra[@]}")
  [ ${#dirs[@]} -gt 0 ] || continue
  if ! ("$bin" "${dirs[@]}" >/dev/null 2>&1; exit $?) 2>/dev/null; then
    rm -f "$B"/prof/*.profraw.tmp
    nfail=0
    while IFS= read -r f; do
      ("$bin" "$f" >/dev/null 2>&1; exit $?) 2>/dev/null || { nfail=$((nfail + 1)); echo "   failing input (not counted): $f"; }
    done < <(find "${dirs[@]}" -type f | sort)
    echo "   $l: $nfail failing input(s) replayed one by one"
  fi
done
if [ "$with_ctest" = 1 ]; then
  flog "ctest"
  ctest --test-dir "$B" --output-on-failure -j2 >"$OUT/ctest.log" 2>&1 ||
    echo "   ctest had failures: $OUT/ctest.log (coverage still counted)"
  tail -n 3 "$OUT/ctest.log" | sed 's/^/   /'
  while IFS= read -r f; do
    case " ${objects[*]} " in *" $f "*) ;; *) objects+=("$f") ;; esac
  done < <(find "$B/tests" "$B/tools" "$B/oracle" -maxdepth 2 -type f -perm -u+x ! -name '*.so' 2>/dev/null |
           while read -r x; do file "$x" | grep -q ELF && echo "$x"; done)
fi

ls "$B"/prof/*.profraw >/dev/null 2>&1 || die "no profiles written"
llvm-profdata-14 merge -sparse "$B"/prof/*.profraw -o "$OUT/smtpp.profdata" || die "llvm-profdata merge failed"
objargs=("${objects[0]}")
for o in "${objects[@]:1}"; do objargs+=(-object "$o"); done
srcs=("$ROOT"/parser/src/*.c)

flog "llvm-cov-14 report (parser/src)"
llvm-cov-14 report "${objargs[@]}" -instr-profile="$OUT/smtpp.profdata" "${srcs[@]}" | tee "$OUT/report.txt"
llvm-cov-14 show "${objargs[@]}" -instr-profile="$OUT/smtpp.profdata" -format=html \
  -show-branches=count -show-line-counts-or-regions -output-dir="$OUT/html" "${srcs[@]}" ||
  die "llvm-cov show failed"
llvm-cov-14 export "${objargs[@]}" -instr-profile="$OUT/smtpp.profdata" -format=lcov \
  "${srcs[@]}" >"$OUT/lcov.info" || die "llvm-cov export failed"

# uncovered lines (DA:n,0) and branches (BRDA:n,blk,br,0 or -) of parser/
awk -v root="$ROOT/" '
  /^SF:/ { f = substr($0, 4); sub(root, "", f) }
  /^DA:/ { split(substr($0, 4), a, ","); if (a[2] == "0") { nl[f] = nl[f] " " a[1]; ul++ } }
  /^BRDA:/ { split(substr($0, 6), b, ","); if (b[4] == "0" || b[4] == "-") { k = f ":" b[1]; nb[k]++; ub++ ; if (!(k in seen)) { seen[k] = 1; order[++n] = k } } }
  END {
    printf "uncovered lines: %d\n", ul
    for (x in nl) printf "  %s:%s\n", x, nl[x]
    printf "uncovered branches: %d (file:line, count of branch outcomes never taken there)\n", ub
    for (i = 1; i <= n; i++) printf "  %s (%d)\n", order[i], nb[order[i]]
  }' "$OUT/lcov.info" >"$OUT/uncovered.txt"
echo
cat "$OUT/uncovered.txt"
echo
echo "  report     $OUT/report.txt"
echo "  html       $OUT/html/index.html"
echo "  lcov       $OUT/lcov.info (genhtml -o DIR $OUT/lcov.info)"
echo "  uncovered  $OUT/uncovered.txt"
