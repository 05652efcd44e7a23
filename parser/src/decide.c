/*
 * decide.c - host decisions (smtpp.h smtpp_decide): a decidable event
 * pauses the session until the host answers, or the default applies.  The
 * codes each event takes and its default come from the command table
 * (commands.c); the verb's proceed function (verbs_*.c, body.c for the end
 * of a message) writes the reply and changes the state.
 */
#include "internal.h"

#include <string.h>

#define ENH_MAX 9u /* "5.999.999": the longest enhanced code enh_ok() takes */

/* The end of a message is decided like a command (RFC 5321 4.1.1.4). */
static const smtpp_command message_end_decision = {
  .name = "", .dflt = 250, .ok = {250}, .proceed = smtpp_proceed_message,
};

static const smtpp_command *decision_of(int kind) {
  return kind == SMTPP_PEND_MESSAGE ? &message_end_decision : &smtpp_commands[kind];
}

/* RFC 4954 4: AUTH without an initial response is first asked for it
 * (empty challenge); every other default is the table's. */
static int default_code(const smtpp_session *s, int kind) {
  if (kind == SMTPP_VERB_AUTH && s->auth_await)
    return 334;
  return decision_of(kind)->dflt;
}

static int success_code_ok(int kind, int code) {
  const smtpp_command *c = decision_of(kind);
  return code > 0 && (code == c->ok[0] || code == c->ok[1] || code == c->ok[2]);
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

/* A refusal code the reply writer can send: 4yz/5yz with y in 0-5
 * (RFC 5321 4.2.1: the second digit's categories) -- 400..459, 500..559. */
static int refusal_code_ok(int code) {
  return code >= 400 && code <= 559 && code % 100 <= 59;
}

/* Copies a host's enhanced code for a refusal of class cls into out:
 * as given if valid; with its class digit fixed if only that is wrong
 * (550 "4.1.1" -> "5.1.1"); else "" (the caller's default applies).
 * Returns whether it was used unchanged. */
static int refusal_enh(const char *e, int code, char out[ENH_MAX + 1]) {
  out[0] = '\0';
  if (e == NULL)
    return 1;
  if (enh_ok(e, code)) {
    size_t n = smtpp_bounded_len(e, ENH_MAX); /* enh_ok() bounds it */
    memcpy(out, e, n);
    out[n] = '\0';
    return 1;
  }
  char fixed[ENH_MAX + 1];
  size_t n = smtpp_bounded_len(e, ENH_MAX + 1);
  if (n >= 1 && n <= ENH_MAX) {
    memcpy(fixed, e, n);
    fixed[n] = '\0';
    fixed[0] = (char)('0' + code / 100);
    if (enh_ok(fixed, code))
      memcpy(out, fixed, n + 1);
  }
  return 0;
}

/* Applies a decision to the pending event: a 421 closes whatever the event
 * (RFC 5321 3.8); anything else goes to the event's proceed.  Room: the
 * feed loop left SMTPP_REPLY_MAX free before it raised the event, and
 * nothing is queued while a decision pends. */
static void resolve(smtpp_session *s, int code, const char *enh,
                    const char *text) {
  int kind = s->pending;
  s->pending = SMTPP_PEND_NONE;
  if (code == 421) {
    int helo = kind == SMTPP_VERB_HELO || kind == SMTPP_VERB_EHLO;
    if (helo) /* RFC 2034 4: no enhanced code on a reply to HELO/EHLO */
      smtpp_decided(s, 421, NULL, text, "Service not available, closing");
    else
      smtpp_refused(s, 421, enh ? enh : "4.3.2", text,
                    "Service not available, closing");
    smtpp_close(s);
    return;
  }
  decision_of(kind)->proceed(s, kind, code, enh, text);
}

int smtpp_decide(smtpp_session *s, int code, const char *enh,
                 const char *text) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->pending == SMTPP_PEND_NONE)
    return -SMTPP_ERR_NO_DECISION;
  if (code >= 400 && code <= 599) {
    /* A refusal stays a refusal whatever is wrong with it: the client
     * must never get 250 for what the host meant to refuse. */
    int as_given = refusal_code_ok(code);
    if (!as_given)
      code = code < 500 ? 451 : 554; /* RFC 5321 4.2.3: local error /
                                        transaction failed */
    char e[ENH_MAX + 1];
    as_given &= refusal_enh(enh, code, e);
    resolve(s, code, e[0] ? e : NULL, text);
    return as_given ? 0 : SMTPP_DECIDE_SUBSTITUTED;
  }
  /* Success: only exactly what this event allows; anything else leaves
   * the decision pending (nothing is accepted by mistake). */
  if (!success_code_ok(s->pending, code))
    return -SMTPP_ERR_BAD_CODE;
  if (enh != NULL && (code >= 300 || !enh_ok(enh, code)))
    return -SMTPP_ERR_BAD_CODE; /* RFC 3463 has no 3.x.x class */
  resolve(s, code, enh, text);
  return 0;
}

int smtpp_decide_default(smtpp_session *s) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->pending == SMTPP_PEND_NONE)
    return -SMTPP_ERR_NO_DECISION;
  resolve(s, default_code(s, s->pending), NULL, NULL);
  return 0;
}

int smtpp_decision_pending(const smtpp_session *s) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  return s->pending != SMTPP_PEND_NONE;
}

/* A decidable event: the session pauses until the host decides.  A host
 * without a policy (smtpp_config.host_decides 0) or that takes no events
 * (ev == NULL) does not decide: the default applies at once, and the event
 * is a notice. */
void smtpp_ask(smtpp_session *s, int kind, smtpp_event *ev) {
  if (ev && s->cfg->host_decides) {
    s->pending = (uint8_t)kind;
    ev->flags |= SMTPP_EVF_DECIDABLE;
    return;
  }
  /* resolve() without the pause; no default is 421 */
  decision_of(kind)->proceed(s, kind, default_code(s, kind), NULL, NULL);
}

void smtpp_decided(smtpp_session *s, int code, const char *enh,
                   const char *text, const char *deftext) {
  if (code >= 300 && code < 400)
    enh = NULL; /* RFC 3463 has no 3.x.x class */
  if (text)
    (void)smtpp_reply_line(s, code, smtpp_use_enh(s) ? enh : NULL, text,
                           smtpp_bounded_len(text, SMTPP_HOST_TEXT_MAX), 0);
  else
    smtpp_reply(s, code, enh, deftext);
}

void smtpp_refused(smtpp_session *s, int code, const char *enh,
                   const char *text, const char *deftext) {
  char genenh[sizeof "5.0.0"] = {(char)('0' + code / 100), '.', '0', '.',
                                 '0', '\0'};
  smtpp_decided(s, code, enh ? enh : genenh, text, deftext);
}
