/*
 * model_int.h - between the files of the session model: model_tables.c
 * (what the model knows, as tables), model_cmd.c (judging one command
 * line), model_session.c (the loop, replies, decisions, messages,
 * events).
 */
#ifndef ORACLE_MODEL_INT_H
#define ORACLE_MODEL_INT_H

#include "model.h"

/* property ids, as in oracle.h (numeric here: the model does not depend
 * on the checker) */
enum { P3 = 3, P4 = 4, P5 = 5, P6 = 6, P8 = 8, P9 = 9, P11 = 11 };

/* The model's own session states (not smtpp_state: private state is never
 * compared, docs/DESIGN.md).  The first five are the command states of
 * the sequencing table. */
enum {
  MS_INIT,    /* greeting sent, no HELO/EHLO */
  MS_READY,   /* HELO/EHLO accepted, no transaction */
  MS_MAIL,    /* MAIL accepted, no recipient yet */
  MS_RCPT,    /* at least one recipient */
  MS_BDAT,    /* a BDAT chunk (not LAST) taken */
  MS_NCMD,
  MS_DATA = MS_NCMD, /* between 354 and CRLF.CRLF */
  MS_CHUNK,   /* reading BDAT octets */
  MS_TLS,     /* STARTTLS accepted, the handshake never ends */
  MS_AUTH,    /* 334 sent, a SASL response line expected */
  MS_CLOSED
};

/* Argument shapes of the per-command grammar. */
enum { A_NONE, A_OPTIONAL, A_REQUIRED };

/* One verb: RFC 5321 4.1.1 and the extension RFCs. */
typedef struct model_verbdef {
  const char *name;
  uint32_t ext;        /* extension that brings the verb (0: RFC 5321) */
  int args;            /* A_* */
  int group_end;       /* RFC 2920 3.1 (and docs/PROTOCOL.md) */
  int ehlo_only;       /* needs an EHLO session (RFC 3030, 3207, 4954) */
  int seq[MS_NCMD];    /* per command state: 0 allowed, else the
                          allowed.h situation of the 503 */
} model_verbdef;

extern const model_verbdef model_verbs[SMTPP_VERB__COUNT];

/* The situation of an error found in a command's arguments. */
int model_situation(int err, int verb, int in_path);

typedef struct M {
  const smtpp_config *cfg;
  model_result *r;
  oracle_tape *tape;
  const uint8_t *in;
  int state, helo; /* helo: 0 none, 1 HELO, 2 EHLO */
  int verb;        /* of the line being judged (names its events) */
  int bdat_sit;    /* the 503 owed after a discarded chunk */
  int tls, authed;
  int auth_empty_challenge; /* AUTH without initial response: default 334 */
  uint32_t nrcpt, nerrors;
  int mail_utf8, pend_utf8;
  int saved_state;
  uint64_t bdat_left;
  int bdat_last, bdat_discard;
  uint64_t msg_size;
  int msg_err;
  model_data data;
  size_t line_off, line_len;
} M;

/* Replies */
model_reply *m_reply_sit(M *m, int sit, int err, int prop);
void m_error(M *m, int sit, int err, int alt_sit, int alt_err);
void m_count(M *m, int code);
/* Events */
void m_event(M *m, const smtpp_event *ev);
/* An event whose .error may also be any id in also (bits 1 << id). */
void m_event_alt(M *m, const smtpp_event *ev, uint64_t also);
smtpp_slice m_slice(const uint8_t *p, size_t n);
/* The transaction and its messages */
void m_reset_txn(M *m);
uint64_t m_size_limit(const M *m);
model_msg *m_msg_open(M *m);
model_msg *m_msg_cur(M *m);
/* Host decisions (kind: the verb of the decidable event, or
 * SMTPP_VERB_DATA + 100 for the end of a message) */
#define M_KIND_MESSAGE 100
void m_decide(M *m, int kind);
void m_starttls(M *m);
/* Helpers */
int m_ci_is(const uint8_t *p, size_t n, const char *lit);
int m_base64_ok(const uint8_t *p, size_t n, int initial);
int m_mech_offered(const M *m, const uint8_t *p, size_t n);
void m_command(M *m, const uint8_t *l, size_t n, int too_long);
void m_auth_response(M *m, const uint8_t *l, size_t n, int too_long);

#endif
