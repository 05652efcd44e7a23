/*
 * test_oracle.c - the oracle must be able to fail.  For each property of
 * docs/DESIGN.md section 5, a run of the real parser is recorded, then turned
 * into a fake, wrong parser (one rule broken in its reply or event
 * stream) and the checker must report exactly that property.  A correct
 * run must pass.
 */
#include "known.h"
#include "oracle.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char TXN[] = "EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n"
                          "RCPT TO:<b@b.example>\r\nDATA\r\nhi\r\n..x\r\n.\r\nQUIT\r\n";

typedef struct fixture {
  smtpp_config cfg;
  const uint8_t *in;
  size_t len;
  size_t splits[2];
  oracle_tape tape;
  oracle_trace w, s, a; /* whole, split, split again */
} fixture;

static void record_tape(fixture *f, const char *in, uint32_t ext_on,
                        const uint8_t *tape, size_t ntape) {
  smtpp_config_default(&f->cfg);
  f->cfg.host_decides = 1; /* the tape is the host's policy */
  f->tape.p = tape;
  f->tape.len = ntape;
  f->tape.pos = 0;
  f->cfg.extensions |= ext_on;
  f->in = (const uint8_t *)in;
  f->len = strlen(in);
  f->splits[0] = f->len / 3;
  f->splits[1] = f->len / 2;
  oracle_trace_init(&f->w);
  oracle_trace_init(&f->s);
  oracle_trace_init(&f->a);
  oracle_trace_parser(&f->cfg, f->in, f->len, NULL, 0, &f->tape, &f->w);
  oracle_trace_parser(&f->cfg, f->in, f->len, f->splits, 2, &f->tape, &f->s);
  oracle_trace_parser(&f->cfg, f->in, f->len, f->splits, 2, &f->tape, &f->a);
}

static void record(fixture *f, const char *in, uint32_t ext_on) {
  record_tape(f, in, ext_on, NULL, 0);
}

static void release(fixture *f) {
  oracle_trace_free(&f->w);
  oracle_trace_free(&f->s);
  oracle_trace_free(&f->a);
}

static oracle_report last;

static uint32_t check(fixture *f) {
  oracle_check(&f->cfg, f->in, f->len, &f->tape, &f->w, &f->s, &f->a, &last);
  if (last.fired)
    oracle_report_print(&last, stderr);
  return last.fired;
}

/* The fake parser: replaces the first `from` in a reply stream by `to`. */
static void swap_reply(oracle_trace *t, const char *from, const char *to) {
  size_t fl = strlen(from), tl = strlen(to);
  uint8_t *p = t->out.p;
  size_t i = 0;
  while (i + fl <= t->out.len && memcmp(p + i, from, fl) != 0)
    i++;
  assert_true(i + fl <= t->out.len); /* the real reply must be there */
  bbuf nb = {0};
  bbuf_add(&nb, p, i);
  bbuf_add(&nb, to, tl);
  bbuf_add(&nb, p + i + fl, t->out.len - i - fl);
  bbuf_free(&t->out);
  t->out = nb;
}

static void swap_all(fixture *f, const char *from, const char *to) {
  swap_reply(&f->w, from, to);
  swap_reply(&f->s, from, to);
  swap_reply(&f->a, from, to);
}

#define ONLY(p) (1u << (p))

static void correct_runs_pass(void **state) {
  (void)state;
  static const char *inputs[] = {
    TXN,
    "NOOP\r\nFOO\r\nMAIL FROM:<a@b.example>\r\nHELO x\r\nRSET\r\n",
    "EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\n"
    "BDAT 3\r\nabcBDAT 2 LAST\r\nde\r\nQUIT\r\n",
    "EHLO a.example\r\nSTARTTLS\r\nMAIL FROM:<a@a.example>\r\n",
    "EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\n"
    "DATA\r\nx\n.\nMAIL FROM:<e@x.example>\r\n.\r\n",
  };
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    fixture f;
    record(&f, inputs[i], SMTPP_EXT_STARTTLS);
    assert_int_equal(check(&f), 0);
    release(&f);
  }
}

static void p1_unbounded_work(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  f.w.steps = f.w.bound + 1; /* a parser that kept returning without progress */
  assert_int_equal(check(&f), ONLY(ORACLE_P1_BOUNDED_WORK));
  release(&f);
}

static void p1_parser_allocates(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  f.w.parser_mallocs = 1; /* the malloc hook saw the parser allocate */
  assert_int_equal(check(&f), ONLY(ORACLE_P1_BOUNDED_WORK));
  release(&f);
}

static void p2_reply_format(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  swap_all(&f, "250 2.1.0 Sender OK\r\n", "250 2.1.0 Sender\nOK\r\n"); /* a bare LF */
  assert_int_equal(check(&f), ONLY(ORACLE_P2_REPLY_FORMAT));
  release(&f);
}

static void p3_missing_reply(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  swap_all(&f, "250 2.1.0 Sender OK\r\n", ""); /* MAIL got no reply */
  assert_int_equal(check(&f), ONLY(ORACLE_P3_ONE_REPLY));
  release(&f);
}

static void p3_reply_after_close(void **state) {
  (void)state;
  fixture f;
  record(&f, "QUIT\r\nNOOP\r\n", 0);
  swap_all(&f, "221 2.0.0 localhost closing connection\r\n",
           "221 2.0.0 localhost closing connection\r\n250 2.0.0 OK\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P3_ONE_REPLY));
  release(&f);
}

static void p4_well_formed_refused(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  swap_all(&f, "250 2.1.5 Recipient OK\r\n", "501 5.5.4 Syntax error\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P4_MALFORMED_LINE));
  release(&f);
}

static void p4_malformed_accepted(void **state) {
  (void)state;
  fixture f;
  record(&f, "EHLO a.example\r\nMAIL FROM:a@a.example\r\n", 0);
  swap_all(&f, "501 5.5.4 Syntax error in parameters or arguments\r\n",
           "250 2.1.0 Sender OK\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P4_MALFORMED_LINE));
  release(&f);
}

static void p5_out_of_order_accepted(void **state) {
  (void)state;
  fixture f;
  record(&f, "MAIL FROM:<a@a.example>\r\nNOOP\r\n", 0);
  swap_all(&f, "503 5.5.1 Bad sequence of commands\r\n", "250 2.1.0 Sender OK\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P5_SEQUENCE));
  release(&f);
}

static void p5_refused_line_changed_something(void **state) {
  (void)state;
  fixture f;
  record(&f, "EHLO a.example\r\nRCPT TO:<b@b.example>\r\nNOOP\r\n", 0);
  /* the replies the model checks are right, but the NOOP's reply text is
   * not what the same input without the refused RCPT gets: the refusal
   * changed something a host can see */
  swap_all(&f, "250 2.0.0 OK\r\n", "250 2.0.0 Okay\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P5_SEQUENCE));
  release(&f);
}

static void p6_body_differs(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  assert_true(f.w.nmsg == 1 && f.w.msg[0].body.len > 0);
  /* a parser that forgot to remove a stuffing dot: ".x" instead of "x" */
  oracle_trace *all[3] = {&f.w, &f.s, &f.a};
  for (int i = 0; i < 3; i++) {
    bbuf *b = &all[i]->msg[0].body;
    b->len = 0;
    bbuf_add(b, "hi\r\n..x\r\n", 9);
  }
  assert_int_equal(check(&f), ONLY(ORACLE_P6_MESSAGES));
  release(&f);
}

static void p7_split_differs(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  /* the split runs (both, so determinism holds) answer differently */
  swap_reply(&f.s, "250 2.1.5 Recipient OK\r\n", "250 2.1.5 Recipient ok\r\n");
  swap_reply(&f.a, "250 2.1.5 Recipient OK\r\n", "250 2.1.5 Recipient ok\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P7_SPLIT));
  release(&f);
}

static void p8_starttls_injection(void **state) {
  (void)state;
  fixture f;
  record(&f, "EHLO a.example\r\nSTARTTLS\r\nNOOP\r\n", SMTPP_EXT_STARTTLS);
  swap_all(&f, "220 2.0.0 Ready to start TLS\r\n",
           "220 2.0.0 Ready to start TLS\r\n250 2.0.0 OK\r\n"); /* NOOP ran */
  assert_int_equal(check(&f), ONLY(ORACLE_P8_STARTTLS));
  release(&f);
}

static void p9_limit_ignored(void **state) {
  (void)state;
  fixture f;
  static char in[700];
  memcpy(in, "NOOP ", 5);
  memset(in + 5, 'a', 600);
  memcpy(in + 605, "\r\n", 3);
  record(&f, in, 0);
  swap_all(&f, "500 5.5.2 Line too long\r\n", "250 2.0.0 OK\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P9_LIMITS));
  release(&f);
}

static void p10_nondeterministic(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  bbuf_addc(&f.a.ev_raw, 0x42); /* the second identical run differs */
  assert_int_equal(check(&f), ONLY(ORACLE_P10_DETERMINISM));
  release(&f);
}

/* The same two properties when the reruns are kept only for comparing
 * (compare_only), as oracle_run() keeps them: the comparison must fail
 * too. */
static void record_compare_only(fixture *f, const char *in) {
  smtpp_config_default(&f->cfg);
  f->in = (const uint8_t *)in;
  f->len = strlen(in);
  f->splits[0] = f->len / 3;
  f->splits[1] = f->len / 2;
  oracle_trace_init(&f->w);
  oracle_trace_init(&f->s);
  oracle_trace_init(&f->a);
  f->s.compare_only = f->a.compare_only = 1;
  memset(&f->tape, 0, sizeof f->tape);
  oracle_trace_parser(&f->cfg, f->in, f->len, NULL, 0, NULL, &f->w);
  oracle_trace_parser(&f->cfg, f->in, f->len, f->splits, 2, NULL, &f->s);
  oracle_trace_parser(&f->cfg, f->in, f->len, f->splits, 2, NULL, &f->a);
}

static void compare_only_runs_pass(void **state) {
  (void)state;
  fixture f;
  record_compare_only(&f, TXN);
  assert_int_equal(check(&f), 0);
  release(&f);
}

static void p7_split_differs_compare_only(void **state) {
  (void)state;
  fixture f;
  record_compare_only(&f, TXN);
  /* both split runs (so determinism holds) wrote one more reply octet
   * stream than the whole run */
  oracle_trace_reply(&f.s, "250 2.0.0 OK\r\n", 14);
  oracle_trace_reply(&f.a, "250 2.0.0 OK\r\n", 14);
  assert_true(check(&f) & ONLY(ORACLE_P7_SPLIT));
  assert_false(check(&f) & ONLY(ORACLE_P10_DETERMINISM));
  release(&f);
}

static void p10_nondeterministic_compare_only(void **state) {
  (void)state;
  fixture f;
  record_compare_only(&f, TXN);
  oracle_trace_reply(&f.a, "250 2.0.0 OK\r\n", 14); /* only the rerun */
  assert_true(check(&f) & ONLY(ORACLE_P10_DETERMINISM));
  release(&f);
}


/* P4: a wrong enhanced code (the model's own table says 2.1.5). */
static void p4_wrong_enhanced_code(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  swap_all(&f, "250 2.1.5 Recipient OK\r\n", "250 2.1.3 Recipient OK\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P4_MALFORMED_LINE));
  release(&f);
}

/* P4: the EHLO reply lost a keyword line (SIZE, RFC 1870 4). */
static void p4_ehlo_keyword_dropped(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  swap_all(&f, "250-SIZE 10485760\r\n", "");
  assert_int_equal(check(&f), ONLY(ORACLE_P4_MALFORMED_LINE));
  release(&f);
}

/* P11: an event whose local part is the domain. */
static void p11_event_local_part(void **state) {
  (void)state;
  fixture f;
  record(&f, TXN, 0);
  oracle_trace *w = &f.w;
  const char *from = "local=\"a\"";
  uint8_t *p = w->ev_text.p;
  size_t i = 0, fl = strlen(from);
  while (i + fl <= w->ev_text.len && memcmp(p + i, from, fl) != 0)
    i++;
  assert_true(i + fl <= w->ev_text.len);
  p[i + 7] = 'x'; /* local="x" */
  assert_int_equal(check(&f), ONLY(ORACLE_P11_EVENTS));
  release(&f);
}

/* Host decisions from the tape: refusals, texts, a 421, shutdown, TLS. */
static void decisions_are_predicted(void **state) {
  (void)state;
  static const struct {
    const char *in;
    uint8_t tape[4];
    size_t n;
  } cases[] = {
    /* EHLO default, MAIL default, RCPT refused 550 5.7.1 with text */
    {TXN, {0, 0, 0x40 | 0x10 | 11}, 3},
    /* RCPT refused 550 with a text holding CR LF and 8-bit octets */
    {TXN, {0, 0, 0x80 | 11}, 3},
    /* MAIL answered 421: closed */
    {TXN, {0, 7}, 2},
    /* shutdown at MAIL */
    {TXN, {0, 0x10}, 2},
    /* EHLO refused 554, then HELO session */
    {"EHLO a.example\r\nHELO a.example\r\nMAIL FROM:<a@a.example>\r\n", {13}, 1},
    /* a code the event does not allow: the default applies */
    {TXN, {0, 14, 15}, 3},
    /* STARTTLS, handshake done: a fresh session */
    {"EHLO a.example\r\nSTARTTLS\r\nEHLO b.example\r\nMAIL FROM:<a@a.example>\r\n",
     {0, 1}, 2},
    /* STARTTLS, handshake failed */
    {"EHLO a.example\r\nSTARTTLS\r\nNOOP\r\n", {0, 2}, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    fixture f;
    record_tape(&f, cases[i].in, SMTPP_EXT_STARTTLS, cases[i].tape, cases[i].n);
    assert_int_equal(check(&f), 0);
    release(&f);
  }
}

/* A decision's reply that is not the model's is found. */
static void decision_reply_checked(void **state) {
  (void)state;
  fixture f;
  static const uint8_t tape[] = {0, 0, 0x40 | 0x10 | 11}; /* RCPT 550 5.7.1 */
  record_tape(&f, TXN, 0, tape, 3);
  swap_all(&f, "550 5.7.1 Custom text from the host\r\n",
           "550 5.7.1 Custom text from the hos\r\n");
  assert_int_equal(check(&f), ONLY(ORACLE_P4_MALFORMED_LINE));
  release(&f);
}

/* Every entry of oracle/known.h must still describe something today's
 * parser does: when the parser fix lands this fails, and the entry is
 * removed from known.h (and its case here). */
static void known_disagreements_still_hold(void **state) {
  (void)state;
  static const struct {
    int k;
    const char *in;
    uint8_t tape[2];
    size_t n;
  } cases[] = {
    {ORACLE_KNOWN_ADDRESS_ENH, "EHLO a.example\r\nMAIL FROM:<a>\r\n", {0}, 0},
  };
  assert_int_equal(sizeof cases / sizeof *cases, ORACLE_KNOWN__COUNT);
  int stale = 0;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    fixture f;
    record_tape(&f, cases[i].in, SMTPP_EXT_AUTH, cases[i].tape, cases[i].n);
    uint32_t fired = check(&f);
    if (fired || !((last.known >> cases[i].k) & 1)) {
      print_error("known disagreement %s no longer seen: the parser follows the "
                  "RFC now, remove it from oracle/known.h\n",
                  oracle_known_name(cases[i].k));
      stale++;
    }
    release(&f);
  }
  assert_int_equal(stale, 0);
}

static void names_are_stable(void **state) {
  (void)state;
  assert_string_equal(oracle_prop_name(2), "P2_REPLY_FORMAT");
  assert_string_equal(oracle_prop_name(10), "P10_DETERMINISM");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(correct_runs_pass),
    cmocka_unit_test(p1_unbounded_work),
    cmocka_unit_test(p1_parser_allocates),
    cmocka_unit_test(p2_reply_format),
    cmocka_unit_test(p3_missing_reply),
    cmocka_unit_test(p3_reply_after_close),
    cmocka_unit_test(p4_well_formed_refused),
    cmocka_unit_test(p4_malformed_accepted),
    cmocka_unit_test(p5_out_of_order_accepted),
    cmocka_unit_test(p5_refused_line_changed_something),
    cmocka_unit_test(p6_body_differs),
    cmocka_unit_test(p7_split_differs),
    cmocka_unit_test(p8_starttls_injection),
    cmocka_unit_test(p9_limit_ignored),
    cmocka_unit_test(p10_nondeterministic),
    cmocka_unit_test(compare_only_runs_pass),
    cmocka_unit_test(p7_split_differs_compare_only),
    cmocka_unit_test(p10_nondeterministic_compare_only),
    cmocka_unit_test(p4_wrong_enhanced_code),
    cmocka_unit_test(p4_ehlo_keyword_dropped),
    cmocka_unit_test(p11_event_local_part),
    cmocka_unit_test(decisions_are_predicted),
    cmocka_unit_test(decision_reply_checked),
    cmocka_unit_test(known_disagreements_still_hold),
    cmocka_unit_test(names_are_stable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
