#!/usr/bin/env bash
# ci/corpus.sh - corpus upkeep.
#
#   ci/corpus.sh merge [--target NAME] [--from DIR]... [--into DIR] [--no-install]
#       Adds to corpus/seeds/<layer> (or --into) every input of a campaign
#       that brings new coverage; nothing already there is removed, so no
#       coverage is lost.  --from: a libFuzzer corpus dir, an AFL++ output
#       dir (its */queue are read) or a ci/fuzz.sh campaign dir; default:
#       the latest out/fuzz/*-<layer>-* campaign.  AFL++ queues are first
#       reduced with afl-cmin, then everything goes through libFuzzer
#       -merge=1 into the seeds.  New files are named by their SHA-1.
#   ci/corpus.sh zip [--target NAME|all]
#       Writes out/corpus-zips/fuzz_<layer>_seed_corpus.zip (seeds + regress)
#       for every target (default all), the OSS-Fuzz seed-corpus layout.
#   -h, --help  this help
#
# --target: session (default for merge), line, command, address, params, data.
# Exit status: 0 done, 1 a step failed, 2 bad usage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ci/fuzz-lib.sh
. "$ROOT/ci/fuzz-lib.sh"

usage() { sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "ci/corpus.sh: $*" >&2; echo "Try 'ci/corpus.sh --help'." >&2; exit 2; }
die() { echo "ci/corpus.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] || die_usage "expects a command: merge or zip"
cmd="$1"; shift
case "$cmd" in -h|--help) usage; exit 0 ;; merge|zip) ;; *) die_usage "unknown command '$cmd' (merge, zip)" ;; esac

target="" froms=() into="" install_flag=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --target|--from|--into)
      [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"
      case "$1" in --target) target="$2" ;; --from) froms+=("$2") ;; --into) into="$2" ;; esac
      shift ;;
    --no-install) install_flag=(--no-install) ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  shift
done

if [ "$cmd" = zip ]; then
  [ ${#froms[@]} = 0 ] && [ -z "$into" ] || die_usage "zip takes only --target"
  command -v zip >/dev/null || die "zip is missing (ci/test.sh --deps-only --fuzz-deps)"
  layers="$FUZZ_LAYERS_ALL"
  if [ -n "$target" ] && [ "$target" != all ]; then
    layers="$(layer_of "$target")" || die_usage "--target: all or one of: $FUZZ_LAYERS_ALL"
  fi
  z="$ROOT/out/corpus-zips"; mkdir -p "$z"
  for l in $layers; do
    stage="$(mktemp -d)"
    for f in "$ROOT/corpus/seeds/$l"/*; do [ -f "$f" ] && cp "$f" "$stage/"; done
    for f in "$ROOT/corpus/regress/$l"/*; do [ -f "$f" ] && cp "$f" "$stage/regress-$(basename "$f")"; done
    rm -f "$z/fuzz_${l}_seed_corpus.zip"
    if [ -n "$(ls -A "$stage")" ]; then
      (cd "$stage" && zip -q -X "$z/fuzz_${l}_seed_corpus.zip" ./*) || die "zip failed"
      printf '%-48s %4s inputs\n' "$z/fuzz_${l}_seed_corpus.zip" "$(ls "$stage" | wc -l)"
    else
      echo "warning: no inputs for $l" >&2
    fi
    rm -rf "$stage"
  done
  exit 0
fi

# ---- merge ------------------------------------------------------------------
[ -n "$target" ] || target=session
layer="$(layer_of "$target")" || die_usage "--target: one of: $FUZZ_LAYERS_ALL"
T="fuzz_$layer"
into="${into:-$ROOT/corpus/seeds/$layer}"
mkdir -p "$into"
if [ ${#froms[@]} = 0 ]; then
  latest="$(ls -d "$ROOT"/out/fuzz/*-"$layer"-* 2>/dev/null | sort | tail -n 1)"
  [ -n "$latest" ] || die_usage "no --from and no campaign out/fuzz/*-$layer-*"
  froms=("$latest")
fi

bash "$ROOT/ci/test.sh" --deps-only --fuzz-deps "${install_flag[@]}" >&2 || die "packages missing"
flog "build (build-fuzz: $T)"
build_fuzz "$T" || die "build failed"

lf_dirs=() afl_queues=()
for f in "${froms[@]}"; do
  [ -d "$f" ] || die_usage "--from: '$f' is not a directory"
  f="$(cd "$f" && pwd)"
  if [ -d "$f/corpus" ]; then lf_dirs+=("$f/corpus"); fi      # ci/fuzz.sh libFuzzer campaign
  for q in "$f"/queue "$f"/*/queue "$f"/afl/*/queue; do         # AFL++ output dirs
    [ -d "$q" ] && afl_queues+=("$q")
  done
  if [ ! -d "$f/corpus" ] && [ ${#afl_queues[@]} = 0 ]; then lf_dirs+=("$f"); fi
done

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if [ ${#afl_queues[@]} -gt 0 ]; then
  flog "afl-cmin over ${#afl_queues[@]} AFL++ queue(s)"
  mkdir -p "$tmp/queues" "$tmp/cmin"
  n=0
  for q in "${afl_queues[@]}"; do
    for f in "$q"/id:*; do [ -f "$f" ] && { n=$((n + 1)); cp "$f" "$tmp/queues/q$n"; }; done
  done
  afl_bin="$(build_afl plain "$T")" || die "AFL++ build failed"
  # the awk afl-cmin: driver binaries without '-' or @@; AFL_ALLOW_TMP for /tmp
  if AFL_ALLOW_TMP=1 AFL_QUIET=1 afl-cmin -i "$tmp/queues" -o "$tmp/cmin" -m none -t 5000 -- "$afl_bin" \
       >"$tmp/cmin.log" 2>&1; then
    echo "   afl-cmin: $n -> $(find "$tmp/cmin" -maxdepth 1 -type f | wc -l) inputs"
    lf_dirs+=("$tmp/cmin")
  else
    tail -n 15 "$tmp/cmin.log" >&2
    die "afl-cmin failed"
  fi
fi
[ ${#lf_dirs[@]} -gt 0 ] || die "nothing to merge"
before="$(find "$into" -maxdepth 1 -type f | wc -l)"
flog "libFuzzer -merge=1 into $into from: ${lf_dirs[*]}"
(cd "$tmp" && "$(fuzz_bin "$T")" -merge=1 -max_len=1048576 "$into" "${lf_dirs[@]}" >"$tmp/merge.log" 2>&1) ||
  { tail -n 20 "$tmp/merge.log" >&2; die "merge failed"; }
grep -a 'MERGE-OUTER' "$tmp/merge.log" | tail -n 2 | sed 's/^/   /'
after="$(find "$into" -maxdepth 1 -type f | wc -l)"
echo "ci/corpus.sh: $into: $before -> $after inputs (+$((after - before)), none removed)"
