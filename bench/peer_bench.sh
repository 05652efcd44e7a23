#!/usr/bin/env bash
# bench/peer_bench.sh - smtpp's parse speed against a peer parser,
# stalwartlabs/smtp-proto (Rust), through an external peer kit: a folder
# with run.sh that builds this checkout's libsmtpp.a and smtp-proto offline
# and runs both on the same streams, alternating in one process.
#
#   bench/peer_bench.sh --peer-dir DIR [--build-dir DIR] [--quick]
#
#   --peer-dir DIR  the peer kit (DIR/run.sh PROJECT_DIR); default
#                   $SMTPP_PEER_PARSE_DIR
#   --build-dir     its scratch space goes to DIR/peer-parse (default
#                   build-bench, gitignored)
#   --quick         1 round of 3 repetitions instead of 5 rounds of 7
#
# Needs cargo and rustc (>= 1.85); without them, or without a peer kit,
# it prints why it skipped and exits 0.  Prints table rows, then
#   metric parse_cmd_vs_smtp_proto X    (command-heavy stream)
#   metric parse_pure_vs_smtp_proto X   (pure commands)
#   metric parse_data_vs_smtp_proto X   (data-heavy)
# each smtpp MB/s over smtp-proto MB/s in the same process run, the median
# over rounds.  What smtp-proto checks and does not: bench/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${SMTPP_PEER_PARSE_DIR:-}
build=$root/build-bench
quick=0
while [ $# -gt 0 ]; do
  case $1 in
  --peer-dir) [ $# -ge 2 ] || { echo "peer_bench: --peer-dir needs a directory" >&2; exit 2; }
              peer=$2; shift 2 ;;
  --peer-dir=*) peer=${1#--peer-dir=}; shift ;;
  --build-dir) [ $# -ge 2 ] || { echo "peer_bench: --build-dir needs a directory" >&2; exit 2; }
               build=$2; shift 2 ;;
  --build-dir=*) build=${1#--build-dir=}; shift ;;
  --quick) quick=1; shift ;;
  -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "peer_bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$peer" ]; then
  echo "peer: skipped (no peer kit: give --peer-dir DIR or set SMTPP_PEER_PARSE_DIR)"
  exit 0
fi
[ -f "$peer/run.sh" ] || { echo "peer_bench: '$peer' holds no run.sh: not a peer kit" >&2; exit 2; }
command -v cargo >/dev/null || PATH=$HOME/.cargo/bin:$PATH
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  echo "peer: skipped (cargo/rustc not found: the peer is a Rust crate)"
  exit 0
fi
mkdir -p "$build"
build=$(cd "$build" && pwd)
rounds=5 reps=7
[ "$quick" = 1 ] && rounds=1 reps=3
log="$build/peer-parse.log"
if ! PEER_PARSE_WORK="$build/peer-parse" ROUNDS=$rounds REPS=$reps \
     bash "$peer/run.sh" "$root" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "peer_bench: the peer kit failed (log: $log)" >&2
  exit 1
fi
val() { sed -n "s/^metric smtpp_vs_smtp_proto_$1 //p" "$log" | tail -n 1; }
cmd=$(val cmd) pure=$(val pure) data=$(val data)
if [ -z "$cmd" ] || [ -z "$pure" ] || [ -z "$data" ]; then
  tail -n 20 "$log" >&2
  echo "peer_bench: the peer kit printed no smtpp_vs_smtp_proto_{cmd,pure,data} figures (log: $log)" >&2
  exit 1
fi
printf '%-24s %10s %10s\n' "vs smtp-proto ($rounds x $reps)" ratio goal
printf '%-24s %10s %10s\n' command-heavy "$cmd" ">= 1.5"
printf '%-24s %10s %10s\n' pure-command "$pure" ">= 1.5"
printf '%-24s %10s %10s\n' data-heavy "$data" ""
echo "metric parse_cmd_vs_smtp_proto $cmd"
echo "metric parse_pure_vs_smtp_proto $pure"
echo "metric parse_data_vs_smtp_proto $data"
