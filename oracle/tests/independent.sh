#!/bin/sh
# independent.sh - the model must derive every expectation by its own
# route (docs/DESIGN.md "The model's independence"): its sources may use
# the public API only to drive the parser and to name things, never the
# parser's tables or private state.  Fails (exit 1) naming every line of
# oracle/model*, allowed.* or decide.* that reaches for one of them.
#
#   independent.sh ORACLE_DIR          check the sources
#   independent.sh --self-test ORACLE_DIR
#        plant each forbidden name in a copy of the sources and check that
#        every planting is caught (a check that cannot fail is a defect)
set -u
FORBIDDEN='SMTPP_ERROR_TABLE|smtpp_err_code|smtpp_err_reason|smtpp_commands|smtpp_cclass|SMTPP_C_[A-Z]|smtpp_verb_lookup|smtpp_get_state|smtpp_state_name|SMTPP_ST_[A-Z]|internal\.h|parser/src|smtpp_ci_eq|smtpp_ci_prefix|smtpp_check_|smtpp_parse_'

check() {
  dir=$1
  files=$(ls "$dir"/model*.c "$dir"/model*.h "$dir"/allowed.c "$dir"/allowed.h \
             "$dir"/decide.c "$dir"/decide.h 2>/dev/null)
  [ -n "$files" ] || { echo "independent: no model sources in $dir" >&2; return 2; }
  if grep -nE "$FORBIDDEN" $files; then
    echo "independent: the model reaches for parser knowledge (lines above)" >&2
    return 1
  fi
  return 0
}

if [ "${1:-}" = "--self-test" ]; then
  src=$2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  check "$src" >/dev/null || { echo "self-test: the real sources already fail" >&2; exit 1; }
  for plant in 'SMTPP_ERROR_TABLE(XX)' 'smtpp_err_code(err)' 'smtpp_commands[v].flags' \
               'smtpp_cclass[c]' 'smtpp_get_state(s)' '#include "internal.h"' \
               'SMTPP_ST_CMD_AFTER_RCPT' 'smtpp_verb_lookup(p, e, &n)'; do
    rm -f "$tmp"/*
    cp "$src"/model*.c "$src"/model*.h "$src"/allowed.c "$src"/allowed.h \
       "$src"/decide.c "$src"/decide.h "$tmp"/
    printf '%s\n' "$plant" >> "$tmp"/model_cmd.c
    if check "$tmp" >/dev/null 2>&1; then
      echo "self-test: planted '$plant' was not caught" >&2
      exit 1
    fi
  done
  echo "self-test: every planted reference caught"
  exit 0
fi
check "${1:?usage: independent.sh [--self-test] ORACLE_DIR}"
