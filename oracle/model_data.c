/*
 * model_data.c - the DATA body, one octet at a time (RFC 5321 4.5.2):
 * a "." at the start of a line is removed; CR LF "." CR LF ends the
 * message and nothing else does (LF.LF, CR.CR, CRLF.LF, ... are body).
 * Right after 354 we are at the start of a line.  A text line may hold
 * 1000 octets with its CRLF, the stuffing dot not counted (4.5.3.1.6).
 */
#include "model.h"

enum { LINE_START, IN_LINE, CR_SEEN, DOT, DOT_CR };

static void put(model_data *d, uint8_t c, bbuf *body) {
  bbuf_addc(body, c);
  d->line_len++;
  if (d->line_len > 1000)
    d->line_too_long = 1;
}

int model_data_byte(model_data *d, uint8_t c, bbuf *body) {
  switch (d->st) {
  case LINE_START:
    d->line_len = 0;
    if (c == '.') {
      d->st = DOT; /* stuffing, or the end: decided by what follows */
      return 0;
    }
    break;
  case DOT:
    if (c == '\r') {
      d->st = DOT_CR;
      return 0;
    }
    break; /* the dot was stuffing: dropped */
  case DOT_CR:
    if (c == '\n') {
      d->st = LINE_START;
      return 1; /* CRLF . CRLF */
    }
    put(d, '\r', body); /* ".\r" + other: the CR is body */
    d->st = IN_LINE;
    break;
  case CR_SEEN:
    if (c == '\n') {
      put(d, c, body);
      d->st = LINE_START;
      return 0;
    }
    break;
  default:
    break;
  }
  put(d, c, body);
  d->st = c == '\r' ? CR_SEEN : IN_LINE;
  return 0;
}
