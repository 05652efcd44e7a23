/* decide.c - decoding the decision tape of decide.h. */
#include "decide.h"

#include <stdio.h>

/* Codes: the success codes of every kind of event (each valid for some
 * and not for others), refusals, the closing 421 and two codes no event
 * allows (smtpp.h: smtpp_decide). */
static const int codes[16] = {0,   250, 251, 252, 354, 235, 334, 421,
                              450, 451, 452, 550, 553, 554, 599, 200};
/* Texts: a plain one, one with octets that must never reach a reply
 * (CR, LF, control, 8-bit), one longer than the host text limit. */
static const char *const texts[4] = {
    NULL, "Custom text from the host", "bad\r\n250 injected\x01\xff end",
    "Long host text: "
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"};

static uint8_t next(oracle_tape *t) {
  return t && t->pos < t->len ? t->p[t->pos++] : 0;
}

void oracle_tape_decision(oracle_tape *t, oracle_decision *d) {
  uint8_t v = next(t);
  d->what = v == 0 ? DEC_DEFAULT : (v & 15) == 0 ? DEC_SHUTDOWN : DEC_DECIDE;
  d->code = codes[v & 15];
  d->text = texts[(v >> 6) & 3];
  d->enh = NULL;
  switch ((v >> 4) & 3) {
  case 1: /* fitting class, security subject (RFC 3463 3.8) */
    snprintf(d->enh_buf, sizeof d->enh_buf, "%d.7.1", d->code / 100);
    d->enh = d->enh_buf;
    break;
  case 2: /* always class 2: wrong for a refusal */
    d->enh = "2.1.0";
    break;
  case 3: /* the longest form RFC 3463 2 allows */
    snprintf(d->enh_buf, sizeof d->enh_buf, "%d.999.999", d->code / 100);
    d->enh = d->enh_buf;
    break;
  default:
    break;
  }
}

int oracle_tape_tls(oracle_tape *t) {
  uint8_t v = next(t);
  return v == 0 ? 0 : (v & 1) ? 1 : 2;
}
