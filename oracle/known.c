/* known.c - recognising the known disagreements of known.h. */
#include "known.h"

#include <string.h>

static const struct {
  const char *name, *rfc, *what;
  int stop;
} table[] = {
#define XX(id, name, stop, rfc, what) [id] = {#name, rfc, what, stop},
  ORACLE_KNOWN(XX)
#undef XX
};

int oracle_known_match(const model_reply *m, const known_reply *r) {
  int s = m->sit;
  if (r->code != m->code && !(m->alt_code && r->code == m->alt_code))
    return -1;
  /* same code, another enhanced code or text */
  if ((s == ALLOWED_MAIL_BAD_PATH || s == ALLOWED_RCPT_BAD_PATH) &&
      strcmp(r->enh, "5.5.4") == 0)
    return ORACLE_KNOWN_ADDRESS_ENH;
  return -1;
}

const char *oracle_known_name(int k) {
  return k >= 0 && k < ORACLE_KNOWN__COUNT ? table[k].name : "";
}
const char *oracle_known_rfc(int k) {
  return k >= 0 && k < ORACLE_KNOWN__COUNT ? table[k].rfc : "";
}
const char *oracle_known_what(int k) {
  return k >= 0 && k < ORACLE_KNOWN__COUNT ? table[k].what : "";
}
int oracle_known_stops(int k) {
  return k >= 0 && k < ORACLE_KNOWN__COUNT ? table[k].stop : 0;
}
