/*
 * probe_scan.c - see probe_scan.h.
 */
#include "probe_scan.h"

#include "escape.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define REPLIES_MAX 100000

const char *const pscan_wait_names[] = {"ok", "timeout", "closed",
                                        "line-too-long", "malformed"};

static void fmt_note(pscan *sc, int kind, const unsigned char *l,
                     size_t llen) {
  pfmt *f = &sc->fmt[kind];
  if (f->seen++)
    return;
  f->off = sc->pos;
  f->reply = sc->n;
  escape_bytes(f->sample, sizeof f->sample, l, llen > 120 ? 120 : llen,
               NULL);
}

static size_t enh_len(const unsigned char *p, size_t n) {
  size_t i = 2, k;
  if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
    return 0;
  for (k = 0; i < n && k < 4 && isdigit(p[i]); i++, k++) {
  }
  if (k < 1 || k > 3 || i >= n || p[i] != '.')
    return 0;
  i++;
  for (k = 0; i < n && k < 4 && isdigit(p[i]); i++, k++) {
  }
  if (k < 1 || k > 3 || (i < n && p[i] != ' '))
    return 0;
  return i;
}

static int push_reply(pscan *sc, int code, int lines, size_t off,
                      const unsigned char *l, size_t body) {
  preply *r;
  if (sc->n == sc->cap) {
    size_t ncap = sc->cap ? sc->cap * 2 : 32;
    preply *nr;
    if (ncap > REPLIES_MAX)
      return -1;
    nr = realloc(sc->r, ncap * sizeof *nr);
    if (!nr)
      return -1;
    sc->r = nr;
    sc->cap = ncap;
  }
  r = &sc->r[sc->n++];
  memset(r, 0, sizeof *r);
  r->code = code;
  r->lines = lines;
  r->off = off;
  r->end = sc->pos;
  r->sent = sc->sent;
  r->after_eof = sc->eof_sent;
  if (l && body > 4) {
    size_t el = enh_len(l + 4, body - 4);
    if (el && el < sizeof r->enh)
      memcpy(r->enh, l + 4, el);
  }
  return 0;
}

void pscan_scan(pscan *sc, const pconn *c) {
  while (!sc->fatal && sc->pos < c->len) {
    const unsigned char *l = c->buf + sc->pos;
    const unsigned char *lf = memchr(l, '\n', c->len - sc->pos);
    size_t llen, body;
    int code = 0, ok = 1, more;

    if (!lf) {
      if (c->len - sc->pos > PSCAN_REPLY_MAX)
        sc->fatal = SC_LINE_TOO_LONG;
      else if (c->eof)
        fmt_note(sc, PF_NO_CRLF, l, c->len - sc->pos);
      return;
    }
    llen = (size_t)(lf - l) + 1;
    if (llen >= 2 && l[llen - 2] == '\r') {
      body = llen - 2;
    } else {
      body = llen - 1;
      fmt_note(sc, PF_BARE_LF, l, body);
    }
    /* RFC 5321 4.5.3.1.5: at most 512 octets including the CRLF */
    if (llen > 512)
      fmt_note(sc, PF_LONG, l, body);
    /* textstring = 1*(%d09 / %d32-126) (RFC 5321 4.2) */
    for (size_t i = 0; i < body; i++)
      if (l[i] > 126) {
        fmt_note(sc, PF_8BIT, l, body);
        break;
      }
    for (size_t i = 0; i < body; i++)
      if ((l[i] < 32 && l[i] != '\t') || l[i] == 127) {
        fmt_note(sc, PF_CTL, l, body);
        break;
      }
    if (body < 3 || l[0] < '2' || l[0] > '5' || !isdigit(l[1]) ||
        !isdigit(l[2]) || (body > 3 && l[3] != ' ' && l[3] != '-')) {
      fmt_note(sc, PF_NOT_REPLY, l, body);
      ok = 0;
    } else {
      code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    }
    more = ok && body > 3 && l[3] == '-';
    if (sc->open && code != sc->open_code)
      fmt_note(sc, PF_CONT_CODE, l, body);
    if (!sc->open) {
      sc->open_code = code;
      sc->open_lines = 0;
      sc->open_off = sc->pos;
      sc->open_bytes = 0;
    }
    sc->open_lines++;
    sc->open_bytes += llen;
    if (sc->open_bytes > PSCAN_REPLY_MAX) {
      sc->fatal = SC_TOO_BIG;
      return;
    }
    sc->pos += llen;
    if (more) {
      sc->open = 1;
    } else {
      if (push_reply(sc, sc->open ? sc->open_code : code, sc->open_lines,
                     sc->open_off, l, body) < 0) {
        sc->fatal = SC_TOO_BIG;
        return;
      }
      sc->open = 0;
    }
  }
}

void pscan_free(pscan *sc) { free(sc->r); }

void pscan_text(const pscan *sc, const pconn *c, size_t i, char *buf,
                size_t cap) {
  const preply *r;
  const unsigned char *l, *lf;
  size_t n;
  if (!cap)
    return;
  buf[0] = '\0';
  if (i >= sc->n)
    return;
  r = &sc->r[i];
  l = c->buf + r->off;
  lf = memchr(l, '\n', r->end - r->off);
  n = lf ? (size_t)(lf - l) : r->end - r->off;
  if (n && l[n - 1] == '\r')
    n--;
  {
    size_t taken = 0, w = escape_bytes(buf, cap, l, n, &taken);
    if (taken < n && w + 4 < cap)
      memcpy(buf + w, "...", 4);
    else if (r->lines > 1 && w + 8 < cap)
      memcpy(buf + w, " (+more)", 9);
  }
}

int pscan_wait(pconn *c, pscan *sc, size_t want, int timeout_ms,
               long long case_deadline) {
  long long deadline = pconn_now_ms() + timeout_ms;
  size_t seen = sc->n;

  for (;;) {
    int r;
    pscan_scan(sc, c);
    if (sc->fatal == SC_LINE_TOO_LONG)
      return W_LINE_TOO_LONG;
    if (sc->fatal)
      return W_TOO_BIG;
    if (sc->n >= want)
      return W_OK;
    if (sc->n > seen) {
      seen = sc->n;
      deadline = pconn_now_ms() + timeout_ms;
    }
    r = pconn_read_some(c, deadline < case_deadline ? deadline
                                                      : case_deadline);
    if (r == PC_TIMEOUT) {
      pscan_scan(sc, c);
      return sc->n >= want ? W_OK : W_TIMEOUT;
    }
    if (r == PC_FULL)
      return W_TOO_BIG;
    if (r == PC_CLOSED) {
      pscan_scan(sc, c);
      if (sc->fatal)
        return sc->fatal == SC_LINE_TOO_LONG ? W_LINE_TOO_LONG : W_TOO_BIG;
      return sc->n >= want ? W_OK : W_CLOSED;
    }
  }
}

int pscan_drain(pconn *c, pscan *sc, int ms) {
  long long end = pconn_now_ms() + ms;
  pconn_shut_write(c);
  sc->eof_sent = 1;
  for (;;) {
    int r = pconn_read_some(c, end);
    pscan_scan(sc, c);
    if (sc->fatal)
      return sc->fatal == SC_LINE_TOO_LONG ? W_LINE_TOO_LONG : W_TOO_BIG;
    if (r == PC_CLOSED)
      return W_OK;
    if (r == PC_FULL)
      return W_TOO_BIG;
    if (r == PC_TIMEOUT)
      return W_TIMEOUT;
  }
}
