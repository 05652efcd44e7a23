/*
 * data.c - the DATA body scanner: dot-unstuffing and the end of data.
 *
 * RFC 5321 4.5.2: a line starting with "." has that dot removed; the
 * message ends with CRLF "." CRLF, and with nothing else (4.1.1.4, 2.3.8):
 * LF.LF, CR.CR, LF.CRLF, CRLF.LF and the other SMTP-smuggling look-alikes
 * are body octets.  The CRLF before the final "." belongs to the last line
 * of the body.  Right after 354 the scanner is at the start of a line (the
 * DATA command's CRLF counts as the preceding CRLF).
 *
 * Speed: inside a line the scanner jumps to the next CR with memchr, and a
 * returned slice spans as many lines as it can; only a dot at the start of
 * a line cuts a slice (the dot is never delivered).
 *
 * Text lines over 1000 octets including CRLF, not counting a stuffing dot
 * (4.5.3.1.6), are flagged; the session fails the message at its end.
 */
#include "internal.h"

#include <string.h>

#define TEXT_LINE_MAX 1000u

static const unsigned char cr_octet[1] = {'\r'};

static void count(smtpp_session *s, size_t n, smtpp_data_result *out) {
  uint64_t v = (uint64_t)s->data_line_len + n;
  s->data_line_len = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  if (s->data_line_len > TEXT_LINE_MAX)
    out->line_too_long = 1;
}

size_t smtpp_data_scan(smtpp_session *s, const unsigned char *p,
                       const unsigned char *end, smtpp_data_result *out) {
  const unsigned char *q = p;
  const unsigned char *start = p; /* first octet of the slice */

  out->body.p = NULL;
  out->body.len = 0;
  out->end = 0;
  out->line_too_long = 0;
  while (q < end) {
    switch (s->data_state) {
    case SMTPP_DS_LINE_START:
      s->data_line_len = 0;
      if (*q == '.') {
        if (q > start)
          goto slice; /* deliver what came before the dot first */
        s->data_state = SMTPP_DS_DOT;
        start = ++q;
      } else {
        s->data_state = SMTPP_DS_IN_LINE;
      }
      break;
    case SMTPP_DS_DOT:
      if (*q == '\r') {
        s->data_state = SMTPP_DS_DOT_CR;
        start = ++q;
      } else {
        /* The dot was stuffing: drop it, the line goes on (4.5.2). */
        s->data_state = SMTPP_DS_IN_LINE;
      }
      break;
    case SMTPP_DS_DOT_CR:
      if (*q == '\n') {
        out->end = 1; /* CRLF . CRLF */
        s->data_state = SMTPP_DS_LINE_START;
        return (size_t)(q + 1 - p);
      }
      /* ".\r" then something else: the dot was stuffing and the CR is a
       * body octet.  It was consumed already, so it comes from static. */
      s->data_state = SMTPP_DS_IN_LINE;
      count(s, 1, out);
      out->body.p = cr_octet;
      out->body.len = 1;
      return (size_t)(q - p);
    case SMTPP_DS_CR:
      if (*q == '\n') {
        q++;
        count(s, 1, out);
        s->data_state = SMTPP_DS_LINE_START;
      } else {
        s->data_state = SMTPP_DS_IN_LINE; /* bare CR: a body octet */
      }
      break;
    default: /* SMTPP_DS_IN_LINE */
      for (;;) {
        const unsigned char *cr = memchr(q, '\r', (size_t)(end - q));
        if (cr == NULL) {
          count(s, (size_t)(end - q), out);
          q = end;
          break;
        }
        if (end - cr >= 3 && cr[1] == '\n' && cr[2] != '.') {
          /* The common case: CRLF ends the line and the next one starts
           * with no dot: go on in the same slice, as the states CR and
           * LINE_START would (the line's length includes its CRLF). */
          count(s, (size_t)(cr + 2 - q), out);
          s->data_line_len = 0;
          q = cr + 2;
          continue;
        }
        count(s, (size_t)(cr + 1 - q), out);
        q = cr + 1;
        s->data_state = SMTPP_DS_CR;
        break;
      }
      break;
    }
  }
slice:
  out->body.p = start;
  out->body.len = (size_t)(q - start);
  if (out->body.len == 0)
    out->body.p = NULL;
  return (size_t)(q - p);
}
