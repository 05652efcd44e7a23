/* report.c - property names and the printed report of a violation. */
#include "known.h"
#include "oracle.h"

#include <stdio.h>

static const char *const names[] = {
#define XX(n, name, desc) [n] = #name,
  ORACLE_PROPS(XX)
#undef XX
};
static const char *const descs[] = {
#define XX(n, name, desc) [n] = desc,
  ORACLE_PROPS(XX)
#undef XX
};

const char *oracle_prop_name(int p) {
  return p > 0 && p < ORACLE__COUNT ? names[p] : "NONE";
}

const char *oracle_prop_desc(int p) {
  return p > 0 && p < ORACLE__COUNT ? descs[p] : "";
}

static void print_known(const oracle_report *rep, FILE *f) {
  for (int k = 0; k < ORACLE_KNOWN__COUNT; k++)
    if ((rep->known >> k) & 1)
      fprintf(f, "  known disagreement %s (%s): today's parser: %s\n",
              oracle_known_name(k), oracle_known_rfc(k), oracle_known_what(k));
}

void oracle_report_print(const oracle_report *rep, FILE *f) {
  if (!rep->prop) {
    fprintf(f, "oracle: all properties hold\n");
    print_known(rep, f);
    return;
  }
  fprintf(f, "oracle: VIOLATION %s (%s)\n", oracle_prop_name(rep->prop),
          oracle_prop_desc(rep->prop));
  fprintf(f, "  input offset %zu, command \"%s\"\n", rep->offset, rep->command);
  fprintf(f, "  expected %s\n  actual   %s\n  %s\n", rep->expected, rep->actual,
          rep->detail);
  for (int p = 1; p < ORACLE__COUNT; p++)
    if ((rep->fired >> p) & 1)
      fprintf(f, "  fired: %s\n", oracle_prop_name(p));
  print_known(rep, f);
}
