/*
 * model.h - the reference model: what an RFC-conforming smtpp answers,
 * derived on its own route from RFC 5321 (4.1-4.3, 3.3, 4.5.3), the
 * extension RFCs and docs/PROTOCOL.md.  It reads no table the parser
 * reads: its reply codes come from allowed.h (its own table, written from
 * the RFC text), its verbs, sequencing, grammar, limits and character
 * classes from its own tables (model_tables.c, model_addr.c,
 * model_params.c).  The public API serves only to name things (verb,
 * error and event ids) and to carry predicted events (smtpp_event).
 * ctest model_independent fails if a model source reaches for parser
 * knowledge (docs/DESIGN.md "The model's independence").
 * Slow on purpose: obviously right beats fast here.
 */
#ifndef ORACLE_MODEL_H
#define ORACLE_MODEL_H

#include "allowed.h"
#include "bbuf.h"
#include "decide.h"
#include "smtpp/smtpp.h"

#include <stddef.h>
#include <stdint.h>

#define MODEL_LINE_BUF 1536u /* the line buffer smtpp.h promises */

/* ---- one expected reply ---- */
typedef struct model_reply {
  int sit;                /* allowed.h situation (0: a host decision) */
  int code, alt_code;     /* alt_code: also right (0 none) */
  char enh[12], alt_enh[12]; /* "" = no enhanced code */
  int err;                /* smtpp_err that names it (0 success) */
  int prop;               /* property a wrong answer violates */
  int ehlo;               /* an EHLO reply: lines are checked (set) */
  size_t text_off, text_len; /* expected text in model_result.texts
                                (EHLO: the lines, '\n'-separated), or
                                text_len 0: not checked */
  int has_text;
  int helo;               /* the session at the time: 0 none, 1 HELO, 2 EHLO */
  int host;               /* the code is the host's (a decision), not
                             smtpp's own choice */
  int quirk;              /* MODEL_Q_*: a case where today's parser reads
                             the RFC otherwise (known.h) */
  size_t ev_line;         /* events lines before this reply's event */
  size_t off, len;        /* the input line it answers */
} model_reply;

/* Cases the model marks so that a known disagreement (known.h) can be
 * recognised precisely. */
enum { MODEL_Q_NONE };

/* ---- one message: body bytes as the host must see them ---- */
#define MODEL_MSG_OPEN 0    /* input ended inside it */
#define MODEL_MSG_ENDED 1   /* CRLF.CRLF or BDAT LAST */
#define MODEL_MSG_ABORTED 2 /* transaction ended without an end */
typedef struct model_msg {
  bbuf body;
  int kind;
  int err, alt_err;       /* at the end: 0 accepted, else the failure */
} model_msg;

typedef struct model_result {
  model_reply *rep;
  size_t nrep, caprep;
  model_msg *msg;
  size_t nmsg, capmsg, nmsg_init; /* nmsg_init: bodies with memory */
  bbuf events;  /* predicted events, oracle_event_text() lines */
  size_t nevents;
  uint64_t *ev_ok;  /* per event line: bit (1 << id) for every error id
                       its PROTOCOL_ERROR may carry (where two rules break
                       at once, each names it rightly) */
  size_t cap_ev_ok;
  bbuf texts;   /* expected reply texts (model_reply.text_off) */
  int tls;      /* STARTTLS accepted, handshake never ended */
  int closed;   /* 221 or 421 */
} model_result;

/* Runs the model over the whole input with the host decisions of tape
 * (NULL: defaults).  out must be zeroed or hold an earlier result (its
 * memory is reused). */
void model_run(const smtpp_config *cfg, const uint8_t *in, size_t len,
               const oracle_tape *tape, model_result *out);
void model_result_free(model_result *r);
/* A fresh message in an array of messages, reusing body memory. */
model_msg *model_msg_add(model_msg **arr, size_t *n, size_t *cap, size_t *ninit);

/* ---- layers, also used by the per-layer fuzz targets ---- */

/* Line framing (RFC 5321 2.3.8): returns the octets of the line starting at
 * p including its end (CRLF; or any LF when bare_lf), 0 if the line has no
 * end in [p, p+n); *content is the line without its end. */
size_t model_line(const uint8_t *p, size_t n, int bare_lf, size_t *content);

/* The verb: the leading run of ASCII letters, case-insensitive (2.4). */
int model_verb(const uint8_t *p, size_t n, size_t *vlen);

/* A path: error id (0 ok) and alternative id (an equally right answer
 * where two rules break at once, 0 none); *used = octets up to and
 * including '>'.  utf8: well-formed UTF-8 allowed in local part and
 * domain (RFC 6531 3.3; whether it may be used is the caller's check).
 * mb (may be NULL) gets the mailbox's parts, offsets from p. */
#define MODEL_PATH_NULL_OK 1u   /* MAIL: "<>" */
#define MODEL_PATH_POSTMASTER 2u /* RCPT: "<Postmaster>" */
typedef struct model_mailbox {
  size_t local_off, local_len, dom_off, dom_len;
} model_mailbox;
int model_path(const uint8_t *p, size_t n, unsigned flags, int utf8,
               size_t *used, int *alt, model_mailbox *mb);
/* Domain spanning exactly [p, p+n) (RFC 5321 4.1.2); 0 or SYNTAX /
 * EIGHTBIT; *too_long set if over 255 octets. */
int model_domain(const uint8_t *p, size_t n, int utf8, int *too_long);
/* address-literal with brackets, exactly [p, p+n) (RFC 5321 4.1.3). */
int model_literal(const uint8_t *p, size_t n);
/* Well-formed UTF-8 sequence at p (RFC 3629): its length or 0. */
size_t model_utf8(const uint8_t *p, size_t n);

/* ESMTP parameters " SP param ..." spanning exactly [p, p+n), decoded
 * into out->ev (the smtpp_params an event must carry, slices into p). */
typedef struct model_params {
  int smtputf8;
  int has_size;
  uint64_t size;
  smtpp_params ev;
} model_params;
/* utf8: the transaction is SMTPUTF8 (values may hold UTF-8, RFC 6531 3.3) */
int model_params_check(const uint8_t *p, size_t n, int verb, uint32_t offered,
                       uint64_t max_size, int utf8, model_params *out);

/* DATA body, one octet at a time (RFC 5321 4.5.2). */
typedef struct model_data {
  int st;            /* 0 line start, 1 in line, 2 CR seen, 3 ".", 4 ".\r" */
  uint32_t line_len; /* octets of this text line, stuffing dot excluded */
  int line_too_long; /* a line went over 1000 octets */
} model_data;
/* Appends the octets c delivers to body; returns 1 when c ends the
 * message (the "." CRLF after a CRLF). */
int model_data_byte(model_data *d, uint8_t c, bbuf *body);

/* The model's own reply for an error id, out of any command's context
 * (the per-layer targets compare the parser's error with the model's by
 * the reply each would give): via allowed.h, never the parser's table. */
int model_err_code(int err);
const char *model_err_enh(int err);

/* oracle/evtext.c: one event as a line of text (what P11 compares). */
void oracle_event_text(bbuf *o, const smtpp_event *ev);

#endif
