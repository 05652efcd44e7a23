/*
 * model_session.c - the session: how each command line is judged and what
 * the server answers, restated rule by rule from docs/PROTOCOL.md (RFC
 * 5321 unless named).  The host never decides: the documented defaults
 * apply (accept; VRFY/EXPN 252; AUTH 535).  STARTTLS is never completed:
 * after its 220 every octet is discarded (RFC 3207 4.2, CVE-2011-0411).
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- the public error table: code and enhanced code ---- */
static const struct {
  int code;
  const char *enh;
} errs[] = {
#define XX(id, name, code, enh, text, reason) [id] = {code, enh},
  SMTPP_ERROR_TABLE(XX)
#undef XX
};

int model_err_code(int err) {
  return err > 0 && err < SMTPP_ERR__COUNT ? errs[err].code : 0;
}
const char *model_err_enh(int err) {
  return err > 0 && err < SMTPP_ERR__COUNT ? errs[err].enh : "";
}




static int use_enh(const M *m) {
  /* RFC 2034 4: when offered, on every reply but the greeting and the
   * replies to HELO/EHLO, whether the client said HELO, EHLO or nothing */
  return m->verb != SMTPP_VERB_HELO && m->verb != SMTPP_VERB_EHLO &&
         (m->cfg->extensions & SMTPP_EXT_ENHANCEDSTATUSCODES) != 0;
}

static void set_enh(const M *m, char *dst, int code, const char *enh) {
  dst[0] = '\0';
  if (enh && enh[0] && use_enh(m) && code / 100 != 3) /* no 3.x.x class */
    strncpy(dst, enh, 11);
  /* RFC 3463 3.2: the sender's address is X.1.7, a recipient's X.1.3 */
  if (m->verb == SMTPP_VERB_MAIL && strcmp(dst, "5.1.3") == 0)
    dst[4] = '7';
}

model_reply *m_reply(M *m, int code, const char *enh, int err, int prop) {
  model_result *r = m->r;
  r->rep = bb_grow(r->rep, &r->caprep, r->nrep, sizeof *r->rep);
  model_reply *p = &r->rep[r->nrep++];
  memset(p, 0, sizeof *p);
  p->code = code;
  set_enh(m, p->enh, code, enh);
  p->err = err;
  p->prop = prop;
  p->off = m->line_off;
  p->len = m->line_len;
  return p;
}

static uint32_t max_errors(const M *m) {
  return m->cfg->max_errors ? m->cfg->max_errors : 20;
}

/* Error budget: each 500/501/502/503/504/555 reply counts; at the limit
 * the reply is followed by 421 and the session closes. */
void m_count(M *m, int code) {
  if (code != 500 && code != 501 && code != 502 && code != 503 &&
      code != 504 && code != 555)
    return;
  if (++m->nerrors >= max_errors(m)) {
    m->verb = SMTPP_VERB_NONE; /* the 421 answers no command */
    m_reply(m, 421, model_err_enh(SMTPP_ERR_TOO_MANY_ERRORS),
          SMTPP_ERR_TOO_MANY_ERRORS, P9);
    m->state = SMTPP_ST_CLOSED;
  }
}

static int limit_err(int err) {
  return err == SMTPP_ERR_LINE_TOO_LONG || err == SMTPP_ERR_PATH_TOO_LONG ||
         err == SMTPP_ERR_LOCAL_TOO_LONG || err == SMTPP_ERR_DOMAIN_TOO_LONG ||
         err == SMTPP_ERR_SIZE_EXCEEDED || err == SMTPP_ERR_TOO_MANY_RCPTS ||
         err == SMTPP_ERR_DATA_LINE_TOO_LONG;
}

/* An error reply; alt: another equally right error (0 none). */
void m_error(M *m, int err, int alt) {
  int prop = err == SMTPP_ERR_BAD_SEQUENCE ? P5 : limit_err(err) ? P9 : P4;
  model_reply *p = m_reply(m, model_err_code(err), model_err_enh(err), err, prop);
  if (alt && alt != err) {
    p->alt_code = model_err_code(alt);
    set_enh(m, p->alt_enh, p->alt_code, model_err_enh(alt));
  }
  m_count(m, p->code);
}

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

model_msg *m_msg_open(M *m) {
  model_result *r = m->r;
  model_msg *g = model_msg_add(&r->msg, &r->nmsg, &r->capmsg, &r->nmsg_init);
  m->msg_size = 0;
  m->msg_err = 0;
  return g;
}

model_msg *m_msg_cur(M *m) {
  model_result *r = m->r;
  if (r->nmsg && r->msg[r->nmsg - 1].kind == MODEL_MSG_OPEN)
    return &r->msg[r->nmsg - 1];
  return NULL;
}

/* RSET, HELO/EHLO, end of message (RFC 5321 4.1.1.5, 4.1.4). */
void m_reset_txn(M *m) {
  model_msg *g = m_msg_cur(m);
  if (g)
    g->kind = MODEL_MSG_ABORTED; /* a BDAT transaction given up */
  m->state = m->helo ? SMTPP_ST_CMD_AFTER_HELO : SMTPP_ST_CMD_BEFORE_HELO;
  m->nrcpt = 0;
  m->mail_utf8 = 0;
}

uint64_t m_size_limit(const M *m) {
  return (m->cfg->extensions & SMTPP_EXT_SIZE) ? m->cfg->max_message_size : 0;
}

/* The one final reply of a message (RFC 5321 4.2, 3.3). */
static void message_end(M *m) {
  model_msg *g = m_msg_cur(m);
  g->kind = MODEL_MSG_ENDED;
  g->err = m->msg_err;
  if (m->msg_err) {
    model_reply *p = m_reply(m, model_err_code(m->msg_err),
                           model_err_enh(m->msg_err), m->msg_err, P6);
    m_count(m, p->code);
  } else {
    m_reply(m, 250, "2.0.0", 0, P6);
  }
  if (m->state != SMTPP_ST_CLOSED)
    m_reset_txn(m);
}

/* RFC 3030 2: a complete chunk. */
static void chunk_done(M *m) {
  if (m->bdat_discard) { /* read and thrown away: now the 503 */
    m->bdat_discard = 0;
    m->state = m->saved_state;
    m_error(m, SMTPP_ERR_BAD_SEQUENCE, 0);
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
    m_reply(m, model_err_code(m->msg_err), model_err_enh(m->msg_err),
          m->msg_err, P9);
    m_reset_txn(m);
    return;
  }
  m->state = SMTPP_ST_CMD_AFTER_BDAT;
  m_reply(m, 250, "2.0.0", 0, P3);
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

/* NOOP/HELP/VRFY/EXPN text: printable ASCII; 8-bit only when lenient. */
int m_text_err(const M *m, const uint8_t *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] >= 32 && a[i] <= 126)
      continue;
    if (a[i] >= 0x80)
      return (m->cfg->lenient & SMTPP_LENIENT_8BIT) ? 0 : SMTPP_ERR_EIGHTBIT;
    return SMTPP_ERR_SYNTAX;
  }
  return 0;
}

/* RFC 4648 4 base64, or "=" for an empty initial response (RFC 4954 4). */
int m_base64_ok(const uint8_t *p, size_t n, int initial) {
  if (initial && n == 1 && p[0] == '=')
    return 1;
  if (n == 0) /* an empty line after 334 is an empty response */
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
               model_result *out) {
  M m;
  out->nrep = 0; /* reuse the arrays of an earlier run */
  out->nmsg = 0;
  out->state = out->tls = out->closed = 0;
  memset(&m, 0, sizeof m);
  m.cfg = cfg;
  m.r = out;
  m.state = SMTPP_ST_CMD_BEFORE_HELO;
  m_reply(&m, 220, NULL, 0, P3); /* the greeting (4.2), no enhanced code */
  int bare_lf = (cfg->lenient & SMTPP_LENIENT_BARE_LF) != 0;
  size_t pos = 0;
  while (pos < len && m.state != SMTPP_ST_CLOSED &&
         m.state != SMTPP_ST_TLS_HANDSHAKE) {
    m.verb = SMTPP_VERB_NONE;
    if (m.state == SMTPP_ST_DATA_TEXT) {
      model_msg *g = m_msg_cur(&m);
      size_t before = g->body.len;
      int end = model_data_byte(&m.data, in[pos++], &g->body);
      m.msg_size += g->body.len - before;
      /* PROTOCOL.md DATA: a body over SIZE is 552 even if it also had a
       * long line (decided from totals, so no split can change it) */
      if (!m.msg_err && m.data.line_too_long)
        m.msg_err = SMTPP_ERR_DATA_LINE_TOO_LONG;
      if (m_size_limit(&m) && m.msg_size > m_size_limit(&m))
        m.msg_err = SMTPP_ERR_SIZE_EXCEEDED;
      if (end)
        message_end(&m);
      continue;
    }
    if (m.state == SMTPP_ST_BDAT_CHUNK) {
      size_t take = len - pos;
      if ((uint64_t)take > m.bdat_left)
        take = (size_t)m.bdat_left;
      if (!m.bdat_discard) {
        bbuf_add(&m_msg_cur(&m)->body, in + pos, take);
        m.msg_size += take;
      }
      pos += take;
      m.bdat_left -= take;
      if (m.bdat_left == 0)
        chunk_done(&m);
      continue;
    }
    size_t content, t = model_line(in + pos, len - pos, bare_lf, &content);
    m.line_off = pos;
    if (t == 0) {
      /* no line end: once the tail cannot fit the line buffer the parser
       * may answer at once (it skips the rest of the line) */
      m.line_len = len - pos;
      if (len - pos > MODEL_LINE_BUF) /* judged by its first octets */
        m_command(&m, in + pos, MODEL_LINE_BUF, 1);
      break;
    }
    m.line_len = t;
    if (t > MODEL_LINE_BUF)
      m_command(&m, in + pos, MODEL_LINE_BUF, 1);
    else
      m_command(&m, in + pos, content, 0);
    pos += t;
    if (m.state == SMTPP_ST_BDAT_CHUNK && m.bdat_left == 0)
      chunk_done(&m); /* BDAT 0 */
  }
  out->state = m.state;
  out->tls = m.state == SMTPP_ST_TLS_HANDSHAKE;
  out->closed = m.state == SMTPP_ST_CLOSED;
}

void model_result_free(model_result *r) {
  for (size_t i = 0; i < r->nmsg_init; i++)
    bbuf_free(&r->msg[i].body);
  free(r->msg);
  free(r->rep);
  memset(r, 0, sizeof *r);
}
