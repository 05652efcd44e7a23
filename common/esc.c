/*
 * esc.c - see esc.h.
 */
#include "esc.h"

#include <string.h>

size_t esc_octet(unsigned char c, char out[ESC_MAX_PER_OCTET]) {
  static const char hex[] = "0123456789ABCDEF";
  switch (c) {
  case '\r': out[0] = '\\'; out[1] = 'r'; return 2;
  case '\n': out[0] = '\\'; out[1] = 'n'; return 2;
  case '\t': out[0] = '\\'; out[1] = 't'; return 2;
  case '\\': out[0] = '\\'; out[1] = '\\'; return 2;
  case '"':  out[0] = '\\'; out[1] = '"'; return 2;
  default:
    if (c >= 0x20 && c < 0x7f) {
      out[0] = (char)c;
      return 1;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 15];
    return 4;
  }
}

/* esc_octet, or the JSON form of an octet outside 0x20-0x7e. */
static size_t esc_octet_as(unsigned char c, char out[ESC_JSON_MAX_PER_OCTET],
                           int json) {
  static const char hex[] = "0123456789abcdef";
  size_t k = esc_octet(c, out);
  if (!json || k != 4)
    return k;
  out[1] = 'u'; /* RFC 8259 7: \u00HH */
  out[2] = '0';
  out[3] = '0';
  out[4] = hex[c >> 4];
  out[5] = hex[c & 15];
  return 6;
}

static size_t esc_into(char *dst, size_t cap, const void *src, size_t n,
                       size_t *taken, int json) {
  const unsigned char *p = src;
  size_t o = 0, i = 0;

  if (cap == 0) {
    if (taken)
      *taken = 0;
    return 0;
  }
  for (; i < n; i++) {
    char seq[ESC_JSON_MAX_PER_OCTET];
    size_t k = esc_octet_as(p[i], seq, json);
    if (o + k >= cap) /* keep room for the NUL */
      break;
    memcpy(dst + o, seq, k);
    o += k;
  }
  dst[o] = '\0';
  if (taken)
    *taken = i;
  return o;
}

size_t esc_bytes(char *dst, size_t cap, const void *src, size_t n,
                 size_t *taken) {
  return esc_into(dst, cap, src, n, taken, 0);
}

size_t esc_json(char *dst, size_t cap, const void *src, size_t n,
                size_t *taken) {
  return esc_into(dst, cap, src, n, taken, 1);
}

void esc_json_put(FILE *f, const char *s) {
  char buf[64 * ESC_JSON_MAX_PER_OCTET + 1];
  size_t n = s ? strlen(s) : 0;
  fputc('"', f);
  while (n > 0) {
    size_t taken = 0;
    (void)esc_json(buf, sizeof buf, s, n, &taken);
    fputs(buf, f);
    s += taken;
    n -= taken;
  }
  fputc('"', f);
}

void bbuf_add_escaped(bbuf *b, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    char seq[ESC_MAX_PER_OCTET];
    size_t k = esc_octet(s[i], seq);
    if (k == 1)
      bbuf_addc(b, seq[0]);
    else
      bbuf_add(b, seq, k);
  }
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int esc_decode(const char *s, size_t n, bbuf *out) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\') {
      bbuf_addc(out, s[i]);
      continue;
    }
    if (++i == n)
      return -1;
    switch (s[i]) {
    case 'r': bbuf_addc(out, '\r'); break;
    case 'n': bbuf_addc(out, '\n'); break;
    case 't': bbuf_addc(out, '\t'); break;
    case '0': bbuf_addc(out, 0); break;
    case '\\': bbuf_addc(out, '\\'); break;
    case '"': bbuf_addc(out, '"'); break;
    case 'x': {
      int h1 = i + 1 < n ? hexval(s[i + 1]) : -1;
      int h2 = i + 2 < n ? hexval(s[i + 2]) : -1;
      if (h1 < 0 || h2 < 0)
        return -1;
      bbuf_addc(out, h1 * 16 + h2);
      i += 2;
      break;
    }
    default:
      return -1;
    }
  }
  return 0;
}
