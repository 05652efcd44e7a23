/*
 * model_cmd.c - judging one complete command line, in the order of
 * docs/PROTOCOL.md "How a line is judged" (first match wins):
 *   1 over its limit 500; 2 unknown verb 500; 3 verb not followed by SP or
 *   the end, or a bare CR / LF / NUL anywhere 501; 4 extension not
 *   configured 502; 5 out of sequence 503 (state unchanged); 6 arguments.
 */
#include "model_int.h"

#include <string.h>

/* RFC 5321 4.5.3.1.4: 512 with CRLF, plus what the extensions in use grant:
 * SIZE +26 (RFC 1870 3), DSN +100 MAIL / +500 RCPT (RFC 3461 5), SMTPUTF8
 * +10 (RFC 6531 3.4), AUTH +500 MAIL (RFC 4954 5); only in an EHLO
 * session. */
static size_t line_limit(const M *m, int verb) {
  uint32_t e = m->cfg->extensions;
  size_t lim = 512;
  if (m->cfg->lenient & SMTPP_LENIENT_LONG_LINES)
    return MODEL_LINE_BUF;
  if (m->helo != 2)
    return lim;
  if (verb == SMTPP_VERB_MAIL)
    lim += (e & SMTPP_EXT_SIZE ? 26 : 0) + (e & SMTPP_EXT_DSN ? 100 : 0) +
           (e & SMTPP_EXT_SMTPUTF8 ? 10 : 0) + (e & SMTPP_EXT_AUTH ? 500 : 0);
  if (verb == SMTPP_VERB_RCPT)
    lim += (e & SMTPP_EXT_DSN ? 500 : 0) + (e & SMTPP_EXT_SMTPUTF8 ? 10 : 0);
  if (verb == SMTPP_VERB_AUTH && (e & SMTPP_EXT_AUTH))
    return MODEL_LINE_BUF; /* RFC 4954 4: responses beyond line limits */
  return lim;
}

static int in_txn(const M *m) {
  return m->state == SMTPP_ST_CMD_AFTER_MAIL ||
         m->state == SMTPP_ST_CMD_AFTER_RCPT ||
         m->state == SMTPP_ST_CMD_AFTER_BDAT;
}

/* RFC 5321 4.1.4 / 3.3; STARTTLS, AUTH, BDAT need an EHLO session. */
static int sequence_ok(const M *m, int verb) {
  switch (verb) {
  case SMTPP_VERB_MAIL:
    return m->helo && !in_txn(m);
  case SMTPP_VERB_RCPT:
    return m->helo && (m->state == SMTPP_ST_CMD_AFTER_MAIL ||
                       m->state == SMTPP_ST_CMD_AFTER_RCPT);
  case SMTPP_VERB_DATA:
    return m->helo && m->state == SMTPP_ST_CMD_AFTER_RCPT;
  case SMTPP_VERB_BDAT:
    return m->helo == 2 && (m->state == SMTPP_ST_CMD_AFTER_RCPT ||
                            m->state == SMTPP_ST_CMD_AFTER_BDAT);
  case SMTPP_VERB_STARTTLS: /* never in TLS here: tls_done is not called */
  case SMTPP_VERB_AUTH:     /* never authenticated: the default is 535 */
    return m->helo == 2 && !in_txn(m);
  default:
    return 1;
  }
}

/* BDAT SP 1*DIGIT [SP "LAST"] (RFC 3030 2); over 2^63 is malformed. */
static int bdat_args(const uint8_t *a, size_t n, uint64_t *size, int *last) {
  const uint64_t top = UINT64_C(1) << 63;
  size_t i = 0;
  uint64_t v = 0;
  while (i < n && a[i] >= '0' && a[i] <= '9') {
    uint64_t d = (uint64_t)(a[i] - '0');
    if (v > (top - d) / 10)
      return 0;
    v = v * 10 + d;
    i++;
  }
  if (i == 0)
    return 0;
  *last = 0;
  if (i < n) {
    if (a[i] != ' ' || !m_ci_is(a + i + 1, n - i - 1, "LAST"))
      return 0;
    *last = 1;
  }
  *size = v;
  return 1;
}

static void mail_rcpt(M *m, int verb, const uint8_t *a, size_t n) {
  const char *kw = verb == SMTPP_VERB_MAIL ? "FROM:" : "TO:";
  size_t i = strlen(kw);
  if (n < i || !m_ci_is(a, i, kw)) {
    m_error(m, SMTPP_ERR_SYNTAX, 0);
    return;
  }
  if (m->cfg->lenient & SMTPP_LENIENT_PATH_SPACE)
    while (i < n && a[i] == ' ')
      i++;
  size_t used;
  int alt;
  unsigned fl = verb == SMTPP_VERB_MAIL ? MODEL_PATH_NULL_OK : MODEL_PATH_POSTMASTER;
  uint32_t offered = m->helo == 2 ? m->cfg->extensions : 0;
  /* RFC 6531 3.5: a non-ASCII address outside SMTPUTF8 is 550/553 X.6.7 */
  int nonascii = verb == SMTPP_VERB_MAIL ? SMTPP_ERR_NONASCII_SENDER
                                         : SMTPP_ERR_NONASCII_RCPT;
  int err = model_path(a + i, n - i, fl, 1, &used, &alt);
  if (err) {
    int could = verb == SMTPP_VERB_MAIL ? (offered & SMTPP_EXT_SMTPUTF8) != 0
                                        : m->mail_utf8;
    int any8 = 0;
    for (size_t k = i; k < n; k++)
      any8 |= a[k] >= 0x80;
    if (any8 && !could && !(m->cfg->lenient & SMTPP_LENIENT_8BIT))
      err = nonascii, alt = 0;
    m_error(m, err, alt);
    return;
  }
  model_params prm;
  int perr = model_params_check(a + i + used, n - i - used, verb, offered,
                                (offered & SMTPP_EXT_SIZE) ? m->cfg->max_message_size : 0,
                                verb == SMTPP_VERB_RCPT && m->mail_utf8, &prm);
  /* RFC 6531 3.3: UTF-8 only when the transaction's MAIL has SMTPUTF8 */
  int utf8 = verb == SMTPP_VERB_MAIL ? prm.smtputf8 : m->mail_utf8;
  int raw8 = 0;
  for (size_t k = i; k < i + used; k++)
    raw8 |= a[k] >= 0x80;
  raw8 = raw8 && !(m->cfg->lenient & SMTPP_LENIENT_8BIT);
  int eight = raw8 && !utf8;
  if (perr && perr != SMTPP_ERR_SIZE_EXCEEDED) {
    /* 8-bit path and a bad parameter at once: either answer is right */
    m_error(m, perr, eight ? nonascii : 0);
    return;
  }
  if (eight) {
    m_error(m, nonascii, 0);
    return;
  }
  if (perr) { /* SIZE over the limit: 552 (RFC 1870 6.1) */
    m_error(m, perr, 0);
    return;
  }
  uint32_t cap = m->cfg->max_recipients ? m->cfg->max_recipients : 100;
  if (verb == SMTPP_VERB_RCPT && m->nrcpt >= cap) {
    m_error(m, SMTPP_ERR_TOO_MANY_RCPTS, 0); /* 4.5.3.1.10 */
    return;
  }
  if (verb == SMTPP_VERB_MAIL) {
    m->state = SMTPP_ST_CMD_AFTER_MAIL;
    m->mail_utf8 = prm.smtputf8;
    m->nrcpt = 0;
    m_reply(m, 250, "2.1.0", 0, P3);
  } else {
    m->state = SMTPP_ST_CMD_AFTER_RCPT;
    m->nrcpt++;
    m_reply(m, 250, "2.1.5", 0, P3);
  }
}

static void helo_ehlo(M *m, int verb, const uint8_t *a, size_t n) {
  int err, tl = 0;
  if (verb == SMTPP_VERB_EHLO && a[0] == '[')
    err = model_literal(a, n);
  else /* RFC 6531 3.7.1: U-labels when SMTPUTF8 is offered */
    err = model_domain(a, n, (m->cfg->extensions & SMTPP_EXT_SMTPUTF8) != 0, &tl);
  if ((err || tl) && (m->cfg->lenient & SMTPP_LENIENT_HELO_NAME)) {
    err = tl = 0; /* any printable token */
    for (size_t i = 0; i < n; i++)
      if (a[i] <= 32 || a[i] >= 127)
        err = SMTPP_ERR_SYNTAX;
  }
  if (err || tl) {
    m_error(m, err ? err : SMTPP_ERR_SYNTAX, 0);
    return;
  }
  m->helo = verb == SMTPP_VERB_EHLO ? 2 : 1;
  m_reset_txn(m); /* 4.1.4: like RSET */
  m_reply(m, 250, NULL, 0, P3); /* RFC 2034 3: no enhanced code here */
}

/* AUTH SP sasl-mech [SP initial-response] (RFC 4954 4): sasl-mech =
 * 1*20mech-char (letters of either case, digits, "-", "_"); a malformed
 * name is 501, a well-formed one not offered 504. */
static void auth(M *m, const uint8_t *a, size_t n) {
  size_t sp = 0;
  while (sp < n && a[sp] != ' ')
    sp++;
  int well_formed = sp >= 1 && sp <= 20;
  for (size_t i = 0; i < sp && well_formed; i++)
    well_formed = (a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= 'a' && a[i] <= 'z') ||
                  (a[i] >= '0' && a[i] <= '9') || a[i] == '-' || a[i] == '_';
  if (!well_formed) {
    m_error(m, SMTPP_ERR_SYNTAX, 0);
    return;
  }
  if (!m_mech_offered(m, a, sp)) {
    m_error(m, SMTPP_ERR_PARAM_NOT_IMPL, 0);
    return;
  }
  if (sp < n && !m_base64_ok(a + sp + 1, n - sp - 1, 1)) {
    m_error(m, SMTPP_ERR_AUTH_BASE64, 0); /* RFC 4954 4: 501 5.5.2 */
    return;
  }
  if (sp == n) { /* RFC 4954 4: no initial response, an empty challenge */
    m->saved_state = m->state;
    m->state = SMTPP_ST_AUTH_RESPONSE;
    m_reply(m, 334, NULL, 0, P3);
    return;
  }
  m_reply(m, 535, "5.7.8", 0, P3); /* the default: refuse */
}

/* A line after 334 (RFC 4954 4): "*" cancels, else base64 (empty is an
 * empty response); the default refuses it.  Over the buffer: 500 5.5.6. */
static void auth_response(M *m, const uint8_t *l, size_t n, int too_long) {
  m->state = m->saved_state;
  m->verb = SMTPP_VERB_AUTH;
  if (too_long)
    m_error(m, SMTPP_ERR_AUTH_TOO_LONG, 0);
  else if (n == 1 && l[0] == '*')
    m_error(m, SMTPP_ERR_AUTH_CANCELLED, 0);
  else if (!m_base64_ok(l, n, 0))
    m_error(m, SMTPP_ERR_AUTH_BASE64, 0);
  else
    m_reply(m, 535, "5.7.8", 0, P3);
}

/* VRFY/EXPN SP String [SP "SMTPUTF8"]: UTF-8 and the parameter when
 * SMTPUTF8 is offered in an EHLO session (RFC 6531 3.7.4). */
static int vrfy_err(const M *m, const uint8_t *a, size_t n) {
  int u = m->helo == 2 && (m->cfg->extensions & SMTPP_EXT_SMTPUTF8);
  if (!u)
    return m_text_err(m, a, n);
  if (n > 9 && m_ci_is(a + n - 9, 9, " SMTPUTF8"))
    n -= 9;
  for (size_t i = 0; i < n;) {
    size_t k = a[i] >= 32 && a[i] <= 126 ? 1 : a[i] >= 0x80 ? model_utf8(a + i, n - i) : 0;
    if (k == 0 && a[i] >= 0x80 && (m->cfg->lenient & SMTPP_LENIENT_8BIT))
      k = 1;
    if (k == 0)
      return SMTPP_ERR_SYNTAX;
    i += k;
  }
  return 0;
}

static void help(M *m, const uint8_t *a, size_t n) {
  size_t vl;
  if (n == 0)
    m_reply(m, 214, "2.0.0", 0, P3);
  else if (m_ci_is(a, n, "STATUS"))
    m_reply(m, 211, "2.0.0", 0, P3);
  else if (model_verb(a, n, &vl) != SMTPP_VERB_NONE && vl == n)
    m_reply(m, 214, "2.0.0", 0, P3);
  else
    m_error(m, SMTPP_ERR_PARAM_NOT_IMPL, 0);
}

/* [p, p+n) starts with the verb BDAT */
static int bdat_at(const uint8_t *p, size_t n) {
  return n >= 4 && m_ci_is(p, 4, "BDAT") &&
         (n == 4 || !((p[4] | 32) >= 'a' && (p[4] | 32) <= 'z'));
}

/* RFC 3030 2: a BDAT line (its verb is BDAT, or a BDAT follows a bare CR or
 * LF in it) that cannot be obeyed exactly: 421 and close (RFC 5321 3.8). */
static int bdat_refused(M *m, const uint8_t *l, size_t n, size_t e,
                        int too_long, int bad) {
  int bdat = bdat_at(l, e);
  for (size_t i = 0; bad && i < e && !bdat; i++)
    bdat = (l[i] == '\r' || l[i] == '\n') && bdat_at(l + i + 1, e - i - 1);
  if (!bdat || !(m->cfg->extensions & SMTPP_EXT_CHUNKING))
    return 0;
  uint64_t sz;
  int last;
  if (!too_long && !bad && n + 2 <= line_limit(m, SMTPP_VERB_BDAT) && e > 5 &&
      l[4] == ' ' && bdat_args(l + 5, e - 5, &sz, &last))
    return 0;
  m_reply(m, 421, model_err_enh(SMTPP_ERR_BDAT_SYNTAX), SMTPP_ERR_BDAT_SYNTAX, P4);
  m->state = SMTPP_ST_CLOSED;
  return 1;
}

/* l, n: the line, or the first MODEL_LINE_BUF octets of an over-long one */
void m_command(M *m, const uint8_t *l, size_t n, int too_long) {
  if (m->state == SMTPP_ST_AUTH_RESPONSE) {
    auth_response(m, l, n, too_long);
    return;
  }
  size_t e = n, vlen;
  if ((m->cfg->lenient & SMTPP_LENIENT_TRAILING_SP) && !too_long)
    while (e > 0 && l[e - 1] == ' ')
      e--;
  int verb = model_verb(l, e, &vlen);
  m->verb = verb;
  int bad = 0;
  for (size_t i = 0; i < n; i++)
    bad |= l[i] == '\r' || l[i] == '\n' || l[i] == 0;
  if (bdat_refused(m, l, n, e, too_long, bad))
    return;
  if (too_long || n + 2 > line_limit(m, verb)) {
    int auth = verb == SMTPP_VERB_AUTH && (m->cfg->extensions & SMTPP_EXT_AUTH);
    m_error(m, auth ? SMTPP_ERR_AUTH_TOO_LONG : SMTPP_ERR_LINE_TOO_LONG, 0);
    return;
  }
  if (verb == SMTPP_VERB_NONE) {
    m_error(m, SMTPP_ERR_UNKNOWN_COMMAND, 0);
    return;
  }
  if (vlen < e && l[vlen] != ' ' && !(verb == SMTPP_VERB_NOOP && l[vlen] == '\t')) {
    uint8_t c = l[vlen];
    m_error(m, c == '\r' || c == '\n' || c == 0 ? SMTPP_ERR_BARE_CR_LF : SMTPP_ERR_SYNTAX, 0);
    return;
  }
  if (bad) { /* RFC 5321 2.3.8 */
    m_error(m, SMTPP_ERR_BARE_CR_LF, 0);
    return;
  }
  uint32_t need = verb == SMTPP_VERB_STARTTLS ? SMTPP_EXT_STARTTLS
                  : verb == SMTPP_VERB_AUTH   ? SMTPP_EXT_AUTH
                  : verb == SMTPP_VERB_BDAT   ? SMTPP_EXT_CHUNKING
                                              : 0;
  if (need && !(m->cfg->extensions & need)) {
    m_error(m, SMTPP_ERR_NOT_IMPLEMENTED, 0);
    return;
  }
  int has_arg = vlen < e;
  const uint8_t *a = l + vlen + (has_arg ? 1 : 0);
  size_t an = has_arg ? e - vlen - 1 : 0;
  uint64_t bsize = 0;
  int blast = 0;
  if (verb == SMTPP_VERB_BDAT)
    (void)bdat_args(a, an, &bsize, &blast); /* bdat_refused() passed it */
  if (!sequence_ok(m, verb)) {
    if (verb == SMTPP_VERB_BDAT) { /* read the chunk, then 503 */
      m->saved_state = m->state;
      m->state = SMTPP_ST_BDAT_CHUNK;
      m->bdat_left = bsize;
      m->bdat_discard = 1;
      return;
    }
    m_error(m, SMTPP_ERR_BAD_SEQUENCE, 0);
    return;
  }
  int no_args = verb == SMTPP_VERB_DATA || verb == SMTPP_VERB_RSET ||
                verb == SMTPP_VERB_QUIT || verb == SMTPP_VERB_STARTTLS;
  int optional = verb == SMTPP_VERB_NOOP || verb == SMTPP_VERB_HELP;
  if ((no_args && has_arg) || (!no_args && !optional && an == 0)) {
    m_error(m, SMTPP_ERR_SYNTAX, 0);
    return;
  }
  int err;
  switch (verb) {
  case SMTPP_VERB_HELO:
  case SMTPP_VERB_EHLO:
    helo_ehlo(m, verb, a, an);
    break;
  case SMTPP_VERB_MAIL:
  case SMTPP_VERB_RCPT:
    mail_rcpt(m, verb, a, an);
    break;
  case SMTPP_VERB_DATA:
    m_reply(m, 354, NULL, 0, P3);
    m->state = SMTPP_ST_DATA_TEXT;
    memset(&m->data, 0, sizeof m->data);
    m_msg_open(m);
    break;
  case SMTPP_VERB_BDAT:
    if (!m_msg_cur(m))
      m_msg_open(m);
    m->state = SMTPP_ST_BDAT_CHUNK;
    m->bdat_left = bsize;
    m->bdat_last = blast;
    m->bdat_discard = 0;
    break;
  case SMTPP_VERB_RSET:
    m_reset_txn(m);
    m_reply(m, 250, "2.0.0", 0, P3);
    break;
  case SMTPP_VERB_NOOP: /* any text ignored, TAB and 8-bit too (4.1.1.9) */
    m_reply(m, 250, "2.0.0", 0, P3);
    break;
  case SMTPP_VERB_HELP:
    if ((err = m_text_err(m, a, an)) != 0)
      m_error(m, err, 0);
    else
      help(m, a, an);
    break;
  case SMTPP_VERB_VRFY:
  case SMTPP_VERB_EXPN: /* 3.5.3, 7.3: 252, never an unverified 250 */
    if ((err = vrfy_err(m, a, an)) != 0)
      m_error(m, err, 0);
    else
      m_reply(m, 252, "2.5.2", 0, P3);
    break;
  case SMTPP_VERB_QUIT:
    m_reply(m, 221, "2.0.0", 0, P3);
    m->state = SMTPP_ST_CLOSED;
    break;
  case SMTPP_VERB_STARTTLS: /* RFC 3207 4: then nothing until TLS */
    m_reply(m, 220, "2.0.0", 0, P8);
    m->state = SMTPP_ST_TLS_HANDSHAKE;
    break;
  case SMTPP_VERB_AUTH:
    auth(m, a, an);
    break;
  default:
    break;
  }
}
