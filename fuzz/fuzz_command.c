/*
 * fuzz_command.c - command lines judged in every session state.  Octet 0
 * picks the state the lines arrive in (a fixed prefix: nothing, HELO,
 * EHLO, EHLO+MAIL, EHLO+MAIL+RCPT, the same with SMTPUTF8) and octet 1 the
 * leniencies; the rest are command lines, run through the whole oracle
 * (one piece and every line split in two), plus the verb lookup against
 * the model's.
 */
#include "fuzz_fail.h"
#include "guard.h"
#include "internal.h"
#include "oracle.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[8] = {
  "",
  "HELO a.example\r\n",
  "EHLO a.example\r\n",
  "EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n",
  "EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\n",
  "EHLO a.example\r\nMAIL FROM:<a@a.example> SMTPUTF8\r\n",
  "HELO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\n",
  "EHLO [127.0.0.1]\r\nMAIL FROM:<> SIZE=10\r\nRCPT TO:<postmaster>\r\n",
};

FUZZ_HARNESS int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192)
    return 0;
  uint8_t sel[2]; /* missing octets: no prefix, strict, no lines */
  fuzz_selector(&data, &size, sel, sizeof sel);
  size_t vlen, mlen;
  int v = smtpp_verb_lookup(data + 2, data + size, &vlen);
  int mv = model_verb(data + 2, size - 2, &mlen);
  if (v != mv || vlen != mlen)
    FUZZ_FAIL("verb %d/%zu, model %d/%zu", v, vlen, mv, mlen);

  const char *pre = prefixes[sel[0] & 7];
  size_t pl = strlen(pre), n = pl + size - 2;
  static oguard guard; /* exact size: the whole run's over-reads trap */
  uint8_t *in = oguard_place(&guard, n);
  memcpy(in, pre, pl);
  memcpy(in + pl, data + 2, size - 2);
  smtpp_config cfg;
  smtpp_config_default(&cfg);
  cfg.lenient = sel[1] & 0x1fu;
  if (sel[1] & 0x20u)
    cfg.extensions |= SMTPP_EXT_AUTH | SMTPP_EXT_STARTTLS;
  if (sel[1] & 0x40u)
    cfg.extensions &= ~(uint32_t)(SMTPP_EXT_DSN | SMTPP_EXT_SIZE | SMTPP_EXT_SMTPUTF8);
  size_t split = pl + (size - 2) / 2;
  oracle_report rep;
  if (oracle_run(&cfg, in, n, &split, 1, NULL, &rep)) {
    oracle_report_print(&rep, stderr);
    abort();
  }
  return 0;
}
