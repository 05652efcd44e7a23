#!/bin/sh
# verdicts.sh - the probe's verdicts can fail: smtpp's own server with the
# bare-lf leniency (a bare LF ends a command line, RFC 5321 2.3.8 forbids
# it) must be reported as a violation with exit status 1, in JSON and
# JUnit too; a baseline that accepts the finding turns the exit status to
# 0 while the report still shows it.
#
# Usage: verdicts.sh SMTPP SUITE_DIR
set -u
smtpp=$1 suite=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
target="$smtpp serve --stdio --lenient bare-lf"

"$smtpp" probe --cmd "$target" --suite "$suite" --only bare-lf --mode polite \
  --json "$tmp/r.json" --junit "$tmp/r.xml" \
  --write-baseline "$tmp/baseline" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc -eq 1 ] || fail "exit status $rc, want 1 (a violation)"
grep -q '^ 1\. bare-lf-line-end ' "$tmp/out" || fail "no bare-lf-line-end violation"
grep -q 'reproduce: smtpp probe --cmd ' "$tmp/out" || fail "no reproduction command"
grep -q '"verdict": "violation", "rule": "bare-lf-line-end"' "$tmp/r.json" ||
  fail "JSON lacks the violation"
grep -q '"must_passed": false' "$tmp/r.json" || fail "JSON must_passed is not false"
grep -q '<failure type="violation" message="bare-lf-line-end' "$tmp/r.xml" ||
  fail "JUnit lacks the violation"
grep -qx 'bare-lf-line-end' "$tmp/baseline" || fail "baseline lacks the key"

"$smtpp" probe --cmd "$target" --suite "$suite" --only bare-lf --mode polite \
  --baseline "$tmp/baseline" --json "$tmp/b.json" >"$tmp/out2" 2>&1
rc=$?
cat "$tmp/out2"
[ $rc -eq 0 ] || fail "exit status $rc with the baseline, want 0"
grep -q 'accepted by the baseline' "$tmp/out2" || fail "the accepted finding is not shown"
grep -q '"must_passed": true' "$tmp/b.json" || fail "JSON must_passed is not true"

# the strict server: no violation, exit 0
"$smtpp" probe --cmd "$smtpp serve --stdio" --suite "$suite" --only bare-lf \
  --mode polite >"$tmp/out3" 2>&1 || { cat "$tmp/out3"; fail "strict server: exit $?"; }
grep -q '^violations: 0' "$tmp/out3" || fail "strict server: violations reported"
echo "ok"
