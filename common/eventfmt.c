/*
 * eventfmt.c - see eventfmt.h.
 */
#include "eventfmt.h"

#include "esc.h"

#include <stdio.h>

void evfmt_flags(uint32_t flags, char *buf, size_t cap) {
  static const struct {
    uint32_t bit;
    const char *name;
  } tab[] = {
      {SMTPP_EVF_GROUP_END, "group-end"},
      {SMTPP_EVF_INPUT_PENDING, "input-pending"},
      {SMTPP_EVF_DECIDABLE, "decidable"},
      {SMTPP_EVF_LAST, "last"},
      {SMTPP_EVF_SMTPUTF8, "smtputf8"},
      {SMTPP_EVF_OVER_SIZE, "over-size"},
  };
  size_t o = 0;

  if (cap == 0)
    return;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    if (!(flags & tab[i].bit))
      continue;
    flags &= ~tab[i].bit;
    int n = snprintf(buf + o, cap - o, "%s%s", o ? "," : "", tab[i].name);
    if (n < 0 || (size_t)n >= cap - o)
      return;
    o += (size_t)n;
  }
  if (flags) { /* bits this build does not know */
    int n = snprintf(buf + o, cap - o, "%s0x%lx", o ? "," : "",
                     (unsigned long)flags);
    if (n < 0 || (size_t)n >= cap - o)
      return;
    o += (size_t)n;
  }
  if (o == 0)
    snprintf(buf, cap, "-");
}

static void slice(bbuf *b, const char *name, smtpp_slice sl) {
  if (sl.p == NULL) {
    if (sl.len) /* a contract violation: shown, so it cannot hide */
      bbuf_addf(b, " %s=NULL+%zu", name, sl.len);
    return;
  }
  bbuf_addf(b, " %s=\"", name);
  bbuf_add_escaped(b, sl.p, sl.len);
  bbuf_addc(b, '"');
}

static void params(bbuf *b, const smtpp_params *pr) {
  static const char *const body[] = {"", "7BIT", "8BITMIME"};
  static const char *const ret[] = {"", "FULL", "HDRS"};
  static const char *const notify[] = {"NEVER", "SUCCESS", "FAILURE",
                                       "DELAY"};
  if (pr->has_size)
    bbuf_addf(b, " SIZE=%llu", (unsigned long long)pr->size);
  if (pr->body)
    bbuf_addf(b, " BODY=%s", pr->body < 3 ? body[pr->body] : "?");
  if (pr->smtputf8)
    bbuf_add(b, " SMTPUTF8", 9);
  if (pr->ret)
    bbuf_addf(b, " RET=%s", pr->ret < 3 ? ret[pr->ret] : "?");
  if (pr->notify) {
    const char *sep = "=";
    bbuf_add(b, " NOTIFY", 7);
    for (unsigned i = 0; i < 4; i++)
      if (pr->notify & (1u << i)) {
        bbuf_addf(b, "%s%s", sep, notify[i]);
        sep = ",";
      }
    if (pr->notify & ~0xfu)
      bbuf_addf(b, "%s0x%x", sep, pr->notify & ~0xfu);
  }
  slice(b, "ENVID", pr->envid);
  slice(b, "ORCPT-TYPE", pr->orcpt_type);
  slice(b, "ORCPT", pr->orcpt);
  slice(b, "AUTH", pr->auth);
}

void evfmt_event(bbuf *b, const smtpp_event *ev, unsigned opts) {
  char fl[96];
  uint32_t flags = ev->flags;
  if (!(opts & EVFMT_INPUT_PENDING))
    flags &= ~(uint32_t)SMTPP_EVF_INPUT_PENDING;

  bbuf_addf(b, "%s", smtpp_event_name((int)ev->type));
  if (ev->verb)
    bbuf_addf(b, " %s", smtpp_verb_name(ev->verb));
  if (ev->error)
    bbuf_addf(b, " error=%s", smtpp_err_name(ev->error));
  if (flags) {
    evfmt_flags(flags, fl, sizeof fl);
    bbuf_addf(b, " flags=%s", fl);
  }
  if (ev->type != SMTPP_EV_BODY)
    slice(b, "arg", ev->arg);
  else
    bbuf_addf(b, " len=%zu", ev->arg.len);
  slice(b, "path", ev->path);
  slice(b, "local", ev->local);
  slice(b, "domain", ev->domain);
  slice(b, "initial", ev->initial);
  if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_BDAT)
    bbuf_addf(b, " chunk=%llu", (unsigned long long)ev->chunk_size);
  if (ev->type == SMTPP_EV_MESSAGE_END)
    bbuf_addf(b, " size=%llu", (unsigned long long)ev->message_size);
  if (ev->type == SMTPP_EV_COMMAND &&
      (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT))
    params(b, &ev->params);
}
