/*
 * replies.c - see replies.h.
 */
#include "replies.h"

#include "esc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[RS__KINDS] = {
    [RS_OK] = "ok",
    [RS_NO_CRLF_AT_END] = "no-CRLF-at-end",
    [RS_BARE_LF] = "bare-LF",
    [RS_LINE_OVER_512] = "line-over-512",
    [RS_NON_PRINTABLE] = "non-printable",
    [RS_NOT_A_REPLY] = "not-a-reply",
    [RS_CONT_CODE] = "continuation-code",
};

const char *rs_viol_name(int kind) {
  return kind >= 0 && kind < RS__KINDS ? kind_names[kind] : "?";
}

void rs_init(rs_reader *rs, unsigned flags) {
  memset(rs, 0, sizeof *rs);
  rs->flags = flags;
}

void rs_reset(rs_reader *rs) {
  rs_reader keep = *rs;
  memset(rs, 0, sizeof *rs);
  rs->flags = keep.flags;
  rs->max_reply = keep.max_reply;
  rs->max_replies = keep.max_replies;
  rs->log = keep.log;
  rs->r = keep.r;
  rs->cap = keep.cap;
}

void rs_free(rs_reader *rs) {
  free(rs->r);
  rs->r = NULL;
  rs->n = rs->cap = 0;
}

static void viol(rs_reader *rs, int kind, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void viol(rs_reader *rs, int kind, size_t off, const char *fmt, ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (kind > RS_OK && kind < RS__KINDS && rs->count[kind]++ == 0)
    rs->first_off[kind] = off;
  if (rs->nviol++ == 0) {
    rs->viol_kind = kind;
    rs->viol_off = off;
    snprintf(rs->viol, sizeof rs->viol, "reply octet %zu: %s", off, msg);
  }
  if (rs->log)
    bbuf_addf(rs->log, "reply line %zu (octet %zu): %s\n", rs->lineno, off,
              msg);
}

size_t rs_enh_len(const unsigned char *p, size_t n) {
  size_t i = 2, k;
  if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
    return 0;
  for (k = 0; i < n && k < 4 && p[i] >= '0' && p[i] <= '9'; i++, k++) {
  }
  if (k < 1 || k > 3 || i >= n || p[i] != '.')
    return 0;
  i++;
  for (k = 0; i < n && k < 4 && p[i] >= '0' && p[i] <= '9'; i++, k++) {
  }
  if (k < 1 || k > 3 || (i < n && p[i] != ' '))
    return 0;
  return i;
}

static int digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* One line l[0..llen) at offset off (llen includes the LF if there is
 * one).  Returns -1 when scanning must stop (fatal). */
static int line(rs_reader *rs, const unsigned char *l, size_t llen,
                size_t off) {
  size_t body = llen;
  int code = 0, ok = 1, more;

  rs->lineno++;
  if (llen == 0 || l[llen - 1] != '\n') {
    viol(rs, RS_NO_CRLF_AT_END, off, "no CRLF at the end (%zu octets left)",
         llen);
  } else if (llen >= 2 && l[llen - 2] == '\r') {
    body = llen - 2;
  } else {
    body = llen - 1;
    viol(rs, RS_BARE_LF, off, "line ends in a bare LF");
  }
  if (llen > 512)
    viol(rs, RS_LINE_OVER_512, off, "line of %zu octets (over 512 with CRLF)",
         llen);
  {
    int ctl = 0, high = 0;
    for (size_t i = 0; i < body; i++) {
      int c = (l[i] < 32 && (l[i] != '\t' || (rs->flags & RS_SMTPP))) ||
              l[i] == 127;
      if ((c || l[i] > 127) && !ctl && !high)
        viol(rs, RS_NON_PRINTABLE, off,
             "non-printable octet 0x%02X at column %zu", l[i], i);
      ctl |= c;
      high |= l[i] > 127;
    }
    if (ctl && rs->nctl++ == 0)
      rs->ctl_off = off;
    if (high && rs->nhigh++ == 0)
      rs->high_off = off;
  }
  if (body < 3 || l[0] < '2' || l[0] > '5' || !digit(l[1]) || !digit(l[2]) ||
      (body > 3 && l[3] != ' ' && l[3] != '-') ||
      (body == 3 && (rs->flags & RS_SMTPP))) {
    char esc[64];
    esc_bytes(esc, sizeof esc, l, body > 12 ? 12 : body, NULL);
    viol(rs, RS_NOT_A_REPLY, off, "not a reply line: \"%s\"", esc);
    ok = 0;
    if (body >= 3 && digit(l[0]) && digit(l[1]) && digit(l[2]))
      code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
  } else {
    code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
  }
  more = ok && body > 3 && l[3] == '-';
  if (rs->open && code != rs->open_code)
    viol(rs, RS_CONT_CODE, off,
         "continuation line has code %d, the reply started with %d", code,
         rs->open_code);
  if (!rs->open) {
    rs->open_code = code;
    rs->open_lines = 0;
    rs->open_off = off;
    rs->open_bytes = 0;
  }
  rs->open_lines++;
  rs->open_bytes += llen;
  if (rs->max_reply && rs->open_bytes > rs->max_reply) {
    rs->fatal = RS_FATAL_TOO_BIG;
    return -1;
  }
  rs->pos = off + llen;
  if (more) {
    rs->open = 1;
    return 0;
  }
  if (rs->max_replies && rs->n >= rs->max_replies) {
    rs->fatal = RS_FATAL_TOO_BIG;
    return -1;
  }
  if (rs->n && (rs->r[rs->n - 1].code == 221 || rs->r[rs->n - 1].code == 421))
    rs->after_close = 1;
  rs->r = bb_grow(rs->r, &rs->cap, rs->n, sizeof *rs->r);
  rs_reply *r = &rs->r[rs->n++];
  memset(r, 0, sizeof *r);
  r->code = rs->open ? rs->open_code : code;
  r->lines = rs->open_lines;
  r->off = rs->open_off;
  r->end = rs->pos;
  if (body > 4) {
    size_t el = rs_enh_len(l + 4, body - 4);
    if (el && el < sizeof r->enh)
      memcpy(r->enh, l + 4, el);
  }
  rs->open = 0;
  return 0;
}

/* The LF that ends the line at l[0..n), NULL if none yet.  smtpp's own
 * form ends lines only at CRLF (RFC 5321 2.3.8), so a bare LF is an octet
 * of the line (non-printable); other servers' lines end at any LF, as
 * clients read them, and a missing CR is its own violation. */
static const unsigned char *line_end(const rs_reader *rs,
                                     const unsigned char *l, size_t n) {
  const unsigned char *lf = memchr(l, '\n', n);
  if (!(rs->flags & RS_SMTPP))
    return lf;
  while (lf && (lf == l || lf[-1] != '\r')) {
    size_t at = (size_t)(lf - l) + 1;
    lf = memchr(lf + 1, '\n', n - at);
  }
  return lf;
}

size_t rs_scan(rs_reader *rs, const unsigned char *buf, size_t len) {
  while (!rs->fatal && !rs->ended && rs->pos < len) {
    const unsigned char *l = buf + rs->pos;
    const unsigned char *lf = line_end(rs, l, len - rs->pos);
    if (lf == NULL) {
      if (rs->max_reply && len - rs->pos > rs->max_reply)
        rs->fatal = RS_FATAL_LINE_TOO_LONG;
      break;
    }
    if (line(rs, l, (size_t)(lf - l) + 1, rs->pos) < 0)
      break;
  }
  return rs->n;
}

size_t rs_end(rs_reader *rs, const unsigned char *buf, size_t len) {
  if (rs->ended)
    return rs->n;
  rs_scan(rs, buf, len);
  rs->ended = 1;
  if (rs->fatal)
    return rs->n;
  if (rs->pos < len) /* an unended last line: a reply all the same */
    line(rs, buf + rs->pos, len - rs->pos, rs->pos);
  if (rs->open && !rs->fatal) {
    viol(rs, RS_NO_CRLF_AT_END, rs->open_off,
         "the stream ends inside a multi-line reply (code %d)", rs->open_code);
    rs->r = bb_grow(rs->r, &rs->cap, rs->n, sizeof *rs->r);
    rs_reply *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->code = rs->open_code;
    r->lines = rs->open_lines;
    r->off = rs->open_off;
    r->end = len;
    rs->open = 0;
  }
  return rs->n;
}

size_t rs_parse(rs_reader *rs, unsigned flags, const unsigned char *buf,
                size_t len) {
  bbuf *log = rs->log;
  rs_init(rs, flags);
  rs->log = log;
  return rs_end(rs, buf, len);
}

int rs_partial(const rs_reader *rs, size_t len) {
  return rs->open || rs->pos < len;
}

int rs_reply_line(const unsigned char *buf, const rs_reply *r, size_t *pos,
                  const unsigned char **text, size_t *textlen) {
  size_t at = *pos;
  if (at < r->off || at >= r->end)
    return -1;
  const unsigned char *l = buf + at;
  const unsigned char *lf = memchr(l, '\n', r->end - at);
  size_t llen = lf ? (size_t)(lf - l) + 1 : r->end - at;
  size_t body = llen;
  if (body && l[body - 1] == '\n')
    body--;
  if (body && l[body - 1] == '\r')
    body--;
  *text = l + (body > 4 ? 4 : body);
  *textlen = body > 4 ? body - 4 : 0;
  *pos = at + llen;
  return 0;
}
