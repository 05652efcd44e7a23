/*
 * evtext.c - one event as one line of text, the form in which the model's
 * predicted events and the parser's events are compared (property P11)
 * and printed in reports.  Only what docs/EMBEDDING.md "Events" promises
 * is written: the type; the verb; the flags DECIDABLE (D), GROUP_END (G),
 * LAST (L), SMTPUTF8 (U) (INPUT_PENDING depends on the chunking and is
 * left out); per type and verb the documented slices and numbers.  BODY
 * events are not written: the bodies are compared whole (P6).  An absent
 * slice and an empty one read the same.
 */
#include "oracle.h"

#include <stdio.h>
#include <string.h>

static void put_str(obuf *o, const char *s) { obuf_put(o, s, strlen(s)); }

static void put_slice(obuf *o, const char *key, const smtpp_slice *s) {
  char esc[1200];
  oracle_escape(esc, sizeof esc, s->p, s->p ? s->len : 0);
  put_str(o, " ");
  put_str(o, key);
  put_str(o, "=\"");
  put_str(o, esc);
  put_str(o, "\"");
}

static void put_num(obuf *o, const char *key, unsigned long long v) {
  char b[48];
  snprintf(b, sizeof b, " %s=%llu", key, v);
  put_str(o, b);
}

static void put_flags(obuf *o, uint32_t f) {
  char b[8];
  size_t k = 0;
  b[k++] = ' ';
  b[k++] = '[';
  if (f & SMTPP_EVF_DECIDABLE)
    b[k++] = 'D';
  if (f & SMTPP_EVF_GROUP_END)
    b[k++] = 'G';
  if (f & SMTPP_EVF_LAST)
    b[k++] = 'L';
  if (f & SMTPP_EVF_SMTPUTF8)
    b[k++] = 'U';
  b[k++] = ']';
  obuf_put(o, b, k);
}

static void put_params(obuf *o, const smtpp_params *p) {
  if (p->has_size)
    put_num(o, "size", p->size);
  if (p->body)
    put_num(o, "body", p->body);
  if (p->smtputf8)
    put_num(o, "smtputf8", p->smtputf8);
  if (p->ret)
    put_num(o, "ret", p->ret);
  if (p->notify)
    put_num(o, "notify", p->notify);
  if (p->envid.p && p->envid.len)
    put_slice(o, "envid", &p->envid);
  if (p->orcpt.p && p->orcpt.len) {
    put_slice(o, "orcpt_type", &p->orcpt_type);
    put_slice(o, "orcpt", &p->orcpt);
  }
  if (p->auth.p && p->auth.len)
    put_slice(o, "auth", &p->auth);
}

void oracle_event_text(obuf *o, const smtpp_event *ev) {
  if (ev->type == SMTPP_EV_BODY || ev->type == SMTPP_EV_NONE)
    return;
  const char *t = smtpp_event_name(ev->type);
  put_str(o, t ? t : "?");
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    put_str(o, " ");
    put_str(o, smtpp_verb_name(ev->verb));
    put_flags(o, ev->flags);
    switch (ev->verb) {
    case SMTPP_VERB_MAIL:
    case SMTPP_VERB_RCPT:
      put_slice(o, "path", &ev->path);
      put_slice(o, "local", &ev->local);
      put_slice(o, "domain", &ev->domain);
      put_params(o, &ev->params);
      break;
    case SMTPP_VERB_BDAT:
      put_num(o, "chunk", ev->chunk_size);
      break;
    case SMTPP_VERB_AUTH:
      put_slice(o, "mech", &ev->arg);
      put_slice(o, "initial", &ev->initial);
      break;
    case SMTPP_VERB_HELO:
    case SMTPP_VERB_EHLO:
    case SMTPP_VERB_VRFY:
    case SMTPP_VERB_EXPN:
    case SMTPP_VERB_HELP:
    case SMTPP_VERB_NOOP:
      put_slice(o, "arg", &ev->arg);
      break;
    default:
      break;
    }
    break;
  case SMTPP_EV_PROTOCOL_ERROR:
    put_str(o, " ");
    put_str(o, smtpp_verb_name(ev->verb));
    put_str(o, " ");
    put_str(o, smtpp_err_name(ev->error));
    break;
  case SMTPP_EV_MESSAGE_END:
    put_flags(o, ev->flags);
    put_num(o, "size", ev->message_size);
    put_str(o, " ");
    put_str(o, ev->error ? smtpp_err_name(ev->error) : "OK");
    break;
  case SMTPP_EV_AUTH_RESPONSE:
    put_flags(o, ev->flags);
    put_slice(o, "arg", &ev->arg);
    break;
  case SMTPP_EV_CLOSE:
    if (ev->error) {
      put_str(o, " ");
      put_str(o, smtpp_err_name(ev->error));
    }
    break;
  default: /* STARTTLS: the type says it all */
    break;
  }
  put_str(o, "\n");
}
