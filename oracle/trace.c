/*
 * trace.c - recording one run of a parser: reply octets and events, and
 * the message bodies rebuilt from the events.  The real parser is driven
 * by oracle_trace_parser() (run.c); tests write fake traces directly.
 */
#include "oracle.h"

#include <stdlib.h>
#include <string.h>

void oracle_trace_init(oracle_trace *t) {
  memset(t, 0, sizeof *t);
  t->state = -1;
}

void oracle_trace_free(oracle_trace *t) {
  obuf_free(&t->out);
  obuf_free(&t->ev_norm);
  obuf_free(&t->ev_raw);
  obuf_free(&t->pend_body);
  for (size_t i = 0; i < t->nmsg_init; i++)
    obuf_free(&t->msg[i].body);
  free(t->msg);
  memset(t, 0, sizeof *t);
}

void oracle_trace_reset(oracle_trace *t) {
  oracle_trace k = *t; /* keep the memory, forget the contents */
  memset(t, 0, sizeof *t);
  t->out = k.out;
  t->ev_norm = k.ev_norm;
  t->ev_raw = k.ev_raw;
  t->pend_body = k.pend_body;
  obuf_reset(&t->out);
  obuf_reset(&t->ev_norm);
  obuf_reset(&t->ev_raw);
  obuf_reset(&t->pend_body);
  t->msg = k.msg;
  t->capmsg = k.capmsg;
  t->nmsg_init = k.nmsg_init;
  t->state = -1;
}

void oracle_trace_reply(oracle_trace *t, const char *bytes, size_t n) {
  obuf_put(&t->out, bytes, n);
}

/* One event as fixed-size numbers, then the octets of its slices. */
typedef struct ev_head {
  uint8_t type, verb, error, has_size, body, smtputf8, ret, notify;
  uint32_t flags, pad;
  uint64_t chunk_size, message_size, size;
  uint64_t lens[9]; /* UINT64_MAX: slice absent (p == NULL) */
} ev_head;

static void serialize(obuf *b, const smtpp_event *ev, uint32_t flags) {
  const smtpp_slice *sl[9] = {&ev->arg, &ev->path, &ev->local, &ev->domain,
                              &ev->initial, &ev->params.envid,
                              &ev->params.orcpt_type, &ev->params.orcpt,
                              &ev->params.auth};
  ev_head h;
  memset(&h, 0, sizeof h);
  h.type = (uint8_t)ev->type;
  h.verb = (uint8_t)ev->verb;
  h.error = (uint8_t)ev->error;
  h.has_size = ev->params.has_size;
  h.body = ev->params.body;
  h.smtputf8 = ev->params.smtputf8;
  h.ret = ev->params.ret;
  h.notify = ev->params.notify;
  h.flags = flags;
  h.chunk_size = ev->chunk_size;
  h.message_size = ev->message_size;
  h.size = ev->params.size;
  for (int i = 0; i < 9; i++)
    h.lens[i] = sl[i]->p ? (uint64_t)sl[i]->len : UINT64_MAX;
  obuf_put(b, &h, sizeof h);
  for (int i = 0; i < 9; i++)
    if (sl[i]->p)
      obuf_put(b, sl[i]->p, sl[i]->len);
}

/* Body pieces may be cut anywhere (smtpp.h): the normalised stream holds
 * their concatenation. */
static void flush_body(oracle_trace *t) {
  if (!t->pend_open)
    return;
  obuf_byte(&t->ev_norm, (uint8_t)SMTPP_EV_BODY);
  obuf_byte(&t->ev_norm, (uint8_t)t->pend_verb);
  obuf_u64(&t->ev_norm, t->pend_body.len);
  obuf_put(&t->ev_norm, t->pend_body.p, t->pend_body.len);
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

void oracle_trace_event(oracle_trace *t, const smtpp_event *ev) {
  if (t->tls)
    t->events_after_tls++;
  if (t->closed)
    t->events_after_close++;
  serialize(&t->ev_raw, ev, ev->flags);
  if (ev->type == SMTPP_EV_BODY) {
    if (t->pend_open && t->pend_verb != ev->verb)
      flush_body(t);
    t->pend_open = 1;
    t->pend_verb = ev->verb;
    obuf_put(&t->pend_body, ev->arg.p, ev->arg.len);
    obuf_put(&open_msg(t)->body, ev->arg.p, ev->arg.len);
    return;
  }
  flush_body(t);
  serialize(&t->ev_norm, ev, ev->flags & ~SMTPP_EVF_INPUT_PENDING);
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    if (ev->verb == SMTPP_VERB_DATA || ev->verb == SMTPP_VERB_BDAT)
      open_msg(t);
    else if (ev->verb == SMTPP_VERB_RSET || ev->verb == SMTPP_VERB_HELO ||
             ev->verb == SMTPP_VERB_EHLO)
      close_msg(t, MODEL_MSG_ABORTED, 0);
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
  case SMTPP_EV_STARTTLS:
    t->tls = 1;
    break;
  case SMTPP_EV_CLOSE:
    t->closed = 1;
    break;
  default:
    break;
  }
}

void oracle_trace_finish(oracle_trace *t, int state) {
  flush_body(t);
  t->state = state;
}
