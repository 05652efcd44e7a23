/*
 * fuzz_session.c - the whole session under the oracle (docs/DESIGN.md 5).
 *
 * Input layout (fuzz/README.md): 4 selector octets, 2 octets per split
 * point, then the client's bytes.  All-zero selector octets mean the
 * default config fed in one piece, so hand-made seeds start "\0\0\0\0".
 * On a violation the report is printed and the process aborts.
 */
#include "fuzz_config.h"
#include "fuzz_fail.h"
#include "oracle.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_HARNESS int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_setup fs;
  if (!fuzz_select(data, size, &fs))
    return 0;
  oracle_report rep;
  if (oracle_run(&fs.cfg, fs.in, fs.len, fs.splits, fs.nsplits, &fs.tape, &rep)) {
    fuzz_print_setup(&fs, stderr);
    oracle_report_print(&rep, stderr);
    abort();
  }
  return 0;
}
