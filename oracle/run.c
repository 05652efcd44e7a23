/*
 * run.c - drives the real parser through its public API only, the way a
 * careful host would: feed, record the event, make the decision the tape
 * says (decide.h) before pulling replies, pull every reply, repeat.  Each
 * chunk of a split run is copied into a buffer of exactly its size
 * (guard.h: poisoned or guard-paged around it) so that a read past the
 * chunk is caught.
 */
#include "guard.h"
#include "oracle.h"

/* Property 1, "no heap use by the parser": under a sanitizer, a malloc
 * hook counts allocations made while control is inside smtpp_*. */
int __sanitizer_install_malloc_and_free_hooks(
    void (*m)(const volatile void *, size_t), void (*f)(const volatile void *))
    __attribute__((weak));
static _Thread_local int in_parser; /* per thread: libFuzzer's RSS thread allocates too */
static size_t parser_mallocs;

static void on_malloc(const volatile void *p, size_t n) {
  (void)p;
  (void)n;
  if (in_parser)
    parser_mallocs++;
}

static void on_free(const volatile void *p) { (void)p; }

static void hooks_once(void) {
  static int done;
  if (!done && __sanitizer_install_malloc_and_free_hooks)
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  done = 1;
}

static void drain(smtpp_session *s, oracle_trace *t) {
  for (int i = 0; i < 16; i++) {
    size_t n = 0;
    in_parser = 1;
    const unsigned char *b = smtpp_out_buf(s, &n);
    in_parser = 0;
    if (b == NULL || n == 0)
      return;
    oracle_trace_reply(t, (const char *)b, n);
    in_parser = 1;
    smtpp_out_ack(s, n);
    in_parser = 0;
  }
}

int oracle_host(smtpp_session *s, const smtpp_event *ev, oracle_tape *tape) {
  if (ev->type == SMTPP_EV_STARTTLS) {
    int v = oracle_tape_tls(tape);
    if (v == 0)
      return 0; /* the handshake never ends: all later input discarded */
    in_parser = 1;
    (void)smtpp_tls_done(s, v == 1);
    in_parser = 0;
    return v; /* 1: a fresh session, 2: closed */
  }
  if (!(ev->flags & SMTPP_EVF_DECIDABLE))
    return 0;
  oracle_decision d;
  oracle_tape_decision(tape, &d);
  in_parser = 1;
  if (d.what == DEC_SHUTDOWN)
    (void)smtpp_shutdown(s);
  else if (d.what != DEC_DECIDE || smtpp_decide(s, d.code, d.enh, d.text) < 0)
    (void)smtpp_decide_default(s); /* no policy, or a code it never takes */
  in_parser = 0;
  return 0;
}

void oracle_trace_parser(const smtpp_config *cfg, const uint8_t *in, size_t len,
                         const size_t *splits, size_t nsplits,
                         const oracle_tape *tape, oracle_trace *t) {
  oracle_tape tp = {NULL, 0, 0};
  if (tape)
    tp = *tape;
  tp.pos = 0;
  static smtpp_session session; /* static: no allocation per run */
  smtpp_session *s = &session;
  hooks_once();
  parser_mallocs = 0;
  in_parser = 1;
  int rc0 = smtpp_init(s, cfg);
  in_parser = 0;
  if (rc0 < 0) {
    oracle_trace_finish(t);
    return;
  }
  drain(s, t);
  /* Property 1: every call consumes input or returns an event, and there
   * are at most a few events per input octet. */
  t->bound = 4 * len + 4 * (nsplits + 1) + 64;
  size_t prev = 0;
  int done = 0;
  for (size_t k = 0; k <= nsplits && !done; k++) {
    size_t end = k < nsplits ? splits[k] : len;
    if (end > len)
      end = len;
    if (end < prev)
      end = prev;
    size_t n = end - prev, p = 0;
    static oguard guard;
    const uint8_t *chunk = NULL;
    if (nsplits == 0)
      chunk = in;
    else if (n > 0)
      chunk = oguard_copy(&guard, in + prev, n);
    int after_close = 0;
    for (;;) {
      if (++t->steps > t->bound) {
        done = 1;
        break;
      }
      size_t used = 0, p0 = p;
      smtpp_event ev;
      in_parser = 1;
      int rc = smtpp_feed(s, chunk ? chunk + p : NULL, n - p, &used, &ev);
      in_parser = 0;
      if (used > n - p) {
        t->stuck = 1; /* claims more than it was given */
        done = 1;
        break;
      }
      p += used;
      if (rc == SMTPP_EVENT) {
        t->out_queued = smtpp_out_pending(s); /* read-only */
        oracle_trace_event(t, &ev);
        int tls = oracle_host(s, &ev, &tp);
        if (tls == 2) {
          done = 1; /* the handshake failed: closed */
          drain(s, t);
          break;
        }
        if (tls == 1) {
          /* The parser took the whole chunk (what followed STARTTLS was
           * plaintext).  Here the octets after the STARTTLS line stand for
           * the decrypted stream: fed from the line's end on, the same
           * octets whatever the split (the line ends at its first CRLF, or
           * LF with the bare-LF leniency, at or after p0). */
          int bare_lf = (cfg->lenient & SMTPP_LENIENT_BARE_LF) != 0;
          size_t q = p0;
          while (q < n && !(chunk[q] == '\n' &&
                            (bare_lf || (q > 0 ? chunk[q - 1] == '\r'
                                               : prev > 0 && in[prev - 1] == '\r'))))
            q++;
          p = q < n ? q + 1 : n;
          t->tls = 0; /* a fresh session: its events are expected */
        }
      }
      drain(s, t);
      if (rc == SMTPP_CLOSED || rc < 0) {
        t->closed = 1;
        /* once more: bytes after the close must change nothing */
        if (after_close++ || p >= n) {
          done = 1;
          break;
        }
        continue;
      }
      if (rc == SMTPP_NEED_MORE) {
        if (p != n)
          t->stuck = 1;
        break;
      }
    }
    prev = end;
  }
  drain(s, t);
  t->parser_mallocs = parser_mallocs;
  oracle_trace_finish(t);
}

int oracle_run(const smtpp_config *cfg, const uint8_t *in, size_t len,
               const size_t *splits, size_t nsplits, const oracle_tape *tape,
               oracle_report *rep) {
  static oracle_trace w, s, a; /* reused: no malloc churn per input */
  oracle_trace_reset(&w);
  oracle_trace_parser(cfg, in, len, NULL, 0, tape, &w);
  if (nsplits == 0) {
    /* the split run would be the whole run: P7 holds by construction, and
     * P10 compares the whole run with itself run again */
    oracle_trace_reset(&a);
    a.compare_only = 1;
    oracle_trace_parser(cfg, in, len, NULL, 0, tape, &a);
    return oracle_check(cfg, in, len, tape, &w, &w, &a, rep);
  }
  oracle_trace_reset(&s);
  oracle_trace_reset(&a);
  s.compare_only = a.compare_only = 1;
  oracle_trace_parser(cfg, in, len, splits, nsplits, tape, &s);
  oracle_trace_parser(cfg, in, len, splits, nsplits, tape, &a);
  return oracle_check(cfg, in, len, tape, &w, &s, &a, rep);
}
