/*
 * internal.h - interfaces between the files of parser/.  Not installed.
 * Exposed to tests/ and fuzz/ (per-layer unit tests and fuzz targets) via
 * the include path parser/src.
 *
 * Every scanner takes (p, end) and never reads at or past end.
 */
#ifndef SMTPP_INTERNAL_H
#define SMTPP_INTERNAL_H

#include "smtpp/smtpp.h"

#include <stddef.h>
#include <stdint.h>

/* ---- chars.c: 256-entry character classes (RFC 5321 4.1.2) ---- */
#define SMTPP_C_ALPHA   0x01u
#define SMTPP_C_DIGIT   0x02u
#define SMTPP_C_ATEXT   0x04u /* RFC 5322 3.2.3 atext */
#define SMTPP_C_QTEXT   0x08u /* qtextSMTP: %d32-33 / %d35-91 / %d93-126 */
#define SMTPP_C_XCHAR   0x10u /* RFC 3461 4: %d33-42 / %d44-60 / %d62-126 */
#define SMTPP_C_ESMTPV  0x20u /* esmtp-value char: %d33-60 / %d62-126 */
#define SMTPP_C_DCONT   0x40u /* dcontent: %d33-90 / %d94-126 */
#define SMTPP_C_PRINT   0x80u /* %d32-126 */
#define SMTPP_C_LETDIG  0x100u /* Let-dig: ALPHA / DIGIT */
#define SMTPP_C_DTOKEN  0x200u /* can be part of a Domain token: Let-dig,
                                  "-", "." and any octet >127 (U-labels) */
extern const uint16_t smtpp_cclass[256];
#define SMTPP_IS(c, cls) ((smtpp_cclass[(unsigned char)(c)] & (cls)) != 0)

/* Case-insensitive comparisons with an upper-case ASCII literal (verbs,
 * keywords and parameter values are case-insensitive, RFC 5321 2.4):
 * [p, p + n) equals lit / [p, end) starts with lit. */
int smtpp_ci_eq(const unsigned char *p, size_t n, const char *lit);
int smtpp_ci_prefix(const unsigned char *p, const unsigned char *end,
                    const char *lit);

/* Validates one UTF-8 sequence starting at p (RFC 3629); returns its
 * length, or 0 if malformed or truncated at end. */
size_t smtpp_utf8_seq(const unsigned char *p, const unsigned char *end);

/* ---- commands.c: the command table ---- */
#define SMTPP_CF_NEEDS_HELO   (1u << 0) /* 503 before HELO/EHLO */
#define SMTPP_CF_NEEDS_EHLO   (1u << 1) /* 503 in a HELO session */
#define SMTPP_CF_NO_TXN       (1u << 2) /* 503 inside a transaction */
#define SMTPP_CF_GROUP_END    (1u << 3) /* RFC 2920 3.1 last in group */
#define SMTPP_CF_NO_ARGS      (1u << 4) /* verb CRLF only */
#define SMTPP_CF_ARG_REQUIRED (1u << 5) /* verb SP something */
#define SMTPP_CF_ARG_OPTIONAL (1u << 6) /* verb [SP something] */

typedef struct smtpp_command {
  const char *name;
  uint8_t len;
  uint8_t verb;        /* smtpp_verb */
  uint16_t flags;      /* SMTPP_CF_* */
  uint32_t needs_ext;  /* SMTPP_EXT_* that must be offered, else 502 */
  const char *help;    /* one-line usage for HELP <verb> */
} smtpp_command;

extern const smtpp_command smtpp_commands[SMTPP_VERB__COUNT];

/* Finds the verb at the start of [p, end): the leading run of ASCII
 * letters, case-insensitive.  Returns the verb id (SMTPP_VERB_NONE if
 * unknown) and sets *vlen to the length of the letter run. */
int smtpp_verb_lookup(const unsigned char *p, const unsigned char *end,
                      size_t *vlen);

/* ---- line.c: CRLF-only line framing ---- */
typedef struct smtpp_line_result {
  const unsigned char *line; /* the complete line without CRLF */
  size_t len;
  int too_long;              /* the line overflowed the buffer: line, len
                                are then its first SMTPP_LINE_MAX octets */
} smtpp_line_result;

/* Line framing state lives in the session (line[], line_len, line_state,
 * line_total).  Consumes from [p, end); returns the octets consumed.  Sets
 * *got to 1 when a complete line (or the end of an over-long one) was
 * reached; then *out describes it.  The line either points into the input
 * (nothing buffered) or into s->line.  bare_lf: SMTPP_LENIENT_BARE_LF. */
size_t smtpp_line_take(smtpp_session *s, const unsigned char *p,
                       const unsigned char *end, int bare_lf, int *got,
                       smtpp_line_result *out);
void smtpp_line_reset(smtpp_session *s);

/* ---- address.c: RFC 5321 4.1.2 paths ---- */
typedef struct smtpp_path {
  const unsigned char *mailbox; size_t mailbox_len; /* local@domain */
  const unsigned char *local;   size_t local_len;
  const unsigned char *domain;  size_t domain_len;
  int null_path;      /* "<>" */
  int postmaster;     /* "<Postmaster>" without domain */
} smtpp_path;

#define SMTPP_ADDR_UTF8       (1u << 0) /* RFC 6531 UTF-8 allowed */
#define SMTPP_ADDR_ALLOW_NULL (1u << 1) /* "<>" allowed (MAIL) */
#define SMTPP_ADDR_POSTMASTER (1u << 2) /* "<Postmaster>" allowed (RCPT) */

/* Parses a Path at p; on success returns 0 and sets *after to the octet
 * following '>'.  On failure returns an smtpp_err (SYNTAX, PATH_TOO_LONG,
 * LOCAL_TOO_LONG, DOMAIN_TOO_LONG, EIGHTBIT). */
int smtpp_parse_path(const unsigned char *p, const unsigned char *end,
                     unsigned flags, smtpp_path *out,
                     const unsigned char **after);

/* Domain (RFC 5321 4.1.2) spanning exactly [p, end); utf8 allows U-labels.
 * Returns 0 or an smtpp_err. */
int smtpp_check_domain(const unsigned char *p, const unsigned char *end,
                       int utf8);
/* address-literal including the brackets, exactly [p, end). 0 or err. */
int smtpp_check_address_literal(const unsigned char *p,
                                const unsigned char *end);

/* ---- params.c: ESMTP parameters of MAIL and RCPT ---- */
/* Parses " SP esmtp-param *(SP esmtp-param)" spanning exactly [p, end)
 * (p at the first SP, or p == end for none).  verb: MAIL or RCPT.
 * offered: the SMTPP_EXT_* bits in force (0 in a HELO session).
 * max_size: SIZE limit (0 none).  utf8: the transaction is SMTPUTF8, so
 * values may hold UTF-8 (RFC 6531 3.3).  Returns 0 or an smtpp_err (UNKNOWN_PARAM,
 * DUP_PARAM, BAD_PARAM, SYNTAX, SIZE_EXCEEDED). */
int smtpp_parse_params(const unsigned char *p, const unsigned char *end,
                       int verb, uint32_t offered, uint64_t max_size,
                       int utf8, smtpp_params *out);
/* Checks an xtext value (RFC 3461 4); decoded must hold no CR, LF, NUL.
 * ci: hex digits in either case (RFC 4954 5, AUTH=). */
int smtpp_check_xtext(const unsigned char *p, const unsigned char *end,
                      int ci);

/* ---- data.c: DATA body scanner (dot-unstuffing, CRLF.CRLF end) ---- */
#define SMTPP_DS_LINE_START 0 /* after CRLF (or right after 354) */
#define SMTPP_DS_IN_LINE    1
#define SMTPP_DS_CR         2 /* CR seen inside a line */
#define SMTPP_DS_DOT        3 /* "." at the start of a line */
#define SMTPP_DS_DOT_CR     4 /* ".\r" at the start of a line */

typedef struct smtpp_data_result {
  smtpp_slice body;  /* unstuffed octets to deliver (may be empty) */
  int end;           /* CRLF.CRLF seen: message complete */
  int line_too_long; /* a text line went over 1000 octets */
} smtpp_data_result;

/* Scans [p, end) in DATA.  Returns the octets consumed; stops after one
 * body slice, at the end of the message, or at end.  State: s->data_state,
 * s->data_line_len. */
size_t smtpp_data_scan(smtpp_session *s, const unsigned char *p,
                       const unsigned char *end, smtpp_data_result *out);

/* ---- reply.c: the reply writer ---- */
/* Appends one reply line "code[-| ][enh ]text\r\n" to the out buffer;
 * text is sanitised (non-printables → '?') and cut so the line fits 512.
 * more != 0 writes "code-".  Returns 0 or -SMTPP_ERR_CLOSED if no room. */
int smtpp_reply_line(smtpp_session *s, int code, const char *enh,
                     const char *text, size_t text_len, int more);
/* The same for the parser's own constant text, known printable: copied
 * without the per-octet sanitising (only host text needs it). */
int smtpp_reply_own(smtpp_session *s, int code, const char *enh,
                    const char *text, size_t text_len, int more);
/* Writes the default reply of an error id to a command of verb
 * (SMTPP_VERB_NONE if none): with its enhanced code when in force, none on
 * a reply to HELO/EHLO, X.1.7 instead of X.1.3 for MAIL (see
 * SMTPP_ERROR_TABLE). */
int smtpp_reply_err(smtpp_session *s, int err, int verb);
size_t smtpp_out_free(const smtpp_session *s);
/* Whether enhanced codes are used now (RFC 2034). */
int smtpp_use_enh(const smtpp_session *s);

#endif /* SMTPP_INTERNAL_H */
