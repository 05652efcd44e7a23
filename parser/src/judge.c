/*
 * judge.c - the judge: what every command line goes through before its
 * verb sees its arguments, in the order of docs/PROTOCOL.md "How a line is
 * judged" (first match wins):
 *   0 a BDAT line that cannot be obeyed exactly: 421 and close (RFC 3030 2)
 *   1 over its limit: 500 (RFC 5321 4.5.3.1.4)
 *   2 unknown verb: 500 (4.2.4)
 *   3 verb not followed by SP or the end, bare CR/LF/NUL: 501 (2.3.8)
 *   4 extension not configured: 502
 *   5 out of sequence: 503, state unchanged (4.1.4, 3.3) -- from the one
 *     command table (commands.c: allowed states and flags)
 *   6 the verb's own check (verbs_*.c): arguments, event, reply.
 * A refused line gets its reply here (smtpp_refuse), counted toward the
 * error budget.
 */
#include "internal.h"

#include <string.h>

/* An error reply that counts toward the error budget. */
static int counts_as_error(int err) {
  int code = smtpp_err_code(err);
  return code == 500 || code == 501 || code == 502 || code == 503 ||
         code == 504 || code == 555;
}

void smtpp_refuse(smtpp_session *s, int err, int verb, smtpp_event *ev) {
  (void)smtpp_reply_err(s, err, verb);
  if (ev) {
    memset(ev, 0, sizeof *ev);
    ev->type = SMTPP_EV_PROTOCOL_ERROR;
    ev->verb = verb;
    ev->error = err;
  }
  if (counts_as_error(err) && ++s->nerrors >= smtpp_max_errors(s)) {
    /* Error budget spent: close with 421 (RFC 5321 3.8). */
    (void)smtpp_reply_err(s, SMTPP_ERR_TOO_MANY_ERRORS, SMTPP_VERB_NONE);
    smtpp_close(s);
  }
}

/* Line limit of a verb (RFC 5321 4.5.3.1.4 plus the extension grants). */
size_t smtpp_line_limit(const smtpp_session *s, int verb) {
  uint32_t ext = s->cfg->extensions;
  size_t lim = 512;
  if (s->cfg->lenient & SMTPP_LENIENT_LONG_LINES)
    return SMTPP_LINE_MAX;
  if (s->helo_kind != SMTPP_HK_EHLO)
    return lim;
  if (verb == SMTPP_VERB_MAIL) {
    if (ext & SMTPP_EXT_SIZE)
      lim += 26; /* RFC 1870 3 */
    if (ext & SMTPP_EXT_DSN)
      lim += 100; /* RFC 3461 5: RET, ENVID */
    if (ext & SMTPP_EXT_SMTPUTF8)
      lim += 10; /* RFC 6531 3.4 */
    if (ext & SMTPP_EXT_AUTH)
      lim += 500; /* RFC 4954 5 */
  } else if (verb == SMTPP_VERB_RCPT) {
    if (ext & SMTPP_EXT_DSN)
      lim += 500; /* RFC 3461 5: NOTIFY, ORCPT */
    if (ext & SMTPP_EXT_SMTPUTF8)
      lim += 10; /* RFC 6531 3.4 */
  } else if (verb == SMTPP_VERB_AUTH && (ext & SMTPP_EXT_AUTH)) {
    /* RFC 4954 4: a server handles SASL responses of any size its
     * mechanisms produce, "independent of any line length limitations";
     * the initial response is one: the whole line buffer. */
    return SMTPP_LINE_MAX;
  }
  return lim;
}

/* Eight octets at a time (SWAR): a word of the line, loaded unaligned. */
static uint64_t load8(const unsigned char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

static uint32_t load4(const unsigned char *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The tail of a range is read as one word that overlaps octets already
 * looked at (8 or more octets), or as two overlapping halves (4 to 7):
 * the test is about presence, so looking at an octet twice is harmless
 * and no octet outside [p, end) is read. */
int smtpp_has_8bit(const unsigned char *p, const unsigned char *end) {
  if (end - p >= 8) {
    for (; end - p > 8; p += 8)
      if (load8(p) & HIGHS)
        return 1;
    return (load8(end - 8) & HIGHS) != 0;
  }
  if (end - p >= 4)
    return ((load4(p) | load4(end - 4)) & 0x80808080u) != 0;
  for (; p < end; p++)
    if (*p >= 0x80)
      return 1;
  return 0;
}

/* A word with no octet below 0x0E cannot hold a CR, LF or NUL; this test
 * never misses such an octet (it may flag a word without one, which the
 * octet-by-octet look then clears). */
static int maybe_cr_lf_nul(uint64_t w) {
  return ((w - 0x0E * ONES) & ~w & HIGHS) != 0;
}

static int octets_cr_lf_nul(const unsigned char *p, const unsigned char *end) {
  for (; p < end; p++)
    if (*p == '\r' || *p == '\n' || *p == '\0')
      return 1;
  return 0;
}

/* Whether [p, end) holds a CR, an LF or a NUL (RFC 5321 2.3.8), a word at
 * a time; the tail as in smtpp_has_8bit(). */
static int has_cr_lf_nul(const unsigned char *p, const unsigned char *end) {
  if (end - p >= 8) {
    for (; end - p > 8; p += 8)
      if (maybe_cr_lf_nul(load8(p)) && octets_cr_lf_nul(p, p + 8))
        return 1;
    return maybe_cr_lf_nul(load8(end - 8)) && octets_cr_lf_nul(end - 8, end);
  }
  if (end - p >= 4 &&
      !maybe_cr_lf_nul(load4(p) | (uint64_t)load4(end - 4) << 32))
    return 0;
  return octets_cr_lf_nul(p, end);
}

/* Whether [p, end) starts with the verb BDAT: "BDAT" and then no letter. */
static int bdat_at(const unsigned char *p, const unsigned char *end) {
  return end - p >= 4 && smtpp_ci_prefix(p, end, "BDAT") &&
         (end - p == 4 || !SMTPP_IS(p[4], SMTPP_C_ALPHA));
}

/* Whether some framing could read [l, end) as a BDAT command: its verb is
 * BDAT, or a BDAT follows a bare CR or LF in it (a peer that ends lines
 * there would take the octets after it as a chunk). */
static int could_be_bdat(const unsigned char *l, const unsigned char *end) {
  if (bdat_at(l, end))
    return 1;
  for (const unsigned char *q = l; q < end; q++)
    if ((*q == '\r' || *q == '\n') && bdat_at(q + 1, end))
      return 1;
  return 0;
}

/* RFC 3030 2: the octets after a BDAT line are a chunk, so a BDAT line
 * must be obeyed exactly or the session must end: resynchronising on the
 * chunk would run its octets as commands (smuggling).  Refused with 421
 * (RFC 5321 3.8) and closed.  Returns 1 if the line was refused. */
static int bdat_refused(smtpp_session *s, const unsigned char *l, size_t len,
                        const unsigned char *end, int too_long, int bad_octet,
                        smtpp_event *ev) {
  uint64_t size;
  int last;
  if (!too_long && !bad_octet &&
      len + 2 <= smtpp_line_limit(s, SMTPP_VERB_BDAT) && end - l > 5 &&
      l[4] == ' ' && smtpp_bdat_args(l + 5, end, &size, &last) == 0)
    return 0;
  (void)smtpp_reply_err(s, SMTPP_ERR_BDAT_SYNTAX, SMTPP_VERB_BDAT);
  if (ev) {
    ev->type = SMTPP_EV_PROTOCOL_ERROR;
    ev->verb = SMTPP_VERB_BDAT;
    ev->error = SMTPP_ERR_BDAT_SYNTAX;
  }
  smtpp_close(s);
  return 1;
}

/* Step 5: whether verb is in sequence, read from the command table. */
static int in_sequence(const smtpp_session *s, const smtpp_command *c) {
  if (!(c->allowed & SMTPP_IN(s->state)))
    return 0;
  if ((c->flags & SMTPP_CF_NEEDS_EHLO) && s->helo_kind != SMTPP_HK_EHLO)
    return 0;
  if ((c->flags & SMTPP_CF_NOT_IN_TLS) && s->tls_active)
    return 0;
  return !((c->flags & SMTPP_CF_NOT_AUTHED) && s->authenticated);
}

void smtpp_judge_line(smtpp_session *s, const smtpp_line_result *lr,
                      smtpp_event *ev) {
  const unsigned char *l = lr->line;
  size_t len = lr->len;
  int too_long = lr->too_long;
  const unsigned char *end = l + len;
  if ((s->cfg->lenient & SMTPP_LENIENT_TRAILING_SP) && !too_long)
    while (end > l && end[-1] == ' ')
      end--;
  size_t vlen;
  int verb = smtpp_verb_lookup(l, end, &vlen);
  int bad_octet = lr->clean ? 0 : has_cr_lf_nul(l, l + len);
  if ((s->cfg->extensions & SMTPP_EXT_CHUNKING) &&
      (verb == SMTPP_VERB_BDAT || (bad_octet && could_be_bdat(l, end))) &&
      bdat_refused(s, l, len, end, too_long, bad_octet, ev))
    return;
  /* every limit is at least 512 (RFC 5321 4.5.3.1.4): only a longer line
   * needs its verb's grants worked out */
  if (too_long || (len + 2 > 512 && len + 2 > smtpp_line_limit(s, verb))) {
    int auth = verb == SMTPP_VERB_AUTH && (s->cfg->extensions & SMTPP_EXT_AUTH);
    smtpp_refuse(s, auth ? SMTPP_ERR_AUTH_TOO_LONG : SMTPP_ERR_LINE_TOO_LONG,
                 verb, ev);
    return;
  }
  if (verb == SMTPP_VERB_NONE) {
    smtpp_refuse(s, SMTPP_ERR_UNKNOWN_COMMAND, verb, ev);
    return;
  }
  const unsigned char *a = l + vlen;
  const smtpp_command *c = &smtpp_commands[verb];
  /* NOOP takes a TAB for the SP: its text is ignored (RFC 5321 4.1.1.9) */
  if (a < end && *a != ' ' && !((c->flags & SMTPP_CF_ANY_TEXT) && *a == '\t')) {
    int bad = *a == '\r' || *a == '\n' || *a == '\0';
    smtpp_refuse(s, bad ? SMTPP_ERR_BARE_CR_LF : SMTPP_ERR_SYNTAX, verb, ev);
    return;
  }
  if (bad_octet) { /* RFC 5321 2.3.8: CR and LF only as CRLF; NUL never */
    smtpp_refuse(s, SMTPP_ERR_BARE_CR_LF, verb, ev);
    return;
  }
  if (c->needs_ext && !(s->cfg->extensions & c->needs_ext)) {
    smtpp_refuse(s, SMTPP_ERR_NOT_IMPLEMENTED, verb, ev);
    return;
  }
  int has_arg = a < end; /* then *a is SP (or NOOP's TAB) */
  const unsigned char *arg = has_arg ? a + 1 : end;
  if (!in_sequence(s, c)) {
    /* BDAT out of sequence: its chunk is read and thrown away first
     * (RFC 3030 2); its line passed bdat_refused(), so n is known. */
    if (verb == SMTPP_VERB_BDAT)
      smtpp_bdat_discard(s, arg, end);
    else
      smtpp_refuse(s, SMTPP_ERR_BAD_SEQUENCE, verb, ev);
    return;
  }
  if (((c->flags & SMTPP_CF_NO_ARGS) && has_arg) ||
      ((c->flags & SMTPP_CF_ARG_REQUIRED) && arg == end)) {
    smtpp_refuse(s, SMTPP_ERR_SYNTAX, verb, ev);
    return;
  }
  if (ev) {
    ev->type = SMTPP_EV_COMMAND;
    ev->verb = verb;
    if (c->flags & SMTPP_CF_GROUP_END)
      ev->flags |= SMTPP_EVF_GROUP_END;
    ev->arg = smtpp_slice_of(arg, (size_t)(end - arg));
  }
  int err = c->check(s, verb, arg, end, ev);
  if (err)
    smtpp_refuse(s, err, verb, ev);
}
