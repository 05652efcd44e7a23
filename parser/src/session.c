/*
 * session.c - the public entry points: smtpp_init, smtpp_feed (the walk of
 * every octet: line -> judge -> verb -> state -> reply, or DATA/BDAT body),
 * the reply pull interface, TLS and shutdown.
 *
 * Where the rest lives: config.c (configuration), judge.c (the order in
 * which a command line is judged), commands.c (the command table: where
 * each verb is allowed, its check and proceed), verbs_envelope.c and
 * verbs_service.c (each verb's arguments, reply and state change),
 * decide.c (host decisions), state.c (states and transitions), body.c
 * (DATA/BDAT bodies and the end of a message), reply.c (the reply writer).
 */
#include "internal.h"

#include <string.h>

_Static_assert(sizeof(smtpp_session) <= 4096,
               "a session stays within 4 KiB (docs/EMBEDDING.md, Memory)");

const char *smtpp_version(void) { return SMTPP_VERSION_STRING; }

int smtpp_init(smtpp_session *s, const smtpp_config *cfg) {
  if (s == NULL || cfg == NULL)
    return -SMTPP_ERR_NULL_ARG;
  memset(s, 0, offsetof(smtpp_session, line));
  s->cfg = cfg;
  if (!smtpp_config_ok(cfg)) {
    s->fatal = SMTPP_ERR_BAD_CONFIG;
    smtpp_set_state(s, SMTPP_ST_CLOSED);
    return -SMTPP_ERR_BAD_CONFIG;
  }
  /* RFC 5321 4.2: the greeting, without an enhanced code (RFC 2034 4) */
  smtpp_hostname_reply(s, 220, NULL, " ESMTP smtpp");
  return 0;
}

const unsigned char *smtpp_out_buf(smtpp_session *s, size_t *len) {
  if (s == NULL || len == NULL) {
    if (len)
      *len = 0;
    return NULL;
  }
  /* No side effect: a pending decision stays pending (its reply is not
   * queued yet, so only the replies before it are here). */
  *len = s->out_len;
  return s->out + s->out_head;
}

size_t smtpp_out_pending(const smtpp_session *s) {
  return s ? s->out_len : 0;
}

int smtpp_tls_done(smtpp_session *s, int ok) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->fatal)
    return -s->fatal;
  if (s->state != SMTPP_ST_TLS_HANDSHAKE)
    return -SMTPP_ERR_NOT_IN_TLS;
  if (!ok) {
    /* Nothing is queued after a failed handshake: the peer expects TLS
     * records, a plaintext 421 would only be noise (RFC 3207 4.1).  What
     * is still unsent stays (the host sends the 220 before the handshake);
     * cutting it could leave half a reply line. */
    smtpp_close(s);
    return 0;
  }
  /* RFC 3207 4.2: forget everything learnt before TLS; no new greeting. */
  s->helo_kind = SMTPP_HK_NONE;
  s->authenticated = 0;
  s->tls_active = 1;
  smtpp_line_reset(s);
  smtpp_reset_transaction(s);
  return 0;
}

int smtpp_shutdown(smtpp_session *s) {
  if (s == NULL)
    return -SMTPP_ERR_NULL_ARG;
  if (s->state == SMTPP_ST_CLOSED)
    return -SMTPP_ERR_CLOSED;
  /* A pending command gets this 421 as its reply (RFC 5321 3.8): it is
   * refused, never accepted by default. */
  s->pending = SMTPP_PEND_NONE;
  (void)smtpp_reply_err(s, SMTPP_ERR_SHUTDOWN, SMTPP_VERB_NONE);
  smtpp_close(s);
  return 0;
}

/* One complete command line (or the first octets of an over-long one). */
static void take_line(smtpp_session *s, const smtpp_line_result *lr,
                      smtpp_event *ev) {
  if (s->state == SMTPP_ST_AUTH_RESPONSE) /* RFC 4954 4: not a command */
    smtpp_auth_response(s, lr->line, lr->len, lr->too_long, ev);
  else
    smtpp_judge_line(s, lr, ev);
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
    if (s->pending) {
      /* Paused until the host decides (only smtpp_decide() and
       * smtpp_decide_default() resume): nothing more is read. */
      *consumed = (size_t)(p - base);
      return SMTPP_PAUSED;
    }
    if (smtpp_out_free(s) < SMTPP_REPLY_MAX) {
      *consumed = (size_t)(p - base);
      return SMTPP_WANT_WRITE;
    }
    if (s->state == SMTPP_ST_BDAT_CHUNK && s->bdat_left == 0) {
      /* A chunk is complete (also BDAT 0): reply or end the message. */
      smtpp_bdat_chunk_done(s, ev);
      *consumed = (size_t)(p - base);
      if (ev == NULL || ev->type == SMTPP_EV_NONE)
        continue;
      return SMTPP_EVENT;
    }
    if (p >= end)
      break;
    int event;
    switch (s->state) {
    case SMTPP_ST_TLS_HANDSHAKE:
      /* RFC 3207 5, CVE-2011-0411: nothing sent before the handshake is
       * executed.  Only a host that fed octets before smtpp_tls_done()
       * gets here; they are discarded. */
      p = end;
      continue;
    case SMTPP_ST_DATA_TEXT:
      event = smtpp_data_feed(s, &p, end, ev);
      break;
    case SMTPP_ST_BDAT_CHUNK:
      event = smtpp_bdat_feed(s, &p, end, ev);
      break;
    default: {
      int got;
      smtpp_line_result lr;
      p += smtpp_line_next(s, p, end, bare_lf, &got, &lr);
      if (!got)
        continue;
      take_line(s, &lr, ev);
      int more = p < end;
      if (s->state == SMTPP_ST_TLS_HANDSHAKE)
        p = end; /* STARTTLS: the rest is plaintext sent before the
                    handshake (RFC 3207 5); it is consumed here so that no
                    host can feed it after smtpp_tls_done() */
      event = ev && ev->type != SMTPP_EV_NONE;
      if (event && more)
        ev->flags |= SMTPP_EVF_INPUT_PENDING;
      break;
    }
    }
    if (event) {
      *consumed = (size_t)(p - base);
      return SMTPP_EVENT;
    }
  }
  *consumed = len; /* the loop returns SMTPP_CLOSED itself */
  return SMTPP_NEED_MORE;
}
