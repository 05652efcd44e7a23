/*
 * dialog.h - the dialog test library: runs the tests/dialogs files
 * (NAME.dialog, read by common/dialogfile.h) through libsmtpp with any
 * chunking of the client bytes, and compares what happened with the file.
 *
 * File format: tests/dialogs/README.md (summary in common/dialogfile.h).
 * Replies are read by common/replies.h in smtpp's own form (RS_SMTPP).
 *
 * E: lines (common/eventfmt.h writes the same form):
 *   E: TYPE [VERB] [error=NAME] [flags=a,b] [field ...]
 * When a file has E: lines, the events of the run but BODY (B: pins the
 * bodies) must be exactly those lines, in order; a file without E: lines
 * does not compare events.  Fields appear only when the event carries
 * them, in this order: arg= path= local= domain= initial= ("escaped"),
 * chunk=N (BDAT), size=N (MESSAGE_END), then the decoded MAIL/RCPT
 * parameters SIZE=N BODY=7BIT|8BITMIME SMTPUTF8 RET=FULL|HDRS
 * NOTIFY=NEVER|SUCCESS,FAILURE,DELAY ENVID="" ORCPT-TYPE="" ORCPT=""
 * AUTH="".  Flags: group-end decidable last smtputf8 (input-pending is
 * never shown: it depends on the chunking).  Blanks between fields are
 * free.  Example:
 *   E: COMMAND RCPT flags=decidable arg="TO:<b@c.example> NOTIFY=NEVER"
 *      path="b@c.example" local="b" domain="c.example" NOTIFY=NEVER
 *                                    (one line in the file)
 *   E: MESSAGE_END error=SIZE_EXCEEDED size=12
 *
 * S: lines that pin a multi-line reply line by line:
 *   S: 250-localhost
 *   S: 250-PIPELINING
 *   S: 250 SMTPUTF8
 * compare the text of every line exactly (and the number of lines).
 *
 * Test code: it allocates freely and aborts on out-of-memory.
 */
#ifndef SMTPP_TESTS_DIALOG_H
#define SMTPP_TESTS_DIALOG_H

#include "bbuf.h"
#include "dialogfile.h"
#include "esc.h"
#include "eventfmt.h"
#include "replies.h"
#include "smtpp/smtpp.h"

#include <stddef.h>
#include <stdint.h>

/* Where the runner puts a chunk before feeding it (e.g. at a guard page).
 * Must return a pointer to len bytes equal to src (len may be 0: then any
 * pointer the test wants to feed with length 0). */
typedef const unsigned char *(*dlg_place_fn)(void *ctx,
                                             const unsigned char *src,
                                             size_t len);

typedef struct dlg_opts {
  dlg_place_fn place;   /* NULL: feed straight from the dialog's buffer */
  void *place_ctx;
  int zero_feeds;       /* also feed a 0-length chunk before every chunk */
  int drain_each;       /* pull replies after every chunk too */
  size_t ack_step;      /* ack at most this many octets at once; 0 = all */
  int null_ev;          /* pass ev = NULL (only without ! policy) */
  int check_steps;      /* record the reply count after each chunk */
} dlg_opts;

typedef struct dlg_result {
  bbuf replies;          /* the reply byte stream */
  bbuf events;           /* the event log, one event per line, with the
                            runner's own notes (DECIDE, TLS_DONE, bodies) */
  bbuf elist;            /* the events but BODY as E: lines (eventfmt.h),
                            one per line; empty with null_ev */
  bbuf *bodies;       /* the body of each MESSAGE_END */
  size_t nbodies;
  bbuf errors;        /* contract violations seen by the runner */
  int closed;            /* SMTPP_CLOSED seen */
  size_t closed_at;      /* reply octets when SMTPP_CLOSED was first seen */
  size_t closed_pos;     /* client octets consumed when it was seen */
  int final_state;       /* smtpp_state() at the end */
  /* check_steps: (client offset, reply octets) after each chunk */
  size_t *step_off, *step_reply_len;
  size_t nsteps;
} dlg_result;

/* Runs d with the client bytes cut at cuts[0..ncuts) (ascending, each in
 * (0, len); duplicates allowed).  T: barriers are always added.  Returns 0,
 * or -1 if the session could not even be set up (see r->errors). */
int dlg_run(const dialog *d, const size_t *cuts, size_t ncuts,
            const dlg_opts *o, dlg_result *r);
void dlg_result_free(dlg_result *r);

/* "250 2.1.0 (3 lines)" into b. */
void dlg_reply_fmt(bbuf *b, int code, const char *enh, int lines);

/* Compares a run's replies (and bodies, events and close) with the dialog's
 * expectations.  Returns 0 if they match; otherwise writes a readable
 * diff into *diff and returns -1.  Also fails on reply-format and runner
 * violations. */
int dlg_check(const dialog *d, const dlg_result *r, bbuf *diff);

/* The reply part of dlg_check: the reply stream p[0..len) parses cleanly
 * and into the dialog's expected reply list. */
int dlg_check_replies(const dialog *d, const unsigned char *p, size_t len,
                      bbuf *diff);

/* Compares two runs (reply bytes, event log, bodies, close).  Returns 0 if
 * equal; otherwise describes the first difference in *diff. */
int dlg_compare_runs(const dlg_result *a, const dlg_result *b, bbuf *diff);

/* printf to stdout, flushed, with no length limit (cmocka's
 * print_message cuts at 1024 octets). */
void dlg_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SMTPP_TESTS_DIALOG_H */
