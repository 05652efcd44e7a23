/*
 * replies.h - the one reader of an SMTP reply stream (the octets a server
 * writes), used by the dialog tests, the oracle, the probe and the
 * serve --stdio replay test.
 *
 * It splits the stream into replies (a multi-line reply counts once) and
 * checks every line against RFC 5321:
 *   4.2        Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                           Reply-code [ SP textstring ] CRLF
 *              Reply-code = %x32-35 %x30-39 %x30-39
 *              textstring = 1*( %d09 / %d32-126 )
 *   4.2.1      every line of a multi-line reply carries the same code
 *   4.5.3.1.5  a reply line is at most 512 octets with its CRLF
 * With RS_SMTPP it holds the stream to smtpp's own, stricter form
 * (docs/PROTOCOL.md): a SP or '-' after every code, no HT, and lines that
 * end only at CRLF (2.3.8; a bare LF is then a non-printable octet).
 *
 * Without RS_SMTPP lines end at any LF, as clients read them, and a line
 * without the CR before its LF is a violation (bare LF).  The reader is incremental: call rs_scan() with the whole stream
 * received so far as often as it grows, and rs_end() once the server has
 * closed (or the run is over).
 */
#ifndef SMTPP_COMMON_REPLIES_H
#define SMTPP_COMMON_REPLIES_H

#include "bbuf.h"

#include <stddef.h>

#define RS_SMTPP 1u /* smtpp's own reply form (see above) */

/* Kinds of format violation (rs_viol_name: a stable short name). */
enum {
  RS_OK = 0,
  RS_NO_CRLF_AT_END,  /* the stream ends inside a line or a reply */
  RS_BARE_LF,         /* a line ends in LF without CR */
  RS_LINE_OVER_512,   /* RFC 5321 4.5.3.1.5 */
  RS_NON_PRINTABLE,   /* an octet outside textstring */
  RS_NOT_A_REPLY,     /* no "[2-5]DD" then SP / '-' / CRLF */
  RS_CONT_CODE,       /* a continuation line with another code */
  RS__KINDS
};

/* Fatal conditions (with max_reply / max_replies set). */
enum { RS_FATAL_NONE = 0, RS_FATAL_LINE_TOO_LONG, RS_FATAL_TOO_BIG };

typedef struct rs_reply {
  int code;      /* 0 when the line is not a reply line */
  char enh[16];  /* RFC 3463 enhanced code of the last line, "" if none */
  int lines;
  size_t off;    /* first octet of the reply */
  size_t end;    /* one past its last octet */
} rs_reply;

typedef struct rs_reader {
  /* settings (rs_init clears them; set before the first rs_scan) */
  unsigned flags;      /* RS_SMTPP */
  size_t max_reply;    /* > 0: a reply (or an unended line) longer than
                          this is fatal */
  size_t max_replies;  /* > 0: more replies than this is fatal */
  bbuf *log;           /* not NULL: every violation, one text line each */
  /* results */
  rs_reply *r;
  size_t n, cap;
  size_t pos;          /* octets scanned */
  unsigned nviol;      /* violations */
  int viol_kind;       /* RS_* of the first one, RS_OK if none */
  size_t viol_off;
  char viol[200];      /* "reply octet N: what", the first one */
  int fatal;           /* RS_FATAL_*: scanning stopped */
  unsigned count[RS__KINDS];   /* violations of each kind */
  size_t first_off[RS__KINDS]; /* line of the first one of each kind */
  /* RS_NON_PRINTABLE split by cause (the probe files them apart): a
   * control octet other than HT, an octet over 126 (raw 8-bit text) */
  unsigned nctl, nhigh;
  size_t ctl_off, high_off;    /* line of the first one */
  int after_close;     /* a reply followed a 221 or 421 */
  int ended;           /* rs_end ran */
  /* the multi-line reply being read */
  int open, open_code, open_lines;
  size_t open_off, open_bytes;
  size_t lineno;
} rs_reader;

void rs_init(rs_reader *rs, unsigned flags);
/* Forgets the stream, keeps the settings and the memory. */
void rs_reset(rs_reader *rs);
void rs_free(rs_reader *rs);

/* Reads the complete lines of buf[rs->pos..len) (buf: the stream from its
 * first octet).  Returns the number of complete replies so far. */
size_t rs_scan(rs_reader *rs, const unsigned char *buf, size_t len);
/* The stream ends at len: scans the rest; an unended line or multi-line
 * reply is a violation (RS_NO_CRLF_AT_END) and still counts as a reply.
 * Only the first call does anything. */
size_t rs_end(rs_reader *rs, const unsigned char *buf, size_t len);
/* The whole stream at once: rs_init + rs_scan + rs_end. */
size_t rs_parse(rs_reader *rs, unsigned flags, const unsigned char *buf,
                size_t len);
/* Octets after the last complete reply (an unfinished one). */
int rs_partial(const rs_reader *rs, size_t len);

const char *rs_viol_name(int kind); /* "bare-LF", ... */

/* The length of an RFC 3463 enhanced code "c.sss.ddd" at p[0..n) followed
 * by SP or the end, 0 if there is none. */
size_t rs_enh_len(const unsigned char *p, size_t n);

/* The next line of a reply: from *pos (a line start inside [r->off,
 * r->end)) sets *text / *textlen to the text after "DDD-"/"DDD " (without
 * CRLF) and advances *pos.  Returns 0, or -1 at the end of the reply. */
int rs_reply_line(const unsigned char *buf, const rs_reply *r, size_t *pos,
                  const unsigned char **text, size_t *textlen);

#endif
