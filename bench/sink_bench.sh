#!/usr/bin/env bash
# bench/sink_bench.sh - TCP msg/s of `smtpp serve --listen` beside Postfix's
# smtp-sink, with Postfix's smtp-source as the client, in the same run; and
# the sink's resident memory with 1,000 idle sessions.
#
#   bench/sink_bench.sh [--smtpp BIN] [--build-dir DIR] [--cc CC]
#                       [--rounds N] [--quick] [--install]
#
#   --smtpp BIN   the smtpp binary to measure (default: build one, Release,
#                 in --build-dir)
#   --build-dir   where to build (default build-bench, gitignored)
#   --cc C        compiler for that build (default clang-14)
#   --rounds N    rounds per figure, the best one counts (default 2); the
#                 two servers take turns, so both see the same machine
#   --quick       fewer messages (a smoke run)
#   --install     install postfix (smtp-sink, smtp-source) with apt-get if
#                 missing; without it a missing postfix skips this bench
#
# Clients: smtp-source -s 8 -l 1024 (8 sessions, 1 KiB bodies), one message
# per connection and persistent (-d).  Durable delivery: smtp-source -s 64
# -d into --maildir with fsync, while bench/noop_latency.c (a bystander
# session) times a NOOP round trip every 5 ms; the same bystander beside a
# discarding flood is the reference.  Disk bound: bench/oversize_hwm.c
# sends a 40 MB DATA without SIZE= to a --size 10485760 Maildir sink and
# reports the largest tmp/ total seen.  Postfix is installed (apt-get,
# debconf "No configuration": no MTA is started) only with --install.
# Prints table rows, then "metric NAME VALUE" lines:
#   sink_persistent_vs_smtp_sink, sink_conn_vs_smtp_sink (msg/s ratios),
#   sink_{persistent,conn}_msgs_per_sec, smtp_sink_{persistent,conn}_msgs_per_sec,
#   sink_cpu_us_per_msg, smtp_sink_cpu_us_per_msg (server CPU, persistent),
#   sink_maildir_fsync_msgs_per_sec, sink_bystander_noop_p99_us,
#   sink_bystander_noop_max_us (Maildir+fsync flood),
#   sink_bystander_noop_p99_discard_us, sink_oversize_tmp_hwm_octets,
#   sink_rss_1000_idle_kib.
# Figures are reported, never asserted.  Both the client and the servers
# share this machine's CPUs: on a small machine smtp-source itself is a
# large part of the cost, which caps every ratio (the CPU per message
# line shows the servers' own cost).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
smtpp=""
build=$root/build-bench
cc=clang-14
rounds=2
quick=0
install=0
while [ $# -gt 0 ]; do
  case $1 in
  --smtpp) smtpp=$2; shift 2 ;;
  --smtpp=*) smtpp=${1#--smtpp=}; shift ;;
  --build-dir) build=$2; shift 2 ;;
  --build-dir=*) build=${1#--build-dir=}; shift ;;
  --cc) cc=$2; shift 2 ;;
  --cc=*) cc=${1#--cc=}; shift ;;
  --rounds) rounds=$2; shift 2 ;;
  --rounds=*) rounds=${1#--rounds=}; shift ;;
  --quick) quick=1; shift ;;
  --install) install=1; shift ;;
  -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "sink_bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $rounds in ''|*[!0-9]*|0) echo "sink_bench: --rounds needs a number >= 1" >&2; exit 2 ;; esac

if [ "$quick" = 1 ]; then
  n_persist=8000; n_conn=2000; n_durable=1500
else
  n_persist=30000; n_conn=6000; n_durable=6000
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sink-bench.XXXXXX")
pids=()
cleanup() {
  exec 9>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- postfix (smtp-sink, smtp-source) ----
sink_bin=/usr/sbin/smtp-sink
source_bin=/usr/sbin/smtp-source
if { [ ! -x "$sink_bin" ] || [ ! -x "$source_bin" ]; } && [ "$install" = 0 ]; then
  echo "sink: smtp-sink/smtp-source missing, skipped (bench/sink_bench.sh --install installs postfix)"
  exit 0
fi
if [ ! -x "$sink_bin" ] || [ ! -x "$source_bin" ]; then
  echo "sink_bench: installing postfix for smtp-sink and smtp-source" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "postfix postfix/main_mailer_type select No configuration" |
    $sudo debconf-set-selections 2>/dev/null || true
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >"$tmp/apt.log" 2>&1; then
    $sudo apt-get update >>"$tmp/apt.log" 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >>"$tmp/apt.log" 2>&1 || {
      cat "$tmp/apt.log" >&2; echo "sink_bench: cannot install postfix" >&2; exit 1; }
  fi
fi

# ---- smtpp and the idle-connection helper ----
if [ -z "$smtpp" ]; then
  if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
           -DSMTPP_TESTS=OFF -DSMTPP_SANITIZE=OFF -DSMTPP_COVERAGE=OFF \
           -DSMTPP_FUZZ=OFF -DSMTPP_AFL=OFF &&
         cmake --build "$build" --target smtpp -j "$(nproc)"; } >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log" >&2; echo "sink_bench: build failed" >&2; exit 1
  fi
  smtpp=$build/tools/smtpp
fi
[ -x "$smtpp" ] || { echo "sink_bench: $smtpp is not executable" >&2; exit 2; }
hcc=$cc
command -v "$hcc" >/dev/null || hcc=cc
"$hcc" -std=c11 -O2 -Wall -Wextra -o "$tmp/idle_conns" "$root/bench/idle_conns.c"
"$hcc" -std=c11 -O2 -Wall -Wextra -o "$tmp/noop_latency" "$root/bench/noop_latency.c"
"$hcc" -std=c11 -O2 -Wall -Wextra -pthread -o "$tmp/oversize_hwm" "$root/bench/oversize_hwm.c"

# Raise the descriptor limit for the 1000 idle connections.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now_ns() { date +%s%N; }

# Starts `smtpp serve --listen 127.0.0.1:0 ARGS`; sets spid and sport.
start_smtpp() {
  "$smtpp" serve --listen 127.0.0.1:0 "$@" 2>"$tmp/smtpp.$$.log" &
  spid=$!; pids+=("$spid")
  sport=""
  for _ in $(seq 100); do
    # The shell may not have created the log yet: no file is not an error.
    sport=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/smtpp.$$.log" 2>/dev/null || true)
    [ -n "$sport" ] && return 0
    sleep 0.05
  done
  cat "$tmp/smtpp.$$.log" >&2; echo "sink_bench: smtpp serve did not start" >&2; exit 1
}

# Starts smtp-sink on a free port; sets kpid and kport.
start_sink() {
  local u=()
  [ "$(id -u)" = 0 ] && u=(-u nobody)
  for _ in $(seq 20); do
    kport=$((20000 + RANDOM % 40000))
    "$sink_bin" "${u[@]}" 127.0.0.1:"$kport" 1000 2>"$tmp/sink.log" &
    kpid=$!
    sleep 0.2
    if kill -0 "$kpid" 2>/dev/null &&
       timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$kport; head -c 3 <&3" 2>/dev/null | grep -q 220; then
      pids+=("$kpid")
      return 0
    fi
    kill "$kpid" 2>/dev/null || true
    wait "$kpid" 2>/dev/null || true
  done
  cat "$tmp/sink.log" >&2; echo "sink_bench: smtp-sink did not start" >&2; exit 1
}

# run PORT PID COUNT [-d]: prints "msgs_per_sec cpu_us_per_msg".
run() {
  local port=$1 pid=$2 count=$3; shift 3
  local c0 c1 t0 t1
  c0=$(cpu_ticks "$pid"); t0=$(now_ns)
  if ! "$source_bin" -s 8 -m "$count" -l 1024 "$@" -M client.example \
       -f sender@client.example -t rcpt@sink.example 127.0.0.1:"$port" \
       >"$tmp/source.log" 2>&1; then
    cat "$tmp/source.log" >&2; echo "sink_bench: smtp-source failed on port $port" >&2; exit 1
  fi
  t1=$(now_ns); c1=$(cpu_ticks "$pid")
  awk -v n="$count" -v ns=$((t1 - t0)) -v t=$((c1 - c0)) -v clk="$clk" \
    'BEGIN { printf "%.0f %.1f\n", n / (ns / 1e9), t / clk * 1e6 / n }'
}

best() { # best "a b" pairs by the first field
  sort -n -r -k1,1 | head -1
}

start_smtpp
start_sink
: >"$tmp/p.smtpp"; : >"$tmp/p.sink"; : >"$tmp/c.smtpp"; : >"$tmp/c.sink"
# Warm-up (connection setup, page cache of the binaries).
run "$sport" "$spid" 500 -d >/dev/null
run "$kport" "$kpid" 500 -d >/dev/null
for _ in $(seq "$rounds"); do
  run "$sport" "$spid" "$n_persist" -d >>"$tmp/p.smtpp"
  run "$kport" "$kpid" "$n_persist" -d >>"$tmp/p.sink"
  run "$sport" "$spid" "$n_conn" >>"$tmp/c.smtpp"
  run "$kport" "$kpid" "$n_conn" >>"$tmp/c.sink"
done
read -r p_smtpp p_smtpp_cpu < <(best <"$tmp/p.smtpp")
read -r p_sink p_sink_cpu < <(best <"$tmp/p.sink")
read -r c_smtpp c_smtpp_cpu < <(best <"$tmp/c.smtpp")
read -r c_sink c_sink_cpu < <(best <"$tmp/c.sink")
kill "$spid" "$kpid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
wait "$kpid" 2>/dev/null || true

# ---- durable delivery: Maildir with fsync, and a bystander's NOOP ----
# flood PORT PID COUNT: 64 persistent sessions; prints "msgs_per_sec"
# and leaves the bystander's line in $tmp/noop.out.
flood() {
  local port=$1 pid=$2 count=$3 t0 t1 np
  "$tmp/noop_latency" "$port" 600 5 >"$tmp/noop.out" 2>&1 &
  np=$!
  sleep 0.3
  t0=$(now_ns)
  "$source_bin" -s 64 -m "$count" -l 1024 -d -M client.example \
    -f sender@client.example -t rcpt@sink.example 127.0.0.1:"$port" \
    >"$tmp/source.log" 2>&1 || { cat "$tmp/source.log" >&2; exit 1; }
  t1=$(now_ns)
  kill -INT "$np" 2>/dev/null || true
  wait "$np" 2>/dev/null || true
  awk -v n="$count" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", n / (ns / 1e9) }'
}
# The bystander prints only at its end: stop it early with a deadline it
# checks (600 s) replaced by SIGINT, so it must print on SIGINT too.
noop_field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$tmp/noop.out"; }

start_smtpp
flood "$sport" "$spid" "$n_durable" >/dev/null
b_p99_discard=$(noop_field p99_us)
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
start_smtpp --maildir "$tmp/md"
d_rate=$(flood "$sport" "$spid" "$n_durable")
b_p99=$(noop_field p99_us)
b_max=$(noop_field max_us)
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
rm -rf "$tmp/md"
start_smtpp --maildir "$tmp/md" --size 10485760
hwm=$("$tmp/oversize_hwm" "$sport" "$tmp/md" 40 | sed -n 's/.*tmp_hwm=\([0-9]*\).*/\1/p')
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
rm -rf "$tmp/md"

# ---- RSS with 1000 idle sessions (a fresh server) ----
start_smtpp --max-conn 1000
mkfifo "$tmp/hold"
"$tmp/idle_conns" "$sport" 1000 <"$tmp/hold" >"$tmp/idle.out" 2>"$tmp/idle.err" &
ipid=$!; pids+=("$ipid")
exec 9>"$tmp/hold"
rss=""
for _ in $(seq 200); do
  if grep -q '^ready' "$tmp/idle.out"; then
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status")
    break
  fi
  kill -0 "$ipid" 2>/dev/null || break
  sleep 0.05
done
exec 9>&-
wait "$ipid" 2>/dev/null || true
if [ -z "$rss" ]; then
  cat "$tmp/idle.err" >&2
  echo "sink_bench: could not hold 1000 idle sessions" >&2
  rss=NA
fi
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "" : "MISSED") }'; }
rp=$(ratio "$p_smtpp" "$p_sink")
rc=$(ratio "$c_smtpp" "$c_sink")

printf '%-30s %12s %12s %8s %6s\n' "sink (smtp-source -s 8 -l 1024)" "smtpp msg/s" "smtp-sink" "ratio" "goal"
printf '%-30s %12s %12s %7sx %5sx  %s\n' "one message per connection" "$c_smtpp" "$c_sink" "$rc" 1.5 "$(verdict "$rc" 1.5)"
printf '%-30s %12s %12s %7sx %5sx  %s\n' "persistent (-d)" "$p_smtpp" "$p_sink" "$rp" 1.5 "$(verdict "$rp" 1.5)"
printf '%-30s %12s %12s\n' "server CPU us/msg, -d" "$p_smtpp_cpu" "$p_sink_cpu"
printf '%-30s %12s %12s\n' "server CPU us/msg, per conn" "$c_smtpp_cpu" "$c_sink_cpu"
printf '%-30s %12s\n' "Maildir+fsync msg/s, -s 64 -d" "$d_rate"
printf '%-30s %9s us %9s us\n' "bystander NOOP p99 / max" "$b_p99" "$b_max"
printf '%-30s %9s us\n' "bystander NOOP p99, discard" "$b_p99_discard"
printf '%-30s %9s B\n' "tmp/ high-water, 40 MB DATA" "$hwm"
if [ "$rss" != NA ]; then
  printf '%-30s %9s KiB %12s %8s %5s KiB %s\n' "sink RSS, 1000 idle sessions" "$rss" "" "" 10240 \
    "$(awk -v r="$rss" 'BEGIN { print (r < 10240 ? "" : "MISSED") }')"
fi
echo "metric sink_persistent_vs_smtp_sink $rp"
echo "metric sink_conn_vs_smtp_sink $rc"
echo "metric sink_persistent_msgs_per_sec $p_smtpp"
echo "metric smtp_sink_persistent_msgs_per_sec $p_sink"
echo "metric sink_conn_msgs_per_sec $c_smtpp"
echo "metric smtp_sink_conn_msgs_per_sec $c_sink"
echo "metric sink_cpu_us_per_msg $p_smtpp_cpu"
echo "metric smtp_sink_cpu_us_per_msg $p_sink_cpu"
echo "metric sink_maildir_fsync_msgs_per_sec $d_rate"
echo "metric sink_bystander_noop_p99_us $b_p99"
echo "metric sink_bystander_noop_max_us $b_max"
echo "metric sink_bystander_noop_p99_discard_us $b_p99_discard"
echo "metric sink_oversize_tmp_hwm_octets $hwm"
echo "metric sink_rss_1000_idle_kib $rss"
