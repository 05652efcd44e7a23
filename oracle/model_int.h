/*
 * model_int.h - between the files of the session model (model_session.c:
 * state, replies, bodies; model_cmd.c: judging one command line).
 */
#ifndef ORACLE_MODEL_INT_H
#define ORACLE_MODEL_INT_H

#include "model.h"

/* property ids, as in oracle.h (numeric here: the model does not depend
 * on the checker) */
enum { P3 = 3, P4 = 4, P5 = 5, P6 = 6, P8 = 8, P9 = 9 };

typedef struct M {
  const smtpp_config *cfg;
  model_result *r;
  int state, helo; /* helo: 0 none, 1 HELO, 2 EHLO */
  uint32_t nrcpt, nerrors;
  int mail_utf8;
  int saved_state;
  uint64_t bdat_left;
  int bdat_last, bdat_discard;
  uint64_t msg_size;
  int msg_err;
  model_data data;
  size_t line_off, line_len;
  int verb; /* verb of the line being answered (RFC 2034 4: none on HELO/EHLO) */
} M;

model_reply *m_reply(M *m, int code, const char *enh, int err, int prop);
void m_count(M *m, int code);
void m_error(M *m, int err, int alt);
void m_reset_txn(M *m);
uint64_t m_size_limit(const M *m);
model_msg *m_msg_open(M *m);
model_msg *m_msg_cur(M *m);
int m_ci_is(const uint8_t *p, size_t n, const char *lit);
int m_text_err(const M *m, const uint8_t *a, size_t n);
int m_base64_ok(const uint8_t *p, size_t n, int initial);
int m_mech_offered(const M *m, const uint8_t *p, size_t n);
void m_command(M *m, const uint8_t *l, size_t n, int too_long);

#endif
