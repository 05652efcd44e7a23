/*
 * fuzz_data.c - the DATA body scanner (parser/src/data.c) against the
 * model's unstuffing (RFC 5321 4.5.2), byte for byte: the body delivered,
 * where the message ends (only CRLF.CRLF), and the 1000-octet line flag
 * (4.5.3.1.6).  Octet 0: chunk size (0 = one piece).
 */
#include "fuzz_fail.h"
#include "guard.h"
#include "internal.h"
#include "model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_HARNESS int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t step = data[0];
  const uint8_t *in = data + 1;
  size_t len = size - 1;

  /* the model: up to and including the end of the message */
  static bbuf want, got; /* reused: no malloc churn per run */
  bbuf_reset(&want);
  bbuf_reset(&got);
  model_data md = {0};
  size_t want_end = 0; /* offset after the terminator, 0 if none */
  for (size_t i = 0; i < len && !want_end; i++)
    if (model_data_byte(&md, in[i], &want))
      want_end = i + 1;

  static smtpp_session s;
  static oguard guard;
  memset(&s, 0, sizeof s);
  s.data_state = SMTPP_DS_LINE_START;
  size_t got_end = 0;
  int too_long = 0;
  if (len == 0) {
    /* Nothing to scan: the scanner must deliver nothing and consume
     * nothing (this is also how the one-byte input of OSS-Fuzz's build
     * check reaches the instrumented parser). */
    smtpp_data_result r;
    if (smtpp_data_scan(&s, in, in, &r) != 0 || r.body.len != 0 || r.end)
      FUZZ_FAIL("data_scan of an empty range consumed or delivered something");
  }
  for (size_t pos = 0; pos < len && !got_end;) {
    size_t n = step && len - pos > step ? step : len - pos;
    const uint8_t *chunk = oguard_copy(&guard, in + pos, n); /* exact size: over-reads trap */
    size_t q = 0;
    while (q < n && !got_end) {
      smtpp_data_result r;
      size_t used = smtpp_data_scan(&s, chunk + q, chunk + n, &r);
      if (used > n - q || (used == 0 && r.body.len == 0 && !r.end))
        FUZZ_FAIL("data_scan consumed %zu of %zu", used, n - q);
      q += used;
      bbuf_add(&got, r.body.p, r.body.len);
      too_long |= r.line_too_long;
      if (r.end)
        got_end = pos + q;
    }
    pos += n;
  }
  if (got_end != want_end)
    FUZZ_FAIL("end of message at %zu, model says %zu", got_end, want_end);
  if (got.len != want.len || (got.len && memcmp(got.p, want.p, got.len)))
    FUZZ_FAIL("body differs: %zu octets, model %zu", got.len, want.len);
  if (too_long != md.line_too_long)
    FUZZ_FAIL("line too long %d, model %d", too_long, md.line_too_long);
  return 0;
}
