/*
 * address.c - Path, Mailbox, Domain and address-literal scanners
 * (RFC 5321 4.1.2, 4.1.3) with the size limits of 4.5.3.1.1-3, and the
 * RFC 6531 3.3 UTF-8 extensions when the transaction uses SMTPUTF8.
 *
 * Every scanner reads only inside [p, end).
 */
#include "internal.h"

#include <string.h>

#define LOCAL_MAX 64u   /* 4.5.3.1.1 */

#define PATH_MAX_ 256u  /* 4.5.3.1.3, from "<" to ">" inclusive */
#define LABEL_MAX 63u   /* RFC 1035 2.3.4, which RFC 5321 2.3.5 defers to */

static int is_letdig(unsigned char c) { return SMTPP_IS(c, SMTPP_C_LETDIG); }

/* The end of the run of octets of class cls from p: four octets a step
 * while four are left, then one at a time. */
static const unsigned char *run_of(const unsigned char *p,
                                   const unsigned char *end, unsigned cls) {
  while (end - p >= 4 && (smtpp_cclass[p[0]] & smtpp_cclass[p[1]] &
                          smtpp_cclass[p[2]] & smtpp_cclass[p[3]] & cls))
    p += 4;
  while (p < end && SMTPP_IS(*p, cls))
    p++;
  return p;
}

static int is_hex(unsigned char c) {
  return SMTPP_IS(c, SMTPP_C_DIGIT) || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str], or a
 * U-label (well-formed UTF-8 with letters, digits, hyphens) when utf8. */
int smtpp_check_domain(const unsigned char *p, const unsigned char *end,
                       int utf8) {
  if (p >= end)
    return SMTPP_ERR_SYNTAX;
  if ((size_t)(end - p) > SMTPP_DOMAIN_MAX)
    return SMTPP_ERR_DOMAIN_TOO_LONG;
  while (p < end) {
    const unsigned char *label = p;
    unsigned char last = 0;
    while (p < end && *p != '.') {
      unsigned char c = *p;
      if (is_letdig(c)) { /* the common case first */
        last = c;
        p++;
        continue;
      }
      if (c >= 0x80) {
        size_t n = utf8 ? smtpp_utf8_seq(p, end) : 0;
        if (n == 0)
          return utf8 ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
        p += n;
        last = 'a'; /* a non-ASCII character is a letter here */
        continue;
      }
      if (c != '-' || p == label) /* letters and digits were taken above */
        return SMTPP_ERR_SYNTAX;
      last = c;
      p++;
    }
    if (p == label || last == '-' || (size_t)(p - label) > LABEL_MAX)
      return SMTPP_ERR_SYNTAX;
    if (p < end) {
      p++; /* the dot */
      if (p == end)
        return SMTPP_ERR_SYNTAX; /* no trailing dot */
    }
  }
  return 0;
}

/* Snum 3("." Snum), Snum = 1*3DIGIT in 0..255, spanning exactly [p, end). */
static int ipv4_ok(const unsigned char *p, const unsigned char *end) {
  for (int part = 0; part < 4; part++) {
    unsigned v = 0, n = 0;
    while (p < end && SMTPP_IS(*p, SMTPP_C_DIGIT) && n < 4) {
      v = v * 10 + (unsigned)(*p - '0');
      p++;
      n++;
    }
    if (n == 0 || n > 3 || v > 255)
      return 0;
    if (part < 3) {
      if (p >= end || *p != '.')
        return 0;
      p++;
    }
  }
  return p == end;
}

/* IPv6-addr (RFC 5321 4.1.3): IPv6-full, IPv6-comp (at most 6 groups beside
 * "::"), IPv6v4-full (6 groups + IPv4), IPv6v4-comp (at most 4 beside "::"
 * and the IPv4). */
static int ipv6_ok(const unsigned char *p, const unsigned char *end) {
  int groups = 0, dcolon = 0, v4 = 0;
  if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
    dcolon = 1;
    p += 2;
    if (p == end)
      return 1;
  } else if (p < end && *p == ':') {
    return 0;
  }
  for (;;) {
    const unsigned char *piece = p;
    int hex = 0;
    while (p < end && is_hex(*p) && hex < 5) {
      p++;
      hex++;
    }
    if (p < end && *p == '.') {
      if (!ipv4_ok(piece, end))
        return 0;
      v4 = 1;
      break;
    }
    if (hex < 1 || hex > 4)
      return 0;
    groups++;
    if (p == end)
      break;
    if (*p != ':')
      return 0;
    p++;
    if (p < end && *p == ':') {
      if (dcolon)
        return 0;
      dcolon = 1;
      p++;
      if (p == end)
        break;
    } else if (p == end) {
      return 0;
    }
  }
  if (dcolon)
    return v4 ? groups <= 4 : groups <= 6;
  return v4 ? groups == 6 : groups == 8;
}

int smtpp_check_address_literal(const unsigned char *p,
                                const unsigned char *end) {
  if (end - p < 3 || p[0] != '[' || end[-1] != ']')
    return SMTPP_ERR_SYNTAX;
  p++;
  end--;
  if (ipv4_ok(p, end))
    return 0;
  if (smtpp_ci_prefix(p, end, "IPV6:"))
    return ipv6_ok(p + 5, end) ? 0 : SMTPP_ERR_SYNTAX;
  /* General-address-literal = Standardized-tag ":" 1*dcontent */
  const unsigned char *tag = p;
  while (p < end && (is_letdig(*p) || *p == '-'))
    p++;
  if (p == tag || p[-1] == '-' || p >= end || *p != ':')
    return SMTPP_ERR_SYNTAX;
  p++;
  if (p >= end)
    return SMTPP_ERR_SYNTAX;
  for (; p < end; p++)
    if (!SMTPP_IS(*p, SMTPP_C_DCONT))
      return SMTPP_ERR_SYNTAX;
  return 0;
}

/* Scans a domain token: the octets that can belong to a Domain. */
static const unsigned char *domain_token(const unsigned char *p,
                                         const unsigned char *end) {
  while (p < end && SMTPP_IS(*p, SMTPP_C_DTOKEN))
    p++;
  return p;
}

/* The common Domain in one pass: ASCII sub-domains (Let-dig [Ldh-str]),
 * scanned and judged together.  Returns the end of the domain token when
 * [p, end of token) is such a Domain that smtpp_check_domain() accepts;
 * NULL for anything else (U-labels, a bad label, over the limits), which
 * the two-step scan (domain_token, smtpp_check_domain) then judges, so
 * every error stays the one that scan gives. */
static const unsigned char *domain_ascii(const unsigned char *p,
                                         const unsigned char *end) {
  const unsigned char *start = p;
  for (;;) {
    const unsigned char *label = p;
    if (p >= end || !is_letdig(*p))
      return NULL; /* empty label, leading hyphen, trailing dot */
    p++;
    p = run_of(p, end, SMTPP_C_LDH);
    if (p[-1] == '-' || (size_t)(p - label) > LABEL_MAX)
      return NULL;
    if (p < end && *p == '.') {
      p++;
      continue;
    }
    break;
  }
  if (p < end && SMTPP_IS(*p, SMTPP_C_DTOKEN))
    return NULL; /* the token goes on (an octet > 127): not ASCII */
  if ((size_t)(p - start) > SMTPP_DOMAIN_MAX)
    return NULL;
  return p;
}

/* Local-part = Dot-string / Quoted-string.  Returns the end or NULL. */
static const unsigned char *local_part(const unsigned char *p,
                                       const unsigned char *end, int utf8,
                                       int *err, int *eightbit) {
  *err = SMTPP_ERR_SYNTAX;
  if (p < end && *p == '"') {
    p++;
    while (p < end && *p != '"') {
      if (*p == '\\') {
        /* quoted-pairSMTP = %d92 %d32-126 */
        if (p + 1 >= end || !SMTPP_IS(p[1], SMTPP_C_PRINT))
          return NULL;
        p += 2;
      } else if (*p >= 0x80) {
        size_t n = utf8 ? smtpp_utf8_seq(p, end) : 0;
        if (n == 0) {
          *err = utf8 ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
          return NULL;
        }
        *eightbit = 1;
        p += n;
      } else if (SMTPP_IS(*p, SMTPP_C_QTEXT)) {
        p++;
      } else {
        return NULL;
      }
    }
    if (p >= end)
      return NULL;
    return p + 1;
  }
  /* Dot-string = Atom *("." Atom) */
  const unsigned char *atom = p;
  for (;;) {
    while (p < end && SMTPP_IS(*p, SMTPP_C_ATEXT))
      p++; /* the common case: a run of ASCII atext */
    if (p < end && *p >= 0x80) {
      size_t n = utf8 ? smtpp_utf8_seq(p, end) : 0;
      if (n == 0) {
        *err = utf8 ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
        return NULL;
      }
      *eightbit = 1;
      p += n;
      continue;
    }
    if (p == atom)
      return NULL; /* empty atom: leading, trailing or double dot */
    if (p < end && *p == '.') {
      p++;
      atom = p;
      continue;
    }
    return p;
  }
}

int smtpp_parse_path(const unsigned char *p, const unsigned char *end,
                     unsigned flags, smtpp_path *out,
                     const unsigned char **after) {
  int utf8 = (flags & SMTPP_ADDR_UTF8) != 0;
  const unsigned char *lt = p;
  int err;

  memset(out, 0, sizeof *out);
  if (p >= end || *p != '<')
    return SMTPP_ERR_SYNTAX;
  p++;
  if (p < end && *p == '>') {
    if (!(flags & SMTPP_ADDR_ALLOW_NULL))
      return SMTPP_ERR_SYNTAX;
    out->null_path = 1;
    *after = p + 1;
    return 0;
  }
  /* RFC 5321 4.1.1.3: "<Postmaster>" needs no domain. */
  if ((flags & SMTPP_ADDR_POSTMASTER) && p < end && (*p | 0x20) == 'p' &&
      smtpp_ci_prefix(p, end, "POSTMASTER>")) {
    out->postmaster = 1;
    out->mailbox = out->local = p;
    out->mailbox_len = out->local_len = 10;
    *after = p + 11;
    return 0;
  }
  /* A-d-l = At-domain *( "," At-domain ) ":" -- accepted and ignored
   * (RFC 5321 4.1.2 and Appendix C). */
  if (p < end && *p == '@') {
    for (;;) {
      p++; /* '@' */
      const unsigned char *d = p;
      p = domain_token(p, end);
      if ((err = smtpp_check_domain(d, p, utf8)) != 0)
        return err;
      out->eightbit |= smtpp_has_8bit(d, p); /* U-labels */
      if (p < end && *p == ',') {
        p++;
        if (p >= end || *p != '@')
          return SMTPP_ERR_SYNTAX;
        continue;
      }
      if (p < end && *p == ':') {
        p++;
        break;
      }
      return SMTPP_ERR_SYNTAX;
    }
  }
  const unsigned char *local = p;
  p = local_part(p, end, utf8, &err, &out->eightbit);
  if (p == NULL)
    return err;
  out->mailbox = local;
  out->local = local;
  out->local_len = (size_t)(p - local);
  if (p >= end || *p != '@')
    return SMTPP_ERR_SYNTAX;
  p++;
  const unsigned char *dom = p;
  if (p < end && *p == '[') {
    const unsigned char *rb = memchr(p, ']', (size_t)(end - p));
    if (rb == NULL)
      return SMTPP_ERR_SYNTAX;
    p = rb + 1;
    if ((err = smtpp_check_address_literal(dom, p)) != 0)
      return err;
  } else if ((p = domain_ascii(dom, end)) == NULL) {
    p = domain_token(dom, end);
    if ((err = smtpp_check_domain(dom, p, utf8)) != 0)
      return err;
    out->eightbit |= smtpp_has_8bit(dom, p); /* U-labels */
  }
  out->domain = dom;
  out->domain_len = (size_t)(p - dom);
  out->mailbox_len = (size_t)(p - local);
  if (p >= end || *p != '>')
    return SMTPP_ERR_SYNTAX;
  p++;
  if (out->local_len > LOCAL_MAX)
    return SMTPP_ERR_LOCAL_TOO_LONG;
  if ((size_t)(p - lt) > PATH_MAX_)
    return SMTPP_ERR_PATH_TOO_LONG;
  *after = p;
  return 0;
}
