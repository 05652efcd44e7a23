/*
 * state.c - the session states (smtpp.h smtpp_state, named by grammar
 * position) and every transition: smtpp_set_state() is the one place a
 * state is assigned.
 */
#include "internal.h"

static const char *const state_names[SMTPP_ST__COUNT] = {
  [SMTPP_ST_CMD_BEFORE_HELO] = "cmd_before_helo",
  [SMTPP_ST_CMD_AFTER_HELO] = "cmd_after_helo",
  [SMTPP_ST_CMD_AFTER_MAIL] = "cmd_after_mail",
  [SMTPP_ST_CMD_AFTER_RCPT] = "cmd_after_rcpt",
  [SMTPP_ST_DATA_TEXT] = "data_text",
  [SMTPP_ST_BDAT_CHUNK] = "bdat_chunk",
  [SMTPP_ST_CMD_AFTER_BDAT] = "cmd_after_bdat",
  [SMTPP_ST_TLS_HANDSHAKE] = "tls_handshake",
  [SMTPP_ST_AUTH_RESPONSE] = "auth_response",
  [SMTPP_ST_CLOSED] = "closed",
};

const char *smtpp_state_name(int state) {
  if (state < 0 || state >= SMTPP_ST__COUNT)
    return "invalid";
  return state_names[state];
}

int smtpp_get_state(const smtpp_session *s) {
  return s ? s->state : -SMTPP_ERR_NULL_ARG;
}

void smtpp_set_state(smtpp_session *s, int state) {
  s->state = (uint8_t)state;
}

/* The end of a transaction (RSET, HELO/EHLO, end of message, RFC 5321
 * 4.1.1.5, 4.1.4): back to the command state of the greeting. */
void smtpp_reset_transaction(smtpp_session *s) {
  smtpp_set_state(s, s->helo_kind ? SMTPP_ST_CMD_AFTER_HELO
                                   : SMTPP_ST_CMD_BEFORE_HELO);
  s->nrcpt = 0;
  s->msg_size = 0;
  s->msg_error = 0;
  s->mail_utf8 = 0;
  s->bdat_left = 0;
  s->bdat_last = 0;
  s->bdat_discard = 0;
}

/* 221 or 421 is queued: nothing more is read or decided. */
void smtpp_close(smtpp_session *s) {
  smtpp_set_state(s, SMTPP_ST_CLOSED);
  s->pending = SMTPP_PEND_NONE;
}
