/*
 * test_data.c - unit tests of parser/src/data.c, the DATA body scanner
 * (RFC 5321 4.5.2 dot-unstuffing, 4.1.1.4 end of data, 4.5.3.1.6 text line
 * length, and the SMTP smuggling look-alikes that must never end a
 * message).
 *
 * Each row: the octets after the 354 (escapes, "{c*N}"), the expected
 * unstuffed body, whether the message ends, how many octets the scan
 * consumes in all (-1: all of them), and whether a text line is flagged
 * over 1000 octets.  Every row is run whole, one octet at a time, split at
 * every point and (short inputs) at every pair of points.
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

static const struct {
  const char *in;
  const char *body;
  int end;
  int consumed; /* -1: everything */
  int too_long;
} cases[] = {
    /* the canonical end */
    {"Hello\\r\\n.\\r\\n", "Hello\\r\\n", 1, -1, 0},
    {".\\r\\n", "", 1, -1, 0},
    {"\\r\\n.\\r\\n", "\\r\\n", 1, -1, 0},
    {"a\\r\\nb\\r\\n.\\r\\n", "a\\r\\nb\\r\\n", 1, -1, 0},
    /* octets after the end are not consumed */
    {"x\\r\\n.\\r\\nQUIT\\r\\n", "x\\r\\n", 1, 6, 0},
    {".\\r\\n.\\r\\n", "", 1, 3, 0},
    /* dot-unstuffing (4.5.2) */
    {"..\\r\\n.\\r\\n", ".\\r\\n", 1, -1, 0},
    {"..foo\\r\\n.\\r\\n", ".foo\\r\\n", 1, -1, 0},
    {"a\\r\\n..\\r\\n.\\r\\n", "a\\r\\n.\\r\\n", 1, -1, 0},
    {"a\\r\\n...\\r\\n.\\r\\n", "a\\r\\n..\\r\\n", 1, -1, 0},
    {".a\\r\\n.b\\r\\n.\\r\\n", "a\\r\\nb\\r\\n", 1, -1, 0},
    {"a.\\r\\nb.b\\r\\n.\\r\\n", "a.\\r\\nb.b\\r\\n", 1, -1, 0},
    /* incomplete: no end yet */
    {"abc", "abc", 0, -1, 0},
    {"abc\\r\\n.", "abc\\r\\n", 0, -1, 0},
    {"abc\\r\\n.\\r", "abc\\r\\n", 0, -1, 0},
    {"abc\\r\\n", "abc\\r\\n", 0, -1, 0},
    {"", "", 0, -1, 0},
    /* SMTP smuggling look-alikes never end the message */
    {"a\\n.\\nb", "a\\n.\\nb", 0, -1, 0},                   /* LF.LF */
    {"a\\n.\\r\\nb", "a\\n.\\r\\nb", 0, -1, 0},             /* LF.CRLF */
    {"a\\r\\n.\\nb", "a\\r\\n\\nb", 0, -1, 0},              /* CRLF.LF */
    {"a\\r.\\rb", "a\\r.\\rb", 0, -1, 0},                   /* CR.CR */
    {"a\\r.\\r\\nb", "a\\r.\\r\\nb", 0, -1, 0},             /* CR.CRLF */
    {"a\\r\\n.\\rb", "a\\r\\n\\rb", 0, -1, 0},              /* CRLF.CR */
    {"a\\r\\n.\\x00\\r\\nb", "a\\r\\n\\x00\\r\\nb", 0, -1, 0}, /* CRLF.NUL.CRLF */
    {"a\\r\\n.\\r\\r\\nb", "a\\r\\n\\r\\r\\nb", 0, -1, 0},  /* CRLF.CR CRLF */
    {"a\\r\\n \\r\\n.\\nb", "a\\r\\n \\r\\n\\nb", 0, -1, 0},
    {"a\\r\\n\\x00.\\r\\nb", "a\\r\\n\\x00.\\r\\nb", 0, -1, 0},
    {"a\\r\\r\\n.\\r\\n", "a\\r\\r\\n", 1, -1, 0},          /* CR CRLF . CRLF */
    /* smuggled commands stay body, and the real end still works */
    {"a\\n.\\nMAIL FROM:<x@y>\\r\\n.\\r\\n",
     "a\\n.\\nMAIL FROM:<x@y>\\r\\n", 1, -1, 0},
    {"a\\r\\n.\\nRCPT TO:<x@y>\\r\\n.\\r\\n",
     "a\\r\\n\\nRCPT TO:<x@y>\\r\\n", 1, -1, 0},
    /* text line length: 1000 with CRLF is fine, 1001 is flagged; the
     * stuffing dot does not count (4.5.3.1.6) */
    {"{x*998}\\r\\n.\\r\\n", "{x*998}\\r\\n", 1, -1, 0},
    {"{x*999}\\r\\n.\\r\\n", "{x*999}\\r\\n", 1, -1, 1},
    {".{x*998}\\r\\n.\\r\\n", "{x*998}\\r\\n", 1, -1, 0},
    {"a\\r\\n{x*998}\\r\\nb\\r\\n.\\r\\n", "a\\r\\n{x*998}\\r\\nb\\r\\n", 1, -1,
     0},
    {"{x*5000}\\r\\n.\\r\\n", "{x*5000}\\r\\n", 1, -1, 1},
    {"{x*500}\\n{x*500}\\r\\n.\\r\\n", "{x*500}\\n{x*500}\\r\\n", 1, -1, 1},
    {"{x*2000}", "{x*2000}", 0, -1, 1},
};

typedef struct scan {
  bbuf body;
  int end, too_long, stuck;
  size_t consumed;
} scan;

static void run(const bbuf *in, const size_t *cuts, size_t ncuts,
                scan *sc) {
  static smtpp_session s;
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  memset(sc, 0, sizeof *sc);
  bbuf_add(&sc->body, "", 0);
  assert_true(smtpp_init(&s, &cfg) >= 0);
  s.data_state = SMTPP_DS_LINE_START;
  s.data_line_len = 0;
  size_t at = 0;
  for (size_t i = 0; i <= ncuts && !sc->end && !sc->stuck; i++) {
    size_t to = i < ncuts ? cuts[i] : in->len;
    unsigned char *c = unit_copy(in->p + at, to - at);
    const unsigned char *p = c, *end = c + (to - at);
    unsigned spins = 0;
    while (p < end && !sc->end) {
      smtpp_data_result r;
      size_t n = smtpp_data_scan(&s, p, end, &r);
      if (n > (size_t)(end - p) || (n == 0 && r.body.len == 0 && !r.end &&
                                    ++spins > 2)) {
        sc->stuck = 1;
        break;
      }
      if (r.body.len) bbuf_add(&sc->body, r.body.p, r.body.len);
      if (r.line_too_long) sc->too_long = 1;
      if (r.end) sc->end = 1;
      p += n;
      sc->consumed += n;
    }
    free(c);
    at = to;
  }
}

static void test_data(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bbuf in = {0}, want = {0};
    assert_int_equal(unit_expand(cases[i].in, &in), 0);
    assert_int_equal(unit_expand(cases[i].body, &want), 0);
    size_t want_consumed =
        cases[i].consumed < 0 ? in.len : (size_t)cases[i].consumed;
    size_t n = in.len;
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    for (int mode = 0; mode < 4 && !bad; mode++) {
      size_t runs = mode < 2 ? 1 : mode == 2 ? (n > 1 ? n - 1 : 0)
                                             : (n < 60 ? n * n : 0);
      for (size_t r = 0; r < runs && !bad; r++) {
        size_t nc = 0;
        if (mode == 1)
          for (size_t k = 1; k < n; k++) cuts[nc++] = k;
        else if (mode == 2)
          cuts[nc++] = r + 1;
        else if (mode == 3) {
          size_t a = r / n, b = r % n;
          if (a == 0 || b <= a) continue;
          cuts[nc++] = a;
          cuts[nc++] = b;
        }
        scan sc;
        run(&in, cuts, nc, &sc);
        if (sc.stuck || sc.end != cases[i].end ||
            sc.too_long != cases[i].too_long ||
            sc.consumed != want_consumed || sc.body.len != want.len ||
            memcmp(sc.body.p, want.p, want.len) != 0) {
          dlg_print("data case %zu \"%s\", %s:\n"
                        "  expected end=%d too_long=%d consumed=%zu body=\"%s\"\n",
                        i, cases[i].in,
                        mode == 0 ? "whole" : mode == 1 ? "one octet at a time"
                                                        : "split",
                        cases[i].end, cases[i].too_long, want_consumed,
                        unit_show(want.p, want.len));
          dlg_print("  got      end=%d too_long=%d consumed=%zu body=\"%s\"%s\n",
                        sc.end, sc.too_long, sc.consumed,
                        unit_show(sc.body.p, sc.body.len),
                        sc.stuck ? " (no progress)" : "");
          if (mode >= 2) {
            dlg_print("  cuts:");
            for (size_t k = 0; k < nc; k++) dlg_print(" %zu", cuts[k]);
            dlg_print("\n");
          }
          bad = 1;
        }
        bbuf_free(&sc.body);
      }
    }
    free(cuts);
    bbuf_free(&in);
    bbuf_free(&want);
  }
  assert_false(bad);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data),
  };
  return cmocka_run_group_tests_name("data", tests, NULL, NULL);
}
