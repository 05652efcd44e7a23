/*
 * unit.h - small helpers shared by the table-driven unit tests.
 *
 * Test inputs in the tables are C strings with the dialog escapes (\r \n \t
 * \0 \\ \xHH, written "\\r" etc. in C source) plus one repetition form:
 * "{c*N}" stands for N copies of the single character c (which may itself
 * be an escape, e.g. "{\\r*3}"); N may also be L, L+k or L-k for
 * SMTPP_LINE_MAX plus or minus k.  Anything else is literal.
 */
#ifndef SMTPP_TESTS_UNIT_H
#define SMTPP_TESTS_UNIT_H

#include "dialog.h"

#include <stdlib.h>
#include <string.h>

/* Expands s into out (escapes and {c*N}).  Returns 0, or -1 if malformed. */
static inline int unit_expand(const char *s, bbuf *out) {
  bbuf_add(out, "", 0);
  while (*s) {
    if (*s == '{') {
      const char *q = s + 1;
      char one[8] = {0};
      size_t k = 0;
      if (*q == '\\') {
        one[k++] = *q++;
        if (*q == 'x') {
          one[k++] = *q++;
          if (q[0] && q[1]) {
            one[k++] = *q++;
            one[k++] = *q++;
          }
        } else if (*q) {
          one[k++] = *q++;
        }
      } else if (*q) {
        one[k++] = *q++;
      }
      if (*q == '*' && ((q[1] >= '0' && q[1] <= '9') || q[1] == 'L')) {
        char *e;
        unsigned long n;
        if (q[1] == 'L') { /* L, L+k, L-k: SMTPP_LINE_MAX +- k */
          n = SMTPP_LINE_MAX;
          e = (char *)q + 2;
          if (*e == '+' || *e == '-') {
            int neg = *e == '-';
            unsigned long d = strtoul(e + 1, &e, 10);
            n = neg ? n - d : n + d;
          }
        } else {
          n = strtoul(q + 1, &e, 10);
        }
        if (*e == '}') {
          bbuf c = {0};
          if (esc_decode(one, strlen(one), &c) || c.len != 1) {
            bbuf_free(&c);
            return -1;
          }
          for (unsigned long i = 0; i < n; i++) bbuf_addc(out, c.p[0]);
          bbuf_free(&c);
          s = e + 1;
          continue;
        }
      }
      bbuf_addc(out, '{');
      s++;
      continue;
    }
    /* one plain character or one escape */
    char piece[8] = {0};
    size_t k = 0;
    if (*s == '\\') {
      piece[k++] = *s++;
      if (*s == 'x') {
        piece[k++] = *s++;
        if (s[0]) piece[k++] = *s++;
        if (s[0]) piece[k++] = *s++;
      } else if (*s) {
        piece[k++] = *s++;
      }
    } else {
      piece[k++] = *s++;
    }
    if (esc_decode(piece, strlen(piece), out)) return -1;
  }
  return 0;
}

/* An exact-size heap copy of [p, p + n): reading past it trips ASan. */
static inline unsigned char *unit_copy(const void *p, size_t n) {
  unsigned char *c = malloc(n ? n : 1);
  if (n) memcpy(c, p, n);
  return c;
}

/* Escaped, printable form of n octets (for messages).  Static buffer. */
static inline const char *unit_show(const void *p, size_t n) {
  static bbuf b;
  b.len = 0;
  if (n > 300) {
    bbuf_add_escaped(&b, p, 140);
    bbuf_addf(&b, "...(%zu octets)...", n - 280);
    bbuf_add_escaped(&b, (const unsigned char *)p + n - 140, 140);
  } else {
    bbuf_add_escaped(&b, p, n);
  }
  return bbuf_str(&b);
}

#endif /* SMTPP_TESTS_UNIT_H */
