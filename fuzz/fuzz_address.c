/*
 * fuzz_address.c - paths, domains and address literals (parser/src/
 * address.c) against the model's restatement of RFC 5321 4.1.2/4.1.3 and
 * the limits of 4.5.3.1.1-3.  Octet 0: bits 0-1 what (path, Domain,
 * address-literal), bit 2 UTF-8 allowed, bit 3 "<>" allowed, bit 4
 * "<Postmaster>" allowed.  Verdicts must agree; errors must carry the same
 * reply (code and enhanced code) as the model's, or its alternative.
 */
#include "fuzz_fail.h"
#include "guard.h"
#include "internal.h"
#include "model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_HARNESS static int same_reply(int a, int b) {
  return a && b && model_err_code(a) == model_err_code(b) &&
         strcmp(model_err_enh(a), model_err_enh(b)) == 0;
}

FUZZ_HARNESS int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  unsigned sel = data[0];
  int utf8 = (sel >> 2) & 1;
  size_t n = size - 1;
  static oguard guard;
  const uint8_t *p = oguard_copy(&guard, data + 1, n); /* exact size: over-reads trap */
  switch (sel & 3) {
  case 0: {
    unsigned pf = (utf8 ? SMTPP_ADDR_UTF8 : 0) |
                  ((sel & 8) ? SMTPP_ADDR_ALLOW_NULL : 0) |
                  ((sel & 16) ? SMTPP_ADDR_POSTMASTER : 0);
    unsigned mf = ((sel & 8) ? MODEL_PATH_NULL_OK : 0) |
                  ((sel & 16) ? MODEL_PATH_POSTMASTER : 0);
    smtpp_path out;
    const unsigned char *after = NULL;
    int err = smtpp_parse_path(p, p + n, pf, &out, &after);
    size_t used;
    int alt, want = model_path(p, n, mf, utf8, &used, &alt, NULL);
    if (!err != !want)
      FUZZ_FAIL("path: parser %s, model %s", smtpp_err_name(err), smtpp_err_name(want));
    if (!err && (size_t)(after - p) != used)
      FUZZ_FAIL("path ends at %zu, model %zu", (size_t)(after - p), used);
    if (err && !same_reply(err, want) && !same_reply(err, alt))
      FUZZ_FAIL("path: parser %s, model %s or %s", smtpp_err_name(err),
                smtpp_err_name(want), smtpp_err_name(alt));
    break;
  }
  case 1: {
    int tl, err = smtpp_check_domain(p, p + n, utf8);
    int want = model_domain(p, n, utf8, &tl);
    if (!err != !(want || tl))
      FUZZ_FAIL("domain: parser %s, model %s (too long %d)", smtpp_err_name(err),
                smtpp_err_name(want), tl);
    if (err && !same_reply(err, want) &&
        !(tl && same_reply(err, SMTPP_ERR_DOMAIN_TOO_LONG)))
      FUZZ_FAIL("domain: parser %s, model %s", smtpp_err_name(err), smtpp_err_name(want));
    break;
  }
  default: {
    int err = smtpp_check_address_literal(p, p + n);
    int want = model_literal(p, n);
    if (!err != !want)
      FUZZ_FAIL("literal: parser %s, model %s", smtpp_err_name(err), smtpp_err_name(want));
    break;
  }
  }
  return 0;
}
