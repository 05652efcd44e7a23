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

static int same_code(const model_reply *m, const known_reply *r) {
  return r->code == m->code || (m->alt_code && r->code == m->alt_code);
}

static int helo_sit(int sit) {
  return sit == ALLOWED_HELO_OK || sit == ALLOWED_HELO_BAD_ARGS ||
         sit == ALLOWED_HELO_REFUSED;
}

int oracle_known_match(const model_reply *m, const known_reply *r) {
  int s = m->sit;
  if (m->quirk == MODEL_Q_NOOP_ARGS && r->code == 501)
    return ORACLE_KNOWN_NOOP_ARGS;
  if (m->quirk == MODEL_Q_EMPTY_AUTH && r->code == 501)
    return ORACLE_KNOWN_EMPTY_AUTH_RESPONSE;
  if ((s == ALLOWED_MAIL_NON_ASCII || s == ALLOWED_RCPT_NON_ASCII) && r->code == 501)
    return ORACLE_KNOWN_NON_ASCII_ADDRESS;
  if (s == ALLOWED_PARAM_VALUE_NOT_IMPL && r->code == 504)
    return ORACLE_KNOWN_BINARYMIME_504;
  if (s == ALLOWED_BDAT_MALFORMED && r->code == 501)
    return ORACLE_KNOWN_BDAT_MALFORMED_501;
  if (!same_code(m, r))
    return -1;
  /* same code, another enhanced code or text */
  if (m->quirk == MODEL_Q_HOST_TEXT)
    return ORACLE_KNOWN_HELO_HOST_TEXT;
  if (helo_sit(s) && r->enh[0] && !m->enh[0])
    return ORACLE_KNOWN_ENH_ON_HELO_REPLY;
  if (m->helo != 2 && m->enh[0] && !r->enh[0])
    return ORACLE_KNOWN_ENH_ONLY_AFTER_EHLO;
  if ((s == ALLOWED_MAIL_BAD_PATH || s == ALLOWED_RCPT_BAD_PATH ||
       s == ALLOWED_MAIL_PATH_TOO_LONG || s == ALLOWED_MAIL_NON_ASCII ||
       s == ALLOWED_RCPT_NON_ASCII) &&
      (strcmp(r->enh, "5.5.4") == 0 || strcmp(r->enh, "5.1.3") == 0))
    return ORACLE_KNOWN_ADDRESS_ENH;
  if (s == ALLOWED_AUTH_BAD_BASE64 && strcmp(r->enh, "5.5.4") == 0)
    return ORACLE_KNOWN_AUTH_BASE64_ENH;
  if (s == ALLOWED_AUTH_DEFAULT && m->code / 100 == 4 && strcmp(r->enh, "5.7.8") == 0)
    return ORACLE_KNOWN_AUTH_REFUSAL_ENH;
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
