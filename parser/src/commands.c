/*
 * commands.c - the one command table and verb lookup.
 *
 * Flags say where a verb may appear (RFC 5321 4.1.4, 3.3), whether it must
 * end a pipelined group (RFC 2920 3.1: EHLO, DATA, VRFY, EXPN, TURN, QUIT,
 * NOOP; STARTTLS and AUTH also wait for their reply, RFC 3207 4.2 and
 * RFC 4954 4), and the shape of its arguments.
 */
#include "internal.h"

#define H SMTPP_CF_NEEDS_HELO
#define E SMTPP_CF_NEEDS_EHLO
#define N SMTPP_CF_NO_TXN
#define G SMTPP_CF_GROUP_END
#define Z SMTPP_CF_NO_ARGS
#define R SMTPP_CF_ARG_REQUIRED
#define O SMTPP_CF_ARG_OPTIONAL

const smtpp_command smtpp_commands[SMTPP_VERB__COUNT] = {
  [SMTPP_VERB_NONE] = {"", 0, SMTPP_VERB_NONE, 0, 0, ""},
  [SMTPP_VERB_HELO] = {"HELO", 4, SMTPP_VERB_HELO, R, 0, "HELO <domain>"},
  [SMTPP_VERB_EHLO] = {"EHLO", 4, SMTPP_VERB_EHLO, R | G, 0,
                       "EHLO <domain or address literal>"},
  [SMTPP_VERB_MAIL] = {"MAIL", 4, SMTPP_VERB_MAIL, H | N | R, 0,
                       "MAIL FROM:<reverse-path> [parameters]"},
  [SMTPP_VERB_RCPT] = {"RCPT", 4, SMTPP_VERB_RCPT, H | R, 0,
                       "RCPT TO:<forward-path> [parameters]"},
  [SMTPP_VERB_DATA] = {"DATA", 4, SMTPP_VERB_DATA, H | Z | G, 0, "DATA"},
  [SMTPP_VERB_BDAT] = {"BDAT", 4, SMTPP_VERB_BDAT, H | E | R, SMTPP_EXT_CHUNKING,
                       "BDAT <size> [LAST]"},
  [SMTPP_VERB_RSET] = {"RSET", 4, SMTPP_VERB_RSET, Z, 0, "RSET"},
  [SMTPP_VERB_VRFY] = {"VRFY", 4, SMTPP_VERB_VRFY, R | G, 0, "VRFY <string>"},
  [SMTPP_VERB_EXPN] = {"EXPN", 4, SMTPP_VERB_EXPN, R | G, 0, "EXPN <string>"},
  [SMTPP_VERB_HELP] = {"HELP", 4, SMTPP_VERB_HELP, O, 0, "HELP [<command> | STATUS]"},
  [SMTPP_VERB_NOOP] = {"NOOP", 4, SMTPP_VERB_NOOP, O | G, 0, "NOOP [<string>]"},
  [SMTPP_VERB_QUIT] = {"QUIT", 4, SMTPP_VERB_QUIT, Z | G, 0, "QUIT"},
  [SMTPP_VERB_STARTTLS] = {"STARTTLS", 8, SMTPP_VERB_STARTTLS, H | E | N | Z | G,
                           SMTPP_EXT_STARTTLS, "STARTTLS"},
  [SMTPP_VERB_AUTH] = {"AUTH", 4, SMTPP_VERB_AUTH, H | E | N | R | G,
                       SMTPP_EXT_AUTH, "AUTH <mechanism> [<initial-response>]"},
};

const char *smtpp_verb_name(int verb) {
  if (verb <= SMTPP_VERB_NONE || verb >= SMTPP_VERB__COUNT)
    return "NONE";
  return smtpp_commands[verb].name;
}

/* Four letters as one little-endian word, upper-cased.  Only called on
 * ASCII letters, where clearing bit 5 upper-cases. */
static uint32_t word4(const unsigned char *p) {
  return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
          (uint32_t)p[3] << 24) & 0xDFDFDFDFu;
}

#define W(a, b, c, d)                                                         \
  ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Verbs are alphabetic (RFC 5321 2.4, 4.1.1) and compared without regard
 * to case.  The run of letters is measured first, so "MAILX" is the
 * unknown verb "MAILX", never MAIL followed by garbage. */
int smtpp_verb_lookup(const unsigned char *p, const unsigned char *end,
                      size_t *vlen) {
  size_t n = 0;
  while (p + n < end && SMTPP_IS(p[n], SMTPP_C_ALPHA))
    n++;
  *vlen = n;
  if (n == 8)
    return (word4(p) == W('S', 'T', 'A', 'R') &&
            word4(p + 4) == W('T', 'T', 'L', 'S'))
               ? SMTPP_VERB_STARTTLS
               : SMTPP_VERB_NONE;
  if (n != 4)
    return SMTPP_VERB_NONE;
  switch (word4(p)) {
  case W('H', 'E', 'L', 'O'): return SMTPP_VERB_HELO;
  case W('E', 'H', 'L', 'O'): return SMTPP_VERB_EHLO;
  case W('M', 'A', 'I', 'L'): return SMTPP_VERB_MAIL;
  case W('R', 'C', 'P', 'T'): return SMTPP_VERB_RCPT;
  case W('D', 'A', 'T', 'A'): return SMTPP_VERB_DATA;
  case W('B', 'D', 'A', 'T'): return SMTPP_VERB_BDAT;
  case W('R', 'S', 'E', 'T'): return SMTPP_VERB_RSET;
  case W('V', 'R', 'F', 'Y'): return SMTPP_VERB_VRFY;
  case W('E', 'X', 'P', 'N'): return SMTPP_VERB_EXPN;
  case W('H', 'E', 'L', 'P'): return SMTPP_VERB_HELP;
  case W('N', 'O', 'O', 'P'): return SMTPP_VERB_NOOP;
  case W('Q', 'U', 'I', 'T'): return SMTPP_VERB_QUIT;
  case W('A', 'U', 'T', 'H'): return SMTPP_VERB_AUTH;
  default: return SMTPP_VERB_NONE;
  }
}
