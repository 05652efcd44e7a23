/*
 * model_params.c - ESMTP parameters of MAIL and RCPT, restated from
 * docs/PROTOCOL.md "Parameters" and the RFCs:
 *   esmtp-param = esmtp-keyword ["=" esmtp-value]       (RFC 5321 4.1.2)
 *   esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 *   esmtp-value = 1*(%d33-60 / %d62-126)
 * Taken left to right; the first bad one decides: grammar 501, unknown or
 * not offered 555 (4.1.1.11), twice 501, bad value 501, BODY=BINARYMIME
 * (not offered) 555; then SIZE over the limit 552 (RFC 1870 6.1).
 */
#include "model.h"

#include <string.h>

static int alnum(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9');
}

static int ci_is(const uint8_t *p, size_t n, const char *lit) {
  if (strlen(lit) != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i];
    if (c != (uint8_t)lit[i])
      return 0;
  }
  return 1;
}

/* xtext (RFC 3461 4): xchar / "+" 2 upper-case hex; decoded never NUL,
 * CR or LF (Exim CVE-2020-28015/28021/28022). */
static int hexv(uint8_t c, int ci) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (ci && c >= 'a' && c <= 'f') /* RFC 4954 5: AUTH= hex in either case */
    return c - 'a' + 10;
  return -1;
}

static int xtext_ok(const uint8_t *p, size_t n, int ci) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '+') {
      if (i + 2 >= n)
        return 0;
      int h = hexv(p[i + 1], ci), l = hexv(p[i + 2], ci);
      if (h < 0 || l < 0)
        return 0;
      int v = h * 16 + l;
      if (v == 0 || v == '\r' || v == '\n')
        return 0;
      i += 2;
    } else if (!((c >= 33 && c <= 42) || (c >= 44 && c <= 60) ||
                 (c >= 62 && c <= 126))) {
      return 0;
    }
  }
  return 1;
}

/* RFC 6533 3: utf-8-addr-xtext / utf-8-addr-unitext: printable ASCII but
 * "+", "=", "\\"; UTF-8 (the value scan let it in only after SMTPUTF8);
 * "\\x{" 2*6 hex "}" naming a code point other than NUL, CR, LF. */
static int utf8_addr_ok(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n;) {
    uint8_t c = p[i];
    if (c == '\\') {
      size_t k = i + 3;
      unsigned long v = 0;
      if (i + 2 >= n || p[i + 1] != 'x' || p[i + 2] != '{')
        return 0;
      while (k < n && k - i - 3 < 6 && hexv(p[k], 1) >= 0)
        v = v * 16 + (unsigned long)hexv(p[k++], 1);
      if (k - i - 3 < 2 || k >= n || p[k] != '}' || v == 0 || v == '\r' ||
          v == '\n' || v > 0x10FFFF)
        return 0;
      i = k + 1;
    } else if (c >= 0x80 || (c >= 33 && c <= 126 && c != '+' && c != '=')) {
      i++;
    } else {
      return 0;
    }
  }
  return 1;
}

/* The NOTIFY list as smtpp_params.notify codes it (smtpp.h: 1 NEVER,
 * 2 SUCCESS, 4 FAILURE, 8 DELAY); 0 if malformed. */
static int notify_bits(const uint8_t *p, size_t n) {
  if (ci_is(p, n, "NEVER"))
    return 1;
  int seen = 0;
  size_t i = 0;
  for (;;) {
    size_t s = i;
    while (i < n && p[i] != ',')
      i++;
    int bit = ci_is(p + s, i - s, "SUCCESS")   ? 2
              : ci_is(p + s, i - s, "FAILURE") ? 4
              : ci_is(p + s, i - s, "DELAY")   ? 8
                                               : 0;
    if (bit == 0 || (seen & bit))
      return 0;
    seen |= bit;
    if (i == n)
      return seen;
    i++; /* "," */
  }
}

enum { SIZE, BODY, UTF8, RET, ENVID, AUTH, NOTIFY, ORCPT, NPARAM };
static const struct {
  const char *name;
  int verb;
  uint32_t ext;
} table[NPARAM] = {
  {"SIZE", SMTPP_VERB_MAIL, SMTPP_EXT_SIZE},
  {"BODY", SMTPP_VERB_MAIL, SMTPP_EXT_8BITMIME},
  {"SMTPUTF8", SMTPP_VERB_MAIL, SMTPP_EXT_SMTPUTF8},
  {"RET", SMTPP_VERB_MAIL, SMTPP_EXT_DSN},
  {"ENVID", SMTPP_VERB_MAIL, SMTPP_EXT_DSN},
  {"AUTH", SMTPP_VERB_MAIL, SMTPP_EXT_AUTH},
  {"NOTIFY", SMTPP_VERB_RCPT, SMTPP_EXT_DSN},
  {"ORCPT", SMTPP_VERB_RCPT, SMTPP_EXT_DSN},
};

/* Value of a known parameter: 0 or the error. */
static smtpp_slice sl(const uint8_t *p, size_t n) {
  smtpp_slice s = {p, n};
  return s;
}

/* Value of a known parameter: 0 or the error; decoded into out->ev. */
static int value(int id, const uint8_t *v, size_t n, model_params *out) {
  smtpp_params *e = &out->ev;
  switch (id) {
  case SIZE: /* 1*20DIGIT (RFC 1870 5) */
    if (n == 0 || n > 20)
      return SMTPP_ERR_BAD_PARAM;
    out->size = 0;
    for (size_t i = 0; i < n; i++) {
      if (v[i] < '0' || v[i] > '9')
        return SMTPP_ERR_BAD_PARAM;
      uint64_t d = (uint64_t)(v[i] - '0');
      out->size = out->size > (UINT64_MAX - d) / 10 ? UINT64_MAX
                                                    : out->size * 10 + d;
    }
    out->has_size = 1;
    e->has_size = 1;
    e->size = out->size;
    return 0;
  case BODY: /* RFC 6152; BINARYMIME is RFC 3030 and not offered */
    e->body = ci_is(v, n, "7BIT") ? 1 : ci_is(v, n, "8BITMIME") ? 2 : 0;
    if (e->body)
      return 0;
    /* BINARYMIME not offered: cannot implement, 555 (RFC 5321 4.1.1.11) */
    return ci_is(v, n, "BINARYMIME") ? SMTPP_ERR_UNKNOWN_PARAM
                                     : SMTPP_ERR_BAD_PARAM;
  case RET: /* RFC 3461 4.3 */
    e->ret = ci_is(v, n, "FULL") ? 1 : ci_is(v, n, "HDRS") ? 2 : 0;
    return e->ret ? 0 : SMTPP_ERR_BAD_PARAM;
  case ENVID: /* RFC 3461 4.4: at most 100 octets */
    e->envid = sl(v, n);
    return n >= 1 && n <= 100 && xtext_ok(v, n, 0) ? 0 : SMTPP_ERR_BAD_PARAM;
  case AUTH: /* RFC 4954 5: "<>" or xtext */
    e->auth = sl(v, n);
    if (n == 2 && v[0] == '<' && v[1] == '>')
      return 0;
    return n >= 1 && n <= 500 && xtext_ok(v, n, 1) ? 0 : SMTPP_ERR_BAD_PARAM;
  case NOTIFY: /* RFC 3461 4.1 */
    e->notify = (uint8_t)notify_bits(v, n);
    return e->notify ? 0 : SMTPP_ERR_BAD_PARAM;
  case ORCPT: { /* RFC 3461 4.2: addr-type ";" xtext, at most 500 */
    size_t semi = 0;
    while (semi < n && v[semi] != ';')
      semi++;
    if (n > 500 || semi == 0 || semi >= n - 1)
      return SMTPP_ERR_BAD_PARAM;
    for (size_t i = 0; i < semi; i++) {
      uint8_t c = v[i];
      if (!(alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c))))
        return SMTPP_ERR_BAD_PARAM; /* atom (RFC 3461 4.2) */
    }
    e->orcpt_type = sl(v, semi);
    e->orcpt = sl(v + semi + 1, n - semi - 1);
    if (ci_is(v, semi, "UTF-8")) /* RFC 6533 3 */
      return utf8_addr_ok(v + semi + 1, n - semi - 1) ? 0 : SMTPP_ERR_BAD_PARAM;
    return xtext_ok(v + semi + 1, n - semi - 1, 0) ? 0 : SMTPP_ERR_BAD_PARAM;
  }
  default:
    return SMTPP_ERR_BAD_PARAM;
  }
}

int model_params_check(const uint8_t *p, size_t n, int verb, uint32_t offered,
                       uint64_t max_size, int utf8, model_params *out) {
  unsigned seen = 0;
  size_t i = 0;
  memset(out, 0, sizeof *out);
  while (i < n) {
    if (p[i] != ' ')
      return SMTPP_ERR_SYNTAX;
    i++;
    size_t kw = i;
    if (i >= n || !alnum(p[i]))
      return SMTPP_ERR_SYNTAX;
    while (i < n && (alnum(p[i]) || p[i] == '-'))
      i++;
    size_t kwn = i - kw, val = 0, valn = 0;
    int has_val = 0;
    if (i < n && p[i] == '=') {
      has_val = 1;
      val = ++i;
      /* RFC 6531 3.3: UTF-8 in values of a SMTPUTF8 transaction */
      while (i < n && ((p[i] >= 33 && p[i] <= 126 && p[i] != '=') ||
                       (utf8 && p[i] >= 0x80 && model_utf8(p + i, n - i))))
        i += p[i] >= 0x80 ? model_utf8(p + i, n - i) : 1;
      valn = i - val;
      if (valn == 0)
        return SMTPP_ERR_SYNTAX;
    }
    if (i < n && p[i] != ' ')
      return SMTPP_ERR_SYNTAX;
    int id = -1;
    for (int k = 0; k < NPARAM; k++)
      if (ci_is(p + kw, kwn, table[k].name))
        id = k;
    if (id < 0 || table[id].verb != verb || !(offered & table[id].ext))
      return SMTPP_ERR_UNKNOWN_PARAM;
    if (seen & (1u << id))
      return SMTPP_ERR_DUP_PARAM;
    seen |= 1u << id;
    if (id == UTF8) { /* RFC 6531 3.4: no value */
      if (has_val)
        return SMTPP_ERR_BAD_PARAM;
      out->smtputf8 = 1;
      out->ev.smtputf8 = 1;
      continue;
    }
    if (!has_val)
      return SMTPP_ERR_BAD_PARAM;
    int err = value(id, p + val, valn, out);
    if (err)
      return err;
  }
  if (out->has_size && max_size != 0 && out->size > max_size)
    return SMTPP_ERR_SIZE_EXCEEDED;
  return 0;
}
