/*
 * session.c - the session state machine: feeding, judging each command
 * line, host decisions, DATA/BDAT bodies, STARTTLS, the error budget.
 *
 * The order in which a line is judged (docs/PROTOCOL.md) is fixed here in
 * handle_line(); every reply goes through reply.c.
 */
#include "internal.h"

#include <string.h>

#define MAX_RCPT_DEFAULT 100u    /* RFC 5321 4.5.3.1.8: at least 100 */
#define MAX_ERRORS_DEFAULT 20u   /* like Postfix smtpd_hard_error_limit */
#define HOST_TEXT_MAX 127u

enum pending_kind {
  PEND_NONE = 0, PEND_HELO, PEND_EHLO, PEND_MAIL, PEND_RCPT, PEND_DATA,
  PEND_MESSAGE, PEND_VRFY, PEND_AUTH
};

enum helo_kind { HK_NONE = 0, HK_HELO = 1, HK_EHLO = 2 };

static const char *const state_names[SMTPP_ST__COUNT] = {
  [SMTPP_ST_CMD_BEFORE_HELO] = "cmd_before_helo",
  [SMTPP_ST_CMD_AFTER_HELO] = "cmd_after_helo",
  [SMTPP_ST_CMD_AFTER_MAIL] = "cmd_after_mail",
  [SMTPP_ST_CMD_AFTER_RCPT] = "cmd_after_rcpt",
  [SMTPP_ST_DATA_TEXT] = "data_text",
  [SMTPP_ST_BDAT_CHUNK] = "bdat_chunk",
  [SMTPP_ST_CMD_AFTER_BDAT] = "cmd_after_bdat",
  [SMTPP_ST_TLS_HANDSHAKE] = "tls_handshake",
  [SMTPP_ST_AUTH_RESPONSE] = "auth_response",
  [SMTPP_ST_CLOSED] = "closed",
};

const char *smtpp_state_name(int state) {
  if (state < 0 || state >= SMTPP_ST__COUNT)
    return "invalid";
  return state_names[state];
}

const char *smtpp_version(void) { return SMTPP_VERSION_STRING; }

int smtpp_get_state(const smtpp_session *s) {
  return s ? s->state : -SMTPP_ERR_NULL_ARG;
}

/* strlen bounded by max (strnlen is POSIX, not C11). */
static size_t bounded_len(const char *p, size_t max) {
  size_t n = 0;
  while (n < max && p[n])
    n++;
  return n;
}

/* ---- config ---- */

void smtpp_config_default(smtpp_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->hostname = "localhost";
  cfg->extensions = SMTPP_EXT_DEFAULT;
  cfg->max_message_size = 10u * 1024u * 1024u;
  cfg->max_recipients = MAX_RCPT_DEFAULT;
  cfg->max_errors = MAX_ERRORS_DEFAULT;
  cfg->auth_mechanisms = "PLAIN";
}

static const char *hostname(const smtpp_session *s) {
  return s->cfg->hostname ? s->cfg->hostname : "localhost";
}

static const char *auth_mechs(const smtpp_session *s) {
  return s->cfg->auth_mechanisms ? s->cfg->auth_mechanisms : "PLAIN";
}

static uint32_t max_rcpt(const smtpp_session *s) {
  return s->cfg->max_recipients ? s->cfg->max_recipients : MAX_RCPT_DEFAULT;
}

static uint32_t max_errors(const smtpp_session *s) {
  return s->cfg->max_errors ? s->cfg->max_errors : MAX_ERRORS_DEFAULT;
}

static int config_ok(const smtpp_config *cfg) {
  const uint32_t all_ext = (SMTPP_EXT_AUTH << 1) - 1;
  const uint32_t all_len = (SMTPP_LENIENT_HELO_NAME << 1) - 1;
  if (cfg->extensions & ~all_ext)
    return 0;
  if (cfg->lenient & ~all_len)
    return 0;
  if (cfg->max_recipients != 0 && cfg->max_recipients < MAX_RCPT_DEFAULT)
    return 0;
  if (cfg->hostname) {
    const unsigned char *h = (const unsigned char *)cfg->hostname;
    size_t n = bounded_len(cfg->hostname, 256);
    if (n > 255 || smtpp_check_domain(h, h + n, 0) != 0)
      return 0;
  }
  if (cfg->auth_mechanisms) {
    size_t n = bounded_len(cfg->auth_mechanisms, 201);
    if (n == 0 || n > 200)
      return 0;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)cfg->auth_mechanisms[i];
      /* sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"), SP separated */
      if (!((c >= 'A' && c <= 'Z') || SMTPP_IS(c, SMTPP_C_DIGIT) || c == '-' ||
            c == '_' || c == ' '))
        return 0;
    }
  }
  return 1;
}

/* ---- helpers ---- */

static int in_transaction(const smtpp_session *s) {
  return s->state == SMTPP_ST_CMD_AFTER_MAIL ||
         s->state == SMTPP_ST_CMD_AFTER_RCPT ||
         s->state == SMTPP_ST_CMD_AFTER_BDAT;
}

static void reset_transaction(smtpp_session *s) {
  s->state = s->helo_kind ? SMTPP_ST_CMD_AFTER_HELO : SMTPP_ST_CMD_BEFORE_HELO;
  s->nrcpt = 0;
  s->declared_size = 0;
  s->msg_size = 0;
  s->msg_error = 0;
  s->mail_utf8 = 0;
  s->bdat_left = 0;
  s->bdat_chunk = 0;
  s->bdat_last = 0;
  s->bdat_discard = 0;
}

static void close_session(smtpp_session *s) {
  s->state = SMTPP_ST_CLOSED;
  s->pending = PEND_NONE;
}

static const char *enh_or_null(const smtpp_session *s, const char *enh) {
  return smtpp_use_enh(s) ? enh : NULL;
}

static void reply(smtpp_session *s, int code, const char *enh,
                  const char *text) {
  if (code >= 300 && code < 400)
    enh = NULL; /* RFC 3463 has no 3.x.x class */
  (void)smtpp_reply_own(s, code, enh_or_null(s, enh), text, strlen(text), 0);
}

static void reply_more(smtpp_session *s, int code, const char *enh,
                       const char *text, int more) {
  (void)smtpp_reply_own(s, code, enh_or_null(s, enh), text, strlen(text),
                        more);
}

/* An error reply that counts toward the error budget. */
static int counts_as_error(int err) {
  int code = smtpp_err_code(err);
  return code == 500 || code == 501 || code == 502 || code == 503 ||
         code == 504 || code == 555;
}

static void protocol_error(smtpp_session *s, int err, int verb,
                           smtpp_event *ev) {
  (void)smtpp_reply_err(s, err, verb);
  if (ev) {
    ev->type = SMTPP_EV_PROTOCOL_ERROR;
    ev->verb = verb;
    ev->error = err;
  }
  if (counts_as_error(err) && ++s->nerrors >= max_errors(s)) {
    /* Error budget spent: close with 421 (RFC 5321 3.8). */
    (void)smtpp_reply_err(s, SMTPP_ERR_TOO_MANY_ERRORS, SMTPP_VERB_NONE);
    close_session(s);
  }
}

/* ---- multi-line replies ---- */

static void ehlo_reply(smtpp_session *s) {
  uint32_t ext = s->cfg->extensions;
  char buf[64];
  const char *lines[12];
  int n = 0;

  if (ext & SMTPP_EXT_PIPELINING)
    lines[n++] = "PIPELINING";
  if (ext & SMTPP_EXT_SIZE) {
    /* "SIZE" SP number (RFC 1870 4); 0 = no fixed maximum. */
    uint64_t v = s->cfg->max_message_size;
    char digits[24];
    int d = 0;
    do {
      digits[d++] = (char)('0' + v % 10);
      v /= 10;
    } while (v);
    memcpy(buf, "SIZE ", 5);
    for (int i = 0; i < d; i++)
      buf[5 + i] = digits[d - 1 - i];
    buf[5 + d] = '\0';
    lines[n++] = buf;
  }
  if (ext & SMTPP_EXT_8BITMIME)
    lines[n++] = "8BITMIME";
  if (ext & SMTPP_EXT_SMTPUTF8)
    lines[n++] = "SMTPUTF8";
  if (ext & SMTPP_EXT_DSN)
    lines[n++] = "DSN";
  if (ext & SMTPP_EXT_CHUNKING)
    lines[n++] = "CHUNKING";
  if ((ext & SMTPP_EXT_STARTTLS) && !s->tls_active)
    lines[n++] = "STARTTLS";
  if (ext & SMTPP_EXT_ENHANCEDSTATUSCODES)
    lines[n++] = "ENHANCEDSTATUSCODES";
  int auth = (ext & SMTPP_EXT_AUTH) != 0;
  /* RFC 2034 3: no enhanced code on the EHLO reply itself. */
  const char *host = hostname(s);
  (void)smtpp_reply_own(s, 250, NULL, host, strlen(host), n + auth > 0);
  for (int i = 0; i < n; i++)
    (void)smtpp_reply_own(s, 250, NULL, lines[i], strlen(lines[i]),
                           i + 1 < n || auth);
  if (auth) {
    char a[5 + 201];
    const char *m = auth_mechs(s);
    size_t ml = strlen(m);
    memcpy(a, "AUTH ", 5);
    memcpy(a + 5, m, ml);
    (void)smtpp_reply_own(s, 250, NULL, a, 5 + ml, 0);
  }
}

static void help_reply(smtpp_session *s, int verb) {
  if (verb != SMTPP_VERB_NONE) {
    const char *h = smtpp_commands[verb].help;
    reply(s, 214, "2.0.0", h);
    return;
  }
  /* Only the verbs this configuration speaks, from the command table. */
  char list[128];
  size_t n = 0;
  for (int v = SMTPP_VERB_HELO; v < SMTPP_VERB__COUNT; v++) {
    const smtpp_command *c = &smtpp_commands[v];
    if (c->needs_ext && !(s->cfg->extensions & c->needs_ext))
      continue;
    if (n)
      list[n++] = ' ';
    memcpy(list + n, c->name, c->len);
    n += c->len;
  }
  reply_more(s, 214, "2.0.0", "Commands supported:", 1);
  (void)smtpp_reply_own(s, 214, enh_or_null(s, "2.0.0"), list, n, 1);
  reply_more(s, 214, "2.0.0", "HELP <command> for one; see RFC 5321", 0);
}

static void status_reply(smtpp_session *s) {
  char line[64];
  const char *st = smtpp_state_name(s->state);
  size_t n = strlen(st);
  reply_more(s, 211, "2.0.0", "smtpp status", 1);
  memcpy(line, "state ", 6);
  memcpy(line + 6, st, n);
  line[6 + n] = '\0';
  reply_more(s, 211, "2.0.0", line, 1);
  reply_more(s, 211, "2.0.0", s->tls_active ? "tls on" : "tls off", 1);
  reply_more(s, 211, "2.0.0", "end of status", 0);
}

/* ---- host decisions ---- */

static int default_code(const smtpp_session *s, int kind) {
  switch (kind) {
  case PEND_DATA:
    return 354;
  case PEND_VRFY:
    return 252; /* RFC 5321 3.5.3, 7.3: no 250 unless verified */
  case PEND_AUTH:
    /* Refusing is the only safe default, after the exchange: AUTH without
     * an initial response gets the empty challenge first (RFC 4954 4). */
    return s->pend_verb == SMTPP_VERB_AUTH ? 334 : 535;
  default:
    return 250;
  }
}

static int success_code_ok(int kind, int code) {
  switch (kind) {
  case PEND_HELO:
  case PEND_EHLO:
  case PEND_MAIL:
  case PEND_MESSAGE:
    return code == 250;
  case PEND_RCPT:
  case PEND_VRFY:
    return code == 250 || code == 251 || code == 252;
  case PEND_DATA:
    return code == 354;
  default: /* PEND_AUTH: every other kind is listed above */
    return code == 235 || code == 334;
  }
}

/* "c.d.d" where c matches the code's class (RFC 3463 2). */
static int enh_ok(const char *e, int code) {
  if (e == NULL)
    return 1;
  if (e[0] != (char)('0' + code / 100) || e[1] != '.')
    return 0;
  const char *p = e + 2;
  for (int part = 0; part < 2; part++) {
    int n = 0;
    while (*p >= '0' && *p <= '9' && n < 4) {
      p++;
      n++;
    }
    if (n < 1 || n > 3)
      return 0;
    if (part == 0) {
      if (*p != '.')
        return 0;
      p++;
    }
  }
  return *p == '\0';
}

int smtpp_decide(smtpp_session *s, int code, const char *enh,
                 const char *text) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->pending == PEND_NONE)
    return -SMTPP_ERR_NO_DECISION;
  int ok = success_code_ok(s->pending, code) ||
           (code >= 400 && code <= 559 && code % 100 <= 59);
  if (!ok)
    return -SMTPP_ERR_BAD_CODE;
  if (code >= 300 && code < 400 && enh != NULL)
    return -SMTPP_ERR_BAD_CODE;
  if (!enh_ok(enh, code))
    return -SMTPP_ERR_BAD_CODE;
  s->dec_code = (uint16_t)code;
  s->dec_enh[0] = '\0';
  if (enh) {
    /* enh_ok() bounds it to "c.ddd.ddd": 9 octets and the NUL */
    size_t n = bounded_len(enh, sizeof s->dec_enh - 1);
    memcpy(s->dec_enh, enh, n);
    s->dec_enh[n] = '\0';
  }
  s->dec_text_len = 0;
  if (text) {
    size_t n = bounded_len(text, HOST_TEXT_MAX);
    memcpy(s->dec_text, text, n);
    s->dec_text_len = (uint8_t)n;
  }
  s->dec_set = 1 | (text ? 2 : 0);
  return 0;
}

/* The reply of a refused decision: host text or a generic one.  A refused
 * HELO/EHLO gets no enhanced code (RFC 2034 4). */
static void refusal(smtpp_session *s, int kind, int code, const char *enh,
                    const char *deftext) {
  char genenh[8] = {(char)('0' + code / 100), '.', '0', '.', '0', '\0'};
  const char *e = enh ? enh : genenh;
  if (kind == PEND_HELO || kind == PEND_EHLO)
    e = NULL;
  if (s->dec_set & 2)
    (void)smtpp_reply_line(s, code, enh_or_null(s, e), s->dec_text,
                           s->dec_text_len, 0);
  else
    reply(s, code, e, deftext);
}

static void accepted_text(smtpp_session *s, int code, const char *enh,
                          const char *deftext) {
  const char *e = code >= 300 ? NULL : enh; /* callers pass 2xx or 3xx */
  if (s->dec_set & 2)
    (void)smtpp_reply_line(s, code, enh_or_null(s, e), s->dec_text,
                           s->dec_text_len, 0);
  else
    reply(s, code, e, deftext);
}

/* Applies the host's decision, or the default, to the pending event. */
static void resolve(smtpp_session *s) {
  int kind = s->pending;
  if (kind == PEND_NONE)
    return;
  int code = (s->dec_set & 1) ? s->dec_code : default_code(s, kind);
  const char *enh = (s->dec_set & 1) && s->dec_enh[0] ? s->dec_enh : NULL;
  s->pending = PEND_NONE;

  if (code == 421) {
    refusal(s, kind, 421, enh ? enh : "4.3.2", "Service not available, closing");
    close_session(s);
    s->dec_set = 0;
    return;
  }
  int ok = code < 400;
  switch (kind) {
  case PEND_HELO:
  case PEND_EHLO:
    if (ok) {
      s->helo_kind = kind == PEND_EHLO ? HK_EHLO : HK_HELO;
      reset_transaction(s); /* RFC 5321 4.1.4 */
      if (kind == PEND_EHLO && !(s->dec_set & 2)) {
        ehlo_reply(s);
      } else {
        const char *h = hostname(s);
        if (s->dec_set & 2)
          (void)smtpp_reply_line(s, 250, NULL, s->dec_text, s->dec_text_len, 0);
        else
          (void)smtpp_reply_own(s, 250, NULL, h, strlen(h), 0);
      }
    } else {
      refusal(s, kind, code, enh, "Hello refused");
    }
    break;
  case PEND_MAIL:
    if (ok) {
      s->state = SMTPP_ST_CMD_AFTER_MAIL;
      s->declared_size = s->pend_size;
      s->mail_utf8 = s->pend_utf8;
      s->nrcpt = 0;
      accepted_text(s, code, enh ? enh : "2.1.0", "Sender OK");
    } else {
      refusal(s, kind, code, enh, "Sender refused");
    }
    break;
  case PEND_RCPT:
    if (ok) {
      s->state = SMTPP_ST_CMD_AFTER_RCPT;
      s->nrcpt++; /* cannot overflow: RCPT is refused at max_rcpt() */
      accepted_text(s, code, enh ? enh : "2.1.5", "Recipient OK");
    } else {
      refusal(s, kind, code, enh, "Recipient refused");
    }
    break;
  case PEND_DATA:
    if (ok) {
      s->state = SMTPP_ST_DATA_TEXT;
      s->data_state = SMTPP_DS_LINE_START;
      s->data_line_len = 0;
      s->msg_size = 0;
      s->msg_error = 0;
      accepted_text(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
    } else {
      refusal(s, kind, code, enh, "Data refused");
    }
    break;
  case PEND_MESSAGE:
    if (ok)
      accepted_text(s, code, enh ? enh : "2.0.0", "Message accepted");
    else
      refusal(s, kind, code, enh, "Message refused");
    reset_transaction(s);
    break;
  case PEND_VRFY:
    if (ok)
      accepted_text(s, code, enh ? enh : "2.5.2",
                    code != 252 ? "OK"
                    : s->pend_verb == SMTPP_VERB_EXPN
                        ? "Cannot EXPN list"
                        : "Cannot VRFY user, but will accept message and "
                          "attempt delivery");
    else
      refusal(s, kind, code, enh, "Cannot verify");
    break;
  case PEND_AUTH:
    if (code == 334) {
      s->state = SMTPP_ST_AUTH_RESPONSE;
      /* the host's challenge, or the empty one (RFC 4954 4) */
      (void)smtpp_reply_line(s, 334, NULL, s->dec_text,
                             (s->dec_set & 2) ? s->dec_text_len : 0, 0);
    } else {
      s->state = s->saved_state;
      if (code == 235) {
        s->authenticated = 1;
        accepted_text(s, 235, enh ? enh : "2.7.0",
                      "Authentication successful");
      } else {
        refusal(s, kind, code, enh ? enh : "5.7.8",
                "Authentication credentials invalid");
      }
    }
    break;
  } /* every pending kind is handled; PEND_NONE returned above */
  s->dec_set = 0;
}

static void set_pending(smtpp_session *s, int kind, smtpp_event *ev) {
  s->pending = (uint8_t)kind;
  s->dec_set = 0;
  if (ev)
    ev->flags |= SMTPP_EVF_DECIDABLE;
}

/* ---- the command judge ---- */

/* Line limit of a verb (RFC 5321 4.5.3.1.4 plus the extension grants). */
static size_t line_limit(const smtpp_session *s, int verb) {
  uint32_t ext = s->cfg->extensions;
  size_t lim = 512;
  if (s->cfg->lenient & SMTPP_LENIENT_LONG_LINES)
    return SMTPP_LINE_MAX;
  if (s->helo_kind != HK_EHLO)
    return lim;
  if (verb == SMTPP_VERB_MAIL) {
    if (ext & SMTPP_EXT_SIZE)
      lim += 26; /* RFC 1870 3 */
    if (ext & SMTPP_EXT_DSN)
      lim += 100; /* RFC 3461 5: RET, ENVID */
    if (ext & SMTPP_EXT_SMTPUTF8)
      lim += 10; /* RFC 6531 3.4 */
    if (ext & SMTPP_EXT_AUTH)
      lim += 500; /* RFC 4954 5 */
  } else if (verb == SMTPP_VERB_RCPT) {
    if (ext & SMTPP_EXT_DSN)
      lim += 500; /* RFC 3461 5: NOTIFY, ORCPT */
    if (ext & SMTPP_EXT_SMTPUTF8)
      lim += 10; /* RFC 6531 3.4 */
  } else if (verb == SMTPP_VERB_AUTH && (ext & SMTPP_EXT_AUTH)) {
    /* RFC 4954 4: a server handles SASL responses of any size its
     * mechanisms produce, "independent of any line length limitations";
     * the initial response is one: the whole line buffer. */
    return SMTPP_LINE_MAX;
  }
  return lim;
}

/* Eight octets at a time (SWAR): a word of the line, loaded unaligned. */
static uint64_t load8(const unsigned char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static int has_8bit(const unsigned char *p, const unsigned char *end) {
  for (; end - p >= 8; p += 8)
    if (load8(p) & HIGHS)
      return 1;
  for (; p < end; p++)
    if (*p >= 0x80)
      return 1;
  return 0;
}

/* Whether [p, end) holds a CR, an LF or a NUL (RFC 5321 2.3.8).  A word
 * with no octet below 0x0E cannot hold one; only other words are looked
 * at octet by octet. */
static int has_cr_lf_nul(const unsigned char *p, const unsigned char *end) {
  for (; end - p >= 8; p += 8) {
    uint64_t w = load8(p);
    if (((w - 0x0E * ONES) & ~w & HIGHS) == 0)
      continue; /* every octet >= 0x0E */
    for (int i = 0; i < 8; i++)
      if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
        return 1;
  }
  for (; p < end; p++)
    if (*p == '\r' || *p == '\n' || *p == '\0')
      return 1;
  return 0;
}

/* Printable text (for NOOP/HELP/VRFY/EXPN); 8-bit only when lenient. */
static int text_arg_err(const smtpp_session *s, const unsigned char *p,
                        const unsigned char *end) {
  for (; p < end; p++) {
    if (SMTPP_IS(*p, SMTPP_C_PRINT))
      continue;
    if (*p >= 0x80 && (s->cfg->lenient & SMTPP_LENIENT_8BIT))
      continue; /* the leniency admits 8-bit octets, not what follows them */
    return *p >= 0x80 ? SMTPP_ERR_EIGHTBIT : SMTPP_ERR_SYNTAX;
  }
  return 0;
}

static smtpp_slice slice(const unsigned char *p, size_t n) {
  smtpp_slice sl;
  sl.p = p;
  sl.len = n;
  return sl;
}

/* MAIL FROM: / RCPT TO: */
static int parse_mail_rcpt(smtpp_session *s, int verb, const unsigned char *a,
                           const unsigned char *end, smtpp_event *ev) {
  const char *kw = verb == SMTPP_VERB_MAIL ? "FROM:" : "TO:";
  size_t kwl = strlen(kw);
  if ((size_t)(end - a) < kwl || !smtpp_ci_eq(a, kwl, kw))
    return SMTPP_ERR_SYNTAX;
  a += kwl;
  if (s->cfg->lenient & SMTPP_LENIENT_PATH_SPACE)
    while (a < end && *a == ' ')
      a++;
  uint32_t offered = s->helo_kind == HK_EHLO ? s->cfg->extensions : 0;
  /* Path first with UTF-8 allowed to find its end; whether UTF-8 was
   * allowed is settled once the parameters are known (RFC 6531 3.3). */
  smtpp_path path;
  const unsigned char *after = NULL;
  unsigned flags = SMTPP_ADDR_UTF8 |
                   (verb == SMTPP_VERB_MAIL ? SMTPP_ADDR_ALLOW_NULL
                                            : SMTPP_ADDR_POSTMASTER);
  /* RFC 6531 3.5: a non-ASCII address in a transaction without SMTPUTF8
   * is refused as such (550/553 X.6.7), not as a syntax error. */
  int nonascii = verb == SMTPP_VERB_MAIL ? SMTPP_ERR_NONASCII_SENDER
                                         : SMTPP_ERR_NONASCII_RCPT;
  int lenient8 = (s->cfg->lenient & SMTPP_LENIENT_8BIT) != 0;
  int err = smtpp_parse_path(a, end, flags, &path, &after);
  if (err) {
    /* Malformed: 8-bit where UTF-8 could not be meant is non-ASCII. */
    int could_utf8 = verb == SMTPP_VERB_MAIL
                         ? (offered & SMTPP_EXT_SMTPUTF8) != 0
                         : s->mail_utf8;
    if (!could_utf8 && !lenient8 && has_8bit(a, end))
      return nonascii;
    return err;
  }
  smtpp_params prm;
  err = smtpp_parse_params(after, end, verb, offered,
                           (offered & SMTPP_EXT_SIZE) ? s->cfg->max_message_size : 0,
                           verb == SMTPP_VERB_RCPT && s->mail_utf8, &prm);
  if (err && err != SMTPP_ERR_SIZE_EXCEEDED)
    return err;
  int utf8 = verb == SMTPP_VERB_MAIL ? prm.smtputf8 : s->mail_utf8;
  if (has_8bit(a, after) && !utf8 && !lenient8)
    return nonascii;
  if (err)
    return err; /* SIZE over the limit: 552, only for a well-formed line */
  if (verb == SMTPP_VERB_RCPT && s->nrcpt >= max_rcpt(s))
    return SMTPP_ERR_TOO_MANY_RCPTS; /* RFC 5321 4.5.3.1.10 */
  if (ev) {
    ev->path = slice(path.mailbox, path.mailbox_len);
    if (path.null_path)
      ev->path = slice(a + 1, 0);
    ev->local = slice(path.local, path.local_len);
    ev->domain = slice(path.domain, path.domain_len);
    ev->params = prm;
    if (prm.smtputf8)
      ev->flags |= SMTPP_EVF_SMTPUTF8;
  }
  s->pend_size = prm.has_size ? prm.size : 0;
  s->pend_utf8 = prm.smtputf8;
  return 0;
}

/* BDAT SP chunk-size [SP "LAST"] (RFC 3030 2). */
static int parse_bdat(const unsigned char *a, const unsigned char *end,
                      uint64_t *size, int *last) {
  const unsigned char *d = a;
  uint64_t v = 0;
  while (a < end && SMTPP_IS(*a, SMTPP_C_DIGIT)) {
    unsigned dig = (unsigned)(*a - '0');
    if (v > (UINT64_C(0x8000000000000000) - dig) / 10) /* n <= 2^63 */
      return SMTPP_ERR_BDAT_SYNTAX;
    v = v * 10 + dig;
    a++;
  }
  if (a == d)
    return SMTPP_ERR_BDAT_SYNTAX;
  *last = 0;
  if (a < end) {
    if (*a != ' ' || !smtpp_ci_eq(a + 1, (size_t)(end - a - 1), "LAST"))
      return SMTPP_ERR_BDAT_SYNTAX;
    *last = 1;
  }
  *size = v;
  return 0;
}

static void bdat_chunk_done(smtpp_session *s, smtpp_event *ev);

static int sequence_ok(const smtpp_session *s, int verb) {
  const smtpp_command *c = &smtpp_commands[verb];
  if ((c->flags & SMTPP_CF_NEEDS_HELO) && s->helo_kind == HK_NONE)
    return 0;
  if ((c->flags & SMTPP_CF_NEEDS_EHLO) && s->helo_kind != HK_EHLO)
    return 0;
  if ((c->flags & SMTPP_CF_NO_TXN) && in_transaction(s))
    return 0;
  switch (verb) {
  case SMTPP_VERB_RCPT:
    return s->state == SMTPP_ST_CMD_AFTER_MAIL ||
           s->state == SMTPP_ST_CMD_AFTER_RCPT;
  case SMTPP_VERB_DATA:
    return s->state == SMTPP_ST_CMD_AFTER_RCPT;
  case SMTPP_VERB_BDAT:
    return s->state == SMTPP_ST_CMD_AFTER_RCPT ||
           s->state == SMTPP_ST_CMD_AFTER_BDAT;
  case SMTPP_VERB_STARTTLS:
    return !s->tls_active;
  case SMTPP_VERB_AUTH:
    return !s->authenticated;
  default:
    return 1;
  }
}

static int mech_offered(const smtpp_session *s, const unsigned char *m,
                        size_t n) {
  const char *p = auth_mechs(s);
  while (*p) {
    while (*p == ' ')
      p++;
    const char *e = p;
    while (*e && *e != ' ')
      e++;
    /* m is 1..20 mech-chars (checked by the caller); config_ok() admits
     * only upper-case lists, so folding m is enough */
    size_t i = 0;
    if ((size_t)(e - p) == n)
      while (i < n && (m[i] >= 'a' && m[i] <= 'z' ? m[i] - 32 : m[i]) ==
                          (unsigned char)p[i])
        i++;
    if (i == n)
      return 1;
    p = e;
  }
  return 0;
}

/* A SASL response (RFC 4954 4): base64, or "=" for an empty initial
 * response.  An empty line after 334 is an empty response, valid. */
static int base64_ok(const unsigned char *p, const unsigned char *end,
                     int initial) {
  if (initial && end - p == 1 && *p == '=')
    return 1;
  size_t n = (size_t)(end - p), pad = 0;
  if (n % 4 || (initial && n == 0))
    return 0;
  for (const unsigned char *q = p; q < end; q++) {
    unsigned char c = *q;
    if (c == '=') {
      pad++;
      continue;
    }
    if (pad || !(SMTPP_IS(c, SMTPP_C_ALPHA | SMTPP_C_DIGIT) || c == '+' || c == '/'))
      return 0;
  }
  return pad <= 2;
}

static void handle_auth_response(smtpp_session *s, const unsigned char *l,
                                 size_t len, int too_long, smtpp_event *ev) {
  s->state = s->saved_state;
  if (too_long) { /* RFC 4954 4, 6 */
    protocol_error(s, SMTPP_ERR_AUTH_TOO_LONG, SMTPP_VERB_AUTH, ev);
    return;
  }
  if (len == 1 && l[0] == '*') { /* RFC 4954 4: the client cancels */
    protocol_error(s, SMTPP_ERR_AUTH_CANCELLED, SMTPP_VERB_AUTH, ev);
    return;
  }
  if (!base64_ok(l, l + len, 0)) { /* RFC 4954 4: 501 5.5.2 */
    protocol_error(s, SMTPP_ERR_AUTH_BASE64, SMTPP_VERB_AUTH, ev);
    return;
  }
  s->state = SMTPP_ST_AUTH_RESPONSE;
  s->pend_verb = SMTPP_VERB_NONE;
  if (ev) {
    ev->type = SMTPP_EV_AUTH_RESPONSE;
    ev->verb = SMTPP_VERB_AUTH;
    ev->arg = slice(l, len);
  }
  set_pending(s, PEND_AUTH, ev);
}

/* Whether [p, end) starts with the verb BDAT: "BDAT" and then no letter. */
static int bdat_at(const unsigned char *p, const unsigned char *end) {
  return end - p >= 4 && smtpp_ci_prefix(p, end, "BDAT") &&
         (end - p == 4 || !SMTPP_IS(p[4], SMTPP_C_ALPHA));
}

/* Whether some framing could read [l, end) as a BDAT command: its verb is
 * BDAT, or a BDAT follows a bare CR or LF in it (a peer that ends lines
 * there would take the octets after it as a chunk).  Only called on lines
 * that hold a CR/LF/NUL or start with BDAT. */
static int could_be_bdat(const unsigned char *l, const unsigned char *end) {
  if (bdat_at(l, end))
    return 1;
  for (const unsigned char *q = l; q < end; q++)
    if ((*q == '\r' || *q == '\n') && bdat_at(q + 1, end))
      return 1;
  return 0;
}

/* RFC 3030 2: the octets after a BDAT line are a chunk, so a BDAT line
 * must be obeyed exactly or the session must end: resynchronising on the
 * chunk would run its octets as commands (smuggling).  Refused with 421
 * (RFC 5321 3.8) and closed.  Returns 1 if the line was refused. */
static int bdat_refused(smtpp_session *s, const unsigned char *l, size_t len,
                        const unsigned char *end, int too_long, int bad_octet,
                        smtpp_event *ev) {
  int exact = !too_long && !bad_octet && len + 2 <= line_limit(s, SMTPP_VERB_BDAT) &&
              end - l > 5 && l[4] == ' ';
  uint64_t size;
  int last;
  if (exact && parse_bdat(l + 5, end, &size, &last) == 0)
    return 0;
  (void)smtpp_reply_err(s, SMTPP_ERR_BDAT_SYNTAX, SMTPP_VERB_BDAT);
  if (ev) {
    ev->type = SMTPP_EV_PROTOCOL_ERROR;
    ev->verb = SMTPP_VERB_BDAT;
    ev->error = SMTPP_ERR_BDAT_SYNTAX;
  }
  close_session(s);
  return 1;
}

/* VRFY/EXPN SP String [SP "SMTPUTF8"] (RFC 6531 3.7.4): with SMTPUTF8
 * offered the string may hold UTF-8 and the parameter may follow;
 * returns the end of the string and sets *utf8 if the parameter is there. */
static const unsigned char *vrfy_string(const smtpp_session *s,
                                        const unsigned char *a,
                                        const unsigned char *end, int *utf8,
                                        int *err) {
  int offered = s->helo_kind == HK_EHLO &&
                (s->cfg->extensions & SMTPP_EXT_SMTPUTF8);
  *utf8 = 0;
  if (offered && end - a > 9 && smtpp_ci_eq(end - 9, 9, " SMTPUTF8")) {
    *utf8 = 1;
    end -= 9;
  }
  for (const unsigned char *p = a; p < end;) {
    if (SMTPP_IS(*p, SMTPP_C_PRINT)) {
      p++;
      continue;
    }
    if (*p < 0x80) {
      *err = SMTPP_ERR_SYNTAX;
      return NULL;
    }
    size_t n = offered ? smtpp_utf8_seq(p, end) : 0;
    if (n == 0 && !(s->cfg->lenient & SMTPP_LENIENT_8BIT)) {
      *err = offered ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
      return NULL;
    }
    p += n ? n : 1;
  }
  return end;
}

/* The HELO/EHLO argument: Domain (EHLO also address-literal), RFC 5321
 * 4.1.1.1, with U-labels when SMTPUTF8 is offered (RFC 6531 3.7.1).
 * SMTPP_LENIENT_HELO_NAME takes any printable token. */
static int helo_arg_err(const smtpp_session *s, int verb,
                        const unsigned char *arg, const unsigned char *end) {
  int err;
  if (verb == SMTPP_VERB_EHLO && *arg == '[')
    err = smtpp_check_address_literal(arg, end);
  else
    err = smtpp_check_domain(arg, end,
                             (s->cfg->extensions & SMTPP_EXT_SMTPUTF8) != 0);
  if (err && (s->cfg->lenient & SMTPP_LENIENT_HELO_NAME)) {
    err = 0;
    for (const unsigned char *p = arg; p < end && !err; p++)
      if (!SMTPP_IS(*p, SMTPP_C_PRINT) || *p == ' ')
        err = SMTPP_ERR_SYNTAX;
  }
  if (err == SMTPP_ERR_DOMAIN_TOO_LONG)
    err = SMTPP_ERR_SYNTAX; /* a bad argument, not a bad address */
  return err;
}

/* Judges one complete command line; the order is the one documented in
 * docs/PROTOCOL.md ("How a line is judged").  l, len: the line without
 * CRLF, or the first SMTPP_LINE_MAX octets of an over-long one. */
static void handle_line(smtpp_session *s, const unsigned char *l, size_t len,
                        int too_long, smtpp_event *ev) {
  if (s->state == SMTPP_ST_AUTH_RESPONSE) {
    handle_auth_response(s, l, len, too_long, ev);
    return;
  }
  const unsigned char *end = l + len;
  if ((s->cfg->lenient & SMTPP_LENIENT_TRAILING_SP) && !too_long)
    while (end > l && end[-1] == ' ')
      end--;
  size_t vlen;
  int verb = smtpp_verb_lookup(l, end, &vlen);
  /* RFC 5321 2.3.8: CR and LF only as CRLF; NUL never. */
  int bad_octet = has_cr_lf_nul(l, l + len);
  if ((s->cfg->extensions & SMTPP_EXT_CHUNKING) &&
      (verb == SMTPP_VERB_BDAT || (bad_octet && could_be_bdat(l, end))) &&
      bdat_refused(s, l, len, end, too_long, bad_octet, ev))
    return;
  if (too_long || len + 2 > line_limit(s, verb)) {
    int auth = verb == SMTPP_VERB_AUTH && (s->cfg->extensions & SMTPP_EXT_AUTH);
    protocol_error(s, auth ? SMTPP_ERR_AUTH_TOO_LONG : SMTPP_ERR_LINE_TOO_LONG,
                   verb, ev);
    return;
  }
  if (verb == SMTPP_VERB_NONE) {
    protocol_error(s, SMTPP_ERR_UNKNOWN_COMMAND, verb, ev);
    return;
  }
  const unsigned char *a = l + vlen;
  if (a < end && *a != ' ' && !(verb == SMTPP_VERB_NOOP && *a == '\t')) {
    int bad = *a == '\r' || *a == '\n' || *a == '\0';
    protocol_error(s, bad ? SMTPP_ERR_BARE_CR_LF : SMTPP_ERR_SYNTAX, verb, ev);
    return;
  }
  if (bad_octet) {
    protocol_error(s, SMTPP_ERR_BARE_CR_LF, verb, ev);
    return;
  }
  const smtpp_command *c = &smtpp_commands[verb];
  if (c->needs_ext && !(s->cfg->extensions & c->needs_ext)) {
    protocol_error(s, SMTPP_ERR_NOT_IMPLEMENTED, verb, ev);
    return;
  }
  /* BDAT's size is known even to refuse it: bdat_refused() passed it. */
  uint64_t bsize = 0;
  int blast = 0;
  if (verb == SMTPP_VERB_BDAT)
    (void)parse_bdat(a + 1, end, &bsize, &blast);
  if (!sequence_ok(s, verb)) {
    if (verb == SMTPP_VERB_BDAT) {
      /* Read and throw the chunk away, then 503 (RFC 3030 2). */
      s->bdat_discard = 1;
      s->bdat_left = bsize;
      s->bdat_chunk = bsize;
      s->bdat_last = (uint8_t)blast;
      s->saved_state = s->state;
      s->state = SMTPP_ST_BDAT_CHUNK;
      return; /* the loop in smtpp_feed() finishes a complete chunk */
    }
    protocol_error(s, SMTPP_ERR_BAD_SEQUENCE, verb, ev);
    return;
  }
  /* Arguments. */
  int has_arg = a < end; /* then *a == ' ' (or NOOP's TAB) */
  const unsigned char *arg = has_arg ? a + 1 : end;
  if ((c->flags & SMTPP_CF_NO_ARGS) && has_arg) {
    protocol_error(s, SMTPP_ERR_SYNTAX, verb, ev);
    return;
  }
  if ((c->flags & SMTPP_CF_ARG_REQUIRED) && (!has_arg || arg == end)) {
    protocol_error(s, SMTPP_ERR_SYNTAX, verb, ev);
    return;
  }
  if (ev) {
    ev->type = SMTPP_EV_COMMAND;
    ev->verb = verb;
    if (c->flags & SMTPP_CF_GROUP_END)
      ev->flags |= SMTPP_EVF_GROUP_END;
    ev->arg = slice(arg, (size_t)(end - arg));
  }
  int err = 0;
  switch (verb) {
  case SMTPP_VERB_HELO:
  case SMTPP_VERB_EHLO:
    err = helo_arg_err(s, verb, arg, end);
    if (!err)
      set_pending(s, verb == SMTPP_VERB_EHLO ? PEND_EHLO : PEND_HELO, ev);
    break;
  case SMTPP_VERB_MAIL:
  case SMTPP_VERB_RCPT:
    err = parse_mail_rcpt(s, verb, arg, end, ev);
    if (!err)
      set_pending(s, verb == SMTPP_VERB_MAIL ? PEND_MAIL : PEND_RCPT, ev);
    break;
  case SMTPP_VERB_DATA:
    set_pending(s, PEND_DATA, ev);
    break;
  case SMTPP_VERB_BDAT:
    s->bdat_discard = 0;
    s->bdat_left = bsize;
    s->bdat_chunk = bsize;
    s->bdat_last = (uint8_t)blast;
    s->state = SMTPP_ST_BDAT_CHUNK;
    if (ev) {
      ev->chunk_size = bsize;
      if (blast)
        ev->flags |= SMTPP_EVF_LAST | SMTPP_EVF_GROUP_END;
    }
    break;
  case SMTPP_VERB_RSET:
    reset_transaction(s);
    reply(s, 250, "2.0.0", "OK");
    break;
  case SMTPP_VERB_NOOP:
    /* RFC 5321 4.1.1.9: a parameter string is ignored whatever it holds
     * (TAB, 8-bit; a TAB in place of the SP too); only CR, LF and NUL
     * were refused above (2.3.8), like everywhere. */
    reply(s, 250, "2.0.0", "OK");
    break;
  case SMTPP_VERB_HELP:
    err = text_arg_err(s, arg, end);
    if (err)
      break;
    if (arg == end) {
      help_reply(s, SMTPP_VERB_NONE);
    } else if (smtpp_ci_eq(arg, (size_t)(end - arg), "STATUS")) {
      status_reply(s);
    } else {
      size_t tl;
      int topic = smtpp_verb_lookup(arg, end, &tl);
      if (topic == SMTPP_VERB_NONE || arg + tl != end)
        err = SMTPP_ERR_PARAM_NOT_IMPL;
      else
        help_reply(s, topic);
    }
    break;
  case SMTPP_VERB_VRFY:
  case SMTPP_VERB_EXPN: {
    int utf8;
    const unsigned char *send = vrfy_string(s, arg, end, &utf8, &err);
    if (err)
      break;
    if (ev) {
      ev->arg = slice(arg, (size_t)(send - arg));
      if (utf8)
        ev->flags |= SMTPP_EVF_SMTPUTF8;
    }
    s->pend_verb = (uint8_t)verb;
    set_pending(s, PEND_VRFY, ev);
    break;
  }
  case SMTPP_VERB_QUIT: {
    char t[300];
    const char *h = hostname(s);
    size_t n = strlen(h);
    memcpy(t, h, n);
    memcpy(t + n, " closing connection", 20);
    reply(s, 221, "2.0.0", t);
    close_session(s);
    if (ev)
      ev->type = SMTPP_EV_CLOSE;
    break;
  }
  case SMTPP_VERB_STARTTLS:
    reply(s, 220, "2.0.0", "Ready to start TLS");
    s->state = SMTPP_ST_TLS_HANDSHAKE;
    if (ev)
      ev->type = SMTPP_EV_STARTTLS;
    break;
  case SMTPP_VERB_AUTH: {
    const unsigned char *sp = memchr(arg, ' ', (size_t)(end - arg));
    const unsigned char *mend = sp ? sp : end;
    /* sasl-mech = 1*20mech-char (RFC 4954 4): a malformed name is a
     * syntax error; a well-formed one we do not offer is 504. */
    size_t ml = (size_t)(mend - arg);
    int mech_syntax = ml >= 1 && ml <= 20;
    for (const unsigned char *m = arg; mech_syntax && m < mend; m++)
      mech_syntax = SMTPP_IS(*m, SMTPP_C_ALPHA | SMTPP_C_DIGIT) || *m == '-' ||
                    *m == '_';
    if (!mech_syntax) {
      err = SMTPP_ERR_SYNTAX;
      break;
    }
    if (!mech_offered(s, arg, ml)) {
      err = SMTPP_ERR_PARAM_NOT_IMPL;
      break;
    }
    if (sp && !base64_ok(sp + 1, end, 1)) {
      err = SMTPP_ERR_AUTH_BASE64; /* RFC 4954 4: 501 5.5.2 */
      break;
    }
    if (ev) {
      ev->arg = slice(arg, (size_t)(mend - arg));
      if (sp)
        ev->initial = slice(sp + 1, (size_t)(end - sp - 1));
    }
    s->saved_state = s->state;
    s->pend_verb = sp ? SMTPP_VERB_NONE : SMTPP_VERB_AUTH;
    set_pending(s, PEND_AUTH, ev);
    break;
  }
  } /* every verb has its case; SMTPP_VERB_NONE got 500 above */
  if (err) {
    if (ev) {
      memset(ev, 0, sizeof *ev);
    }
    protocol_error(s, err, verb, ev);
  }
}

/* ---- DATA and BDAT ---- */

static void add_size(smtpp_session *s, size_t n) {
  uint64_t v = s->msg_size + n;
  s->msg_size = v < s->msg_size ? UINT64_MAX : v;
}

static uint64_t size_limit(const smtpp_session *s) {
  return (s->cfg->extensions & SMTPP_EXT_SIZE) ? s->cfg->max_message_size : 0;
}

static void message_end(smtpp_session *s, smtpp_event *ev) {
  if (ev) {
    ev->type = SMTPP_EV_MESSAGE_END;
    ev->message_size = s->msg_size;
  }
  /* Which failure is reported must not depend on how the body was split
   * into calls (design 3), so it is decided here from the totals: a body
   * over SIZE is 552 (RFC 1870 6) even if it also had a long line. */
  uint64_t lim = size_limit(s);
  if (lim && s->msg_size > lim)
    s->msg_error = SMTPP_ERR_SIZE_EXCEEDED;
  if (s->msg_error) {
    int err = s->msg_error;
    if (ev)
      ev->error = err;
    reset_transaction(s);
    if (err == SMTPP_ERR_DATA_LINE_TOO_LONG) {
      /* A 500 like any other: it counts toward the error budget. */
      protocol_error(s, err, SMTPP_VERB_DATA, NULL);
    } else {
      (void)smtpp_reply_err(s, err, SMTPP_VERB_NONE);
    }
    return;
  }
  set_pending(s, PEND_MESSAGE, ev);
}

static void bdat_chunk_done(smtpp_session *s, smtpp_event *ev) {
  if (s->bdat_discard == 1) {
    s->bdat_discard = 0;
    s->state = s->saved_state; /* where the refused BDAT found us */
    protocol_error(s, SMTPP_ERR_BAD_SEQUENCE, SMTPP_VERB_BDAT, ev);
    return;
  }
  uint64_t lim = size_limit(s);
  if (lim && s->msg_size > lim) {
    /* RFC 1870 6.1 / RFC 3030 2: the transaction fails. */
    s->msg_error = SMTPP_ERR_SIZE_EXCEEDED;
  }
  if (s->bdat_last) {
    message_end(s, ev);
    return;
  }
  if (s->msg_error) {
    int err = s->msg_error;
    if (ev) {
      ev->type = SMTPP_EV_PROTOCOL_ERROR;
      ev->verb = SMTPP_VERB_BDAT;
      ev->error = err;
    }
    (void)smtpp_reply_err(s, err, SMTPP_VERB_BDAT);
    reset_transaction(s);
    return;
  }
  s->state = SMTPP_ST_CMD_AFTER_BDAT;
  reply(s, 250, "2.0.0", "Chunk accepted");
}

/* ---- public entry points ---- */

int smtpp_init(smtpp_session *s, const smtpp_config *cfg) {
  if (s == NULL || cfg == NULL)
    return -SMTPP_ERR_NULL_ARG;
  memset(s, 0, offsetof(smtpp_session, line));
  s->cfg = cfg;
  if (!config_ok(cfg)) {
    s->fatal = SMTPP_ERR_BAD_CONFIG;
    s->state = SMTPP_ST_CLOSED;
    return -SMTPP_ERR_BAD_CONFIG;
  }
  char t[300];
  const char *h = hostname(s);
  size_t n = strlen(h);
  memcpy(t, h, n);
  memcpy(t + n, " ESMTP smtpp", 13);
  reply(s, 220, NULL, t); /* RFC 5321 4.2: the greeting */
  return 0;
}

const unsigned char *smtpp_out_buf(smtpp_session *s, size_t *len) {
  if (s == NULL || len == NULL) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (!s->fatal && smtpp_out_free(s) >= SMTPP_REPLY_MAX)
    resolve(s);
  *len = s->out_len;
  return s->out + s->out_head;
}

int smtpp_tls_done(smtpp_session *s, int ok) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->fatal)
    return -s->fatal;
  if (s->state != SMTPP_ST_TLS_HANDSHAKE)
    return -SMTPP_ERR_NOT_IN_TLS;
  if (!ok) {
    (void)smtpp_reply_err(s, SMTPP_ERR_TLS_FAILED, SMTPP_VERB_NONE);
    close_session(s);
    return 0;
  }
  /* RFC 3207 4.2: forget everything learnt before TLS; no new greeting. */
  s->helo_kind = HK_NONE;
  s->authenticated = 0;
  s->tls_active = 1;
  smtpp_line_reset(s);
  reset_transaction(s);
  return 0;
}

int smtpp_shutdown(smtpp_session *s) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->state == SMTPP_ST_CLOSED)
    return -SMTPP_ERR_CLOSED;
  resolve(s);
  if (s->state != SMTPP_ST_CLOSED)
    (void)smtpp_reply_err(s, SMTPP_ERR_SHUTDOWN, SMTPP_VERB_NONE);
  close_session(s);
  return 0;
}

int smtpp_feed(smtpp_session *s, const void *in, size_t len, size_t *consumed,
               smtpp_event *ev) {
  if (consumed)
    *consumed = 0;
  if (s == NULL || consumed == NULL || (in == NULL && len != 0))
    return -SMTPP_ERR_NULL_ARG;
  if (s->fatal)
    return -s->fatal;
  if (ev)
    memset(ev, 0, sizeof *ev);

  /* in may be NULL when len is 0: never do arithmetic on it (C11 6.5.6). */
  const unsigned char *base = len ? (const unsigned char *)in
                                  : (const unsigned char *)"";
  const unsigned char *p = base, *end = base + len;
  int bare_lf = (s->cfg->lenient & SMTPP_LENIENT_BARE_LF) != 0;
  for (;;) {
    if (s->state == SMTPP_ST_CLOSED) {
      *consumed = (size_t)(p - base);
      return SMTPP_CLOSED;
    }
    if (smtpp_out_free(s) < SMTPP_REPLY_MAX) {
      *consumed = (size_t)(p - base);
      return SMTPP_WANT_WRITE;
    }
    if (s->pending) {
      resolve(s); /* the host did not decide: the default applies */
      continue;
    }
    if (s->state == SMTPP_ST_BDAT_CHUNK && s->bdat_left == 0) {
      /* A chunk is complete (also BDAT 0): reply or end the message. */
      bdat_chunk_done(s, ev);
      *consumed = (size_t)(p - base);
      if (ev == NULL || ev->type == SMTPP_EV_NONE)
        continue;
      return SMTPP_EVENT;
    }
    if (p >= end)
      break;
    switch (s->state) {
    case SMTPP_ST_TLS_HANDSHAKE:
      p = end; /* CVE-2011-0411: nothing before the handshake is executed */
      break;
    case SMTPP_ST_DATA_TEXT: {
      smtpp_data_result r;
      p += smtpp_data_scan(s, p, end, &r);
      if (r.line_too_long && !s->msg_error)
        s->msg_error = SMTPP_ERR_DATA_LINE_TOO_LONG;
      if (r.body.len) {
        add_size(s, r.body.len);
        if (ev) {
          ev->type = SMTPP_EV_BODY;
          ev->arg = r.body;
          *consumed = (size_t)(p - base);
          return SMTPP_EVENT;
        }
      }
      if (r.end) {
        message_end(s, ev);
        *consumed = (size_t)(p - base);
        if (ev)
          return SMTPP_EVENT;
      }
      break;
    }
    case SMTPP_ST_BDAT_CHUNK: {
      size_t n = (size_t)(end - p);
      if ((uint64_t)n > s->bdat_left)
        n = (size_t)s->bdat_left;
      const unsigned char *piece = p;
      p += n;
      s->bdat_left -= n;
      if (!s->bdat_discard) {
        add_size(s, n);
        if (ev) {
          ev->type = SMTPP_EV_BODY;
          ev->verb = SMTPP_VERB_BDAT;
          ev->arg = slice(piece, n);
          *consumed = (size_t)(p - base);
          return SMTPP_EVENT;
        }
      }
      break;
    }
    default: {
      int got;
      smtpp_line_result lr;
      p += smtpp_line_take(s, p, end, bare_lf, &got, &lr);
      if (!got)
        break;
      handle_line(s, lr.line, lr.len, lr.too_long, ev);
      *consumed = (size_t)(p - base);
      if (ev && ev->type != SMTPP_EV_NONE) {
        if (p < end)
          ev->flags |= SMTPP_EVF_INPUT_PENDING;
        return SMTPP_EVENT;
      }
      break;
    }
    }
  }
  *consumed = len; /* the loop returns SMTPP_CLOSED itself */
  return SMTPP_NEED_MORE;
}
