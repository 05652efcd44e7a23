/*
 * test_reply.c - unit tests of parser/src/reply.c, the reply writer
 * (RFC 5321 4.2, 4.5.3.1.5: at most 512 octets per line with CRLF; text
 * sanitised so no CR, LF, NUL or other non-printable reaches the client),
 * and of the out buffer's pull interface (smtpp_out_buf / smtpp_out_ack).
 */
#include "dialog.h"
#include "internal.h"
#include "unit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static smtpp_session g_s;
static smtpp_config g_cfg;

/* A fresh session with its greeting pulled away. */
static smtpp_session *fresh(void) {
  smtpp_config_default(&g_cfg);
  assert_true(smtpp_init(&g_s, &g_cfg) >= 0);
  size_t n;
  smtpp_out_buf(&g_s, &n);
  smtpp_out_ack(&g_s, n);
  smtpp_out_buf(&g_s, &n);
  assert_int_equal(n, 0);
  return &g_s;
}

static void pull(smtpp_session *s, bbuf *out) {
  for (int i = 0; i < 100; i++) {
    size_t n = 0;
    const unsigned char *p = smtpp_out_buf(s, &n);
    if (!n) return;
    bbuf_add(out, p, n);
    smtpp_out_ack(s, n);
  }
}

/* {code, enh, text (escapes, {c*N}), more, expected line (same escapes)} */
static const struct {
  int code;
  const char *enh;
  const char *text;
  int more;
  const char *line;
} lines[] = {
    {250, NULL, "OK", 0, "250 OK\\r\\n"},
    {250, NULL, "OK", 1, "250-OK\\r\\n"},
    {250, "2.0.0", "OK", 0, "250 2.0.0 OK\\r\\n"},
    {250, "2.1.5", "Recipient OK", 1, "250-2.1.5 Recipient OK\\r\\n"},
    {550, "5.1.1", "", 0, "550 5.1.1 \\r\\n"},
    {354, NULL, "Go ahead", 0, "354 Go ahead\\r\\n"},
    {250, "", "x", 0, "250 x\\r\\n"},
    /* no octet outside 32..126 survives */
    {250, NULL, "a\\r\\nb", 0, "250 a??b\\r\\n"},
    {250, NULL, "a\\x00b\\tc", 0, "250 a?b?c\\r\\n"},
    {250, NULL, "\\x80\\xFF\\x7F", 0, "250 ???\\r\\n"},
    {250, NULL, "\\r\\n250 forged", 0, "250 ??250 forged\\r\\n"},
    /* cut to keep the line within 512 octets with CRLF */
    {250, NULL, "{t*506}", 0, "250 {t*506}\\r\\n"},
    {250, NULL, "{t*507}", 0, "250 {t*506}\\r\\n"},
    {250, NULL, "{t*5000}", 0, "250 {t*506}\\r\\n"},
    {250, NULL, "{t*5000}", 1, "250-{t*506}\\r\\n"},
    {250, "2.0.0", "{t*5000}", 0, "250 2.0.0 {t*500}\\r\\n"},
    {550, "5.7.1", "{\\r*600}", 0, "550 5.7.1 {?*500}\\r\\n"},
};

static void test_lines(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    smtpp_session *s = fresh();
    bbuf text = {0}, want = {0}, got = {0};
    assert_int_equal(unit_expand(lines[i].text, &text), 0);
    assert_int_equal(unit_expand(lines[i].line, &want), 0);
    /* the text is an exact-size copy: the writer reads text_len octets */
    unsigned char *c = unit_copy(text.p, text.len);
    int rc = smtpp_reply_line(s, lines[i].code, lines[i].enh,
                              (const char *)c, text.len, lines[i].more);
    pull(s, &got);
    bbuf_add(&got, "", 0);
    if (rc != 0 || got.len != want.len || memcmp(got.p, want.p, want.len)) {
      dlg_print("reply case %zu: rc %d\n  expected \"%s\"\n", i, rc,
                    unit_show(want.p, want.len));
      dlg_print("  got      \"%s\"\n", unit_show(got.p, got.len));
      bad = 1;
    }
    if (got.len > 512) {
      dlg_print("reply case %zu: line of %zu octets\n", i, got.len);
      bad = 1;
    }
    free(c);
    bbuf_free(&text);
    bbuf_free(&want);
    bbuf_free(&got);
  }
  assert_false(bad);
}

/* The default replies of the error table, with and without enhanced
 * codes (RFC 2034 4: on every reply when offered, except the replies to
 * HELO/EHLO). */
static const struct {
  int err;
  const char *plain;
  const char *enh;
} errs[] = {
    {SMTPP_ERR_UNKNOWN_COMMAND, "500 Unrecognized command\r\n",
     "500 5.5.2 Unrecognized command\r\n"},
    {SMTPP_ERR_LINE_TOO_LONG, "500 Line too long\r\n",
     "500 5.5.2 Line too long\r\n"},
    {SMTPP_ERR_SYNTAX, "501 Syntax error in parameters or arguments\r\n",
     "501 5.5.4 Syntax error in parameters or arguments\r\n"},
    {SMTPP_ERR_BAD_SEQUENCE, "503 Bad sequence of commands\r\n",
     "503 5.5.1 Bad sequence of commands\r\n"},
    {SMTPP_ERR_UNKNOWN_PARAM,
     "555 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n",
     "555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not "
     "implemented\r\n"},
    {SMTPP_ERR_TOO_MANY_RCPTS, "452 Too many recipients\r\n",
     "452 4.5.3 Too many recipients\r\n"},
    {SMTPP_ERR_SIZE_EXCEEDED,
     "552 Message size exceeds fixed maximum message size\r\n",
     "552 5.3.4 Message size exceeds fixed maximum message size\r\n"},
    /* ids without a reply fall back to 554 Transaction failed */
    {SMTPP_ERR_NULL_ARG, "554 Transaction failed\r\n",
     "554 5.6.0 Transaction failed\r\n"},
    {0, "554 Transaction failed\r\n", "554 5.6.0 Transaction failed\r\n"},
    {9999, "554 Transaction failed\r\n", "554 5.6.0 Transaction failed\r\n"},
};

static void test_err_replies(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
    for (int with_enh = 0; with_enh < 2; with_enh++) {
      smtpp_session *s = fresh();
      assert_int_equal(smtpp_use_enh(s), 1);
      bbuf got = {0};
      int rc = smtpp_reply_err(s, errs[i].err,
                               with_enh ? SMTPP_VERB_NONE : SMTPP_VERB_EHLO);
      pull(s, &got);
      bbuf_add(&got, "", 0);
      const char *want = with_enh ? errs[i].enh : errs[i].plain;
      if (rc != 0 || strcmp((const char *)got.p, want) != 0) {
        dlg_print("error reply %d (%s) %s enhanced codes:\n"
                      "  expected \"%s\"\n", errs[i].err,
                      smtpp_err_name(errs[i].err), with_enh ? "with" : "without",
                      unit_show(want, strlen(want)));
        dlg_print("  got      \"%s\" (rc %d)\n",
                      unit_show(got.p, got.len), rc);
        bad = 1;
      }
      bbuf_free(&got);
    }
  }
  /* after HELO too (RFC 2034 4); with ENHANCEDSTATUSCODES not offered: none */
  smtpp_session *s = fresh();
  s->helo_kind = SMTPP_HK_HELO;
  assert_int_equal(smtpp_use_enh(s), 1);
  bbuf got = {0};
  assert_int_equal(smtpp_reply_err(s, SMTPP_ERR_PATH_TOO_LONG, SMTPP_VERB_MAIL), 0);
  assert_int_equal(smtpp_reply_err(s, SMTPP_ERR_PATH_TOO_LONG, SMTPP_VERB_RCPT), 0);
  pull(s, &got);
  bbuf_add(&got, "", 0);
  assert_string_equal((const char *)got.p,
                      "501 5.1.7 Path too long\r\n" /* RFC 3463 3.2 */
                      "501 5.1.3 Path too long\r\n");
  bbuf_free(&got);
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  cfg.extensions &= ~SMTPP_EXT_ENHANCEDSTATUSCODES;
  assert_true(smtpp_init(&g_s, &cfg) >= 0);
  g_s.helo_kind = SMTPP_HK_EHLO;
  assert_int_equal(smtpp_use_enh(&g_s), 0);
  assert_false(bad);
}

/* The buffer never overflows: writes past its room fail, nothing is cut
 * in the middle of a line, and pulling in pieces gives the same bytes. */
static void test_buffer(void **state) {
  (void)state;
  smtpp_session *s = fresh();
  assert_int_equal(smtpp_out_free(s), SMTPP_OUT_MAX);
  char text[600];
  memset(text, 'r', sizeof text);
  size_t written = 0;
  int lines_ok = 0;
  for (int i = 0; i < 100; i++) {
    size_t before = smtpp_out_free(s);
    int rc = smtpp_reply_line(s, 250, NULL, text, sizeof text, 1);
    if (rc != 0) {
      assert_int_equal(rc, -SMTPP_ERR_CLOSED);
      assert_int_equal(smtpp_out_free(s), before); /* nothing written */
      break;
    }
    lines_ok++;
    written += 512;
    assert_int_equal(smtpp_out_free(s), before - 512);
  }
  assert_int_equal(lines_ok, SMTPP_OUT_MAX / 512);
  /* pull 7 octets at a time */
  bbuf got = {0};
  for (int i = 0; i < 10000; i++) {
    size_t n = 0;
    const unsigned char *p = smtpp_out_buf(s, &n);
    if (!n) break;
    assert_true(n <= SMTPP_OUT_MAX);
    size_t take = n < 7 ? n : 7;
    bbuf_add(&got, p, take);
    smtpp_out_ack(s, take);
  }
  assert_int_equal(got.len, written);
  for (size_t off = 0; off < got.len; off += 512) {
    assert_memory_equal(got.p + off, "250-", 4);
    assert_memory_equal(got.p + off + 510, "\r\n", 2);
  }
  assert_int_equal(smtpp_out_free(s), SMTPP_OUT_MAX);
  /* interleaved: write, pull part, write again (the buffer compacts) */
  for (int round = 0; round < 50; round++) {
    assert_int_equal(smtpp_reply_line(s, 221, NULL, "Bye", 3, 0), 0);
    size_t n;
    const unsigned char *p = smtpp_out_buf(s, &n);
    assert_true(n >= 9);
    assert_memory_equal(p, "221 Bye\r\n", 9);
    smtpp_out_ack(s, 4);
    p = smtpp_out_buf(s, &n);
    assert_memory_equal(p, "Bye\r\n", 5);
    smtpp_out_ack(s, 5);
  }
  /* acking more than there is is harmless */
  smtpp_out_ack(s, 100000);
  size_t n = 1;
  smtpp_out_buf(s, &n);
  assert_int_equal(n, 0);
  bbuf_free(&got);
}

/* PROTOCOL.md: "Greeting: 220 <host> ESMTP smtpp". */
static void test_greeting(void **state) {
  (void)state;
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  assert_true(smtpp_init(&g_s, &cfg) >= 0);
  bbuf got = {0};
  pull(&g_s, &got);
  bbuf_add(&got, "", 0);
  assert_string_equal((const char *)got.p, "220 localhost ESMTP smtpp\r\n");
  got.len = 0;
  cfg.hostname = "mx.example.org";
  assert_true(smtpp_init(&g_s, &cfg) >= 0);
  pull(&g_s, &got);
  bbuf_add(&got, "", 0);
  assert_string_equal((const char *)got.p, "220 mx.example.org ESMTP smtpp\r\n");
  /* a hostname that is not a Domain is refused (smtpp_config) */
  cfg.hostname = "bad host\r\n250 x";
  assert_int_equal(smtpp_init(&g_s, &cfg), -SMTPP_ERR_BAD_CONFIG);
  cfg.hostname = "";
  assert_int_equal(smtpp_init(&g_s, &cfg), -SMTPP_ERR_BAD_CONFIG);
  /* max_recipients below 100 is refused (RFC 5321 4.5.3.1.8) */
  smtpp_config_default(&cfg);
  cfg.max_recipients = 99;
  assert_int_equal(smtpp_init(&g_s, &cfg), -SMTPP_ERR_BAD_CONFIG);
  cfg.max_recipients = 0; /* = 100 */
  assert_true(smtpp_init(&g_s, &cfg) >= 0);
  /* NULL arguments */
  assert_int_equal(smtpp_init(NULL, &cfg), -SMTPP_ERR_NULL_ARG);
  assert_int_equal(smtpp_init(&g_s, NULL), -SMTPP_ERR_NULL_ARG);
  bbuf_free(&got);
}

/* smtpp_decide text is sanitised and cut like any other reply text. */
static void test_decide_text(void **state) {
  (void)state;
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  cfg.host_decides = 1;
  assert_true(smtpp_init(&g_s, &cfg) >= 0);
  bbuf junk = {0};
  pull(&g_s, &junk);
  const char *in = "EHLO x\r\nMAIL FROM:<a@b.c>\r\n";
  size_t len = strlen(in), off = 0, consumed;
  smtpp_event ev;
  int decided = 0;
  bbuf got = {0};
  char text[800];
  memset(text, 'z', sizeof text - 1);
  text[sizeof text - 1] = 0;
  text[3] = '\r';
  text[4] = '\n';
  text[5] = (char)0xC3;
  while (off < len || !decided) {
    int rc = smtpp_feed(&g_s, in + off, len - off, &consumed, &ev);
    assert_true(rc >= 0);
    off += consumed;
    if (rc == SMTPP_EVENT && ev.type == SMTPP_EV_COMMAND &&
        ev.verb == SMTPP_VERB_MAIL) {
      assert_int_equal(smtpp_decide(&g_s, 550, "5.7.1", text), 0);
      decided = 1;
    } else if (rc == SMTPP_EVENT && (ev.flags & SMTPP_EVF_DECIDABLE)) {
      assert_int_equal(smtpp_decide_default(&g_s), 0);
    }
    if (rc == SMTPP_NEED_MORE && off == len) break;
  }
  assert_true(decided);
  pull(&g_s, &got);
  bbuf perr = {0};
  rs_reader rs;
  rs_init(&rs, RS_SMTPP);
  rs.log = &perr;
  size_t n = rs_end(&rs, got.p, got.len);
  const rs_reply *list = rs.r;
  unsigned nbad = rs.nviol;
  if (nbad) dlg_print("%s", bbuf_str(&perr));
  assert_int_equal(nbad, 0);
  assert_int_equal(n, 2);
  assert_int_equal(list[1].code, 550);
  assert_string_equal(list[1].enh, "5.7.1");
  /* the 550 line: "550 5.7.1 zzz???zzz...", 512 octets at most */
  size_t start = got.len - 2;
  while (start > 0 && got.p[start - 1] != '\n') start--;
  assert_true(got.len - start <= 512);
  assert_memory_equal(got.p + start, "550 5.7.1 zzz???zzz", 19);
  rs_free(&rs);
  bbuf_free(&got);
  bbuf_free(&junk);
  bbuf_free(&perr);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_err_replies),
      cmocka_unit_test(test_buffer),
      cmocka_unit_test(test_greeting),
      cmocka_unit_test(test_decide_text),
  };
  return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
