/*
 * allowed.h - what the RFCs allow an SMTP server to answer, situation by
 * situation, as data that the oracle (oracle/model*) and the probe
 * (tools/probe*) both read.  One copy: docs/DESIGN.md "The model's
 * independence".
 *
 * Each situation holds
 *  - the set of reply codes the RFCs allow there (RFC 5321 4.3.2 and the
 *    extension RFCs), the RFC section, the sentence that says so (quoted,
 *    shortened with "..." only), and how strongly it is said (MUST,
 *    SHOULD, MAY);
 *  - smtpp's own documented choice inside that set (docs/PROTOCOL.md): the
 *    code, the enhanced code (RFC 3463; "" for none), whether the session
 *    closes after it.
 *
 * The oracle checks both: the parser's reply equals smtpp's choice, and
 * the choice lies inside the allowed set (oracle/tests/test_allowed.c).
 * The probe judges any other server against the allowed set alone.
 *
 * Nothing here comes from parser/: the codes are read off the RFC text.
 * Ids are stable (the probe stores them in reports): new situations go at
 * the end.  421 is allowed after any command (RFC 5321 4.3.2, 3.8) and is
 * in no set below except where it is smtpp's own choice; a judge that
 * sees 421 elsewhere should call it "the server closed", not a wrong code.
 */
#ifndef ORACLE_ALLOWED_H
#define ORACLE_ALLOWED_H

#include <stddef.h>

/* XX(NAME): the situations, in id order (id = position, from 1). */
#define ALLOWED_SITUATIONS(XX)                                                \
  XX(GREETING)              /* connection opened */                          \
  XX(UNKNOWN_VERB)          /* command name not recognized */                \
  XX(LINE_TOO_LONG)         /* command line over the limit */                \
  XX(BAD_ARGS)              /* syntax error in a known command's arguments */\
  XX(BARE_CR_LF)            /* CR, LF or NUL alone inside a command line */  \
  XX(ARGS_NOT_TAKEN)        /* DATA, RSET, QUIT, STARTTLS with arguments */  \
  XX(NOT_IMPLEMENTED)       /* known verb whose extension is not offered */  \
  XX(BAD_SEQUENCE)          /* a command out of order, in general */         \
  XX(MAIL_BEFORE_EHLO)      /* MAIL before HELO/EHLO */                      \
  XX(MAIL_IN_TRANSACTION)   /* a second MAIL */                              \
  XX(RCPT_BEFORE_MAIL)      /* RCPT without MAIL */                          \
  XX(DATA_NO_RECIPIENT)     /* DATA without an accepted RCPT */              \
  XX(DATA_AFTER_BDAT)       /* DATA in a BDAT transaction */                 \
  XX(BDAT_NO_RECIPIENT)     /* BDAT without an accepted RCPT */              \
  XX(AUTH_IN_TRANSACTION)   /* AUTH during a mail transaction */             \
  XX(STARTTLS_IN_TLS)       /* STARTTLS once TLS is on */                    \
  XX(MAIL_BAD_PATH)         /* MAIL: reverse-path syntax */                  \
  XX(RCPT_BAD_PATH)         /* RCPT: forward-path syntax */                  \
  XX(MAIL_PATH_TOO_LONG)    /* MAIL: path/local part/domain over limit */    \
  XX(RCPT_PATH_TOO_LONG)    /* RCPT: path/local part/domain over limit */    \
  XX(MAIL_NON_ASCII)        /* MAIL: UTF-8 address without SMTPUTF8 */       \
  XX(RCPT_NON_ASCII)        /* RCPT: UTF-8 address without SMTPUTF8 */       \
  XX(UNKNOWN_PARAM)         /* MAIL/RCPT parameter not recognized */         \
  XX(PARAM_VALUE_NOT_IMPL)  /* known parameter, value not implemented */     \
  XX(BAD_PARAM)             /* known parameter, malformed or duplicated */   \
  XX(MAIL_SIZE_EXCEEDED)    /* MAIL SIZE= over the fixed maximum */          \
  XX(TOO_MANY_RECIPIENTS)   /* recipient limit reached */                    \
  XX(MESSAGE_TOO_BIG)       /* message over the fixed maximum (DATA/BDAT) */ \
  XX(TEXT_LINE_TOO_LONG)    /* DATA text line over 1000 octets */            \
  XX(BDAT_MALFORMED)        /* BDAT line that cannot be obeyed exactly */    \
  XX(TOO_MANY_ERRORS)       /* the server's error budget is spent */         \
  XX(SHUTDOWN)              /* the server shuts down */                      \
  XX(TLS_FAILED)            /* the TLS handshake failed */                   \
  XX(HELO_OK)               /* HELO/EHLO accepted */                         \
  XX(HELO_BAD_ARGS)         /* HELO/EHLO argument not acceptable */          \
  XX(MAIL_OK)               /* MAIL accepted */                              \
  XX(RCPT_OK)               /* RCPT accepted */                              \
  XX(DATA_GO_AHEAD)         /* DATA accepted: send the text */               \
  XX(MESSAGE_OK)            /* end of DATA / BDAT LAST: message taken */     \
  XX(BDAT_CHUNK_OK)         /* a BDAT chunk (not LAST) taken */              \
  XX(RSET_OK)               /* RSET */                                       \
  XX(NOOP_OK)               /* NOOP (any argument string ignored) */         \
  XX(HELP_OK)               /* HELP, HELP <verb> */                          \
  XX(HELP_STATUS)           /* HELP STATUS: system status */                 \
  XX(HELP_UNKNOWN_TOPIC)    /* HELP with a topic not known */                \
  XX(VRFY_DEFAULT)          /* VRFY the server does not verify */            \
  XX(EXPN_DEFAULT)          /* EXPN the server does not expand */            \
  XX(QUIT_OK)               /* QUIT */                                       \
  XX(STARTTLS_GO_AHEAD)     /* STARTTLS accepted */                          \
  XX(AUTH_MECH_UNKNOWN)     /* AUTH with a mechanism not offered */          \
  XX(AUTH_BAD_BASE64)       /* AUTH response that is not base64 */           \
  XX(AUTH_CANCELLED)        /* AUTH response "*" */                          \
  XX(AUTH_DEFAULT)          /* AUTH the host did not accept */               \
  XX(AUTH_AGAIN)            /* AUTH after a successful AUTH */               \
  XX(AUTH_OK)               /* AUTH accepted */                              \
  XX(AUTH_CONTINUE)         /* AUTH: server challenge */                     \
  XX(MAIL_REFUSED)          /* MAIL refused by policy (host) */              \
  XX(RCPT_REFUSED)          /* RCPT refused by policy (host) */              \
  XX(DATA_REFUSED)          /* DATA refused by policy (host) */              \
  XX(MESSAGE_REFUSED)       /* message refused by policy (host) */           \
  XX(VRFY_ANSWERED)         /* VRFY answered by the host */                  \
  XX(EXPN_ANSWERED)         /* EXPN answered by the host */                  \
  XX(HELO_REFUSED)          /* HELO/EHLO refused by policy (host) */       \
  XX(AUTH_LINE_TOO_LONG)    /* an AUTH line over the SASL buffer */

enum {
  ALLOWED_NONE = 0,
#define ALLOWED_XX_ENUM(name) ALLOWED_##name,
  ALLOWED_SITUATIONS(ALLOWED_XX_ENUM)
#undef ALLOWED_XX_ENUM
  ALLOWED__COUNT
};

/* How strongly the RFC says it (RFC 2119). */
typedef enum allowed_level {
  ALLOWED_MUST = 1,   /* MUST / MUST NOT, or a prescribed code */
  ALLOWED_SHOULD = 2, /* SHOULD / RECOMMENDED */
  ALLOWED_MAY = 3     /* MAY, or "usual possible replies" (4.3.2) */
} allowed_level;

#define ALLOWED_MAX_CODES 12

typedef struct allowed_situation {
  int id;                        /* ALLOWED_<NAME> */
  const char *name;              /* "RCPT_BEFORE_MAIL" */
  const char *what;              /* the situation in words */
  int codes[ALLOWED_MAX_CODES];  /* allowed reply codes, 0-terminated */
  allowed_level level;
  const char *rfc;               /* "RFC 5321 3.3" */
  const char *quote;             /* the sentence */
  /* smtpp's documented choice (docs/PROTOCOL.md) */
  int code;                      /* 0: the host's code (a decision) */
  const char *enh;               /* RFC 3463 code, "" none */
  const char *enh_rfc;           /* where the enhanced code comes from */
  int closes;                    /* the session ends after the reply */
} allowed_situation;

/* The situation with this id, NULL if none. */
const allowed_situation *allowed_get(int id);
/* By name ("RCPT_BEFORE_MAIL", case-sensitive), NULL if none. */
const allowed_situation *allowed_by_name(const char *name);
/* 1 if the RFCs allow this code in situation id (421 aside, see above). */
int allowed_code_ok(int id, int code);
/* Writes the allowed codes as "503 554" into dst (cut to cap). */
void allowed_codes_str(int id, char *dst, size_t cap);

#endif
