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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
#define SMTPP_C_LDH     0x400u /* Ldh-str octet: Let-dig / "-" */
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

/* smtpp_session.helo_kind: which greeting the session accepted. */
enum smtpp_helo_kind { SMTPP_HK_NONE = 0, SMTPP_HK_HELO = 1, SMTPP_HK_EHLO = 2 };

/* ---- commands.c: the command table ---- */
#define SMTPP_CF_NEEDS_EHLO   (1u << 0) /* 503 unless in an EHLO session */
#define SMTPP_CF_NOT_IN_TLS   (1u << 1) /* 503 once TLS is on (RFC 3207 4.2) */
#define SMTPP_CF_NOT_AUTHED   (1u << 2) /* 503 once authenticated (RFC 4954 4) */
#define SMTPP_CF_GROUP_END    (1u << 3) /* RFC 2920 3.1 last in group */
#define SMTPP_CF_NO_ARGS      (1u << 4) /* verb CRLF only */
#define SMTPP_CF_ARG_REQUIRED (1u << 5) /* verb SP something */
#define SMTPP_CF_ARG_OPTIONAL (1u << 6) /* verb [SP something] */
#define SMTPP_CF_ANY_TEXT     (1u << 7) /* a TAB may stand for the SP (NOOP) */

/* The bit of a state in smtpp_command.allowed. */
#define SMTPP_IN(state) (1u << (state))

/* A verb's check: its arguments [arg, end) (the judge has checked the line,
 * the sequence and the argument shape; ev, if not NULL, is a COMMAND event
 * with verb and arg set).  It answers, or asks the host (smtpp_ask), and
 * returns 0; or returns the smtpp_err the judge refuses the line with. */
typedef int (*smtpp_check_fn)(smtpp_session *s, int verb,
                              const unsigned char *arg,
                              const unsigned char *end, smtpp_event *ev);
/* A decision's proceed: the reply and the state change for code (valid for
 * the event; 421 is handled before); enh and text from the host or NULL. */
typedef void (*smtpp_proceed_fn)(smtpp_session *s, int verb, int code,
                                 const char *enh, const char *text);

typedef struct smtpp_command {
  const char *name;
  uint8_t len;
  uint8_t verb;        /* smtpp_verb */
  uint16_t flags;      /* SMTPP_CF_* */
  uint16_t allowed;    /* SMTPP_IN(state) of the states where it is in
                          sequence (RFC 5321 4.1.4, 3.3), else 503 */
  uint32_t needs_ext;  /* SMTPP_EXT_* that must be offered, else 502 */
  const char *help;    /* one-line usage for HELP <verb> */
  smtpp_check_fn check;
  smtpp_proceed_fn proceed; /* NULL: never decided by the host */
  uint16_t dflt;       /* default decision */
  uint16_t ok[3];      /* success codes smtpp_decide() takes (0: none) */
} smtpp_command;

extern const smtpp_command smtpp_commands[SMTPP_VERB__COUNT];

/* Finds the verb at the start of [p, end): the leading run of ASCII
 * letters, case-insensitive.  Returns the verb id (SMTPP_VERB_NONE if
 * unknown) and sets *vlen to the length of the letter run. */
int smtpp_verb_lookup(const unsigned char *p, const unsigned char *end,
                      size_t *vlen);

/* Slice of [p, p + n). */
static inline smtpp_slice smtpp_slice_of(const unsigned char *p, size_t n) {
  smtpp_slice sl;
  sl.p = p;
  sl.len = n;
  return sl;
}

/* ---- line.c: CRLF-only line framing ---- */
typedef struct smtpp_line_result {
  const unsigned char *line; /* the complete line without CRLF */
  size_t len;
  int too_long;              /* the line overflowed the buffer: line, len
                                are then its first SMTPP_LINE_MAX octets */
  int clean;                 /* known to hold no CR, LF or NUL (the scan
                                that found its end saw none); 0: unknown */
} smtpp_line_result;

/* Line framing state lives in the session (line[], line_len,
 * line_state).  Consumes from [p, end); returns the octets consumed.  Sets
 * *got to 1 when a complete line (or the end of an over-long one) was
 * reached; then *out describes it.  The line either points into the input
 * (nothing buffered) or into s->line.  bare_lf: SMTPP_LENIENT_BARE_LF. */
size_t smtpp_line_take(smtpp_session *s, const unsigned char *p,
                       const unsigned char *end, int bare_lf, int *got,
                       smtpp_line_result *out);

/* The first CR, LF or NUL in [p, end), or end: the octets that end a line
 * or make it bad (RFC 5321 2.3.8), found in one pass, sixteen octets at a
 * time where SSE2 is there (every x86-64). */
static inline const unsigned char *smtpp_first_cr_lf_nul(const unsigned char *p,
                                            const unsigned char *end) {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
  const __m128i nul = _mm_setzero_si128();
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr),
                                          _mm_cmpeq_epi8(v, lf)),
                             _mm_cmpeq_epi8(v, nul));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    if (bits)
      return p + __builtin_ctz(bits);
  }
#endif
  for (; p < end; p++)
    if (*p == '\r' || *p == '\n' || *p == '\0')
      return p;
  return end;
}

/* The common case of smtpp_line_take(), inline on the feed loop: nothing
 * gathered or skipped (s->line_len and s->line_state 0) and a whole line
 * in [p, end).  If the first CR, LF or NUL is the CR of a CRLF, that CRLF
 * ends the line (also with SMTPP_LENIENT_BARE_LF: no LF comes before it)
 * and the line holds none of them: *out is set and the octets consumed
 * returned.  Anything else returns 0 and smtpp_line_take() judges it
 * (finding the same end). */
static inline size_t smtpp_line_fast(const unsigned char *p,
                                     const unsigned char *end,
                                     smtpp_line_result *out) {
  const unsigned char *x = smtpp_first_cr_lf_nul(p, end);
  if (end - x < 2 || x[0] != '\r' || x[1] != '\n' ||
      (size_t)(x + 2 - p) > SMTPP_LINE_MAX)
    return 0;
  out->line = p;
  out->len = (size_t)(x - p);
  out->too_long = 0;
  out->clean = 1;
  return (size_t)(x + 2 - p);
}

/* The framing the feed loop uses (and fuzz_line checks): the inline common
 * case when nothing is gathered or skipped, else smtpp_line_take(). */
static inline size_t smtpp_line_next(smtpp_session *s, const unsigned char *p,
                                     const unsigned char *end, int bare_lf,
                                     int *got, smtpp_line_result *out) {
  if (s->line_len == 0 && s->line_state == 0) {
    size_t n = smtpp_line_fast(p, end, out);
    if (n) {
      *got = 1;
      return n;
    }
  }
  return smtpp_line_take(s, p, end, bare_lf, got, out);
}
void smtpp_line_reset(smtpp_session *s);

/* ---- address.c: RFC 5321 4.1.2 paths ---- */
#define SMTPP_DOMAIN_MAX 255u /* RFC 5321 4.5.3.1.2 */
typedef struct smtpp_path {
  const unsigned char *mailbox; size_t mailbox_len; /* local@domain */
  const unsigned char *local;   size_t local_len;
  const unsigned char *domain;  size_t domain_len;
  int null_path;      /* "<>" */
  int postmaster;     /* "<Postmaster>" without domain */
  int eightbit;       /* an octet > 127 somewhere in the path (UTF-8) */
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
static inline size_t smtpp_out_free(const smtpp_session *s) {
  return SMTPP_OUT_MAX - s->out_len;
}
/* Whether enhanced codes are used now (RFC 2034). */
int smtpp_use_enh(const smtpp_session *s);

/* Plain reply lines of the parser's own text: the enhanced code only when
 * in force (smtpp_use_enh), never on 3xx (RFC 3463 2).  more: "code-". */
void smtpp_reply(smtpp_session *s, int code, const char *enh,
                 const char *text);
void smtpp_reply_more(smtpp_session *s, int code, const char *enh,
                      const char *text, int more);
/* The parser's own fixed success replies (reply.c fixed_replies[]), each
 * precomposed at compile time with and without its enhanced code, so the
 * command path copies one line instead of composing it. */
enum smtpp_fixed_reply {
  SMTPP_R_OK,            /* 250 2.0.0 OK (RSET, NOOP) */
  SMTPP_R_SENDER_OK,     /* 250 2.1.0 (MAIL) */
  SMTPP_R_RCPT_OK,       /* 250 2.1.5 (RCPT) */
  SMTPP_R_DATA_GO,       /* 354 (DATA) */
  SMTPP_R_MSG_OK,        /* 250 2.0.0 (end of message) */
  SMTPP_R_CHUNK_OK,      /* 250 2.0.0 (a BDAT chunk, not LAST) */
  SMTPP_R_TLS_GO,        /* 220 2.0.0 (STARTTLS) */
  SMTPP_R_AUTH_OK,       /* 235 2.7.0 (AUTH) */
  SMTPP_R__COUNT
};
/* Queues fixed reply id: its enhanced form when smtpp_use_enh(). */
void smtpp_reply_fixed(smtpp_session *s, int id);
/* A decision's reply whose default is fixed reply id: the precomposed line
 * when the host left code, enh and text to the default, else
 * smtpp_decided() with the line's parts. */
void smtpp_decided_fixed(smtpp_session *s, int code, const char *enh,
                         const char *text, int id);
/* Room for n octets at the tail of the out buffer (unsent octets moved to
 * the front if needed), or NULL if fewer than n octets are free.  The
 * caller writes at most n octets there and adds them to out_len. */
unsigned char *smtpp_out_tail(smtpp_session *s, size_t n);

/* "hostname suffix" (the 220 greeting, the 221 to QUIT). */
void smtpp_hostname_reply(smtpp_session *s, int code, const char *enh,
                          const char *suffix);

/* ---- config.c ---- */
#define SMTPP_HOST_TEXT_MAX 127u /* host reply text kept (smtpp_decide) */
size_t smtpp_bounded_len(const char *p, size_t max); /* strlen, at most max */
int smtpp_config_ok(const smtpp_config *cfg);
const char *smtpp_hostname(const smtpp_session *s);
const char *smtpp_auth_mechs(const smtpp_session *s);
#define SMTPP_MAX_RCPT_DEFAULT 100u /* RFC 5321 4.5.3.1.8: at least 100 */
static inline uint32_t smtpp_max_rcpt(const smtpp_session *s) {
  return s->cfg->max_recipients ? s->cfg->max_recipients
                                : SMTPP_MAX_RCPT_DEFAULT;
}
uint32_t smtpp_max_errors(const smtpp_session *s);
uint64_t smtpp_size_limit(const smtpp_session *s); /* 0: none */

/* ---- state.c: the one place a state is assigned ---- */
void smtpp_set_state(smtpp_session *s, int state);
void smtpp_reset_transaction(smtpp_session *s);
void smtpp_close(smtpp_session *s);

/* ---- judge.c ---- */
/* Judges one complete command line lr (the first SMTPP_LINE_MAX octets of
 * an over-long one, too_long set) and runs its verb. */
void smtpp_judge_line(smtpp_session *s, const smtpp_line_result *lr,
                      smtpp_event *ev);
/* Refuses with err's reply; ev (if not NULL) becomes PROTOCOL_ERROR; the
 * error budget may close the session with 421. */
void smtpp_refuse(smtpp_session *s, int err, int verb, smtpp_event *ev);
size_t smtpp_line_limit(const smtpp_session *s, int verb);
int smtpp_has_8bit(const unsigned char *p, const unsigned char *end);

/* ---- decide.c: host decisions ---- */
#define SMTPP_PEND_NONE    SMTPP_VERB_NONE
#define SMTPP_PEND_MESSAGE SMTPP_VERB__COUNT /* else: the verb's id */
/* Raises a decidable event of kind (a verb, or the end of a message). */
void smtpp_ask(smtpp_session *s, int kind, smtpp_event *ev);
/* A decision's reply: text (the host's, sanitised) or deftext (own); enh
 * as in smtpp_reply.  smtpp_refused: enh NULL becomes "c.0.0". */
void smtpp_decided(smtpp_session *s, int code, const char *enh,
                   const char *text, const char *deftext);
void smtpp_refused(smtpp_session *s, int code, const char *enh,
                   const char *text, const char *deftext);

/* ---- verbs_envelope.c, verbs_service.c: checks and proceeds ---- */
int smtpp_check_helo(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_mail_rcpt(smtpp_session *, int, const unsigned char *,
                          const unsigned char *, smtpp_event *);
int smtpp_check_data(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_bdat(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_rset(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_vrfy(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_help(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_noop(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_quit(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
int smtpp_check_starttls(smtpp_session *, int, const unsigned char *,
                         const unsigned char *, smtpp_event *);
int smtpp_check_auth(smtpp_session *, int, const unsigned char *,
                     const unsigned char *, smtpp_event *);
void smtpp_proceed_helo(smtpp_session *, int, int, const char *, const char *);
void smtpp_proceed_mail_rcpt(smtpp_session *, int, int, const char *,
                             const char *);
void smtpp_proceed_data(smtpp_session *, int, int, const char *, const char *);
void smtpp_proceed_vrfy(smtpp_session *, int, int, const char *, const char *);
void smtpp_proceed_auth(smtpp_session *, int, int, const char *, const char *);
/* A line after 334 (RFC 4954 4). */
void smtpp_auth_response(smtpp_session *s, const unsigned char *l, size_t len,
                         int too_long, smtpp_event *ev);
/* BDAT: chunk-size [SP "LAST"] exactly [a, end), n <= 2^63 (RFC 3030 2):
 * 0 or SMTPP_ERR_BDAT_SYNTAX; and the chunk of an out-of-sequence BDAT,
 * read and thrown away before its 503. */
int smtpp_bdat_args(const unsigned char *a, const unsigned char *end,
                    uint64_t *size, int *last);
void smtpp_bdat_discard(smtpp_session *s, const unsigned char *arg,
                        const unsigned char *end);

/* ---- body.c: DATA and BDAT bodies, the end of a message ---- */
/* Feed [*p, end) to the DATA text / the BDAT chunk; 1 if *ev is set. */
int smtpp_data_feed(smtpp_session *s, const unsigned char **p,
                    const unsigned char *end, smtpp_event *ev);
int smtpp_bdat_feed(smtpp_session *s, const unsigned char **p,
                    const unsigned char *end, smtpp_event *ev);
void smtpp_bdat_chunk_done(smtpp_session *s, smtpp_event *ev);
void smtpp_proceed_message(smtpp_session *, int, int, const char *,
                           const char *);

#endif /* SMTPP_INTERNAL_H */
