#!/usr/bin/env bash
# ci/probe_real.sh - probe real SMTP servers with `smtpp probe`: installs
# Postfix and python3-aiosmtpd from Debian, starts each on 127.0.0.1 with a
# config that accepts and discards all mail, runs
#   smtpp probe --tcp 127.0.0.1:PORT --mode all --json ... --junit ...
# against each, and stops each by its PID.
#
#   ci/probe_real.sh                 everything (installs missing packages)
#   ci/probe_real.sh --no-install    do not touch apt; fail if missing
#   ci/probe_real.sh --only NAME     only postfix or aiosmtpd
#   ci/probe_real.sh --fuzz [SEC]    differential fuzzing instead of the
#                                    suite: smtpp probe --fuzz --time SEC
#                                    (default 60) --seed $SEED (default 1);
#                                    reproducers in $OUT/fuzz-NAME/
#
# Environment: SMTPP=path to a built smtpp (default: build one into
# <repo>/build-probe), OUT=report directory (default <repo>/build-probe/
# results), MODE=probe modes (default all).
# Exit status: 0 every server was probed (the findings are in the reports;
# real servers are expected to differ), 1 a server could not be set up or
# probed, 2 bad usage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
install=1
only=""
fuzz=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    --no-install) install=0 ;;
    --only) only="${2:-}"; shift ;;
    --fuzz) fuzz=60
            case "${2:-}" in [0-9]*) fuzz=$2; shift ;; esac ;;
    *) echo "ci/probe_real.sh: unknown option '$1' (allowed: --no-install, --only NAME, --fuzz [SEC], -h)" >&2
       exit 2 ;;
  esac
  shift
done
case "$only" in ""|postfix|aiosmtpd) ;; *) echo "ci/probe_real.sh: --only postfix|aiosmtpd" >&2; exit 2 ;; esac

log() { printf '\n== %s\n' "$*"; }
PY=/usr/bin/python3   # Debian's python, where python3-aiosmtpd lives

# --- packages -----------------------------------------------------------
need=()
command -v /usr/sbin/postfix >/dev/null 2>&1 || need+=(postfix)
"$PY" -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
if [ ${#need[@]} -gt 0 ]; then
  if [ $install -eq 0 ]; then
    echo "missing packages: ${need[*]} (run without --no-install)" >&2
    exit 1
  fi
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # "No configuration": the package's postinst writes no /etc/postfix
  # setup and starts nothing; this script brings its own config.
  echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
  apt-get update -qq || exit 1
  apt-get install -y -qq --no-install-recommends "${need[@]}" || exit 1
fi

# --- the probe ----------------------------------------------------------
if [ -z "${SMTPP:-}" ]; then
  log "building smtpp"
  cmake -S "$ROOT" -B "$ROOT/build-probe" -G Ninja -DSMTPP_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
  cmake --build "$ROOT/build-probe" --target smtpp >/dev/null || exit 1
  SMTPP="$ROOT/build-probe/tools/smtpp"
fi
OUT="${OUT:-$ROOT/build-probe/results}"
MODE="${MODE:-all}"
mkdir -p "$OUT"

TMP="$(mktemp -d /tmp/smtpp-probe-real.XXXXXX)"
chmod 755 "$TMP"   # the postfix user must reach its data directory
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something listens on 127.0.0.1:$1 (10 s at most).
wait_port() {
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Stops a process by PID: TERM, then KILL after 5 s.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
}

status=0
probe() {   # name port
  local name=$1 port=$2 rc
  if [ "$fuzz" -gt 0 ]; then fuzz_probe "$name" "$port"; return; fi
  log "probing $name on 127.0.0.1:$port (mode $MODE)"
  echo "+ smtpp probe --tcp 127.0.0.1:$port --mode $MODE --json $OUT/$name.json --junit $OUT/$name.xml"
  "$SMTPP" probe --tcp "127.0.0.1:$port" --mode "$MODE" \
    --suite "$ROOT/tests/dialogs" \
    --json "$OUT/$name.json" --junit "$OUT/$name.xml" >"$OUT/$name.txt" 2>&1
  rc=$?
  sed -n '/^Totals/,$p' "$OUT/$name.txt"
  echo "probe exit status $rc (0: all must-level passed, 1: findings); report $OUT/$name.txt"
  [ $rc -le 1 ] || status=1
  [ -s "$OUT/$name.json" ] || status=1
}

# Differential fuzzing: the server against libsmtpp configured like its
# EHLO reply; exit status 1 just means disagreements were found.
fuzz_probe() {   # name port
  local name=$1 port=$2 rc seed=${SEED:-1}
  log "fuzzing $name on 127.0.0.1:$port for ${fuzz}s (seed $seed)"
  rm -rf "$OUT/fuzz-$name"
  echo "+ smtpp probe --fuzz --tcp 127.0.0.1:$port --time $fuzz --count 100000 --seed $seed --out $OUT/fuzz-$name --json $OUT/fuzz-$name.json"
  "$SMTPP" probe --fuzz --tcp "127.0.0.1:$port" --time "$fuzz" \
    --count 100000 --seed "$seed" --timeout 3000 \
    --suite "$ROOT/tests/dialogs" --out "$OUT/fuzz-$name" \
    --json "$OUT/fuzz-$name.json" >"$OUT/fuzz-$name.txt" 2>&1
  rc=$?
  cat "$OUT/fuzz-$name.txt"
  echo "fuzz exit status $rc (0: no disagreement, 1: disagreements); report $OUT/fuzz-$name.txt"
  [ $rc -le 1 ] || status=1
  [ -s "$OUT/fuzz-$name.json" ] || status=1
}

# --- Postfix ------------------------------------------------------------
run_postfix() {
  local port cfg q pid
  port=$(free_port)
  cfg="$TMP/postfix"
  q="$TMP/postfix-queue"
  mkdir -p "$cfg" "$q" "$TMP/postfix-data"
  chown postfix "$TMP/postfix-data"
  cat >"$cfg/main.cf" <<EOF
# smtpp probe: accept everything on loopback, deliver nowhere.
compatibility_level = 3.6
queue_directory = $q
data_directory = $TMP/postfix-data
mail_owner = postfix
setgid_group = postdrop
myhostname = probe.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
default_transport = discard
relay_transport = discard
local_transport = discard
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# Postfix sleeps before each error reply (1 s) and more after 10 errors;
# the suite sends many refused commands, so no sleeping here.
smtpd_error_sleep_time = 0
maillog_file_prefixes = /tmp
maillog_file = $TMP/postfix.log
EOF
  cat >"$cfg/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
  /usr/sbin/postfix -c "$cfg" check 2>"$TMP/postfix-check.log" ||
    { cat "$TMP/postfix-check.log" "$TMP/postfix.log" 2>/dev/null; return 1; }
  /usr/sbin/postfix -c "$cfg" start >/dev/null 2>"$TMP/postfix-start.log" ||
    { cat "$TMP/postfix-start.log" "$TMP/postfix.log" 2>/dev/null; return 1; }
  wait_port "$port" || { echo "postfix did not listen on $port"; cat "$TMP/postfix.log" 2>/dev/null; return 1; }
  pid=$(tr -d ' ' <"$q/pid/master.pid")
  pids+=("$pid")
  echo "postfix $(/usr/sbin/postconf -d -h mail_version) master pid $pid, config $cfg"
  probe postfix "$port"
  stop_pid "$pid"
  cp "$TMP/postfix.log" "$OUT/postfix.maillog" 2>/dev/null
  cp "$cfg/main.cf" "$OUT/postfix.main.cf"
  cp "$cfg/master.cf" "$OUT/postfix.master.cf"
}

# --- aiosmtpd -----------------------------------------------------------
run_aiosmtpd() {
  local port pid
  port=$(free_port)
  "$PY" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink \
    >"$TMP/aiosmtpd.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_port "$port" || { echo "aiosmtpd did not listen on $port"; cat "$TMP/aiosmtpd.log"; return 1; }
  echo "aiosmtpd $("$PY" -c 'import aiosmtpd; print(aiosmtpd.__version__)') pid $pid"
  probe aiosmtpd "$port"
  stop_pid "$pid"
}

if [ -z "$only" ] || [ "$only" = postfix ]; then run_postfix || status=1; fi
if [ -z "$only" ] || [ "$only" = aiosmtpd ]; then run_aiosmtpd || status=1; fi
log "reports in $OUT"
exit $status
