/*
 * test_api.c - the host side of the public API fails closed (issue 13):
 * a pending decision is resolved only by the host, a refusal the library
 * cannot use as given is still a refusal, plaintext after STARTTLS is never
 * executed, an EHLO answered with host text keeps its extension list.
 *
 * Each test drives a session as a host would, through smtpp.h only, and
 * looks at the reply bytes a client would get.
 */
#include "smtpp/smtpp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct host {
  smtpp_session s;
  smtpp_config cfg;
  char out[16384]; /* every reply octet pulled so far, NUL-terminated */
  size_t outlen;
  const char *in;  /* input not yet consumed by the parser */
  size_t inlen;
} host;

static host g_h;

static void pull(host *h) {
  for (;;) {
    size_t n = 0;
    const unsigned char *p = smtpp_out_buf(&h->s, &n);
    if (n == 0)
      return;
    assert_true(h->outlen + n < sizeof h->out);
    memcpy(h->out + h->outlen, p, n);
    h->outlen += n;
    h->out[h->outlen] = '\0';
    smtpp_out_ack(&h->s, n);
  }
}

/* The replies pulled since mark, and the mark moved to the end. */
static const char *since(host *h, size_t *mark) {
  const char *r = h->out + *mark;
  *mark = h->outlen;
  return r;
}

/* The host with the default config, not started. */
static host *fresh_host(void) {
  host *h = &g_h;
  memset(h, 0, sizeof *h);
  smtpp_config_default(&h->cfg);
  return h;
}

/* Starts h's session and pulls the greeting. */
static host *begin(host *h) {
  assert_int_equal(smtpp_init(&h->s, &h->cfg), 0);
  pull(h);
  assert_true(strncmp(h->out, "220 ", 4) == 0);
  return h;
}

/* A host that decides (host_decides 1), with extra extensions. */
static host *start(uint32_t extra_ext, uint64_t max_size) {
  host *h = fresh_host();
  h->cfg.host_decides = 1;
  h->cfg.extensions |= extra_ext;
  if (max_size)
    h->cfg.max_message_size = max_size;
  return begin(h);
}

static void give(host *h, const char *in) {
  h->in = in;
  h->inlen = strlen(in);
}

/* Feeds the held input until an event, need-more or close; replies are
 * pulled only when the parser asks (WANT_WRITE).  Returns the feed
 * result. */
static int feed(host *h, smtpp_event *ev) {
  for (;;) {
    size_t used = 0;
    int r = smtpp_feed(&h->s, h->inlen ? h->in : NULL, h->inlen, &used, ev);
    assert_true(used <= h->inlen);
    h->in += used;
    h->inlen -= used;
    if (r == SMTPP_WANT_WRITE) {
      pull(h);
      continue;
    }
    return r;
  }
}

/* Feeds until the next event of type t (other events are skipped; any
 * decidable one on the way gets the parser's default). */
static void feed_to(host *h, smtpp_event *ev, int type, int verb) {
  for (int i = 0; i < 100; i++) {
    int r = feed(h, ev);
    assert_int_equal(r, SMTPP_EVENT);
    if ((int)ev->type == type && (verb < 0 || ev->verb == verb))
      return;
    if (ev->flags & SMTPP_EVF_DECIDABLE)
      assert_int_equal(smtpp_decide_default(&h->s), 0);
  }
  fail_msg("no %s event", smtpp_event_name(type));
}

/* ---- 1. a pending decision is resolved only by the host ---- */

/* Flushing earlier pipelined replies while a MAIL lookup is outstanding
 * must not send 250 for it; the later refusal is the one the client gets. */
static void out_buf_keeps_decision_pending(void **state) {
  (void)state;
  host *h = start(0, 0);
  smtpp_event ev;
  size_t mark = h->outlen;
  give(h, "EHLO c.example\r\nNOOP\r\nMAIL FROM:<blocked@spam.example>\r\n");
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_MAIL);
  pull(h); /* the host flushes the EHLO and NOOP replies */
  const char *r = since(h, &mark);
  assert_non_null(strstr(r, "250 2.0.0 OK\r\n"));
  assert_null(strstr(r, "2.1.0"));
  assert_int_equal(smtpp_decide(&h->s, 550, "5.7.1", NULL), 0);
  pull(h);
  r = since(h, &mark);
  assert_true(strncmp(r, "550 5.7.1 ", 10) == 0);
}

/* Shutting down during a lookup refuses the pending command. */
static void shutdown_refuses_pending(void **state) {
  (void)state;
  host *h = start(0, 0);
  smtpp_event ev;
  size_t mark = h->outlen;
  give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n");
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_RCPT);
  assert_int_equal(smtpp_shutdown(&h->s), 0);
  pull(h);
  const char *r = since(h, &mark);
  assert_null(strstr(r, "2.1.5"));
  assert_non_null(strstr(r, "421 4.3.2 "));
  assert_int_equal(smtpp_get_state(&h->s), SMTPP_ST_CLOSED);
}

/* ---- 2. fail closed: an unusable refusal is still a refusal ---- */

static const struct {
  int code;
  const char *enh;
} bad_refusals[] = {
    {550, "4.1.1"},  {550, "5.1"},  {550, "5.1.1 "}, {550, "5.1.1.1"},
    {550, ""},       {471, NULL},   {560, "5.1.1"},  {451, "5.3.0"},
    {499, "4.9.9"},  {599, NULL},   {550, "5.1000.1"}, {421, "5.0.0"},
};

static void check_refused(const char *r, int code) {
  /* the reply keeps the class of the host's code and is never a 2xx */
  assert_true(r[0] == (char)('0' + code / 100));
  assert_true(r[3] == ' ' || r[3] == '-');
}

static void unusable_rcpt_refusal_still_refuses(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_refusals / sizeof bad_refusals[0]; i++) {
    host *h = start(0, 0);
    smtpp_event ev;
    size_t mark;
    give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
    feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_RCPT);
    pull(h);
    mark = h->outlen;
    (void)smtpp_decide(&h->s, bad_refusals[i].code, bad_refusals[i].enh, NULL);
    int r = feed(h, &ev);
    pull(h);
    const char *out = since(h, &mark);
    print_message("  RCPT decided %d \"%s\": %.40s\n", bad_refusals[i].code,
                  bad_refusals[i].enh ? bad_refusals[i].enh : "NULL", out);
    check_refused(out, bad_refusals[i].code);
    /* the recipient was not taken: DATA has no recipient */
    if (bad_refusals[i].code != 421) {
      assert_int_equal(r, SMTPP_EVENT);
      assert_true(ev.type == SMTPP_EV_PROTOCOL_ERROR);
      assert_int_equal(ev.error, SMTPP_ERR_BAD_SEQUENCE);
    }
  }
}

static void unusable_message_refusal_still_refuses(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_refusals / sizeof bad_refusals[0]; i++) {
    host *h = start(0, 0);
    smtpp_event ev;
    give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n"
            "DATA\r\nhello\r\n.\r\nQUIT\r\n");
    feed_to(h, &ev, SMTPP_EV_MESSAGE_END, -1);
    pull(h);
    size_t mark = h->outlen;
    (void)smtpp_decide(&h->s, bad_refusals[i].code, bad_refusals[i].enh, NULL);
    (void)feed(h, &ev);
    pull(h);
    const char *out = since(h, &mark);
    print_message("  MESSAGE_END decided %d \"%s\": %.40s\n",
                  bad_refusals[i].code,
                  bad_refusals[i].enh ? bad_refusals[i].enh : "NULL", out);
    check_refused(out, bad_refusals[i].code);
    assert_null(strstr(out, "250 2.0.0 Message accepted"));
  }
}

/* ---- 3. STARTTLS: plaintext after the STARTTLS line never runs ---- */

/* The documented loop: keep unconsumed input, flush on the STARTTLS
 * event, do the handshake, report it, feed the rest. */
static void starttls_leftover_never_executes(void **state) {
  (void)state;
  host *h = start(SMTPP_EXT_STARTTLS, 0);
  smtpp_event ev;
  give(h, "EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\n"
          "RCPT TO:<victim@y.example>\r\n");
  feed_to(h, &ev, SMTPP_EV_STARTTLS, -1);
  pull(h);
  size_t mark = h->outlen;
  assert_int_equal(smtpp_tls_done(&h->s, 1), 0);
  /* whatever is left in the host's buffer is fed now */
  int r = feed(h, &ev);
  assert_int_equal(r, SMTPP_NEED_MORE);
  pull(h);
  assert_string_equal(since(h, &mark), "");
  assert_int_equal(smtpp_get_state(&h->s), SMTPP_ST_CMD_BEFORE_HELO);
}

/* A failed handshake sends nothing in plaintext. */
static void tls_failure_queues_nothing(void **state) {
  (void)state;
  host *h = start(SMTPP_EXT_STARTTLS, 0);
  smtpp_event ev;
  give(h, "EHLO c.example\r\nSTARTTLS\r\n");
  feed_to(h, &ev, SMTPP_EV_STARTTLS, -1);
  pull(h);
  size_t mark = h->outlen;
  assert_int_equal(smtpp_tls_done(&h->s, 0), 0);
  pull(h);
  assert_string_equal(since(h, &mark), "");
  assert_int_equal(smtpp_get_state(&h->s), SMTPP_ST_CLOSED);
}

/* ---- 4. EHLO with host text: advertised and active agree ---- */

static void ehlo_host_text_keeps_extensions(void **state) {
  (void)state;
  host *h = start(0, 100);
  smtpp_event ev;
  give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example> SIZE=10\r\n");
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_EHLO);
  assert_int_equal(smtpp_decide(&h->s, 250, NULL, "greets you"), 0);
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_MAIL);
  pull(h);
  const char *r = h->out;
  /* RFC 5321 4.1.1.1: "250-" Domain [SP ehlo-greet]: the host's text
   * follows our Domain (the default hostname), it never replaces it */
  assert_non_null(strstr(r, "250-localhost greets you\r\n"));
  assert_non_null(strstr(r, "250-SIZE 100\r\n"));
  assert_non_null(strstr(r, "ENHANCEDSTATUSCODES\r\n"));
}

/* ---- 5. the pending state: queries, pause, resume ---- */

/* An asynchronous host: the lookup for MAIL answers later while the
 * client keeps pipelining.  The session pauses (consumes nothing), the
 * queries have no side effect, and the refusal decided late is the one
 * sent; the pipelined RCPT and DATA then meet a session with no
 * transaction. */
static void async_decision_pauses_and_resumes(void **state) {
  (void)state;
  host *h = start(0, 0);
  smtpp_event ev;
  size_t mark = h->outlen;
  give(h, "EHLO c.example\r\nMAIL FROM:<blocked@spam.example>\r\n"
          "RCPT TO:<x@y.example>\r\nDATA\r\nspam\r\n.\r\nQUIT\r\n");
  assert_int_equal(smtpp_decision_pending(&h->s), 0);
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_MAIL);
  assert_true(ev.flags & SMTPP_EVF_DECIDABLE);
  size_t left = h->inlen;
  for (int i = 0; i < 3; i++) {
    /* the host polls while its lookup runs: nothing moves */
    assert_int_equal(smtpp_decision_pending(&h->s), 1);
    assert_int_equal(feed(h, &ev), SMTPP_PAUSED);
    assert_int_equal(h->inlen, left);
    size_t waiting = smtpp_out_pending(&h->s);
    assert_true(i > 0 || waiting > 0); /* the EHLO reply, until pulled */
    pull(h);
    assert_int_equal(smtpp_out_pending(&h->s), 0);
    assert_int_equal(smtpp_decision_pending(&h->s), 1);
  }
  assert_null(strstr(h->out + mark, "2.1.0"));
  /* the answer arrives */
  assert_int_equal(smtpp_decide(&h->s, 550, "5.7.1", "Sender blocked"), 0);
  assert_int_equal(smtpp_decision_pending(&h->s), 0);
  assert_int_equal(smtpp_decide(&h->s, 250, NULL, NULL),
                   -SMTPP_ERR_NO_DECISION);
  for (int r; (r = feed(h, &ev)) == SMTPP_EVENT;)
    assert_false(ev.flags & SMTPP_EVF_DECIDABLE); /* no RCPT/DATA taken */
  pull(h);
  const char *r = h->out + mark;
  assert_non_null(strstr(r, "550 5.7.1 Sender blocked\r\n503 5.5.1 "));
  assert_null(strstr(r, "250 2.1.5"));
  assert_null(strstr(r, "354"));
  assert_int_equal(smtpp_get_state(&h->s), SMTPP_ST_CLOSED);
}

/* A host with no events (ev == NULL) cannot decide: defaults apply and the
 * session never pauses. */
static void no_events_take_defaults(void **state) {
  (void)state;
  host *h = start(0, 0);
  give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n");
  assert_int_equal(feed(h, NULL), SMTPP_CLOSED);
  pull(h);
  assert_non_null(strstr(h->out, "250 2.1.0 Sender OK\r\n221 "));
}

/* A host without a policy (host_decides 0, the default config) that takes
 * every event and never decides -- the loop of the smtpp.h comment with
 * handle() doing nothing: the defaults apply at once, no event is
 * DECIDABLE, the session never pauses, smtpp_decide() has nothing to
 * answer, and a whole pipelined transaction goes through. */
static void no_policy_host_gets_defaults(void **state) {
  (void)state;
  host *h = fresh_host();
  assert_int_equal(h->cfg.host_decides, 0);
  h->cfg.extensions |= SMTPP_EXT_AUTH;
  begin(h);
  give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
          "RCPT TO:<c@d.example>\r\nDATA\r\nhi\r\n.\r\nVRFY x\r\n"
          "AUTH PLAIN AGEAYg==\r\nQUIT\r\n");
  smtpp_event ev;
  int events = 0, r;
  while ((r = feed(h, &ev)) == SMTPP_EVENT) {
    events++;
    assert_false(ev.flags & SMTPP_EVF_DECIDABLE);
    assert_int_equal(smtpp_decision_pending(&h->s), 0);
    assert_int_equal(smtpp_decide(&h->s, 550, "5.7.1", NULL),
                     -SMTPP_ERR_NO_DECISION);
  }
  assert_int_equal(r, SMTPP_CLOSED);
  assert_true(events >= 8);
  pull(h);
  assert_non_null(strstr(h->out, "250-PIPELINING\r\n"));
  assert_non_null(strstr(h->out, "250 2.1.0 Sender OK\r\n"
                                 "250 2.1.5 Recipient OK\r\n354 "));
  assert_non_null(strstr(h->out, "\r\n250 2.0.0 Message accepted"));
  assert_non_null(strstr(h->out, "\r\n252 2.5.2 "));
  assert_non_null(strstr(h->out, "\r\n535 5.7.8 ")); /* refusing is AUTH's default */
  assert_null(strstr(h->out, "550"));
}

/* A host_decides other than 0 or 1 is a bad config, not a guess. */
static void host_decides_checked(void **state) {
  (void)state;
  host *h = fresh_host();
  h->cfg.host_decides = 2;
  assert_int_equal(smtpp_init(&h->s, &h->cfg), -SMTPP_ERR_BAD_CONFIG);
}

/* A success code the event does not allow, or a success with a malformed
 * enhanced code, is not guessed at: the decision stays pending. */
static void unusable_success_stays_pending(void **state) {
  (void)state;
  static const struct {
    int code;
    const char *enh;
  } bad[] = {{251, NULL}, {354, NULL}, {250, "4.1.0"}, {250, "2.1"},
             {250, "2.1.0 "}, {200, NULL}, {0, NULL}, {-250, NULL},
             {399, NULL}, {600, NULL}, {99999, NULL}};
  host *h = start(0, 0);
  smtpp_event ev;
  give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_MAIL);
  pull(h);
  size_t mark = h->outlen;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(smtpp_decide(&h->s, bad[i].code, bad[i].enh, NULL),
                     -SMTPP_ERR_BAD_CODE);
    assert_int_equal(smtpp_decision_pending(&h->s), 1);
    pull(h);
    assert_int_equal(h->outlen, mark);
  }
  assert_int_equal(smtpp_decide(&h->s, 250, "2.1.0", NULL), 0);
  pull(h);
  assert_string_equal(h->out + mark, "250 2.1.0 Sender OK\r\n");
}

/* What a substituted refusal looks like on the wire. */
static void substituted_refusals(void **state) {
  (void)state;
  static const struct {
    int code;
    const char *enh;
    int rc;
    const char *line;
  } tab[] = {
      {550, "5.1.1", 0, "550 5.1.1 Recipient refused\r\n"},
      {550, NULL, 0, "550 5.0.0 Recipient refused\r\n"},
      {550, "4.1.1", SMTPP_DECIDE_SUBSTITUTED, "550 5.1.1 Recipient refused\r\n"},
      {450, "5.2.1", SMTPP_DECIDE_SUBSTITUTED, "450 4.2.1 Recipient refused\r\n"},
      {550, "5.1", SMTPP_DECIDE_SUBSTITUTED, "550 5.0.0 Recipient refused\r\n"},
      {550, "5.1.1 ", SMTPP_DECIDE_SUBSTITUTED, "550 5.0.0 Recipient refused\r\n"},
      {471, "4.7.1", SMTPP_DECIDE_SUBSTITUTED, "451 4.7.1 Recipient refused\r\n"},
      {599, NULL, SMTPP_DECIDE_SUBSTITUTED, "554 5.0.0 Recipient refused\r\n"},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    host *h = start(0, 0);
    smtpp_event ev;
    give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n");
    feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_RCPT);
    pull(h);
    size_t mark = h->outlen;
    assert_int_equal(smtpp_decide(&h->s, tab[i].code, tab[i].enh, NULL),
                     tab[i].rc);
    pull(h);
    assert_string_equal(h->out + mark, tab[i].line);
  }
}

/* Octets fed between the STARTTLS event and smtpp_tls_done() are
 * discarded, and the STARTTLS event reports that octets followed. */
static void starttls_input_before_tls_done_discarded(void **state) {
  (void)state;
  host *h = start(SMTPP_EXT_STARTTLS, 0);
  smtpp_event ev;
  give(h, "EHLO c.example\r\nSTARTTLS\r\nNOOP\r\n");
  feed_to(h, &ev, SMTPP_EV_STARTTLS, -1);
  assert_true(ev.flags & SMTPP_EVF_INPUT_PENDING);
  assert_int_equal(h->inlen, 0); /* consumed with the event */
  give(h, "MAIL FROM:<evil@x.example>\r\n");
  assert_int_equal(feed(h, &ev), SMTPP_NEED_MORE);
  assert_int_equal(h->inlen, 0);
  pull(h);
  size_t mark = h->outlen;
  assert_int_equal(smtpp_tls_done(&h->s, 1), 0);
  give(h, "MAIL FROM:<a@b.example>\r\n"); /* over TLS, before EHLO */
  assert_int_equal(feed(h, &ev), SMTPP_EVENT);
  assert_int_equal(ev.error, SMTPP_ERR_BAD_SEQUENCE);
  pull(h);
  assert_true(strncmp(h->out + mark, "503 ", 4) == 0);
}

/* ---- 6. bounding a message early ---- */

static void body_events_report_running_size(void **state) {
  (void)state;
  host *h = start(0, 10);
  smtpp_event ev;
  give(h, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n"
          "DATA\r\n");
  feed_to(h, &ev, SMTPP_EV_COMMAND, SMTPP_VERB_DATA);
  assert_int_equal(smtpp_decide_default(&h->s), 0);
  const char *pieces[] = {"12345\r\n", "678\r\n", "abc\r\n", ".\r\n"};
  uint64_t total = 0;
  int over = 0;
  for (size_t i = 0; i < 4; i++) {
    give(h, pieces[i]);
    int r;
    while ((r = feed(h, &ev)) == SMTPP_EVENT && ev.type == SMTPP_EV_BODY) {
      total += ev.arg.len;
      assert_int_equal(ev.message_size, total);
      int now = (ev.flags & SMTPP_EVF_OVER_SIZE) != 0;
      assert_int_equal(now, total > 10);
      assert_true(now >= over); /* once set, it stays */
      over = now;
    }
    if (i == 3) {
      assert_int_equal(r, SMTPP_EVENT);
      assert_int_equal(ev.type, SMTPP_EV_MESSAGE_END);
      assert_int_equal(ev.error, SMTPP_ERR_SIZE_EXCEEDED);
    }
  }
  assert_true(over);
  pull(h);
  assert_non_null(strstr(h->out, "552 5.3.4 "));
}

/* ---- 7. the public struct stays small ---- */
static void session_size_bounded(void **state) {
  (void)state;
  assert_true(sizeof(smtpp_session) <= 4096);
  assert_int_equal(smtpp_decision_pending(NULL), -SMTPP_ERR_NULL_ARG);
  assert_int_equal(smtpp_decide_default(NULL), -SMTPP_ERR_NULL_ARG);
  assert_int_equal(smtpp_out_pending(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(out_buf_keeps_decision_pending),
      cmocka_unit_test(shutdown_refuses_pending),
      cmocka_unit_test(unusable_rcpt_refusal_still_refuses),
      cmocka_unit_test(unusable_message_refusal_still_refuses),
      cmocka_unit_test(starttls_leftover_never_executes),
      cmocka_unit_test(tls_failure_queues_nothing),
      cmocka_unit_test(ehlo_host_text_keeps_extensions),
      cmocka_unit_test(async_decision_pauses_and_resumes),
      cmocka_unit_test(no_events_take_defaults),
      cmocka_unit_test(no_policy_host_gets_defaults),
      cmocka_unit_test(host_decides_checked),
      cmocka_unit_test(unusable_success_stays_pending),
      cmocka_unit_test(substituted_refusals),
      cmocka_unit_test(starttls_input_before_tls_done_discarded),
      cmocka_unit_test(body_events_report_running_size),
      cmocka_unit_test(session_size_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
