/*
 * test_common.c - the shared readers of common/ and the dialog checks that
 * use them, each shown to fail on the input it must refuse:
 *  - esc: every octet survives escape + decode; bad escapes are refused;
 *    JSON strings;
 *  - replies: RFC 5321 4.2 reply lines vs smtpp's own form (RS_SMTPP),
 *    every violation kind, and any split of the stream reads the same;
 *  - dialogfile: E: and multi-line S: lines load, malformed ones do not;
 *  - dialog checks: a wrong E: line, a wrong pinned reply line and a wrong
 *    line count are reported (the checks can fail).
 */
#define _POSIX_C_SOURCE 200809L
#include "dialog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- esc ---- */

static void test_escape_roundtrip(void **state) {
  (void)state;
  unsigned char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  bbuf e = {0}, d = {0};
  bbuf_add_escaped(&e, all, sizeof all);
  for (size_t i = 0; i < e.len; i++)
    assert_true(e.p[i] >= 0x20 && e.p[i] < 0x7f); /* printable only */
  assert_int_equal(esc_decode((const char *)e.p, e.len, &d), 0);
  assert_int_equal(d.len, sizeof all);
  assert_memory_equal(d.p, all, sizeof all);
  /* the fixed-size form is the same text, cut before a whole escape */
  char small[8];
  size_t taken;
  assert_int_equal(esc_bytes(small, sizeof small, "ab\r\n\x01", 5, &taken), 6);
  assert_string_equal(small, "ab\\r\\n");
  assert_int_equal(taken, 4);
  assert_int_equal(esc_bytes(small, sizeof small, "\x01\x02", 2, NULL), 4);
  assert_string_equal(small, "\\x01");
  const char *bad[] = {"\\", "\\q", "\\x4", "\\xg0", "a\\"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bbuf_reset(&d);
    assert_int_equal(esc_decode(bad[i], strlen(bad[i]), &d), -1);
  }
  bbuf_reset(&d);
  assert_int_equal(esc_decode("\\0\\x7e\\\"", 8, &d), 0);
  assert_int_equal(d.len, 3);
  assert_memory_equal(d.p, "\0~\"", 3);
  bbuf_free(&e);
  bbuf_free(&d);
  /* JSON strings (RFC 8259 7) */
  char *js = NULL;
  size_t jl = 0;
  FILE *f = open_memstream(&js, &jl);
  assert_non_null(f);
  esc_json_put(f, "a\"b\\c\r\x7f");
  fclose(f);
  assert_string_equal(js, "\"a\\\"b\\\\c\\r\\u007f\"");
  free(js);
}

static void test_bbuf_edit(void **state) {
  (void)state;
  bbuf b = {0};
  bbuf_set(&b, "hello", 5);
  assert_int_equal(bbuf_insert(&b, 5, " world", 6), 0);
  assert_int_equal(bbuf_insert(&b, 12, "x", 1), -1);
  bbuf_erase(&b, 0, 6);
  assert_string_equal(bbuf_str(&b), "world");
  bbuf_erase(&b, 3, 100);
  assert_string_equal(bbuf_str(&b), "wor");
  bbuf_addf(&b, "%0600d", 7); /* longer than addf's stack buffer */
  assert_int_equal(b.len, 603);
  assert_int_equal(b.p[603], 0);
  bbuf_free(&b);
}

/* ---- replies ---- */

typedef struct rcase {
  const char *stream;
  unsigned flags;
  size_t nreplies;
  int kind; /* RS_OK or the first violation */
} rcase;

static const rcase rcases[] = {
    {"220 a\r\n250-b\r\n250 c\r\n", 0, 2, RS_OK},
    {"220 a\r\n250-b\r\n250 c\r\n", RS_SMTPP, 2, RS_OK},
    {"250\r\n", 0, 1, RS_OK},                    /* 4.2: text optional */
    {"250\r\n", RS_SMTPP, 1, RS_NOT_A_REPLY},    /* smtpp always has text */
    {"250 a\tb\r\n", 0, 1, RS_OK},               /* textstring has HT */
    {"250 a\tb\r\n", RS_SMTPP, 1, RS_NON_PRINTABLE},
    {"250 ok\n", 0, 1, RS_BARE_LF},
    {"250 a\nb\r\n", RS_SMTPP, 1, RS_NON_PRINTABLE}, /* CRLF ends lines */
    {"250 a\nb\r\n", 0, 2, RS_BARE_LF},              /* LF ends lines */
    {"250-a\r\n251 b\r\n", 0, 1, RS_CONT_CODE},
    {"250-a\r\n", 0, 1, RS_NO_CRLF_AT_END},
    {"250 a", 0, 1, RS_NO_CRLF_AT_END},
    {"199 a\r\n", 0, 1, RS_NOT_A_REPLY},
    {"250 \x80\r\n", 0, 1, RS_NON_PRINTABLE},
};

static void test_replies(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
    const rcase *c = &rcases[i];
    rs_reader rs = {0};
    size_t n = rs_parse(&rs, c->flags, (const unsigned char *)c->stream,
                        strlen(c->stream));
    if (n != c->nreplies || rs.viol_kind != c->kind)
      fail_msg("case %zu: %zu replies, %s; expected %zu, %s (%s)", i, n,
               rs_viol_name(rs.viol_kind), c->nreplies,
               rs_viol_name(c->kind), rs.viol);
    rs_free(&rs);
  }
  /* a line of 513 octets with its CRLF */
  bbuf b = {0};
  bbuf_add(&b, "250 ", 4);
  while (b.len < 511) bbuf_addc(&b, 'x');
  bbuf_add(&b, "\r\n", 2);
  rs_reader rs = {0};
  rs_parse(&rs, RS_SMTPP, b.p, b.len);
  assert_int_equal(rs.viol_kind, RS_LINE_OVER_512);
  rs_free(&rs);
  bbuf_free(&b);
}

static void test_replies_fields(void **state) {
  (void)state;
  const char *s = "220 h\r\n250-x\r\n250 2.1.0 ok\r\n221 2.0.0 bye\r\n500 x\r\n";
  rs_reader rs = {0};
  size_t n = rs_parse(&rs, RS_SMTPP, (const unsigned char *)s, strlen(s));
  assert_int_equal(n, 4);
  assert_int_equal(rs.r[1].code, 250);
  assert_int_equal(rs.r[1].lines, 2);
  assert_string_equal(rs.r[1].enh, "2.1.0");
  assert_int_equal(rs.r[1].off, 7);
  assert_int_equal(rs.r[1].end, 28);
  assert_true(rs.after_close);
  size_t pos = rs.r[1].off;
  const unsigned char *t;
  size_t tl;
  assert_int_equal(rs_reply_line((const unsigned char *)s, &rs.r[1], &pos,
                                 &t, &tl), 0);
  assert_int_equal(tl, 1);
  assert_memory_equal(t, "x", 1);
  assert_int_equal(rs_reply_line((const unsigned char *)s, &rs.r[1], &pos,
                                 &t, &tl), 0);
  assert_int_equal(tl, 8);
  assert_int_equal(rs_reply_line((const unsigned char *)s, &rs.r[1], &pos,
                                 &t, &tl), -1);
  rs_free(&rs);
}

/* Reading a stream in pieces gives what reading it whole gives. */
static void test_replies_split(void **state) {
  (void)state;
  const char *s = "220 h\r\n250-x\r\n250 y\n251 2.1.5 z\r\n354-a\r\n354";
  size_t len = strlen(s);
  rs_reader whole = {0};
  rs_parse(&whole, 0, (const unsigned char *)s, len);
  for (size_t k = 0; k <= len; k++) {
    rs_reader rs;
    rs_init(&rs, 0);
    rs_scan(&rs, (const unsigned char *)s, k);
    rs_end(&rs, (const unsigned char *)s, len);
    assert_int_equal(rs.n, whole.n);
    assert_int_equal(rs.nviol, whole.nviol);
    for (size_t i = 0; i < rs.n; i++) {
      assert_int_equal(rs.r[i].code, whole.r[i].code);
      assert_int_equal(rs.r[i].off, whole.r[i].off);
      assert_int_equal(rs.r[i].end, whole.r[i].end);
    }
    rs_free(&rs);
  }
  rs_free(&whole);
}

/* ---- dialog files and the checks ---- */

static char g_dir[64];

static const char *write_file(const char *name, const char *text) {
  static char path[128];
  snprintf(path, sizeof path, "%s/%s", g_dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

#define HEAD "# title: t\n# rfc: 5321 4.1.1\n# level: must\nS: 220\n"

static const char *const bad_files[] = {
    HEAD "E: NOPE\n",                          /* unknown event type */
    HEAD "E: BODY len=3\n",                    /* bodies are B: lines */
    HEAD "E: COMMAND EHLO arg=\"a\n",          /* unclosed quote */
    HEAD "E: COMMAND EHLO arg=\"a\\q\"\n",     /* bad escape */
    HEAD "C: EHLO a\nS: 250-localhost\n",      /* file ends inside */
    HEAD "C: EHLO a\nS: 250-localhost\nC: QUIT\n", /* C: inside */
    HEAD "C: EHLO a\nS: 250-localhost\nS: 251 x\n", /* another code */
};

static void test_load_errors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
    dialog d;
    int rc = dlg_load(&d, write_file("bad.dialog", bad_files[i]));
    if (rc != -1 || !d.error[0])
      fail_msg("bad file %zu loaded", i);
    dlg_free(&d);
  }
}

#define EHLO_OK                                                            \
  "C: EHLO a.example\n"                                                    \
  "S: 250-localhost\nS: 250-PIPELINING\nS: 250-SIZE 10485760\n"             \
  "S: 250-8BITMIME\nS: 250-SMTPUTF8\nS: 250-DSN\nS: 250-CHUNKING\n"         \
  "S: 250 ENHANCEDSTATUSCODES\n"
#define EV_EHLO "E: COMMAND EHLO flags=group-end,decidable arg=\"a.example\"\n"
#define REST                                                               \
  "C: NOOP\nS: 250 2.0.0\nE: COMMAND NOOP flags=group-end arg=\"\"\n"       \
  "C: QUIT\nS: 221 2.0.0\nE: CLOSE QUIT flags=group-end arg=\"\"\nX:\n"

/* Loads and runs text; returns dlg_check's result, the diff in *diff. */
static int check_text(const char *text, bbuf *diff) {
  dialog d;
  if (dlg_load(&d, write_file("t.dialog", text)))
    fail_msg("does not load: %s", d.error);
  dlg_result r;
  dlg_opts o = {0};
  dlg_run(&d, NULL, 0, &o, &r);
  int rc = dlg_check(&d, &r, diff);
  dlg_result_free(&r);
  dlg_free(&d);
  return rc;
}

static void expect_fail(const char *text, const char *what) {
  bbuf diff = {0};
  if (check_text(text, &diff) == 0)
    fail_msg("a dialog with %s passed", what);
  bbuf_free(&diff);
}

static void test_checks(void **state) {
  (void)state;
  bbuf diff = {0};
  /* the right lines pass (blanks between fields are free) */
  if (check_text(HEAD EHLO_OK "E:   COMMAND  EHLO flags=group-end,decidable"
                              "   arg=\"a.example\"\n" REST, &diff))
    fail_msg("%s", bbuf_str(&diff));
  /* ... and each wrong one fails */
  expect_fail(HEAD EHLO_OK "E: COMMAND EHLO flags=decidable arg=\"a.example\"\n"
              REST, "a missing flag");
  expect_fail(HEAD EHLO_OK "E: COMMAND EHLO flags=group-end,decidable "
              "arg=\"b.example\"\n" REST, "a wrong argument");
  expect_fail(HEAD EHLO_OK REST, "an event missing");
  expect_fail(HEAD EHLO_OK EV_EHLO REST "E: CLOSE QUIT flags=group-end "
              "arg=\"\"\n",
              "an event too many");
  expect_fail(HEAD "C: EHLO a.example\n"
              "S: 250-localhost\nS: 250-PIPELINING\nS: 250-SIZE 10485760\n"
              "S: 250-8BITMIME\nS: 250-SMTPUTF8\nS: 250-DSN\n"
              "S: 250-CHUNKING\nS: 250 ENHANCEDSTATUSCODE\n" EV_EHLO REST,
              "a wrong pinned line");
  expect_fail(HEAD "C: EHLO a.example\n"
              "S: 250-localhost\nS: 250-PIPELINING\nS: 250-SIZE 10485760\n"
              "S: 250-8BITMIME\nS: 250-SMTPUTF8\nS: 250-DSN\n"
              "S: 250 CHUNKING\n" EV_EHLO REST, "a pinned line missing");
  bbuf_free(&diff);
}

static int setup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/smtpp-test-common-XXXXXX");
  return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/bad.dialog", g_dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/t.dialog", g_dir);
  unlink(path);
  return rmdir(g_dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escape_roundtrip),
      cmocka_unit_test(test_bbuf_edit),
      cmocka_unit_test(test_replies),
      cmocka_unit_test(test_replies_fields),
      cmocka_unit_test(test_replies_split),
      cmocka_unit_test(test_load_errors),
      cmocka_unit_test(test_checks),
  };
  return cmocka_run_group_tests_name("common", tests, setup, teardown);
}
