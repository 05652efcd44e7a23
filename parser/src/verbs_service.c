/*
 * verbs_service.c - the verbs around transactions: RSET, NOOP, HELP, VRFY,
 * EXPN, QUIT (RFC 5321 4.1.1.5-4.1.1.10), STARTTLS (RFC 3207) and AUTH
 * (RFC 4954), each with its check and, when decidable, its proceed.
 */
#include "internal.h"

#include <string.h>

/* ---- RSET, NOOP, QUIT ---- */

int smtpp_check_rset(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  (void)verb, (void)arg, (void)end, (void)ev;
  smtpp_reset_transaction(s); /* RFC 5321 4.1.1.5 */
  smtpp_reply_fixed(s, SMTPP_R_OK);
  return 0;
}

int smtpp_check_noop(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  /* RFC 5321 4.1.1.9: a parameter string is ignored whatever it holds (TAB,
   * 8-bit; a TAB in place of the SP too); only CR, LF and NUL were refused
   * by the judge (2.3.8), like everywhere. */
  (void)verb, (void)arg, (void)end, (void)ev;
  smtpp_reply_fixed(s, SMTPP_R_OK);
  return 0;
}

int smtpp_check_quit(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  (void)verb, (void)arg, (void)end;
  smtpp_hostname_reply(s, 221, "2.0.0", " closing connection"); /* 4.1.1.10 */
  smtpp_close(s);
  if (ev)
    ev->type = SMTPP_EV_CLOSE;
  return 0;
}

/* ---- HELP (RFC 5321 4.1.1.8) ---- */

/* Printable text; 8-bit only when lenient. */
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

static void help_list(smtpp_session *s) {
  /* Only the verbs this configuration speaks, from the command table:
   * every verb name (STARTTLS, 8 octets, is the longest) and a SP each. */
  char list[SMTPP_VERB__COUNT * sizeof "STARTTLS"];
  size_t n = 0;
  for (int v = SMTPP_VERB_HELO; v < SMTPP_VERB__COUNT; v++) {
    const smtpp_command *c = &smtpp_commands[v];
    if (c->needs_ext && !(s->cfg->extensions & c->needs_ext))
      continue;
    if (n + 1 + c->len > sizeof list)
      break; /* unreachable while STARTTLS is the longest name */
    if (n)
      list[n++] = ' ';
    memcpy(list + n, c->name, c->len);
    n += c->len;
  }
  smtpp_reply_more(s, 214, "2.0.0", "Commands supported:", 1);
  (void)smtpp_reply_own(s, 214, smtpp_use_enh(s) ? "2.0.0" : NULL, list, n, 1);
  smtpp_reply_more(s, 214, "2.0.0", "HELP <command> for one; see RFC 5321", 0);
}

static void status_reply(smtpp_session *s) {
  static const char kw[] = "state ";
  char line[sizeof kw + 32]; /* state names are at most 15 octets */
  const char *st = smtpp_state_name(s->state);
  size_t n = smtpp_bounded_len(st, 32);
  smtpp_reply_more(s, 211, "2.0.0", "smtpp status", 1);
  memcpy(line, kw, sizeof kw - 1);
  memcpy(line + sizeof kw - 1, st, n);
  line[sizeof kw - 1 + n] = '\0';
  smtpp_reply_more(s, 211, "2.0.0", line, 1);
  smtpp_reply_more(s, 211, "2.0.0", s->tls_active ? "tls on" : "tls off", 1);
  smtpp_reply_more(s, 211, "2.0.0", "end of status", 0);
}

int smtpp_check_help(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  (void)verb, (void)ev;
  int err = text_arg_err(s, arg, end);
  if (err)
    return err;
  if (arg == end) {
    help_list(s);
    return 0;
  }
  if (smtpp_ci_eq(arg, (size_t)(end - arg), "STATUS")) {
    status_reply(s);
    return 0;
  }
  size_t tl;
  int topic = smtpp_verb_lookup(arg, end, &tl);
  if (topic == SMTPP_VERB_NONE || arg + tl != end)
    return SMTPP_ERR_PARAM_NOT_IMPL;
  smtpp_reply(s, 214, "2.0.0", smtpp_commands[topic].help);
  return 0;
}

/* ---- VRFY, EXPN (RFC 5321 4.1.1.6, 4.1.1.7, 3.5.3; RFC 6531 3.7.4) ---- */

/* String [SP "SMTPUTF8"]: with SMTPUTF8 offered in an EHLO session the
 * string may hold UTF-8 and the parameter may follow. */
int smtpp_check_vrfy(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  int offered = s->helo_kind == SMTPP_HK_EHLO &&
                (s->cfg->extensions & SMTPP_EXT_SMTPUTF8);
  int utf8 = offered && end - arg > 9 && smtpp_ci_eq(end - 9, 9, " SMTPUTF8");
  const unsigned char *send = utf8 ? end - 9 : end;
  for (const unsigned char *p = arg; p < send;) {
    if (SMTPP_IS(*p, SMTPP_C_PRINT)) {
      p++;
      continue;
    }
    if (*p < 0x80)
      return SMTPP_ERR_SYNTAX;
    size_t n = offered ? smtpp_utf8_seq(p, send) : 0;
    if (n == 0 && !(s->cfg->lenient & SMTPP_LENIENT_8BIT))
      return offered ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
    p += n ? n : 1;
  }
  if (ev) {
    ev->arg = smtpp_slice_of(arg, (size_t)(send - arg));
    if (utf8)
      ev->flags |= SMTPP_EVF_SMTPUTF8;
  }
  smtpp_ask(s, verb, ev);
  return 0;
}

void smtpp_proceed_vrfy(smtpp_session *s, int verb, int code, const char *enh,
                        const char *text) {
  if (code >= 400)
    smtpp_refused(s, code, enh, text, "Cannot verify");
  else /* RFC 5321 3.5.3, 7.3: 252 unless the host verified it */
    smtpp_decided(s, code, enh ? enh : "2.5.2", text,
                  code != 252                 ? "OK"
                  : verb == SMTPP_VERB_EXPN ? "Cannot EXPN list"
                                            : "Cannot VRFY user, but will "
                                              "accept message and attempt "
                                              "delivery");
}

/* ---- STARTTLS (RFC 3207 4) ---- */

int smtpp_check_starttls(smtpp_session *s, int verb, const unsigned char *arg,
                         const unsigned char *end, smtpp_event *ev) {
  (void)verb, (void)arg, (void)end;
  smtpp_reply_fixed(s, SMTPP_R_TLS_GO);
  smtpp_set_state(s, SMTPP_ST_TLS_HANDSHAKE);
  if (ev)
    ev->type = SMTPP_EV_STARTTLS;
  return 0;
}

/* ---- AUTH (RFC 4954 4) ---- */

/* A SASL response: base64, or "=" for an empty initial response.  An
 * empty line after 334 is an empty response, valid. */
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

/* Whether the mechanism m (1..20 mech-chars) is offered; smtpp_config_ok()
 * admits only upper-case lists, so folding m is enough. */
static int mech_offered(const smtpp_session *s, const unsigned char *m,
                        size_t n) {
  const char *p = smtpp_auth_mechs(s);
  while (*p) {
    while (*p == ' ')
      p++;
    const char *e = p;
    while (*e && *e != ' ')
      e++;
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

int smtpp_check_auth(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  const unsigned char *sp = memchr(arg, ' ', (size_t)(end - arg));
  const unsigned char *mend = sp ? sp : end;
  /* sasl-mech = 1*20mech-char: a malformed name is a syntax error; a
   * well-formed one we do not offer is 504. */
  size_t ml = (size_t)(mend - arg);
  int mech_syntax = ml >= 1 && ml <= 20;
  for (const unsigned char *m = arg; mech_syntax && m < mend; m++)
    mech_syntax = SMTPP_IS(*m, SMTPP_C_ALPHA | SMTPP_C_DIGIT) || *m == '-' ||
                  *m == '_';
  if (!mech_syntax)
    return SMTPP_ERR_SYNTAX;
  if (!mech_offered(s, arg, ml))
    return SMTPP_ERR_PARAM_NOT_IMPL;
  if (sp && !base64_ok(sp + 1, end, 1))
    return SMTPP_ERR_AUTH_BASE64; /* 501 5.5.2 */
  if (ev) {
    ev->arg = smtpp_slice_of(arg, ml);
    if (sp)
      ev->initial = smtpp_slice_of(sp + 1, (size_t)(end - sp - 1));
  }
  s->saved_state = s->state;
  s->auth_await = sp == NULL; /* the default asks for the response */
  smtpp_ask(s, verb, ev);
  return 0;
}

/* A line after 334: "*" cancels, otherwise base64 (or empty). */
void smtpp_auth_response(smtpp_session *s, const unsigned char *l, size_t len,
                         int too_long, smtpp_event *ev) {
  smtpp_set_state(s, s->saved_state);
  if (too_long) { /* RFC 4954 4, 6 */
    smtpp_refuse(s, SMTPP_ERR_AUTH_TOO_LONG, SMTPP_VERB_AUTH, ev);
    return;
  }
  if (len == 1 && l[0] == '*') {
    smtpp_refuse(s, SMTPP_ERR_AUTH_CANCELLED, SMTPP_VERB_AUTH, ev);
    return;
  }
  if (!base64_ok(l, l + len, 0)) {
    smtpp_refuse(s, SMTPP_ERR_AUTH_BASE64, SMTPP_VERB_AUTH, ev);
    return;
  }
  smtpp_set_state(s, SMTPP_ST_AUTH_RESPONSE);
  s->auth_await = 0;
  if (ev) {
    ev->type = SMTPP_EV_AUTH_RESPONSE;
    ev->verb = SMTPP_VERB_AUTH;
    ev->arg = smtpp_slice_of(l, len);
  }
  smtpp_ask(s, SMTPP_VERB_AUTH, ev);
}

void smtpp_proceed_auth(smtpp_session *s, int verb, int code, const char *enh,
                        const char *text) {
  (void)verb;
  if (code == 334) { /* the host's challenge, or the empty one */
    smtpp_set_state(s, SMTPP_ST_AUTH_RESPONSE);
    smtpp_decided(s, 334, NULL, text ? text : "", "");
    return;
  }
  smtpp_set_state(s, s->saved_state);
  if (code == 235) {
    s->authenticated = 1;
    smtpp_decided_fixed(s, 235, enh, text, SMTPP_R_AUTH_OK);
  } else {
    /* RFC 4954 6: 535 5.7.8 credentials invalid; 454 4.7.0 temporary
     * failure.  The enhanced code keeps the reply's class (RFC 3463 2). */
    smtpp_refused(s, code, enh ? enh : code < 500 ? "4.7.0" : "5.7.8", text,
                  code < 500 ? "Temporary authentication failure"
                             : "Authentication credentials invalid");
  }
}
