#!/bin/sh
# skeleton.sh - `smtpp check --skeleton` (ci/triage.sh's dialog skeleton)
# decodes the fuzz_session layout with the C decoder: the selector and the
# split-point octets become directives and notes, never R: lines.
# Usage: skeleton.sh SMTPP
set -u
smtpp=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/d"; exit 1; }
# octet 0: SIZE off (bit 1 flipped); octet 1: AUTH + lenient bare-lf;
# octet 2: size index 3 (5 octets); octet 3: two split points (4 octets)
printf '\002\003\003\002\001\000\005\000EHLO a.example\r\nQUIT\r\n' >"$tmp/in"
"$smtpp" check --skeleton "t: P3" "$tmp/in" >"$tmp/d" || fail "exit $?"
cat "$tmp/d"
grep -qx '! ext -SIZE' "$tmp/d" || fail "no '! ext -SIZE'"
grep -qx '! ext +AUTH' "$tmp/d" || fail "no '! ext +AUTH'"
grep -qx '! lenient bare-lf' "$tmp/d" || fail "no '! lenient bare-lf'"
grep -qx '! size 5' "$tmp/d" || fail "no '! size 5'"
grep -q '2+1 chunks' "$tmp/d" || fail "no note on the split points"
[ "$(grep -c '^R: ' "$tmp/d")" -eq 2 ] || fail "not two R: lines"
grep -qx 'R: EHLO a.example\\r\\n' "$tmp/d" || fail "first R: line is not the EHLO"
echo ok
