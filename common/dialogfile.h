/*
 * dialogfile.h - the one reader of the dialog files (tests/dialogs/NAME.dialog;
 * the format is described in tests/dialogs/README.md).  Used by the dialog
 * tests (tests/dialog.c runs what it reads), the probe (it sends the client
 * bytes to another server) and the serve --stdio replay test.
 *
 * A line is one item; its first two characters say what it is:
 *   # title: ...  # rfc: 5321 4.1.4  # level: must|should|hardening
 *   ! ext +NAME | ! ext -NAME        (PIPELINING SIZE 8BITMIME SMTPUTF8 DSN
 *                                     CHUNKING ENHANCEDSTATUSCODES STARTTLS
 *                                     AUTH; default SMTPP_EXT_DEFAULT)
 *   ! size N | ! max-rcpt N | ! max-errors N
 *   ! lenient bare-lf|8bit|long-lines|path-space|trailing-sp
 *   ! policy reject-mail|reject-rcpt|reject-message|auth
 *   S: 250 [2.1.0] note   one expected reply: its code, its enhanced code
 *                         when given (brackets optional; "-" demands none);
 *                         any further text is a note for the reader
 *   S: 250-text           pins one line of a multi-line reply exactly; the
 *   S: 250 text           S: lines that follow, up to the first "DDD text"
 *                         one, are the reply's further lines, each pinned
 *                         exactly (the text after "DDD-" / "DDD ")
 *   C: text               client line, CRLF appended
 *   R: text               raw client bytes with the escapes of esc.h
 *   B: text               expected body (escapes) of the next MESSAGE_END
 *   E: TYPE ...           one expected event (the syntax: dialog.h); when a
 *                         file has E: lines, they list every event but BODY
 *   T: ok|fail            TLS barrier: smtpp_tls_done(s, ok) after the bytes
 *                         before it were fed
 *   X:                    the session must be closed here; no reply follows
 */
#ifndef SMTPP_COMMON_DIALOGFILE_H
#define SMTPP_COMMON_DIALOGFILE_H

#include "bbuf.h"

#include <smtpp/smtpp.h>

#include <stddef.h>
#include <stdint.h>

/* One S: expectation (a multi-line reply counts once). */
typedef struct dlg_expect {
  int code;        /* 200..599 */
  char enh[16];    /* "" unchecked, "-" none allowed, else "c.s.d" */
  int lines;       /* lines pinned (0: one S: line, the text unchecked) */
  char **text;     /* lines > 0: the text of each line after "DDD-"/"DDD " */
  size_t pos;      /* client octets before the (first) S: line */
} dlg_expect;

/* The host policies of "! policy" (tests/dialog.c applies them). */
#define DLG_POL_REJECT_MAIL    (1u << 0)
#define DLG_POL_REJECT_RCPT    (1u << 1)
#define DLG_POL_REJECT_MESSAGE (1u << 2)
#define DLG_POL_AUTH           (1u << 3)

/* Which limits a "!" directive set (DLG_SET_*, in dialog.set). */
#define DLG_SET_SIZE       (1u << 0)
#define DLG_SET_MAX_RCPT   (1u << 1)
#define DLG_SET_MAX_ERRORS (1u << 2)
#define DLG_SET_LENIENT    (1u << 3)

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
  smtpp_config cfg;          /* the directives applied to the defaults */
  uint32_t ext_set;          /* extensions a "! ext" line named */
  unsigned set;              /* DLG_SET_* */
  unsigned policy;           /* DLG_POL_* */
  bbuf input;                /* all client bytes */
  dlg_barrier *barriers;     /* T: lines */
  size_t nbarriers;
  dlg_expect *expect;        /* S: lines */
  size_t nexpect;
  bbuf *bodies;              /* B: lines */
  size_t nbodies;
  char **events;             /* E: lines, normalised (see dialog.h) */
  size_t nevents;
  int expect_closed;         /* X: seen */
  size_t closed_after;       /* replies expected before the close */
  size_t closed_pos;         /* client bytes before X: */
  /* smtpp serve flags that express the directives; serve_ok = 0 when
   * the dialog cannot be replayed through serve (T:, ! policy). */
  int serve_ok;
  char serve_why[64];
  char *serve_args[64];
  size_t nserve_args;
  char error[512];           /* load error, "" if none */
} dialog;

/* Reads and parses a file.  Returns 0, or -1 with d->error set ("NAME:LINE:
 * what"); d must be freed with dlg_free either way. */
int dlg_load(dialog *d, const char *path);
void dlg_free(dialog *d);

/* Lists the *.dialog files of dir, sorted by name (full paths).  Returns
 * the count, -1 on error.  Free with dlg_free_list. */
long dlg_list(const char *dir, char ***out);
void dlg_free_list(char **list, long n);

/* Normalises the text of an E: line in place (runs of blanks outside
 * quotes become one SP, no blanks at the ends).  Returns 0, or -1 if a
 * quoted string is not closed or holds a bad escape. */
int dlg_event_normalise(char *s);

#endif
