/*
 * dialog.c - see dialog.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "dialog.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dlg_print(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fflush(stdout);
}

void dlg_reply_fmt(bbuf *b, int code, const char *enh, int lines) {
  bbuf_addf(b, "%d", code);
  if (enh[0])
    bbuf_addf(b, " %s", enh);
  if (lines > 1)
    bbuf_addf(b, " (%d lines)", lines);
}

/* ------------------------------------------------------------------ */
/* Running                                                              */
/* ------------------------------------------------------------------ */

static int slice_eq(smtpp_slice sl, const char *s) {
  size_t n = strlen(s);
  return sl.p && sl.len == n && memcmp(sl.p, s, n) == 0;
}

static int slice_ieq(smtpp_slice sl, const char *s) {
  size_t n = strlen(s);
  if (!sl.p || sl.len != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (tolower(sl.p[i]) != tolower((unsigned char)s[i])) return 0;
  return 1;
}

static int slice_prefix_ci(smtpp_slice sl, const char *s) {
  size_t n = strlen(s);
  if (!sl.p || sl.len < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (tolower(sl.p[i]) != tolower((unsigned char)s[i])) return 0;
  return 1;
}

static int mem_has(const bbuf *b, const char *needle) {
  size_t n = strlen(needle);
  if (b->len < n) return 0;
  for (size_t i = 0; i + n <= b->len; i++)
    if (!memcmp(b->p + i, needle, n)) return 1;
  return 0;
}

typedef struct run_ctx {
  const dialog *d;
  const dlg_opts *o;
  dlg_result *r;
  smtpp_session s;
  bbuf body;      /* body of the current message */
  int have_body;     /* a BODY event came since the last message end */
} run_ctx;

static void viol(run_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void viol(run_ctx *c, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  /* keep the list short: the first few are what matters */
  if (c->r->errors.len < 4000) bbuf_addf(&c->r->errors, "%s\n", tmp);
}

static void drain(run_ctx *c) {
  for (unsigned guard = 0; guard < 100000; guard++) {
    size_t n = 0;
    const unsigned char *p = smtpp_out_buf(&c->s, &n);
    if (n == 0) return;
    if (!p) {
      viol(c, "smtpp_out_buf returned NULL with len %zu", n);
      return;
    }
    if (n > SMTPP_OUT_MAX) {
      viol(c, "smtpp_out_buf returned len %zu > SMTPP_OUT_MAX", n);
      return;
    }
    size_t take = n;
    if (c->o && c->o->ack_step && take > c->o->ack_step) take = c->o->ack_step;
    bbuf_add(&c->r->replies, p, take);
    smtpp_out_ack(&c->s, take);
  }
  viol(c, "smtpp_out_buf never ran dry");
}

static void decide(run_ctx *c, const smtpp_event *ev, int code,
                   const char *enh, const char *text) {
  if (!(ev->flags & SMTPP_EVF_DECIDABLE))
    viol(c, "policy wanted to decide %s %s, but the event is not DECIDABLE",
         smtpp_event_name((int)ev->type), smtpp_verb_name(ev->verb));
  int rc = smtpp_decide(&c->s, code, enh, text);
  bbuf_addf(&c->r->events, "  DECIDE %d %s rc=%d\n", code,
               enh ? enh : "-", rc);
  if (rc < 0)
    viol(c, "smtpp_decide(%d, %s) on %s %s returned %d (%s)", code,
         enh ? enh : "NULL", smtpp_event_name((int)ev->type), smtpp_verb_name(ev->verb), rc,
         smtpp_err_name(rc));
}

static void apply_policy(run_ctx *c, const smtpp_event *ev) {
  unsigned pol = c->d->policy;
  if (!pol) return;
  if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_MAIL &&
      (pol & DLG_POL_REJECT_MAIL) && slice_prefix_ci(ev->local, "reject")) {
    decide(c, ev, 550, "5.1.0", NULL);
  } else if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_RCPT &&
             (pol & DLG_POL_REJECT_RCPT) &&
             slice_prefix_ci(ev->local, "reject")) {
    decide(c, ev, 550, "5.1.1", NULL);
  } else if (ev->type == SMTPP_EV_MESSAGE_END && !ev->error &&
             (pol & DLG_POL_REJECT_MESSAGE) && mem_has(&c->body, "REJECT")) {
    decide(c, ev, 554, "5.6.0", NULL);
  } else if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_AUTH &&
             (pol & DLG_POL_AUTH)) {
    if (slice_ieq(ev->arg, "PLAIN") &&
        slice_eq(ev->initial, "AHVzZXIAcGFzcw=="))
      decide(c, ev, 235, "2.7.0", NULL);
    else if (slice_ieq(ev->arg, "PLAIN") && ev->initial.len == 0)
      decide(c, ev, 334, NULL, "");
    else
      decide(c, ev, 535, "5.7.8", NULL);
  } else if (ev->type == SMTPP_EV_AUTH_RESPONSE && (pol & DLG_POL_AUTH)) {
    if (slice_eq(ev->arg, "*") && !(ev->flags & SMTPP_EVF_DECIDABLE))
      return; /* cancel: the parser answers it */
    if (slice_eq(ev->arg, "AHVzZXIAcGFzcw=="))
      decide(c, ev, 235, "2.7.0", NULL);
    else
      decide(c, ev, 535, "5.7.8", NULL);
  }
}

static void log_event(run_ctx *c, const smtpp_event *ev) {
  bbuf *b = &c->r->events, *el = &c->r->elist;
  if (ev->type == SMTPP_EV_BODY) {
    /* body pieces depend on the chunking: merged, shown at MESSAGE_END */
    if (ev->arg.len && !ev->arg.p) {
      viol(c, "BODY event with NULL data and len %zu", ev->arg.len);
      return;
    }
    bbuf_add(&c->body, ev->arg.p, ev->arg.len);
    c->have_body = 1;
    return;
  }
  if (ev->type == SMTPP_EV_COMMAND &&
      (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RSET ||
       ev->verb == SMTPP_VERB_HELO || ev->verb == SMTPP_VERB_EHLO) &&
      c->have_body) {
    /* a body that never reached MESSAGE_END (e.g. BDAT then RSET) */
    bbuf_add(b, "  UNENDED-BODY \"", 16);
    bbuf_add_escaped(b, c->body.p, c->body.len);
    bbuf_add(b, "\"\n", 2);
    c->body.len = 0;
    c->have_body = 0;
  }
  size_t at = el->len;
  evfmt_event(el, ev, 0);
  bbuf_add(b, el->p + at, el->len - at);
  bbuf_addc(el, '\n');
  if (ev->type == SMTPP_EV_MESSAGE_END) {
    bbuf_add(b, " body=\"", 7);
    bbuf_add_escaped(b, c->body.p, c->body.len);
    bbuf_addc(b, '"');
  }
  bbuf_addc(b, '\n');
}

static void message_end(run_ctx *c) {
  dlg_result *r = c->r;
  r->bodies = bb_realloc(r->bodies, (r->nbodies + 1) * sizeof *r->bodies);
  bbuf *nb = &r->bodies[r->nbodies++];
  memset(nb, 0, sizeof *nb);
  bbuf_add(nb, c->body.p, c->body.len);
  c->body.len = 0;
  c->have_body = 0;
}

static void note_close(run_ctx *c, size_t pos) {
  if (!c->r->closed) {
    c->r->closed = 1;
    drain(c);
    c->r->closed_at = c->r->replies.len;
    c->r->closed_pos = pos;
  }
}

/* Feeds one chunk [p, p + len) until every byte is consumed. */
static void feed_chunk(run_ctx *c, const unsigned char *p, size_t len,
                       size_t base) {
  size_t off = 0;
  unsigned stuck = 0;
  const dlg_opts *o = c->o;
  for (;;) {
    smtpp_event ev;
    size_t consumed = (size_t)-1;
    memset(&ev, 0, sizeof ev);
    size_t before_out = c->r->replies.len;
    int rc = smtpp_feed(&c->s, p + off, len - off, &consumed,
                        (o && o->null_ev) ? NULL : &ev);
    if (consumed > len - off) {
      viol(c, "smtpp_feed consumed %zu of %zu octets", consumed, len - off);
      return;
    }
    if (c->r->closed) {
      /* after the close nothing is read and nothing happens */
      if (rc != SMTPP_CLOSED && rc != -SMTPP_ERR_CLOSED)
        viol(c, "smtpp_feed after close returned %d", rc);
      if (consumed && rc == SMTPP_CLOSED) {
        /* consuming is allowed (discarding), but no output may follow */
      }
      size_t had = c->r->replies.len;
      drain(c);
      if (c->r->replies.len != had) viol(c, "replies written after close");
      return;
    }
    off += consumed;
    switch (rc) {
    case SMTPP_NEED_MORE:
      if (off != len)
        viol(c, "SMTPP_NEED_MORE with %zu octets unconsumed", len - off);
      return;
    case SMTPP_EVENT:
      if (!(o && o->null_ev)) {
        log_event(c, &ev);
        apply_policy(c, &ev);
        /* no policy for this event: the parser's defaults */
        if ((ev.flags & SMTPP_EVF_DECIDABLE) &&
            smtpp_decision_pending(&c->s) == 1)
          (void)smtpp_decide_default(&c->s);
        if (ev.type == SMTPP_EV_MESSAGE_END) message_end(c);
        if (ev.type == SMTPP_EV_NONE) viol(c, "SMTPP_EVENT with EV_NONE");
      }
      stuck = 0;
      break;
    case SMTPP_WANT_WRITE:
      drain(c);
      if (consumed == 0 && c->r->replies.len == before_out) {
        if (++stuck > 3) {
          viol(c, "SMTPP_WANT_WRITE without progress at offset %zu",
               base + off);
          return;
        }
      } else {
        stuck = 0;
      }
      break;
    case SMTPP_CLOSED:
      note_close(c, base + off);
      if (smtpp_get_state(&c->s) != SMTPP_ST_CLOSED)
        viol(c, "SMTPP_CLOSED but smtpp_state() = %s",
             smtpp_state_name(smtpp_get_state(&c->s)));
      return;
    default:
      viol(c, "smtpp_feed returned %d (%s) at offset %zu", rc,
           rc < 0 ? smtpp_err_name(rc) : "?", base + off);
      return;
    }
  }
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

int dlg_run(const dialog *d, const size_t *cuts, size_t ncuts,
            const dlg_opts *o, dlg_result *r) {
  memset(r, 0, sizeof *r);
  bbuf_add(&r->replies, "", 0);
  bbuf_add(&r->events, "", 0);
  if (!(o && o->null_ev)) /* NULL elist: no events seen, none compared */
    bbuf_add(&r->elist, "", 0);
  bbuf_add(&r->errors, "", 0);
  run_ctx *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->d = d;
  c->o = o;
  c->r = r;
  bbuf_add(&c->body, "", 0);

  int rc = smtpp_init(&c->s, &d->cfg);
  if (rc < 0) {
    viol(c, "smtpp_init returned %d (%s)", rc, smtpp_err_name(rc));
    bbuf_free(&c->body);
    free(c);
    return -1;
  }

  /* Boundaries: 0, the cuts, the barriers, len. */
  size_t len = d->input.len;
  size_t nb = 0;
  size_t *bd = bb_realloc(NULL, (ncuts + d->nbarriers + 2) * sizeof *bd);
  bd[nb++] = 0;
  for (size_t i = 0; i < ncuts; i++)
    if (cuts[i] > 0 && cuts[i] < len) bd[nb++] = cuts[i];
  for (size_t i = 0; i < d->nbarriers; i++)
    if (d->barriers[i].off > 0 && d->barriers[i].off < len)
      bd[nb++] = d->barriers[i].off;
  bd[nb++] = len;
  qsort(bd, nb, sizeof *bd, cmp_size);
  size_t u = 0;
  for (size_t i = 0; i < nb; i++)
    if (u == 0 || bd[i] != bd[u - 1]) bd[u++] = bd[i];
  nb = u;

  if (o && o->check_steps) {
    r->step_off = bb_realloc(NULL, nb * sizeof *r->step_off);
    r->step_reply_len = bb_realloc(NULL, nb * sizeof *r->step_reply_len);
  }

  size_t bi = 0; /* next barrier */
  for (size_t i = 0; i < nb; i++) {
    size_t at = bd[i];
    /* barriers at this offset */
    while (bi < d->nbarriers && d->barriers[bi].off <= at) {
      drain(c); /* the host sends the 220 before the handshake */
      if (!r->closed) {
        int trc = smtpp_tls_done(&c->s, d->barriers[bi].ok);
        bbuf_addf(&r->events, "TLS_DONE ok=%d rc=%d\n",
                     d->barriers[bi].ok, trc);
        if (smtpp_get_state(&c->s) == SMTPP_ST_CLOSED) note_close(c, at);
      }
      bi++;
    }
    if (o && o->check_steps) {
      drain(c);
      r->step_off[r->nsteps] = at;
      r->step_reply_len[r->nsteps] = r->replies.len;
      r->nsteps++;
    }
    if (i + 1 == nb) break;
    size_t clen = bd[i + 1] - at;
    const unsigned char *src = d->input.p + at;
    if (o && o->zero_feeds) {
      const unsigned char *z = o->place ? o->place(o->place_ctx, NULL, 0)
                                        : src;
      feed_chunk(c, z, 0, at);
    }
    const unsigned char *p = src;
    if (o && o->place) p = o->place(o->place_ctx, src, clen);
    feed_chunk(c, p, clen, at);
    if (o && o->drain_each) drain(c);
  }
  drain(c);
  if (c->have_body) {
    bbuf_add(&r->events, "  UNENDED-BODY \"", 16);
    bbuf_add_escaped(&r->events, c->body.p, c->body.len);
    bbuf_add(&r->events, "\"\n", 2);
  }
  r->final_state = smtpp_get_state(&c->s);
  if (r->closed && r->final_state != SMTPP_ST_CLOSED)
    viol(c, "closed, but the final state is %s",
         smtpp_state_name(r->final_state));
  free(bd);
  bbuf_free(&c->body);
  free(c);
  return 0;
}

void dlg_result_free(dlg_result *r) {
  bbuf_free(&r->replies);
  bbuf_free(&r->events);
  bbuf_free(&r->elist);
  bbuf_free(&r->errors);
  for (size_t i = 0; i < r->nbodies; i++) bbuf_free(&r->bodies[i]);
  free(r->bodies);
  free(r->step_off);
  free(r->step_reply_len);
  memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ */
/* Checking                                                             */
/* ------------------------------------------------------------------ */

/* The pinned lines of want against reply got of the stream p: "" if they
 * match, else the first difference into why. */
static int lines_match(const dlg_expect *want, const unsigned char *p,
                       const rs_reply *got, bbuf *why) {
  if (want->lines == 0)
    return 1;
  if (got->lines != want->lines) {
    if (why)
      bbuf_addf(why, "%d lines, expected %d", got->lines, want->lines);
    return 0;
  }
  size_t pos = got->off;
  const unsigned char *t;
  size_t tl;
  for (int k = 0; k < want->lines && rs_reply_line(p, got, &pos, &t, &tl) == 0;
       k++) {
    size_t wl = strlen(want->text[k]);
    if (tl != wl || memcmp(t, want->text[k], wl) != 0) {
      if (why) {
        bbuf_addf(why, "line %d is \"", k + 1);
        bbuf_add_escaped(why, t, tl);
        bbuf_addf(why, "\", expected \"%s\"", want->text[k]);
      }
      return 0;
    }
  }
  return 1;
}

static int reply_match(const dlg_expect *want, const unsigned char *p,
                       const rs_reply *got) {
  if (want->code != got->code) return 0;
  if (strcmp(want->enh, "-") == 0) {
    if (got->enh[0]) return 0;
  } else if (want->enh[0] && strcmp(want->enh, got->enh) != 0) {
    return 0;
  }
  return lines_match(want, p, got, NULL);
}

int dlg_check_replies(const dialog *d, const unsigned char *p, size_t len,
                      bbuf *diff) {
  int bad = 0;
  bbuf fmt = {0};
  rs_reader rs;
  rs_init(&rs, RS_SMTPP);
  rs.log = &fmt;
  rs_end(&rs, p, len);
  const rs_reply *got = rs.r;
  size_t ngot = rs.n;
  if (rs.nviol) {
    bad = 1;
    bbuf_addf(diff, "malformed reply lines (%u):\n%s", rs.nviol,
              bbuf_str(&fmt));
  }
  int list_bad = ngot != d->nexpect;
  for (size_t i = 0; !list_bad && i < ngot; i++)
    if (!reply_match(&d->expect[i], p, &got[i])) list_bad = 1;
  if (list_bad) {
    bad = 1;
    bbuf_addf(diff, "reply list differs (expected %zu, got %zu):\n",
              d->nexpect, ngot);
    bbuf_addf(diff, "   #  %-22s %-22s\n", "expected", "got");
    size_t n = ngot > d->nexpect ? ngot : d->nexpect;
    for (size_t i = 0; i < n; i++) {
      bbuf e = {0}, g = {0}, why = {0};
      const dlg_expect *x = i < d->nexpect ? &d->expect[i] : NULL;
      if (x) dlg_reply_fmt(&e, x->code, x->enh, x->lines);
      else bbuf_add(&e, "-", 1);
      if (i < ngot) dlg_reply_fmt(&g, got[i].code, got[i].enh, got[i].lines);
      else bbuf_add(&g, "-", 1);
      int ok = x && i < ngot && reply_match(x, p, &got[i]);
      if (x && i < ngot && !ok && got[i].code == x->code)
        lines_match(x, p, &got[i], &why);
      bbuf_addf(diff, " %s %2zu  %-22s %-22s %s\n", ok ? " " : "*", i + 1,
                bbuf_str(&e), bbuf_str(&g), bbuf_str(&why));
      bbuf_free(&e);
      bbuf_free(&g);
      bbuf_free(&why);
    }
    bbuf_add(diff, "reply stream: \"", 15);
    bbuf_add_escaped(diff, p, len);
    bbuf_add(diff, "\"\n", 2);
  }
  rs_free(&rs);
  bbuf_free(&fmt);
  return bad ? -1 : 0;
}

/* The E: lines against the events of the run (both one per line). */
static int check_events(const dialog *d, const dlg_result *r, bbuf *diff) {
  const char *p = (const char *)r->elist.p;
  size_t n = 0, first_bad = (size_t)-1;
  const char *at = p;
  for (; at && *at; n++) {
    const char *nl = strchr(at, '\n');
    size_t l = nl ? (size_t)(nl - at) : strlen(at);
    if (first_bad == (size_t)-1 &&
        (n >= d->nevents || strlen(d->events[n]) != l ||
         memcmp(d->events[n], at, l) != 0))
      first_bad = n;
    at = nl ? nl + 1 : NULL;
  }
  if (first_bad == (size_t)-1 && n == d->nevents)
    return 0;
  if (first_bad == (size_t)-1)
    first_bad = n;
  bbuf_addf(diff, "events differ from the E: lines (expected %zu, got %zu; "
                  "first difference at event %zu):\n", d->nevents, n,
            first_bad + 1);
  at = p;
  for (size_t i = 0; i < n || i < d->nevents; i++) {
    const char *nl = at && *at ? strchr(at, '\n') : NULL;
    size_t l = at && *at ? (nl ? (size_t)(nl - at) : strlen(at)) : 0;
    int same = i < d->nevents && at && *at && strlen(d->events[i]) == l &&
               memcmp(d->events[i], at, l) == 0;
    if (same) {
      bbuf_addf(diff, "    E: %s\n", d->events[i]);
    } else {
      if (i < d->nevents) bbuf_addf(diff, "  - E: %s\n", d->events[i]);
      if (at && *at) bbuf_addf(diff, "  + E: %.*s\n", (int)l, at);
    }
    at = at && *at ? (nl ? nl + 1 : at + l) : at;
  }
  return -1;
}

int dlg_check(const dialog *d, const dlg_result *r, bbuf *diff) {
  int bad = dlg_check_replies(d, r->replies.p, r->replies.len, diff) != 0;
  if (r->errors.len) {
    bad = 1;
    bbuf_addf(diff, "API contract violations:\n%s",
                 (const char *)r->errors.p);
  }
  /* events: the E: lines, when the file has any (runs with ev == NULL
   * see no events) */
  if (d->nevents && r->elist.p && check_events(d, r, diff)) bad = 1;
  /* bodies */
  for (size_t i = 0; i < d->nbodies; i++) {
    if (i >= r->nbodies) {
      bad = 1;
      bbuf_addf(diff, "body %zu: expected \"", i + 1);
      bbuf_add_escaped(diff, d->bodies[i].p, d->bodies[i].len);
      bbuf_addf(diff, "\", but only %zu MESSAGE_END event(s)\n",
                   r->nbodies);
      break;
    }
    if (d->bodies[i].len != r->bodies[i].len ||
        memcmp(d->bodies[i].p, r->bodies[i].p, d->bodies[i].len) != 0) {
      bad = 1;
      bbuf_addf(diff, "body %zu differs:\n  expected \"", i + 1);
      bbuf_add_escaped(diff, d->bodies[i].p, d->bodies[i].len);
      bbuf_add(diff, "\"\n  got      \"", 14);
      bbuf_add_escaped(diff, r->bodies[i].p, r->bodies[i].len);
      bbuf_add(diff, "\"\n", 2);
    }
  }
  /* close */
  if (d->expect_closed) {
    if (!r->closed) {
      bad = 1;
      bbuf_addf(diff, "X: expected the session to be closed; it is not "
                         "(state %s)\n", smtpp_state_name(r->final_state));
    } else {
      rs_reader before;
      rs_init(&before, RS_SMTPP);
      size_t nbefore = rs_end(&before, r->replies.p, r->closed_at);
      rs_free(&before);
      if (nbefore != d->closed_after) {
        bad = 1;
        bbuf_addf(diff, "X: expected the close after %zu replies, it came"
                           " after %zu\n", d->closed_after, nbefore);
      }
    }
  } else if (r->closed) {
    bad = 1;
    bbuf_addf(diff, "the session closed (after client octet %zu), but the"
                       " dialog has no X:\n", r->closed_pos);
  }
  return bad ? -1 : 0;
}

static size_t first_diff(const bbuf *a, const bbuf *b) {
  size_t n = a->len < b->len ? a->len : b->len, i;
  for (i = 0; i < n; i++)
    if (a->p[i] != b->p[i]) break;
  return i;
}

static void show_diff(bbuf *diff, const char *what, const bbuf *a,
                      const bbuf *b) {
  size_t at = first_diff(a, b);
  size_t from = at > 60 ? at - 60 : 0;
  bbuf_addf(diff, "%s differ at octet %zu (lengths %zu vs %zu):\n", what,
               at, a->len, b->len);
  bbuf_add(diff, "  whole: \"...", 13);
  bbuf_add_escaped(diff, a->p + from,
                      (a->len - from) > 200 ? 200 : a->len - from);
  bbuf_add(diff, "\"\n  split: \"...", 15);
  bbuf_add_escaped(diff, b->p + from,
                      (b->len - from) > 200 ? 200 : b->len - from);
  bbuf_add(diff, "\"\n", 2);
}

static int buf_eq(const bbuf *a, const bbuf *b) {
  return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

int dlg_compare_runs(const dlg_result *a, const dlg_result *b, bbuf *diff) {
  int bad = 0;
  if (!buf_eq(&a->replies, &b->replies)) {
    show_diff(diff, "reply bytes", &a->replies, &b->replies);
    bad = 1;
  }
  if (!buf_eq(&a->events, &b->events)) {
    show_diff(diff, "event logs", &a->events, &b->events);
    bad = 1;
  }
  if (a->nbodies != b->nbodies) {
    bbuf_addf(diff, "number of messages: %zu vs %zu\n", a->nbodies,
                 b->nbodies);
    bad = 1;
  } else {
    for (size_t i = 0; i < a->nbodies; i++)
      if (!buf_eq(&a->bodies[i], &b->bodies[i])) {
        char what[64];
        snprintf(what, sizeof what, "body %zu", i + 1);
        show_diff(diff, what, &a->bodies[i], &b->bodies[i]);
        bad = 1;
        break;
      }
  }
  if (a->closed != b->closed || a->closed_at != b->closed_at) {
    bbuf_addf(diff, "close: closed=%d at reply octet %zu vs closed=%d at "
                       "%zu\n", a->closed, a->closed_at, b->closed,
                 b->closed_at);
    bad = 1;
  }
  if (a->final_state != b->final_state) {
    bbuf_addf(diff, "final state %s vs %s\n",
                 smtpp_state_name(a->final_state),
                 smtpp_state_name(b->final_state));
    bad = 1;
  }
  if (!buf_eq(&a->errors, &b->errors)) {
    bbuf_addf(diff, "runner violations differ:\n whole: %s\n split: %s\n",
                 bbuf_str((bbuf *)&a->errors),
                 bbuf_str((bbuf *)&b->errors));
    bad = 1;
  }
  return bad ? -1 : 0;
}
