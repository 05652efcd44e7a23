/*
 * model_cmd.c - judging one complete command line, in the order of
 * docs/PROTOCOL.md "How a line is judged" (first match wins):
 *   1 over its limit 500; 2 unknown verb 500; 3 verb not followed by SP or
 *   the end, or a bare CR / LF / NUL anywhere 501; 4 extension not
 *   configured 502; 5 out of sequence 503 (the sequencing table of
 *   model_tables.c; state unchanged); 6 the verb's grammar.
 * Every reply is an allowed.h situation; every accepted command is an
 * event (model_session.c writes it) and, where the host decides, a
 * decision read from the tape.
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

/* The 503 situation for verb now, 0 if it may come (the table, then the
 * conditions no state column holds). */
static int sequence(const M *m, int verb) {
  const model_verbdef *v = &model_verbs[verb];
  if (v->ehlo_only && m->helo != 2)
    return verb == SMTPP_VERB_BDAT ? ALLOWED_BDAT_NO_RECIPIENT : ALLOWED_BAD_SEQUENCE;
  int sit = v->seq[m->state];
  if (sit)
    return sit;
  if (verb == SMTPP_VERB_STARTTLS && m->tls)
    return ALLOWED_STARTTLS_IN_TLS; /* RFC 3207 4.2 */
  if (verb == SMTPP_VERB_AUTH && m->authed)
    return ALLOWED_AUTH_AGAIN; /* RFC 4954 4 */
  return 0;
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

static void fail(M *m, int err, int verb, int in_path, int alt) {
  m_error(m, model_situation(err, verb, in_path), err,
          alt ? model_situation(alt, verb, in_path) : 0, alt);
}

static smtpp_event command_event(int verb, const uint8_t *a, size_t an) {
  smtpp_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = SMTPP_EV_COMMAND;
  ev.verb = verb;
  if (model_verbs[verb].group_end)
    ev.flags |= SMTPP_EVF_GROUP_END;
  ev.arg = m_slice(a, an);
  return ev;
}

static void mail_rcpt(M *m, int verb, const uint8_t *a, size_t n) {
  const char *kw = verb == SMTPP_VERB_MAIL ? "FROM:" : "TO:";
  size_t i = strlen(kw);
  if (n < i || !m_ci_is(a, i, kw)) {
    fail(m, SMTPP_ERR_SYNTAX, verb, 0, 0);
    return;
  }
  if (m->cfg->lenient & SMTPP_LENIENT_PATH_SPACE)
    while (i < n && a[i] == ' ')
      i++;
  size_t used;
  int alt;
  model_mailbox mb;
  unsigned fl = verb == SMTPP_VERB_MAIL ? MODEL_PATH_NULL_OK : MODEL_PATH_POSTMASTER;
  uint32_t offered = m->helo == 2 ? m->cfg->extensions : 0;
  /* RFC 6531 3.5: a non-ASCII address outside SMTPUTF8 is 550/553 X.6.7 */
  int nonascii = verb == SMTPP_VERB_MAIL ? SMTPP_ERR_NONASCII_SENDER
                                         : SMTPP_ERR_NONASCII_RCPT;
  int err = model_path(a + i, n - i, fl, 1, &used, &alt, &mb);
  if (err) {
    /* a malformed path holding 8-bit octets where SMTPUTF8 could not be
     * in force: the non-ASCII answer (the client cannot mean UTF-8) */
    int could = verb == SMTPP_VERB_MAIL ? (offered & SMTPP_EXT_SMTPUTF8) != 0
                                        : m->mail_utf8;
    int any8 = 0;
    for (size_t k = i; k < n; k++)
      any8 |= a[k] >= 0x80;
    if (any8 && !could && !(m->cfg->lenient & SMTPP_LENIENT_8BIT))
      err = nonascii, alt = 0;
    fail(m, err, verb, 1, alt);
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
    m_error(m, model_situation(perr, verb, 0), perr,
            eight ? model_situation(nonascii, verb, 1) : 0, eight ? nonascii : 0);
    return;
  }
  if (eight) {
    fail(m, nonascii, verb, 1, 0);
    return;
  }
  if (perr) { /* SIZE over the limit: 552 (RFC 1870 6.1) */
    fail(m, perr, verb, 0, 0);
    return;
  }
  uint32_t cap = m->cfg->max_recipients ? m->cfg->max_recipients : 100;
  if (verb == SMTPP_VERB_RCPT && m->nrcpt >= cap) {
    fail(m, SMTPP_ERR_TOO_MANY_RCPTS, verb, 0, 0); /* 4.5.3.1.10 */
    return;
  }
  smtpp_event ev = command_event(verb, a, n);
  ev.flags |= SMTPP_EVF_DECIDABLE;
  const uint8_t *p = a + i;
  /* the mailbox: a source route is accepted and ignored (RFC 5321 4.1.1.3,
   * Appendix C); "<>" gives an empty path */
  ev.path = used == 2 ? m_slice(p + 1, 0)
                      : m_slice(p + mb.local_off, used - 1 - mb.local_off);
  /* "<>" has no mailbox, "<Postmaster>" no domain: absent slices */
  if (mb.local_len)
    ev.local = m_slice(p + mb.local_off, mb.local_len);
  if (mb.dom_len)
    ev.domain = m_slice(p + mb.dom_off, mb.dom_len);
  ev.params = prm.ev;
  if (verb == SMTPP_VERB_MAIL && prm.smtputf8)
    ev.flags |= SMTPP_EVF_SMTPUTF8;
  m_event(m, &ev);
  m->pend_utf8 = prm.smtputf8;
  m_decide(m, verb);
}

static void helo_ehlo(M *m, int verb, const uint8_t *a, size_t n) {
  int err, tl = 0;
  /* helo = "HELO" SP Domain; ehlo = "EHLO" SP (Domain / address-literal) */
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
    /* an 8-bit octet and another defect in one domain: which one names
     * the error depends on which is met first; both are 501 */
    fail(m, err ? err : SMTPP_ERR_SYNTAX, verb, 0,
         err == SMTPP_ERR_EIGHTBIT ? SMTPP_ERR_SYNTAX : 0);
    return;
  }
  smtpp_event ev = command_event(verb, a, n);
  ev.flags |= SMTPP_EVF_DECIDABLE;
  m_event(m, &ev);
  m_decide(m, verb);
}

/* AUTH SP sasl-mech [SP initial-response] (RFC 4954 4): sasl-mech =
 * 1*20mech-char (letters of either case, digits, "-", "_"); a malformed
 * name is 501, a well-formed one not offered 504; an initial response is
 * base64 or "=" (empty), else 501. */
static void auth(M *m, const uint8_t *a, size_t n) {
  size_t sp = 0;
  while (sp < n && a[sp] != ' ')
    sp++;
  int well_formed = sp >= 1 && sp <= 20;
  for (size_t i = 0; i < sp && well_formed; i++)
    well_formed = (a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= 'a' && a[i] <= 'z') ||
                  (a[i] >= '0' && a[i] <= '9') || a[i] == '-' || a[i] == '_';
  if (!well_formed) {
    fail(m, SMTPP_ERR_SYNTAX, SMTPP_VERB_AUTH, 0, 0);
    return;
  }
  if (!m_mech_offered(m, a, sp)) {
    fail(m, SMTPP_ERR_PARAM_NOT_IMPL, SMTPP_VERB_AUTH, 0, 0);
    return;
  }
  if (sp < n && !m_base64_ok(a + sp + 1, n - sp - 1, 1)) {
    m_error(m, ALLOWED_AUTH_BAD_BASE64, SMTPP_ERR_AUTH_BASE64, 0, 0);
    return;
  }
  smtpp_event ev = command_event(SMTPP_VERB_AUTH, a, sp);
  ev.flags |= SMTPP_EVF_DECIDABLE;
  if (sp < n)
    ev.initial = m_slice(a + sp + 1, n - sp - 1);
  m_event(m, &ev);
  m->saved_state = m->state;
  /* RFC 4954 4: without an initial response the default is the empty
   * challenge, 334; the response then gets the refusal */
  m->auth_empty_challenge = sp == n;
  m_decide(m, SMTPP_VERB_AUTH);
  m->auth_empty_challenge = 0;
}

/* A line in an AUTH exchange (RFC 4954 4): "*" cancels (501), otherwise
 * base64 (possibly empty: an empty response is valid), else 501. */
void m_auth_response(M *m, const uint8_t *l, size_t n, int too_long) {
  m->state = m->saved_state;
  m->verb = SMTPP_VERB_AUTH;
  if (too_long) { /* RFC 4954 6: 500 5.5.6 */
    m_error(m, ALLOWED_AUTH_LINE_TOO_LONG, SMTPP_ERR_AUTH_TOO_LONG, 0, 0);
    return;
  }
  if (n == 1 && l[0] == '*') {
    m_error(m, ALLOWED_AUTH_CANCELLED, SMTPP_ERR_AUTH_CANCELLED, 0, 0);
    return;
  }
  if (!m_base64_ok(l, n, 0)) {
    m_error(m, ALLOWED_AUTH_BAD_BASE64, SMTPP_ERR_AUTH_BASE64, 0, 0);
    return;
  }
  smtpp_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = SMTPP_EV_AUTH_RESPONSE;
  ev.verb = SMTPP_VERB_AUTH;
  ev.flags = SMTPP_EVF_DECIDABLE;
  ev.arg = m_slice(l, n);
  m_event(m, &ev);
  m_decide(m, SMTPP_VERB_AUTH);
}

/* VRFY/EXPN/HELP text: printable ASCII; 8-bit only when lenient. */
static int text_err(const M *m, const uint8_t *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] >= 32 && a[i] <= 126)
      continue;
    if (a[i] >= 0x80 && (m->cfg->lenient & SMTPP_LENIENT_8BIT))
      continue; /* every octet is judged, not only the first odd one */
    return a[i] >= 0x80 ? SMTPP_ERR_EIGHTBIT : SMTPP_ERR_SYNTAX;
  }
  return 0;
}

/* VRFY/EXPN SP String [SP "SMTPUTF8"]: UTF-8 and the parameter when
 * SMTPUTF8 is offered in an EHLO session (RFC 6531 3.7.4).  *sn: the
 * string without the parameter; *utf8: the parameter was given. */
static int vrfy_err(const M *m, const uint8_t *a, size_t n, size_t *sn, int *utf8) {
  int u = m->helo == 2 && (m->cfg->extensions & SMTPP_EXT_SMTPUTF8);
  *sn = n;
  *utf8 = 0;
  if (!u)
    return text_err(m, a, n);
  if (n > 9 && m_ci_is(a + n - 9, 9, " SMTPUTF8")) {
    n -= 9;
    *sn = n;
    *utf8 = 1;
  }
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
  int sit = n == 0 ? ALLOWED_HELP_OK
            : m_ci_is(a, n, "STATUS") ? ALLOWED_HELP_STATUS
            : model_verb(a, n, &vl) != SMTPP_VERB_NONE && vl == n ? ALLOWED_HELP_OK
                                                                 : 0;
  if (!sit) {
    fail(m, SMTPP_ERR_PARAM_NOT_IMPL, SMTPP_VERB_HELP, 0, 0);
    return;
  }
  smtpp_event ev = command_event(SMTPP_VERB_HELP, a, n);
  m_event(m, &ev);
  m_reply_sit(m, sit, 0, P3);
}

static void simple(M *m, int verb, const uint8_t *a, size_t n, int sit) {
  smtpp_event ev = command_event(verb, a, n);
  m_event(m, &ev);
  m_reply_sit(m, sit, 0, P3);
}

/* [p, p+n) starts with the verb BDAT */
static int bdat_at(const uint8_t *p, size_t n) {
  return n >= 4 && m_ci_is(p, 4, "BDAT") &&
         (n == 4 || !((p[4] | 32) >= 'a' && (p[4] | 32) <= 'z'));
}

/* RFC 3030 2: a BDAT line (its verb is BDAT, or a BDAT follows a bare CR
 * or LF in it) that cannot be obeyed exactly cannot be resynchronised on
 * its chunk: 421 and close (RFC 5321 3.8). */
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
  smtpp_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = SMTPP_EV_PROTOCOL_ERROR;
  ev.verb = m->verb = SMTPP_VERB_BDAT; /* a BDAT line, wherever its verb */
  ev.error = SMTPP_ERR_BDAT_SYNTAX;
  m_event(m, &ev);
  m_reply_sit(m, ALLOWED_BDAT_MALFORMED, SMTPP_ERR_BDAT_SYNTAX, P4);
  m->state = MS_CLOSED;
  return 1;
}

/* l, n: the line, or the first MODEL_LINE_BUF octets of an over-long one
 * (too_long), which is judged by them (RFC 3030 2: an over-long BDAT line
 * too). */
void m_command(M *m, const uint8_t *l, size_t n, int too_long) {
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
    if (verb == SMTPP_VERB_AUTH && (m->cfg->extensions & SMTPP_EXT_AUTH))
      m_error(m, ALLOWED_AUTH_LINE_TOO_LONG, SMTPP_ERR_AUTH_TOO_LONG, 0, 0);
    else
      fail(m, SMTPP_ERR_LINE_TOO_LONG, verb, 0, 0);
    return;
  }
  if (verb == SMTPP_VERB_NONE) {
    fail(m, SMTPP_ERR_UNKNOWN_COMMAND, verb, 0, 0);
    return;
  }
  /* NOOP's string may follow a TAB: any parameter string is ignored
   * (RFC 5321 4.1.1.9) */
  if (vlen < e && l[vlen] != ' ' && !(verb == SMTPP_VERB_NOOP && l[vlen] == '\t')) {
    uint8_t c = l[vlen];
    fail(m, c == '\r' || c == '\n' || c == 0 ? SMTPP_ERR_BARE_CR_LF : SMTPP_ERR_SYNTAX,
         verb, 0, 0);
    return;
  }
  if (bad) { /* RFC 5321 2.3.8 */
    fail(m, SMTPP_ERR_BARE_CR_LF, verb, 0, 0);
    return;
  }
  const model_verbdef *v = &model_verbs[verb];
  if (v->ext && !(m->cfg->extensions & v->ext)) {
    fail(m, SMTPP_ERR_NOT_IMPLEMENTED, verb, 0, 0);
    return;
  }
  int has_arg = vlen < e;
  const uint8_t *a = l + vlen + (has_arg ? 1 : 0);
  size_t an = has_arg ? e - vlen - 1 : 0;
  uint64_t bsize = 0;
  int blast = 0;
  if (verb == SMTPP_VERB_BDAT)
    (void)bdat_args(a, an, &bsize, &blast); /* bdat_refused() passed it */
  int seq = sequence(m, verb);
  if (seq) {
    if (verb == SMTPP_VERB_BDAT) { /* read the chunk, then 503 */
      m->saved_state = m->state;
      m->state = MS_CHUNK;
      m->bdat_left = bsize;
      m->bdat_discard = 1;
      m->bdat_sit = seq;
      return;
    }
    m_error(m, seq, SMTPP_ERR_BAD_SEQUENCE, 0, 0);
    return;
  }
  if (v->args == A_NONE && has_arg) {
    m_error(m, ALLOWED_ARGS_NOT_TAKEN, SMTPP_ERR_SYNTAX, 0, 0);
    return;
  }
  if (v->args == A_REQUIRED && an == 0) {
    fail(m, SMTPP_ERR_SYNTAX, verb, 0, 0);
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
  case SMTPP_VERB_DATA: {
    smtpp_event ev = command_event(verb, a, an);
    ev.flags |= SMTPP_EVF_DECIDABLE;
    m_event(m, &ev);
    m_decide(m, verb);
    break;
  }
  case SMTPP_VERB_BDAT: {
    smtpp_event ev = command_event(verb, a, an);
    ev.chunk_size = bsize;
    if (blast) /* the reply to BDAT LAST is the message's: ends a group */
      ev.flags |= SMTPP_EVF_LAST | SMTPP_EVF_GROUP_END;
    m_event(m, &ev);
    m->state = MS_CHUNK;
    m->bdat_left = bsize;
    m->bdat_last = blast;
    m->bdat_discard = 0;
    break;
  }
  case SMTPP_VERB_RSET:
    simple(m, verb, a, an, ALLOWED_RSET_OK);
    m_reset_txn(m);
    break;
  case SMTPP_VERB_NOOP: /* RFC 5321 4.1.1.9: any parameter string ignored */
    simple(m, verb, a, an, ALLOWED_NOOP_OK);
    break;
  case SMTPP_VERB_HELP:
    if ((err = text_err(m, a, an)) != 0)
      fail(m, err, verb, 0, 0);
    else
      help(m, a, an);
    break;
  case SMTPP_VERB_VRFY:
  case SMTPP_VERB_EXPN: {
    size_t sn;
    int u8;
    if ((err = vrfy_err(m, a, an, &sn, &u8)) != 0) {
      fail(m, err, verb, 0, 0);
    } else {
      smtpp_event ev = command_event(verb, a, sn);
      ev.flags |= SMTPP_EVF_DECIDABLE | (u8 ? SMTPP_EVF_SMTPUTF8 : 0);
      m_event(m, &ev);
      m_decide(m, verb);
    }
    break;
  }
  case SMTPP_VERB_QUIT: {
    smtpp_event ev = command_event(verb, a, an);
    ev.type = SMTPP_EV_CLOSE;
    m_event(m, &ev);
    m_reply_sit(m, ALLOWED_QUIT_OK, 0, P3);
    m->state = MS_CLOSED;
    break;
  }
  case SMTPP_VERB_STARTTLS: {
    smtpp_event ev = command_event(verb, a, an);
    ev.type = SMTPP_EV_STARTTLS;
    m_event(m, &ev);
    m_reply_sit(m, ALLOWED_STARTTLS_GO_AHEAD, 0, P8);
    m_starttls(m);
    break;
  }
  case SMTPP_VERB_AUTH:
    auth(m, a, an);
    break;
  default:
    break;
  }
}
