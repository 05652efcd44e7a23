/*
 * model.h - the reference model: docs/PROTOCOL.md restated in the plainest
 * C, byte by byte, independent of parser/src (it uses only the public
 * error table and ids of smtpp.h).  Slow on purpose: obviously right
 * beats fast here.
 */
#ifndef ORACLE_MODEL_H
#define ORACLE_MODEL_H

#include "bbuf.h"
#include "smtpp/smtpp.h"

#include <stddef.h>
#include <stdint.h>

#define MODEL_LINE_BUF 1536u /* SMTPP_LINE_MAX: the parser's buffer */

/* ---- one expected reply ---- */
typedef struct model_reply {
  int code, alt_code;     /* alt_code: also right (0 none) */
  char enh[12], alt_enh[12]; /* "" = no enhanced code */
  int err;                /* smtpp_err behind it (0 success) */
  int prop;               /* property a wrong answer violates */
  size_t off, len;        /* the input line it answers */
} model_reply;

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
  int state;   /* smtpp_state at the end */
  int tls;     /* STARTTLS was accepted: all later input discarded */
  int closed;  /* 221 or 421 */
} model_result;

/* Runs the model over the whole input.  out must be zeroed or hold an
 * earlier result (its memory is reused). */
void model_run(const smtpp_config *cfg, const uint8_t *in, size_t len,
               model_result *out);
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
 * domain (RFC 6531 3.3; whether it may be used is the caller's check). */
#define MODEL_PATH_NULL_OK 1u   /* MAIL: "<>" */
#define MODEL_PATH_POSTMASTER 2u /* RCPT: "<Postmaster>" */
int model_path(const uint8_t *p, size_t n, unsigned flags, int utf8,
               size_t *used, int *alt);
/* Domain spanning exactly [p, p+n) (RFC 5321 4.1.2); 0 or SYNTAX /
 * EIGHTBIT; *too_long set if over 255 octets. */
int model_domain(const uint8_t *p, size_t n, int utf8, int *too_long);
/* address-literal with brackets, exactly [p, p+n) (RFC 5321 4.1.3). */
int model_literal(const uint8_t *p, size_t n);
/* Well-formed UTF-8 sequence at p (RFC 3629): its length or 0. */
size_t model_utf8(const uint8_t *p, size_t n);

/* ESMTP parameters " SP param ..." spanning exactly [p, p+n). */
typedef struct model_params {
  int smtputf8;
  int has_size;
  uint64_t size;
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

/* Reply code and enhanced code of an error id (public table). */
int model_err_code(int err);
const char *model_err_enh(int err);

#endif
