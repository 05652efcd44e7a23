/*
 * probe_fuzz.c - see probe_fuzz.h.
 */
#include "probe_fuzz.h"

#include "cli.h"

int probe_fuzz(const probe_fuzz_opts *o, const pserver *srv,
               const pcase *cases, size_t ncases) {
  (void)o;
  (void)srv;
  (void)cases;
  (void)ncases;
  cli_usage_error("probe", "--fuzz is not implemented yet");
  return CLI_EXIT_USAGE;
}
