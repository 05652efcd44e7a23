/*
 * deliver.h - message delivery for `smtpp serve --listen`: discard (the
 * default), Maildir, or mbox.
 *
 * A message is streamed to a temporary file as its transaction goes on (no
 * message is ever held in memory):
 *
 *   MAIL      deliver_begin()     opens the file, writes Return-Path
 *   RCPT      deliver_rcpt()      one Delivered-To per accepted recipient
 *   DATA/BDAT deliver_received()  the Received line (RFC 5321 4.4)
 *   body      deliver_body()      each piece as it arrives, until the body
 *                                 passes the SIZE limit (the parser's
 *                                 SMTPP_EVF_OVER_SIZE): then the file is
 *                                 removed and nothing more is stored
 *   end       deliver_end()       the last octets, on the event loop
 *             deliver_commit()    fsync, publish (writer.h runs it off the
 *             deliver_sync_dir()  event loop; one directory fsync per batch)
 *
 * The host answers 250 only after deliver_commit() and deliver_sync_dir()
 * succeeded, else 451 4.3.0, so nothing that got a 250 is lost.
 *
 *  - Maildir (https://cr.yp.to/proto/maildir.html): the message is written
 *    to DIR/tmp/NAME, fsynced, renamed to DIR/new/NAME and DIR/new is
 *    fsynced.  NAME is SEC.MUSECPPID_QSEQ.HOST, unique per process and
 *    delivery.  At start, files in DIR/tmp older than 36 hours are removed
 *    (the Maildir convention for a crashed writer's leftovers).  If the
 *    Maildir is deleted while the sink runs, the next delivery that meets
 *    ENOENT creates DIR/{tmp,new,cur} again and retries once.
 *  - mbox (mboxrd): the message is written to an unlinked temporary file in
 *    the mbox's directory, then appended to the mbox under flock() with a
 *    "From SENDER DATE" line; body lines matching ^>*From  get one more '>'.
 *    A failed append is truncated away.
 *
 * Stored form: Return-Path: <SENDER>, one Delivered-To: RCPT per
 * recipient, the Received line, then the message; lines end in LF (CRLF
 * becomes LF; a bare CR is kept), as local delivery agents store them.
 *
 * Threads: the event loop never creates, removes, renames or fsyncs a
 * file when the writer thread keeps up: the writer keeps a few empty
 * temporary files ready (deliver_writer_work()), removes dropped ones, and
 * runs deliver_commit() and deliver_sync_dir() on messages the loop no
 * longer touches.  The loop only write()s message octets to the page
 * cache.  Each thread has its own staging buffer; the file queues are
 * under one mutex.
 */
#ifndef SMTPP_TOOLS_DELIVER_H
#define SMTPP_TOOLS_DELIVER_H

#include <stddef.h>
#include <stdint.h>

enum { DELIVER_DISCARD = 0, DELIVER_MAILDIR, DELIVER_MBOX };

typedef struct deliver_cfg {
  int kind;            /* DELIVER_* */
  const char *path;    /* Maildir directory or mbox file */
  int no_fsync;        /* 1: skip fsync() (faster, not crash-safe) */
  uint32_t max_conn;   /* sessions at once (sizes the removal queue) */
} deliver_cfg;

#define DELIVER_SENDER_MAX 256
#define DELIVER_NAME_MAX 200

/* A temporary file: made by the writer thread ahead of need (or by the
 * loop when none is ready), given to one message, then published or
 * handed back to the writer to be removed. */
typedef struct deliver_file {
  int fd;
  uint32_t gen;         /* Maildir generation (bumped when it is reopened) */
  uint64_t seq;         /* Maildir: delivery number in the name */
  int64_t sec, usec;    /* Maildir: time in the name */
} deliver_file;

/* Per connection; all zero = idle. */
typedef struct deliver_msg {
  deliver_file f;       /* valid if open */
  uint8_t open;         /* a transaction is being stored */
  uint8_t failed;       /* a write failed: the end gets 451 */
  uint8_t oversize;     /* the body passed the SIZE limit: nothing stored */
  uint8_t stamped;      /* the Received line is written */
  uint8_t pending_cr;   /* a CR waits for its LF */
  uint8_t at_bol;       /* the next octet starts a line */
  uint8_t matching;     /* mbox: matching ^>*From  at the start of a line */
  uint8_t from_k;       /* octets of "From " matched */
  uint8_t inflight;     /* handed to the writer: the loop keeps off */
  int8_t result;        /* writer: 0 stored, -1 not */
  uint16_t sender_len;
  uint32_t tag;         /* the host's connection slot */
  uint64_t gt;          /* '>' octets held while matching */
  char sender[DELIVER_SENDER_MAX];
} deliver_msg;

/* Facts for the Received line. */
typedef struct deliver_stamp {
  const char *helo;     /* HELO/EHLO argument ("" if none) */
  size_t helo_len;
  int esmtp;            /* 1 after EHLO: "with ESMTP", else SMTP */
  const char *peer_ip;  /* "192.0.2.1" or "2001:db8::1" */
  int peer_v6;
  const char *by;       /* our hostname */
  const unsigned char *rcpt; /* the recipient if there is exactly one */
  size_t rcpt_len;
  uint32_t conn_id;
} deliver_stamp;

/* Checks the target and prepares it (creates DIR/{tmp,new,cur} and removes
 * stale tmp files; checks the mbox can be opened for appending).  Prints a
 * message and returns -1 on failure. */
int deliver_setup(const deliver_cfg *cfg);
void deliver_teardown(void);

/* MAIL: drops an unfinished message, opens a new one.  Returns 0, or -1
 * (m->failed set: the end gets 451). */
int deliver_begin(deliver_msg *m, const void *sender, size_t len);
void deliver_rcpt(deliver_msg *m, const void *path, size_t len);
/* The first DATA or BDAT of a transaction (later calls do nothing). */
void deliver_received(deliver_msg *m, const deliver_stamp *st);
/* A body piece (a failure sets m->failed).  over_size: the parser says
 * the body passed the SIZE limit (SMTPP_EVF_OVER_SIZE): the file is
 * dropped and nothing more is stored (m->oversize). */
void deliver_body(deliver_msg *m, const void *p, size_t n, int over_size);
/* The end of a message that the parser accepted.  Returns 1 when it must
 * still be committed (deliver_commit), 0 when it is delivered already
 * (discard), -1 when it cannot be (the file is removed). */
int deliver_end(deliver_msg *m);
/* Writer thread: makes the message durable and publishes it.  Returns 0,
 * or -1 (the file is removed). */
int deliver_commit(deliver_msg *m);
/* Writer thread, after a batch of commits: fsync of DIR/new.  Returns 0,
 * or -1 (then the batch must be unpublished and answered 451). */
int deliver_sync_dir(void);
void deliver_unpublish(deliver_msg *m);
/* Drops an unfinished message (not one in flight). */
void deliver_abort(deliver_msg *m);
/* Writer thread: removes dropped files and makes ready ones.  wake() is
 * called (from the loop) when there is such work; it must not block. */
void deliver_set_wake(void (*wake)(void));
int deliver_writer_has_work(void);
void deliver_writer_work(void);

/* "new/NAME" for a Maildir message, the mbox path, or "" (discard). */
void deliver_file_name(const deliver_msg *m, char *buf, size_t cap);

#endif
