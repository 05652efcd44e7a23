/*
 * fuzz_line.c - line framing (parser/src/line.c and the feed loop's inline
 * common case, smtpp_line_next) against the model's splitter (RFC 5321
 * 2.3.8: CRLF only; a bare LF only with the leniency).  A line reported
 * clean must hold no CR, LF or NUL (the judge then skips that scan).
 * Octet 0: bit 0 bare-LF leniency, bits 1-7 chunk size (0 = one piece).
 * Every line, and every over-long report, must match the model's.
 */
#include "fuzz_fail.h"
#include "guard.h"
#include "internal.h"
#include "model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct line_log {
  bbuf b;
  size_t n;
} line_log;

FUZZ_HARNESS static void log_line(line_log *l, int too_long, const uint8_t *p, size_t n) {
  bbuf_addc(&l->b, (uint8_t)too_long);
  bbuf_add_u64(&l->b, too_long ? 0 : n);
  if (!too_long)
    bbuf_add(&l->b, p, n);
  l->n++;
}

FUZZ_HARNESS int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int bare_lf = data[0] & 1;
  size_t step = data[0] >> 1;
  const uint8_t *in = data + 1;
  size_t len = size - 1;

  static line_log want, got; /* reused: no malloc churn per run */
  bbuf_reset(&want.b);
  bbuf_reset(&got.b);
  want.n = got.n = 0;
  for (size_t pos = 0; pos < len;) { /* the model */
    size_t content, t = model_line(in + pos, len - pos, bare_lf, &content);
    if (t == 0) {
      if (len - pos > MODEL_LINE_BUF)
        log_line(&want, 1, NULL, 0);
      break;
    }
    log_line(&want, t > MODEL_LINE_BUF, in + pos, content);
    pos += t;
  }

  static smtpp_session s; /* static: 3 KiB, zeroed per run below */
  static oguard guard;
  memset(&s, 0, sizeof s);
  smtpp_line_reset(&s);
  for (size_t pos = 0; pos < len;) {
    size_t n = step && len - pos > step ? step : len - pos;
    const uint8_t *chunk = oguard_copy(&guard, in + pos, n); /* exact size: over-reads trap */
    for (size_t q = 0; q < n;) {
      int gotline;
      smtpp_line_result r;
      size_t used = smtpp_line_next(&s, chunk + q, chunk + n, bare_lf, &gotline, &r);
      if (used == 0 || used > n - q)
        FUZZ_FAIL("line_take consumed %zu of %zu", used, n - q);
      q += used;
      if (gotline) {
        if (!r.too_long && r.len > SMTPP_LINE_MAX)
          FUZZ_FAIL("line of %zu octets", r.len);
        for (size_t i = 0; r.clean && i < r.len; i++)
          if (r.line[i] == '\r' || r.line[i] == '\n' || r.line[i] == '\0')
            FUZZ_FAIL("a line said clean holds octet 0x%02x at %zu", r.line[i], i);
        log_line(&got, r.too_long, r.line, r.len);
      }
    }
    pos += n;
  }
  if (want.b.len != got.b.len ||
      (want.b.len && memcmp(want.b.p, got.b.p, want.b.len) != 0))
    FUZZ_FAIL("lines differ: model %zu lines, parser %zu lines (step %zu, bare_lf %d)",
              want.n, got.n, step, bare_lf);
  return 0;
}
