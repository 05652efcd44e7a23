/*
 * probe_run.h - sends one dialog to the server as units (a command line,
 * a DATA body up to its CRLF.CRLF, a BDAT command with its chunk) and
 * records which replies arrived for which unit, so that the judge blames
 * the command that earned a reply, never a reply index.
 */
#ifndef SMTPP_TOOLS_PROBE_RUN_H
#define SMTPP_TOOLS_PROBE_RUN_H

#include "probe_apply.h"

enum {
  U_GREETING,
  U_CMD,
  U_DATA,
  U_BODY,
  U_BDAT,
  U_STARTTLS,
  U_PARTIAL,
  U_PROBE /* the probe's own "." after an unexpected 354: not judged */
};

typedef struct punit {
  size_t start, end; /* client octets [start, end) */
  int kind;          /* U_* */
  size_t r0, r1;     /* replies [r0, r1) arrived while it was the last */
  int want;          /* replies a correct server gives (smtpp's view) */
  size_t e0, e1;     /* the dialog's expected replies [e0, e1) for it */
} punit;

/* Why the run stopped before the end of the dialog. */
enum {
  STOP_NONE = 0,
  STOP_CLOSED,     /* the server closed (after 221/421 or not) */
  STOP_354,        /* an unexpected 354: the probe ended the message */
  STOP_NO_354,     /* DATA not answered 354: the body cannot be sent */
  STOP_BDAT_FAIL,  /* BDAT failed; RFC 3030 2 bars more BDAT before RSET */
  STOP_STARTTLS,   /* 220 to STARTTLS: the rest is sent in clear text */
  STOP_WAIT,       /* a wait failed (timeout, giant reply) */
};

typedef struct prun {
  pconn c;
  rs_reader sc;
  int wait;         /* W_* of the first failed wait, W_OK if none */
  int writefail;
  int stop;         /* STOP_* */
  size_t stop_unit; /* the unit that made the run stop */
  punit *u;
  size_t nu, ucap;
  size_t drain_r0;  /* replies after this index came after our EOF */
  size_t next_exp;  /* the first expected reply no unit has taken */
} prun;

void probe_run_case(const ptarget *t, const pserver *s, const dialog *c,
                    int mode, prun *R);
void probe_run_free(prun *R);

/* Escaped client bytes [start, end) of c, cut to cap. */
void probe_client_text(const dialog *c, size_t start, size_t end, char *buf,
                       size_t cap);

/* Verb of the command line at in[0, n), upper case ("" if none). */
void probe_verb(const unsigned char *in, size_t n, char *verb, size_t cap);

#endif
