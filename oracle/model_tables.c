/*
 * model_tables.c - what the model knows about commands, as tables read
 * off the RFCs (never off the parser):
 *  - the verbs (RFC 5321 4.1.1; BDAT RFC 3030 2; STARTTLS RFC 3207 4;
 *    AUTH RFC 4954 4), their argument shape, the extension that brings
 *    them, whether they end a pipelined group (RFC 2920 3.1: EHLO, DATA,
 *    VRFY, EXPN, NOOP, QUIT; and, docs/PROTOCOL.md, STARTTLS and AUTH,
 *    whose replies change what the client may send next);
 *  - the sequencing table: state x verb -> allowed, or the situation of
 *    the 503 (RFC 5321 3.3, 4.1.4; RFC 3030 2; RFC 3207 4.2; RFC 4954 4);
 *  - which situation (allowed.h) an argument error is.
 */
#include "model_int.h"

#include <stddef.h>

#define OK 0
#define BEFORE_EHLO ALLOWED_MAIL_BEFORE_EHLO
#define IN_TXN ALLOWED_MAIL_IN_TRANSACTION
#define NO_MAIL ALLOWED_RCPT_BEFORE_MAIL
#define NO_RCPT ALLOWED_DATA_NO_RECIPIENT
#define BDAT_NO_RCPT ALLOWED_BDAT_NO_RECIPIENT
#define SEQ ALLOWED_BAD_SEQUENCE

/*                                                   INIT      READY     MAIL          RCPT      BDAT */
const model_verbdef model_verbs[SMTPP_VERB__COUNT] = {
  [SMTPP_VERB_HELO] = {"HELO", 0, A_REQUIRED, 0, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_EHLO] = {"EHLO", 0, A_REQUIRED, 1, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_MAIL] = {"MAIL", 0, A_REQUIRED, 0, 0, {BEFORE_EHLO, OK, IN_TXN, IN_TXN, IN_TXN}},
  [SMTPP_VERB_RCPT] = {"RCPT", 0, A_REQUIRED, 0, 0, {NO_MAIL, NO_MAIL, OK, OK, SEQ}},
  [SMTPP_VERB_DATA] = {"DATA", 0, A_NONE, 1, 0, {NO_RCPT, NO_RCPT, NO_RCPT, OK, ALLOWED_DATA_AFTER_BDAT}},
  [SMTPP_VERB_BDAT] = {"BDAT", SMTPP_EXT_CHUNKING, A_REQUIRED, 0, 1, {BDAT_NO_RCPT, BDAT_NO_RCPT, BDAT_NO_RCPT, OK, OK}},
  [SMTPP_VERB_RSET] = {"RSET", 0, A_NONE, 0, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_VRFY] = {"VRFY", 0, A_REQUIRED, 1, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_EXPN] = {"EXPN", 0, A_REQUIRED, 1, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_HELP] = {"HELP", 0, A_OPTIONAL, 0, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_NOOP] = {"NOOP", 0, A_OPTIONAL, 1, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_QUIT] = {"QUIT", 0, A_NONE, 1, 0, {OK, OK, OK, OK, OK}},
  [SMTPP_VERB_STARTTLS] = {"STARTTLS", SMTPP_EXT_STARTTLS, A_NONE, 1, 1, {SEQ, OK, SEQ, SEQ, SEQ}},
  [SMTPP_VERB_AUTH] = {"AUTH", SMTPP_EXT_AUTH, A_REQUIRED, 1, 1,
                       {SEQ, OK, ALLOWED_AUTH_IN_TRANSACTION, ALLOWED_AUTH_IN_TRANSACTION,
                        ALLOWED_AUTH_IN_TRANSACTION}},
};

int model_situation(int err, int verb, int in_path) {
  int mail = verb == SMTPP_VERB_MAIL;
  /* any argument of HELO/EHLO not acceptable (RFC 5321 4.1.4) */
  if ((verb == SMTPP_VERB_HELO || verb == SMTPP_VERB_EHLO) &&
      (err == SMTPP_ERR_SYNTAX || err == SMTPP_ERR_EIGHTBIT))
    return ALLOWED_HELO_BAD_ARGS;
  switch (err) {
  case SMTPP_ERR_UNKNOWN_COMMAND:
    return ALLOWED_UNKNOWN_VERB;
  case SMTPP_ERR_LINE_TOO_LONG:
    return ALLOWED_LINE_TOO_LONG;
  case SMTPP_ERR_BARE_CR_LF:
    return ALLOWED_BARE_CR_LF;
  case SMTPP_ERR_NOT_IMPLEMENTED:
    return ALLOWED_NOT_IMPLEMENTED;
  case SMTPP_ERR_BAD_SEQUENCE:
    return ALLOWED_BAD_SEQUENCE;
  case SMTPP_ERR_PATH_TOO_LONG:
  case SMTPP_ERR_LOCAL_TOO_LONG:
  case SMTPP_ERR_DOMAIN_TOO_LONG:
    return mail ? ALLOWED_MAIL_PATH_TOO_LONG : ALLOWED_RCPT_PATH_TOO_LONG;
  case SMTPP_ERR_EIGHTBIT:
    return ALLOWED_BAD_ARGS;
  case SMTPP_ERR_NONASCII_SENDER:
    return ALLOWED_MAIL_NON_ASCII;
  case SMTPP_ERR_NONASCII_RCPT:
    return ALLOWED_RCPT_NON_ASCII;
  case SMTPP_ERR_AUTH_BASE64:
    return ALLOWED_AUTH_BAD_BASE64;
  case SMTPP_ERR_AUTH_TOO_LONG:
    return ALLOWED_AUTH_LINE_TOO_LONG;
  case SMTPP_ERR_UNKNOWN_PARAM:
    return ALLOWED_UNKNOWN_PARAM;
  case SMTPP_ERR_PARAM_NOT_IMPL:
    return verb == SMTPP_VERB_HELP   ? ALLOWED_HELP_UNKNOWN_TOPIC
           : verb == SMTPP_VERB_AUTH ? ALLOWED_AUTH_MECH_UNKNOWN
                                     : ALLOWED_PARAM_VALUE_NOT_IMPL;
  case SMTPP_ERR_DUP_PARAM:
  case SMTPP_ERR_BAD_PARAM:
    return ALLOWED_BAD_PARAM;
  case SMTPP_ERR_SIZE_EXCEEDED:
    return mail ? ALLOWED_MAIL_SIZE_EXCEEDED : ALLOWED_MESSAGE_TOO_BIG;
  case SMTPP_ERR_TOO_MANY_RCPTS:
    return ALLOWED_TOO_MANY_RECIPIENTS;
  case SMTPP_ERR_DATA_LINE_TOO_LONG:
    return ALLOWED_TEXT_LINE_TOO_LONG;
  case SMTPP_ERR_TOO_MANY_ERRORS:
    return ALLOWED_TOO_MANY_ERRORS;
  case SMTPP_ERR_BDAT_SYNTAX:
    return ALLOWED_BDAT_MALFORMED;
  case SMTPP_ERR_TLS_FAILED:
    return ALLOWED_TLS_FAILED;
  case SMTPP_ERR_AUTH_CANCELLED:
    return ALLOWED_AUTH_CANCELLED;
  case SMTPP_ERR_SHUTDOWN:
    return ALLOWED_SHUTDOWN;
  default: /* SYNTAX */
    if (verb == SMTPP_VERB_HELO || verb == SMTPP_VERB_EHLO)
      return ALLOWED_HELO_BAD_ARGS;
    if (in_path)
      return mail ? ALLOWED_MAIL_BAD_PATH : ALLOWED_RCPT_BAD_PATH;
    return ALLOWED_BAD_ARGS;
  }
}

int model_err_code(int err) {
  const allowed_situation *s = err ? allowed_get(model_situation(err, SMTPP_VERB_NONE, 0)) : NULL;
  return s ? s->code : 0;
}

const char *model_err_enh(int err) {
  const allowed_situation *s = err ? allowed_get(model_situation(err, SMTPP_VERB_NONE, 0)) : NULL;
  return s ? s->enh : "";
}
