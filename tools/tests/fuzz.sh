#!/bin/sh
# fuzz.sh - tests of `smtpp probe --fuzz` and `--replay`.
#
# Usage: fuzz.sh SMTPP FAKE_SERVER SUITE_DIR CHECK
#   self     the parser against itself (serve --stdio): no disagreement, 0
#   fake     a server that answers 250 to everything: disagreements,
#            minimized reproducers (.dialog + .bin) that --replay shows, 1
#   lenient  serve --stdio --lenient bare-lf against strict smtpp: 1
#   determinism  the same --seed gives the same summary
#   remote   a non-loopback --tcp target is refused (2) without --allow-remote
set -u
smtpp=$1 fake=$2 suite=$3 check=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

fuzz() { # OUTDIR LOG ARGS...
  out=$1 log=$2; shift 2
  timeout 300 "$smtpp" probe --fuzz --suite "$suite" --out "$out" "$@" >"$log" 2>&1
}

case "$check" in
self)
  fuzz "$tmp/out" "$tmp/log" --cmd "$smtpp serve --stdio" --count 100 --seed 1
  rc=$?
  cat "$tmp/log"
  [ $rc -eq 0 ] || fail "exit status $rc, want 0"
  grep -q "^no disagreement" "$tmp/log" || fail "no 'no disagreement' line"
  grep -q "^sessions: 100 (100 agreed" "$tmp/log" || fail "not 100 sessions"
  ;;
fake|lenient)
  if [ "$check" = fake ]; then target=$fake count=100
  else target="$smtpp serve --stdio --lenient bare-lf" count=25; fi
  fuzz "$tmp/out" "$tmp/log" --cmd "$target" --count $count --seed 1 \
    --json "$tmp/r.json"
  rc=$?
  cat "$tmp/log"
  [ $rc -eq 1 ] || fail "exit status $rc, want 1"
  n=$(ls "$tmp/out"/*.dialog 2>/dev/null | wc -l)
  [ "$n" -ge 1 ] || fail "no reproducer written"
  [ "$(ls "$tmp/out"/*.bin | wc -l)" -eq "$n" ] || fail ".bin files missing"
  grep -q '"findings": \[' "$tmp/r.json" || fail "no JSON report"
  # Every reproducer is smaller than what it was found in (or as small),
  # and the first one replays: both streams shown, exit 1.
  first=$(ls "$tmp/out"/*.dialog | head -1)
  grep -q '^R: ' "$first" || fail "no R: line in $first"
  "$smtpp" probe --replay "$first" --cmd "$target" --suite "$suite" \
    >"$tmp/replay" 2>&1
  rc=$?
  cat "$tmp/replay"
  [ $rc -eq 1 ] || fail "replay exit status $rc, want 1"
  grep -q "^disagreement: " "$tmp/replay" || fail "replay shows no disagreement"
  bin=${first%.dialog}.bin
  "$smtpp" probe --replay "$bin" --cmd "$target" --suite "$suite" \
    >"$tmp/replay2" 2>&1
  [ $? -eq 1 ] || fail "replay of $bin does not disagree"
  # Against the parser itself the reproducer agrees.
  "$smtpp" probe --replay "$first" --cmd "$smtpp serve --stdio" \
    --suite "$suite" >/dev/null 2>&1 || fail "the reproducer disagrees with smtpp itself"
  if [ "$check" = fake ]; then
    grep -q "DATA exp 3xx got 2xx" "$tmp/log" || fail "no DATA 354/250 finding"
  else
    # the verdict classes of the suite: bare-LF framing is a violation
    grep -q "^[0-9]* *violation *framing: bare LF" "$tmp/log" ||
      fail "framing: bare LF is not filed as a violation"
    grep -q '"verdict": "violation"' "$tmp/r.json" || fail "no verdict in the JSON"
  fi
  ;;
determinism)
  for i in 1 2; do
    fuzz "$tmp/out" "$tmp/log$i" --cmd "$fake" --count 20 --time 600 --seed 42
    echo "run $i: exit $?"
    grep -v '^time:' "$tmp/log$i" >"$tmp/sum$i"
    rm -rf "$tmp/out"
  done
  cat "$tmp/sum1"
  cmp "$tmp/sum1" "$tmp/sum2" || { diff "$tmp/sum1" "$tmp/sum2"; fail "summaries differ"; }
  fuzz "$tmp/out" "$tmp/log3" --cmd "$fake" --count 20 --time 600 --seed 43
  grep -v '^time:' "$tmp/log3" >"$tmp/sum3"
  cmp -s "$tmp/sum1" "$tmp/sum3" && fail "seeds 42 and 43 gave the same run"
  ;;
remote)
  timeout 20 "$smtpp" probe --fuzz --tcp 192.0.2.1:25 --suite "$suite" \
    --out "$tmp/out" >"$tmp/log" 2>&1
  rc=$?
  cat "$tmp/log"
  [ $rc -eq 2 ] || fail "exit status $rc, want 2"
  grep -q "not a loopback address" "$tmp/log" || fail "no refusal message"
  ;;
*) echo "fuzz.sh: unknown check $check"; exit 2 ;;
esac
echo "ok: $check"
