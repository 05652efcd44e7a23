/* fuzz_fail.h - report a layer target's disagreement with the model and
 * abort (the fuzzer keeps the input as a crash). */
#ifndef FUZZ_FAIL_H
#define FUZZ_FAIL_H

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
