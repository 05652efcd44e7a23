/*
 * model_line.c - line framing and the verb, restated from RFC 5321 2.3.8,
 * 4.1.1.4 and 2.4: a command line ends with CR LF and nothing else (a bare
 * LF ends it only with SMTPP_LENIENT_BARE_LF); the verb is the leading run
 * of letters, compared without regard to case.
 */
#include "model.h"

size_t model_line(const uint8_t *p, size_t n, int bare_lf, size_t *content) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != '\n')
      continue;
    int cr = i > 0 && p[i - 1] == '\r'; /* the CR must be in this line */
    if (cr) {
      *content = i - 1;
      return i + 1;
    }
    if (bare_lf) {
      *content = i;
      return i + 1;
    }
  }
  *content = 0;
  return 0;
}

static const char *const verbs[SMTPP_VERB__COUNT] = {
  [SMTPP_VERB_HELO] = "HELO", [SMTPP_VERB_EHLO] = "EHLO",
  [SMTPP_VERB_MAIL] = "MAIL", [SMTPP_VERB_RCPT] = "RCPT",
  [SMTPP_VERB_DATA] = "DATA", [SMTPP_VERB_BDAT] = "BDAT",
  [SMTPP_VERB_RSET] = "RSET", [SMTPP_VERB_VRFY] = "VRFY",
  [SMTPP_VERB_EXPN] = "EXPN", [SMTPP_VERB_HELP] = "HELP",
  [SMTPP_VERB_NOOP] = "NOOP", [SMTPP_VERB_QUIT] = "QUIT",
  [SMTPP_VERB_STARTTLS] = "STARTTLS", [SMTPP_VERB_AUTH] = "AUTH",
};

static int is_letter(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static uint8_t up(uint8_t c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

int model_verb(const uint8_t *p, size_t n, size_t *vlen) {
  size_t k = 0;
  while (k < n && is_letter(p[k]))
    k++;
  *vlen = k;
  for (int v = 1; v < SMTPP_VERB__COUNT; v++) {
    const char *name = verbs[v];
    size_t i = 0;
    while (name[i] && i < k && up(p[i]) == (uint8_t)name[i])
      i++;
    if (name[i] == '\0' && i == k)
      return v;
  }
  return SMTPP_VERB_NONE;
}
