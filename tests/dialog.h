/*
 * dialog.h - the dialog test library: reads the tests/dialogs files (NAME.dialog) and
 * runs them through libsmtpp with any chunking of the client bytes.
 *
 * File format (one directive per line, '#' starts a comment line):
 *   # title: ...  # rfc: 5321 4.1.4  # level: must|should|hardening
 *   ! ext +NAME | ! ext -NAME        (PIPELINING SIZE 8BITMIME SMTPUTF8 DSN
 *                                     CHUNKING ENHANCEDSTATUSCODES STARTTLS
 *                                     AUTH; default SMTPP_EXT_DEFAULT)
 *   ! size N | ! max-rcpt N | ! max-errors N
 *   ! lenient bare-lf|8bit|long-lines|path-space|trailing-sp
 *   ! policy reject-mail|reject-rcpt|reject-message|auth
 *   S: 250 [2.1.0]   one expected reply (enhanced code optional, brackets
 *                    optional; "-" instead demands that there is none)
 *   C: text          client line, CRLF appended
 *   R: text          raw client bytes with escapes \r \n \t \0 \\ \xHH
 *   B: text          expected body (escapes) of the next MESSAGE_END
 *   T: ok|fail       TLS barrier: smtpp_tls_done(s, ok) after the bytes
 *                    before it were fed
 *   X:               the session must be closed here; no reply follows
 *
 * Test code: it allocates freely and aborts on out-of-memory.
 */
#ifndef SMTPP_TESTS_DIALOG_H
#define SMTPP_TESTS_DIALOG_H

#include "smtpp/smtpp.h"

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. */
typedef struct dlg_buf {
  unsigned char *p;
  size_t len, cap;
} dlg_buf;

void dlg_buf_add(dlg_buf *b, const void *p, size_t n);
void dlg_buf_addc(dlg_buf *b, int c);
void dlg_buf_addf(dlg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends n bytes, escaped (\r \n \t \0 \\ \" \xHH) so the result is
 * printable ASCII. */
void dlg_buf_add_escaped(dlg_buf *b, const void *p, size_t n);
const char *dlg_buf_str(dlg_buf *b); /* NUL-terminates (not counted) */
void dlg_buf_free(dlg_buf *b);

/* One reply (a multi-line reply counts once). */
typedef struct dlg_reply {
  int code;       /* 200..599 */
  char enh[16];   /* enhanced code of the last line, "" if none/unchecked */
  int lines;      /* number of lines (0 in an expectation: unchecked) */
} dlg_reply;

/* Parses a reply byte stream into replies and checks every line (<= 512
 * octets with CRLF, ends in CRLF, 3 digits 2xx-5xx then SP or '-', same
 * code on continuation lines, printable ASCII only).  Violations are
 * appended as text lines to *errs (may be NULL) and counted in the result. */
size_t dlg_parse_replies(const unsigned char *p, size_t len, dlg_reply **out,
                         size_t *nout, dlg_buf *errs);
/* "250 2.1.0 (x2)" into b. */
void dlg_reply_fmt(dlg_buf *b, const dlg_reply *r);

#define DLG_POL_REJECT_MAIL    (1u << 0)
#define DLG_POL_REJECT_RCPT    (1u << 1)
#define DLG_POL_REJECT_MESSAGE (1u << 2)
#define DLG_POL_AUTH           (1u << 3)

typedef struct dlg_barrier {
  size_t off; /* in the client byte stream */
  int ok;
} dlg_barrier;

typedef struct dialog {
  char *path;
  const char *name;          /* file name part of path */
  char title[256];
  char rfc[256];
  char level[64];
  int has_rfc, has_level, has_title;
  smtpp_config cfg;
  unsigned policy;           /* DLG_POL_* */
  dlg_buf input;             /* all client bytes */
  dlg_barrier *barriers;
  size_t nbarriers;
  dlg_reply *expect;         /* expected replies */
  size_t nexpect;
  size_t *expect_pos;        /* client bytes before each S: line */
  dlg_buf *bodies;           /* expected bodies (B:) */
  size_t nbodies;
  int expect_closed;         /* X: seen */
  size_t closed_after;       /* replies expected before the close */
  size_t closed_pos;         /* client bytes before X: */
  /* smtpp serve flags that express the directives; serve_ok = 0 when
   * the dialog cannot be replayed through serve (T:, ! policy). */
  int serve_ok;
  char serve_why[64];
  char *serve_args[64];
  size_t nserve_args;
  char error[512];           /* parse error, "" if none */
} dialog;

/* Reads and parses a file.  Returns 0, or -1 with d->error set. */
int dlg_load(dialog *d, const char *path);
void dlg_free(dialog *d);

/* Lists the *.dialog files of dir, sorted by name (full paths).  Returns
 * the count, -1 on error.  Free with dlg_free_list. */
long dlg_list(const char *dir, char ***out);
void dlg_free_list(char **list, long n);

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
  dlg_buf replies;       /* the reply byte stream */
  dlg_buf events;        /* the event log, one event per line */
  dlg_buf *bodies;       /* the body of each MESSAGE_END */
  size_t nbodies;
  dlg_buf errors;        /* contract violations seen by the runner */
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

/* Compares a run's replies (and bodies and close) with the dialog's
 * expectations.  Returns 0 if they match; otherwise writes a readable
 * diff into *diff and returns -1.  Also fails on reply-format and runner
 * violations. */
int dlg_check(const dialog *d, const dlg_result *r, dlg_buf *diff);

/* The reply part of dlg_check: the reply stream p[0..len) parses cleanly
 * and into the dialog's expected reply list. */
int dlg_check_replies(const dialog *d, const unsigned char *p, size_t len,
                      dlg_buf *diff);

/* Compares two runs (reply bytes, event log, bodies, close).  Returns 0 if
 * equal; otherwise describes the first difference in *diff. */
int dlg_compare_runs(const dlg_result *a, const dlg_result *b, dlg_buf *diff);

/* printf to stdout, flushed, with no length limit (cmocka's
 * print_message cuts at 1024 octets). */
void dlg_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Decodes the escapes of R:/B: text.  Returns 0 or -1 (bad escape). */
int dlg_unescape(const char *s, dlg_buf *out);

#endif /* SMTPP_TESTS_DIALOG_H */
