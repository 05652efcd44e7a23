/*
 * body.c - message bodies and their ends: DATA text (dot-unstuffed by
 * data.c, RFC 5321 4.5.2), BDAT chunks (opaque, RFC 3030 2), the SIZE
 * limit (RFC 1870 6), and the decision on a complete message.
 */
#include "internal.h"

static void add_size(smtpp_session *s, size_t n) {
  uint64_t v = s->msg_size + n;
  s->msg_size = v < s->msg_size ? UINT64_MAX : v;
}

static int over_size(const smtpp_session *s) {
  uint64_t lim = smtpp_size_limit(s);
  return lim && s->msg_size > lim;
}

/* A BODY event: the piece, the running total, and whether the message is
 * already over SIZE (it will end in 552: the host may stop storing). */
static void body_event(const smtpp_session *s, smtpp_event *ev,
                       smtpp_slice piece, int verb) {
  ev->type = SMTPP_EV_BODY;
  ev->verb = verb;
  ev->arg = piece;
  ev->message_size = s->msg_size;
  if (over_size(s))
    ev->flags |= SMTPP_EVF_OVER_SIZE;
}

static void message_end(smtpp_session *s, smtpp_event *ev) {
  if (ev) {
    ev->type = SMTPP_EV_MESSAGE_END;
    ev->message_size = s->msg_size;
  }
  /* Which failure is reported must not depend on how the body was split
   * into calls (design 3), so it is decided here from the totals: a body
   * over SIZE is 552 (RFC 1870 6) even if it also had a long line. */
  if (over_size(s))
    s->msg_error = SMTPP_ERR_SIZE_EXCEEDED;
  if (s->msg_error) {
    int err = s->msg_error;
    if (ev)
      ev->error = err;
    smtpp_reset_transaction(s);
    if (err == SMTPP_ERR_DATA_LINE_TOO_LONG)
      /* A 500 like any other: it counts toward the error budget. */
      smtpp_refuse(s, err, SMTPP_VERB_DATA, NULL);
    else
      (void)smtpp_reply_err(s, err, SMTPP_VERB_NONE);
    return;
  }
  smtpp_ask(s, SMTPP_PEND_MESSAGE, ev);
}

void smtpp_proceed_message(smtpp_session *s, int kind, int code,
                           const char *enh, const char *text) {
  (void)kind;
  if (code < 400)
    smtpp_decided_fixed(s, code, enh, text, SMTPP_R_MSG_OK);
  else
    smtpp_refused(s, code, enh, text, "Message refused");
  smtpp_reset_transaction(s);
}

int smtpp_data_feed(smtpp_session *s, const unsigned char **p,
                    const unsigned char *end, smtpp_event *ev) {
  smtpp_data_result r;
  *p += smtpp_data_scan(s, *p, end, &r);
  if (r.line_too_long && !s->msg_error)
    s->msg_error = SMTPP_ERR_DATA_LINE_TOO_LONG;
  if (r.body.len) {
    add_size(s, r.body.len);
    if (ev) {
      body_event(s, ev, r.body, SMTPP_VERB_NONE);
      return 1;
    }
  }
  if (r.end) {
    message_end(s, ev);
    return ev != NULL;
  }
  return 0;
}

int smtpp_bdat_feed(smtpp_session *s, const unsigned char **p,
                    const unsigned char *end, smtpp_event *ev) {
  size_t n = (size_t)(end - *p);
  if ((uint64_t)n > s->bdat_left)
    n = (size_t)s->bdat_left;
  const unsigned char *piece = *p;
  *p += n;
  s->bdat_left -= n;
  if (s->bdat_discard)
    return 0;
  add_size(s, n);
  if (!ev)
    return 0;
  body_event(s, ev, smtpp_slice_of(piece, n), SMTPP_VERB_BDAT);
  return 1;
}

void smtpp_bdat_chunk_done(smtpp_session *s, smtpp_event *ev) {
  if (s->bdat_discard) {
    s->bdat_discard = 0;
    smtpp_set_state(s, s->saved_state); /* where the refused BDAT found us */
    smtpp_refuse(s, SMTPP_ERR_BAD_SEQUENCE, SMTPP_VERB_BDAT, ev);
    return;
  }
  if (over_size(s)) /* RFC 1870 6.1 / RFC 3030 2: the transaction fails */
    s->msg_error = SMTPP_ERR_SIZE_EXCEEDED;
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
    smtpp_reset_transaction(s);
    return;
  }
  smtpp_set_state(s, SMTPP_ST_CMD_AFTER_BDAT);
  smtpp_reply_fixed(s, SMTPP_R_CHUNK_OK);
}
