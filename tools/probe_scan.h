/*
 * probe_scan.h - the probe's reading side: splits the octets a server sent
 * (pconn.buf) into replies, checks each reply line against RFC 5321 4.2
 * (Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code
 * [ SP textstring ] CRLF; textstring = 1*(%d09 / %d32-126)) and 4.5.3.1.5
 * (512 octets with the CRLF), and waits for replies with deadlines.
 */
#ifndef SMTPP_TOOLS_PROBE_SCAN_H
#define SMTPP_TOOLS_PROBE_SCAN_H

#include "probe_conn.h"

#include <stddef.h>

#define PSCAN_REPLY_MAX (64u * 1024) /* one reply, all its lines */

typedef struct preply {
  int code;     /* 0 for a line that is not a reply line */
  char enh[16]; /* enhanced status code of the last line, "" if none */
  int lines;
  size_t off;   /* first octet of the reply in pconn.buf */
  size_t end;   /* one past its last octet */
  size_t sent;  /* client octets written when it was complete */
  int after_eof; /* complete only after the client's end of input */
} preply;

/* Reply-format defects, one per root cause (probe_judge.c names them). */
enum {
  PF_LONG = 0,  /* a line over 512 octets with its CRLF */
  PF_BARE_LF,   /* a line ends in LF without CR */
  PF_CTL,       /* a control octet other than HT */
  PF_8BIT,      /* an octet over 126 (raw UTF-8 echoed) */
  PF_NOT_REPLY, /* a line that is not Reply-code [SP/-] text */
  PF_CONT_CODE, /* a continuation line with another code */
  PF_NO_CRLF,   /* octets without a line end when the server closed */
  PF__COUNT
};

typedef struct pfmt {
  int seen;
  size_t off;      /* first line with this defect */
  size_t reply;    /* index of the reply it belongs to */
  char sample[160]; /* the line, escaped and cut */
} pfmt;

enum { SC_OK = 0, SC_LINE_TOO_LONG, SC_TOO_BIG };

typedef struct pscan {
  size_t pos;
  preply *r;
  size_t n, cap;
  int open, open_code, open_lines;
  size_t open_off, open_bytes;
  size_t sent;     /* client octets written so far (the caller sets it) */
  int eof_sent;    /* the client has shut its sending side */
  pfmt fmt[PF__COUNT];
  int fatal;       /* SC_* */
} pscan;

/* Scans the new octets of c into replies. */
void pscan_scan(pscan *sc, const pconn *c);
void pscan_free(pscan *sc);
/* The first line of reply i, escaped, at most cap-1 characters. */
void pscan_text(const pscan *sc, const pconn *c, size_t i, char *buf,
                size_t cap);

/* Verdicts of a wait. */
enum { W_OK = 0, W_TIMEOUT, W_CLOSED, W_LINE_TOO_LONG, W_TOO_BIG };
extern const char *const pscan_wait_names[];

/* Waits until sc has want replies.  The per-reply timer restarts with
 * every complete reply; case_deadline bounds everything. */
int pscan_wait(pconn *c, pscan *sc, size_t want, int timeout_ms,
               long long case_deadline);
/* After our end of input: reads until the server closes (bounded). */
int pscan_drain(pconn *c, pscan *sc, int ms);

#endif
