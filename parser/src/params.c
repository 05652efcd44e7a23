/*
 * params.c - ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2:
 * esmtp-param = esmtp-keyword ["=" esmtp-value], keywords case-insensitive).
 *
 * Unknown, or of an extension not offered (or any in a HELO session): 555
 * (RFC 5321 4.1.1.11, 4.2.4).  Malformed value of a known one: 501.  A
 * parameter given twice: 501.  SIZE over the limit: 552 (RFC 1870 6.1),
 * reported only when every parameter is otherwise well formed.
 */
#include "internal.h"

#include <string.h>

enum {
  P_SIZE, P_BODY, P_SMTPUTF8, P_RET, P_ENVID, P_AUTH, P_NOTIFY, P_ORCPT,
  P__COUNT
};

static const struct {
  const char *name;
  int verb;
  uint32_t ext;
} param_table[P__COUNT] = {
  [P_SIZE] = {"SIZE", SMTPP_VERB_MAIL, SMTPP_EXT_SIZE},         /* RFC 1870 */
  [P_BODY] = {"BODY", SMTPP_VERB_MAIL, SMTPP_EXT_8BITMIME},     /* RFC 6152 */
  [P_SMTPUTF8] = {"SMTPUTF8", SMTPP_VERB_MAIL, SMTPP_EXT_SMTPUTF8}, /* 6531 */
  [P_RET] = {"RET", SMTPP_VERB_MAIL, SMTPP_EXT_DSN},            /* RFC 3461 */
  [P_ENVID] = {"ENVID", SMTPP_VERB_MAIL, SMTPP_EXT_DSN},
  [P_AUTH] = {"AUTH", SMTPP_VERB_MAIL, SMTPP_EXT_AUTH},         /* RFC 4954 */
  [P_NOTIFY] = {"NOTIFY", SMTPP_VERB_RCPT, SMTPP_EXT_DSN},
  [P_ORCPT] = {"ORCPT", SMTPP_VERB_RCPT, SMTPP_EXT_DSN},
};

#define ENVID_MAX 100u /* RFC 3461 4.4 */
#define ORCPT_MAX 500u /* RFC 3461 4.2 */
#define AUTH_MAX 500u  /* RFC 4954 5 */

/* ci: lower-case a-f too. */
static int hexval(unsigned char c, int ci) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (ci && c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* xtext = *( xchar / hexchar ); the decoded octets must not hold CR, LF or
 * NUL: they end up in DSNs and logs (Exim CVE-2020-28015, -28021, -28022).
 * RFC 3461 4 writes hexchar with upper-case A-F; RFC 4954 5 reads the
 * AUTH= xtext with case-insensitive hex (ci). */
int smtpp_check_xtext(const unsigned char *p, const unsigned char *end,
                      int ci) {
  while (p < end) {
    if (*p == '+') {
      if (end - p < 3)
        return SMTPP_ERR_BAD_PARAM;
      int hi = hexval(p[1], ci), lo = hexval(p[2], ci);
      if (hi < 0 || lo < 0)
        return SMTPP_ERR_BAD_PARAM;
      int v = hi * 16 + lo;
      if (v == 0 || v == '\r' || v == '\n')
        return SMTPP_ERR_BAD_PARAM;
      p += 3;
    } else if (SMTPP_IS(*p, SMTPP_C_XCHAR)) {
      p++;
    } else {
      return SMTPP_ERR_BAD_PARAM;
    }
  }
  return 0;
}

static int check_notify(const unsigned char *v, const unsigned char *end,
                        uint8_t *bits) {
  /* "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 4.1) */
  *bits = 0;
  if (smtpp_ci_eq(v, (size_t)(end - v), "NEVER")) {
    *bits = SMTPP_NOTIFY_NEVER;
    return 0;
  }
  for (;;) { /* v < end: the value is never empty, nor after a comma */
    const unsigned char *c = memchr(v, ',', (size_t)(end - v));
    const unsigned char *e = c ? c : end;
    uint8_t bit;
    if (smtpp_ci_eq(v, (size_t)(e - v), "SUCCESS"))
      bit = SMTPP_NOTIFY_SUCCESS;
    else if (smtpp_ci_eq(v, (size_t)(e - v), "FAILURE"))
      bit = SMTPP_NOTIFY_FAILURE;
    else if (smtpp_ci_eq(v, (size_t)(e - v), "DELAY"))
      bit = SMTPP_NOTIFY_DELAY;
    else
      return SMTPP_ERR_BAD_PARAM;
    if (*bits & bit)
      return SMTPP_ERR_BAD_PARAM;
    *bits |= bit;
    if (c == NULL)
      return 0;
    v = c + 1;
    if (v == end)
      return SMTPP_ERR_BAD_PARAM; /* trailing comma */
  }
}

/* RFC 6533 3: the address of ORCPT=utf-8; is utf-8-addr-xtext or (after
 * MAIL ... SMTPUTF8, when the value scanner let UTF-8 through, RFC 6531
 * 3.3) utf-8-addr-unitext: QCHAR (printable ASCII but "+", "=", "\"),
 * UTF-8, and EmbeddedUnicodeChar "\x{" 2*6HEXDIG "}".  A decoded CR, LF
 * or NUL is refused as in xtext. */
static int check_utf8_addr(const unsigned char *p, const unsigned char *end) {
  while (p < end) {
    if (*p == '\\') {
      const unsigned char *h = p + 3;
      if (end - p < 6 || p[1] != 'x' || p[2] != '{')
        return SMTPP_ERR_BAD_PARAM;
      unsigned long v = 0;
      while (h < end && h - p < 9 && hexval(*h, 1) >= 0)
        v = v * 16 + (unsigned long)hexval(*h++, 1);
      if (h - p < 5 || h >= end || *h != '}' || v == 0 || v == '\r' ||
          v == '\n' || v > 0x10FFFF)
        return SMTPP_ERR_BAD_PARAM;
      p = h + 1;
    } else if (*p >= 0x80) {
      size_t n = smtpp_utf8_seq(p, end); /* > 0: the scanner checked it */
      p += n ? n : 1;
    } else if (SMTPP_IS(*p, SMTPP_C_ESMTPV) && *p != '+') {
      p++;
    } else {
      return SMTPP_ERR_BAD_PARAM;
    }
  }
  return 0;
}

static int check_value(int id, const unsigned char *v, const unsigned char *end,
                       smtpp_params *out) {
  size_t n = (size_t)(end - v);
  switch (id) {
  case P_SIZE: { /* size-value = 1*20DIGIT (RFC 1870 5) */
    if (n > 20) /* never empty: smtpp_parse_params() */
      return SMTPP_ERR_BAD_PARAM;
    uint64_t x = 0;
    for (; v < end; v++) {
      if (!SMTPP_IS(*v, SMTPP_C_DIGIT))
        return SMTPP_ERR_BAD_PARAM;
      unsigned d = (unsigned)(*v - '0');
      x = (x > (UINT64_MAX - d) / 10) ? UINT64_MAX : x * 10 + d;
    }
    out->size = x;
    out->has_size = 1;
    return 0;
  }
  case P_BODY:
    if (smtpp_ci_eq(v, n, "7BIT"))
      out->body = SMTPP_BODY_7BIT;
    else if (smtpp_ci_eq(v, n, "8BITMIME"))
      out->body = SMTPP_BODY_8BITMIME;
    else if (smtpp_ci_eq(v, n, "BINARYMIME"))
      return SMTPP_ERR_UNKNOWN_PARAM; /* RFC 3030 3 not offered: "cannot
                                         implement", RFC 5321 4.1.1.11 */
    else
      return SMTPP_ERR_BAD_PARAM;
    return 0;
  case P_RET:
    if (smtpp_ci_eq(v, n, "FULL"))
      out->ret = SMTPP_RET_FULL;
    else if (smtpp_ci_eq(v, n, "HDRS"))
      out->ret = SMTPP_RET_HDRS;
    else
      return SMTPP_ERR_BAD_PARAM;
    return 0;
  case P_ENVID: /* values are never empty: smtpp_parse_params() */
    if (n > ENVID_MAX)
      return SMTPP_ERR_BAD_PARAM;
    out->envid.p = v;
    out->envid.len = n;
    return smtpp_check_xtext(v, end, 0);
  case P_AUTH: /* "<>" or xtext of a mailbox (RFC 4954 5) */
    out->auth.p = v;
    out->auth.len = n;
    if (n == 2 && v[0] == '<' && v[1] == '>')
      return 0;
    if (n > AUTH_MAX)
      return SMTPP_ERR_BAD_PARAM;
    return smtpp_check_xtext(v, end, 1);
  case P_NOTIFY:
    return check_notify(v, end, &out->notify);
  default: /* P_ORCPT (SMTPUTF8 takes no value and never comes here) */
  { /* addr-type ";" xtext (RFC 3461 4.2) */
    const unsigned char *semi = memchr(v, ';', n);
    if (n > ORCPT_MAX || semi == NULL || semi == v || semi + 1 == end)
      return SMTPP_ERR_BAD_PARAM;
    for (const unsigned char *t = v; t < semi; t++)
      if (!SMTPP_IS(*t, SMTPP_C_ATEXT))
        return SMTPP_ERR_BAD_PARAM;
    out->orcpt_type.p = v;
    out->orcpt_type.len = (size_t)(semi - v);
    out->orcpt.p = semi + 1;
    out->orcpt.len = (size_t)(end - semi - 1);
    if (smtpp_ci_eq(v, (size_t)(semi - v), "UTF-8"))
      return check_utf8_addr(semi + 1, end);
    return smtpp_check_xtext(semi + 1, end, 0);
  }
  }
}

int smtpp_parse_params(const unsigned char *p, const unsigned char *end,
                       int verb, uint32_t offered, uint64_t max_size,
                       int utf8, smtpp_params *out) {
  unsigned seen = 0;
  memset(out, 0, sizeof *out);
  while (p < end) {
    if (*p != ' ')
      return SMTPP_ERR_SYNTAX;
    p++;
    /* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
    const unsigned char *kw = p;
    if (p >= end || !SMTPP_IS(*p, SMTPP_C_ALPHA | SMTPP_C_DIGIT))
      return SMTPP_ERR_SYNTAX;
    while (p < end && (SMTPP_IS(*p, SMTPP_C_ALPHA | SMTPP_C_DIGIT) || *p == '-'))
      p++;
    const unsigned char *kw_end = p;
    const unsigned char *val = NULL, *val_end = NULL;
    if (p < end && *p == '=') {
      val = ++p;
      /* esmtp-value = 1*(%d33-60 / %d62-126), and UTF8-non-ascii in a
       * SMTPUTF8 transaction (RFC 6531 3.3) */
      while (p < end) {
        size_t n = SMTPP_IS(*p, SMTPP_C_ESMTPV) ? 1
                   : (utf8 && *p >= 0x80) ? smtpp_utf8_seq(p, end) : 0;
        if (n == 0)
          break;
        p += n;
      }
      val_end = p;
      if (val == val_end)
        return SMTPP_ERR_SYNTAX;
    }
    if (p < end && *p != ' ')
      return SMTPP_ERR_SYNTAX;
    int id = -1;
    for (int i = 0; i < P__COUNT; i++)
      if (smtpp_ci_eq(kw, (size_t)(kw_end - kw), param_table[i].name)) {
        id = i;
        break;
      }
    if (id < 0 || param_table[id].verb != verb || !(offered & param_table[id].ext))
      return SMTPP_ERR_UNKNOWN_PARAM;
    if (seen & (1u << id))
      return SMTPP_ERR_DUP_PARAM;
    seen |= 1u << id;
    if (id == P_SMTPUTF8) {
      if (val != NULL)
        return SMTPP_ERR_BAD_PARAM;
      out->smtputf8 = 1;
      continue;
    }
    if (val == NULL)
      return SMTPP_ERR_BAD_PARAM;
    int err = check_value(id, val, val_end, out);
    if (err)
      return err;
  }
  if (out->has_size && max_size != 0 && out->size > max_size)
    return SMTPP_ERR_SIZE_EXCEEDED;
  return 0;
}
