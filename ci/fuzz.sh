#!/usr/bin/env bash
# ci/fuzz.sh - one command for a fuzz campaign: install, build, fuzz, watch,
# then a summary with deduplicated, minimized findings and a plot.
#
#   ci/fuzz.sh [OPTIONS]
#
#   --engine E      libfuzzer (default) or afl (AFL++)
#   --target NAME   session (default; the whole session under the property
#                   oracle), line, command, address, params or data
#   --time SEC      campaign length in seconds (default 600 = 10 minutes)
#   --jobs N        parallel fuzzers (default: all cores, nproc)
#   --corpus DIR    starting inputs (default corpus/seeds/<layer> plus
#                   corpus/regress/<layer>)
#   --resume        go on with the latest campaign of this engine and target
#                   (or the one given with --out): its corpus, queue, findings
#   --out DIR       campaign directory (default out/fuzz/<engine>-<layer>-<date>)
#   --interval SEC  seconds between progress lines (default 10)
#   --all-sanitized every worker runs the ASan+UBSan build (default: one
#                   does, the others run a plain build: the field's shape)
#   --no-install    do not touch apt; fail if a package is missing
#   -h, --help      this help
#
# One sanitized worker, the others plain, on one corpus: sanitizers cost
# about half the speed and only some bugs need them (AFL++'s advice: one
# sanitizer instance, the others plain; libFuzzer reloads the shared corpus
# dir, -reload).  libFuzzer: fuzz_<target> (ASan+UBSan, build-fuzz) with
# -jobs=20 -workers=1, logs in <out>/logs/asan/, and the plain build
# (build-fuzz-plain) with -workers=N-1 in <out>/logs/plain/.  AFL++: -M main
# (plain build, CMPLOG via -c), -S asan (ASan+UBSan build), then -S secN
# plain builds up to N; AFL_NO_UI=1, AFL_TRY_AFFINITY=1, dictionary
# fuzz/<target>.dict, or dict/smtp.dict for the layers without their own.
# Findings are replayed with build-fuzz/fuzz/replay_fuzz_<target>,
# deduplicated by oracle property id or the top 3 stack frames, minimized
# (libFuzzer -minimize_crash=1 / afl-tmin) into <out>/findings/.
# Ctrl-C stops the fuzzers and still gives the summary.
#
# Exit status: 0 nothing found, 3 findings, 2 bad options, 1 a step failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ci/fuzz-lib.sh
. "$ROOT/ci/fuzz-lib.sh"

usage() { sed -n '2,37s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "ci/fuzz.sh: $*" >&2; echo "Try 'ci/fuzz.sh --help'." >&2; exit 2; }
die() { echo "ci/fuzz.sh: $*" >&2; exit 1; }

engine=libfuzzer target=session time_s=600 jobs="" corpus="" resume=0 out=""
interval=10 install_flag=() all_san=0
need_val() { [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"; }
while [ $# -gt 0 ]; do
  opt="$1"; val=""
  case "$opt" in
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; set -- "$opt" "$val" "${@:2}" ;;
  esac
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --engine) need_val "$@"; engine="$2"; shift ;;
    --target) need_val "$@"; target="$2"; shift ;;
    --time) need_val "$@"; time_s="$2"; shift ;;
    --jobs) need_val "$@"; jobs="$2"; shift ;;
    --corpus) need_val "$@"; corpus="$2"; shift ;;
    --out) need_val "$@"; out="$2"; shift ;;
    --interval) need_val "$@"; interval="$2"; shift ;;
    --resume) resume=1 ;;
    --no-install) install_flag=(--no-install) ;;
    --all-sanitized) all_san=1 ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  shift
done
case "$engine" in libfuzzer|afl) ;; *) die_usage "--engine: 'libfuzzer' or 'afl', got '$engine'" ;; esac
layer="$(layer_of "$target")" || die_usage "--target: one of: $FUZZ_LAYERS_ALL (got '$target')"
T="fuzz_$layer"
num() { [[ "$2" =~ ^[0-9]{1,9}$ ]] && [ "$((10#$2))" -ge "$3" ] || die_usage "$1: a whole number >= $3, got '$2'"; }
num --time "$time_s" 1; time_s=$((10#$time_s))
num --interval "$interval" 1; interval=$((10#$interval))
[ -n "$jobs" ] || jobs="$(nproc)"
num --jobs "$jobs" 1; jobs=$((10#$jobs))
if [ -n "$corpus" ]; then
  [ -d "$corpus" ] || die_usage "--corpus: '$corpus' is not a directory"
  corpus="$(cd "$corpus" && pwd)"
fi

# ---- campaign directory ---------------------------------------------------
if [ -z "$out" ]; then
  if [ "$resume" = 1 ]; then
    out="$(ls -d "$ROOT/out/fuzz/$engine-$layer-"* 2>/dev/null | sort | tail -n 1)"
    [ -n "$out" ] || die_usage "--resume: no earlier campaign out/fuzz/$engine-$layer-*"
  else
    out="$ROOT/out/fuzz/$engine-$layer-$(date +%Y%m%d-%H%M%S)"
  fi
elif [ "$resume" = 0 ] && [ -d "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  die_usage "--out: '$out' holds a campaign already; add --resume or pick another"
fi
mkdir -p "$out" || die "cannot create $out"
out="$(cd "$out" && pwd)"
mkdir -p "$out/logs" "$out/findings"

# ---- packages and builds --------------------------------------------------
flog "packages"
bash "$ROOT/ci/test.sh" --deps-only --fuzz-deps "${install_flag[@]}" >&2 ||
  die "packages missing (see above)"

flog "build ($engine, $T)"
build_fuzz "replay_$T" smtpp $([ "$engine" = libfuzzer ] && echo "$T") ||
  die "build of build-fuzz failed"
if [ "$engine" = libfuzzer ] && [ "$jobs" -gt 1 ] && [ "$all_san" = 0 ]; then
  build_fuzz_plain "$T" || die "build of build-fuzz-plain failed"
fi
if [ "$engine" = afl ]; then
  afl_plain="$(build_afl plain "$T")" || die "AFL++ build failed"
  afl_asan="$(build_afl asan "$T")" || die "AFL++ ASan build failed"
  afl_cmplog="$(build_afl cmplog "$T")" || die "AFL++ CMPLOG build failed"
fi
dict="$ROOT/fuzz/$T.dict"; [ -f "$dict" ] || dict="$ROOT/dict/smtp.dict"
max_len="$(sed -n 's/^max_len *= *//p' "$ROOT/fuzz/$T.options" 2>/dev/null | head -n1)"
max_len="${max_len:-4096}"

seed_dirs=()
if [ -n "$corpus" ]; then seed_dirs=("$corpus")
else
  for d in "$ROOT/corpus/seeds/$layer" "$ROOT/corpus/regress/$layer"; do
    [ -d "$d" ] && seed_dirs+=("$d")
  done
fi

# ---- the starting inputs: every one must pass before fuzzing -------------
# A starting input that already fails (a regression not yet fixed) would kill
# every libFuzzer job at start-up and abort afl-fuzz: it is set aside, its
# key is reported as known, and the campaign runs on the others.
seeds="$out/seeds"
declare -A known=()
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds" "$out/known"
  for d in "${seed_dirs[@]}"; do
    pfx=""; [[ "$d" == */regress/* ]] && pfx="regress-"
    for f in "$d"/*; do [ -f "$f" ] && cp "$f" "$seeds/$pfx$(basename "$f")"; done
  done
  if ! (timeout -k 5 300 "$(replay_bin "$T")" "$seeds" >/dev/null 2>&1; exit $?) 2>/dev/null; then
    for f in "$seeds"/*; do
      if ! (replay_report "$T" "$f" "$out/known/$(basename "$f").report") 2>/dev/null; then
        mv "$f" "$out/known/"
      else
        rm -f "$out/known/$(basename "$f").report"
      fi
    done
  fi
fi
for r in "$out"/known/*.report; do
  [ -f "$r" ] || continue
  k="$(finding_key "$r")"; known["$k"]="${r%.report}"
  echo "warning: starting input ${r%.report} fails already ($k); set aside" >&2
done
[ -n "$(ls -A "$seeds")" ] || printf '\0\0\0\0EHLO a\r\n' >"$seeds/minimal"

# ---- start the fuzzers ----------------------------------------------------
pids=()   # each fuzzer is a session leader: kill -INT -- -PID stops its group
start_bg() { setsid "$@" & pids+=("$!"); }

if [ "$engine" = libfuzzer ]; then
  mkdir -p "$out/corpus" "$out/artifacts"
  # -jobs > -workers: a job that found a crash ends and the next job starts
  # from the shared corpus, so the campaign goes on after a finding.
  lf_args=(-max_total_time="$time_s"
           -print_final_stats=1 -artifact_prefix="$out/artifacts/"
           -dict="$dict" -max_len="$max_len" -timeout=10 -rss_limit_mb=2560)
  start_lf() { # name binary workers: one libFuzzer master, logs in logs/<name>
    mkdir -p "$out/logs/$1"
    flog "libFuzzer $1: $2 -jobs=$(($3 * 20)) -workers=$3 ${lf_args[*]} $out/corpus $seeds"
    (cd "$out/logs/$1" && exec setsid "$2" -jobs=$(($3 * 20)) -workers="$3" "${lf_args[@]}" \
       "$out/corpus" "$seeds" >"$out/logs/$1/master.log" 2>&1) &
    pids+=("$!")
  }
  if [ "$jobs" -gt 1 ] && [ "$all_san" = 0 ]; then
    start_lf asan "$(fuzz_bin "$T")" 1
    start_lf plain "$(fuzz_plain_bin "$T")" $((jobs - 1))
  else
    start_lf asan "$(fuzz_bin "$T")" "$jobs"
  fi
else
  mkdir -p "$out/afl"
  afl_in="$seeds"
  [ "$resume" = 1 ] && [ -d "$out/afl/main/queue" ] && afl_in="-"
  # afl-fuzz insists on abort_on_error=1 and symbolize=0
  AFL_ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=1
  AFL_UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
  export AFL_NO_UI=1 AFL_TRY_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_QUIET=1
  common=(-i "$afl_in" -o "$out/afl" -x "$dict" -m none -t 5000+ -V "$time_s")
  for ((k = 0; k < jobs; k++)); do
    if [ "$k" = 0 ]; then
      name=main; bin="$afl_plain"; role=(-M main -c "$afl_cmplog")
      [ "$jobs" = 1 ] || [ "$all_san" = 1 ] && bin="$afl_asan"
    elif [ "$k" = 1 ]; then
      name=asan; bin="$afl_asan"; role=(-S asan)
    else
      name="sec$k"; bin="$afl_plain"; role=(-S "sec$k")
      [ "$all_san" = 1 ] && bin="$afl_asan"
    fi
    flog "AFL++ $name: afl-fuzz ${common[*]} ${role[*]} -- $bin"
    start_bg env "ASAN_OPTIONS=$AFL_ASAN_OPTIONS" "UBSAN_OPTIONS=$AFL_UBSAN_OPTIONS" afl-fuzz "${common[@]}" "${role[@]}" -- "$bin" >"$out/logs/afl-$name.log" 2>&1
  done
fi

# ---- stop on Ctrl-C / TERM: the summary still runs ------------------------
interrupted=0
stop_fuzzers() {
  local p
  for p in "${pids[@]}"; do kill -INT -- "-$p" 2>/dev/null || kill -INT "$p" 2>/dev/null; done
  # give them time to write their last finding and stats, then insist
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 1
  done
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
}
on_signal() { interrupted=1; }
trap on_signal INT TERM

# ---- progress -------------------------------------------------------------
dat="$out/progress.dat"
[ -f "$dat" ] || echo "# elapsed_s execs exec_per_s coverage features corpus findings" >"$dat"
count_findings() {
  if [ "$engine" = libfuzzer ]; then
    find "$out/artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l
  else
    find "$out/afl" -path '*/crashes/id:*' -type f | wc -l
  fi
}
sample() {  # prints: execs exec_per_s cov ft corpus findings
  local execs=0 eps=0 cov=0 ft=0 corp=0 f
  if [ "$engine" = libfuzzer ]; then
    for f in "$out"/logs/*/fuzz-*.log; do
      [ -f "$f" ] || continue
      # last status line: "#123456 pulse  cov: 812 ft: 2911 corp: 301/20Kb ... exec/s: 4521 rss: ..."
      read -r e c t s < <(grep -a -E '^#[0-9]+' "$f" | tail -n 1 |
        sed -E 's/^#([0-9]+).*cov: ([0-9]+) ft: ([0-9]+).*exec\/s: ([0-9]+).*/\1 \2 \3 \4/;t;s/^#([0-9]+).*/\1 0 0 0/')
      [ -n "${e:-}" ] || continue
      # a finished job's count still adds to the campaign's total
      execs=$((execs + e)); [ "$c" -gt "$cov" ] && cov=$c; [ "$t" -gt "$ft" ] && ft=$t
      if ! grep -a -q -E 'Done [0-9]+ runs|deadly signal|ERROR: libFuzzer|interrupted' "$f"; then eps=$((eps + s)); fi
    done
    corp="$(find "$out/corpus" -maxdepth 1 -type f | wc -l)"
  else
    for f in "$out"/afl/*/fuzzer_stats; do
      [ -f "$f" ] || continue
      v() { local x; x="$(sed -n "s/^$1 *: *//p" "$f" | head -n1 | cut -d. -f1)"
            [[ "$x" =~ ^[0-9]+$ ]] && echo "$x" || echo 0; }
      execs=$((execs + $(v execs_done))); eps=$((eps + $(v execs_per_sec)))
      c=$(v edges_found); [ "${c:-0}" -gt "$cov" ] && cov=$c
      s=$(v corpus_count); [ "${s:-0}" -gt "$corp" ] && corp=$s
    done
    ft="$(find "$out/afl" -path '*/queue/id:*' -type f 2>/dev/null | wc -l)" # all queues
    [ "$corp" -gt 0 ] || corp="$ft"
  fi
  echo "$execs $eps $cov $ft $corp $(count_findings)"
}
all_dead() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

offset=0; [ "$resume" = 1 ] && offset="$(tail -n 1 "$dat" | awk '$1 ~ /^[0-9]+$/ {print $1; exit} END {}')"
offset="${offset:-0}"
start=$SECONDS
deadline=$((start + time_s + 30))
flog "fuzzing $T with $engine for ${time_s}s on $jobs cores in $out (Ctrl-C stops, summary follows)"
covname=$([ "$engine" = afl ] && echo edges || echo cov)
while :; do
  sleep "$interval" & wait $! 2>/dev/null
  el=$((SECONDS - start))
  read -r execs eps cov ft corp nf <<<"$(sample)"
  # exec/s over the last interval, from the execs counters (AFL's own
  # figure is wild during calibration); the fuzzers' own until two samples
  # (AFL++ rewrites fuzzer_stats once a minute: between two rewrites the
  # last rate is repeated, and only a changed counter starts a new interval)
  if [ "$execs" -gt "${prev_execs:-0}" ]; then
    if [ "${prev_execs:-0}" -gt 0 ] && [ "$el" -gt "${prev_el:-0}" ]; then
      eps=$(( (execs - prev_execs) / (el - prev_el) ))
    elif [ "$engine" = afl ]; then
      eps=0  # the first fuzzer_stats holds the calibration rate
    fi
    prev_execs=$execs prev_el=$el last_eps=$eps
  elif [ "$engine" = afl ]; then
    eps="${last_eps:-0}"
  fi
  echo "$((el + offset)) $execs $eps $cov $ft $corp $nf" >>"$dat"
  if [ "$engine" = afl ]; then
    printf '[%5ds] execs %-11s exec/s %-7s edges %-6s queue %-5s corpus %-5s findings %s\n' \
      "$el" "$execs" "$eps" "$cov" "$ft" "$corp" "$nf"
  else
    printf '[%5ds] execs %-11s exec/s %-7s cov %-6s ft %-7s corpus %-5s findings %s\n' \
      "$el" "$execs" "$eps" "$cov" "$ft" "$corp" "$nf"
  fi
  if [ "$interrupted" = 1 ]; then echo "-- interrupted: stopping the fuzzers"; stop_fuzzers; break; fi
  all_dead && break
  if [ "$SECONDS" -ge "$deadline" ]; then stop_fuzzers; break; fi
  # libFuzzer: after the time is up, jobs still queued must not start
  if [ "$engine" = libfuzzer ] && [ "$el" -ge "$time_s" ]; then stop_fuzzers; break; fi
done
elapsed=$((SECONDS - start))
trap - INT TERM
# a second Ctrl-C during triage only skips the minimizing
trap 'interrupted=2' INT TERM
wait 2>/dev/null

# fuzzers that never ran (a bad option, an environment check) are an error
read -r execs _ <<<"$(sample)"
if [ "${execs:-0}" = 0 ] && all_dead && [ "$interrupted" = 0 ] && [ "$elapsed" -lt "$time_s" ]; then
  echo "ci/fuzz.sh: the fuzzers stopped without running; their logs:" >&2
  for f in "$out"/logs/afl-*.log "$out"/logs/*/master.log "$out"/logs/*/fuzz-0.log; do
    [ -f "$f" ] && { echo "--- $f" >&2; tail -n 8 "$f" >&2; }
  done
  exit 1
fi

# ---- findings: replay, deduplicate, minimize --------------------------------
raw=()
if [ "$engine" = libfuzzer ]; then
  while IFS= read -r f; do raw+=("$f"); done < <(find "$out/artifacts" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
else
  while IFS= read -r f; do raw+=("$f"); done < <(find "$out/afl" -path '*/crashes/id:*' -type f | sort)
fi
declare -A seen=()
# keys already triaged in this campaign dir (--resume) are not new
for k in "$out"/findings/*/key; do [ -f "$k" ] && seen["$(cat "$k")"]=old; done
new=()
n_existing="$(find "$out/findings" -mindepth 1 -maxdepth 1 -type d | wc -l)"
idx=$n_existing
for f in "${raw[@]}"; do
  # each raw file once: remember what was done with it
  grep -qxF "$f" "$out/findings/.raw-done" 2>/dev/null && continue
  echo "$f" >>"$out/findings/.raw-done"
  rep="$(mktemp)"
  rc=0; (replay_report "$T" "$f" "$rep") 2>/dev/null || rc=$?
  if [ "$rc" = 0 ]; then
    key="not-reproduced-$(basename "$f" | cut -d- -f1 | cut -d, -f1)"
  else
    key="$(finding_key "$rep")"
  fi
  if [ -n "${known[$key]:-}" ]; then
    echo "$f" >>"$out/known/duplicates"; rm -f "$rep"; continue
  fi
  if [ -n "${seen[$key]:-}" ]; then
    [ "${seen[$key]}" != old ] && echo "$f" >>"${seen[$key]}/duplicates"
    rm -f "$rep"; continue
  fi
  idx=$((idx + 1))
  d="$out/findings/$(printf '%03d' "$idx")-$(slug "$key")"
  mkdir -p "$d"
  seen[$key]="$d"
  echo "$key" >"$d/key"
  cp "$f" "$d/original"
  cp "$rep" "$d/report.txt"
  echo "$f" >"$d/source"
  if [ "$rc" != 0 ] && [ "$interrupted" != 2 ]; then
    flog "minimizing finding $idx ($key)"
    if [ "$engine" = libfuzzer ]; then
      minimize_libfuzzer "$T" "$f" "$d/input" "$key" 60
    else
      minimize_afl "$T" "$f" "$d/input" "$key"
    fi
  else
    cp "$f" "$d/input"
  fi
  (replay_report "$T" "$d/input" "$d/report.txt") 2>/dev/null || true
  new+=("$d")
  rm -f "$rep"
done

# ---- plot -----------------------------------------------------------------
plot="$out/progress.png"
plot_note=""
if command -v gnuplot >/dev/null 2>&1 && [ "$(grep -vc '^#' "$dat")" -ge 2 ]; then
  gnuplot >"$out/logs/gnuplot.log" 2>&1 <<EOF || plot_note=" (gnuplot failed: $out/logs/gnuplot.log)"
set terminal png size 1000,900 noenhanced
set output "$plot"
set multiplot layout 3,1 title "$engine $T  ($(basename "$out"))"
set grid
set xlabel "seconds"
set key left top
plot "$dat" using 1:4 with lines lw 2 title "coverage ($covname)", "" using 1:5 with lines title "$([ "$engine" = afl ] && echo 'queue files' || echo 'features (ft)')"
plot "$dat" using 1:6 with lines lw 2 title "corpus size", "" using 1:7 with steps title "findings"
plot "$dat" using 1:3 with lines lw 2 title "exec/s (all fuzzers)"
unset multiplot
EOF
else
  plot_note=" (no plot: too few samples or no gnuplot)"
fi
afl_plot=""
if [ "$engine" = afl ] && [ -f "$out/afl/main/plot_data" ]; then
  if afl-plot "$out/afl/main" "$out/afl-plot" >"$out/logs/afl-plot.log" 2>&1; then
    afl_plot="$out/afl-plot/index.html (edges.png, exec_speed.png, ...)"
  else
    afl_plot="afl-plot failed (it needs a run of >= ~70 s): $out/logs/afl-plot.log"
  fi
fi

# ---- summary --------------------------------------------------------------
read -r execs eps cov ft corp nf <<<"$(sample)"
total_found=$((n_existing + ${#new[@]}))
echo
echo "== summary: $engine $T"
printf '  %-12s %s\n' "campaign" "$out"
printf '  %-12s %ss of %ss on %s core(s)%s\n' "time" "$elapsed" "$time_s" "$jobs" \
  "$([ "$interrupted" != 0 ] && echo ' (interrupted)')"
printf '  %-12s %s total, last exec/s %s\n' "execs" "$execs" "$eps"
if [ "$engine" = afl ]; then
  printf '  %-12s %s edges (main: %s)\n' "coverage" "$cov" "$(sed -n 's/^bitmap_cvg *: *//p' "$out/afl/main/fuzzer_stats" 2>/dev/null)"
  printf '  %-12s %s inputs in the main queue, %s in all queues\n' "corpus" "$corp" "$ft"
else
  printf '  %-12s cov %s, ft %s\n' "coverage" "$cov" "$ft"
  printf '  %-12s %s inputs in %s\n' "corpus" "$corp" "$out/corpus"
fi
printf '  %-12s %s raw, %s distinct new (%s triaged in this campaign dir)\n' "findings" "${#raw[@]}" "${#new[@]}" "$total_found"
printf '  %-12s %s%s\n' "plot" "$([ -z "$plot_note" ] && echo "$plot")" "$plot_note"
[ -n "$afl_plot" ] && printf '  %-12s %s\n' "afl-plot" "$afl_plot"
printf '  %-12s %s\n' "progress" "$dat"
printf '  %-12s %s\n' "logs" "$out/logs/"
for k in "${!known[@]}"; do
  printf '  %-12s %s: %s (it fails before any fuzzing; corpus/regress holds it: ctest fails too)\n' \
    "KNOWN" "$k" "${known[$k]}"
done
[ -s "$out/known/duplicates" ] && printf '  %-12s %s raw finding(s) had a known key: %s\n' "" "$(wc -l <"$out/known/duplicates")" "$out/known/duplicates"
for d in "${new[@]}"; do
  echo
  echo "  finding $(basename "$d"): $(cat "$d/key")"
  printf '    %-11s %s (%s octets; original %s octets, %s)\n' "reproducer" "$d/input" \
    "$(stat -c %s "$d/input")" "$(stat -c %s "$d/original")" "$(cat "$d/source")"
  [ -f "$d/duplicates" ] && printf '    %-11s %s more raw finding(s) with the same key: %s\n' "duplicates" "$(wc -l <"$d/duplicates")" "$d/duplicates"
  grep -m1 -E 'oracle: VIOLATION|ERROR: [A-Za-z]+Sanitizer|runtime error|model disagrees' "$d/report.txt" | sed 's/^/    report      /'
  printf '    %-11s %s\n' "reproduce" "$(reproduce_cmd "$T" "$d/input")"
  [ "$layer" = session ] && printf '    %-11s %s check %s\n' "transcript" "$(smtpp_bin)" "$d/input"
  printf '    %-11s %s\n' "triage" "ci/triage.sh $d/input --layer $layer"
done
if [ "$total_found" -gt 0 ]; then
  echo
  echo "ci/fuzz.sh: findings (exit 3); see docs/REPRODUCING.md"
  exit 3
fi
echo "ci/fuzz.sh: nothing found"
exit 0
