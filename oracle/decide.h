/*
 * decide.h - the host's decisions, chosen by the fuzz input: a tape of
 * octets, one consumed at each decidable event and at each STARTTLS event,
 * in event order.  The runner (run.c) applies them to the parser through
 * the public API; the model (model_session.c) predicts their replies and
 * effects from the same octets.  Layout in fuzz/README.md.
 *
 * A decidable event, octet v:
 *   v == 0          no call: the parser's default applies
 *   v & 15 == 0     smtpp_shutdown() instead of a decision
 *   otherwise       smtpp_decide(code, enh, text) with
 *                   code = codes[v & 15], enh = enhs[(v >> 4) & 3],
 *                   text = texts[(v >> 6) & 3]  (tables in decide.c)
 * A STARTTLS event, octet v:
 *   v == 0          no call: the handshake never ends, input is discarded
 *   v odd           smtpp_tls_done(ok = 1): the session starts afresh
 *   v even          smtpp_tls_done(ok = 0): 421 and closed
 * An exhausted tape reads as 0.
 */
#ifndef ORACLE_DECIDE_H
#define ORACLE_DECIDE_H

#include <stddef.h>
#include <stdint.h>

typedef struct oracle_tape {
  const uint8_t *p;
  size_t len, pos;
} oracle_tape;

enum { DEC_DEFAULT, DEC_DECIDE, DEC_SHUTDOWN };

typedef struct oracle_decision {
  int what;         /* DEC_* */
  int code;
  const char *enh;  /* NULL: none given */
  const char *text; /* NULL: none given */
  char enh_buf[12];
} oracle_decision;

/* The next decision for a decidable event (d->enh may point into d). */
void oracle_tape_decision(oracle_tape *t, oracle_decision *d);
/* The next STARTTLS outcome: 0 never, 1 ok, 2 failed. */
int oracle_tape_tls(oracle_tape *t);

#endif
