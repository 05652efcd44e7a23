/* fuzz_config.c - decodes the selector octets (fuzz_config.h, README.md). */
#include "fuzz_config.h"
#include "fuzz_fail.h" /* FUZZ_HARNESS */

#include <string.h>

/* SIZE limits: boundaries a few octets into a body, and the default. */
static const uint64_t sizes[8] = {10u * 1024u * 1024u, 0, 1, 5, 64, 1000,
                                  2000, UINT64_MAX};
/* error budgets: 0 means the default (20) */
static const uint32_t budgets[8] = {0, 1, 2, 3, 5, 10, 100, 0xffffffffu};

FUZZ_HARNESS int fuzz_select(const uint8_t *data, size_t size, fuzz_setup *fs) {
  /* An input shorter than the selector reads its missing octets as 0 (the
   * default config) and has no client bytes: even the one-byte input of
   * OSS-Fuzz's build check runs a session (its greeting) and so reaches
   * the instrumented parser.  Longer inputs are read as they always were. */
  uint8_t d[FUZZ_SELECTOR] = {0};
  size_t pos = size < FUZZ_SELECTOR ? size : FUZZ_SELECTOR;
  if (pos)
    memcpy(d, data, pos);
  memset(fs, 0, sizeof *fs);
  smtpp_config_default(&fs->cfg);
  /* octet 0: extension bits 0-7, flipped against the default set */
  fs->cfg.extensions = (uint32_t)(d[0] ^ (SMTPP_EXT_DEFAULT & 0xffu));
  /* octet 1: bit 0 AUTH, bits 1-5 leniencies, bit 6 mechanisms list */
  if (d[1] & 1u)
    fs->cfg.extensions |= SMTPP_EXT_AUTH;
  fs->cfg.lenient = (uint32_t)((d[1] >> 1) & 0x1fu);
  fs->cfg.auth_mechanisms = (d[1] & 0x40u) ? "PLAIN LOGIN CRAM-MD5" : NULL;
  /* octet 2: SIZE limit (bits 0-2), error budget (bits 3-5), recipient cap
   * (bit 6: 100 or 101) */
  fs->cfg.max_message_size = sizes[d[2] & 7u];
  fs->cfg.max_errors = budgets[(d[2] >> 3) & 7u];
  fs->cfg.max_recipients = (d[2] & 0x40u) ? 101 : 100;
  /* octet 3: number of split points (bits 0-2); bit 3: a decision tape
   * (one length octet, then that many decision octets) follows them */
  size_t ns = d[3] & 7u;
  if (size - pos < 2 * ns)
    ns = (size - pos) / 2;
  const uint8_t *sp = data + pos;
  pos += 2 * ns;
  /* a tape means a host with a policy; without one the host decides
   * nothing and the defaults apply at once (smtpp.h host_decides) */
  fs->cfg.host_decides = (d[3] & 8u) != 0;
  if ((d[3] & 8u) && pos < size) {
    size_t tl = data[pos++];
    if (tl > size - pos)
      tl = size - pos;
    fs->tape.p = data + pos;
    fs->tape.len = tl;
    pos += tl;
  }
  fs->in = pos ? data + pos : data;
  fs->len = size - pos;
  for (size_t i = 0; i < ns; i++) {
    size_t v = (size_t)sp[2 * i] | ((size_t)sp[2 * i + 1] << 8);
    fs->splits[i] = fs->len ? v % (fs->len + 1) : 0;
  }
  /* sorted, so the chunks follow each other (insertion sort: 7 at most) */
  for (size_t i = 1; i < ns; i++)
    for (size_t j = i; j > 0 && fs->splits[j - 1] > fs->splits[j]; j--) {
      size_t t = fs->splits[j];
      fs->splits[j] = fs->splits[j - 1];
      fs->splits[j - 1] = t;
    }
  fs->nsplits = ns;
  return 1;
}

void fuzz_print_setup(const fuzz_setup *fs, FILE *f) {
  fprintf(f, "config: extensions 0x%x lenient 0x%x size %llu max_errors %u "
             "max_recipients %u auth_mechanisms %s\nsplits:",
          fs->cfg.extensions, fs->cfg.lenient,
          (unsigned long long)fs->cfg.max_message_size, fs->cfg.max_errors,
          fs->cfg.max_recipients,
          fs->cfg.auth_mechanisms ? fs->cfg.auth_mechanisms : "(default)");
  for (size_t i = 0; i < fs->nsplits; i++)
    fprintf(f, " %zu", fs->splits[i]);
  fprintf(f, " (of %zu client octets)\ndecisions%s:", fs->len,
          fs->cfg.host_decides ? "" : " (host_decides 0: no policy)");
  for (size_t i = 0; i < fs->tape.len; i++)
    fprintf(f, " %u", fs->tape.p[i]);
  fprintf(f, "%s\n", fs->tape.len ? "" : " (none: defaults)");
}
