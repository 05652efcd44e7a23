#!/usr/bin/env bash
# ci/triage.sh - turn one finding into what a fix needs.
#
#   ci/triage.sh FINDING [--layer session] [--name NAME] [--engine libfuzzer|afl]
#
#   FINDING        a crash/violation input (ci/fuzz.sh: <campaign>/findings/*/input,
#                  or a raw crash-* / crashes/id:* file)
#   --layer L      its target's layer: session (default), line, command,
#                  address, params, data
#   --name NAME    file name in corpus/regress/<layer>/ (lowercase, hyphens:
#                  say what it was); default: finding-<property>-<sha1 prefix>
#   --engine E     minimizer: libfuzzer (default, -minimize_crash=1) or afl
#                  (afl-tmin)
#   -h, --help     this help
#
# Writes:
#   corpus/regress/<layer>/NAME        the minimized input (ctest replays it)
#   out/triage/NAME.report.txt         the replay's report (oracle / sanitizer)
#   out/triage/NAME.transcript.txt     `smtpp check` of it (session layer)
#   out/triage/NAME.dialog             a tests/dialogs skeleton: the client
#                                      lines are filled in, the expected
#                                      replies are FILL-IN for the developer; move
#                                      it to tests/dialogs/NNN-*.dialog when done
# Exit status: 0 the input reproduces and was triaged, 1 it does not
# reproduce (nothing written) or a step failed, 2 bad usage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ci/fuzz-lib.sh
. "$ROOT/ci/fuzz-lib.sh"

usage() { sed -n '2,27s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "ci/triage.sh: $*" >&2; echo "Try 'ci/triage.sh --help'." >&2; exit 2; }
die() { echo "ci/triage.sh: $*" >&2; exit 1; }

finding="" layer=session name="" engine=libfuzzer
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --layer|--name|--engine)
      [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"
      case "$1" in --layer) layer="$2" ;; --name) name="$2" ;; --engine) engine="$2" ;; esac
      shift ;;
    --layer=*) layer="${1#*=}" ;;
    --name=*) name="${1#*=}" ;;
    --engine=*) engine="${1#*=}" ;;
    -*) die_usage "unknown option '$1'" ;;
    *) [ -z "$finding" ] || die_usage "one FINDING only (got '$finding' and '$1')"
       finding="$1" ;;
  esac
  shift
done
[ -n "$finding" ] || die_usage "expects a FINDING file"
[ -f "$finding" ] || die_usage "'$finding' is not a file"
layer="$(layer_of "$layer")" || die_usage "--layer: one of: $FUZZ_LAYERS_ALL"
case "$engine" in libfuzzer|afl) ;; *) die_usage "--engine: libfuzzer or afl" ;; esac
if [ -n "$name" ] && ! [[ "$name" =~ ^[a-z0-9][a-z0-9._-]*$ ]]; then
  die_usage "--name: lowercase letters, digits, '.', '_' and '-' (got '$name')"
fi
T="fuzz_$layer"
finding="$(cd "$(dirname "$finding")" && pwd)/$(basename "$finding")"

flog "build (build-fuzz: fuzz_$layer, replay_$T, smtpp)"
build_fuzz "$T" "replay_$T" smtpp || die "build failed"
[ "$engine" = afl ] && { build_afl asan "$T" >/dev/null || die "AFL++ ASan build failed"; }

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
rc=0; (replay_report "$T" "$finding" "$tmp/report") 2>/dev/null || rc=$?
if [ "$rc" = 0 ]; then
  cat "$tmp/report" >&2
  die "$finding does not reproduce with $(replay_bin "$T") (exit 0): nothing to triage"
fi
key="$(finding_key "$tmp/report")"
flog "reproduces: $key"

flog "minimize ($engine)"
if [ "$engine" = afl ]; then
  minimize_afl "$T" "$finding" "$tmp/min" "$key"
else
  minimize_libfuzzer "$T" "$finding" "$tmp/min" "$key" 60
fi
echo "   $(stat -c %s "$finding") -> $(stat -c %s "$tmp/min") octets"

if [ -z "$name" ]; then
  prop="$(sed -E 's/^(P[0-9]+)_.*/\1/; s/ in .*//' <<<"$key" | tr 'A-Z_' 'a-z-')"
  name="finding-$(slug "$prop")-$(sha1sum "$tmp/min" | cut -c1-8)"
fi
regress="$ROOT/corpus/regress/$layer"
mkdir -p "$regress" "$ROOT/out/triage"
dest="$regress/$name"
if [ -e "$dest" ] && ! cmp -s "$dest" "$tmp/min"; then
  die "$dest exists with other content; pick another --name"
fi
cp "$tmp/min" "$dest"
rep="$ROOT/out/triage/$name.report.txt"
(replay_report "$T" "$dest" "$rep") 2>/dev/null || true

transcript="" dialog=""
if [ "$layer" = session ]; then
  transcript="$ROOT/out/triage/$name.transcript.txt"
  ("$(smtpp_bin)" check "$dest" >"$transcript" 2>&1; exit $?) 2>/dev/null || true
  dialog="$ROOT/out/triage/$name.dialog"
  # the client's bytes (after the selector and split points) as R: lines,
  # one per CRLF-ended line, config as directives: `smtpp check
  # --skeleton` decodes the input with the one decoder of the layout
  # (fuzz/fuzz_config.c), as the fuzz target and the probe do
  "$(smtpp_bin)" check --skeleton "$name: $key" "$dest" >"$dialog" ||
    die "cannot write the dialog skeleton $dialog"
fi

echo
echo "== triaged: $key"
printf '  %-11s %s (%s octets)\n' "regression" "$dest" "$(stat -c %s "$dest")"
printf '  %-11s %s\n' "report" "$rep"
[ -n "$transcript" ] && printf '  %-11s %s\n' "transcript" "$transcript"
[ -n "$dialog" ] && printf '  %-11s %s (skeleton: fill in the FILL-IN replies, then move it to tests/dialogs/)\n' "dialog" "$dialog"
printf '  %-11s %s\n' "reproduce" "$(reproduce_cmd "$T" "$dest")"
echo "  next: fix the parser, then ctest (corpus_regress_$layer replays it); docs/REPRODUCING.md"
exit 0
