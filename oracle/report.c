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

void oracle_escape(char *dst, size_t cap, const uint8_t *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t k = 0;
  for (size_t i = 0; i < n && k + 5 < cap; i++) {
    uint8_t c = p[i];
    if (c == '\r') {
      dst[k++] = '\\';
      dst[k++] = 'r';
    } else if (c == '\n') {
      dst[k++] = '\\';
      dst[k++] = 'n';
    } else if (c >= 32 && c < 127 && c != '\\') {
      dst[k++] = (char)c;
    } else {
      dst[k++] = '\\';
      dst[k++] = 'x';
      dst[k++] = hex[c >> 4];
      dst[k++] = hex[c & 15];
    }
  }
  if (cap)
    dst[k < cap ? k : cap - 1] = '\0';
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
