#!/bin/sh
# explain.sh SMTPP CASE.txt - runs `smtpp explain` with the arguments of the
# case file's "# args:" line and compares stdout, stderr and the exit status
# with the rest of the file, which is exactly what the command must print:
#
#   # args: 250 503
#   ...stdout...
#   # stderr:
#   ...stderr...
#   # exit: 0
#
# A new case is a new file in tools/tests/explain/ (tools/tests/CMakeLists.txt
# adds one ctest per file).
set -u
smtpp=$1 case=$2
args=$(sed -n '1s/^# args: *//p' "$case")
out=$(mktemp) err=$(mktemp) got=$(mktemp)
trap 'rm -f "$out" "$err" "$got"' EXIT
# shellcheck disable=SC2086  # the args are a word list
"$smtpp" explain $args >"$out" 2>"$err"
rc=$?
{
  echo "# args: $args"
  cat "$out"
  echo "# stderr:"
  cat "$err"
  echo "# exit: $rc"
} >"$got"
if ! diff -u "$case" "$got"; then
  echo "explain.sh: smtpp explain $args differs from $case (- expected, + got)" >&2
  exit 1
fi
