/*
 * fuzz_params.c - ESMTP parameters (parser/src/params.c) against the
 * model (RFC 5321 4.1.2, RFC 1870, 3461, 4954, 6152, 6531).
 * Octet 0: bit 0 verb (MAIL/RCPT), bits 1-3 SIZE limit; octet 1: the
 * offered extensions.  The rest starts at the first SP.  The verdict must
 * give the same reply (code and enhanced code).
 */
#include "fuzz_fail.h"
#include "guard.h"
#include "internal.h"
#include "model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t limits[8] = {0, 1, 999, 1000, 10485760, 18446744073709551614u,
                                   18446744073709551615u, 100000};

FUZZ_HARNESS int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t sel[2]; /* missing octets: MAIL, no SIZE limit or extension */
  fuzz_selector(&data, &size, sel, sizeof sel);
  int verb = (data[0] & 1) ? SMTPP_VERB_RCPT : SMTPP_VERB_MAIL;
  uint64_t max = limits[(data[0] >> 1) & 7];
  uint32_t offered = data[1] | ((data[0] & 0x10u) ? SMTPP_EXT_AUTH : 0);
  size_t n = size - 2;
  static oguard guard;
  const uint8_t *p = oguard_copy(&guard, data + 2, n); /* exact size: over-reads trap */
  smtpp_params got;
  model_params want;
  int err = smtpp_parse_params(p, p + n, verb, offered, max, 0, &got);
  int merr = model_params_check(p, n, verb, offered, max, 0, &want);
  if (model_err_code(err) != model_err_code(merr) ||
      strcmp(model_err_enh(err), model_err_enh(merr)) != 0)
    FUZZ_FAIL("params: parser %s, model %s", smtpp_err_name(err), smtpp_err_name(merr));
  if (!err && (got.smtputf8 != want.smtputf8 || got.has_size != want.has_size ||
               (got.has_size && got.size != want.size)))
    FUZZ_FAIL("params decoded differently (SMTPUTF8 %d/%d, SIZE %llu/%llu)",
              got.smtputf8, want.smtputf8, (unsigned long long)got.size,
              (unsigned long long)want.size);
  return 0;
}
