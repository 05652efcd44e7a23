/*
 * model_session.c - the session: the loop over the input, the replies
 * (allowed.h situations), the host decisions read from the tape
 * (decide.h), the messages and the events.  Rules from docs/PROTOCOL.md
 * and docs/EMBEDDING.md "Host decisions", each with its RFC section.
 */
#include "model_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies ---- */

/* RFC 2034 4-5 (docs/PROTOCOL.md "Replies"): when ENHANCEDSTATUSCODES is
 * offered, every 2xx/4xx/5xx reply carries an enhanced code, whether or
 * not the client said EHLO, except the greeting and the HELO/EHLO replies
 * (RFC 2034 3); 3xx never (RFC 3463 has no class 3). */
static int helo_reply(int sit) {
  return sit == ALLOWED_HELO_OK || sit == ALLOWED_HELO_BAD_ARGS ||
         sit == ALLOWED_HELO_REFUSED;
}

static void put_enh(const M *m, char *dst, int code, const char *enh, int sit) {
  dst[0] = '\0';
  /* any reply to a HELO/EHLO line, malformed or over-long ones too */
  int to_helo = m->verb == SMTPP_VERB_HELO || m->verb == SMTPP_VERB_EHLO;
  if (!enh || !enh[0] || code / 100 == 3 || sit == ALLOWED_GREETING ||
      helo_reply(sit) || to_helo ||
      !(m->cfg->extensions & SMTPP_EXT_ENHANCEDSTATUSCODES))
    return;
  strncpy(dst, enh, 11);
  dst[11] = '\0';
}

static model_reply *reply_raw(M *m, int sit, int code, const char *enh,
                              int err, int prop) {
  model_result *r = m->r;
  r->rep = bb_grow(r->rep, &r->caprep, r->nrep, sizeof *r->rep);
  model_reply *p = &r->rep[r->nrep++];
  memset(p, 0, sizeof *p);
  p->sit = sit;
  p->code = code;
  put_enh(m, p->enh, code, enh, sit);
  p->err = err;
  p->prop = prop;
  p->helo = m->helo;
  p->ev_line = m->r->nevents;
  p->off = m->line_off;
  p->len = m->line_len;
  return p;
}

model_reply *m_reply_sit(M *m, int sit, int err, int prop) {
  const allowed_situation *s = allowed_get(sit);
  return reply_raw(m, sit, s->code, s->enh, err, prop);
}

/* Error budget (docs/PROTOCOL.md "Errors and closing"): each 500, 501,
 * 502, 503, 504 or 555 the server gives on its own counts; at the limit
 * the reply is followed by 421 and the session closes (RFC 5321 3.8). */
void m_count(M *m, int code) {
  if (code != 500 && code != 501 && code != 502 && code != 503 &&
      code != 504 && code != 555)
    return;
  uint32_t max = m->cfg->max_errors ? m->cfg->max_errors : 20;
  if (++m->nerrors >= max) {
    m->verb = SMTPP_VERB_NONE; /* the 421 answers no command */
    m_reply_sit(m, ALLOWED_TOO_MANY_ERRORS, SMTPP_ERR_TOO_MANY_ERRORS, P9);
    m->state = MS_CLOSED;
  }
}

static int limit_sit(int sit) {
  return sit == ALLOWED_LINE_TOO_LONG || sit == ALLOWED_MAIL_PATH_TOO_LONG ||
         sit == ALLOWED_RCPT_PATH_TOO_LONG || sit == ALLOWED_MAIL_SIZE_EXCEEDED ||
         sit == ALLOWED_TOO_MANY_RECIPIENTS || sit == ALLOWED_MESSAGE_TOO_BIG ||
         sit == ALLOWED_TEXT_LINE_TOO_LONG || sit == ALLOWED_AUTH_LINE_TOO_LONG;
}

/* A line refused: its PROTOCOL_ERROR event, its reply, the budget. */
void m_error(M *m, int sit, int err, int alt_sit, int alt_err) {
  smtpp_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = SMTPP_EV_PROTOCOL_ERROR;
  ev.verb = m->verb;
  ev.error = err;
  uint64_t also = (uint64_t)1 << alt_err;
  /* several defects in one path: which one the parser meets first names
   * the error (RFC 5321 gives no order); every path error is right */
  uint64_t path = (1u << SMTPP_ERR_SYNTAX) | (1u << SMTPP_ERR_EIGHTBIT) |
                  (1u << SMTPP_ERR_PATH_TOO_LONG) | (1u << SMTPP_ERR_LOCAL_TOO_LONG) |
                  (1u << SMTPP_ERR_DOMAIN_TOO_LONG);
  if (alt_err && alt_err != err && ((path >> err) & 1) && ((path >> alt_err) & 1))
    also |= path;
  m_event_alt(m, &ev, also);
  const allowed_situation *s = allowed_get(sit);
  int prop = s->code == 503 ? P5 : limit_sit(sit) ? P9 : P4;
  model_reply *p = reply_raw(m, sit, s->code, s->enh, err, prop);
  if (alt_sit && alt_sit != sit) {
    const allowed_situation *a = allowed_get(alt_sit);
    p->alt_code = a->code;
    put_enh(m, p->alt_enh, a->code, a->enh, alt_sit);
  }
  m_count(m, p->code);
}

/* The text a host reply line carries (docs/EMBEDDING.md "Host decisions"):
 * at most 127 octets of it, every octet outside printable ASCII as '?',
 * cut so that the line stays within 512 octets (RFC 5321 4.5.3.1.5). */
static void host_text(M *m, model_reply *p, const char *prefix, const char *text) {
  bbuf *t = &m->r->texts;
  p->text_off = t->len;
  if (prefix)
    bbuf_add(t, prefix, strlen(prefix));
  size_t n = 0;
  while (n < 127 && text[n])
    n++;
  size_t room = 512 - 6 - (p->enh[0] ? strlen(p->enh) + 1 : 0);
  for (size_t i = 0; i < n && t->len - p->text_off < room; i++) {
    uint8_t c = (uint8_t)text[i];
    bbuf_addc(t, c >= 32 && c <= 126 ? c : '?');
  }
  p->text_len = t->len - p->text_off;
  p->has_text = 1;
}

static const char *hostname(const M *m) {
  return m->cfg->hostname ? m->cfg->hostname : "localhost";
}

/* The EHLO reply (RFC 5321 4.1.1.1 ehlo-ok-rsp): the first line is our
 * Domain [SP ehlo-greet], then one line per extension offered, each
 * keyword as its RFC names it. */
static void ehlo_lines(M *m, model_reply *p, const char *text) {
  bbuf *t = &m->r->texts;
  uint32_t e = m->cfg->extensions;
  char size[32];
  snprintf(size, sizeof size, "SIZE %llu", (unsigned long long)m->cfg->max_message_size);
  const char *kw[] = {
      e & SMTPP_EXT_PIPELINING ? "PIPELINING" : NULL,          /* RFC 2920 4 */
      e & SMTPP_EXT_SIZE ? size : NULL,                         /* RFC 1870 4 */
      e & SMTPP_EXT_8BITMIME ? "8BITMIME" : NULL,               /* RFC 6152 2 */
      e & SMTPP_EXT_SMTPUTF8 ? "SMTPUTF8" : NULL,               /* RFC 6531 3.1 */
      e & SMTPP_EXT_DSN ? "DSN" : NULL,                         /* RFC 3461 4 */
      e & SMTPP_EXT_CHUNKING ? "CHUNKING" : NULL,               /* RFC 3030 2 */
      (e & SMTPP_EXT_STARTTLS) && !m->tls ? "STARTTLS" : NULL,  /* RFC 3207 4.2 */
      e & SMTPP_EXT_ENHANCEDSTATUSCODES ? "ENHANCEDSTATUSCODES" : NULL, /* RFC 2034 */
  };
  host_text(m, p, hostname(m), "");
  if (text) {
    bbuf_addc(t, ' ');
    size_t start = p->text_off;
    host_text(m, p, NULL, text);
    p->text_off = start;
    p->text_len = t->len - start;
  }
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (kw[i]) {
      bbuf_addc(t, '\n');
      bbuf_add(t, kw[i], strlen(kw[i]));
    }
  if (e & SMTPP_EXT_AUTH) { /* RFC 4954 3 */
    const char *mech = m->cfg->auth_mechanisms ? m->cfg->auth_mechanisms : "PLAIN";
    bbuf_add(t, "\nAUTH ", 6);
    bbuf_add(t, mech, strlen(mech));
  }
  p->text_len = t->len - p->text_off;
  p->ehlo = 1;
}

/* ---- events ---- */

smtpp_slice m_slice(const uint8_t *p, size_t n) {
  smtpp_slice s = {p, n};
  return s;
}

void m_event_alt(M *m, const smtpp_event *ev, uint64_t also) {
  model_result *r = m->r;
  r->ev_ok = bb_grow(r->ev_ok, &r->cap_ev_ok, r->nevents, sizeof *r->ev_ok);
  r->ev_ok[r->nevents++] = also | ((uint64_t)1 << ev->error);
  if (m->cfg->host_decides || !(ev->flags & SMTPP_EVF_DECIDABLE)) {
    oracle_event_text(&r->events, ev);
    return;
  }
  /* smtpp.h: a host without a policy (host_decides 0) gets notices, never
   * a decidable event; the defaults apply at once */
  smtpp_event notice = *ev;
  notice.flags &= ~(uint32_t)SMTPP_EVF_DECIDABLE;
  oracle_event_text(&r->events, &notice);
}

void m_event(M *m, const smtpp_event *ev) { m_event_alt(m, ev, 0); }

/* ---- messages ---- */
model_msg *model_msg_add(model_msg **arr, size_t *n, size_t *cap, size_t *ninit) {
  *arr = bb_grow(*arr, cap, *n, sizeof **arr);
  model_msg *g = &(*arr)[*n];
  if (*n < *ninit) {
    bbuf body = g->body; /* keep its memory */
    bbuf_reset(&body);
    memset(g, 0, sizeof *g);
    g->body = body;
  } else {
    memset(g, 0, sizeof *g);
    (*ninit)++;
  }
  (*n)++;
  g->kind = MODEL_MSG_OPEN;
  return g;
}

model_msg *m_msg_cur(M *m) {
  model_result *r = m->r;
  if (r->nmsg && r->msg[r->nmsg - 1].kind == MODEL_MSG_OPEN)
    return &r->msg[r->nmsg - 1];
  return NULL;
}

/* A message exists for the host once a body octet or its end is
 * delivered (the trace rebuilds it the same way from the events). */
model_msg *m_msg_open(M *m) {
  model_msg *g = m_msg_cur(m);
  if (g)
    return g;
  model_result *r = m->r;
  return model_msg_add(&r->msg, &r->nmsg, &r->capmsg, &r->nmsg_init);
}

/* RSET, HELO/EHLO, end of message (RFC 5321 4.1.1.5, 4.1.4). */
void m_reset_txn(M *m) {
  model_msg *g = m_msg_cur(m);
  if (g)
    g->kind = MODEL_MSG_ABORTED; /* a BDAT transaction given up */
  m->state = m->helo ? MS_READY : MS_INIT;
  m->nrcpt = 0;
  m->mail_utf8 = 0;
  m->msg_size = 0;
  m->msg_err = 0;
}

uint64_t m_size_limit(const M *m) {
  return (m->cfg->extensions & SMTPP_EXT_SIZE) ? m->cfg->max_message_size : 0;
}

/* The end of a message (CRLF.CRLF, BDAT LAST): its one final reply (RFC
 * 5321 4.2, 3.3).  A body over SIZE is 552 even if it also had a long
 * line (docs/PROTOCOL.md DATA: decided from the totals). */
static void message_end(M *m) {
  uint64_t lim = m_size_limit(m);
  if (lim && m->msg_size > lim)
    m->msg_err = SMTPP_ERR_SIZE_EXCEEDED;
  model_msg *g = m_msg_open(m);
  g->kind = MODEL_MSG_ENDED;
  g->err = m->msg_err;
  smtpp_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = SMTPP_EV_MESSAGE_END;
  ev.message_size = m->msg_size;
  ev.error = m->msg_err;
  if (!m->msg_err)
    ev.flags = SMTPP_EVF_DECIDABLE;
  m_event(m, &ev);
  if (m->msg_err) {
    int err = m->msg_err;
    m_reset_txn(m);
    model_reply *p = m_reply_sit(m, model_situation(err, SMTPP_VERB_DATA, 0), err, P6);
    m_count(m, p->code);
    return;
  }
  m_decide(m, M_KIND_MESSAGE);
}

/* RFC 3030 2: a complete chunk. */
static void chunk_done(M *m) {
  m->verb = SMTPP_VERB_BDAT;
  if (m->bdat_discard) { /* read and thrown away: now the 503 */
    m->bdat_discard = 0;
    m->state = m->saved_state;
    m_error(m, m->bdat_sit, SMTPP_ERR_BAD_SEQUENCE, 0, 0);
    return;
  }
  uint64_t lim = m_size_limit(m);
  if (lim && m->msg_size > lim && !m->msg_err)
    m->msg_err = SMTPP_ERR_SIZE_EXCEEDED; /* RFC 1870 6.1 */
  if (m->bdat_last) {
    message_end(m);
    return;
  }
  if (m->msg_err) { /* the transaction ends */
    smtpp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SMTPP_EV_PROTOCOL_ERROR;
    ev.verb = SMTPP_VERB_BDAT;
    ev.error = m->msg_err;
    m_event(m, &ev);
    int err = m->msg_err;
    m_reset_txn(m);
    m_reply_sit(m, ALLOWED_MESSAGE_TOO_BIG, err, P9);
    return;
  }
  m->state = MS_BDAT;
  m_reply_sit(m, ALLOWED_BDAT_CHUNK_OK, 0, P3);
}

/* ---- host decisions (docs/EMBEDDING.md "Host decisions") ---- */

static int success_ok(int kind, int code) {
  switch (kind) {
  case SMTPP_VERB_RCPT:
  case SMTPP_VERB_VRFY:
  case SMTPP_VERB_EXPN:
    return code == 250 || code == 251 || code == 252;
  case SMTPP_VERB_DATA:
    return code == 354;
  case SMTPP_VERB_AUTH:
    return code == 235 || code == 334;
  default: /* HELO, EHLO, MAIL, the end of a message */
    return code == 250;
  }
}

/* "c.d.d" (RFC 3463 2: class, 1-3 digit subject and detail), class =
 * the reply's first digit. */
static int enh_ok(const char *e, int code) {
  if (e == NULL)
    return 1;
  if (e[0] != '0' + code / 100 || e[1] != '.')
    return 0;
  size_t i = 2;
  for (int part = 0; part < 2; part++) {
    size_t k = 0;
    while (e[i] >= '0' && e[i] <= '9') {
      i++;
      k++;
    }
    if (k < 1 || k > 3 || e[i] != (part ? '\0' : '.'))
      return 0;
    i++;
  }
  return 1;
}

static int valid(int kind, const oracle_decision *d) {
  int c = d->code;
  int ok = success_ok(kind, c) || (c >= 400 && c <= 459) || (c >= 500 && c <= 559);
  if (c / 100 == 3 && d->enh)
    return 0;
  return ok && enh_ok(d->enh, c);
}

static int refused_sit(int kind) {
  switch (kind) {
  case SMTPP_VERB_HELO:
  case SMTPP_VERB_EHLO:
    return ALLOWED_HELO_REFUSED;
  case SMTPP_VERB_MAIL:
    return ALLOWED_MAIL_REFUSED;
  case SMTPP_VERB_RCPT:
    return ALLOWED_RCPT_REFUSED;
  case SMTPP_VERB_DATA:
    return ALLOWED_DATA_REFUSED;
  case SMTPP_VERB_VRFY:
    return ALLOWED_VRFY_ANSWERED;
  case SMTPP_VERB_EXPN:
    return ALLOWED_EXPN_ANSWERED;
  case SMTPP_VERB_AUTH:
    return ALLOWED_AUTH_DEFAULT;
  default:
    return ALLOWED_MESSAGE_REFUSED;
  }
}

/* The reply of a decision: code, enhanced code (the host's or the
 * fitting default), the host's text. */
static model_reply *answer(M *m, int sit, int code, const char *enh,
                           const char *def_enh, const char *text) {
  model_reply *p = reply_raw(m, sit, code, enh ? enh : def_enh, 0, P3);
  if (text)
    host_text(m, p, NULL, text);
  return p;
}

static void resolve(M *m, int kind, const oracle_decision *d) {
  const allowed_situation *def = NULL;
  int code;
  switch (kind) {
  case SMTPP_VERB_VRFY:
    def = allowed_get(ALLOWED_VRFY_DEFAULT);
    break;
  case SMTPP_VERB_EXPN:
    def = allowed_get(ALLOWED_EXPN_DEFAULT);
    break;
  case SMTPP_VERB_AUTH:
    def = allowed_get(ALLOWED_AUTH_DEFAULT);
    break;
  default:
    break;
  }
  code = d ? d->code : def ? def->code : kind == SMTPP_VERB_DATA ? 354 : 250;
  if (!d && kind == SMTPP_VERB_AUTH && m->auth_empty_challenge)
    code = allowed_get(ALLOWED_AUTH_CONTINUE)->code;
  const char *enh = d ? d->enh : NULL;
  const char *text = d ? d->text : NULL;
  char generic[8] = {(char)('0' + code / 100), '.', '0', '.', '0', '\0'};
  if (code == 421) { /* RFC 5321 3.8: closing; X.3.2 system not accepting */
    answer(m, refused_sit(kind), 421, enh, "4.3.2", text);
    m->state = MS_CLOSED;
    return;
  }
  if (code >= 400) {
    if (kind == SMTPP_VERB_AUTH) { /* RFC 4954 6: 5.7.8; temporary 4.7.0 */
      answer(m, ALLOWED_AUTH_DEFAULT, code, enh,
             code / 100 == 5 ? "5.7.8" : "4.7.0", text);
      m->state = m->saved_state;
    } else {
      answer(m, refused_sit(kind), code, enh, generic, text);
    }
    if (kind == M_KIND_MESSAGE)
      m_reset_txn(m);
    return;
  }
  switch (kind) {
  case SMTPP_VERB_HELO:
  case SMTPP_VERB_EHLO: {
    m->helo = kind == SMTPP_VERB_EHLO ? 2 : 1;
    m_reset_txn(m); /* RFC 5321 4.1.4: like RSET */
    model_reply *p = reply_raw(m, ALLOWED_HELO_OK, 250, NULL, 0, P3);
    if (kind == SMTPP_VERB_EHLO) {
      ehlo_lines(m, p, text);
    } else if (text) { /* helo-ok-rsp = "250" SP Domain [SP helo-greet] */
      host_text(m, p, hostname(m), "");
      size_t start = p->text_off;
      bbuf_addc(&m->r->texts, ' ');
      host_text(m, p, NULL, text);
      p->text_off = start;
      p->text_len = m->r->texts.len - start;
    }
    break;
  }
  case SMTPP_VERB_MAIL:
    m->state = MS_MAIL;
    m->mail_utf8 = m->pend_utf8;
    m->nrcpt = 0;
    answer(m, ALLOWED_MAIL_OK, code, enh, "2.1.0", text);
    break;
  case SMTPP_VERB_RCPT:
    m->state = MS_RCPT;
    m->nrcpt++;
    answer(m, ALLOWED_RCPT_OK, code, enh, "2.1.5", text);
    break;
  case SMTPP_VERB_DATA:
    m->state = MS_DATA;
    memset(&m->data, 0, sizeof m->data);
    m->msg_size = 0;
    m->msg_err = 0;
    answer(m, ALLOWED_DATA_GO_AHEAD, 354, NULL, NULL, text);
    break;
  case SMTPP_VERB_VRFY:
  case SMTPP_VERB_EXPN:
    answer(m, d ? refused_sit(kind) : def->id, code, enh, "2.5.2", text);
    break;
  case SMTPP_VERB_AUTH:
    if (code == 334) { /* RFC 4954 4: a challenge; the next line answers */
      model_reply *p = answer(m, ALLOWED_AUTH_CONTINUE, 334, NULL, NULL, NULL);
      if (text)
        host_text(m, p, NULL, text);
      m->state = MS_AUTH;
    } else {
      m->authed = 1;
      m->state = m->saved_state;
      answer(m, ALLOWED_AUTH_OK, 235, enh, "2.7.0", text);
    }
    break;
  default: /* the end of a message */
    answer(m, ALLOWED_MESSAGE_OK, 250, enh, "2.0.0", text);
    m_reset_txn(m);
    break;
  }
}

/* docs/EMBEDDING.md "Host decisions", fail closed: a 4xx/5xx the library
 * cannot send as given is still sent as a refusal (451/554 for a code
 * outside x00-x59, the enhanced code's class made the reply's); any other
 * unusable answer changes nothing (the host then takes the default). */
static int substitute(int kind, const oracle_decision *d, oracle_decision *out) {
  int c = d->code;
  if (success_ok(kind, c) || c < 400 || c > 599)
    return 0;
  *out = *d;
  if (c % 100 > 59)
    out->code = c / 100 == 4 ? 451 : 554;
  if (d->enh && !enh_ok(d->enh, out->code)) {
    snprintf(out->enh_buf, sizeof out->enh_buf, "%s", d->enh);
    out->enh_buf[0] = (char)('0' + out->code / 100);
    out->enh = enh_ok(out->enh_buf, out->code) ? out->enh_buf : NULL;
  }
  return 1;
}

void m_decide(M *m, int kind) {
  oracle_decision d, sub;
  if (m->cfg->host_decides) {
    oracle_tape_decision(m->tape, &d);
  } else { /* no policy: no call, the default applies (smtpp.h) */
    memset(&d, 0, sizeof d);
    d.what = DEC_DEFAULT;
  }
  if (d.what == DEC_SHUTDOWN) {
    /* smtpp_shutdown() answers the pending command with 421 4.3.2 and the
     * session closes (RFC 5321 3.8) */
    m->verb = SMTPP_VERB_NONE;
    m_reply_sit(m, ALLOWED_SHUTDOWN, SMTPP_ERR_SHUTDOWN, P3);
    m->state = MS_CLOSED;
    return;
  }
  const oracle_decision *use = NULL;
  if (d.what == DEC_DECIDE && valid(kind, &d))
    use = &d;
  else if (d.what == DEC_DECIDE && substitute(kind, &d, &sub))
    use = &sub;
  size_t before = m->r->nrep;
  resolve(m, kind, use);
  for (size_t i = before; use && i < m->r->nrep; i++)
    m->r->rep[i].host = 1;
}

/* After STARTTLS's 220: the host reports the handshake, or never does
 * (then every later octet is discarded, RFC 3207 4.2, CVE-2011-0411). */
void m_starttls(M *m) {
  switch (oracle_tape_tls(m->tape)) {
  case 1: /* RFC 3207 4.2: a fresh session, the client must EHLO again;
           * the octets after the STARTTLS line are the decrypted stream */
    m->helo = 0;
    m->authed = 0;
    m->tls = 1;
    m_reset_txn(m);
    break;
  case 2: /* closed, nothing queued: no plaintext 421 after a failed
           * handshake (docs/EMBEDDING.md) */
    m->state = MS_CLOSED;
    break;
  default:
    m->state = MS_TLS;
    break;
  }
}

/* ---- argument helpers ---- */
int m_ci_is(const uint8_t *p, size_t n, const char *lit) {
  if (strlen(lit) != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i];
    if (c != (uint8_t)lit[i])
      return 0;
  }
  return 1;
}

/* RFC 4648 4 base64; an initial response may be "=" (empty), a response
 * line after 334 may be empty (RFC 4954 4). */
int m_base64_ok(const uint8_t *p, size_t n, int initial) {
  if (initial && n == 1 && p[0] == '=')
    return 1;
  if (n == 0)
    return !initial;
  if (n % 4 != 0)
    return 0;
  size_t pad = 0;
  while (pad < 2 && p[n - 1 - pad] == '=')
    pad++;
  for (size_t i = 0; i < n - pad; i++) {
    uint8_t c = p[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return 0;
  }
  return 1;
}

int m_mech_offered(const M *m, const uint8_t *p, size_t n) {
  const char *s = m->cfg->auth_mechanisms ? m->cfg->auth_mechanisms : "PLAIN";
  while (*s) {
    while (*s == ' ')
      s++;
    size_t k = 0;
    while (s[k] && s[k] != ' ')
      k++;
    char tok[32];
    if (k > 0 && k < sizeof tok) {
      memcpy(tok, s, k);
      tok[k] = '\0';
      if (m_ci_is(p, n, tok))
        return 1;
    }
    s += k;
  }
  return 0;
}

/* ---- the main loop ---- */
void model_run(const smtpp_config *cfg, const uint8_t *in, size_t len,
               const oracle_tape *tape, model_result *out) {
  M m;
  oracle_tape t = {NULL, 0, 0};
  static bbuf scratch;
  if (tape)
    t = *tape;
  t.pos = 0;
  out->nrep = 0; /* reuse the arrays of an earlier run */
  out->nevents = 0;
  out->nmsg = 0;
  bbuf_reset(&out->events);
  bbuf_reset(&out->texts);
  out->tls = out->closed = 0;
  memset(&m, 0, sizeof m);
  m.cfg = cfg;
  m.r = out;
  m.tape = &t;
  m.in = in;
  m.state = MS_INIT;
  m_reply_sit(&m, ALLOWED_GREETING, 0, P3); /* 4.2, no enhanced code */
  int bare_lf = (cfg->lenient & SMTPP_LENIENT_BARE_LF) != 0;
  size_t pos = 0;
  while (pos < len && m.state != MS_CLOSED && m.state != MS_TLS) {
    if (m.state == MS_DATA) {
      bbuf_reset(&scratch);
      int end = model_data_byte(&m.data, in[pos++], &scratch);
      if (scratch.len) {
        bbuf_add(&m_msg_open(&m)->body, scratch.p, scratch.len);
        m.msg_size += scratch.len;
      }
      if (!m.msg_err && m.data.line_too_long)
        m.msg_err = SMTPP_ERR_DATA_LINE_TOO_LONG;
      if (end)
        message_end(&m);
      continue;
    }
    if (m.state == MS_CHUNK) {
      size_t take = len - pos;
      if ((uint64_t)take > m.bdat_left)
        take = (size_t)m.bdat_left;
      if (!m.bdat_discard && take) {
        bbuf_add(&m_msg_open(&m)->body, in + pos, take);
        m.msg_size += take;
      }
      pos += take;
      m.bdat_left -= take;
      if (m.bdat_left == 0)
        chunk_done(&m);
      continue;
    }
    size_t content, n = model_line(in + pos, len - pos, bare_lf, &content);
    m.line_off = pos;
    m.verb = m.state == MS_AUTH ? SMTPP_VERB_AUTH : SMTPP_VERB_NONE;
    if (n == 0) {
      /* no line end: once the tail cannot fit the line buffer the parser
       * may answer at once (it skips the rest of the line) */
      m.line_len = len - pos;
      if (len - pos > MODEL_LINE_BUF) { /* judged by its first octets */
        if (m.state == MS_AUTH)
          m_auth_response(&m, NULL, 0, 1);
        else
          m_command(&m, in + pos, MODEL_LINE_BUF, 1);
      }
      break;
    }
    m.line_len = n;
    if (m.state == MS_AUTH)
      m_auth_response(&m, in + pos, content, n > MODEL_LINE_BUF);
    else if (n > MODEL_LINE_BUF)
      m_command(&m, in + pos, MODEL_LINE_BUF, 1);
    else
      m_command(&m, in + pos, content, 0);
    pos += n;
    if (m.state == MS_CHUNK && m.bdat_left == 0)
      chunk_done(&m); /* BDAT 0 */
  }
  out->tls = m.state == MS_TLS;
  out->closed = m.state == MS_CLOSED;
}

void model_result_free(model_result *r) {
  for (size_t i = 0; i < r->nmsg_init; i++)
    bbuf_free(&r->msg[i].body);
  free(r->msg);
  free(r->rep);
  bbuf_free(&r->events);
  free(r->ev_ok);
  bbuf_free(&r->texts);
  memset(r, 0, sizeof *r);
}
