/*
 * test_line.c - unit tests of parser/src/line.c (CRLF-only line framing).
 *
 * Each row: input, bare_lf flag, and the expected lines ("!LONG" marks a
 * line reported too long).  Every row is run fed whole, one octet at a
 * time, split at every point, and (for short inputs) at every pair of
 * points; every run must give exactly the expected lines.  Every chunk is
 * an exact-size heap copy so ASan catches a read past it.
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

#define LONG "!LONG"
#define MAXL 6

static const struct {
  const char *in;
  int bare_lf;
  const char *lines[MAXL]; /* NULL-terminated */
} cases[] = {
    {"HELO x\\r\\n", 0, {"HELO x"}},
    {"A\\r\\nB\\r\\n", 0, {"A", "B"}},
    {"\\r\\n", 0, {""}},
    {"\\r\\n\\r\\n", 0, {"", ""}},
    {"ABC", 0, {NULL}},                    /* incomplete: nothing yet */
    {"A\\r\\nB", 0, {"A"}},
    {"A\\r", 0, {NULL}},
    /* bare LF and bare CR are octets of the line (RFC 5321 2.3.8) */
    {"A\\nB\\r\\n", 0, {"A\\nB"}},
    {"A\\rB\\r\\n", 0, {"A\\rB"}},
    {"A\\r\\r\\n", 0, {"A\\r"}},
    {"A\\n\\r\\n", 0, {"A\\n"}},
    {"\\n\\n\\r\\n", 0, {"\\n\\n"}},
    {"\\n", 0, {NULL}},
    {"A\\n.\\nB\\r\\n", 0, {"A\\n.\\nB"}},
    {"A\\x00B\\r\\n", 0, {"A\\x00B"}},
    {"A\\r\\x00\\n\\r\\n", 0, {"A\\r\\x00\\n"}},
    /* SMTPP_LENIENT_BARE_LF: a bare LF ends the line too */
    {"A\\nB\\r\\n", 1, {"A", "B"}},
    {"A\\n\\r\\n", 1, {"A", ""}},
    {"A\\rB\\n", 1, {"A\\rB"}},
    {"\\n\\n", 1, {"", ""}},
    /* lengths: the line buffer holds SMTPP_LINE_MAX octets with CRLF */
    {"{x*L-2}\\r\\n", 0, {"{x*L-2}"}},
    {"{x*L-2}\\r\\nA\\r\\n", 0, {"{x*L-2}", "A"}},
    {"{x*L-1}\\r\\nNOOP\\r\\n", 0, {LONG, "NOOP"}},
    {"{x*L}\\r\\nNOOP\\r\\n", 0, {LONG, "NOOP"}},
    {"{\\r*L-2}\\r\\n", 0, {"{\\r*L-2}"}},
    {"{x*5000}\\r\\nNOOP\\r\\n", 0, {LONG, "NOOP"}},
    /* an over-long line is reported once and skipped to its CRLF: a bare
     * LF or CR inside it does not end it */
    {"{x*3000}\\n{y*10}\\r\\nNOOP\\r\\n", 0, {LONG, "NOOP"}},
    {"{x*3000}\\r{y*3}\\r\\nA\\r\\n", 0, {LONG, "A"}},
    {"{x*3000}\\r\\r\\nA\\r\\n", 0, {LONG, "A"}},
    {"{x*3000}\\r\\n{z*3000}\\r\\nQ\\r\\n", 0, {LONG, LONG, "Q"}},
    {"{x*3000}", 0, {LONG}},
    {"{x*3000}\\nA\\r\\n", 1, {LONG, "A"}},
    {"{\\r*3000}\\n\\r\\n", 0, {LONG, ""}},
    {"{\\n*3000}\\r\\nA\\r\\n", 0, {LONG, "A"}},
};

typedef struct linelog {
  bbuf log;
  int stuck;
} linelog;

static void take_all(smtpp_session *s, const unsigned char *p, size_t n,
                     int bare_lf, linelog *l) {
  const unsigned char *end = p + n;
  unsigned spins = 0;
  while (p < end) {
    int got = -1;
    smtpp_line_result r;
    size_t used = smtpp_line_take(s, p, end, bare_lf, &got, &r);
    if (used > (size_t)(end - p)) {
      l->stuck = 1;
      return;
    }
    if (used == 0 && ++spins > 2) {
      l->stuck = 1;
      return;
    }
    p += used;
    if (got) {
      if (r.too_long) {
        bbuf_add(&l->log, LONG "\n", sizeof LONG);
      } else {
        bbuf_add_escaped(&l->log, r.line, r.len);
        bbuf_addc(&l->log, '\n');
      }
    }
  }
}

/* Runs in with cuts; returns the log (caller frees). */
static void run(const bbuf *in, const size_t *cuts, size_t ncuts,
                int bare_lf, linelog *l) {
  static smtpp_session s;
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  memset(l, 0, sizeof *l);
  bbuf_add(&l->log, "", 0);
  assert_true(smtpp_init(&s, &cfg) >= 0);
  smtpp_line_reset(&s);
  size_t at = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t to = i < ncuts ? cuts[i] : in->len;
    unsigned char *c = unit_copy(in->p + at, to - at);
    take_all(&s, c, to - at, bare_lf, l);
    free(c);
    at = to;
  }
}

static void test_lines(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bbuf in = {0}, want = {0};
    assert_int_equal(unit_expand(cases[i].in, &in), 0);
    bbuf_add(&want, "", 0);
    for (int k = 0; k < MAXL && cases[i].lines[k]; k++) {
      if (!strcmp(cases[i].lines[k], LONG)) {
        bbuf_add(&want, LONG "\n", sizeof LONG);
        continue;
      }
      bbuf t = {0};
      assert_int_equal(unit_expand(cases[i].lines[k], &t), 0);
      bbuf_add_escaped(&want, t.p, t.len);
      bbuf_addc(&want, '\n');
      bbuf_free(&t);
    }
    size_t n = in.len;
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    /* whole, one octet at a time, every point, every pair (short) */
    for (int mode = 0; mode < 4 && !bad; mode++) {
      size_t runs = mode == 0 || mode == 1 ? 1
                    : mode == 2            ? (n > 1 ? n - 1 : 0)
                    : (n < 40 ? n * n : 0);
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
        linelog l;
        run(&in, cuts, nc, cases[i].bare_lf, &l);
        if (l.stuck || l.log.len != want.len ||
            memcmp(l.log.p, want.p, want.len)) {
          dlg_print("line case %zu \"%s\" (bare_lf %d), %s:\n"
                        "  expected: %s%s\n",
                        i, cases[i].in, cases[i].bare_lf,
                        mode == 0   ? "whole"
                        : mode == 1 ? "one octet at a time"
                                    : "split",
                        unit_show(want.p, want.len),
                        l.stuck ? " (no progress)" : "");
          dlg_print("  got:      %s\n", unit_show(l.log.p, l.log.len));
          if (mode >= 2) {
            dlg_print("  cuts:");
            for (size_t k = 0; k < nc; k++) dlg_print(" %zu", cuts[k]);
            dlg_print("\n");
          }
          bad = 1;
        }
        bbuf_free(&l.log);
      }
    }
    free(cuts);
    bbuf_free(&in);
    bbuf_free(&want);
  }
  assert_false(bad);
}

/* A line that fits in the input with nothing buffered is returned in
 * place; one gathered across calls points into s->line. */
static void test_in_place(void **state) {
  (void)state;
  static smtpp_session s;
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  assert_true(smtpp_init(&s, &cfg) >= 0);
  const unsigned char in[] = "NOOP\r\nRSET\r\n";
  int got;
  smtpp_line_result r;
  size_t n = smtpp_line_take(&s, in, in + 12, 0, &got, &r);
  assert_int_equal(n, 6);
  assert_int_equal(got, 1);
  assert_ptr_equal(r.line, in);
  assert_int_equal(r.len, 4);
  n = smtpp_line_take(&s, in, in + 2, 0, &got, &r);
  assert_int_equal(n, 2);
  assert_int_equal(got, 0);
  n = smtpp_line_take(&s, in + 2, in + 12, 0, &got, &r);
  assert_int_equal(n, 4);
  assert_int_equal(got, 1);
  assert_int_equal(r.len, 4);
  assert_memory_equal(r.line, "NOOP", 4);
  assert_true(r.line >= s.line && r.line < s.line + SMTPP_LINE_MAX);
  /* an empty chunk consumes nothing */
  n = smtpp_line_take(&s, in, in, 0, &got, &r);
  assert_int_equal(n, 0);
  assert_int_equal(got, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_in_place),
  };
  return cmocka_run_group_tests_name("line", tests, NULL, NULL);
}
