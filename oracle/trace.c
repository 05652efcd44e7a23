/*
 * trace.c - recording one run of a parser: reply octets and events, and
 * the message bodies rebuilt from the events.  The real parser is driven
 * by oracle_trace_parser() (run.c); tests write fake traces directly.
 */
#include "oracle.h"

#include <stdlib.h>
#include <string.h>

void oracle_trace_init(oracle_trace *t) { memset(t, 0, sizeof *t); }

void oracle_trace_free(oracle_trace *t) {
  bbuf_free(&t->out);
  bbuf_free(&t->ev_norm);
  bbuf_free(&t->ev_raw);
  bbuf_free(&t->ev_text);
  bbuf_free(&t->pend_body);
  free(t->ev_at);
  for (size_t i = 0; i < t->nmsg_init; i++)
    bbuf_free(&t->msg[i].body);
  free(t->msg);
  memset(t, 0, sizeof *t);
}

void oracle_trace_reset(oracle_trace *t) {
  oracle_trace k = *t; /* keep the memory, forget the contents */
  memset(t, 0, sizeof *t);
  t->out = k.out;
  t->ev_norm = k.ev_norm;
  t->ev_raw = k.ev_raw;
  t->ev_text = k.ev_text;
  t->pend_body = k.pend_body;
  bbuf_reset(&t->out);
  bbuf_reset(&t->ev_norm);
  bbuf_reset(&t->ev_raw);
  bbuf_reset(&t->ev_text);
  bbuf_reset(&t->pend_body);
  t->ev_at = k.ev_at;
  t->cap_ev_at = k.cap_ev_at;
  t->msg = k.msg;
  t->capmsg = k.capmsg;
  t->nmsg_init = k.nmsg_init;
}

void oracle_trace_reply(oracle_trace *t, const char *bytes, size_t n) {
  bbuf_add(&t->out, bytes, n);
}

/* The normalised (0) or raw (1) event stream. */
static bbuf *stream(oracle_trace *t, int raw) { return raw ? &t->ev_raw : &t->ev_norm; }

static void emit(bbuf *b, const void *p, size_t n) { bbuf_add(b, p, n); }

/* One event as fixed-size numbers, then the octets of its slices. */
typedef struct ev_head {
  uint8_t type, verb, error, has_size, body, smtputf8, ret, notify;
  uint32_t flags, pad;
  uint64_t chunk_size, message_size, size;
  uint64_t lens[9]; /* UINT64_MAX: slice absent (p == NULL) */
} ev_head;

/* The event's numbers and its slices, ready to be written to a stream. */
typedef struct ev_rec {
  ev_head h;
  const smtpp_slice *sl[9];
} ev_rec;

static void make_rec(ev_rec *r, const smtpp_event *ev) {
  const smtpp_slice *sl[9] = {&ev->arg, &ev->path, &ev->local, &ev->domain,
                              &ev->initial, &ev->params.envid,
                              &ev->params.orcpt_type, &ev->params.orcpt,
                              &ev->params.auth};
  ev_head *h = &r->h;
  memset(h, 0, sizeof *h);
  h->type = (uint8_t)ev->type;
  h->verb = (uint8_t)ev->verb;
  h->error = (uint8_t)ev->error;
  h->has_size = ev->params.has_size;
  h->body = ev->params.body;
  h->smtputf8 = ev->params.smtputf8;
  h->ret = ev->params.ret;
  h->notify = ev->params.notify;
  h->flags = ev->flags;
  h->chunk_size = ev->chunk_size;
  h->message_size = ev->message_size;
  h->size = ev->params.size;
  for (int i = 0; i < 9; i++) {
    r->sl[i] = sl[i];
    h->lens[i] = sl[i]->p ? (uint64_t)sl[i]->len : UINT64_MAX;
  }
}

/* Writes the record with the given flags (built once, written to both the
 * raw and the normalised stream). */
static void serialize(bbuf *b, ev_rec *r, uint32_t flags) {
  r->h.flags = flags;
  emit(b, &r->h, sizeof r->h);
  for (int i = 0; i < 9; i++)
    if (r->sl[i]->p && r->sl[i]->len)
      emit(b, r->sl[i]->p, r->sl[i]->len);
}

/* Body pieces may be cut anywhere (smtpp.h): the normalised stream holds
 * their concatenation. */
static void flush_body(oracle_trace *t) {
  if (!t->pend_open)
    return;
  bbuf *k = stream(t, 0);
  uint8_t head[2] = {(uint8_t)SMTPP_EV_BODY, (uint8_t)t->pend_verb};
  uint64_t n = t->pend_body.len;
  emit(k, head, sizeof head);
  emit(k, &n, sizeof n);
  if (n)
    emit(k, t->pend_body.p, t->pend_body.len);
  t->pend_body.len = 0;
  t->pend_open = 0;
}

static model_msg *open_msg(oracle_trace *t) {
  if (!t->body_open)
    model_msg_add(&t->msg, &t->nmsg, &t->capmsg, &t->nmsg_init);
  t->body_open = 1;
  return &t->msg[t->nmsg - 1];
}

static void close_msg(oracle_trace *t, int kind, int err) {
  if (!t->body_open)
    return;
  t->msg[t->nmsg - 1].kind = kind;
  t->msg[t->nmsg - 1].err = err;
  t->body_open = 0;
}

/* A HELO/EHLO resets the transaction only if accepted (the host may
 * refuse it): its reply says which.  Decidable, it is the first reply
 * after those already queued when the event came (out_queued); a notice
 * (no policy) comes with its reply already queued, the last one. */
static void helo_settle(oracle_trace *t) {
  size_t at = t->helo_at;
  if (t->helo_pending == 1) {
    if (t->out.len < at + 4)
      return;
  } else if (t->helo_pending == 2) {
    if (t->out.len < at || at < 6)
      return;
    at -= 2; /* the CRLF ending the last line; its line starts after the
                LF before it (or at the first octet) */
    while (at > 0 && t->out.p[at - 1] != '\n')
      at--;
  } else {
    return;
  }
  t->helo_pending = 0;
  if (memcmp(t->out.p + at, "250", 3) == 0)
    close_msg(t, MODEL_MSG_ABORTED, 0);
}

/* The messages as the host sees them (P6), from the events but BODY: a
 * message exists once a body octet or its end is delivered; RSET, an
 * accepted HELO/EHLO or a chunk over SIZE give it up. */
static void rebuild_messages(oracle_trace *t, const smtpp_event *ev) {
  helo_settle(t);
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    if (ev->verb == SMTPP_VERB_RSET)
      close_msg(t, MODEL_MSG_ABORTED, 0);
    else if (ev->verb == SMTPP_VERB_HELO || ev->verb == SMTPP_VERB_EHLO) {
      t->helo_pending = (ev->flags & SMTPP_EVF_DECIDABLE) ? 1 : 2;
      t->helo_at = t->out.len + t->out_queued;
    }
    break;
  case SMTPP_EV_MESSAGE_END:
    if (t->body_open && ev->message_size != t->msg[t->nmsg - 1].body.len)
      t->size_mismatch++;
    open_msg(t); /* an end without a start is still one message */
    close_msg(t, MODEL_MSG_ENDED, ev->error);
    break;
  case SMTPP_EV_PROTOCOL_ERROR:
    /* RFC 3030 2 / RFC 1870 6.1: a chunk over SIZE ends the transaction */
    if (ev->verb == SMTPP_VERB_BDAT && ev->error == SMTPP_ERR_SIZE_EXCEEDED)
      close_msg(t, MODEL_MSG_ABORTED, 0);
    break;
  default:
    break;
  }
}

void oracle_trace_event(oracle_trace *t, const smtpp_event *ev) {
  if (t->tls)
    t->events_after_tls++;
  if (t->closed)
    t->events_after_close++;
  ev_rec rec;
  make_rec(&rec, ev);
  serialize(stream(t, 1), &rec, ev->flags);
  if (ev->type == SMTPP_EV_BODY) {
    if (t->pend_open && t->pend_verb != ev->verb)
      flush_body(t);
    t->pend_open = 1;
    t->pend_verb = ev->verb;
    bbuf_add(&t->pend_body, ev->arg.p, ev->arg.len);
    if (!t->compare_only && ev->arg.len) {
      helo_settle(t);
      bbuf_add(&open_msg(t)->body, ev->arg.p, ev->arg.len);
    }
    return;
  }
  flush_body(t);
  size_t at = t->ev_norm.len;
  serialize(stream(t, 0), &rec, ev->flags & ~SMTPP_EVF_INPUT_PENDING);
  if (!t->compare_only) {
    if (ev->type != SMTPP_EV_NONE) { /* the events oracle_event_text writes */
      t->ev_at = bb_grow(t->ev_at, &t->cap_ev_at, t->nev_at + 1, sizeof *t->ev_at);
      t->ev_at[t->nev_at++] = at;
      t->ev_at[t->nev_at++] = t->ev_norm.len;
    }
    oracle_event_text(&t->ev_text, ev);
    rebuild_messages(t, ev);
  }
  if (ev->type == SMTPP_EV_STARTTLS)
    t->tls = 1;
  else if (ev->type == SMTPP_EV_CLOSE)
    t->closed = 1;
}

void oracle_trace_finish(oracle_trace *t) {
  flush_body(t);
  if (!t->compare_only)
    helo_settle(t);
}
