/*
 * deliver.h - message delivery for `smtpp serve --listen`: discard (the
 * default), Maildir, or mbox.
 *
 * A message is streamed: each body piece goes to an open temporary file as
 * it arrives (no message is ever held in memory), and deliver_finish() at
 * SMTPP_EV_MESSAGE_END makes it durable (fsync unless turned off) before the
 * host lets the parser answer 250.  If anything fails the host answers
 * 451 4.3.0 instead, so nothing that got a 250 is lost.
 *
 *  - Maildir (https://cr.yp.to/proto/maildir.html): the message is written
 *    to DIR/tmp/NAME, then renamed to DIR/new/NAME.  NAME is
 *    SEC.MUSECPPID_QSEQ.HOST, unique per process and delivery.
 *  - mbox (mboxrd): the message is written to an unlinked temporary file in
 *    the mbox's directory, then appended to the mbox under flock() with a
 *    "From SENDER DATE" line; body lines matching ^>*From  get one more '>'.
 *    A failed append is truncated away.
 *
 * Both begin the message with "Return-Path: <SENDER>" and store lines with
 * LF endings (CRLF becomes LF; a bare CR is kept), as local delivery agents
 * do.
 *
 * Single-threaded: the staging buffers are static.
 */
#ifndef SMTPP_TOOLS_DELIVER_H
#define SMTPP_TOOLS_DELIVER_H

#include <stddef.h>
#include <stdint.h>

enum { DELIVER_DISCARD = 0, DELIVER_MAILDIR, DELIVER_MBOX };

typedef struct deliver_cfg {
  int kind;          /* DELIVER_* */
  const char *path;  /* Maildir directory or mbox file */
  int no_fsync;      /* 1: skip fsync() (faster, not crash-safe) */
} deliver_cfg;

#define DELIVER_SENDER_MAX 256

/* Per connection; all zero = idle. */
typedef struct deliver_msg {
  int fd;               /* temporary file, valid if open */
  uint8_t open;
  uint8_t failed;       /* a write failed: the end gets 451 */
  uint8_t pending_cr;   /* a CR waits for its LF */
  uint8_t at_bol;       /* the next octet starts a line */
  uint8_t matching;     /* mbox: matching ^>*From  at the start of a line */
  uint8_t from_k;       /* octets of "From " matched */
  uint16_t sender_len;
  uint64_t gt;          /* '>' octets held while matching */
  uint64_t seq;         /* Maildir: delivery number in the name */
  int64_t sec, usec;    /* Maildir: time in the name */
  char sender[DELIVER_SENDER_MAX];
} deliver_msg;

/* Checks the target and prepares it (creates DIR/{tmp,new,cur}; checks the
 * mbox can be opened for appending).  Prints a message and returns -1 on
 * failure. */
int deliver_setup(const deliver_cfg *cfg);
void deliver_teardown(void);

/* Remembers the reverse-path (MAIL FROM) of the transaction. */
void deliver_sender(deliver_msg *m, const void *path, size_t len);
/* Opens the temporary file.  Returns 0, or -1 (m->failed set). */
int deliver_open(deliver_msg *m);
/* Writes a body piece (a failure sets m->failed). */
void deliver_body(deliver_msg *m, const void *p, size_t n);
/* Makes the message durable.  Returns 0 when delivered, -1 when not (the
 * temporary file is removed either way). */
int deliver_finish(deliver_msg *m);
/* Drops an unfinished message. */
void deliver_abort(deliver_msg *m);

#endif
