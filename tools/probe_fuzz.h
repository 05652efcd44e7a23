/*
 * probe_fuzz.h - `smtpp probe --fuzz`: differential fuzzing of a live
 * server against libsmtpp (probe_fuzz.c), and `smtpp probe --replay FILE`,
 * which sends one reproducer to the server and to libsmtpp and shows both
 * reply streams side by side.
 */
#ifndef SMTPP_TOOLS_PROBE_FUZZ_H
#define SMTPP_TOOLS_PROBE_FUZZ_H

#include "probe.h"

#include <stdint.h>

typedef struct probe_fuzz_opts {
  const char *tcp, *cmd; /* the target (loopback or the given one only) */
  const char *dict;      /* dictionary file or NULL (dict/smtp.dict) */
  const char *json;      /* report file or NULL */
  const char *out;       /* reproducer directory or NULL (out/probe-fuzz) */
  const char *seeds;     /* session seed directory or NULL
                            (corpus/seeds/session, if present) */
  uint64_t count;        /* sessions */
  uint64_t time_s;       /* seconds */
  uint64_t seed;
  int timeout_ms;
} probe_fuzz_opts;

/* Returns the exit status: 0 no disagreement, 1 some, 2 bad usage. */
int probe_fuzz(const probe_fuzz_opts *o, const pserver *srv,
               const dialog *cases, size_t ncases);

/* Sends the client bytes of file (a reproducer .dialog with R: lines, or
 * a raw .bin) to the server and to libsmtpp; prints both reply streams.
 * Returns 0 when they agree, 1 when not, 2 when file cannot be read. */
int probe_replay(const probe_fuzz_opts *o, const pserver *srv,
                 const char *file);

/* --fuzz and --replay talk only to loopback (127.0.0.0/8, ::1) unless
 * allow_remote.  Returns 0, or -1 after printing why not. */
int probe_fuzz_check_target(const char *tcp, int allow_remote);

#endif
