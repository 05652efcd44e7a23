/*
 * smtpp.h - the whole public API of libsmtpp, a hardened server-side SMTP
 * session parser (RFC 5321 with the ESMTP extensions PIPELINING, SIZE,
 * 8BITMIME, SMTPUTF8, DSN, CHUNKING, ENHANCEDSTATUSCODES, STARTTLS, AUTH).
 *
 * Contract (see docs/EMBEDDING.md for the long form):
 *  - Memory: the caller owns one fixed-size smtpp_session and one
 *    smtpp_config.  The library never allocates, never does I/O, keeps no
 *    globals, never aborts or exits.  The config must outlive the session.
 *  - Feeding: bytes go in through smtpp_feed() in any chunking.  Each call
 *    returns at most one event.  The same input in any split yields the same
 *    events (body pieces may be cut differently; their concatenation is the
 *    same) and the same reply bytes.
 *  - Replies: the parser writes every reply into its own bounded buffer; the
 *    host pulls them with smtpp_out_buf()/smtpp_out_ack().  No reply line is
 *    longer than 512 octets including CRLF (RFC 5321 4.5.3.1.5) and no input
 *    byte is ever copied into a reply.
 *  - Policy: a host with a policy sets smtpp_config.host_decides = 1.  Then
 *    for MAIL, RCPT, DATA, end of message, VRFY/EXPN, HELO/EHLO and AUTH
 *    the event is decidable: the session pauses until the host answers
 *    with smtpp_decide() (or smtpp_decide_default()), now or later -- a
 *    lookup may be asynchronous.  Nothing else resolves a decision: while
 *    one is pending smtpp_feed() returns SMTPP_PAUSED and consumes nothing,
 *    smtpp_out_buf() returns only the replies queued before it, and
 *    smtpp_shutdown() refuses it.  A host without a policy (host_decides 0,
 *    the default, or ev == NULL) gets the defaults at once and its events
 *    are notices.  Fail closed: a refusal the library cannot send as given
 *    is still sent as a refusal.
 *  - One result convention: every int-returning function returns a value
 *    >= 0 on success and -(smtpp_err) on failure.
 */
#ifndef SMTPP_H
#define SMTPP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMTPP_VERSION_MAJOR 0
#define SMTPP_VERSION_MINOR 2
#define SMTPP_VERSION_PATCH 0
#define SMTPP_VERSION_STRING "0.2.0"

/* ------------------------------------------------------------------------
 * Errors and their default replies: one table.
 *
 * XX(id, NAME, code, "enhanced", "reply text", "reason")
 * code 0 means the error is an API/host error and has no SMTP reply.
 * Ids are stable: new entries go at the end.
 * enhanced: RFC 3463.  The address limits (4, 5, 6) carry X.1.3 (bad
 * destination mailbox address syntax); when the command is MAIL the reply
 * uses X.1.7 (bad sender's mailbox address syntax, RFC 3463 3.2) instead.
 * A path that breaks the grammar is SYNTAX, X.5.4 (invalid arguments).
 * Replies to HELO/EHLO and the greeting never carry one (RFC 2034 4).
 * ---------------------------------------------------------------------- */
#define SMTPP_ERROR_TABLE(XX)                                                  \
  XX(0,  OK,               0,   "",      "",                                   "success")                                   \
  XX(1,  UNKNOWN_COMMAND,  500, "5.5.2", "Unrecognized command",               "the verb is not an SMTP command (RFC 5321 4.2.4)") \
  XX(2,  LINE_TOO_LONG,    500, "5.5.2", "Line too long",                      "command line over its limit (RFC 5321 4.5.3.1.4)") \
  XX(3,  SYNTAX,           501, "5.5.4", "Syntax error in parameters or arguments", "arguments do not match the command's grammar (RFC 5321 4.1.1)") \
  XX(4,  PATH_TOO_LONG,    501, "5.1.3", "Path too long",                      "path over 256 octets (RFC 5321 4.5.3.1.3)") \
  XX(5,  LOCAL_TOO_LONG,   501, "5.1.3", "Local part too long",                "local part over 64 octets (RFC 5321 4.5.3.1.1)") \
  XX(6,  DOMAIN_TOO_LONG,  501, "5.1.3", "Domain too long",                    "domain over 255 octets (RFC 5321 4.5.3.1.2)") \
  XX(7,  BAD_SEQUENCE,     503, "5.5.1", "Bad sequence of commands",           "command not allowed in this state (RFC 5321 4.1.4, 3.3)") \
  XX(8,  NOT_IMPLEMENTED,  502, "5.5.1", "Command not implemented",            "command known but not offered (RFC 5321 4.2.4)") \
  XX(9,  PARAM_NOT_IMPL,   504, "5.5.4", "Command parameter not implemented",  "parameter value not implemented (RFC 5321 4.2.4)") \
  XX(10, UNKNOWN_PARAM,    555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented", "unknown ESMTP parameter (RFC 5321 4.1.1.11)") \
  XX(11, DUP_PARAM,        501, "5.5.4", "Duplicate parameter",                "parameter given twice (RFC 5321 4.1.1.11)") \
  XX(12, BAD_PARAM,        501, "5.5.4", "Malformed parameter",                "known parameter with a malformed value") \
  XX(13, SIZE_EXCEEDED,    552, "5.3.4", "Message size exceeds fixed maximum message size", "declared or actual size over SIZE (RFC 1870 6)") \
  XX(14, TOO_MANY_RCPTS,   452, "4.5.3", "Too many recipients",                "recipient cap reached (RFC 5321 4.5.3.1.10)") \
  XX(15, DATA_LINE_TOO_LONG, 500, "5.5.2", "Line too long in message text",    "text line over 1000 octets (RFC 5321 4.5.3.1.6)") \
  XX(16, NO_VALID_RCPTS,   554, "5.5.1", "No valid recipients",                "transaction has no accepted recipient") \
  XX(17, TOO_MANY_ERRORS,  421, "4.7.0", "Too many errors, closing connection", "error budget spent") \
  XX(18, BDAT_SYNTAX,      421, "4.5.2", "Malformed BDAT, closing connection", "a BDAT line not obeyable exactly: its chunk cannot be skipped (RFC 3030 2, RFC 5321 3.8)") \
  XX(19, EIGHTBIT,         501, "5.5.4", "8-bit characters not allowed here",  "octet >127 without SMTPUTF8 (RFC 5321 2.3.1, RFC 6531)") \
  XX(20, BARE_CR_LF,       501, "5.5.2", "Bare CR or LF or NUL in command",    "CR and LF must only appear as CRLF (RFC 5321 2.3.8)") \
  XX(21, TLS_FAILED,       421, "4.7.0", "TLS negotiation failed, closing connection", "a failed TLS handshake (not queued since 0.2: the peer expects TLS records, smtpp_tls_done(s, 0) just closes)") \
  XX(22, AUTH_CANCELLED,   501, "5.7.0", "Authentication cancelled",           "client sent * (RFC 4954 4)") \
  XX(23, SHUTDOWN,         421, "4.3.2", "Service shutting down, closing connection", "host requested shutdown (RFC 5321 3.8)") \
  XX(24, NULL_ARG,         0,   "",      "",                                   "a required argument is NULL") \
  XX(25, BAD_CONFIG,       0,   "",      "",                                   "the config is invalid (see smtpp_config)") \
  XX(26, NO_DECISION,      0,   "",      "",                                   "no host decision is pending") \
  XX(27, BAD_CODE,         0,   "",      "",                                   "the host's reply code is not valid for this decision") \
  XX(28, CLOSED,           0,   "",      "",                                   "the session is closed") \
  XX(29, NOT_IN_TLS,       0,   "",      "",                                   "no TLS handshake is pending") \
  XX(30, MSG_FAILED,       554, "5.6.0", "Transaction failed",                 "message rejected") \
  XX(31, NONASCII_SENDER,  550, "5.6.7", "Non-ASCII addresses not permitted for that sender", "UTF-8 reverse-path without SMTPUTF8 (RFC 6531 3.5)") \
  XX(32, NONASCII_RCPT,    553, "5.6.7", "Non-ASCII addresses not permitted for that recipient", "UTF-8 forward-path without SMTPUTF8 (RFC 6531 3.5)") \
  XX(33, AUTH_BASE64,      501, "5.5.2", "Cannot Base64-decode client response", "malformed base64 in AUTH (RFC 4954 4)") \
  XX(34, AUTH_TOO_LONG,    500, "5.5.6", "Authentication Exchange line is too long", "SASL response over the line buffer (RFC 4954 4, 6)")

typedef enum smtpp_err {
#define SMTPP_XX_ENUM(id, name, code, enh, text, reason) SMTPP_ERR_##name = id,
  SMTPP_ERROR_TABLE(SMTPP_XX_ENUM)
#undef SMTPP_XX_ENUM
  SMTPP_ERR__COUNT
} smtpp_err;

/* Lookups in static tables: no side effect, never NULL. */
const char *smtpp_err_name(int err);   /* "LINE_TOO_LONG"; accepts err or -err */
const char *smtpp_err_reason(int err); /* human reason */
int smtpp_err_code(int err);           /* default SMTP code, 0 if none */

/* ------------------------------------------------------------------------
 * Commands: one table (parser/src/commands.c).
 * ---------------------------------------------------------------------- */
typedef enum smtpp_verb {
  SMTPP_VERB_NONE = 0,
  SMTPP_VERB_HELO, SMTPP_VERB_EHLO, SMTPP_VERB_MAIL, SMTPP_VERB_RCPT,
  SMTPP_VERB_DATA, SMTPP_VERB_BDAT, SMTPP_VERB_RSET, SMTPP_VERB_VRFY,
  SMTPP_VERB_EXPN, SMTPP_VERB_HELP, SMTPP_VERB_NOOP, SMTPP_VERB_QUIT,
  SMTPP_VERB_STARTTLS, SMTPP_VERB_AUTH,
  SMTPP_VERB__COUNT
} smtpp_verb;

const char *smtpp_verb_name(int verb);

/* ------------------------------------------------------------------------
 * Configuration.
 * ---------------------------------------------------------------------- */
/* Extensions offered in the EHLO reply (RFC 5321 4.1.1.1). */
#define SMTPP_EXT_PIPELINING    (1u << 0) /* RFC 2920 */
#define SMTPP_EXT_SIZE          (1u << 1) /* RFC 1870 */
#define SMTPP_EXT_8BITMIME      (1u << 2) /* RFC 6152 */
#define SMTPP_EXT_SMTPUTF8      (1u << 3) /* RFC 6531 */
#define SMTPP_EXT_DSN           (1u << 4) /* RFC 3461 */
#define SMTPP_EXT_CHUNKING      (1u << 5) /* RFC 3030 */
#define SMTPP_EXT_ENHANCEDSTATUSCODES (1u << 6) /* RFC 2034 */
#define SMTPP_EXT_STARTTLS      (1u << 7) /* RFC 3207: host can do TLS */
#define SMTPP_EXT_AUTH          (1u << 8) /* RFC 4954: host does SASL */
#define SMTPP_EXT_ALL ((SMTPP_EXT_AUTH << 1) - 1) /* every bit above */
#define SMTPP_EXT_DEFAULT                                                     \
  (SMTPP_EXT_PIPELINING | SMTPP_EXT_SIZE | SMTPP_EXT_8BITMIME |               \
   SMTPP_EXT_SMTPUTF8 | SMTPP_EXT_DSN | SMTPP_EXT_CHUNKING |                  \
   SMTPP_EXT_ENHANCEDSTATUSCODES)

/* Leniencies: each off by default.  USE WITH CAUTION: each widens what the
 * parser accepts and each carries the risk written beside it.  None of them
 * changes the end of DATA: only CRLF.CRLF ends a message, always. */
#define SMTPP_LENIENT_BARE_LF     (1u << 0) /* a bare LF ends a command line.
   Risk: SMTP smuggling and command injection where a proxy in front frames
   lines differently (RFC 5321 2.3.8 forbids it). */
#define SMTPP_LENIENT_8BIT        (1u << 1) /* octets >127 in command
   arguments without SMTPUTF8.  Risk: unvalidated non-ASCII reaches the host
   (logs, databases, downstream MTAs that assume ASCII). */
#define SMTPP_LENIENT_LONG_LINES  (1u << 2) /* command lines up to
   SMTPP_LINE_MAX octets instead of the RFC limits.  Risk: downstream code
   sized for RFC limits (CVE-2019-16928-style overflows). */
#define SMTPP_LENIENT_PATH_SPACE  (1u << 3) /* allow SP between "FROM:" /
   "TO:" and the path.  Risk: differs from RFC 5321 4.1.2 grammar; some
   proxies parse the path differently. */
#define SMTPP_LENIENT_TRAILING_SP (1u << 4) /* ignore trailing SP before
   CRLF.  Risk: low; hides broken clients. */
#define SMTPP_LENIENT_HELO_NAME   (1u << 5) /* HELO/EHLO take any printable
   token without SP: "HELO [192.0.2.1]" (Python smtplib), "EHLO my_pc",
   "EHLO host.example." (RFC 5321 4.1.1.1 allows a Domain, and for EHLO an
   address literal, only).  Risk: the host sees an unvalidated name; never
   use it for anything but logging. */
#define SMTPP_LENIENT_ALL ((SMTPP_LENIENT_HELO_NAME << 1) - 1)

typedef struct smtpp_config {
  const char *hostname;       /* our domain in 220/250/221; must be a valid
                                 Domain (RFC 5321 4.1.2); NULL = "localhost" */
  uint32_t extensions;        /* SMTPP_EXT_* */
  uint32_t lenient;           /* SMTPP_LENIENT_* */
  uint64_t max_message_size;  /* SIZE limit in octets; 0 = no fixed limit
                                 (advertised as "SIZE 0", RFC 1870 4) */
  uint32_t max_recipients;    /* per transaction; 0 = 100; must be >= 100
                                 (RFC 5321 4.5.3.1.8) */
  uint32_t max_errors;        /* protocol errors before 421; 0 = 20 */
  const char *auth_mechanisms; /* SASL mechanisms offered with AUTH, space
                                 separated, e.g. "PLAIN LOGIN"; NULL =
                                 "PLAIN"; at most 200 octets */
  int host_decides;           /* 0 (default): the host has no policy; every
                                 decision takes its default at once, events
                                 are notices (never SMTPP_EVF_DECIDABLE) and
                                 the session never pauses.  1: the host
                                 decides; a decidable event pauses the
                                 session until smtpp_decide() (or
                                 smtpp_decide_default()).  Other values:
                                 SMTPP_ERR_BAD_CONFIG. */
} smtpp_config;

/* Fills cfg with the defaults: all of SMTPP_EXT_DEFAULT, strict, 10 MiB
 * SIZE, 100 recipients, 20 errors, hostname "localhost", host_decides 0
 * (no policy: the defaults accept; set it to 1 to decide).  Writes only
 * *cfg (NULL: nothing).  Fill one config once, before the first session,
 * and share it read-only; never refill it while sessions use it. */
void smtpp_config_default(smtpp_config *cfg);

/* ------------------------------------------------------------------------
 * Events.
 * ---------------------------------------------------------------------- */
typedef struct smtpp_slice {
  const unsigned char *p; /* into the caller's input, into the session's
                             line buffer, or into static data; valid until
                             the next call to any smtpp_* function that
                             takes the session, except the read-only ones */
  size_t len;
} smtpp_slice;

typedef enum smtpp_event_type {
  SMTPP_EV_NONE = 0,     /* nothing (returned with SMTPP_NEED_MORE etc.) */
  SMTPP_EV_COMMAND,      /* a command was accepted for processing: verb,
                            args; decidable for HELO/EHLO, MAIL, RCPT, DATA,
                            VRFY, EXPN, AUTH.  RSET, and an accepted
                            HELO/EHLO, end the transaction. */
  SMTPP_EV_PROTOCOL_ERROR, /* the parser refused a line; .error says why;
                            the reply is already queued.  With .verb BDAT
                            and .error SIZE_EXCEEDED the transaction ended. */
  SMTPP_EV_BODY,         /* a piece of message body (DATA: dot-unstuffed;
                            BDAT: the raw chunk); .message_size is the
                            running total, SMTPP_EVF_OVER_SIZE set once it
                            passed the SIZE limit */
  SMTPP_EV_MESSAGE_END,  /* end of message (CRLF.CRLF, or BDAT LAST);
                            decidable unless .error is set (then the parser
                            already failed it with that error's reply); the
                            transaction ends either way */
  SMTPP_EV_STARTTLS,     /* 220 queued; every octet given after the
                            STARTTLS line was consumed and discarded.  Send
                            the replies, do the TLS handshake, then call
                            smtpp_tls_done().  The transaction ends. */
  SMTPP_EV_AUTH_RESPONSE,/* a client line in an AUTH exchange (.arg) */
  SMTPP_EV_CLOSE         /* 221 or 421 queued; nothing more is read */
} smtpp_event_type;

/* Event flags. */
#define SMTPP_EVF_GROUP_END     (1u << 0) /* RFC 2920 3.1: this verb must end
                                            a pipelined group */
#define SMTPP_EVF_INPUT_PENDING (1u << 1) /* bytes followed this command in
                                            the same smtpp_feed() call (the
                                            only chunking-dependent bit);
                                            on STARTTLS: they were
                                            discarded (injected plaintext) */
#define SMTPP_EVF_DECIDABLE     (1u << 2) /* smtpp_decide() applies */
#define SMTPP_EVF_LAST          (1u << 3) /* BDAT LAST */
#define SMTPP_EVF_SMTPUTF8      (1u << 4) /* MAIL carried SMTPUTF8 */
#define SMTPP_EVF_OVER_SIZE     (1u << 5) /* BODY: the message already has
                                            more octets than the SIZE limit;
                                            it will end in 552 (RFC 1870 6),
                                            so the host may stop storing */

/* Values of smtpp_params.body (RFC 6152), .ret and .notify (RFC 3461 4). */
#define SMTPP_BODY_NONE      0
#define SMTPP_BODY_7BIT      1
#define SMTPP_BODY_8BITMIME  2
#define SMTPP_RET_NONE       0
#define SMTPP_RET_FULL       1
#define SMTPP_RET_HDRS       2
#define SMTPP_NOTIFY_NEVER   (1u << 0) /* bits of .notify; 0 = not given */
#define SMTPP_NOTIFY_SUCCESS (1u << 1)
#define SMTPP_NOTIFY_FAILURE (1u << 2)
#define SMTPP_NOTIFY_DELAY   (1u << 3)

/* ESMTP parameters of MAIL/RCPT, decoded where the RFC defines a coding.
 * A slice with p == NULL means "absent". */
typedef struct smtpp_params {
  uint64_t size;          /* SIZE=, valid if has_size */
  uint8_t has_size;
  uint8_t body;           /* SMTPP_BODY_* */
  uint8_t smtputf8;       /* SMTPUTF8 given */
  uint8_t ret;            /* SMTPP_RET_* */
  uint8_t notify;         /* SMTPP_NOTIFY_* bits, 0 if not given */
  smtpp_slice envid;      /* ENVID= raw xtext (validated, decodes to no
                             CR/LF/NUL) */
  smtpp_slice orcpt_type; /* ORCPT= addr-type ("rfc822") */
  smtpp_slice orcpt;      /* ORCPT= raw xtext of the address */
  smtpp_slice auth;       /* AUTH= raw xtext or "<>" */
} smtpp_params;

typedef struct smtpp_event {
  smtpp_event_type type;
  int verb;               /* smtpp_verb for COMMAND / PROTOCOL_ERROR */
  int error;              /* smtpp_err for PROTOCOL_ERROR / failed
                             MESSAGE_END / CLOSE(421) */
  uint32_t flags;         /* SMTPP_EVF_* */
  smtpp_slice arg;        /* HELO/EHLO domain, VRFY/EXPN/HELP/NOOP string,
                             AUTH mechanism, BODY data, AUTH_RESPONSE line */
  smtpp_slice path;       /* MAIL/RCPT: the path inside <> (empty for <>) */
  smtpp_slice local;      /* MAIL/RCPT mailbox local part (raw, quoted as
                             sent) */
  smtpp_slice domain;     /* MAIL/RCPT mailbox domain or address literal */
  smtpp_slice initial;    /* AUTH initial response */
  uint64_t chunk_size;    /* BDAT n */
  uint64_t message_size;  /* MESSAGE_END: unstuffed octets; BODY: octets
                             so far, this piece included */
  smtpp_params params;    /* MAIL / RCPT */
} smtpp_event;

/* ------------------------------------------------------------------------
 * The session: fixed size, caller-owned.  Fields are PRIVATE: read them only
 * through the functions below.
 * ---------------------------------------------------------------------- */
#define SMTPP_LINE_MAX  1536 /* command line buffer (strict limits are
                                512..1148 octets, see parser/src/line.c) */
#define SMTPP_OUT_MAX   1792 /* reply buffer */
#define SMTPP_REPLY_MAX  768 /* largest single reply the parser writes */

typedef struct smtpp_session {
  /* PRIVATE */
  const smtpp_config *cfg;
  uint64_t msg_size;       /* unstuffed octets of the current message */
  uint64_t bdat_left;      /* octets of the current BDAT chunk still due */
  uint32_t nrcpt;          /* accepted recipients in the transaction */
  uint32_t nerrors;        /* protocol errors so far */
  uint32_t line_len;       /* octets gathered in line[] */
  uint32_t data_line_len;  /* octets of the current text line in DATA */
  uint16_t out_head, out_len;
  uint8_t state;           /* smtpp_state */
  uint8_t data_state;      /* position inside a DATA line */
  uint8_t line_state;      /* CR seen / skipping an over-long line */
  uint8_t helo_kind;       /* parser/src/internal.h smtpp_helo_kind */
  uint8_t pending;         /* the decision awaited from the host */
  uint8_t msg_error;       /* smtpp_err that fails the current message */
  uint8_t bdat_last;
  uint8_t bdat_discard;    /* chunk is read and thrown away */
  uint8_t tls_active;
  uint8_t authenticated;
  uint8_t mail_utf8;       /* MAIL had SMTPUTF8 */
  uint8_t auth_await;      /* AUTH without initial response pends */
  uint8_t pend_utf8;       /* MAIL SMTPUTF8 while that decision pends */
  uint8_t saved_state;     /* state to return to (AUTH, refused BDAT) */
  int16_t fatal;           /* sticky error (smtpp_err), 0 if none */
  unsigned char line[SMTPP_LINE_MAX];
  unsigned char out[SMTPP_OUT_MAX];
} smtpp_session;

/* Session states, named by grammar position (smtpp_state_name()). */
typedef enum smtpp_state {
  SMTPP_ST_CMD_BEFORE_HELO = 0, /* greeting sent; HELO/EHLO expected */
  SMTPP_ST_CMD_AFTER_HELO,      /* no transaction; MAIL expected */
  SMTPP_ST_CMD_AFTER_MAIL,      /* reverse-path given; RCPT expected */
  SMTPP_ST_CMD_AFTER_RCPT,      /* >= 1 recipient; RCPT/DATA/BDAT */
  SMTPP_ST_DATA_TEXT,           /* between 354 and CRLF.CRLF */
  SMTPP_ST_BDAT_CHUNK,          /* reading BDAT octets */
  SMTPP_ST_CMD_AFTER_BDAT,      /* BDAT chunk(s) taken, not LAST */
  SMTPP_ST_TLS_HANDSHAKE,       /* after STARTTLS: all input discarded */
  SMTPP_ST_AUTH_RESPONSE,       /* 334 sent; a SASL response line expected */
  SMTPP_ST_CLOSED,              /* 221/421 queued; nothing is read */
  SMTPP_ST__COUNT
} smtpp_state;

const char *smtpp_state_name(int state);

/* ------------------------------------------------------------------------
 * Functions.  All return >= 0 on success, -(smtpp_err) on failure.
 * ---------------------------------------------------------------------- */

/* Validates cfg, resets s and queues the 220 greeting.  Side effects:
 * every field of s; nothing else.  cfg is kept by pointer (it must
 * outlive s) and never written; one config may serve every session. */
int smtpp_init(smtpp_session *s, const smtpp_config *cfg);

/* Return values of smtpp_feed(): */
#define SMTPP_NEED_MORE  0 /* every byte consumed, no event: feed more */
#define SMTPP_EVENT      1 /* *ev holds an event; feed the rest later */
#define SMTPP_WANT_WRITE 2 /* reply buffer full: pull replies, then feed
                              again from in + *consumed */
#define SMTPP_CLOSED     3 /* session over: send the replies, close */
#define SMTPP_PAUSED     4 /* a decision is pending (nothing consumed):
                              call smtpp_decide(), then feed the same
                              octets again (llhttp's pause/resume) */

/* Feeds up to len octets.  Sets *consumed to the octets used (the caller
 * passes the rest again later) and, for SMTPP_EVENT, fills *ev.  Call it
 * in a loop until it returns SMTPP_NEED_MORE, also when no input octet is
 * left (len 0): the reply to a complete BDAT chunk is made only here.
 * The canonical host loop:
 *   while ((r = smtpp_feed(s, p, n, &used, &ev)) != SMTPP_NEED_MORE) {
 *     p += used; n -= used;
 *     if (r == SMTPP_EVENT) handle(&ev);        // decide now or later
 *     else if (r == SMTPP_WANT_WRITE) flush();   // smtpp_out_buf/ack
 *     else break;   // PAUSED: keep p/n, resume after smtpp_decide();
 *   }               // CLOSED or error < 0: flush and close
 *   flush();
 * After a decidable event (host_decides 1) the session is paused: the
 * next call returns SMTPP_PAUSED, consuming nothing, until smtpp_decide()
 * or smtpp_decide_default().  With host_decides 0, or ev NULL (a host
 * that does not care about events), every decision takes its default at
 * once and the session never pauses.  After SMTPP_EV_STARTTLS, *consumed is len (the octets
 * after the STARTTLS line are discarded: RFC 3207 5, CVE-2011-0411) and
 * every octet fed before smtpp_tls_done() is discarded too.
 * Side effects: the session's state and reply buffer.  Sticky: after a
 * fatal error every call returns it until smtpp_init(). */
int smtpp_feed(smtpp_session *s, const void *in, size_t len, size_t *consumed,
               smtpp_event *ev);

/* Host answer to the pending decision (the last decidable event), made at
 * any time after the event: its reply is queued at once and the session
 * resumes.  Codes:
 *   HELO/EHLO 250 | MAIL 250 | RCPT 250, 251, 252 | DATA 354 |
 *   MESSAGE_END 250 | VRFY/EXPN 250, 251, 252 | AUTH 235, 334 |
 *   any of them: 4xx, 5xx (421 also closes the session).
 * enh: enhanced code "c.d.d" of the code's class, or NULL (the parser
 * picks a fitting one); 3xx codes take none.
 * text: NULL for the default text; otherwise at most 127 octets, printable
 * ASCII kept, any other octet sent as '?', cut to keep the line within 512.
 * For HELO/EHLO it follows our Domain on the first line (RFC 5321
 * 4.1.1.1); for EHLO the extension list follows.
 * Returns 0 when applied as given.  Fails closed:
 *   - a 4xx/5xx the library cannot send as given (code outside x00-x59,
 *     malformed enhanced code or one of another class) is still sent as a
 *     refusal: 451 / 554 instead of the code, the enhanced code's class
 *     fixed or a default one; returns SMTPP_DECIDE_SUBSTITUTED;
 *   - any other code, or a success code with an unusable enhanced code,
 *     changes nothing: -SMTPP_ERR_BAD_CODE, the decision stays pending;
 *   - no decision pending: -SMTPP_ERR_NO_DECISION.
 * Side effects: queues the reply, moves the session on (e.g. a 250 to
 * MAIL starts the transaction). */
#define SMTPP_DECIDE_SUBSTITUTED 1
int smtpp_decide(smtpp_session *s, int code, const char *enh, const char *text);

/* Applies the parser's default to the pending decision: 250 (EHLO: the
 * extension list), 354 for DATA, 252 for VRFY/EXPN, 535 for AUTH.  For a
 * host that has no policy for this event.  -SMTPP_ERR_NO_DECISION if none
 * is pending.  Side effects: as smtpp_decide(). */
int smtpp_decide_default(smtpp_session *s);

/* Read-only queries (no side effect; valid at any time):
 * 1 if a decision is pending (the session is paused), 0 if not,
 * -SMTPP_ERR_NULL_ARG; and the reply octets waiting to be sent. */
int smtpp_decision_pending(const smtpp_session *s);
size_t smtpp_out_pending(const smtpp_session *s);

/* Reply bytes waiting to be sent (pull interface, BearSSL style).
 * smtpp_out_buf() has no side effect: it never resolves a pending decision,
 * so it returns only the replies queued before it.  smtpp_out_ack(s, n)
 * drops the first n octets (at most all of them) as sent. */
const unsigned char *smtpp_out_buf(smtpp_session *s, size_t *len);
void smtpp_out_ack(smtpp_session *s, size_t n);

/* After SMTPP_EV_STARTTLS (send the 220 first): the host reports the
 * handshake.  ok != 0: the session starts afresh over TLS (RFC 3207 4.2:
 * the client must EHLO again; nothing from before is kept); feed only
 * decrypted octets from now on.  ok == 0: the session is closed and
 * nothing is queued (no plaintext 421 after a failed handshake: close the
 * connection).  -SMTPP_ERR_NOT_IN_TLS if no STARTTLS is waiting. */
int smtpp_tls_done(smtpp_session *s, int ok);

/* Queues 421 4.3.2 and closes the session (RFC 5321 3.8), e.g. on
 * shutdown or timeout.  A pending decision is refused by that 421 (it is
 * the reply to the pending command), never accepted.  -SMTPP_ERR_CLOSED
 * if already closed. */
int smtpp_shutdown(smtpp_session *s);

/* smtpp_state of s (no side effect), -SMTPP_ERR_NULL_ARG for NULL.  No
 * transaction is open in CMD_BEFORE_HELO, CMD_AFTER_HELO, TLS_HANDSHAKE,
 * AUTH_RESPONSE and CLOSED. */
int smtpp_get_state(const smtpp_session *s);

/* Names, one table each in the library (parser/src/names.c); no side
 * effect:
 * smtpp_ext_name(SMTPP_EXT_SIZE) = "SIZE" (the EHLO keyword), NULL for
 * anything but one known bit; smtpp_ext_bit("size") = SMTPP_EXT_SIZE, 0 if
 * unknown (case-insensitive).  The same for leniencies ("bare-lf", ...).
 * smtpp_event_name(SMTPP_EV_BODY) = "BODY". */
const char *smtpp_ext_name(uint32_t bit);
uint32_t smtpp_ext_bit(const char *name);
const char *smtpp_lenient_name(uint32_t bit);
uint32_t smtpp_lenient_bit(const char *name);
const char *smtpp_event_name(int type);
const char *smtpp_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SMTPP_H */
