/*
 * fuzz_api.c - the host side of the public API under a fuzzed program of
 * calls: host decisions with any code, enhanced code and text (valid or
 * not), TLS outcomes, shutdown, re-initialisation with odd configs, partial
 * reply pulls and the name lookups.  The session target never makes these
 * calls (it lets the defaults decide), so this is where smtpp_decide(),
 * smtpp_tls_done(), smtpp_shutdown() and the config checks are fuzzed.
 *
 * No model here: it checks the contract of docs/DESIGN.md 3 that holds for any
 * call sequence:
 *   - smtpp_feed() never consumes more than it was given and returns one of
 *     its documented values; a negative (sticky) result repeats until init;
 *   - every reply line is "ddd" SP/"-" printable-text CRLF, first digit
 *     2-5, at most 512 octets with CRLF, continuation lines keep the code;
 *   - once the session is closed, no reply octet is ever added;
 *   - a decision the parser refuses changes nothing it reports;
 *   - fails closed (docs/EMBEDDING.md): only smtpp_decide() and
 *     smtpp_decide_default() resolve a pending decision (smtpp_out_buf()
 *     and the queries never do; smtpp_feed() pauses, consuming nothing);
 *     a 4xx/5xx decision is sent as a reply of that class, a refused one
 *     queues nothing; smtpp_shutdown() answers a pending decision with 421;
 *     STARTTLS consumes every octet after its line, a failed handshake
 *     queues nothing.
 *
 * Input: octet 0 picks the first config; then a program of ops, each an
 * opcode octet followed by its operands (fuzz/README.md).
 */
#include "bbuf.h"
#include "fuzz_fail.h"
#include "replies.h"
#include "smtpp/smtpp.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct prog {
  const uint8_t *p, *end;
} prog;

static int next(prog *g) { return g->p < g->end ? *g->p++ : -1; }

/* ---- the reply stream checker: the shared reader (common/replies.h) in
 * smtpp's own form ---- */
typedef struct replies {
  bbuf out;         /* the reply stream of this session */
  rs_reader rs;
  uint64_t total;   /* octets pulled so far (over every session) */
} replies;

static void take(replies *r, const unsigned char *p, size_t n) {
  bbuf_add(&r->out, p, n);
  rs_scan(&r->rs, r->out.p, r->out.len);
  if (r->rs.nviol)
    FUZZ_FAIL("malformed reply (%s): %s", rs_viol_name(r->rs.viol_kind),
              r->rs.viol);
  r->total += n;
}

/* A new session: a new reply stream (the memory is kept). */
static void restart(replies *r) {
  bbuf_reset(&r->out);
  rs_reset(&r->rs);
  r->rs.flags = RS_SMTPP;
}

static void pull(smtpp_session *s, replies *r, size_t max) {
  size_t len;
  int pend = smtpp_decision_pending(s);
  const unsigned char *p = smtpp_out_buf(s, &len);
  if (smtpp_decision_pending(s) != pend)
    FUZZ_FAIL("smtpp_out_buf resolved a pending decision");
  if (len != smtpp_out_pending(s))
    FUZZ_FAIL("smtpp_out_pending %zu != out_buf length %zu",
              smtpp_out_pending(s), len);
  if (len && p == NULL)
    FUZZ_FAIL("out_buf gave %zu octets at NULL", len);
  size_t ack = len;
  if (max == 255)
    ack = len + 7; /* acking more than there is must only empty it */
  else if (len > max)
    len = ack = max;
  take(r, p, len);
  smtpp_out_ack(s, ack);
  size_t left;
  (void)smtpp_out_buf(s, &left);
  if (ack > len && left != 0)
    FUZZ_FAIL("an over-long ack left %zu octets", left);
}

static void drain(smtpp_session *s, replies *r) {
  for (int i = 0; i < 64; i++) {
    size_t len = smtpp_out_pending(s);
    if (len == 0)
      return;
    pull(s, r, len);
  }
  FUZZ_FAIL("the reply buffer never empties");
}

/* ---- tables the program indexes ---- */
static const int codes[] = {250, 251, 252, 354, 235, 334, 421, 450, 451,
                            452, 550, 551, 552, 553, 554, 555, 535, 200,
                            999, 0,   -1,  199, 600, 459, 560, 220, 211};
static const char *const enhs[] = {NULL,       "2.0.0",     "5.1.1",
                                   "4.7.0",    "5.5.x",     "9.9.9",
                                   "2.1.0.0",  "5.123.456", "5.1234.1",
                                   "",         "4.2.1",     "2.7.0"};
static const char *const texts[] = {
    NULL, "", "ok", "a\r\nb\0c", "\x7f\x80 \xff bytes",
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"};
#define L64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
static const char *const hosts[] = {NULL, "mx.example.org", "localhost",
                                    "-bad-", "a..b", "", "x.", "\xc3\xa9.example"};
#define M40 "PLAIN LOGIN CRAM-MD5 DIGEST-MD5 X-FOO-A "
static const char *const mechs[] = {NULL, "PLAIN", "PLAIN LOGIN CRAM-MD5",
                                    "plain", "", "BAD MECH!", "X-OAUTH2"};
/* Extra entries, reached with opcode bit 3 (decide, re-init), kept apart
 * so that adding one never re-maps the inputs of the seeds above. */
static const int codes_x[] = {550, 470, 399, 460};
static const char *const enhs_x[] = {"5x", "5.12345.1", "5.1x", "4.0.0"};
static const char *const hosts_x[] = {L64 L64 L64 L64 "a" /* 257 octets */,
                                      "mx.example.org"};
static const char *const mechs_x[] = {"A_B  C ",
                                      M40 M40 M40 M40 M40 "X" /* 201 */};
static const uint64_t sizes[] = {0, 1, 100, 10485760, UINT64_MAX};
static const uint32_t counts[] = {0, 1, 3, 50, 99, 100, 1000, UINT32_MAX};

#define PICK(tab, i) (tab)[(unsigned)(i) % (sizeof(tab) / sizeof((tab)[0]))]

/* smtpp_decide() and what it must do: a refusal (4xx/5xx) is applied and
 * queues a reply of its class, whatever its form; anything it refuses
 * queues nothing and leaves the decision pending. */
static void decide(smtpp_session *s, int code, const char *enh,
                   const char *text) {
  int pend = smtpp_decision_pending(s);
  size_t before = smtpp_out_pending(s);
  int rc = smtpp_decide(s, code, enh, text);
  size_t after = smtpp_out_pending(s);
  if (rc > SMTPP_DECIDE_SUBSTITUTED)
    FUZZ_FAIL("smtpp_decide returned %d", rc);
  if (pend != 1) {
    if (rc != -SMTPP_ERR_NO_DECISION)
      FUZZ_FAIL("smtpp_decide with nothing pending returned %d", rc);
    return;
  }
  if (code >= 400 && code <= 599 && rc < 0)
    FUZZ_FAIL("the refusal %d was not applied (%d)", code, rc);
  if (rc < 0) {
    if (after != before || smtpp_decision_pending(s) != 1)
      FUZZ_FAIL("a refused decision changed the session");
    return;
  }
  if (smtpp_decision_pending(s) != 0)
    FUZZ_FAIL("an applied decision left the session paused");
  if (after <= before)
    FUZZ_FAIL("an applied decision queued no reply");
  /* the reply's first digit is the decision's class (the buffer holds the
   * octets queued before it first) */
  size_t len;
  unsigned char c = smtpp_out_buf(s, &len)[before];
  if (code >= 400 && c != (unsigned char)('0' + code / 100))
    FUZZ_FAIL("refusal %d was sent as %cxx", code, c);
  if (code < 400 && c != (unsigned char)('0' + code / 100))
    FUZZ_FAIL("decision %d was sent as %cxx", code, c);
}

static void make_config(smtpp_config *cfg, prog *g) {
  int a = next(g), b = next(g), c = next(g);
  smtpp_config_default(cfg);
  cfg->host_decides = 1; /* the contract under test: pauses and decisions */
  if (a < 0)
    return;
  cfg->extensions = ((unsigned)a << 1) | ((unsigned)(b < 0 ? 0 : b) & 1);
  if (b >= 0 && (b & 0x80))
    cfg->extensions |= 1u << 12; /* an unknown bit: must be refused */
  if (b >= 0)
    cfg->lenient = ((unsigned)b >> 1) & 0x1f;
  if (b >= 0 && (b & 0x40))
    cfg->lenient |= 1u << 9; /* unknown leniency bit */
  if (c >= 0) {
    cfg->hostname = PICK(hosts, c);
    cfg->auth_mechanisms = PICK(mechs, c >> 3);
    cfg->max_message_size = PICK(sizes, c >> 5);
    cfg->max_recipients = PICK(counts, c >> 2);
    cfg->max_errors = PICK(counts, c >> 4);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static smtpp_session s;
  static smtpp_config cfg;
  prog g = {data, data + size};
  static replies r; /* reused: no malloc churn per run */
  restart(&r);
  r.total = 0;

  make_config(&cfg, &g);
  int sticky = smtpp_init(&s, &cfg);
  if (sticky > 0)
    FUZZ_FAIL("smtpp_init returned %d", sticky);
  uint64_t closed_at = UINT64_MAX; /* octets produced when it closed */

  for (int op; (op = next(&g)) >= 0;) {
    switch (op % 8) {
    case 0:   /* FEED n octets of the program as client input, one call */
    case 1: { /* ... or the canonical loop until NEED_MORE */
      int n = next(&g);
      if (n < 0)
        break;
      size_t len = (size_t)n;
      if (len > (size_t)(g.end - g.p))
        len = (size_t)(g.end - g.p);
      const uint8_t *in = g.p;
      g.p += len;
      /* A host with no policy for a decision left pending takes the
       * default before it feeds on; opcode bit 4: an asynchronous host
       * still waiting for its lookup (the feed pauses). */
      if (!(op & 0x10) && smtpp_decision_pending(&s) == 1)
        (void)smtpp_decide_default(&s);
      for (int rounds = 0;; rounds++) {
        size_t used = 12345;
        smtpp_event ev;
        memset(&ev, 0, sizeof ev);
        /* opcode bit 3: a host that wants no events (ev == NULL) */
        /* a host without events may still find a decision pending that
         * an earlier call left undecided (a refused or asynchronous one) */
        int was_pending = smtpp_decision_pending(&s) == 1;
        int rc = smtpp_feed(&s, len ? in : NULL, len, &used,
                            (op & 0x08) ? NULL : &ev);
        if ((op & 0x08) && rc == SMTPP_EVENT)
          FUZZ_FAIL("an event was returned to a host that passed no ev");
        if (used > len)
          FUZZ_FAIL("consumed %zu of %zu", used, len);
        if (sticky < 0 && rc != sticky)
          FUZZ_FAIL("sticky error %d became %d", sticky, rc);
        if (rc < 0) {
          sticky = rc;
          break;
        }
        if (rc > SMTPP_PAUSED)
          FUZZ_FAIL("smtpp_feed returned %d", rc);
        /* (with ev == NULL too, if an earlier feed left one pending) */
        if (rc == SMTPP_PAUSED &&
            (used != 0 || ((op & 0x08) && !was_pending) ||
             smtpp_decision_pending(&s) != 1))
          FUZZ_FAIL("PAUSED with %zu consumed / no ev / nothing pending",
                    used);
        if (rc == SMTPP_EVENT && ev.type == SMTPP_EV_STARTTLS &&
            used != len)
          FUZZ_FAIL("STARTTLS left %zu plaintext octets to the host",
                    len - used);
        in += used;
        len -= used;
        if (rc == SMTPP_EVENT && (ev.flags & SMTPP_EVF_DECIDABLE)) {
          if (smtpp_decision_pending(&s) != 1)
            FUZZ_FAIL("a decidable event with no decision pending");
          if (g.p < g.end && (*g.p & 1)) {
            /* decide right away with a code from the program */
            int k = next(&g);
            decide(&s, PICK(codes, k >> 1), PICK(enhs, k >> 3),
                   PICK(texts, k >> 5));
          } /* else pending: decided by a later op (an asynchronous
               host), or by the default when the session pauses */
        }
        if (rc == SMTPP_PAUSED && !(op & 0x10) && op % 8 == 1) {
          (void)smtpp_decide_default(&s); /* a host with no policy */
          continue;
        }
        if (rc == SMTPP_WANT_WRITE)
          drain(&s, &r);
        if (op % 8 == 0 || rc == SMTPP_NEED_MORE || rc == SMTPP_CLOSED ||
            rc == SMTPP_PAUSED)
          break;
        if (rounds > 100000)
          FUZZ_FAIL("the feed loop does not end");
      }
      break;
    }
    case 2: { /* DECIDE (opcode bit 3: from the extra tables) */
      int k = next(&g), t = next(&g);
      if (t < 0)
        break;
      int x = (op & 0x08) != 0;
      decide(&s, x ? PICK(codes_x, k) : PICK(codes, k),
             x ? PICK(enhs_x, t) : PICK(enhs, t), PICK(texts, t >> 4));
      break;
    }
    case 3: { /* TLS handshake outcome */
      int k = next(&g);
      size_t before = smtpp_out_pending(&s);
      int rc = smtpp_tls_done(&s, k & 1);
      if (rc > 0)
        FUZZ_FAIL("smtpp_tls_done returned %d", rc);
      if (rc == 0 && !(k & 1) && smtpp_out_pending(&s) != before)
        FUZZ_FAIL("a failed handshake queued %zu octets in plaintext",
                  smtpp_out_pending(&s) - before);
      if (rc < 0 && smtpp_out_pending(&s) != before)
        FUZZ_FAIL("a refused smtpp_tls_done queued replies");
      break;
    }
    case 4: { /* SHUTDOWN */
      size_t before = smtpp_out_pending(&s);
      int rc = smtpp_shutdown(&s);
      if (rc > 0)
        FUZZ_FAIL("smtpp_shutdown returned > 0");
      if (smtpp_decision_pending(&s) == 1)
        FUZZ_FAIL("a decision is still pending after smtpp_shutdown");
      size_t len;
      if (rc == 0 && smtpp_out_pending(&s) > before &&
          smtpp_out_buf(&s, &len)[before] != '4')
        FUZZ_FAIL("smtpp_shutdown queued a reply that is not 421");
      break;
    }
    case 5: { /* PULL up to n octets */
      int n = next(&g);
      pull(&s, &r, n < 0 ? 0 : (size_t)n);
      break;
    }
    case 6: { /* names: never NULL, whatever the number */
      int k = next(&g);
      int v = k - 128;
      if (!smtpp_err_name(v) || !smtpp_err_reason(v) ||
          !smtpp_state_name(v) || !smtpp_verb_name(v))
        FUZZ_FAIL("a name lookup returned NULL for %d", v);
      (void)smtpp_err_code(v);
      (void)smtpp_version();
      /* extension and leniency names: a known bit's name maps back to it
       * (any case), anything else has none; unknown names map to 0 */
      uint32_t bit = 1u << (k & 31);
      const char *en = smtpp_ext_name(bit), *ln = smtpp_lenient_name(bit);
      if ((en && smtpp_ext_bit(en) != bit) || (ln && smtpp_lenient_bit(ln) != bit) ||
          smtpp_ext_name(bit | 1u << ((k + 1) & 31)) != NULL ||
          smtpp_ext_bit(NULL) != 0 || smtpp_lenient_bit("") != 0 ||
          smtpp_ext_bit("pipelining") != SMTPP_EXT_PIPELINING ||
          smtpp_event_name(v) == NULL)
        FUZZ_FAIL("extension/leniency/event names do not round-trip for %d", k);
      if (k & 1) {
        /* NULL where a pointer is required: -SMTPP_ERR_NULL_ARG, no crash */
        size_t used, len;
        smtpp_event ev;
        static smtpp_session other;
        if (smtpp_feed(NULL, "x", 1, &used, &ev) != -SMTPP_ERR_NULL_ARG ||
            smtpp_feed(&s, NULL, 1, &used, &ev) != -SMTPP_ERR_NULL_ARG ||
            smtpp_feed(&s, "x", 1, NULL, &ev) != -SMTPP_ERR_NULL_ARG ||
            smtpp_decide(NULL, 250, NULL, NULL) != -SMTPP_ERR_NULL_ARG ||
            smtpp_decide_default(NULL) != -SMTPP_ERR_NULL_ARG ||
            smtpp_decision_pending(NULL) != -SMTPP_ERR_NULL_ARG ||
            smtpp_out_pending(NULL) != 0 ||
            smtpp_tls_done(NULL, 1) != -SMTPP_ERR_NULL_ARG ||
            smtpp_shutdown(NULL) != -SMTPP_ERR_NULL_ARG ||
            smtpp_get_state(NULL) != -SMTPP_ERR_NULL_ARG ||
            smtpp_init(NULL, &cfg) != -SMTPP_ERR_NULL_ARG ||
            smtpp_init(&other, NULL) != -SMTPP_ERR_NULL_ARG ||
            smtpp_out_buf(NULL, &len) != NULL || len != 0 ||
            smtpp_out_buf(&s, NULL) != NULL)
          FUZZ_FAIL("a NULL argument was not refused with NULL_ARG");
        smtpp_out_ack(NULL, 1);
        smtpp_config_default(NULL);
      }
      break;
    }
    default: /* INIT again with another config (bit 3: extra tables) */
      drain(&s, &r);
      restart(&r);
      make_config(&cfg, &g);
      if (op & 0x08) {
        int k = next(&g);
        cfg.hostname = PICK(hosts_x, k);
        cfg.auth_mechanisms = PICK(mechs_x, k >> 1);
      }
      sticky = smtpp_init(&s, &cfg);
      closed_at = UINT64_MAX;
      break;
    }
    /* Nothing is added after a close (the query has no side effect, so
     * it is checked after every op). */
    if (smtpp_get_state(&s) == SMTPP_ST_CLOSED) {
      uint64_t produced = r.total + smtpp_out_pending(&s);
      if (closed_at == UINT64_MAX)
        closed_at = produced;
      else if (produced != closed_at)
        FUZZ_FAIL("%llu reply octets added after the close",
                  (unsigned long long)(produced - closed_at));
    }
  }
  drain(&s, &r);
  if (rs_partial(&r.rs, r.out.len))
    FUZZ_FAIL("the reply stream ends inside a line or a multi-line reply");
  return 0;
}
