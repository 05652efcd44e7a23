/*
 * escape.c - see escape.h.
 */
#include "escape.h"

static size_t escape(char *dst, size_t cap, const void *src, size_t n,
                     size_t *taken, int json) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = src;
  size_t o = 0, i = 0;

  if (cap == 0) {
    if (taken)
      *taken = 0;
    return 0;
  }
  for (; i < n; i++) {
    unsigned char c = p[i];
    char seq[6];
    size_t k = 0;

    switch (c) {
    case '\r': seq[k++] = '\\'; seq[k++] = 'r'; break;
    case '\n': seq[k++] = '\\'; seq[k++] = 'n'; break;
    case '\t': seq[k++] = '\\'; seq[k++] = 't'; break;
    case '\\': seq[k++] = '\\'; seq[k++] = '\\'; break;
    case '"':  seq[k++] = '\\'; seq[k++] = '"'; break;
    default:
      if (c >= 0x20 && c < 0x7f) {
        seq[k++] = (char)c;
      } else if (json) { /* RFC 8259 7: \u00HH, one per octet */
        seq[k++] = '\\';
        seq[k++] = 'u';
        seq[k++] = '0';
        seq[k++] = '0';
        seq[k++] = hex[c >> 4];
        seq[k++] = hex[c & 15];
      } else {
        seq[k++] = '\\';
        seq[k++] = 'x';
        seq[k++] = hex[c >> 4];
        seq[k++] = hex[c & 15];
      }
    }
    if (o + k >= cap) /* keep room for the NUL */
      break;
    for (size_t j = 0; j < k; j++)
      dst[o++] = seq[j];
  }
  dst[o] = '\0';
  if (taken)
    *taken = i;
  return o;
}

size_t escape_bytes(char *dst, size_t cap, const void *src, size_t n,
                    size_t *taken) {
  return escape(dst, cap, src, n, taken, 0);
}

size_t escape_json(char *dst, size_t cap, const void *src, size_t n,
                   size_t *taken) {
  return escape(dst, cap, src, n, taken, 1);
}
