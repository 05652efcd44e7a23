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
  XX(0, ADDRESS_ENH, 0, "RFC 3463 3.2",                                        \
     "a path that does not parse gets 501 5.5.4 (syntax), not X.1.7 (sender) / X.1.3 (recipient)")

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
