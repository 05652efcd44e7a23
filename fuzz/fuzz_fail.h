/* fuzz_fail.h - for every harness: FUZZ_FAIL reports a layer target's
 * disagreement with the model and aborts (the fuzzer keeps the input as a
 * crash); FUZZ_HARNESS marks harness code. */
#ifndef FUZZ_FAIL_H
#define FUZZ_FAIL_H

/* Harness code (chunking loops, logs, comparisons with the model) is left
 * without coverage instrumentation, like the oracle: coverage steers by the
 * parser alone, and the harness's own comparison callbacks cost more than
 * the layer under test (bench/fuzz_speed.sh).  ASan and UBSan still apply. */
#if defined(__clang__)
#define FUZZ_HARNESS __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_HARNESS
#endif

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_FAIL(...)                                                        \
  do {                                                                        \
    fprintf(stderr, "%s: model disagrees: ", __FILE__);                       \
    fprintf(stderr, __VA_ARGS__);                                             \
    fputc('\n', stderr);                                                      \
    abort();                                                                  \
  } while (0)

#endif
