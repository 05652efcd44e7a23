/*
 * model_addr.c - RFC 5321 4.1.2 / 4.1.3 paths, restated from the ABNF:
 *
 *   Path = "<" [ A-d-l ":" ] Mailbox ">"        A-d-l = At-domain *("," At-domain)
 *   Mailbox = Local-part "@" ( Domain / address-literal )
 *   Local-part = Dot-string / Quoted-string      Dot-string = Atom *("." Atom)
 *   Quoted-string = DQUOTE *(qtextSMTP / "\" %d32-126) DQUOTE
 *   Domain = sub-domain *("." sub-domain)        sub-domain = Let-dig [Ldh-str]
 *
 * Limits (4.5.3.1.1-3): local part 64, domain 255, path ("<" to ">") 256,
 * label 63 (RFC 1035 2.3.4).  With utf8, well-formed UTF-8 (RFC 3629) may
 * appear in atoms, quoted strings and labels (RFC 6531 3.3).
 * Where a grammar error and a limit break at once either answer is right:
 * the other one is returned in *alt.
 */
#include "model.h"

#include <string.h>

static int letdig(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9');
}

static int hexdig(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
         (c >= 'a' && c <= 'f');
}

/* atext, RFC 5322 3.2.3 */
static int atext(uint8_t c) {
  return letdig(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

size_t model_utf8(const uint8_t *p, size_t n) {
  if (n == 0)
    return 0;
  uint8_t c = p[0];
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF; /* range of the second octet */
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* no overlong */
    if (c == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    if (c == 0xF4)
      hi = 0x8F; /* <= U+10FFFF */
  } else
    return 0;
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return len;
}

int model_domain(const uint8_t *p, size_t n, int utf8, int *too_long) {
  *too_long = n > 255;
  int err = 0, eight = 0;
  size_t i = 0;
  if (n == 0)
    return SMTPP_ERR_SYNTAX;
  for (;;) { /* one label */
    size_t start = i;
    uint8_t last = 0;
    while (i < n && p[i] != '.') {
      if (p[i] >= 0x80) {
        size_t k = utf8 ? model_utf8(p + i, n - i) : 0;
        if (k == 0) {
          eight = 1;
          break;
        }
        i += k;
        last = 'a'; /* a U-label character counts as a letter */
        continue;
      }
      if (!(letdig(p[i]) || (p[i] == '-' && i > start)))
        err = SMTPP_ERR_SYNTAX;
      last = p[i];
      i++;
    }
    if (eight)
      return utf8 ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
    if (i == start || last == '-' || i - start > 63)
      err = SMTPP_ERR_SYNTAX;
    if (err)
      return err;
    if (i == n)
      return 0;
    i++; /* the dot */
    if (i == n)
      return SMTPP_ERR_SYNTAX; /* no trailing dot */
  }
}

static int ipv4(const uint8_t *p, size_t n) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t d = 0;
    unsigned v = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && d < 4) {
      v = v * 10 + (unsigned)(p[i] - '0');
      i++;
      d++;
    }
    if (d == 0 || d > 3 || v > 255)
      return 0;
    if (part < 3) {
      if (i >= n || p[i] != '.')
        return 0;
      i++;
    }
  }
  return i == n;
}

/* Counts 1*4HEXDIG groups separated by ":" in [p, p+n); an IPv4 may end
 * the list when v4_ok.  Returns the group count, -1 if malformed. */
static int hex_groups(const uint8_t *p, size_t n, int v4_ok, int *v4) {
  int groups = 0;
  size_t i = 0;
  *v4 = 0;
  if (n == 0)
    return 0;
  for (;;) {
    size_t s = i;
    while (i < n && p[i] != ':')
      i++;
    size_t k = i - s;
    int all_hex = k >= 1 && k <= 4;
    for (size_t j = s; j < i && all_hex; j++)
      all_hex = hexdig(p[j]);
    if (!all_hex) {
      if (i == n && v4_ok && ipv4(p + s, k)) {
        *v4 = 1;
        return groups;
      }
      return -1;
    }
    groups++;
    if (i == n)
      return groups;
    i++; /* ":" */
    if (i == n)
      return -1;
  }
}

static int ipv6(const uint8_t *p, size_t n) {
  size_t dc = n;
  for (size_t i = 0; i + 1 < n; i++)
    if (p[i] == ':' && p[i + 1] == ':') {
      dc = i;
      break;
    }
  int v4 = 0, v4l = 0;
  if (dc == n) { /* IPv6-full or IPv6v4-full */
    int g = hex_groups(p, n, 1, &v4);
    return v4 ? g == 6 : g == 8;
  }
  int gl = hex_groups(p, dc, 0, &v4l);
  int gr = hex_groups(p + dc + 2, n - dc - 2, 1, &v4);
  if (gl < 0 || gr < 0)
    return 0;
  /* a second "::" shows up as an empty group on the right: gr = -1 */
  return v4 ? gl + gr <= 4 : gl + gr <= 6;
}

int model_literal(const uint8_t *p, size_t n) {
  if (n < 3 || p[0] != '[' || p[n - 1] != ']')
    return SMTPP_ERR_SYNTAX;
  p++;
  n -= 2;
  if (ipv4(p, n))
    return 0;
  /* General-address-literal = Standardized-tag ":" 1*dcontent; the tag
   * "IPv6" means IPv6-addr (4.1.3). */
  size_t t = 0;
  while (t < n && (letdig(p[t]) || p[t] == '-'))
    t++;
  if (t == 0 || t >= n || p[t] != ':' || p[t - 1] == '-')
    return SMTPP_ERR_SYNTAX;
  if (t == 4 && (p[0] | 32) == 'i' && (p[1] | 32) == 'p' &&
      (p[2] | 32) == 'v' && p[3] == '6')
    return ipv6(p + 5, n - 5) ? 0 : SMTPP_ERR_SYNTAX;
  if (t + 1 == n)
    return SMTPP_ERR_SYNTAX;
  for (size_t i = t + 1; i < n; i++)
    if (!((p[i] >= 33 && p[i] <= 90) || (p[i] >= 94 && p[i] <= 126)))
      return SMTPP_ERR_SYNTAX;
  return 0;
}

/* Octets that can belong to a Domain token. */
static size_t domain_run(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n && (letdig(p[i]) || p[i] == '-' || p[i] == '.' || p[i] >= 0x80))
    i++;
  return i;
}

/* Local-part at p: its length, 0 if malformed (*err says why). */
static size_t local_part(const uint8_t *p, size_t n, int utf8, int *err) {
  size_t i = 0;
  *err = SMTPP_ERR_SYNTAX;
  if (n > 0 && p[0] == '"') {
    i = 1;
    while (i < n && p[i] != '"') {
      if (p[i] == '\\') {
        if (i + 1 >= n || p[i + 1] < 32 || p[i + 1] > 126)
          return 0;
        i += 2;
      } else if (p[i] >= 0x80) {
        size_t k = utf8 ? model_utf8(p + i, n - i) : 0;
        if (k == 0) {
          *err = utf8 ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
          return 0;
        }
        i += k;
      } else if (p[i] >= 32 && p[i] <= 126 && p[i] != '"' && p[i] != '\\') {
        i++;
      } else {
        return 0;
      }
    }
    return i < n ? i + 1 : 0;
  }
  size_t atom = 0; /* octets in the current atom */
  for (;;) {
    if (i < n && p[i] >= 0x80) {
      size_t k = utf8 ? model_utf8(p + i, n - i) : 0;
      if (k == 0) {
        *err = utf8 ? SMTPP_ERR_SYNTAX : SMTPP_ERR_EIGHTBIT;
        return 0;
      }
      i += k;
      atom += k;
    } else if (i < n && atext(p[i])) {
      i++;
      atom++;
    } else if (atom == 0) {
      return 0; /* empty atom */
    } else if (i < n && p[i] == '.') {
      i++;
      atom = 0;
    } else {
      return i;
    }
  }
}

static int ci_prefix(const uint8_t *p, size_t n, const char *lit) {
  size_t k = strlen(lit);
  if (n < k)
    return 0;
  for (size_t i = 0; i < k; i++) {
    uint8_t c = p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i];
    if (c != (uint8_t)lit[i])
      return 0;
  }
  return 1;
}

int model_path(const uint8_t *p, size_t n, unsigned flags, int utf8,
               size_t *used, int *alt, model_mailbox *mb) {
  size_t i = 1;
  int tl, limit = 0, err;
  model_mailbox scratch;
  if (mb == NULL)
    mb = &scratch;
  memset(mb, 0, sizeof *mb);
  *alt = 0;
  *used = 0;
  if (n == 0 || p[0] != '<')
    return SMTPP_ERR_SYNTAX;
  if (n >= 2 && p[1] == '>') {
    if (!(flags & MODEL_PATH_NULL_OK))
      return SMTPP_ERR_SYNTAX; /* "RCPT TO:<>" */
    *used = 2;
    return 0;
  }
  if ((flags & MODEL_PATH_POSTMASTER) && ci_prefix(p + 1, n - 1, "POSTMASTER>")) {
    *used = 12; /* 4.1.1.3: "<Postmaster>" needs no domain */
    mb->local_off = 1;
    mb->local_len = 10;
    return 0;
  }
  if (i < n && p[i] == '@') { /* A-d-l: accepted and ignored (Appendix C) */
    for (;;) {
      i++;
      size_t d = domain_run(p + i, n - i);
      if ((err = model_domain(p + i, d, utf8, &tl)) != 0) {
        *alt = tl ? SMTPP_ERR_DOMAIN_TOO_LONG : 0;
        return err;
      }
      if (tl)
        return SMTPP_ERR_DOMAIN_TOO_LONG;
      i += d;
      if (i < n && p[i] == ',' && i + 1 < n && p[i + 1] == '@') {
        i++;
        continue;
      }
      if (i < n && p[i] == ':') {
        i++;
        break;
      }
      return SMTPP_ERR_SYNTAX;
    }
  }
  size_t ll = local_part(p + i, n - i, utf8, &err);
  if (ll == 0)
    return err;
  mb->local_off = i;
  mb->local_len = ll;
  i += ll;
  if (ll > 64)
    limit = SMTPP_ERR_LOCAL_TOO_LONG;
  if (i >= n || p[i] != '@') {
    *alt = limit;
    return SMTPP_ERR_SYNTAX;
  }
  i++;
  size_t d;
  if (i < n && p[i] == '[') {
    const uint8_t *rb = memchr(p + i, ']', n - i);
    d = rb ? (size_t)(rb - (p + i)) + 1 : 0;
    err = rb ? model_literal(p + i, d) : SMTPP_ERR_SYNTAX;
    tl = 0;
  } else {
    d = domain_run(p + i, n - i);
    err = model_domain(p + i, d, utf8, &tl);
  }
  if (tl && !limit)
    limit = SMTPP_ERR_DOMAIN_TOO_LONG;
  if (err) {
    *alt = limit;
    return err;
  }
  mb->dom_off = i;
  mb->dom_len = d;
  i += d;
  if (i >= n || p[i] != '>') {
    *alt = limit;
    return SMTPP_ERR_SYNTAX;
  }
  i++;
  if (!limit && i > 256)
    limit = SMTPP_ERR_PATH_TOO_LONG;
  if (limit) {
    /* several limits at once: any of them is a right answer */
    if (limit != SMTPP_ERR_PATH_TOO_LONG && i > 256)
      *alt = SMTPP_ERR_PATH_TOO_LONG;
    if (limit == SMTPP_ERR_LOCAL_TOO_LONG && tl)
      *alt = SMTPP_ERR_DOMAIN_TOO_LONG;
    return limit;
  }
  *used = i;
  return 0;
}
