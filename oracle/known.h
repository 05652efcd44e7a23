/*
 * known.h - KNOWN DISAGREEMENTS between the model (which follows the RFC
 * text) and today's parser.  Each entry names the case, the RFC section
 * that decides it, and exactly what today's parser answers instead; the
 * checker accepts that answer for that case only, records it in
 * oracle_report.known and oracle_report_print() prints it, so it is never
 * silent.  An entry is removed as soon as the parser fix lands (the
 * parser issue); ctest oracle_properties checks each entry still matches
 * something today's parser does (a stale entry fails it).
 *
 * stop: the disagreement changes what follows (an error counted toward
 * the budget, an event of another type), so the rest of the run is not
 * compared.
 */
#ifndef ORACLE_KNOWN_H
#define ORACLE_KNOWN_H

#include "model.h"

/* XX(id, NAME, stop, "RFC", "what today's parser does") */
#define ORACLE_KNOWN(XX)                                                      \
  XX(0, ENH_ONLY_AFTER_EHLO, 0, "RFC 2034 4-5",                                \
     "enhanced codes only after a successful EHLO, none before it or after HELO") \
  XX(1, ENH_ON_HELO_REPLY, 0, "RFC 2034 3",                                    \
     "an enhanced code on the error reply to HELO/EHLO")                      \
  XX(2, ADDRESS_ENH, 0, "RFC 3463 3.2",                                        \
     "path errors answered with 5.5.4 (syntax) or 5.1.3 for the sender, not X.1.7/X.1.3") \
  XX(3, NON_ASCII_ADDRESS, 1, "RFC 6531 3.5",                                  \
     "a non-ASCII address without SMTPUTF8 gets 501 5.5.4, not 550/553 5.6.7") \
  XX(4, BINARYMIME_504, 0, "RFC 5321 4.1.1.11",                                \
     "BODY=BINARYMIME not offered gets 504, not 555")                         \
  XX(5, BDAT_MALFORMED_501, 0, "RFC 5321 3.8",                                 \
     "a malformed BDAT gets 501 and the connection closes without 421")       \
  XX(6, AUTH_BASE64_ENH, 0, "RFC 4954 6",                                      \
     "bad base64 in AUTH gets 501 5.5.4, not 501 5.5.2")                       \
  XX(7, NOOP_ARGS, 1, "RFC 5321 4.1.1.9",                                      \
     "NOOP with a TAB, control or 8-bit octet in its string gets 501")        \
  XX(8, EMPTY_AUTH_RESPONSE, 1, "RFC 4954 4",                                  \
     "an empty AUTH response line gets 501, not passed to the host")          \
  XX(9, HELO_HOST_TEXT, 0, "RFC 5321 4.1.1.1",                                 \
     "HELO/EHLO accepted with host text: one line of the text alone (no domain, no keyword lines)") \
  XX(10, AUTH_REFUSAL_ENH, 0, "RFC 3463 2",                                    \
     "an AUTH refusal without enhanced code gets 5.7.8 whatever its class")

enum {
#define ORACLE_KNOWN_ENUM(id, name, stop, rfc, what) ORACLE_KNOWN_##name = id,
  ORACLE_KNOWN(ORACLE_KNOWN_ENUM)
#undef ORACLE_KNOWN_ENUM
  ORACLE_KNOWN__COUNT
};

/* The actual reply, as the checker parsed it. */
typedef struct known_reply {
  int code;
  const char *enh;      /* "" none */
  const uint8_t *bytes; /* the whole reply, all its lines */
  size_t len;
} known_reply;

/* The known disagreement this mismatch is, or -1. */
int oracle_known_match(const model_reply *m, const known_reply *r);
const char *oracle_known_name(int k);
const char *oracle_known_rfc(int k);
const char *oracle_known_what(int k);
int oracle_known_stops(int k);

#endif
