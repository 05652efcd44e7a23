/*
 * probe_judge.c - the verdicts of `smtpp probe`.
 *
 * A dialog's expected replies are smtpp's choices; a foreign server may
 * choose otherwise where the RFCs allow it.  So a difference is filed by
 * what the RFCs say about it (probe.h: violation, deviation, advisory,
 * inconclusive), under one root cause with a stable key, and blamed on
 * the command that earned the reply: replies are matched to the unit of
 * client bytes they answered (probe_run.c), never by a global index.
 * After the first difference that changes the session's state (one side
 * accepts what the other refuses) later code differences are its
 * consequences and are not judged; format defects, replies after a
 * closing reply, drops and smuggling still are.
 */
#include "probe_judge.h"

#include "allowed.h"

#include <smtpp/smtpp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const probe_verdict_names[V__COUNT] = {
    "violation", "deviation", "advisory", "inconclusive"};

#define Q_LINE "Conforming implementations MUST NOT recognize or generate " \
               "any other character or character sequence as a line "     \
               "terminator."
#define Q_ONE "Every command MUST generate exactly one reply."
#define Q_TEXT "textstring = 1*(%d09 / %d32-126) ; HT, SP, Printable " \
               "US-ASCII"

static const prule rules[] = {
    /* violations */
    {"smuggling", V_VIOLATION, "P6", "RFC 5321 2.3.8, 4.1.1.4",
     "The mail data are terminated by a line containing only a period, "
     "that is, the character sequence \"<CRLF>.<CRLF>\". " Q_LINE,
     "an end-of-data look-alike ends the message: the rest of the body "
     "runs as commands (SMTP smuggling)",
     "end DATA only on CRLF \".\" CRLF; keep LF.LF, CR.CR and the other "
     "look-alikes as body octets"},
    {"bare-lf-line-end", V_VIOLATION, "P4", "RFC 5321 2.3.8", Q_LINE,
     "a bare LF ends a command line",
     "frame command lines on CRLF only; answer a line with a bare LF 501 "
     "(or 500) as one line"},
    {"bare-cr-line-end", V_VIOLATION, "P4", "RFC 5321 2.3.8", Q_LINE,
     "a bare CR ends a command line",
     "frame command lines on CRLF only"},
    {"reply-line-too-long", V_VIOLATION, "P2", "RFC 5321 4.5.3.1.5",
     "The maximum total length of a reply line including the reply code "
     "and the <CRLF> is 512 octets.",
     "a reply line is longer than 512 octets (often client text echoed)",
     "cut reply texts so that each line stays within 512 octets; never "
     "echo client octets unbounded"},
    {"reply-control-octet", V_VIOLATION, "P2", "RFC 5321 4.2", Q_TEXT,
     "a reply line carries a control octet (client octets echoed)",
     "never echo client octets into replies, or replace every octet "
     "outside HT and 32-126"},
    {"reply-8bit", V_VIOLATION, "P2", "RFC 5321 4.2", Q_TEXT,
     "a reply line carries an octet over 126 (raw UTF-8 echoed)",
     "never echo client octets into replies, or escape them"},
    {"reply-bare-lf", V_VIOLATION, "P2", "RFC 5321 2.3.8", Q_LINE,
     "a reply line ends in a bare LF", "end every reply line with CRLF"},
    {"reply-malformed", V_VIOLATION, "P2", "RFC 5321 4.2",
     "Reply-line = *( Reply-code \"-\" [ textstring ] CRLF ) Reply-code "
     "[ SP textstring ] CRLF",
     "a line that is not a reply line",
     "build every reply from a template: three digits 2xx-5xx, SP or "
     "'-', text, CRLF"},
    {"reply-continuation-code", V_VIOLATION, "P2", "RFC 5321 4.2.1",
     "In a multiline reply, the reply code on each of the lines MUST be "
     "the same.",
     "a multiline reply changes its code",
     "give every line of a reply the same code"},
    {"reply-unterminated", V_VIOLATION, "P2", "RFC 5321 4.2", Q_ONE,
     "the server closed in the middle of a reply line",
     "finish every reply line with CRLF before closing"},
    {"reply-endless", V_VIOLATION, "P2", "RFC 5321 4.5.3.1.5",
     "The maximum total length of a reply line including the reply code "
     "and the <CRLF> is 512 octets.",
     "an endless reply line or a giant reply (over 64 KiB)",
     "bound every reply"},
    {"reply-after-close", V_VIOLATION, "P3", "RFC 5321 4.1.1.10, 3.8",
     "This command specifies that the receiver MUST send a \"221 OK\" "
     "reply, and then close the transmission channel.",
     "a reply follows 221 or 421",
     "stop reading and answering after 221 or 421; close"},
    {"extra-reply", V_VIOLATION, "P3", "RFC 5321 4.2", Q_ONE,
     "more replies than commands",
     "answer every complete command line exactly once, in order"},
    {"no-reply", V_VIOLATION, "P3", "RFC 5321 4.2", Q_ONE,
     "a complete command line gets no reply",
     "answer every complete command line, also when pipelined"},
    {"drop-without-421", V_VIOLATION, "P3", "RFC 5321 3.8, 4.1.1.10",
     "The receiver MUST NOT intentionally close the transmission channel "
     "until it receives and replies to a QUIT command (even if there was "
     "an error).",
     "the server closed mid-dialog without 421 (a crash or a drop)",
     "send 421 before closing, and never crash on a client's input"},
    {"close-without-quit", V_VIOLATION, "P3", "RFC 5321 3.8, 4.1.1.10",
     "An SMTP server MUST NOT intentionally close the connection under "
     "normal operational circumstances except: After receiving a QUIT "
     "command and responding with a 221 reply. After detecting the need "
     "to shut down the SMTP service and returning a 421 response code.",
     "221 and a close on a command other than QUIT",
     "answer 221 only to QUIT; close on anything else only with 421"},
    {"starttls-injection", V_VIOLATION, "P8", "RFC 3207 4.2, 5",
     "The server MUST discard any knowledge obtained from the client ... "
     "which was not obtained from the TLS negotiation itself.",
     "commands sent in clear text behind STARTTLS are answered",
     "discard the input buffer when the TLS handshake starts"},
    {"minimum-command-refused", V_VIOLATION, "P4", "RFC 5321 4.5.1",
     "The following commands MUST be supported to conform to this "
     "specification: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY",
     "a command of the minimum implementation is refused as not "
     "recognized or not implemented",
     "implement the commands of RFC 5321 4.5.1"},
    {"enhanced-code-missing", V_VIOLATION, "P2", "RFC 2034 3",
     "Once the client has obtained the ENHANCEDSTATUSCODES extension, the "
     "server MUST preface the text part of almost all response lines with "
     "a status code.",
     "a reply lacks the enhanced status code ENHANCEDSTATUSCODES promised",
     "prefix 2xx/4xx/5xx replies with the enhanced code after EHLO"},
    {"code-not-allowed", V_ADVISORY, "P4", "(the situation's)",
     "(the situation's sentence)",
     "refused with a code the RFC does not name for this situation (the "
     "verdict follows how strongly the RFC says it: MUST, SHOULD, MAY)",
     "answer with a code the RFC names here; `smtpp explain` compares "
     "them"},
    /* deviations */
    {"out-of-sequence-accepted", V_DEVIATION, "P5", "RFC 5321 4.1.4, 3.3",
     "Once started, a mail transaction consists of a transaction beginning "
     "command, one or more RCPT commands, and a DATA command, in that "
     "order.",
     "a command out of order is accepted",
     "keep a session state machine and refuse out-of-order commands with "
     "503"},
    {"valid-command-syntax-error", V_DEVIATION, "P4", "RFC 5321 4.2.2",
     "500 Syntax error, command unrecognized; 501 Syntax error in "
     "parameters or arguments",
     "a well-formed command is refused as a syntax error",
     "parse the grammar of RFC 5321 4.1 and the offered extensions in "
     "full"},
    {"size-over-max-accepted", V_DEVIATION, "P9", "RFC 1870 6",
     "552 message size exceeds fixed maximum message size (the reply "
     "RFC 1870 6.1 gives to a SIZE declaration above the advertised "
     "maximum)",
     "MAIL with SIZE= above the advertised maximum is accepted",
     "compare SIZE= with the advertised limit and answer 552"},
    /* advisories */
    {"mail-before-helo-accepted", V_ADVISORY, "P5", "RFC 5321 4.1.4",
     "In any event, a client MUST issue HELO or EHLO before starting a mail "
     "transaction.",
     "MAIL before HELO/EHLO (or a second MAIL) is accepted; the RFC binds "
     "the client here",
     "a hardened server answers 503"},
    {"other-refusal-code", V_ADVISORY, "P4", "RFC 5321 4.2, 4.3.2",
     "Reply codes ... the first digit denotes whether the response is "
     "good, bad or incomplete.",
     "refused like smtpp, with another code",
     "nothing required; smtpp's code is shown for comparison"},
    {"lenient-syntax", V_ADVISORY, "P4", "RFC 5321 4.1, 4.5.3.1",
     "Limits MAY be imposed on line lengths by servers",
     "accepts input smtpp refuses as malformed (lenient)",
     "a hardened server refuses it; see smtpp's reply"},
    {"limit-not-enforced", V_ADVISORY, "P9", "RFC 5321 4.5.3.1",
     "To the maximum extent possible, implementation techniques that "
     "impose no limits on the length of these objects should be used.",
     "a limit smtpp enforces is not enforced (the RFC limits are minimums)",
     "enforce your own limits with the codes of RFC 5321 4.5.3.1.10"},
    {"own-limit", V_ADVISORY, "P9", "RFC 5321 4.5.3.1",
     "Limits MAY be imposed on line lengths by servers",
     "a long command smtpp accepts is refused (a limit of the server's own)",
     "nothing required"},
    {"not-implemented", V_ADVISORY, "P4", "RFC 5321 4.5.1",
     "The following commands MUST be supported ... EHLO HELO MAIL RCPT "
     "DATA RSET NOOP QUIT VRFY",
     "a command outside the minimum implementation is not implemented",
     "nothing required"},
    {"error-budget", V_ADVISORY, "P9", "RFC 5321 3.8",
     "After detecting the need to shut down the SMTP service and returning "
     "a 421 response code.",
     "no 421 after many errors (smtpp closes after its error budget)",
     "nothing required; a budget limits abuse"},
    {"enhanced-code-differs", V_ADVISORY, "P2", "RFC 3463",
     "The enhanced status code gives more detail than the reply code.",
     "another enhanced status code than smtpp's",
     "nothing required"},
    {"other-success-code", V_ADVISORY, "P3", "RFC 5321 4.2",
     "Reply codes ... the first digit denotes whether the response is "
     "good, bad or incomplete.",
     "accepted like smtpp, with another code",
     "nothing required"},
    {"close-after-error", V_ADVISORY, "P3", "RFC 5321 7.8",
     "it would be reasonable for the server to close the connection after "
     "generating an appropriate number of 5yz (normally 550) replies.",
     "the server closed after a 5yz reply without 421 (allowed against "
     "attacks; 421 tells the client why)",
     "send 421 before closing"},
    /* inconclusive */
    {"closed-421", V_INCONCLUSIVE, "P9", "RFC 5321 3.8",
     "This response code can be issued after the server receives any "
     "command.",
     "the server closed with 421 (allowed)", "nothing required"},
    {"policy-refusal", V_INCONCLUSIVE, "P6", "RFC 5321 4.2",
     "550 Requested action not taken: mailbox unavailable (e.g., ... "
     "command rejected for policy reasons)",
     "a command smtpp accepts is refused (policy, resources, sequence)",
     "nothing required unless the refusal is a mistake"},
    {"no-reply-odd-input", V_INCONCLUSIVE, "P3", "RFC 5321 4.2", Q_ONE,
     "no reply in time to input whose framing the server may read "
     "otherwise",
     "check with the transcript"},
    {"burst-differs", V_INCONCLUSIVE, "P3", "RFC 2920 3.1",
     "The actual transfer of message content is explicitly allowed to be "
     "the first \"command\" in a group.  [DATA, EHLO, QUIT, ...] can only "
     "appear as the last command in a group",
     "in burst mode (all commands at once, past DATA and EHLO) a reply "
     "differs from smtpp's; polite mode gives the verdict",
     "see the polite-mode result"},
    {"dialog-stopped", V_INCONCLUSIVE, "P3", "RFC 5321 3.3; RFC 3030 2",
     "If one of those replies (or any other 5yz reply) is received, the "
     "client MUST NOT send the message data",
     "the dialog could not go on after the server's different answer",
     "nothing required"},
};

const prule *probe_rule(const char *id) {
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (!strcmp(rules[i].id, id))
      return &rules[i];
  return NULL;
}

const prule *probe_rules(size_t *n) {
  *n = sizeof rules / sizeof rules[0];
  return rules;
}

/* ------------------------------------------------------------------ */

static char *code_list(const int *codes, size_t n) {
  size_t cap = n * 4 + 8, o = 0;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < n && o + 5 < cap; i++)
    o += (size_t)snprintf(s + o, cap - o, "%s%03d", i ? " " : "", codes[i]);
  return s;
}

static void add(presult *res, const char *rule, const char *keyfmt, ...)
    __attribute__((format(printf, 3, 4)));

static pfind *cur; /* the finding add() made last, NULL when none */

static void add(presult *res, const char *rule, const char *keyfmt, ...) {
  const prule *r = probe_rule(rule);
  pfind *f;
  char suffix[96];
  va_list ap;
  cur = NULL;
  if (!r)
    return;
  va_start(ap, keyfmt);
  vsnprintf(suffix, sizeof suffix, keyfmt, ap);
  va_end(ap);
  /* one piece of evidence per root cause and run */
  for (size_t i = 0; i < res->nf; i++) {
    char k[128];
    snprintf(k, sizeof k, "%s%s%s", rule, suffix[0] ? ":" : "", suffix);
    if (!strcmp(res->f[i].key, k))
      return;
  }
  if (res->nf >= PROBE_FINDS_MAX)
    return;
  f = &res->f[res->nf++];
  memset(f, 0, sizeof *f);
  f->rule = r;
  snprintf(f->key, sizeof f->key, "%s%s%s", rule, suffix[0] ? ":" : "",
           suffix);
  snprintf(f->what, sizeof f->what, "%s", r->what);
  f->verdict = r->verdict;
  f->rfc = r->rfc;
  f->quote = r->quote;
  if (res->worst > r->verdict)
    res->worst = r->verdict;
  cur = f;
}

static int is_fail(int code) { return code >= 400; }

static int minimum_verb(const char *v) {
  static const char *const m[] = {"EHLO", "HELO", "MAIL", "RCPT", "DATA",
                                  "RSET", "NOOP", "QUIT", "VRFY"};
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (!strcmp(v, m[i]))
      return 1;
  return 0;
}

/* A verb some RFC defines (RFC 5321 4.1, 3.5, 4.1.1.8 and obsolete RFC 821
 * verbs; ETRN RFC 1985, ATRN RFC 2645, BDAT RFC 3030, STARTTLS RFC 3207,
 * AUTH RFC 4954, BURL RFC 4468): a server may recognize it and answer 502;
 * any other verb is unknown and SHOULD get 500 (RFC 5321 4.2.4). */
static int rfc_verb(const char *v) {
  static const char *const m[] = {
      "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT",
      "VRFY", "EXPN", "HELP", "TURN", "SEND", "SOML", "SAML", "ETRN",
      "ATRN", "BDAT", "STARTTLS", "AUTH", "BURL"};
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (!strcmp(v, m[i]))
      return 1;
  return 0;
}

/* The verb names exactly a command (followed by SP, CR or the end). */
static int exact_verb(const unsigned char *l, size_t n, const char *v) {
  size_t k = strlen(v);
  return n >= k && (n == k || l[k] == ' ' || l[k] == '\r') &&
         !strncasecmp((const char *)l, v, k);
}

static int odd_line(const unsigned char *l, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (l[i] == 0 || l[i] == '\r' || l[i] == '\n' || l[i] > 126)
      return 1;
  return 0;
}

/* SIZE=N in a MAIL line above the server's advertised maximum. */
static int size_over(const unsigned char *l, size_t n, const pserver *s) {
  if (!s->has_size || !s->size)
    return 0;
  for (size_t i = 0; i + 5 < n; i++)
    if (!strncasecmp((const char *)l + i, "SIZE=", 5)) {
      uint64_t v = 0;
      size_t j = i + 5;
      while (j < n && l[j] >= '0' && l[j] <= '9' && v < UINT64_MAX / 10)
        v = v * 10 + (uint64_t)(l[j++] - '0');
      return v > s->size;
    }
  return 0;
}

/* The RFC situation (oracle/allowed.h) smtpp's reply e to the line l of a
 * unit of kind stands for: the one table of what the RFCs allow there. */
static int situation(const char *verb, int e, const unsigned char *l,
                     size_t n, int kind) {
  int is_mail = !strcmp(verb, "MAIL"), is_rcpt = !strcmp(verb, "RCPT");
  int odd = 0;
  for (size_t i = 0; i < n; i++)
    odd |= l[i] == 0 || l[i] == '\r' || l[i] == '\n';
  if (kind == U_BODY)
    return e == 250   ? ALLOWED_MESSAGE_OK
           : e == 552 ? ALLOWED_MESSAGE_TOO_BIG
           : e == 500 ? ALLOWED_TEXT_LINE_TOO_LONG
           : e == 554 ? ALLOWED_MESSAGE_REFUSED
                      : 0;
  if ((e == 500 || e == 501 || e == 421) && !odd && n + 2 <= 512 &&
      !(verb[0] && exact_verb(l, n, verb)))
    /* "MAIL1 FROM:", "QUIT.": the first word is no verb at all */
    return verb[0] == 'X' ? 0 : ALLOWED_UNKNOWN_VERB; /* X: private, 4.1.5 */
  switch (e) {
  case 500:
    return n + 2 > 512 ? ALLOWED_LINE_TOO_LONG
           : odd       ? ALLOWED_BARE_CR_LF
           : verb[0] == 'X' ? 0
                       : ALLOWED_UNKNOWN_VERB;
  case 501:
    if (odd)
      return ALLOWED_BARE_CR_LF;
    for (size_t i = 0; (is_mail || is_rcpt) && i + 1 < n; i++)
      if (l[i] == '>' && l[i + 1] == ' ')
        return ALLOWED_BAD_PARAM; /* a parameter after the path */
    if (!strcmp(verb, "HELO") || !strcmp(verb, "EHLO"))
      return ALLOWED_HELO_BAD_ARGS;
    if (!strcmp(verb, "DATA") || !strcmp(verb, "RSET") ||
        !strcmp(verb, "QUIT") || !strcmp(verb, "STARTTLS"))
      return exact_verb(l, n, verb) ? ALLOWED_ARGS_NOT_TAKEN
                                    : ALLOWED_BAD_ARGS;
    if ((is_mail || is_rcpt) && n + 2 > 512)
      return is_mail ? ALLOWED_MAIL_PATH_TOO_LONG : ALLOWED_RCPT_PATH_TOO_LONG;
    return ALLOWED_BAD_ARGS;
  case 502:
    return ALLOWED_NOT_IMPLEMENTED;
  case 503:
    return is_rcpt                     ? ALLOWED_RCPT_BEFORE_MAIL
           : is_mail                   ? ALLOWED_MAIL_BEFORE_EHLO
           : !strcmp(verb, "DATA")     ? ALLOWED_DATA_NO_RECIPIENT
           : !strcmp(verb, "BDAT")     ? ALLOWED_BDAT_NO_RECIPIENT
           : !strcmp(verb, "AUTH")     ? ALLOWED_AUTH_IN_TRANSACTION
           : !strcmp(verb, "STARTTLS") ? ALLOWED_STARTTLS_IN_TLS
                                       : ALLOWED_BAD_SEQUENCE;
  case 504:
    return !strcmp(verb, "AUTH")   ? ALLOWED_AUTH_MECH_UNKNOWN
           : !strcmp(verb, "HELP") ? ALLOWED_HELP_UNKNOWN_TOPIC
                                   : ALLOWED_PARAM_VALUE_NOT_IMPL;
  case 555: {
    /* a parameter some RFC defines (RFC 1870, 6152, 6531, 3461, 4954):
     * known, but not offered here or with a value not implemented */
    static const char *const known[] = {" SIZE=", " BODY=", " SMTPUTF8",
                                        " RET=", " ENVID=", " NOTIFY=",
                                        " ORCPT=", " AUTH="};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
      size_t kl = strlen(known[k]);
      for (size_t i = 0; i + kl <= n; i++)
        if (!strncasecmp((const char *)l + i, known[k], kl))
          return ALLOWED_PARAM_VALUE_NOT_IMPL;
    }
    return ALLOWED_UNKNOWN_PARAM;
  }
  case 552:
    return is_mail ? ALLOWED_MAIL_SIZE_EXCEEDED : 0;
  case 452:
    return is_rcpt ? ALLOWED_TOO_MANY_RECIPIENTS : 0;
  case 550:
  case 553:
    return is_mail ? ALLOWED_MAIL_NON_ASCII
           : is_rcpt ? ALLOWED_RCPT_NON_ASCII
                     : 0;
  case 421:
    return !strcmp(verb, "BDAT") ? ALLOWED_BDAT_MALFORMED
                                 : ALLOWED_TOO_MANY_ERRORS;
  case 250:
    return !strcmp(verb, "HELO") || !strcmp(verb, "EHLO") ? ALLOWED_HELO_OK
           : is_mail                                      ? ALLOWED_MAIL_OK
           : is_rcpt                                      ? ALLOWED_RCPT_OK
           : !strcmp(verb, "RSET")                        ? ALLOWED_RSET_OK
           : !strcmp(verb, "NOOP")                        ? ALLOWED_NOOP_OK
           : !strcmp(verb, "BDAT")                        ? ALLOWED_BDAT_CHUNK_OK
                                                          : 0;
  case 354:
    return ALLOWED_DATA_GO_AHEAD;
  case 211:
  case 214:
    return n > 5 && !strncasecmp((const char *)l + 5, "STATUS", 6)
               ? ALLOWED_HELP_STATUS
               : ALLOWED_HELP_OK;
  case 252:
    return !strcmp(verb, "EXPN") ? ALLOWED_EXPN_DEFAULT : ALLOWED_VRFY_DEFAULT;
  case 221:
    return ALLOWED_QUIT_OK;
  case 220:
    return ALLOWED_STARTTLS_GO_AHEAD;
  default:
    return 0;
  }
}

/* The situation a host refusal of verb falls under (policy). */
static int refusal(const char *verb, int kind) {
  if (kind == U_BODY)
    return ALLOWED_MESSAGE_REFUSED;
  return !strcmp(verb, "MAIL")                              ? ALLOWED_MAIL_REFUSED
         : !strcmp(verb, "RCPT")                            ? ALLOWED_RCPT_REFUSED
         : !strcmp(verb, "DATA") || !strcmp(verb, "BDAT")   ? ALLOWED_DATA_REFUSED
         : !strcmp(verb, "HELO") || !strcmp(verb, "EHLO")   ? ALLOWED_HELO_REFUSED
         : !strcmp(verb, "VRFY")                            ? ALLOWED_VRFY_ANSWERED
         : !strcmp(verb, "EXPN")                            ? ALLOWED_EXPN_ANSWERED
                                                            : 0;
}

static int level_verdict(allowed_level lv) {
  return lv == ALLOWED_MUST ? V_VIOLATION
         : lv == ALLOWED_SHOULD ? V_DEVIATION
                                : V_ADVISORY;
}

/* The finding add() made last is judged by the RFC situation: its
 * section, its sentence and (when verdict < 0) its level. */
static void by_situation(presult *res, int sit, int verdict) {
  const allowed_situation *a = allowed_get(sit);
  if (!cur || !a)
    return;
  cur->rfc = a->rfc;
  cur->quote = a->quote;
  cur->verdict = verdict >= 0 ? verdict : level_verdict(a->level);
  if (res->worst > cur->verdict)
    res->worst = cur->verdict;
}

/* The group of a situation where the server accepts what smtpp refuses:
 * a limit (the RFC limits are minimums, RFC 5321 4.5.3.1) or a syntax
 * check (a lenient server) is an advisory; a sequence rule is judged by
 * its level. */
static int is_limit(int sit) {
  return sit == ALLOWED_LINE_TOO_LONG || sit == ALLOWED_TEXT_LINE_TOO_LONG ||
         sit == ALLOWED_MAIL_PATH_TOO_LONG ||
         sit == ALLOWED_RCPT_PATH_TOO_LONG ||
         sit == ALLOWED_TOO_MANY_RECIPIENTS || sit == ALLOWED_MESSAGE_TOO_BIG;
}
static int is_sequence(int sit) {
  return sit == ALLOWED_BAD_SEQUENCE || sit == ALLOWED_MAIL_IN_TRANSACTION ||
         sit == ALLOWED_RCPT_BEFORE_MAIL || sit == ALLOWED_DATA_NO_RECIPIENT ||
         sit == ALLOWED_DATA_AFTER_BDAT || sit == ALLOWED_BDAT_NO_RECIPIENT ||
         sit == ALLOWED_AUTH_IN_TRANSACTION;
}

/* Files the difference between smtpp's e and the server's g for the line
 * l of a unit of kind, by what the RFCs allow in that situation
 * (oracle/allowed.h).  Returns 1 when the session state may now
 * differ. */
static int classify(presult *res, const pserver *s, const unsigned char *l,
                    size_t n, int e, int g, int kind, int ehlo) {
  char verb[16];
  int sit;
  probe_verb(l, n, verb, sizeof verb);
  if (kind == U_BODY)
    snprintf(verb, sizeof verb, "END-OF-DATA");
  else if (!verb[0])
    snprintf(verb, sizeof verb, "%s", n ? "?" : "EMPTY");
  if (g == 421) { /* allowed after any command (RFC 5321 3.8) */
    add(res, "closed-421", "%s", "");
    return 1;
  }
  if (g == 221 && strcmp(verb, "QUIT"))
    return 1; /* filed as close-without-quit */
  sit = situation(verb, e, l, n, kind);
  if (sit && allowed_code_ok(sit, g))
    return is_fail(e) != is_fail(g); /* another code the RFCs allow */
  if (is_fail(e) && is_fail(g)) {
    const allowed_situation *a = allowed_get(sit);
    if (e == 421 && sit != ALLOWED_BDAT_MALFORMED) {
      add(res, "error-budget", "%s", "");
      return 0;
    }
    if (g / 100 == 4 && e / 100 == 5) {
      add(res, "policy-refusal", "%s:%d", verb, g);
      return 0;
    }
    if (!a) {
      add(res, "other-refusal-code", "%s:%d-%d", verb, e, g);
      return 0;
    }
    add(res, "code-not-allowed", "%s:%d", a->name, g);
    by_situation(res, sit, -1);
    if ((e == 503 && (g == 500 || g == 501)) ||
        (g == 503 && (e == 500 || e == 501)))
      /* a syntax error found before the sequence error: the RFCs set no
       * order between the two checks (smtpp's is PROTOCOL.md's) */
      by_situation(res, sit, V_ADVISORY);
    if (sit == ALLOWED_BDAT_MALFORMED && (g == 500 || g == 501))
      /* refused and read on: no close to break RFC 5321 3.8, but the
       * chunk's octets may now run as commands (RFC 3030 2) */
      by_situation(res, sit, V_DEVIATION);
    if (cur && cur->verdict == V_VIOLATION && allowed_code_ok(refusal(verb, kind), g))
      /* the code the RFC prescribes here is one of the usual refusals
       * too (4.3.2): a policy may have answered first */
      by_situation(res, sit, V_DEVIATION);
    return 0;
  }
  if (is_fail(e)) { /* the server accepts what smtpp refuses */
    if (sit == ALLOWED_MAIL_BEFORE_EHLO)
      add(res, "mail-before-helo-accepted", "%s", "");
    else if (!ehlo && (sit == ALLOWED_BDAT_NO_RECIPIENT ||
                       sit == ALLOWED_AUTH_IN_TRANSACTION))
      /* an extension command in a HELO session: smtpp refuses it, the
       * RFCs do not oblige the server to (lenient) */
      add(res, "lenient-syntax", "%s:%d", verb, e);
    else if (sit == ALLOWED_MAIL_SIZE_EXCEEDED && size_over(l, n, s)) {
      add(res, "size-over-max-accepted", "%s", "");
      by_situation(res, sit, -1);
    } else if (is_sequence(sit)) {
      add(res, "out-of-sequence-accepted", "%s", allowed_get(sit)->name);
      by_situation(res, sit, -1);
    } else if (is_limit(sit) || ((e == 500 || e == 501) && n + 2 > 512))
      add(res, "limit-not-enforced", "%s:%d", verb, e);
    else if (sit || e == 500 || e == 501 || e == 555 || e == 502)
      add(res, "lenient-syntax", "%s:%d", verb, e);
    else
      add(res, "other-success-code", "%s:%d-%d", verb, e, g);
    return 1;
  }
  if (is_fail(g)) { /* the server refuses what smtpp accepts */
    if ((g == 500 || g == 501) && kind != U_BODY && verb[0] &&
        !exact_verb(l, n, verb))
      return 1; /* "NOOP<HT>x": no verb SP argument; smtpp's leniency */
    if (allowed_code_ok(refusal(verb, kind), g))
      add(res, "policy-refusal", "%s:%d", verb, g);
    else if ((g == 500 || g == 501) && n + 2 > 256)
      /* RFC 5321 4.5.3.1: limits (64-octet local part, 255-octet domain,
       * 512-octet line) are minimums a server may enforce */
      add(res, "own-limit", "%s:%d", verb, g);
    else if ((g == 502 || (g == 500 && n == strlen(verb))) &&
             minimum_verb(verb)) /* the bare verb refused: not implemented */
      add(res, "minimum-command-refused", "%s", verb);
    else if (rfc_verb(verb) && !minimum_verb(verb) && exact_verb(l, n, verb))
      add(res, "not-implemented", "%s", verb); /* optional, or its topic */
    else if ((g == 500 || g == 501 || g == 555) && !odd_line(l, n))
      add(res, "valid-command-syntax-error", "%s:%d", verb, g);
    else
      add(res, "policy-refusal", "%s:%d", verb, g);
    return 1;
  }
  add(res, "other-success-code", "%s:%d-%d", verb, e, g);
  return 0;
}

/* The line of unit u that earned its i-th reply: [*a, *b) without CRLF.
 * A BDAT line answers for its chunk too, a DATA body (up to its CRLF "."
 * CRLF) for its end.  Returns 1 when that is a message body. */
static int unit_line(const dialog *c, const punit *u, size_t i, size_t *a,
                     size_t *b) {
  size_t p = u->start, k = 0;
  int after_data = 0;
  *a = *b = u->start;
  if (u->kind == U_GREETING || u->kind == U_PROBE)
    return 0;
  if (u->kind == U_BODY) {
    *a = u->start;
    *b = u->end;
    return 1;
  }
  while (p < u->end) {
    size_t q = p, next;
    uint64_t chunk = 0;
    int body = 0;
    if (after_data) {
      /* the body: up to and with its CRLF "." CRLF */
      q = p;
      while (q < u->end && !(u->end - q >= 3 && c->input.p[q] == '.' &&
                             c->input.p[q + 1] == '\r' && c->input.p[q + 2] == '\n' &&
                             (q == p || (c->input.p[q - 1] == '\n' &&
                                         c->input.p[q - 2] == '\r'))))
        q++;
      q = q + 3 <= u->end ? q + 1 : u->end;
      next = q + 2;
      body = 1;
      after_data = 0;
    } else {
      while (q + 1 < u->end && !(c->input.p[q] == '\r' && c->input.p[q + 1] == '\n'))
        q++;
      if (q + 1 >= u->end)
        q = u->end;
      next = q + 2;
      if (q - p > 5 && !strncasecmp((const char *)c->input.p + p, "BDAT ", 5)) {
        for (size_t d = p + 5; d < q && c->input.p[d] >= '0' && c->input.p[d] <= '9' &&
                               chunk < UINT64_MAX / 10;
             d++)
          chunk = chunk * 10 + (uint64_t)(c->input.p[d] - '0');
        next = chunk > u->end - (q + 2 < u->end ? q + 2 : u->end)
                   ? u->end
                   : q + 2 + (size_t)chunk;
      }
      after_data = q - p == 4 && !strncasecmp((const char *)c->input.p + p,
                                              "DATA", 4);
    }
    *a = p;
    *b = q;
    if (k++ == i)
      return body;
    p = next;
  }
  return 0;
}

/* Names the end-of-data look-alikes in b[0, n) ("LF.LF", "CR.CR", ...),
 * space separated; the real CRLF.CRLF is not one. */
static void lookalikes(const unsigned char *b, size_t n, char *out,
                       size_t cap) {
  size_t o = 0;
  out[0] = '\0';
  for (size_t i = 1; i < n && o + 24 < cap; i++) {
    const char *pre, *post;
    char name[32];
    if (b[i] != '.')
      continue;
    if (b[i - 1] == '\n')
      pre = (i >= 2 && b[i - 2] == '\r') ? "CRLF" : "LF";
    else if (b[i - 1] == '\r')
      pre = "CR";
    else if (b[i - 1] == 0 && i >= 3 && b[i - 2] == '\n' && b[i - 3] == '\r')
      pre = "CRLF NUL";
    else
      continue;
    if (n - i >= 3 && b[i + 1] == '\r' && b[i + 2] == '\n')
      post = "CRLF";
    else if (n - i >= 4 && b[i + 1] == '\r' && b[i + 2] == '\r' &&
             b[i + 3] == '\n')
      post = "CR CRLF";
    else if (n - i >= 4 && b[i + 1] == 0 && b[i + 2] == '\r' &&
             b[i + 3] == '\n')
      post = "NUL CRLF";
    else if (n - i >= 2 && b[i + 1] == '\n')
      post = "LF";
    else if (n - i >= 2 && b[i + 1] == '\r')
      post = "CR";
    else
      continue;
    if (!strcmp(pre, "CRLF") && !strcmp(post, "CRLF"))
      continue;
    snprintf(name, sizeof name, "%s.%s", pre, post);
    if (strstr(out, name))
      continue;
    o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", name);
  }
}

/* A CR or LF outside CRLF in the command lines of b[0, n). */
static int bare_in(const unsigned char *b, size_t n, int ch) {
  for (size_t i = 0; i < n; i++) {
    if (b[i] != ch)
      continue;
    if (ch == '\n' && (i == 0 || b[i - 1] != '\r'))
      return 1;
    if (ch == '\r' && (i + 1 >= n || b[i + 1] != '\n'))
      return 1;
  }
  return 0;
}

static void got_text(const prun *R, size_t i, char *buf, size_t cap) {
  pscan_text(&R->sc, &R->c, i, buf, cap);
}

/* Evidence for the finding add() made last. */
static void evidence(const dialog *c, const prun *R, size_t a, size_t b,
                     const char *expected, size_t ri) {
  if (!cur)
    return;
  probe_client_text(c, a, b, cur->sent, sizeof cur->sent);
  snprintf(cur->expected, sizeof cur->expected, "%s", expected);
  if (ri < R->sc.n)
    got_text(R, ri, cur->got, sizeof cur->got);
  else
    snprintf(cur->got, sizeof cur->got, "%s", "(nothing)");
}

/* The unit that earned reply ri. */
static const punit *unit_of(const prun *R, size_t ri) {
  for (size_t k = 0; k < R->nu; k++)
    if (ri >= R->u[k].r0 && ri < R->u[k].r1)
      return &R->u[k];
  return R->nu ? &R->u[R->nu - 1] : NULL;
}

/* The reply that holds stream offset off. */
static size_t reply_at(const rs_reader *sc, size_t off) {
  for (size_t i = 0; i < sc->n; i++)
    if (off >= sc->r[i].off && off < sc->r[i].end)
      return i;
  return sc->n;
}

static void judge_format(const dialog *c, const prun *R, presult *res) {
  /* one root cause per kind of defect; RS_NON_PRINTABLE split in two */
  static const struct {
    const char *rule;
    int kind;
  } kinds[] = {{"reply-line-too-long", RS_LINE_OVER_512},
               {"reply-bare-lf", RS_BARE_LF},
               {"reply-control-octet", -1},
               {"reply-8bit", -2},
               {"reply-malformed", RS_NOT_A_REPLY},
               {"reply-continuation-code", RS_CONT_CODE},
               {"reply-unterminated", RS_NO_CRLF_AT_END}};
  const rs_reader *sc = &R->sc;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    int kind = kinds[k].kind;
    unsigned n = kind == -1 ? sc->nctl : kind == -2 ? sc->nhigh
                                                    : sc->count[kind];
    size_t off = kind == -1 ? sc->ctl_off : kind == -2 ? sc->high_off
                                                       : sc->first_off[kind];
    const punit *u;
    if (!n)
      continue;
    add(res, kinds[k].rule, "%s", "");
    if (!cur)
      continue;
    u = unit_of(R, reply_at(sc, off));
    if (u)
      probe_client_text(c, u->start, u->end, cur->sent, sizeof cur->sent);
    snprintf(cur->expected, sizeof cur->expected,
             "reply lines of at most 512 octets: 3 digits, SP or '-', HT "
             "or 32-126, CRLF");
    pscan_line(&R->c, off, cur->got, sizeof cur->got);
  }
  if (R->wait == W_LINE_TOO_LONG || R->wait == W_TOO_BIG) {
    const punit *u = R->nu ? &R->u[R->nu - 1] : NULL;
    add(res, "reply-endless", "%s", "");
    if (cur && u)
      evidence(c, R, u->start, u->end, "a bounded reply", (size_t)-1);
    if (cur)
      snprintf(cur->got, sizeof cur->got, "%s",
               R->wait == W_LINE_TOO_LONG ? "a line over 64 KiB without LF"
                                          : "a reply over 64 KiB");
  }
}

void probe_judge(const dialog *c, const pserver *s, int mode, const prun *R,
                 presult *res) {
  int burst = mode == PMODE_BURST;
  const rs_reader *sc = &R->sc;
  int *codes = malloc((c->nexpect + 1) * sizeof *codes);
  int *gcodes = malloc((sc->n + 1) * sizeof *gcodes);
  int diverged = 0;

  res->worst = V__COUNT;
  res->nf = 0;
  if (codes) {
    for (size_t i = 0; i < c->nexpect; i++)
      codes[i] = c->expect[i].code;
    res->exp_all = code_list(codes, c->nexpect);
  }
  if (gcodes) {
    for (size_t i = 0; i < sc->n; i++)
      gcodes[i] = sc->r[i].code;
    res->got_all = code_list(gcodes, sc->n);
  }
  free(codes);
  free(gcodes);

  judge_format(c, R, res);

  /* nothing after 221/421; 221 only to QUIT */
  for (size_t i = 0; i < sc->n; i++) {
    const punit *u = unit_of(R, i);
    if (sc->r[i].code == 221 && u && u->kind != U_GREETING &&
        u->kind != U_PROBE) {
      int quit = 0, bare = 0;
      /* QUIT on a line of its own earns 221; a QUIT behind a bare CR or
       * LF earns it only from a server that frames lines on them */
      for (size_t p = u->start; p + 4 <= u->end && !quit; p++) {
        const unsigned char *q = c->input.p + p;
        int before, after;
        if (strncasecmp((const char *)q, "QUIT", 4))
          continue;
        before = p == u->start ? 'S' : q[-1];
        after = p + 4 < u->end ? q[4] : 'E';
        /* only a QUIT behind a bare CR or LF shows the framing; at a line
         * start it is QUIT with junk after it (lenient, not framing) */
        if ((before == '\r' ||
             (before == '\n' && (p < 2 || q[-2] != '\r'))) &&
            (after == '\n' || after == '\r' || after == 'E'))
          bare = before;
      }
      /* a QUIT line right after a CRLF (also inside a chunk that the
       * server may have read as commands after refusing its BDAT) */
      for (size_t p = u->start; p + 6 <= u->end && !quit; p++)
        quit = (p == u->start || (p >= 2 && c->input.p[p - 2] == '\r' &&
                                  c->input.p[p - 1] == '\n')) &&
               !strncasecmp((const char *)c->input.p + p, "QUIT\r\n", 6);
      /* the commands of the unit (BDAT chunks and bodies skipped) */
      for (size_t k = 0, prev = (size_t)-1; k < 1000 && !quit; k++) {
        size_t a, b;
        unit_line(c, u, k, &a, &b);
        if (a == prev)
          break;
        prev = a;
        /* "QUIT now", "QUIT\rX": QUIT with junk, filed as lenient syntax */
        quit = b - a >= 4 && !strncasecmp((const char *)c->input.p + a, "QUIT", 4) &&
               (b - a == 4 || c->input.p[a + 4] == ' ' || c->input.p[a + 4] == '\r' ||
                c->input.p[a + 4] == '\t');
      }
      if (!quit && bare) {
        add(res, bare == '\n' ? "bare-lf-line-end" : "bare-cr-line-end",
            "%s", "");
        evidence(c, R, u->start, u->end,
                 "no 221: QUIT sits behind a bare CR or LF on a longer line",
                 i);
      } else if (!quit) {
        add(res, "close-without-quit", "%s", "");
        evidence(c, R, u->start, u->end, "not 221: only QUIT earns 221", i);
      }
    }
    if (i + 1 < sc->n && (sc->r[i].code == 221 || sc->r[i].code == 421)) {
      const punit *v = unit_of(R, i + 1);
      add(res, "reply-after-close", "%d", sc->r[i].code);
      if (v)
        evidence(c, R, v->start, v->end, "no reply after a closing reply",
                 i + 1);
      break;
    }
  }

  for (size_t k = 0; k < R->nu; k++) {
    const punit *u = &R->u[k];
    size_t e0 = u->e0, e1 = u->e1, ng = u->r1 - u->r0, ne, m;
    ne = e1 - e0;
    if (u->kind == U_PROBE)
      continue;
    if (u->kind == U_PARTIAL && k + 1 == R->nu && R->stop == STOP_STARTTLS) {
      if (ng) {
        add(res, "starttls-injection", "%s", "");
        evidence(c, R, u->start, u->end,
                 "no reply: the bytes after STARTTLS are not TLS", u->r0);
      }
      break;
    }
    /* more replies than the unit earns: name the root cause first, the
     * code differences in this unit are its consequences */
    if (ng > ne && !(ng == ne + 1 && sc->r[u->r0 + ne].code == 421 &&
                     u->r0 + ne + 1 == sc->n)) {
      const unsigned char *p = c->input.p + u->start;
      size_t n = u->end - u->start;
      char la[120], exp[200];
      const char *rule = NULL;
      lookalikes(p, n, la, sizeof la);
      snprintf(exp, sizeof exp, "%zu repl%s to these octets", ne,
               ne == 1 ? "y" : "ies");
      if (la[0])
        rule = "smuggling";
      else if (bare_in(p, n, '\n'))
        rule = "bare-lf-line-end";
      else if (bare_in(p, n, '\r'))
        rule = "bare-cr-line-end";
      else if (!diverged && u->kind != U_PARTIAL &&
               !(c->expect_closed && u->e1 >= c->nexpect) &&
               !(u->kind == U_BDAT && is_fail(sc->r[u->r0].code)))
        /* (after refusing a BDAT line a server may read the chunk as
         * commands: it cannot know the chunk is one, RFC 3030 2) */
        rule = "extra-reply"; /* (a server may go on where smtpp closes) */
      if (rule) {
        size_t from = u->start;
        add(res, rule, "%s", !strcmp(rule, "smuggling") ? la : "");
        if (!strcmp(rule, "smuggling")) /* show from just before it */
          for (size_t q = u->start + 1; q + 1 < u->end; q++)
            if (c->input.p[q] == '.' &&
                (c->input.p[q - 1] == '\r' || c->input.p[q - 1] == '\n') &&
                (c->input.p[q + 1] == '\r' || c->input.p[q + 1] == '\n' ||
                 c->input.p[q + 1] == 0) &&
                !(q >= u->start + 2 && c->input.p[q - 2] == '\r' &&
                  c->input.p[q - 1] == '\n' && c->input.p[q + 1] == '\r' &&
                  q + 2 < u->end && c->input.p[q + 2] == '\n')) {
              from = q > u->start + 8 ? q - 8 : u->start;
              break;
            }
        evidence(c, R, from, u->end, exp, u->r0 + ne);
        if (cur) {
          size_t o = (size_t)snprintf(cur->got, sizeof cur->got,
                                      "%zu replies:", ng);
          for (size_t i = 0; i < ng && o + 5 < sizeof cur->got; i++)
            o += (size_t)snprintf(cur->got + o, sizeof cur->got - o, " %03d",
                                  sc->r[u->r0 + i].code);
          if (o + 16 < sizeof cur->got) {
            o += (size_t)snprintf(cur->got + o, sizeof cur->got - o,
                                  "; first extra: ");
            got_text(R, u->r0 + ne, cur->got + o, sizeof cur->got - o);
          }
        }
        diverged = 1;
        continue;
      }
    }
    m = ne < ng ? ne : ng;
    for (size_t i = 0; i < m && !diverged; i++) {
      int e = c->expect[e0 + i].code, g = sc->r[u->r0 + i].code;
      size_t a, b;
      char exp[200];
      int body = unit_line(c, u, i, &a, &b);
      if (e == g) {
        const char *ee = c->expect[e0 + i].enh, *ge = sc->r[u->r0 + i].enh;
        if (ee[0] && strcmp(ee, "-") && (s->ext &
                                         SMTPP_EXT_ENHANCEDSTATUSCODES) &&
            probe_case_ehlo(c) && g != 220 && !ge[0]) {
          add(res, "enhanced-code-missing", "%s", "");
          snprintf(exp, sizeof exp, "%03d %s", e, ee);
          evidence(c, R, a, b, exp, u->r0 + i);
        }
        continue;
      }
      cur = NULL;
      if (burst) {
        /* burst mode breaks RFC 2920 3.1 itself (it sends past DATA and
         * EHLO): a different code there is no verdict on the server */
        add(res, "burst-differs", "%s", "");
        diverged = 1;
      } else {
        diverged = classify(res, s, c->input.p + a, b - a, e, g,
                            body ? U_BODY : u->kind, probe_case_ehlo(c));
      }
      snprintf(exp, sizeof exp, "%03d%s%s (smtpp)", e,
               c->expect[e0 + i].enh[0] && strcmp(c->expect[e0 + i].enh, "-")
                   ? " " : "",
               strcmp(c->expect[e0 + i].enh, "-") ? c->expect[e0 + i].enh : "");
      evidence(c, R, a, b, exp, u->r0 + i);
    }
    if (ng > ne) {
      if (sc->r[u->r0 + ne].code == 421) {
        char exp[200];
        snprintf(exp, sizeof exp, "%zu repl%s", ne, ne == 1 ? "y" : "ies");
        add(res, "closed-421", "%s", "");
        evidence(c, R, u->start, u->end, exp, u->r0 + ne);
      }
      diverged = 1;
    } else if (ng < ne && k == R->nu - 1) {
      char exp[200];
      int lastc = sc->n ? sc->r[sc->n - 1].code : 0;
      snprintf(exp, sizeof exp, "%03d (smtpp)", c->expect[e0 + ng].code);
      if (R->stop == STOP_CLOSED && lastc >= 500 && !diverged) {
        /* closed right after a 5yz reply */
        const punit *v = unit_of(R, sc->n - 1);
        add(res, "close-after-error", "%d", lastc);
        if (v)
          evidence(c, R, v->start, v->end, exp, sc->n - 1);
      } else if (R->stop == STOP_CLOSED && lastc >= 500) {
        /* after a difference: the close is its consequence */
      } else if (R->stop == STOP_CLOSED && lastc != 221 && lastc != 421) {
        add(res, "drop-without-421", "%s", "");
        evidence(c, R, u->start, u->end, exp, (size_t)-1);
        if (cur)
          snprintf(cur->got, sizeof cur->got,
                   "the connection closed without 421");
      } else if (R->stop == STOP_WAIT && !diverged && u->kind == U_CMD &&
                 strncasecmp((const char *)c->input.p + u->start, "BDAT", 4) &&
                 !odd_line(c->input.p + u->start,
                           u->end - u->start >= 2 ? u->end - u->start - 2
                                                  : 0)) {
        add(res, "no-reply", "%s", "");
        evidence(c, R, u->start, u->end, exp, (size_t)-1);
        if (cur)
          snprintf(cur->got, sizeof cur->got, "no reply in time");
      } else if (R->stop == STOP_WAIT) {
        add(res, "no-reply-odd-input", "%s", "");
        evidence(c, R, u->start, u->end, exp, (size_t)-1);
      }
    }
  }
  /* (a stop after a failed BDAT is the dialog's own doing: RFC 3030 2
   * bars the client from more BDAT, so it is no finding) */
  if ((R->stop == STOP_354 || R->stop == STOP_NO_354) && !res->nf &&
      R->stop_unit < R->nu) {
    const punit *u = &R->u[R->stop_unit];
    add(res, "dialog-stopped", "%s", "data");
    evidence(c, R, u->start, u->end, "(see smtpp's transcript)",
             u->r1 ? u->r1 - 1 : 0);
  }
  if (res->nf == 0)
    res->status = PR_PASS;
  else
    res->status = PR_FAIL;
  snprintf(res->detail, sizeof res->detail, "%s",
           R->stop == STOP_354        ? "unexpected 354: the probe ended the "
                                        "message with \".\" and stopped"
           : R->stop == STOP_NO_354   ? "DATA was not answered 354: stopped "
                                        "before the body"
           : R->stop == STOP_BDAT_FAIL ? "BDAT failed: stopped (RFC 3030 2 "
                                        "bars more BDAT before RSET)"
           : R->stop == STOP_CLOSED   ? "the server closed"
           : R->stop == STOP_WAIT     ? pscan_wait_names[R->wait]
                                      : "");
}
