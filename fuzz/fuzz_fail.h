/* fuzz_fail.h - for every harness: FUZZ_FAIL reports a layer target's
 * disagreement with the model and aborts (the fuzzer keeps the input as a
 * crash); FUZZ_HARNESS marks harness code; fuzz_selector() reads a short
 * input's missing selector octets as 0. */
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

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A target whose layout starts with n selector octets reads the octets
 * missing from a shorter input as 0: sel gets the first n octets (zero
 * filled), and a short input becomes sel itself (n octets, nothing after
 * the selector).  So the one-byte input of OSS-Fuzz's build check still
 * runs the target down to the instrumented parser. */
FUZZ_HARNESS static inline void fuzz_selector(const uint8_t **data, size_t *size,
                                              uint8_t *sel, size_t n) {
  for (size_t i = 0; i < n; i++)
    sel[i] = i < *size ? (*data)[i] : 0;
  if (*size < n) {
    *data = sel;
    *size = n;
  }
}

#define FUZZ_FAIL(...)                                                        \
  do {                                                                        \
    fprintf(stderr, "%s: model disagrees: ", __FILE__);                       \
    fprintf(stderr, __VA_ARGS__);                                             \
    fputc('\n', stderr);                                                      \
    abort();                                                                  \
  } while (0)

#endif
