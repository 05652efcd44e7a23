/*
 * probe_fuzz.h - `smtpp probe --fuzz`: differential fuzzing of a live
 * server against libsmtpp (probe_fuzz.c).
 */
#ifndef SMTPP_TOOLS_PROBE_FUZZ_H
#define SMTPP_TOOLS_PROBE_FUZZ_H

#include "probe.h"

#include <stdint.h>

typedef struct probe_fuzz_opts {
  const char *tcp, *cmd; /* the target (loopback or the given one only) */
  const char *dict;      /* dictionary file or NULL (dict/smtp.dict) */
  const char *json;      /* report file or NULL */
  uint64_t count;        /* sessions */
  uint64_t time_s;       /* seconds */
  uint64_t seed;
  int timeout_ms;
} probe_fuzz_opts;

/* Returns the exit status: 0 no disagreement, 1 some, 2 bad usage. */
int probe_fuzz(const probe_fuzz_opts *o, const pserver *srv,
               const pcase *cases, size_t ncases);

#endif
