#!/bin/sh
# hostile.sh - runs `smtpp probe --tcp` against one misbehaving fake server
# (hostile_server.c) and checks that the probe ends within a bound, with
# exit status 1 and the expected verdict in its output.
#
# Usage: hostile.sh SMTPP HOSTILE_SERVER MODE VERDICT SUITE_DIR
set -u
smtpp=$1 server=$2 mode=$3 verdict=$4 suite=$5
bound=20   # seconds; the probe runs with --timeout 1000

tmp=$(mktemp -d)
trap 'kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$server" "$mode" "$tmp/port" 30 &
spid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$tmp/port")
[ -n "$port" ] || { echo "FAIL: the fake server did not start"; exit 1; }

start=$(date +%s)
timeout $((bound + 10)) "$smtpp" probe --tcp "127.0.0.1:$port" --timeout 1000 \
  --case-timeout 5000 --suite "$suite" --mode all >"$tmp/out" 2>&1
rc=$?
end=$(date +%s)
cat "$tmp/out"
echo "--- mode=$mode rc=$rc time=$((end - start))s"
if [ $rc -ne 1 ]; then echo "FAIL: exit status $rc, want 1"; exit 1; fi
if [ $((end - start)) -gt $bound ]; then echo "FAIL: took over ${bound}s"; exit 1; fi
if ! grep -q -- "$verdict" "$tmp/out"; then echo "FAIL: no verdict '$verdict'"; exit 1; fi
echo "ok: verdict $verdict"
