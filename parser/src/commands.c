/*
 * commands.c - the one command table and verb lookup.
 *
 * One row per verb (OpenSMTPD's {verb, check, proceed}): the states in
 * which it is in sequence (RFC 5321 4.1.4, 3.3) and the flags that add to
 * that, whether it must end a pipelined group (RFC 2920 3.1: EHLO, DATA,
 * VRFY, EXPN, TURN, QUIT, NOOP; STARTTLS and AUTH also wait for their
 * reply, RFC 3207 4.2 and RFC 4954 4), the shape of its arguments, the
 * function that checks them and answers or asks the host (verbs_*.c), the
 * one that applies the host's decision, and that decision's codes.
 */
#include "internal.h"

#define E SMTPP_CF_NEEDS_EHLO
#define T SMTPP_CF_NOT_IN_TLS
#define A SMTPP_CF_NOT_AUTHED
#define X SMTPP_CF_ANY_TEXT
#define G SMTPP_CF_GROUP_END
#define Z SMTPP_CF_NO_ARGS
#define R SMTPP_CF_ARG_REQUIRED
#define O SMTPP_CF_ARG_OPTIONAL

/* Where a verb is in sequence (RFC 5321 4.1.4, 3.3): the command states. */
#define ANY                                                                   \
  (SMTPP_IN(SMTPP_ST_CMD_BEFORE_HELO) | SMTPP_IN(SMTPP_ST_CMD_AFTER_HELO) |   \
   SMTPP_IN(SMTPP_ST_CMD_AFTER_MAIL) | SMTPP_IN(SMTPP_ST_CMD_AFTER_RCPT) |    \
   SMTPP_IN(SMTPP_ST_CMD_AFTER_BDAT))
#define NO_TXN SMTPP_IN(SMTPP_ST_CMD_AFTER_HELO) /* greeted, no transaction */
#define TXN (SMTPP_IN(SMTPP_ST_CMD_AFTER_MAIL) | SMTPP_IN(SMTPP_ST_CMD_AFTER_RCPT))
#define RCPTS SMTPP_IN(SMTPP_ST_CMD_AFTER_RCPT) /* >= 1 recipient accepted */
#define CHUNKS (RCPTS | SMTPP_IN(SMTPP_ST_CMD_AFTER_BDAT))

/* Decisions: the default code and the success codes smtpp_decide() takes
 * (refusals are 4xx/5xx for all). */
#define D250 250, {250}
#define D252 252, {250, 251, 252} /* RFC 5321 3.5.3, 7.3: 252 by default */
#define DRCPT 250, {250, 251, 252}
#define D354 354, {354}
#define DAUTH 535, {235, 334} /* refusing is the only safe default */
#define NODEC 0, {0}

/* name, len, verb, flags, allowed, needs_ext, help, check, proceed,
 * default decision, success codes */
#define CMD(NAME, V, FL, IN, EXT, HELP, CHECK, PROCEED, DEC)                  \
  [SMTPP_VERB_##V] = {NAME, sizeof NAME - 1, SMTPP_VERB_##V, FL, IN, EXT, HELP, \
                      CHECK, PROCEED, DEC}

const smtpp_command smtpp_commands[SMTPP_VERB__COUNT] = {
  [SMTPP_VERB_NONE] = {"", 0, SMTPP_VERB_NONE, 0, 0, 0, "", NULL, NULL, NODEC},
  /* RFC 5321 4.1.1.1 */
  CMD("HELO", HELO, R, ANY, 0, "HELO <domain>", smtpp_check_helo,
      smtpp_proceed_helo, D250),
  CMD("EHLO", EHLO, R | G, ANY, 0, "EHLO <domain or address literal>",
      smtpp_check_helo, smtpp_proceed_helo, D250),
  /* 4.1.1.2, 4.1.1.3 */
  CMD("MAIL", MAIL, R, NO_TXN, 0, "MAIL FROM:<reverse-path> [parameters]",
      smtpp_check_mail_rcpt, smtpp_proceed_mail_rcpt, D250),
  CMD("RCPT", RCPT, R, TXN, 0, "RCPT TO:<forward-path> [parameters]",
      smtpp_check_mail_rcpt, smtpp_proceed_mail_rcpt, DRCPT),
  /* 4.1.1.4; DATA after a BDAT chunk of the transaction is out of sequence */
  CMD("DATA", DATA, Z | G, RCPTS, 0, "DATA", smtpp_check_data,
      smtpp_proceed_data, D354),
  /* RFC 3030 2: the chunk's reply comes from body.c */
  CMD("BDAT", BDAT, E | R, CHUNKS, SMTPP_EXT_CHUNKING, "BDAT <size> [LAST]",
      smtpp_check_bdat, NULL, NODEC),
  /* 4.1.1.5 */
  CMD("RSET", RSET, Z, ANY, 0, "RSET", smtpp_check_rset, NULL, NODEC),
  /* 4.1.1.6, 4.1.1.7; RFC 6531 3.7.4 */
  CMD("VRFY", VRFY, R | G, ANY, 0, "VRFY <string>", smtpp_check_vrfy,
      smtpp_proceed_vrfy, D252),
  CMD("EXPN", EXPN, R | G, ANY, 0, "EXPN <string>", smtpp_check_vrfy,
      smtpp_proceed_vrfy, D252),
  /* 4.1.1.8 */
  CMD("HELP", HELP, O, ANY, 0, "HELP [<command> | STATUS]", smtpp_check_help,
      NULL, NODEC),
  /* 4.1.1.9: any text, even after a TAB */
  CMD("NOOP", NOOP, O | G | X, ANY, 0, "NOOP [<string>]", smtpp_check_noop,
      NULL, NODEC),
  /* 4.1.1.10 */
  CMD("QUIT", QUIT, Z | G, ANY, 0, "QUIT", smtpp_check_quit, NULL, NODEC),
  /* RFC 3207 4, 4.2 */
  CMD("STARTTLS", STARTTLS, E | T | Z | G, NO_TXN, SMTPP_EXT_STARTTLS,
      "STARTTLS", smtpp_check_starttls, NULL, NODEC),
  /* RFC 4954 4 */
  CMD("AUTH", AUTH, E | A | R | G, NO_TXN, SMTPP_EXT_AUTH,
      "AUTH <mechanism> [<initial-response>]", smtpp_check_auth,
      smtpp_proceed_auth, DAUTH),
};
#undef E
#undef T
#undef A
#undef X
#undef G
#undef Z
#undef R
#undef O
#undef ANY
#undef NO_TXN
#undef TXN
#undef RCPTS
#undef CHUNKS
#undef D250
#undef D252
#undef DRCPT
#undef D354
#undef DAUTH
#undef NODEC
#undef CMD

const char *smtpp_verb_name(int verb) {
  if (verb <= SMTPP_VERB_NONE || verb >= SMTPP_VERB__COUNT)
    return "NONE";
  return smtpp_commands[verb].name;
}

/* Four octets as one little-endian word with bit 5 cleared: upper-cased
 * where they are ASCII letters. */
static uint32_t word4(const unsigned char *p) {
  return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
          (uint32_t)p[3] << 24) & 0xDFDFDFDFu;
}

#define W(a, b, c, d)                                                         \
  ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* The four-letter verbs by their upper-cased word, found with one
 * multiplication: SLOT() sends each of these 13 words to its own entry of
 * a 16-entry table (checked below at compile time), and any other word to
 * an entry holding another word or none. */
#define VERB4_LIST(X)                                                         \
  X('H', 'E', 'L', 'O', HELO) X('E', 'H', 'L', 'O', EHLO)                     \
  X('M', 'A', 'I', 'L', MAIL) X('R', 'C', 'P', 'T', RCPT)                     \
  X('D', 'A', 'T', 'A', DATA) X('B', 'D', 'A', 'T', BDAT)                     \
  X('R', 'S', 'E', 'T', RSET) X('V', 'R', 'F', 'Y', VRFY)                     \
  X('E', 'X', 'P', 'N', EXPN) X('H', 'E', 'L', 'P', HELP)                     \
  X('N', 'O', 'O', 'P', NOOP) X('Q', 'U', 'I', 'T', QUIT)                     \
  X('A', 'U', 'T', 'H', AUTH)
#define SLOT(w) ((uint32_t)((w) * UINT32_C(18255)) >> 28)
#define ENTRY(a, b, c, d, V) [SLOT(W(a, b, c, d))] = {W(a, b, c, d), SMTPP_VERB_##V},
#define BIT_OR(a, b, c, d, V) | (1u << SLOT(W(a, b, c, d)))
#define BIT_SUM(a, b, c, d, V) + (1u << SLOT(W(a, b, c, d)))
static const struct {
  uint32_t word;
  uint8_t verb;
} verb4_table[16] = {VERB4_LIST(ENTRY)};
_Static_assert((0 VERB4_LIST(BIT_OR)) == (0 VERB4_LIST(BIT_SUM)),
               "every four-letter verb has its own slot");

static int verb4(uint32_t w) {
  return verb4_table[SLOT(w)].word == w ? verb4_table[SLOT(w)].verb
                                        : SMTPP_VERB_NONE;
}
#undef ENTRY
#undef BIT_OR
#undef BIT_SUM

/* Verbs are alphabetic (RFC 5321 2.4, 4.1.1) and compared without regard
 * to case.  The run of letters is measured first, so "MAILX" is the
 * unknown verb "MAILX", never MAIL followed by garbage. */
int smtpp_verb_lookup(const unsigned char *p, const unsigned char *end,
                      size_t *vlen) {
  /* The common case in one load: a four-letter verb and then no letter.
   * Clearing bit 5 maps only the 52 ASCII letters onto 'A'..'Z' (bit 7
   * is kept), so a match in verb4() means four letters. */
  if (end - p >= 4) {
    int v = verb4(word4(p));
    if (v != SMTPP_VERB_NONE && (end - p == 4 || !SMTPP_IS(p[4], SMTPP_C_ALPHA))) {
      *vlen = 4;
      return v;
    }
  }
  size_t n = 0;
  while (p + n < end && SMTPP_IS(p[n], SMTPP_C_ALPHA))
    n++;
  *vlen = n;
  if (n == 8)
    return (word4(p) == W('S', 'T', 'A', 'R') &&
            word4(p + 4) == W('T', 'T', 'L', 'S'))
               ? SMTPP_VERB_STARTTLS
               : SMTPP_VERB_NONE;
  return n == 4 ? verb4(word4(p)) : SMTPP_VERB_NONE;
}
