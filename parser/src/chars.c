/*
 * chars.c - character classes of RFC 5321 4.1.2, RFC 5322 3.2.3 and
 * RFC 3461 4 as one 256-entry table, and a UTF-8 validator (RFC 3629).
 */
#include "internal.h"

#include <string.h>

#define A SMTPP_C_ALPHA
#define D SMTPP_C_DIGIT
#define T SMTPP_C_ATEXT
#define Q SMTPP_C_QTEXT
#define X SMTPP_C_XCHAR
#define V SMTPP_C_ESMTPV
#define C SMTPP_C_DCONT
#define P SMTPP_C_PRINT
#define L SMTPP_C_LETDIG
#define K SMTPP_C_DTOKEN
#define H SMTPP_C_LDH

/* Classes of one printable ASCII octet (32..126).  Built as a function of
 * the octet so the rules read like the ABNF they come from. */
#define IN(c, lo, hi) ((c) >= (lo) && (c) <= (hi))
#define IS_ALPHA(c) (IN(c, 'A', 'Z') || IN(c, 'a', 'z'))
#define IS_DIGIT(c) IN(c, '0', '9')
/* atext = ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~" (RFC 5322 3.2.3) */
#define IS_ATSPEC(c)                                                          \
  ((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' ||      \
   (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '/' ||     \
   (c) == '=' || (c) == '?' || (c) == '^' || (c) == '_' || (c) == '`' ||      \
   (c) == '{' || (c) == '|' || (c) == '}' || (c) == '~')
#define CLS(c)                                                                \
  ((IS_ALPHA(c) ? A : 0) | (IS_DIGIT(c) ? D : 0) |                            \
   ((IS_ALPHA(c) || IS_DIGIT(c) || IS_ATSPEC(c)) ? T : 0) |                   \
   ((IN(c, 32, 33) || IN(c, 35, 91) || IN(c, 93, 126)) ? Q : 0) |             \
   ((IN(c, 33, 42) || IN(c, 44, 60) || IN(c, 62, 126)) ? X : 0) |             \
   ((IN(c, 33, 60) || IN(c, 62, 126)) ? V : 0) |                              \
   ((IN(c, 33, 90) || IN(c, 94, 126)) ? C : 0) | (IN(c, 32, 126) ? P : 0) |  \
   ((IS_ALPHA(c) || IS_DIGIT(c)) ? L : 0) |                                   \
   ((IS_ALPHA(c) || IS_DIGIT(c) || (c) == '-' || (c) == '.' || (c) > 127)     \
        ? K : 0) |                                                            \
   ((IS_ALPHA(c) || IS_DIGIT(c) || (c) == '-') ? H : 0))

#define R4(b) CLS(b), CLS(b + 1), CLS(b + 2), CLS(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)

const uint16_t smtpp_cclass[256] = {
  R16(0), R16(16), R16(32), R16(48), R16(64), R16(80), R16(96), R16(112),
  /* 128..255: no ASCII class, only "part of a Domain token"; UTF-8 is
   * checked by smtpp_utf8_seq() */
  R16(128), R16(144), R16(160), R16(176), R16(192), R16(208), R16(224),
  R16(240),
};
#undef A
#undef D
#undef T
#undef Q
#undef X
#undef V
#undef C
#undef P
#undef L
#undef K
#undef H

/* RFC 3629 4: well-formed UTF-8, no overlongs, no surrogates, <= U+10FFFF. */
size_t smtpp_utf8_seq(const unsigned char *p, const unsigned char *end) {
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (p >= end)
    return 0;
  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xC2 && p[0] <= 0xDF)
    n = 2;
  else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
    n = 3;
    if (p[0] == 0xE0)
      lo = 0xA0;
    else if (p[0] == 0xED)
      hi = 0x9F;
  } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
    n = 4;
    if (p[0] == 0xF0)
      lo = 0x90;
    else if (p[0] == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if ((size_t)(end - p) < n)
    return 0;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return n;
}

static unsigned char ascii_upper(unsigned char c) {
  return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 32) : c;
}

int smtpp_ci_prefix(const unsigned char *p, const unsigned char *end,
                    const char *lit) {
  size_t i = 0;
  for (; lit[i]; i++)
    if (p + i >= end || ascii_upper(p[i]) != (unsigned char)lit[i])
      return 0;
  return 1;
}

int smtpp_ci_eq(const unsigned char *p, size_t n, const char *lit) {
  return strlen(lit) == n && smtpp_ci_prefix(p, p + n, lit);
}
