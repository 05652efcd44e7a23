/*
 * probe_scan.c - see probe_scan.h.
 */
#include "probe_scan.h"

#include "esc.h"

#include <string.h>

#define REPLIES_MAX 100000

const char *const pscan_wait_names[] = {"ok", "timeout", "closed",
                                        "line-too-long", "malformed"};

void pscan_init(rs_reader *sc) {
  rs_init(sc, 0); /* RFC 5321 form: HT allowed, lines end at LF */
  sc->max_reply = PSCAN_REPLY_MAX;
  sc->max_replies = REPLIES_MAX;
}

void pscan_scan(rs_reader *sc, const pconn *c) {
  if (c->eof)
    rs_end(sc, c->buf, c->len);
  else
    rs_scan(sc, c->buf, c->len);
}

static void put(char *buf, size_t cap, const unsigned char *p, size_t n,
                int more) {
  size_t taken = 0, w = esc_bytes(buf, cap > 4 ? cap - 4 : cap, p, n, &taken);
  if (taken < n && w + 4 <= cap)
    memcpy(buf + w, "...", 4);
  else if (more && w + 9 <= cap)
    memcpy(buf + w, " (+more)", 9);
}

void pscan_text(const rs_reader *sc, const pconn *c, size_t i, char *buf,
                size_t cap) {
  const rs_reply *r;
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
  put(buf, cap, l, n, r->lines > 1);
}

void pscan_line(const pconn *c, size_t off, char *buf, size_t cap) {
  const unsigned char *l, *lf;
  size_t n;
  if (!cap)
    return;
  buf[0] = '\0';
  if (off >= c->len)
    return;
  l = c->buf + off;
  lf = memchr(l, '\n', c->len - off);
  n = lf ? (size_t)(lf - l) : c->len - off;
  if (n && l[n - 1] == '\r')
    n--;
  put(buf, cap, l, n, 0);
}

int pscan_wait(pconn *c, rs_reader *sc, size_t want, int timeout_ms,
               long long case_deadline) {
  long long deadline = pconn_now_ms() + timeout_ms;
  size_t seen = sc->n;

  for (;;) {
    int r;
    pscan_scan(sc, c);
    if (sc->fatal == RS_FATAL_LINE_TOO_LONG)
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
        return sc->fatal == RS_FATAL_LINE_TOO_LONG ? W_LINE_TOO_LONG
                                                   : W_TOO_BIG;
      return sc->n >= want ? W_OK : W_CLOSED;
    }
  }
}

int pscan_drain(pconn *c, rs_reader *sc, int ms) {
  long long end = pconn_now_ms() + ms;
  pconn_shut_write(c);
  for (;;) {
    int r = pconn_read_some(c, end);
    pscan_scan(sc, c);
    if (sc->fatal)
      return sc->fatal == RS_FATAL_LINE_TOO_LONG ? W_LINE_TOO_LONG
                                                 : W_TOO_BIG;
    if (r == PC_CLOSED)
      return W_OK;
    if (r == PC_FULL)
      return W_TOO_BIG;
    if (r == PC_TIMEOUT)
      return W_TIMEOUT;
  }
}
