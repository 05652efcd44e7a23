#!/usr/bin/env bash
# ci/probe_real.sh - probe real SMTP servers with `smtpp probe` (run by
# hand, not by ci/test.sh).  Installs what is missing, starts each server
# on 127.0.0.1 with a config that accepts and discards all mail, runs
#   smtpp probe --tcp 127.0.0.1:PORT --mode all --json ... --junit ...
# (or --cmd for the stdio servers) and stops each by the PID it started.
#
# Servers (NAME):
#   postfix            Postfix (Debian package), stock smtpd
#   postfix-hardened   the same master, smtpd_forbid_bare_newline=yes and no
#                      exclusions (the default exempts $mynetworks, loopback too)
#   aiosmtpd           python3-aiosmtpd, Sink handler, SIZE 10240000
#   exim               Exim 4.96 over TCP (apt-get download + dpkg -x)
#   exim-bs            the same Exim as `exim4 -bs` on stdin/stdout
#   opensmtpd          OpenSMTPD 6.8 (apt-get download + dpkg -x)
#   smtp-server        node smtp-server 3.21.7 (npm), an accept-all sink
#
#   ci/probe_real.sh                 every server (installs what is missing)
#   ci/probe_real.sh --no-install    do not touch apt/npm; skip what is missing
#   ci/probe_real.sh --only NAME     one server (repeatable)
#   ci/probe_real.sh --fuzz [SEC]    `smtpp probe --fuzz --time SEC` (default
#                                    60) instead of the suite
#
# Environment: SMTPP=path to a built smtpp (default: build one into
# <repo>/build-probe), OUT=report directory (default <repo>/build-probe/
# results), MODE=probe modes (default all), WORK=where servers are unpacked
# and npm installs (default /var/tmp/smtpp-probe-real; reused next time).
# Needs root (Postfix, Exim and OpenSMTPD drop privileges to their users;
# OpenSMTPD gets system users opensmtpd/opensmtpq and /var/spool/smtpd).
# Writes OUT/NAME.txt (report), NAME.json, NAME.xml (JUnit), NAME.time
# (seconds) and OUT/summary.txt (violations/deviations/advisories/
# inconclusive per server).
# Exit status: 0 every server was probed (findings are in the reports), 1 a
# server could not be set up or probed, 2 bad usage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL="postfix postfix-hardened aiosmtpd exim exim-bs opensmtpd smtp-server"
install=1
only=""
fuzz=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,34s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    --no-install) install=0 ;;
    --only) [ -n "${2:-}" ] || { echo "ci/probe_real.sh: --only needs a NAME" >&2; exit 2; }
            case " $ALL " in *" $2 "*) ;; *) echo "ci/probe_real.sh: --only: one of $ALL" >&2; exit 2 ;; esac
            only="$only $2"; shift ;;
    --fuzz) fuzz=60
            case "${2:-}" in [0-9]*) fuzz=$2; shift ;; esac ;;
    *) echo "ci/probe_real.sh: unknown option '$1' (allowed: --no-install, --only NAME, --fuzz [SEC], -h)" >&2
       exit 2 ;;
  esac
  shift
done
[ -n "$only" ] || only="$ALL"
[ "$(id -u)" = 0 ] || { echo "ci/probe_real.sh: needs root (the servers drop privileges)" >&2; exit 1; }

log() { printf '\n== %s\n' "$*"; }
PY=/usr/bin/python3   # Debian's python, where python3-aiosmtpd lives
WORK="${WORK:-/var/tmp/smtpp-probe-real}"
mkdir -p "$WORK"
wants() { case " $only " in *" $1 "*) return 0 ;; esac; return 1; }

# --- packages -----------------------------------------------------------
apt_ready=0
apt_install() {   # Debian packages, installed
  [ $install -eq 1 ] || return 1
  export DEBIAN_FRONTEND=noninteractive
  # "No configuration": Postfix's postinst writes no setup and starts
  # nothing; this script brings its own config.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  [ $apt_ready -eq 1 ] || { apt-get update -qq || return 1; apt_ready=1; }
  apt-get install -y -qq --no-install-recommends "$@"
}
apt_unpack() {    # DIR PACKAGE...: downloaded and unpacked, not installed
  local dir=$1; shift
  [ -d "$dir/root" ] && return 0
  [ $install -eq 1 ] || return 1
  [ $apt_ready -eq 1 ] || { apt-get update -qq || return 1; apt_ready=1; }
  mkdir -p "$dir/debs" "$dir/root"
  (cd "$dir/debs" && apt-get download "$@") || return 1
  for f in "$dir"/debs/*.deb; do dpkg -x "$f" "$dir/root" || return 1; done
}

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
: >"$OUT/summary.txt"

TMP="$(mktemp -d /tmp/smtpp-probe-real.XXXXXX)"
chmod 755 "$TMP"   # the servers' users must reach their directories
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
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

# Waits until 127.0.0.1:$1 answers with a greeting (20 s at most): a cold
# server (Exim's first child) can take seconds on a loaded machine, longer
# than the probe's reply timeout.
wait_greeting() {
  local i line
  for i in $(seq 1 20); do
    line=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; read -t 4 l <&3; echo \"\$l\"" 2>/dev/null)
    case "$line" in 220*) return 0 ;; esac
    sleep 1
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
# probe NAME (--tcp 127.0.0.1:PORT | --cmd COMMAND)
probe() {
  local name=$1 rc t0 t1; shift
  if [ "$fuzz" -gt 0 ]; then fuzz_probe "$name" "$@"; return; fi
  log "probing $name ($*, mode $MODE)"
  if [ "$1" = --tcp ]; then
    wait_greeting "${2##*:}" || echo "warning: no greeting from $2 within 20 s"
  fi
  echo "+ smtpp probe $* --mode $MODE --json $OUT/$name.json --junit $OUT/$name.xml"
  t0=$(date +%s.%N)
  "$SMTPP" probe "$@" --mode "$MODE" --timeout 3000 \
    --suite "$ROOT/tests/dialogs" \
    --json "$OUT/$name.json" --junit "$OUT/$name.xml" >"$OUT/$name.txt" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$OUT/$name.time"
  sed -n '/^Totals/,$p' "$OUT/$name.txt"
  echo "probe exit status $rc (0: no violation, 1: violations); $(cat "$OUT/$name.time") s; report $OUT/$name.txt"
  printf '%-18s %s  (%s s)\n' "$name" \
    "$(sed -n 's/^root causes: //p' "$OUT/$name.txt")" "$(cat "$OUT/$name.time")" >>"$OUT/summary.txt"
  [ $rc -le 1 ] || status=1
  [ -s "$OUT/$name.json" ] || status=1
}

# Differential fuzzing: the server against libsmtpp configured like its
# EHLO reply; exit status 1 just means disagreements were found.
fuzz_probe() {   # NAME ARGS...
  local name=$1 rc seed=${SEED:-1}; shift
  log "fuzzing $name ($*) for ${fuzz}s (seed $seed)"
  rm -rf "$OUT/fuzz-$name"
  "$SMTPP" probe --fuzz "$@" --time "$fuzz" \
    --count 100000 --seed "$seed" --timeout 3000 \
    --suite "$ROOT/tests/dialogs" --out "$OUT/fuzz-$name" \
    --json "$OUT/fuzz-$name.json" >"$OUT/fuzz-$name.txt" 2>&1
  rc=$?
  tail -n 30 "$OUT/fuzz-$name.txt"
  echo "fuzz exit status $rc (0: no disagreement, 1: disagreements); report $OUT/fuzz-$name.txt"
  [ $rc -le 1 ] || status=1
  [ -s "$OUT/fuzz-$name.json" ] || status=1
}

# --- Postfix: stock and hardened smtpd under one master ------------------
run_postfix() {
  local port port2 cfg q pid
  command -v /usr/sbin/postfix >/dev/null 2>&1 || apt_install postfix ||
    { echo "postfix is missing"; return 1; }
  port=$(free_port); port2=$(free_port)
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
smtpd_banner = \$myhostname ESMTP Postfix
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
# Postfix sleeps before each error reply (1 s after 10 errors); the suite
# sends many refused commands, so no sleeping here.
smtpd_error_sleep_time = 0
maillog_file_prefixes = /tmp
maillog_file = $TMP/postfix.log
EOF
  cat >"$cfg/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
127.0.0.1:$port2 inet n - n - - smtpd -o smtpd_forbid_bare_newline=yes -o smtpd_forbid_bare_newline_exclusions=
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
  wait_port "$port" && wait_port "$port2" ||
    { echo "postfix did not listen on $port/$port2"; cat "$TMP/postfix.log" 2>/dev/null; return 1; }
  pid=$(tr -d ' ' <"$q/pid/master.pid")
  pids+=("$pid")
  echo "postfix $(/usr/sbin/postconf -d -h mail_version) master pid $pid, config $cfg"
  wants postfix && probe postfix --tcp "127.0.0.1:$port"
  wants postfix-hardened && probe postfix-hardened --tcp "127.0.0.1:$port2"
  stop_pid "$pid"
  cp "$TMP/postfix.log" "$OUT/postfix.maillog" 2>/dev/null
  cp "$cfg/main.cf" "$OUT/postfix.main.cf"
  cp "$cfg/master.cf" "$OUT/postfix.master.cf"
}

# --- aiosmtpd -----------------------------------------------------------
run_aiosmtpd() {
  local port pid
  "$PY" -c 'import aiosmtpd' >/dev/null 2>&1 || apt_install python3-aiosmtpd ||
    { echo "python3-aiosmtpd is missing"; return 1; }
  port=$(free_port)
  "$PY" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink \
    -s 10240000 >"$TMP/aiosmtpd.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_port "$port" || { echo "aiosmtpd did not listen on $port"; cat "$TMP/aiosmtpd.log"; return 1; }
  echo "aiosmtpd $("$PY" -c 'import aiosmtpd; print(aiosmtpd.__version__)') pid $pid"
  probe aiosmtpd --tcp "127.0.0.1:$port"
  stop_pid "$pid"
}

# --- Exim 4.96: unpacked, not installed (it conflicts with postfix) ------
run_exim() {
  local port pid dir="$WORK/exim" x cfg="$TMP/exim.conf"
  apt_unpack "$dir" exim4-daemon-light exim4-base exim4-config ||
    { echo "exim could not be unpacked"; return 1; }
  x="$dir/root/usr/sbin/exim4"
  port=$(free_port)
  mkdir -p "$TMP/exim/spool" "$TMP/exim/log"
  chown -R nobody:nogroup "$TMP/exim"
  cat >"$cfg" <<EOF
# smtpp probe: Exim on loopback, accept any recipient, discard every message
primary_hostname = probe-exim.localhost
spool_directory = $TMP/exim/spool
log_file_path = $TMP/exim/log/%slog
pid_file_path = $TMP/exim/exim.pid
exim_path = $x
exim_user = nobody
exim_group = nogroup
daemon_smtp_ports = $port
local_interfaces = 127.0.0.1
never_users =
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
message_size_limit = 10240000
smtp_accept_max_per_connection = 100000
smtp_receive_timeout = 30s
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
begin acl
acl_rcpt:
  accept
acl_data:
  discard
begin routers
blackhole:
  driver = redirect
  data = :blackhole:
begin transports
begin retry
*   *   F,1h,15m
begin rewrite
begin authenticators
EOF
  if wants exim; then
    "$x" -C "$cfg" -bdf >"$TMP/exim.out" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port "$port" || { echo "exim did not listen on $port"; cat "$TMP/exim.out" "$TMP"/exim/log/* 2>/dev/null; return 1; }
    echo "exim $("$x" -C "$cfg" -bV 2>/dev/null | sed -n '1s/^Exim version \([^ ]*\).*/\1/p') pid $pid"
    probe exim --tcp "127.0.0.1:$port"
    stop_pid "$pid"
  fi
  if wants exim-bs; then
    probe exim-bs --cmd "$x -C $cfg -bs"
  fi
}

# --- OpenSMTPD 6.8: unpacked, run in its own mount namespace ------------
run_opensmtpd() {
  local port pid dir="$WORK/opensmtpd" s cfg="$TMP/smtpd.conf" u
  apt_unpack "$dir" opensmtpd || { echo "opensmtpd could not be unpacked"; return 1; }
  s="$dir/root/usr/sbin/smtpd"
  for u in opensmtpd opensmtpq; do
    id "$u" >/dev/null 2>&1 ||
      adduser --system --group --no-create-home --home /var/lib/opensmtpd "$u" >/dev/null ||
      { echo "cannot create the user $u"; return 1; }
  done
  # its compiled-in paths
  mkdir -p /var/lib/opensmtpd/empty /var/spool/smtpd
  chmod 711 /var/spool/smtpd
  [ -e /usr/libexec/opensmtpd ] || ln -s "$dir/root/usr/libexec/opensmtpd" /usr/libexec/opensmtpd
  port=$(free_port)
  cat >"$cfg" <<EOF
table catchall { "@" = "opensmtpd" }
smtp limit max-mails 1000000
listen on 127.0.0.1 port $port hostname probe-opensmtpd.localdomain
action "devnull" mda "cat >/dev/null" virtual <catchall>
match from any for any action "devnull"
EOF
  echo "lookup file" >"$TMP/resolv.conf"
  "$s" -n -f "$cfg" >/dev/null || { echo "opensmtpd rejects its config"; return 1; }
  # Its resolver asks DNS for every client: give it, in a private mount
  # namespace only, a resolv.conf that looks in /etc/hosts alone, and a
  # /run of its own (its control socket /run/smtpd.sock would clash with
  # another smtpd on the machine).  exec: the PID recorded is smtpd's own.
  unshare -m --propagation private sh -c \
    "mount --bind $TMP/resolv.conf /etc/resolv.conf && mount -t tmpfs tmpfs /run && exec $s -d -f $cfg" \
    >"$TMP/opensmtpd.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_port "$port" || { echo "opensmtpd did not listen on $port"; cat "$TMP/opensmtpd.log"; return 1; }
  echo "opensmtpd $("$s" -h 2>&1 | head -1) pid $pid"
  probe opensmtpd --tcp "127.0.0.1:$port"
  stop_pid "$pid"
}

# --- node smtp-server (nodemailer) --------------------------------------
run_smtp_server() {
  local port pid dir="$WORK/node"
  command -v node >/dev/null 2>&1 || { echo "node is missing"; return 1; }
  mkdir -p "$dir"
  if [ ! -d "$dir/node_modules/smtp-server" ]; then
    [ $install -eq 1 ] || { echo "smtp-server is missing (npm)"; return 1; }
    (cd "$dir" && { [ -f package.json ] || echo '{ "name": "smtpp-probe-peers", "version": "1.0.0", "private": true }' >package.json; } &&
      npm install --no-audit --no-fund smtp-server@3.21.7 >/dev/null) || return 1
  fi
  cat >"$dir/sink.cjs" <<'EOF'
// smtpp probe: node smtp-server as an accept-all, discard-all sink on
// loopback; no AUTH, no STARTTLS, no reverse DNS, SIZE 10 MiB.
'use strict';
const { SMTPServer } = require('smtp-server');
const server = new SMTPServer({
  name: 'probe-smtp-server', banner: 'probe smtp-server ready',
  disabledCommands: ['AUTH', 'STARTTLS'], disableReverseLookup: true,
  logger: false, size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => callback(null, 'Message accepted'));
  },
});
server.on('error', (err) => { console.error('smtp-server error:', err.message); });
server.listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
EOF
  port=$(free_port)
  (cd "$dir" && exec node sink.cjs "$port" </dev/null >"$TMP/smtp-server.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  wait_port "$port" || { echo "smtp-server did not listen on $port"; cat "$TMP/smtp-server.log"; return 1; }
  echo "smtp-server $(cd "$dir" && node -p 'require("smtp-server/package.json").version') pid $pid"
  probe smtp-server --tcp "127.0.0.1:$port"
  stop_pid "$pid"
}

if wants postfix || wants postfix-hardened; then run_postfix || status=1; fi
if wants aiosmtpd; then run_aiosmtpd || status=1; fi
if wants exim || wants exim-bs; then run_exim || status=1; fi
if wants opensmtpd; then run_opensmtpd || status=1; fi
if wants smtp-server; then run_smtp_server || status=1; fi
log "summary (root causes per verdict; the probe's run time)"
cat "$OUT/summary.txt"
log "reports in $OUT"
exit $status
