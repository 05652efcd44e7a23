/*
 * eventfmt.c - see eventfmt.h.
 */
#include "eventfmt.h"

#include "esc.h"


/* Unknown bits as 0x + lower-case hex, no leading zeros. */
static void add_hex(bbuf *b, uint32_t v) {
  char d[8];
  size_t i = sizeof d;
  do {
    d[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  bbuf_add(b, "0x", 2);
  bbuf_add(b, d + i, sizeof d - i);
}

void evfmt_flags(bbuf *b, uint32_t flags) {
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
  int any = 0;

  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    if (!(flags & tab[i].bit))
      continue;
    flags &= ~tab[i].bit;
    if (any++)
      bbuf_addc(b, ',');
    bbuf_adds(b, tab[i].name);
  }
  if (flags) { /* bits this build does not know */
    if (any++)
      bbuf_addc(b, ',');
    add_hex(b, flags);
  }
  if (!any)
    bbuf_addc(b, '-');
}

static void slice(bbuf *b, const char *name, smtpp_slice sl) {
  if (sl.p == NULL) {
    if (sl.len) { /* a contract violation: shown, so it cannot hide */
      bbuf_addc(b, ' ');
      bbuf_adds(b, name);
      bbuf_add(b, "=NULL+", 6);
      bbuf_add_dec(b, sl.len);
    }
    return;
  }
  bbuf_addc(b, ' ');
  bbuf_adds(b, name);
  bbuf_add(b, "=\"", 2);
  bbuf_add_escaped(b, sl.p, sl.len);
  bbuf_addc(b, '"');
}

static void params(bbuf *b, const smtpp_params *pr) {
  static const char *const body[] = {"", "7BIT", "8BITMIME"};
  static const char *const ret[] = {"", "FULL", "HDRS"};
  static const char *const notify[] = {"NEVER", "SUCCESS", "FAILURE",
                                       "DELAY"};
  if (pr->has_size) {
    bbuf_add(b, " SIZE=", 6);
    bbuf_add_dec(b, pr->size);
  }
  if (pr->body) {
    bbuf_add(b, " BODY=", 6);
    bbuf_adds(b, pr->body < 3 ? body[pr->body] : "?");
  }
  if (pr->smtputf8)
    bbuf_add(b, " SMTPUTF8", 9);
  if (pr->ret) {
    bbuf_add(b, " RET=", 5);
    bbuf_adds(b, pr->ret < 3 ? ret[pr->ret] : "?");
  }
  if (pr->notify) {
    const char *sep = "=";
    bbuf_add(b, " NOTIFY", 7);
    for (unsigned i = 0; i < 4; i++)
      if (pr->notify & (1u << i)) {
        bbuf_adds(b, sep);
        bbuf_adds(b, notify[i]);
        sep = ",";
      }
    if (pr->notify & ~0xfu) {
      bbuf_adds(b, sep);
      add_hex(b, pr->notify & ~0xfu);
    }
  }
  slice(b, "ENVID", pr->envid);
  slice(b, "ORCPT-TYPE", pr->orcpt_type);
  slice(b, "ORCPT", pr->orcpt);
  slice(b, "AUTH", pr->auth);
}

void evfmt_event(bbuf *b, const smtpp_event *ev, unsigned opts) {
  uint32_t flags = ev->flags;
  if (!(opts & EVFMT_INPUT_PENDING))
    flags &= ~(uint32_t)SMTPP_EVF_INPUT_PENDING;

  bbuf_adds(b, smtpp_event_name((int)ev->type));
  if (ev->verb) {
    bbuf_addc(b, ' ');
    bbuf_adds(b, smtpp_verb_name(ev->verb));
  }
  if (ev->error) {
    bbuf_add(b, " error=", 7);
    bbuf_adds(b, smtpp_err_name(ev->error));
  }
  if (flags) {
    bbuf_add(b, " flags=", 7);
    evfmt_flags(b, flags);
  }
  if (ev->type != SMTPP_EV_BODY)
    slice(b, "arg", ev->arg);
  else {
    bbuf_add(b, " len=", 5);
    bbuf_add_dec(b, ev->arg.len);
  }
  slice(b, "path", ev->path);
  slice(b, "local", ev->local);
  slice(b, "domain", ev->domain);
  slice(b, "initial", ev->initial);
  if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_BDAT) {
    bbuf_add(b, " chunk=", 7);
    bbuf_add_dec(b, ev->chunk_size);
  }
  if (ev->type == SMTPP_EV_MESSAGE_END) {
    bbuf_add(b, " size=", 6);
    bbuf_add_dec(b, ev->message_size);
  }
  if (ev->type == SMTPP_EV_COMMAND &&
      (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT))
    params(b, &ev->params);
}
