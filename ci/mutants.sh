#!/usr/bin/env bash
# ci/mutants.sh - the oracle's mutation score: plants each bug of
# ci/mutants.txt in a copy of parser/, builds fuzz_session (libFuzzer,
# clang-14) and fuzzes it ALONE (no dialogs, no unit tests) with the seeds
# and regression inputs of corpus/*/session; a mutant is killed when the
# fuzzer reports anything (an oracle violation, a crash, a timeout).
# Prints each verdict, the kill ratio over the non-equivalent mutants, and
# every survivor with its diff.  docs/FUZZING.md section 8.
#
#   ci/mutants.sh                    60 s per mutant, 2 workers
#   ci/mutants.sh --time 20          shorter
#   ci/mutants.sh --only enh-syntax-552,seq-auth-twice
#   ci/mutants.sh --category event --time 30
#   ci/mutants.sh --list             the mutants, nothing run
#   ci/mutants.sh --from-empty --time 60 --workers 1
#                                    no seeds: how fast fuzzing alone finds
#                                    each bug (with the seeds almost every
#                                    mutant dies in seed replay, which says
#                                    nothing about the fuzzer's speed)
#
# Options: --time SEC (per mutant, default 60), --workers N (default 2),
# --only ID,.. , --category C, --out DIR (default out/mutants/<date>),
# --sanitize (ASan+UBSan build: slower, also catches memory bugs),
# --from-empty (start from an empty corpus, not the seeds),
# --no-install (never call apt-get), --list.
# Exit: 0 goal met (>= 95% of non-equivalent mutants killed, and every
# reply-code, enhanced-code, sequencing and decision mutant killed),
# 3 goal missed, 2 bad options, 1 a step failed.
# CPU: one build per mutant (a few seconds: only the changed file is
# rebuilt) plus SEC seconds of N fuzzing processes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIME=60 WORKERS=2 ONLY="" CATEGORY="" OUT="" SANITIZE=OFF LIST=0 INSTALL=1 FROM_EMPTY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --time) TIME=${2:?}; shift 2 ;;
    --workers) WORKERS=${2:?}; shift 2 ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --category) CATEGORY=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --sanitize) SANITIZE=ON; shift ;;
    --from-empty) FROM_EMPTY=1; shift ;;
    --no-install) INSTALL=0; shift ;;
    --list) LIST=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "mutants.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$TIME$WORKERS" in *[!0-9]*) echo "mutants.sh: --time and --workers take numbers" >&2; exit 2 ;; esac
[ "$TIME" -gt 0 ] && [ "$WORKERS" -gt 0 ] || { echo "mutants.sh: --time and --workers must be > 0" >&2; exit 2; }

LIST_FILE="$ROOT/ci/mutants.txt"
# The mutants as "id<TAB>category<TAB>file<TAB>equivalent-reason" lines.
mutants() {
  python3 - "$LIST_FILE" "$ONLY" "$CATEGORY" <<'PY'
import sys
path, only, cat = sys.argv[1], sys.argv[2], sys.argv[3]
only = set(x for x in only.split(",") if x)
cur = None
out = []
for line in open(path):
    if line.startswith("@ "):
        mid, c, f = [x.strip() for x in line[2:].split("|")]
        cur = [mid, c, f, ""]
        out.append(cur)
    elif line.startswith("= ") and cur:
        why = line[2:].strip()
        cur[3] = why[len("equivalent:"):].strip() if why.startswith("equivalent:") else why
for m in out:
    if (not only or m[0] in only) and (not cat or m[1] == cat):
        print("\t".join(m))
PY
}

if [ "$LIST" = 1 ]; then
  mutants | awk -F'\t' '{printf "%-34s %-14s %s%s\n", $1, $2, $3, ($4 ? "  (equivalent: " $4 ")" : "")}'
  exit 0
fi
[ -n "$(mutants)" ] || { echo "mutants.sh: no mutant selected" >&2; exit 2; }

if [ "$INSTALL" = 1 ] && ! command -v clang-14 >/dev/null; then
  "$ROOT/ci/test.sh" --deps-only || { echo "mutants.sh: packages missing" >&2; exit 1; }
fi

OUT=${OUT:-$ROOT/out/mutants/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SRC=$OUT/src BLD=$OUT/build
echo "mutants: copying the tree to $SRC"
mkdir -p "$SRC"
( cd "$ROOT" && tar --exclude='./build*' --exclude=./out --exclude=./.git -cf - . ) | ( cd "$SRC" && tar -xf - )
LIST_FILE="$SRC/ci/mutants.txt" # the copy: edits to the tree during the run change nothing

echo "mutants: configuring $BLD (libFuzzer, sanitizers $SANITIZE)"
cmake -S "$SRC" -B "$BLD" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DSMTPP_FUZZ=ON \
  -DSMTPP_SANITIZE="$SANITIZE" -DSMTPP_TESTS=OFF -DSMTPP_WERROR=OFF >"$OUT/cmake.log" 2>&1 ||
  { echo "mutants.sh: cmake failed, see $OUT/cmake.log" >&2; exit 1; }
ninja -C "$BLD" fuzz_session >"$OUT/build-pristine.log" 2>&1 ||
  { echo "mutants.sh: the unmutated tree does not build, see $OUT/build-pristine.log" >&2; exit 1; }
FZ=$BLD/fuzz/fuzz_session
SEEDS=("$SRC/corpus/seeds/session" "$SRC/corpus/regress/session")
# the target's own dictionary and max_len (fuzz/fuzz_session.options)
DICT=$SRC/fuzz/fuzz_session.dict
[ -f "$DICT" ] || DICT=$SRC/dict/smtp.dict
MAXLEN=$(sed -n 's/^max_len *= *//p' "$SRC/fuzz/fuzz_session.options" 2>/dev/null | head -1)
MAXLEN=${MAXLEN:-4096}
# The unmutated parser must pass its own corpus, or every verdict is noise.
"$FZ" -runs=0 "${SEEDS[@]}" >"$OUT/pristine.log" 2>&1 ||
  { echo "mutants.sh: the unmutated parser fails its corpus, see $OUT/pristine.log" >&2; exit 1; }
[ "$FROM_EMPTY" = 0 ] || SEEDS=() # checked above, not given to the workers

# apply FILE ID: plants mutant ID in FILE (under $SRC); 0 done, 1 stale.
apply() {
  python3 - "$LIST_FILE" "$2" "$SRC/$1" <<'PY'
import sys
path, want, target = sys.argv[1:4]
blocks, cur = {}, None
for line in open(path):
    if line.startswith("@ "):
        cur = line[2:].split("|")[0].strip()
        blocks[cur] = {"-": [], "+": []}
    elif cur and line[:2] in ("- ", "+ "):
        blocks[cur][line[0]].append(line[2:].rstrip("\n"))
    elif cur and line.startswith("  ") and blocks[cur]["+" if blocks[cur]["+"] else "-"]:
        k = "+" if blocks[cur]["+"] else "-"
        blocks[cur][k].append(line.rstrip("\n"))
b = blocks[want]
old, new = "\n".join(b["-"]), "\n".join(b["+"])
text = open(target).read()
if text.count(old) != 1:
    sys.exit(1)
open(target, "w").write(text.replace(old, new))
PY
}

declare -A VERDICT TAKEN CAT FILE EQUIV
ids=()
while IFS=$'\t' read -r id cat file equiv; do
  ids+=("$id"); CAT[$id]=$cat; FILE[$id]=$file; EQUIV[$id]=$equiv
done < <(mutants)

printf '%-34s %-14s %s\n' mutant category verdict
for id in "${ids[@]}"; do
  f=${FILE[$id]}
  md=$OUT/$id
  mkdir -p "$md"
  cp "$SRC/$f" "$md/orig"
  if ! apply "$f" "$id"; then
    VERDICT[$id]=STALE
    printf '%-34s %-14s %s\n' "$id" "${CAT[$id]}" "STALE (the text to mutate is not in $f exactly once)"
    continue
  fi
  diff -u "$md/orig" "$SRC/$f" | sed "s#$md/orig#a/$f#; s#$SRC/$f#b/$f#" >"$md/diff" || true
  if ! ninja -C "$BLD" fuzz_session >"$md/build.log" 2>&1; then
    cp "$md/orig" "$SRC/$f"
    VERDICT[$id]=STILLBORN
    printf '%-34s %-14s %s\n' "$id" "${CAT[$id]}" "STILLBORN (does not build, see $md/build.log)"
    continue
  fi
  pids=()
  start=$(date +%s%N)
  for w in $(seq 1 "$WORKERS"); do
    mkdir -p "$md/corpus$w"
    ( cd "$md" && exec "$FZ" -max_total_time="$TIME" -timeout=10 -max_len="$MAXLEN" \
        -dict="$DICT" -seed="$w" -artifact_prefix="$md/w$w-" \
        -print_final_stats=1 "$md/corpus$w" ${SEEDS[@]+"${SEEDS[@]}"} >"$md/fuzz$w.log" 2>&1 ) &
    pids+=($!)
  done
  killed=""
  while :; do
    if ls "$md"/w*-crash-* "$md"/w*-timeout-* "$md"/w*-leak-* "$md"/w*-oom-* >/dev/null 2>&1; then
      killed=1
      break
    fi
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  took=$((took_ms / 1000)).$(( took_ms % 1000 / 100 ))
  # the executions the killing worker made (its final stats; libFuzzer
  # prints them on a crash too): kill "time" in work, not in seconds
  kw=$(ls "$md"/w*-crash-* "$md"/w*-timeout-* "$md"/w*-leak-* "$md"/w*-oom-* 2>/dev/null |
    head -1 | sed -n 's|.*/w\([0-9]*\)-[a-z]*-.*|\1|p' || true)
  execs=""
  [ -z "$kw" ] || execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$md/fuzz$kw.log" | head -1)
  # a worker that stopped with an error report but no artifact also kills
  if [ -z "$killed" ] && grep -qE 'ERROR: libFuzzer|VIOLATION|Sanitizer' "$md"/fuzz*.log; then
    killed=1
  fi
  cp "$md/orig" "$SRC/$f"
  if [ -z "$killed" ] && ! grep -q 'INITED' "$md"/fuzz*.log; then
    VERDICT[$id]=STILLBORN # the fuzzer never started: no verdict
    printf '%-34s %-14s %s\n' "$id" "${CAT[$id]}" "NO RUN (the fuzzer did not start, see $md/fuzz1.log)"
    continue
  fi
  if [ -n "$killed" ]; then
    how="fuzzing"
    grep -h -m1 -E 'VIOLATION [A-Z0-9_]+' "$md"/fuzz*.log | sed 's/.*VIOLATION \([A-Z0-9_]*\).*/\1/' >"$md/prop" || true
    if grep -qE '^#[0-9]+\s+INITED' "$md"/fuzz*.log; then :; else how="seed replay"; fi
    VERDICT[$id]=KILLED; TAKEN[$id]=$took
    printf '%-34s %-14s KILLED in %ss%s (%s, %s)\n' "$id" "${CAT[$id]}" "$took" "${execs:+, $execs execs}" "$how" "$(head -1 "$md/prop" 2>/dev/null || echo crash)"
  elif [ -n "${EQUIV[$id]}" ]; then
    VERDICT[$id]=EQUIVALENT
    printf '%-34s %-14s survived, EQUIVALENT: %s\n' "$id" "${CAT[$id]}" "${EQUIV[$id]}"
  else
    VERDICT[$id]=SURVIVED
    printf '%-34s %-14s SURVIVED %ss\n' "$id" "${CAT[$id]}" "$took"
  fi
done
# the tree is left unmutated; rebuild so $FZ matches it
ninja -C "$BLD" fuzz_session >/dev/null 2>&1 || true

total=0 killed=0 equiv=0 survived=0 stale=0 stillborn=0 must_miss=0
for id in "${ids[@]}"; do
  case "${VERDICT[$id]}" in
    KILLED) killed=$((killed + 1)); total=$((total + 1)) ;;
    SURVIVED) survived=$((survived + 1)); total=$((total + 1))
      case "${CAT[$id]}" in reply-code|enhanced-code|sequencing|decision) must_miss=$((must_miss + 1)) ;; esac ;;
    EQUIVALENT) equiv=$((equiv + 1)) ;;
    STALE) stale=$((stale + 1)) ;;
    STILLBORN) stillborn=$((stillborn + 1)) ;;
  esac
done
echo
echo "== summary ($TIME s per mutant, $WORKERS workers, fuzz_session alone, sanitizers $SANITIZE$([ "$FROM_EMPTY" = 0 ] || echo ', from an empty corpus'))"
pct=0
[ "$total" -gt 0 ] && pct=$(( 1000 * killed / total ))
printf 'killed %d of %d non-equivalent mutants: %d.%d%%  (equivalent %d, stale %d, stillborn %d)\n' \
  "$killed" "$total" $((pct / 10)) $((pct % 10)) "$equiv" "$stale" "$stillborn"
for id in "${ids[@]}"; do
  case "${VERDICT[$id]}" in
    SURVIVED|EQUIVALENT)
      echo
      echo "-- ${VERDICT[$id]}: $id (${CAT[$id]})${EQUIV[$id]:+: ${EQUIV[$id]}}"
      cat "$OUT/$id/diff" ;;
  esac
done
echo
echo "mutants: details in $OUT/<mutant>/ (diff, build.log, fuzz*.log, artifacts)"
if [ "$total" -gt 0 ] && [ "$pct" -ge 950 ] && [ "$must_miss" = 0 ]; then
  echo "mutants: goal met"
  exit 0
fi
echo "mutants: goal missed (>= 95% and every reply-code, enhanced-code, sequencing and decision mutant)"
exit 3
