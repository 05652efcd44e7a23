/*
 * check.c - the ten properties of design.md section 5, each checked on its
 * own so that a fake parser breaking one rule trips exactly that one.
 */
#include "oracle.h"

#include "esc.h"
#include "replies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fire(oracle_report *rep, int prop, const uint8_t *in, size_t off,
                 size_t len, const char *exp, const char *act,
                 const char *detail) {
  rep->fired |= 1u << prop;
  if (rep->prop)
    return; /* keep the details of the first one */
  rep->prop = prop;
  rep->offset = off;
  if (in && len)
    esc_bytes(rep->command, sizeof rep->command, in + off, len, NULL);
  else
    snprintf(rep->command, sizeof rep->command, "%s", off ? "(end of input)" : "(greeting)");
  snprintf(rep->expected, sizeof rep->expected, "%s", exp);
  snprintf(rep->actual, sizeof rep->actual, "%s", act);
  snprintf(rep->detail, sizeof rep->detail, "%s", detail);
}

/* P2 and the reply list: the one reply-stream reader (common/replies.h)
 * in smtpp's own form: "code SP/- [enh SP] text CRLF", <= 512 octets,
 * printable, the same code on every line of a reply (RFC 5321 4.2,
 * 4.5.3.1.5).  Reused between calls (not thread-safe, like model_result). */
static rs_reader *read_replies(const bbuf *o) {
  static rs_reader rs;
  rs_reset(&rs);
  rs.flags = RS_SMTPP;
  rs_end(&rs, o->p, o->len);
  return &rs;
}

static void fmt_exp(char *d, size_t cap, const model_reply *m) {
  if (m == NULL) {
    snprintf(d, cap, "(no reply)");
    return;
  }
  int k = snprintf(d, cap, "%d%s%s", m->code, m->enh[0] ? " " : "", m->enh);
  if (m->alt_code && k > 0 && (size_t)k < cap)
    snprintf(d + k, cap - (size_t)k, " or %d%s%s", m->alt_code,
             m->alt_enh[0] ? " " : "", m->alt_enh);
}

static void fmt_act(char *d, size_t cap, const rs_reply *r) {
  if (r == NULL)
    snprintf(d, cap, "(no reply)");
  else
    snprintf(d, cap, "%d%s%s", r->code, r->enh[0] ? " " : "", r->enh);
}

static int reply_ok(const model_reply *m, const rs_reply *r) {
  if (r->code == m->code && strcmp(r->enh, m->enh) == 0)
    return 1;
  return m->alt_code && r->code == m->alt_code && strcmp(r->enh, m->alt_enh) == 0;
}

/* P3/P4/P5/P6/P8/P9: the replies, one by one, against the model. */
static int check_replies(const model_result *mr, const rs_reader *rs,
                         const uint8_t *in, oracle_report *rep) {
  size_t np = rs->n;
  const rs_reply *seen = rs->r;
  char exp[96], act[96];
  int bad = 0;
  for (size_t i = 0; i < mr->nrep || i < np; i++) {
    const model_reply *m = i < mr->nrep ? &mr->rep[i] : NULL;
    const rs_reply *r = i < np ? &seen[i] : NULL;
    if (m && r && reply_ok(m, r))
      continue;
    fmt_exp(exp, sizeof exp, m);
    fmt_act(act, sizeof act, r);
    bad = 1;
    if (m == NULL) {
      const model_reply *last = &mr->rep[mr->nrep - 1];
      fire(rep, mr->tls ? ORACLE_P8_STARTTLS : ORACLE_P3_ONE_REPLY, in,
           last->off, last->len, exp, act,
           mr->tls ? "a reply after STARTTLS's 220: pipelined input was executed"
           : mr->closed ? "a reply after the session closed"
                        : "a reply the model does not give");
    } else if (r == NULL) {
      /* a refusal the parser never gave breaks the refusal's rule; any
       * other missing reply is property 3 */
      fire(rep, m->err ? m->prop : ORACLE_P3_ONE_REPLY, in, m->off, m->len,
           exp, act, "a command got no reply");
    } else {
      int prop = m->prop;
      if (m->err == 0 && (r->code == 500 || r->code == 501 || r->code == 555))
        prop = ORACLE_P4_MALFORMED_LINE; /* a well-formed line refused */
      else if (m->err == 0 && r->code == 503)
        prop = ORACLE_P5_SEQUENCE;
      char d[128];
      snprintf(d, sizeof d, "reply #%zu (model error id %d: %s)", i, m->err,
               m->err ? smtpp_err_name(m->err) : "success");
      fire(rep, prop, in, m->off, m->len, exp, act, d);
    }
    break;
  }
  return bad;
}

/* P6: messages accepted = terminators; bodies byte for byte. */
static void check_messages(const model_result *mr, const oracle_trace *t,
                           const uint8_t *in, size_t len, oracle_report *rep) {
  char exp[96], act[96], d[128];
  if (t->size_mismatch) {
    fire(rep, ORACLE_P6_MESSAGES, in, len, 0, "message_size = body octets",
         "different", "MESSAGE_END.message_size differs from the body delivered");
    return;
  }
  for (size_t i = 0; i < mr->nmsg || i < t->nmsg; i++) {
    const model_msg *m = i < mr->nmsg ? &mr->msg[i] : NULL;
    const model_msg *g = i < t->nmsg ? &t->msg[i] : NULL;
    if (m && g && m->kind == g->kind && m->body.len == g->body.len &&
        (m->kind != MODEL_MSG_ENDED || m->err == g->err) &&
        (m->body.len == 0 || memcmp(m->body.p, g->body.p, m->body.len) == 0))
      continue;
    snprintf(exp, sizeof exp, m ? "message %zu: kind %d err %d, %zu octets" : "no message %zu",
             i, m ? m->kind : 0, m ? m->err : 0, m ? m->body.len : 0);
    snprintf(act, sizeof act, g ? "message %zu: kind %d err %d, %zu octets" : "no message %zu",
             i, g ? g->kind : 0, g ? g->err : 0, g ? g->body.len : 0);
    size_t k = 0;
    while (m && g && k < m->body.len && k < g->body.len && m->body.p[k] == g->body.p[k])
      k++;
    snprintf(d, sizeof d, "body differs from octet %zu (kind 0 open, 1 ended, 2 aborted)", k);
    fire(rep, ORACLE_P6_MESSAGES, in, len, 0, exp, act, d);
    return;
  }
}

static void check_p1(const oracle_trace *t, const char *which, size_t len,
                     oracle_report *rep) {
  char d[128];
  if (t->stuck || (t->bound && t->steps > t->bound) || t->parser_mallocs) {
    snprintf(d, sizeof d, "%s run: %zu smtpp_feed calls (bound %zu)%s, %zu heap allocations by the parser",
             which, t->steps, t->bound, t->stuck ? ", input not consumed" : "",
             t->parser_mallocs);
    fire(rep, ORACLE_P1_BOUNDED_WORK, NULL, len, 0, "bounded work, no heap use",
         "violated", d);
  }
}

/* Stream k (0 replies, 1 normalised events, 2 raw events) of a trace:
 * its stored octets, or only its hash when the run was hash_only. */
static const bbuf *stored(const oracle_trace *t, int k) {
  return k == 0 ? &t->out : k == 1 ? &t->ev_norm : &t->ev_raw;
}

static uint64_t hash_of(const oracle_trace *t, int k) {
  if (t->hash_only)
    return ohash_final(k == 0 ? &t->h_out : k == 1 ? &t->h_norm : &t->h_raw);
  return ohash_of(stored(t, k)->p, stored(t, k)->len);
}

static int same(const oracle_trace *a, const oracle_trace *b, int k) {
  if (a->hash_only || b->hash_only)
    return hash_of(a, k) == hash_of(b, k);
  const bbuf *x = stored(a, k), *y = stored(b, k);
  return x->len == y->len && (x->len == 0 || memcmp(x->p, y->p, x->len) == 0);
}

static void check_pair(const oracle_trace *a, const oracle_trace *b, int raw,
                       int prop, size_t len, oracle_report *rep) {
  const char *what = NULL;
  if (a == b)
    return; /* a run against itself (no splits: the split run is the whole run) */
  if (!same(a, b, 0))
    what = "reply octets differ";
  else if (!same(a, b, raw ? 2 : 1))
    what = "events differ";
  else if (a->state != b->state)
    what = "final states differ";
  if (what)
    fire(rep, prop, NULL, len, 0, "same output", "different output", what);
}

int oracle_check(const smtpp_config *cfg, const uint8_t *in, size_t len,
                 const oracle_trace *whole, const oracle_trace *split,
                 const oracle_trace *again, oracle_report *rep) {
  memset(rep, 0, sizeof *rep);
  static model_result mr; /* reused between calls: not thread-safe */
  model_run(cfg, in, len, &mr);

  check_p1(whole, "whole", len, rep);
  if (split)
    check_p1(split, "split", len, rep);
  const rs_reader *rs = read_replies(&whole->out);
  if (rs->nviol)
    fire(rep, ORACLE_P2_REPLY_FORMAT, NULL, len, 0, "well-formed replies",
         "malformed", rs->viol);
  int bad = check_replies(&mr, rs, in, rep);
  if (whole->events_after_tls)
    fire(rep, ORACLE_P8_STARTTLS, NULL, len, 0, "no event after STARTTLS",
         "events", "pipelined input after STARTTLS was executed");
  if (whole->events_after_close)
    fire(rep, ORACLE_P3_ONE_REPLY, NULL, len, 0, "nothing after close",
         "events", "events after the session closed");
  check_messages(&mr, whole, in, len, rep);
  if (!bad && whole->state != mr.state) {
    char e[32], a[32];
    snprintf(e, sizeof e, "state %s", smtpp_state_name(mr.state));
    snprintf(a, sizeof a, "state %s", smtpp_state_name(whole->state));
    fire(rep, whole->state == SMTPP_ST_CLOSED ? ORACLE_P9_LIMITS : ORACLE_P5_SEQUENCE,
         NULL, len, 0, e, a, "final state differs from the model's");
  }
  if (split)
    check_pair(whole, split, 0, ORACLE_P7_SPLIT, len, rep);
  if (split && again)
    check_pair(split, again, 1, ORACLE_P10_DETERMINISM, len, rep);
  int n = 0;
  for (int p = 1; p < ORACLE__COUNT; p++)
    n += (rep->fired >> p) & 1;
  return n;
}
