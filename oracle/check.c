/*
 * check.c - the properties of docs/DESIGN.md section 5, each checked on
 * its own so that a fake parser breaking one rule trips exactly that one.
 * Only what a host observes is compared: replies (code, enhanced code,
 * the texts the model can know: host texts and the EHLO lines), events,
 * message bodies, closes.
 */
#include "known.h"
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

static int m_bdat_line(const uint8_t *l) {
  return (l[0] | 32) == 'b' && (l[1] | 32) == 'd' && (l[2] | 32) == 'a' &&
         (l[3] | 32) == 't';
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

/* The text of reply line l (after "ddd-" / "ddd " and the enhanced code
 * when the reply has one): [*t, *t + *n). */
static void line_text(const uint8_t *l, size_t n, int has_enh, const uint8_t **t,
                      size_t *tn) {
  size_t i = n >= 4 ? 4 : n;
  if (has_enh) {
    while (i < n && l[i] != ' ')
      i++;
    if (i < n)
      i++;
  }
  *t = l + i;
  *tn = n - i;
}

/* The lines of the reply [at, end) without CRLF, at most cap. */
static size_t reply_lines(const bbuf *o, const rs_reply *r, const uint8_t **lp,
                          size_t *ln, size_t cap) {
  size_t k = 0, i = r->off;
  while (i + 1 < r->end && k < cap) {
    size_t e = i;
    while (e + 1 < r->end && !(o->p[e] == '\r' && o->p[e + 1] == '\n'))
      e++;
    lp[k] = o->p + i;
    ln[k] = e - i;
    k++;
    i = e + 2;
  }
  return k;
}

static int cmp_span(const void *a, const void *b) {
  const smtpp_slice *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->p, y->p, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The texts the model can know: a host's text (the last line), the EHLO
 * reply (first line our domain, then the keyword lines, in any order). */
static int text_ok(const model_result *mr, const model_reply *m, const bbuf *o,
                   const rs_reply *r, char *why, size_t cap) {
  if (!m->has_text && !m->ehlo)
    return 1;
  const uint8_t *lp[16];
  size_t ln[16];
  size_t nl = reply_lines(o, r, lp, ln, 16);
  const uint8_t *want = mr->texts.p + m->text_off;
  size_t wn = m->text_len;
  const uint8_t *t;
  size_t tn;
  if (!m->ehlo) {
    line_text(lp[nl - 1], ln[nl - 1], r->enh[0] != 0, &t, &tn);
    if (tn == wn && memcmp(t, want, wn) == 0)
      return 1;
    snprintf(why, cap, "reply text differs from the host's text");
    return 0;
  }
  smtpp_slice exp[16], act[16];
  size_t ne = 0;
  for (size_t i = 0, s0 = 0; i <= wn && ne < 16; i++)
    if (i == wn || want[i] == '\n') {
      exp[ne].p = want + s0;
      exp[ne++].len = i - s0;
      s0 = i + 1;
    }
  for (size_t i = 0; i < nl; i++) {
    line_text(lp[i], ln[i], 0, &t, &tn);
    act[i].p = t;
    act[i].len = tn;
  }
  if (nl != ne || cmp_span(&exp[0], &act[0]) != 0) {
    snprintf(why, cap, "EHLO reply: %zu lines, %zu expected, or the first line is not our domain", nl, ne);
    return 0;
  }
  qsort(exp + 1, ne - 1, sizeof exp[0], cmp_span);
  qsort(act + 1, nl - 1, sizeof act[0], cmp_span);
  for (size_t i = 1; i < ne; i++)
    if (cmp_span(&exp[i], &act[i]) != 0) {
      char e[64], a[64];
      esc_bytes(e, sizeof e, exp[i].p, exp[i].len, NULL);
      esc_bytes(a, sizeof a, act[i].p, act[i].len, NULL);
      /* Composed whole (it fits: 45 + 2 x 63 octets), then cut to cap. */
      char msg[200];
      snprintf(msg, sizeof msg,
               "EHLO keyword lines differ: expected \"%s\", got \"%s\"", e, a);
      if (cap) {
        size_t k = strlen(msg) < cap - 1 ? strlen(msg) : cap - 1;
        memcpy(why, msg, k);
        why[k] = '\0';
      }
      return 0;
    }
  return 1;
}

/* P3/P4/P5/P6/P8/P9: the replies, one by one, against the model.
 * Returns 1 if a known disagreement that changes what follows was met
 * (the rest is then not compared). */
static int check_replies(const model_result *mr, const oracle_trace *t,
                         const rs_reader *rs, const uint8_t *in,
                         oracle_report *rep) {
  size_t np = rs->n;
  const rs_reply *seen = rs->r;
  char exp[96], act[96], why[128];
  for (size_t i = 0; i < mr->nrep || i < np; i++) {
    const model_reply *m = i < mr->nrep ? &mr->rep[i] : NULL;
    const rs_reply *r = i < np ? &seen[i] : NULL;
    if (m && m->sit && !m->host && !allowed_code_ok(m->sit, m->code)) {
      fire(rep, ORACLE_P4_MALFORMED_LINE, in, m->off, m->len, "a reply the RFCs allow",
           "the model predicts another", allowed_get(m->sit)->rfc);
      return 0;
    }
    if (m && r && reply_ok(m, r) && text_ok(mr, m, &t->out, r, why, sizeof why))
      continue;
    if (m && r) {
      known_reply kr = {r->code, r->enh, t->out.p + r->off, r->end - r->off};
      int k = oracle_known_match(m, &kr);
      if (k >= 0) {
        rep->known |= 1u << k;
        if (oracle_known_stops(k))
          return 1;
        continue;
      }
    }
    fmt_exp(exp, sizeof exp, m);
    fmt_act(act, sizeof act, r);
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
    } else if (reply_ok(m, r)) {
      fire(rep, ORACLE_P4_MALFORMED_LINE, in, m->off, m->len, exp, act, why);
    } else if (!m->err && i + 1 < mr->nrep && reply_ok(&mr->rep[i + 1], r)) {
      /* the next command's reply in this one's place: this one got none */
      fire(rep, ORACLE_P3_ONE_REPLY, in, m->off, m->len, exp, act,
           "a command got no reply");
    } else {
      int prop = m->prop;
      if (m->err == 0 && (r->code == 500 || r->code == 501 || r->code == 555))
        prop = ORACLE_P4_MALFORMED_LINE; /* a well-formed line refused */
      else if (m->err == 0 && r->code == 503)
        prop = ORACLE_P5_SEQUENCE;
      else if (prop == ORACLE_P3_ONE_REPLY && m->sit)
        prop = ORACLE_P4_MALFORMED_LINE; /* a wrong answer, not a missing one */
      char d[128];
      snprintf(d, sizeof d, "reply #%zu (%s, %s)", i,
               m->sit ? allowed_get(m->sit)->name : "HOST_DECISION",
               m->err ? smtpp_err_name(m->err) : "success");
      fire(rep, prop, in, m->off, m->len, exp, act, d);
    }
    return 0;
  }
  return 0;
}

/* Another error id in the same PROTOCOL_ERROR line that the model also
 * allows (ok: bits 1 << id). */
static int error_alt(const uint8_t *la, size_t na, const uint8_t *le, size_t ne,
                     uint64_t ok) {
  static const char pe[] = "PROTOCOL_ERROR ";
  size_t sa = na, se = ne;
  while (sa > 0 && la[sa - 1] != ' ')
    sa--;
  while (se > 0 && le[se - 1] != ' ')
    se--;
  if (sa != se || sa < sizeof pe - 1 || memcmp(la, le, sa) != 0 ||
      memcmp(le, pe, sizeof pe - 1) != 0)
    return 0;
  static const char key[] = "error="; /* common/eventfmt.h */
  size_t k = sizeof key - 1;
  if (na - sa < k || memcmp(la + sa, key, k) != 0)
    return 0;
  for (int e = 1; e < SMTPP_ERR__COUNT && e < 64; e++) {
    const char *n = smtpp_err_name(e);
    if (((ok >> e) & 1) && strlen(n) == na - sa - k && memcmp(n, la + sa + k, na - sa - k) == 0)
      return 1;
  }
  return 0;
}

/* P11: the events, line by line (evtext.c), against the model's. */
static void check_events(const model_result *mr, const oracle_trace *t,
                         const uint8_t *in, size_t len, oracle_report *rep) {
  const bbuf *a = &t->ev_text, *e = &mr->events;
  size_t ia = 0, ie = 0, n = 0;
  while (ia < a->len || ie < e->len) {
    const uint8_t *la = a->p + ia, *le = e->p + ie;
    size_t na = 0, ne = 0;
    while (ia + na < a->len && la[na] != '\n')
      na++;
    while (ie + ne < e->len && le[ne] != '\n')
      ne++;
    int same = (ia < a->len && ie < e->len) &&
               ((na == ne && memcmp(la, le, na) == 0) ||
                (n < mr->nevents && error_alt(la, na, le, ne, mr->ev_ok[n])));
    if (!same) {
      char exp[96], act[96], d[128];
      if (ie < e->len)
        esc_bytes(exp, sizeof exp, le, ne, NULL);
      else
        snprintf(exp, sizeof exp, "(no event)");
      if (ia < a->len)
        esc_bytes(act, sizeof act, la, na, NULL);
      else
        snprintf(act, sizeof act, "(no event)");
      snprintf(d, sizeof d, "event #%zu differs from the model's", n);
      size_t off = 0, ln = 0;
      for (size_t k = 0; k < mr->nrep; k++)
        if (mr->rep[k].ev_line > n) { /* the reply after event n */
          off = mr->rep[k].off;
          ln = mr->rep[k].len;
          break;
        }
      fire(rep, ORACLE_P11_EVENTS, in, off ? off : len, off ? ln : 0, exp, act, d);
      return;
    }
    ia += na + 1;
    ie += ne + 1;
    n++;
  }
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

/* Stream k (0 replies, 1 normalised events, 2 raw events) of a trace. */
static const bbuf *stored(const oracle_trace *t, int k) {
  return k == 0 ? &t->out : k == 1 ? &t->ev_norm : &t->ev_raw;
}

static int same(const oracle_trace *a, const oracle_trace *b, int k) {
  const bbuf *x = stored(a, k), *y = stored(b, k);
  return x->len == y->len && (x->len == 0 || memcmp(x->p, y->p, x->len) == 0);
}

/* Whether b = a without its octets [cut, cut_end). */
static int same_but(const bbuf *a, size_t cut, size_t cut_end, const bbuf *b) {
  return b->len == a->len - (cut_end - cut) &&
         (cut == 0 || memcmp(a->p, b->p, cut) == 0) &&
         (cut_end == a->len || memcmp(a->p + cut_end, b->p + cut, a->len - cut_end) == 0);
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
  if (what)
    fire(rep, prop, NULL, len, 0, "same output", "different output", what);
}

/* P5, stated on its own: "a command out of order gets 503 and nothing
 * observable changes".  The first line the model refuses as out of
 * sequence is taken out of the input and the parser run again (with one
 * error less in the budget, since the 503 counted): the replies must be
 * the first run's without that 503, the events the first run's without
 * its PROTOCOL_ERROR.  The rerun is only compared (compare_only): its
 * replies, and its normalised events, which carry every field of every
 * event and the message bodies merged, so the messages (P6's rebuild from
 * the events) are compared with them.  (A refused BDAT is left alone: its
 * chunk follows it.) */
static void check_p5_rerun(const smtpp_config *cfg, const uint8_t *in, size_t len,
                           const oracle_tape *tape, const model_result *mr,
                           const oracle_trace *whole, const rs_reader *rs,
                           oracle_report *rep) {
  size_t k = 0;
  while (k < mr->nrep && !(mr->rep[k].err == SMTPP_ERR_BAD_SEQUENCE &&
                           mr->rep[k].len >= 4 && !m_bdat_line(in + mr->rep[k].off)))
    k++;
  uint32_t maxe = cfg->max_errors ? cfg->max_errors : 20;
  if (k >= mr->nrep || maxe <= 1 || mr->rep[k].ev_line == 0)
    return;
  if (k + 1 < mr->nrep && mr->rep[k + 1].sit == ALLOWED_TOO_MANY_ERRORS)
    return; /* the refusal spent the budget: without it the close moves */
  const model_reply *m = &mr->rep[k];
  size_t line = m->ev_line - 1; /* its PROTOCOL_ERROR: ev_text line */
  if (k >= rs->n || 2 * line + 1 >= whole->nev_at)
    return;
  size_t r_at = rs->r[k].off, r_end = rs->r[k].end;
  size_t e_at = whole->ev_at[2 * line], e_end = whole->ev_at[2 * line + 1];
  static bbuf red;
  static oracle_trace again;
  bbuf_reset(&red);
  bbuf_add(&red, in, m->off);
  bbuf_add(&red, in + m->off + m->len, len - m->off - m->len);
  smtpp_config c2 = *cfg;
  c2.max_errors = maxe - 1;
  oracle_trace_reset(&again);
  again.compare_only = 1;
  oracle_trace_parser(&c2, red.p, red.len, NULL, 0, tape, &again);
  const char *what = NULL;
  if (!same_but(&whole->out, r_at, r_end, &again.out))
    what = "without the refused line the replies differ";
  else if (!same_but(&whole->ev_norm, e_at, e_end, &again.ev_norm))
    what = "without the refused line the events or message bodies differ";
  if (what)
    fire(rep, ORACLE_P5_SEQUENCE, in, m->off, m->len, "nothing observable changes",
         "something changed", what);
}

int oracle_check(const smtpp_config *cfg, const uint8_t *in, size_t len,
                 const oracle_tape *tape, const oracle_trace *whole,
                 const oracle_trace *split, const oracle_trace *again,
                 oracle_report *rep) {
  memset(rep, 0, sizeof *rep);
  static model_result mr; /* reused between calls: not thread-safe */
  model_run(cfg, in, len, tape, &mr);

  check_p1(whole, "whole", len, rep);
  if (split)
    check_p1(split, "split", len, rep);
  const rs_reader *rs = read_replies(&whole->out);
  if (rs->nviol)
    fire(rep, ORACLE_P2_REPLY_FORMAT, NULL, len, 0, "well-formed replies",
         "malformed", rs->viol);
  int stop = check_replies(&mr, whole, rs, in, rep);
  if (whole->events_after_tls)
    fire(rep, ORACLE_P8_STARTTLS, NULL, len, 0, "no event after STARTTLS",
         "events", "pipelined input after STARTTLS was executed");
  if (whole->events_after_close)
    fire(rep, ORACLE_P3_ONE_REPLY, NULL, len, 0, "nothing after close",
         "events", "events after the session closed");
  if (!stop) {
    check_messages(&mr, whole, in, len, rep);
    check_events(&mr, whole, in, len, rep);
  }
  if (split)
    check_pair(whole, split, 0, ORACLE_P7_SPLIT, len, rep);
  if (split && again)
    check_pair(split, again, 1, ORACLE_P10_DETERMINISM, len, rep);
  if (!rep->fired && !stop)
    check_p5_rerun(cfg, in, len, tape, &mr, whole, rs, rep);
  int n = 0;
  for (int p = 1; p < ORACLE__COUNT; p++)
    n += (rep->fired >> p) & 1;
  return n;
}
