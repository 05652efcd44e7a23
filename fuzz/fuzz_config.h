/*
 * fuzz_config.h - the selector at the start of fuzz_session inputs: the
 * config (offered extensions, SIZE limit, error budget, leniencies), the
 * split points and the host's decisions, so one binary covers every mode (llhttp's fuzzer does the
 * same).  Layout in fuzz/README.md.
 */
#ifndef FUZZ_CONFIG_H
#define FUZZ_CONFIG_H

#include "decide.h"
#include "smtpp/smtpp.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FUZZ_SELECTOR 4
#define FUZZ_MAX_SPLITS 7

typedef struct fuzz_setup {
  smtpp_config cfg;
  size_t splits[FUZZ_MAX_SPLITS];
  size_t nsplits;
  oracle_tape tape;  /* the host's decisions (decide.h) */
  const uint8_t *in; /* the client's bytes */
  size_t len;
} fuzz_setup;

/* Decodes the selector; octets missing from a short input read as 0 (the
 * default config, no client bytes).  Returns 1. */
int fuzz_select(const uint8_t *data, size_t size, fuzz_setup *fs);
void fuzz_print_setup(const fuzz_setup *fs, FILE *f);

#endif
