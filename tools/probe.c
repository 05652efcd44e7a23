/*
 * probe.c - `smtpp probe`: runs the dialog suite against another SMTP
 * server (over TCP, or a command speaking SMTP on stdin/stdout) and holds
 * its reply stream to the properties of design section 5 that need only
 * the replies: P2 reply format, P3 one reply per command in order, P4
 * malformed lines get 500/501/555, P5 out of order gets 503, P6 messages
 * accepted = terminators, P8 no execution after STARTTLS, P9 limits.
 *
 * Every wait has a deadline and every buffer a bound (probe_conn.h): a
 * server that hangs, closes early, sends garbage, an endless line or a
 * giant reply gets a verdict, never a hung probe.
 */
#define _POSIX_C_SOURCE 200809L
#include "commands.h"

#include "cli.h"
#include "esc.h"
#include "io.h"
#include "probe.h"
#include "probe_conn.h"
#include "probe_fuzz.h"
#include "replies.h"

#include <smtpp/smtpp.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifndef SMTPP_SOURCE_DIR
#define SMTPP_SOURCE_DIR "."
#endif

#define REPLY_MAX (64u * 1024) /* one reply, all its lines */
#define REPLIES_MAX 100000
#define DRAIN_MS 1500          /* after our EOF: wait for the server's */

const char *const probe_mode_names[PMODE__COUNT] = {"polite", "burst",
                                                    "byte"};
const char *const probe_status_names[3] = {"pass", "FAIL", "skip"};

static const pprop props[] = {
    {"P2", "every reply line is at most 512 octets with CRLF and well formed "
           "(3 digits 2xx-5xx, '-' continuation with the same code, "
           "printable ASCII)",
     "RFC 5321 4.2, 4.5.3.1.5",
     "build every reply from a fixed template, never echo client octets, "
     "and cut texts so that each line stays within 512 octets"},
    {"P3", "exactly one reply per command, in order; nothing after 221/421",
     "RFC 5321 4.2, 4.1.1.10, 3.8; RFC 2920 3",
     "answer every complete command line exactly once, in the order "
     "received, also when several arrive in one packet; stop reading "
     "after 221 or 421"},
    {"P4", "a malformed line gets 500 (unknown verb, too long), 501 (bad "
           "arguments, bare CR/LF/NUL) or 555 (unknown parameter); a "
           "well-formed line never does",
     "RFC 5321 4.2.4, 4.1.1.11, 2.3.8, 4.5.3.1",
     "check each command against the grammar of RFC 5321 4.1 before acting "
     "on it; frame lines on CRLF only"},
    {"P5", "a command out of order gets 503 and the state does not change",
     "RFC 5321 4.1.4, 3.3",
     "keep a session state machine (greeting, EHLO, MAIL, RCPT, DATA) and "
     "refuse commands not allowed in the current state with 503"},
    {"P6", "messages accepted = CRLF.CRLF terminators seen in DATA; only "
           "CRLF.CRLF ends a message",
     "RFC 5321 4.1.1.4, 4.5.2, 2.3.8",
     "end DATA only on CRLF \".\" CRLF; treat LF.LF, CR.CR and other "
     "look-alikes as body octets (SMTP smuggling)"},
    {"P8", "after STARTTLS, bytes pipelined behind it are not executed",
     "RFC 3207 4.2, 5; CVE-2011-0411",
     "discard the input buffer when the TLS handshake starts and run no "
     "command received before it"},
    {"P9", "limits hold (line, path, recipients, size, errors) and the "
           "session survives over-limit input it need not close on",
     "RFC 5321 4.5.3.1; RFC 1870 6",
     "refuse over-limit input with the reply the RFC names (500, 501, 452, "
     "552) and stay in step with the client"},
};

const pprop *probe_prop(const char *id) {
  for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
    if (!strcmp(props[i].id, id))
      return &props[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

typedef struct popts {
  const char *tcp, *cmd, *suite, *json, *junit, *only;
  int modes[PMODE__COUNT];
  int timeout_ms;
  int case_ms;
  int verbose;
  int fuzz;
  uint64_t fuzz_count, fuzz_time, fuzz_seed;
  const char *dict, *replay, *out, *seeds;
  int allow_remote;
} popts;

enum {
  OPT_HELP = 1,
  OPT_TCP,
  OPT_CMD,
  OPT_SUITE,
  OPT_MODE,
  OPT_TIMEOUT,
  OPT_CASE_TIMEOUT,
  OPT_JSON,
  OPT_JUNIT,
  OPT_ONLY,
  OPT_VERBOSE,
  OPT_FUZZ,
  OPT_COUNT,
  OPT_TIME,
  OPT_SEED,
  OPT_DICT,
  OPT_REPLAY,
  OPT_OUT,
  OPT_ALLOW_REMOTE,
  OPT_SEEDS,
};

static const cli_opt probe_opts[] = {
    {"help", 'h', 0, OPT_HELP},
    {"tcp", 0, 1, OPT_TCP},
    {"cmd", 0, 1, OPT_CMD},
    {"suite", 0, 1, OPT_SUITE},
    {"mode", 0, 1, OPT_MODE},
    {"timeout", 0, 1, OPT_TIMEOUT},
    {"case-timeout", 0, 1, OPT_CASE_TIMEOUT},
    {"json", 0, 1, OPT_JSON},
    {"junit", 0, 1, OPT_JUNIT},
    {"only", 0, 1, OPT_ONLY},
    {"verbose", 'v', 0, OPT_VERBOSE},
    {"fuzz", 0, 0, OPT_FUZZ},
    {"count", 0, 1, OPT_COUNT},
    {"time", 0, 1, OPT_TIME},
    {"seed", 0, 1, OPT_SEED},
    {"dict", 0, 1, OPT_DICT},
    {"replay", 0, 1, OPT_REPLAY},
    {"out", 0, 1, OPT_OUT},
    {"allow-remote", 0, 0, OPT_ALLOW_REMOTE},
    {"seeds", 0, 1, OPT_SEEDS},
    {NULL, 0, 0, 0},
};

void cmd_probe_usage(FILE *out) {
  fputs(
      "Usage: smtpp probe (--tcp HOST:PORT | --cmd COMMAND) [OPTIONS]\n"
      "\n"
      "Holds another SMTP server to the dialog suite (tests/dialogs) and to\n"
      "the properties the parser is held to (design section 5: P2 reply\n"
      "format, P3 one reply per command in order, P4 malformed lines, P5\n"
      "sequence, P6 DATA terminators, P8 STARTTLS injection, P9 limits).\n"
      "The EHLO reply (read on a separate connection first) decides which\n"
      "dialogs apply: a dialog is skipped when it needs a setting that cannot\n"
      "be made on a foreign server (! policy, ! lenient, T:, ! max-rcpt,\n"
      "! max-errors, a ! size other than the advertised SIZE) or depends on\n"
      "an extension that the server and the dialog see differently.\n"
      "Reply codes must match; enhanced codes are only hints.\n"
      "\n"
      "Target (one of):\n"
      "  --tcp HOST:PORT      connect over TCP (one connection per case)\n"
      "  --cmd COMMAND        run /bin/sh -c COMMAND per case; it speaks SMTP\n"
      "                       on stdin/stdout (e.g. \"smtpp serve --stdio\",\n"
      "                       \"sendmail -bs\"); stderr goes to /dev/null\n"
      "Options:\n"
      "  --suite DIR          dialog directory (default: ./tests/dialogs,\n"
      "                       else the source tree's tests/dialogs)\n"
      "  --mode MODE          polite (one command at a time; pipelined groups\n"
      "                       ending at RFC 2920 group-end verbs only when\n"
      "                       PIPELINING is offered), burst (all bytes at\n"
      "                       once), byte (one octet per write, one command\n"
      "                       at a time) or all (default polite); a comma\n"
      "                       list is allowed\n"
      "  --timeout MS         wait for each reply at most MS (default 5000)\n"
      "  --case-timeout MS    bound for one case in one mode (default 30000)\n"
      "  --only TEXT          run only dialogs whose file name contains TEXT\n"
      "  --json FILE          write a JSON report\n"
      "  --junit FILE         write a JUnit XML report\n"
      "  -v, --verbose        also explain the codes of each failure in full\n"
      "  --fuzz               differential fuzzing instead of the suite:\n"
      "                       mutate the client bytes of the dialogs and of\n"
      "                       corpus/seeds/session with the dictionary, send\n"
      "                       each session to the server and to libsmtpp\n"
      "                       (configured like the server's EHLO), compare\n"
      "                       reply classes and P2/P3; minimize and write\n"
      "                       each new disagreement; exit 1 if any\n"
      "  --count N            fuzz: at most N sessions (default 200)\n"
      "  --time S             fuzz: at most S seconds (default 60)\n"
      "  --seed N             fuzz: random seed (default 1)\n"
      "  --dict FILE          fuzz: AFL/libFuzzer-style dictionary (default\n"
      "                       dict/smtp.dict; else a built-in token list)\n"
      "  --seeds DIR          fuzz: session seeds with a 4-octet selector\n"
      "                       (default corpus/seeds/session)\n"
      "  --out DIR            fuzz: reproducers (default out/probe-fuzz)\n"
      "  --replay FILE        send one reproducer (.dialog R: lines, or .bin)\n"
      "                       to the server and to libsmtpp; show both\n"
      "                       reply streams side by side; exit 1 if they\n"
      "                       disagree\n"
      "  --allow-remote       fuzz/replay: allow a --tcp host that is not\n"
      "                       loopback (127.0.0.0/8, ::1)\n"
      "  -h, --help           show this help\n"
      "\n"
      "Verdicts: pass, FAIL (mismatch, format, timeout, closed, malformed,\n"
      "line-too-long), skip.  Replies are read into bounded buffers (64 KiB\n"
      "per reply, 1 MiB per connection).\n"
      "Exit status: 0 every must-level case passed, 1 a must-level case\n"
      "failed or the server could not be probed, 2 bad usage.\n"
      "\n"
      "Examples:\n"
      "  smtpp probe --cmd \"smtpp serve --stdio\" --mode all\n"
      "  smtpp probe --tcp 127.0.0.1:2525 --mode all --json out.json\n"
      "  smtpp explain 503    # what a code in a failure means\n",
      out);
}

static int parse_modes(const char *v, int *modes) {
  char buf[64];
  char *save = NULL, *t;

  if (strlen(v) >= sizeof buf)
    return -1;
  snprintf(buf, sizeof buf, "%s", v);
  memset(modes, 0, PMODE__COUNT * sizeof *modes);
  for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int k, found = 0;
    if (!strcasecmp(t, "all")) {
      for (k = 0; k < PMODE__COUNT; k++)
        modes[k] = 1;
      continue;
    }
    for (k = 0; k < PMODE__COUNT; k++)
      if (!strcasecmp(t, probe_mode_names[k])) {
        modes[k] = 1;
        found = 1;
      }
    if (!found)
      return -1;
  }
  for (int k = 0; k < PMODE__COUNT; k++)
    if (modes[k])
      return 0;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Reply scanning                                                     */
/* ------------------------------------------------------------------ */

/* The reply stream of a connection, read by the shared reader
 * (common/replies.h, RFC 5321 form) with the probe's bounds: a reply (or an
 * unended line) over REPLY_MAX octets, or more than REPLIES_MAX replies,
 * ends the reading with a verdict instead of a hung probe. */
static void scan_init(rs_reader *sc) {
  rs_init(sc, 0);
  sc->max_reply = REPLY_MAX;
  sc->max_replies = REPLIES_MAX;
}

/* Reads the new octets of c; at its eof a partial line is a violation. */
static void scan(rs_reader *sc, const pconn *c) {
  if (c->eof)
    rs_end(sc, c->buf, c->len);
  else
    rs_scan(sc, c->buf, c->len);
}

static void scan_free(rs_reader *sc) { rs_free(sc); }

/* Verdicts of a wait. */
enum { W_OK = 0, W_TIMEOUT, W_CLOSED, W_LINE_TOO_LONG, W_TOO_BIG };
static const char *const wait_names[] = {"ok", "timeout", "closed",
                                         "line-too-long", "malformed"};

/* Waits until sc has want replies.  The per-reply timer restarts with
 * every complete reply; case_deadline bounds everything. */
static int wait_replies(pconn *c, rs_reader *sc, size_t want, int timeout_ms,
                        long long case_deadline) {
  long long deadline = pconn_now_ms() + timeout_ms;
  size_t seen = sc->n;

  for (;;) {
    int r;
    scan(sc, c);
    if (sc->fatal == RS_FATAL_LINE_TOO_LONG)
      return W_LINE_TOO_LONG;
    if (sc->fatal)
      return W_TOO_BIG;
    if (sc->n >= want)
      return W_OK;
    if (sc->n > seen) {
      seen = sc->n;
      deadline = pconn_now_ms() + timeout_ms;
    }
    r = pconn_read_some(c, deadline < case_deadline ? deadline
                                                      : case_deadline);
    if (r == PC_TIMEOUT) {
      scan(sc, c);
      return sc->n >= want ? W_OK : W_TIMEOUT;
    }
    if (r == PC_FULL)
      return W_TOO_BIG;
    if (r == PC_CLOSED) {
      scan(sc, c);
      if (sc->fatal)
        return sc->fatal == RS_FATAL_LINE_TOO_LONG ? W_LINE_TOO_LONG : W_TOO_BIG;
      return sc->n >= want ? W_OK : W_CLOSED;
    }
  }
}

/* After our EOF: read until the server closes (bounded). */
static int drain(pconn *c, rs_reader *sc, int ms) {
  long long end = pconn_now_ms() + ms;
  pconn_shut_write(c);
  for (;;) {
    int r = pconn_read_some(c, end);
    scan(sc, c);
    if (sc->fatal)
      return sc->fatal == RS_FATAL_LINE_TOO_LONG ? W_LINE_TOO_LONG : W_TOO_BIG;
    if (r == PC_CLOSED)
      return W_OK;
    if (r == PC_FULL)
      return W_TOO_BIG;
    if (r == PC_TIMEOUT)
      return W_TIMEOUT;
  }
}

static int open_target(const popts *o, pconn *c, char *err, size_t errlen) {
  if (o->tcp)
    return pconn_open_tcp(c, o->tcp, o->timeout_ms, err, errlen);
  return pconn_open_cmd(c, o->cmd, err, errlen);
}

/* ------------------------------------------------------------------ */
/* What the server offers                                             */
/* ------------------------------------------------------------------ */


/* The keywords of the EHLO reply r (its lines after the first, read with
 * common/replies.h). */
static void parse_ehlo(pserver *s, const pconn *c, const rs_reply *r) {
  size_t pos = r->off;
  const unsigned char *l;
  size_t body;

  if (rs_reply_line(c->buf, r, &pos, &l, &body) < 0)
    return; /* the first line names the server */
  while (rs_reply_line(c->buf, r, &pos, &l, &body) == 0) {
    char kw[64];
    size_t k = 0;
    for (size_t i = 0; i < body && k + 1 < sizeof kw && l[i] != ' ' &&
                       l[i] != '=';
         i++)
      kw[k++] = (char)toupper(l[i]);
    kw[k] = '\0';
    if (!k)
      continue;
    if (strlen(s->keywords) + k + 2 < sizeof s->keywords) {
      if (s->keywords[0])
        strcat(s->keywords, " ");
      strcat(s->keywords, kw);
    }
    s->ext |= smtpp_ext_bit(kw); /* 0 for keywords smtpp does not know */
    if (!strcmp(kw, "SIZE")) {
      uint64_t v = 0;
      size_t i = 5; /* "SIZE " */
      int digits = 0;
      while (i < body && isdigit(l[i]) && v < UINT64_MAX / 10) {
        v = v * 10 + (uint64_t)(l[i++] - '0');
        digits = 1;
      }
      s->has_size = digits;
      s->size = v;
    }
  }
}

/* Greeting, EHLO, QUIT on a connection of its own.  Returns 0, or -1
 * after printing why the server cannot be probed. */
static int discover(const popts *o, pserver *s) {
  pconn c;
  rs_reader sc;
  char err[300];
  long long end;
  int w;

  scan_init(&sc);
  if (open_target(o, &c, err, sizeof err) < 0) {
    fprintf(stderr, "smtpp probe: cannot reach the server: %s\n", err);
    return -1;
  }
  end = pconn_now_ms() + o->case_ms;
  w = wait_replies(&c, &sc, 1, o->timeout_ms, end);
  if (w == W_OK && sc.r[0].code == 0)
    w = W_TOO_BIG; /* not a reply line: malformed */
  else if (w == W_OK && sc.r[0].code != 220)
    w = -1;
  if (w != W_OK) {
    if (w < 0)
      fprintf(stderr, "smtpp probe: greeting: expected 220, got %d\n",
              sc.r[0].code);
    else
      fprintf(stderr, "smtpp probe: greeting: verdict %s%s%s\n",
              wait_names[w], sc.nviol ? "; " : "", sc.nviol ? sc.viol : "");
    printf("server: greeting verdict %s (%s)\n",
           w < 0 ? "refused" : wait_names[w],
           w == W_TIMEOUT ? "no greeting in time"
           : w == W_CLOSED ? "closed before a complete greeting"
           : w == W_LINE_TOO_LONG ? "a line without end"
           : w == W_TOO_BIG ? (sc.nviol ? sc.viol : "reply too large")
                            : "not 220");
    scan_free(&sc);
    pconn_close(&c);
    return -1;
  }
  {
    size_t gl = sc.r[0].lines == 1 ? sc.pos - sc.r[0].off : 80;
    esc_bytes(s->greeting, sizeof s->greeting, c.buf + sc.r[0].off,
                 gl > 2 ? gl - 2 : gl, NULL);
  }
  s->greet_code = sc.r[0].code;
  pconn_write(&c, "EHLO smtpp-probe.example\r\n", 26, 0,
              pconn_now_ms() + o->timeout_ms);
  w = wait_replies(&c, &sc, 2, o->timeout_ms, end);
  if (w != W_OK) {
    fprintf(stderr, "smtpp probe: EHLO: verdict %s%s%s\n", wait_names[w],
            sc.nviol ? "; " : "", sc.nviol ? sc.viol : "");
    printf("server: EHLO verdict %s\n", wait_names[w]);
    scan_free(&sc);
    pconn_close(&c);
    return -1;
  }
  if (sc.r[1].code == 250)
    parse_ehlo(s, &c, &sc.r[1]);
  pconn_write(&c, "QUIT\r\n", 6, 0, pconn_now_ms() + o->timeout_ms);
  wait_replies(&c, &sc, 3, o->timeout_ms < 2000 ? o->timeout_ms : 2000,
               end);
  scan_free(&sc);
  pconn_close(&c);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Which dialogs apply                                                */
/* ------------------------------------------------------------------ */

/* Case-insensitive search of needle in the client bytes. */
static int has_text(const dialog *c, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= c->input.len; i++)
    if (!strncasecmp((const char *)c->input.p + i, needle, n))
      return 1;
  return 0;
}

/* A line starting with verb (followed by SP, CR or the end). */
static int has_verb(const dialog *c, const char *verb) {
  size_t n = strlen(verb);
  for (size_t i = 0; i + n <= c->input.len; i++) {
    if (i > 0 && c->input.p[i - 1] != '\n')
      continue;
    if (!strncasecmp((const char *)c->input.p + i, verb, n) &&
        (i + n == c->input.len || c->input.p[i + n] == ' ' || c->input.p[i + n] == '\r'))
      return 1;
  }
  return 0;
}

static int uses_ext(const dialog *c, uint32_t bit) {
  switch (bit) {
  case SMTPP_EXT_SIZE:
    return has_text(c, "SIZE=");
  case SMTPP_EXT_8BITMIME:
    return has_text(c, "BODY=");
  case SMTPP_EXT_SMTPUTF8:
    return has_text(c, "SMTPUTF8");
  case SMTPP_EXT_DSN:
    return has_text(c, "RET=") || has_text(c, "ENVID=") ||
           has_text(c, "NOTIFY=") || has_text(c, "ORCPT=");
  case SMTPP_EXT_CHUNKING:
    return has_verb(c, "BDAT");
  case SMTPP_EXT_STARTTLS:
    return has_verb(c, "STARTTLS");
  case SMTPP_EXT_AUTH:
    return has_verb(c, "AUTH") || has_text(c, " AUTH=");
  default:
    return 0;
  }
}

/* Longest MAIL/RCPT line (their limits grow with SIZE, DSN, SMTPUTF8 and
 * AUTH, RFC 1870 3, RFC 3461 5, RFC 6531 3.4, RFC 4954 5). */
static size_t longest_path_line(const dialog *c) {
  size_t best = 0, start = 0;
  for (size_t i = 0; i + 1 < c->input.len; i++) {
    if (c->input.p[i] == '\r' && c->input.p[i + 1] == '\n') {
      size_t l = i + 2 - start;
      if (l > best && l > 4 &&
          (!strncasecmp((const char *)c->input.p + start, "MAIL", 4) ||
           !strncasecmp((const char *)c->input.p + start, "RCPT", 4)))
        best = l;
      start = i + 2;
    }
  }
  return best;
}

static int skip_reason(const dialog *c, const pserver *s, char *why,
                       size_t n) {
  uint32_t diff = (c->cfg.extensions ^ s->ext);
  if (c->error[0]) {
    snprintf(why, n, "cannot read the dialog: %s", c->error);
    return 1;
  }
  if (c->policy) {
    snprintf(why, n, "needs ! policy (host decisions cannot be set on a "
                     "foreign server)");
    return 1;
  }
  if ((c->set & DLG_SET_LENIENT)) {
    snprintf(why, n, "needs ! lenient (a parser setting)");
    return 1;
  }
  if (c->nbarriers) {
    snprintf(why, n, "needs a T: TLS barrier (the probe speaks no TLS)");
    return 1;
  }
  if ((c->set & DLG_SET_MAX_RCPT) || (c->set & DLG_SET_MAX_ERRORS)) {
    snprintf(why, n, "needs ! %s (not advertised, cannot be set)",
             (c->set & DLG_SET_MAX_RCPT) ? "max-rcpt" : "max-errors");
    return 1;
  }
  if ((c->set & DLG_SET_SIZE) && (!(s->ext & SMTPP_EXT_SIZE) || !s->has_size ||
                      s->size != c->cfg.max_message_size)) {
    snprintf(why, n, "needs ! size %llu; the server advertises %s%llu",
             (unsigned long long)c->cfg.max_message_size,
             (s->ext & SMTPP_EXT_SIZE) ? "SIZE " : "no SIZE ",
             (unsigned long long)s->size);
    return 1;
  }
  for (uint32_t bit = 1; bit <= SMTPP_EXT_AUTH; bit <<= 1) {
    const char *name = smtpp_ext_name(bit);
    if (!(diff & bit) || !name)
      continue;
    if (c->ext_set & bit) {
      snprintf(why, n, "needs ! ext %c%s; the server %s it",
               (c->cfg.extensions & bit) ? '+' : '-', name,
               (s->ext & bit) ? "offers" : "does not offer");
      return 1;
    }
    if (uses_ext(c, bit)) {
      snprintf(why, n, "uses %s, which the server %s", name,
               (s->ext & bit) ? "offers (the dialog assumes it is off)"
                              : "does not offer");
      return 1;
    }
  }
  if ((diff & (SMTPP_EXT_SIZE | SMTPP_EXT_DSN | SMTPP_EXT_SMTPUTF8 |
               SMTPP_EXT_AUTH)) &&
      longest_path_line(c) > 512) {
    snprintf(why, n, "MAIL/RCPT line over 512 octets: its limit depends on "
                     "extensions the server and the dialog see differently");
    return 1;
  }
  /* SIZE=V: skip when V is over the limit on one side only. */
  if ((c->cfg.extensions & SMTPP_EXT_SIZE) && (s->ext & SMTPP_EXT_SIZE)) {
    uint64_t dlim = (c->set & DLG_SET_SIZE) ? c->cfg.max_message_size : 10485760u;
    uint64_t slim = s->size;
    for (size_t i = 0; i + 5 < c->input.len; i++) {
      uint64_t v = 0;
      size_t j = i + 5;
      if (strncasecmp((const char *)c->input.p + i, "SIZE=", 5))
        continue;
      while (j < c->input.len && isdigit(c->input.p[j]) && v < UINT64_MAX / 10)
        v = v * 10 + (uint64_t)(c->input.p[j++] - '0');
      if ((dlim && v > dlim) != (slim && v > slim)) {
        snprintf(why, n, "SIZE=%llu is over the limit on one side only "
                         "(dialog %llu, server %llu)",
                 (unsigned long long)v, (unsigned long long)dlim,
                 (unsigned long long)slim);
        return 1;
      }
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Sending: units of client bytes                                     */
/* ------------------------------------------------------------------ */

enum { U_CMD, U_DATA, U_BODY, U_STARTTLS, U_PARTIAL };

typedef struct unit {
  size_t end;
  int replies;   /* replies a correct server gives to it */
  int group_end; /* must end a pipelined group (RFC 2920 3.1) */
  int kind;      /* U_* */
} unit;

static int verb_is(const unsigned char *p, size_t n, const char *v) {
  size_t k = strlen(v);
  return n >= k && !strncasecmp((const char *)p, v, k) &&
         (n == k || p[k] == ' ' || p[k] == '\r');
}

static void next_unit(const dialog *c, size_t pos, int in_data, unit *u) {
  const unsigned char *in = c->input.p;
  memset(u, 0, sizeof *u);
  if (in_data) {
    size_t i = pos;
    u->kind = U_BODY;
    u->group_end = 1;
    while (i < c->input.len) {
      if (c->input.len - i >= 3 && in[i] == '.' && in[i + 1] == '\r' &&
          in[i + 2] == '\n') {
        u->end = i + 3;
        u->replies = 1;
        return;
      }
      /* to the next line start */
      while (i + 1 < c->input.len && !(in[i] == '\r' && in[i + 1] == '\n'))
        i++;
      i += 2;
    }
    u->end = c->input.len;
    return;
  }
  {
    size_t i = pos, n;
    while (i + 1 < c->input.len && !(in[i] == '\r' && in[i + 1] == '\n'))
      i++;
    if (i + 1 >= c->input.len) {
      u->end = c->input.len;
      u->kind = U_PARTIAL;
      u->group_end = 1;
      return;
    }
    u->end = i + 2;
    u->replies = 1;
    n = u->end - pos;
    u->group_end = 1;
    u->kind = U_CMD;
    if (verb_is(in + pos, n, "MAIL") || verb_is(in + pos, n, "RCPT") ||
        verb_is(in + pos, n, "RSET"))
      u->group_end = 0;
    else if (verb_is(in + pos, n, "DATA"))
      u->kind = U_DATA;
    else if (verb_is(in + pos, n, "STARTTLS"))
      u->kind = U_STARTTLS;
    else if (verb_is(in + pos, n, "BDAT") && n > 7) {
      /* BDAT SP digits [SP LAST] CRLF: the chunk belongs to the unit */
      size_t j = pos + 5;
      uint64_t size = 0;
      int digits = 0, last = 0;
      while (j < i && isdigit(in[j]) && digits < 18) {
        size = size * 10 + (uint64_t)(in[j++] - '0');
        digits++;
      }
      if (j + 5 <= i && !strncasecmp((const char *)in + j, " LAST", 5)) {
        last = 1;
        j += 5;
      }
      if (digits && j == i) {
        u->end = (size > c->input.len - u->end) ? c->input.len : u->end + (size_t)size;
        u->group_end = last;
      }
    }
  }
}

typedef struct run {
  pconn c;
  rs_reader sc;
  int wait;   /* W_* of the first failed wait, W_OK if none */
  int writefail;
} run;

static void run_case(const popts *o, const pserver *s, const dialog *c,
                     int mode, run *R) {
  long long case_end;
  size_t want = 0, pos = 0, greet = 0;
  int in_data = 0, in_tls = 0;
  char err[300];
  int pipelined = mode == PMODE_POLITE && (s->ext & SMTPP_EXT_PIPELINING);
  int bytewise = mode == PMODE_BYTE;

  memset(R, 0, sizeof *R);
  scan_init(&R->sc);
  if (open_target(o, &R->c, err, sizeof err) < 0) {
    R->wait = W_CLOSED;
    return;
  }
  case_end = pconn_now_ms() + o->case_ms;
  while (greet < c->nexpect && c->expect[greet].pos == 0)
    greet++;
  want = greet ? greet : 1;
  R->wait = wait_replies(&R->c, &R->sc, want, o->timeout_ms, case_end);
  if (R->wait != W_OK)
    goto out;

  if (mode == PMODE_BURST) {
    if (pconn_write(&R->c, c->input.p, c->input.len, 0, case_end) != PC_OK)
      R->writefail = 1;
    pos = c->input.len;
  }
  while (pos < c->input.len) {
    unit u;
    size_t start = pos;
    int replies = 0, kind;
    if (in_tls) {
      /* after 220 to STARTTLS nothing may be executed (P8): send the rest
       * and expect no reply */
      if (pconn_write(&R->c, c->input.p + pos, c->input.len - pos, bytewise,
                      case_end) != PC_OK)
        R->writefail = 1;
      break;
    }
    do {
      next_unit(c, pos, in_data, &u);
      pos = u.end;
      replies += u.replies;
      kind = u.kind;
    } while (pipelined && !u.group_end && u.replies && pos < c->input.len);
    if (pconn_write(&R->c, c->input.p + start, pos - start, bytewise, case_end) !=
        PC_OK) {
      R->writefail = 1;
      break;
    }
    want += (size_t)replies;
    R->wait = wait_replies(&R->c, &R->sc, want, o->timeout_ms, case_end);
    if (R->wait != W_OK)
      break;
    {
      int last = R->sc.n ? R->sc.r[R->sc.n - 1].code : 0;
      if (kind == U_DATA && last == 354)
        in_data = 1;
      else if (kind == U_BODY)
        in_data = 0;
      else if (kind == U_STARTTLS && last == 220)
        in_tls = 1;
      if (last == 221 || last == 421)
        break; /* the server closes: nothing more to send */
    }
  }
  if (R->wait == W_OK && R->sc.n < c->nexpect)
    R->wait = wait_replies(&R->c, &R->sc, c->nexpect, o->timeout_ms, case_end);
  if (R->wait == W_OK || R->wait == W_TIMEOUT || R->wait == W_CLOSED) {
    int d = drain(&R->c, &R->sc,
                  o->timeout_ms < DRAIN_MS ? o->timeout_ms : DRAIN_MS);
    if (d == W_LINE_TOO_LONG || d == W_TOO_BIG)
      R->wait = d;
  }
out:
  scan(&R->sc, &R->c);
}

/* ------------------------------------------------------------------ */
/* Judging                                                            */
/* ------------------------------------------------------------------ */

static char *code_list_exp(const dialog *c) {
  size_t cap = c->nexpect * 4 + 8, o = 0;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < c->nexpect && o + 5 < cap; i++)
    o += (size_t)snprintf(s + o, cap - o, "%s%03d", i ? " " : "",
                          c->expect[i].code);
  return s;
}

static char *code_list_got(const rs_reader *sc) {
  size_t cap = sc->n * 4 + 8, o = 0;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < sc->n && o + 5 < cap; i++)
    o += (size_t)snprintf(s + o, cap - o, "%s%03d", i ? " " : "",
                          sc->r[i].code);
  return s;
}

/* The client line just before offset pos, escaped. */
static void line_before(const dialog *c, size_t pos, char *buf, size_t cap) {
  size_t end = pos, start;
  if (pos == 0) {
    snprintf(buf, cap, "(connection opened)");
    return;
  }
  if (end >= 2 && c->input.p[end - 1] == '\n' && c->input.p[end - 2] == '\r')
    end -= 2;
  start = end;
  while (start >= 2 && !(c->input.p[start - 1] == '\n' && c->input.p[start - 2] == '\r'))
    start--;
  if (start == 1)
    start = 0;
  {
    char esc[200];
    size_t taken = 0, n = end - start;
    esc_bytes(esc, sizeof esc, c->input.p + start, n > 48 ? 48 : n, &taken);
    snprintf(buf, cap, "\"%s%s\"", esc, n > 48 ? "..." : "");
  }
}

static size_t starttls_offset(const dialog *c) {
  for (size_t i = 0; i + 8 <= c->input.len; i++)
    if ((i == 0 || c->input.p[i - 1] == '\n') &&
        verb_is(c->input.p + i, c->input.len - i, "STARTTLS"))
      return i;
  return (size_t)-1;
}

static int is_syntax(int code) {
  return code == 500 || code == 501 || code == 555;
}

static const char *attribute(const dialog *c, size_t i, int e, int g) {
  size_t tls = starttls_offset(c);
  size_t epos = i < c->nexpect ? c->expect[i].pos : c->input.len;
  if (tls != (size_t)-1 && epos > tls && (i >= c->nexpect || i > 0))
    return "P8";
  if (e == 503 || g == 503)
    return "P5";
  if (is_syntax(e) || is_syntax(g))
    return "P4";
  if (e == 354 || g == 354)
    return "P6";
  if (i < c->nexpect) {
    char l[256];
    line_before(c, epos, l, sizeof l);
    if (!strcmp(l, "\".\"") || !strncasecmp(l, "\"DATA", 5) ||
        !strncasecmp(l, "\"BDAT", 5))
      return "P6";
  }
  if (e == 552 || e == 452 || e == 421 || g == 552 || g == 452 || g == 421)
    return "P9";
  return "P3";
}

static void judge(const dialog *c, const pserver *s, run *R, presult *res) {
  rs_reader *sc = &R->sc;
  size_t ng = sc->n, ne = c->nexpect, m = ng < ne ? ng : ne, i, bad = (size_t)-1;
  const pprop *p;
  char ctx[256];

  res->exp_all = code_list_exp(c);
  res->got_all = code_list_got(sc);
  /* should-level hints: enhanced codes */
  if (s->ext & SMTPP_EXT_ENHANCEDSTATUSCODES) {
    size_t o = 0;
    int k = 0;
    for (i = 0; i < m && k < 3; i++) {
      if (!c->expect[i].enh[0] || sc->r[i].code != c->expect[i].code ||
          !strcmp(c->expect[i].enh, sc->r[i].enh))
        continue;
      o += (size_t)snprintf(res->hint + o, sizeof res->hint - o,
                            "%sshould: reply #%zu %d: enhanced code %s "
                            "expected, got %s",
                            k ? "; " : "", i + 1, c->expect[i].code,
                            c->expect[i].enh,
                            sc->r[i].enh[0] ? sc->r[i].enh : "none");
      if (o >= sizeof res->hint)
        break;
      k++;
    }
  }
  if (R->wait == W_LINE_TOO_LONG || R->wait == W_TOO_BIG) {
    res->status = PR_FAIL;
    snprintf(res->verdict, sizeof res->verdict, "%s", wait_names[R->wait]);
    res->prop = "P2";
    snprintf(res->expected, sizeof res->expected, "%zu replies", ne);
    snprintf(res->got, sizeof res->got, "%s",
             R->wait == W_LINE_TOO_LONG ? "endless line" : "giant reply");
    snprintf(res->detail, sizeof res->detail,
             "%s after %zu replies (a line over %u octets without LF, or a "
             "reply over %u octets / %u replies)",
             R->wait == W_LINE_TOO_LONG ? "line too long" : "reply too large",
             ng, REPLY_MAX, REPLY_MAX, PCONN_BUF_MAX);
    goto prop;
  }
  for (i = 0; i < m; i++)
    if (sc->r[i].code != c->expect[i].code) {
      bad = i;
      break;
    }
  if (bad == (size_t)-1 && ng != ne)
    bad = m;
  /* nothing after 221/421 */
  for (i = 0; i + 1 < ng; i++)
    if (sc->r[i].code == 221 || sc->r[i].code == 421) {
      if (bad == (size_t)-1 || bad > i + 1)
        bad = i + 1;
      break;
    }
  if (bad == (size_t)-1 && sc->nviol == 0) {
    res->status = PR_PASS;
    snprintf(res->verdict, sizeof res->verdict, "ok");
    snprintf(res->expected, sizeof res->expected, "%zu replies", ne);
    snprintf(res->got, sizeof res->got, "%zu replies", ng);
    return;
  }
  res->status = PR_FAIL;
  if (bad == (size_t)-1) {
    snprintf(res->verdict, sizeof res->verdict, "format");
    res->prop = "P2";
    snprintf(res->expected, sizeof res->expected, "well-formed replies");
    snprintf(res->got, sizeof res->got, "format violation");
    snprintf(res->detail, sizeof res->detail, "%s", sc->viol);
    goto prop;
  }
  if (bad < ne)
    line_before(c, c->expect[bad].pos, ctx, sizeof ctx);
  else
    snprintf(ctx, sizeof ctx, "(after the last expected reply)");
  if (bad < ng && bad < ne) {
    res->exp_code = c->expect[bad].code;
    res->got_code = sc->r[bad].code;
    snprintf(res->verdict, sizeof res->verdict, "mismatch");
    snprintf(res->expected, sizeof res->expected, "%03d (#%zu)",
             res->exp_code, bad + 1);
    snprintf(res->got, sizeof res->got, "%03d", res->got_code);
    res->prop = attribute(c, bad, res->exp_code, res->got_code);
    snprintf(res->detail, sizeof res->detail,
             "reply #%zu, after client line %s: expected %03d, got %03d%s",
             bad + 1, ctx, res->exp_code, res->got_code,
             (res->exp_code / 100 == res->got_code / 100)
                 ? " (same class)" : "");
  } else if (bad < ne) {
    res->exp_code = c->expect[bad].code;
    snprintf(res->verdict, sizeof res->verdict, "%s",
             R->wait == W_OK ? (R->c.eof ? "closed" : "timeout")
                             : wait_names[R->wait]);
    snprintf(res->expected, sizeof res->expected, "%03d (#%zu)",
             res->exp_code, bad + 1);
    snprintf(res->got, sizeof res->got, "none (%s)", res->verdict);
    res->prop = starttls_offset(c) < c->expect[bad].pos ? "P8" : "P3";
    snprintf(res->detail, sizeof res->detail,
             "reply #%zu (after client line %s) never came: %s after %zu of "
             "%zu replies%s",
             bad + 1, ctx,
             !strcmp(res->verdict, "closed") ? "the server closed"
                                             : "no reply in time",
             ng, ne, R->writefail ? "; a write failed" : "");
  } else {
    res->got_code = sc->r[bad].code;
    snprintf(res->verdict, sizeof res->verdict, "mismatch");
    snprintf(res->expected, sizeof res->expected, "%s",
             bad > 0 && (sc->r[bad - 1].code == 221 ||
                         sc->r[bad - 1].code == 421)
                 ? "nothing after close"
                 : "no more replies");
    snprintf(res->got, sizeof res->got, "%03d (#%zu)", res->got_code,
             bad + 1);
    res->prop = attribute(c, bad, 0, res->got_code);
    if (bad > 0 && (sc->r[bad - 1].code == 221 || sc->r[bad - 1].code == 421))
      res->prop = "P3";
    snprintf(res->detail, sizeof res->detail,
             "%zu replies expected, %zu received; the first extra reply is "
             "#%zu (%03d)%s",
             ne, ng, bad + 1, res->got_code,
             bad > 0 && (sc->r[bad - 1].code == 221 ||
                         sc->r[bad - 1].code == 421)
                 ? ", after a closing reply" : "");
  }
  if (sc->nviol) {
    size_t l = strlen(res->detail);
    snprintf(res->detail + l, sizeof res->detail - l, "; also P2: %s",
             sc->viol);
  }
prop:
  p = probe_prop(res->prop);
  if (p) {
    size_t l = strlen(res->detail);
    snprintf(res->detail + l, sizeof res->detail - l,
             ". Property %s: %s (%s). Dialog: %s (RFC %s)", p->id, p->what,
             p->rfc, c->title[0] ? c->title : c->name,
             c->rfc[0] ? c->rfc : "?");
  }
}

/* ------------------------------------------------------------------ */
/* Main                                                               */
/* ------------------------------------------------------------------ */

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cmd_probe(int argc, char **argv) {
  static popts o;
  static pserver srv;
  cli_scan sc;
  const char *v;
  int id;
  uint64_t n;
  char **files = NULL;
  long nfiles;
  dialog *cases;
  presult *res;
  size_t nres = 0;
  preport rep;
  char suite[4096];
  int rc;

  memset(&o, 0, sizeof o);
  memset(&srv, 0, sizeof srv);
  o.modes[PMODE_POLITE] = 1;
  o.timeout_ms = 5000;
  o.case_ms = 30000;
  o.fuzz_count = 200;
  o.fuzz_time = 60;
  o.fuzz_seed = 1;
  cli_scan_init(&sc, "probe", probe_opts, argc, argv);
  while ((id = cli_next(&sc, &v)) != CLI_END) {
    switch (id) {
    case CLI_ERROR:
      return CLI_EXIT_USAGE;
    case CLI_POSITIONAL:
      cli_usage_error("probe", "unexpected argument %s", cli_quote(v));
      return CLI_EXIT_USAGE;
    case OPT_HELP:
      cmd_probe_usage(stdout);
      return CLI_EXIT_OK;
    case OPT_TCP:
      o.tcp = v;
      break;
    case OPT_CMD:
      o.cmd = v;
      break;
    case OPT_SUITE:
      o.suite = v;
      break;
    case OPT_MODE:
      if (parse_modes(v, o.modes) < 0) {
        cli_usage_error("probe", "--mode: %s is not polite, burst, byte or "
                                 "all (or a comma list of them)",
                        cli_quote(v));
        return CLI_EXIT_USAGE;
      }
      break;
    case OPT_TIMEOUT:
      if (cli_parse_u64("probe", "--timeout", v, 1, 600000, &n) < 0)
        return CLI_EXIT_USAGE;
      o.timeout_ms = (int)n;
      break;
    case OPT_CASE_TIMEOUT:
      if (cli_parse_u64("probe", "--case-timeout", v, 1, 3600000, &n) < 0)
        return CLI_EXIT_USAGE;
      o.case_ms = (int)n;
      break;
    case OPT_JSON:
      o.json = v;
      break;
    case OPT_JUNIT:
      o.junit = v;
      break;
    case OPT_ONLY:
      o.only = v;
      break;
    case OPT_VERBOSE:
      o.verbose = 1;
      break;
    case OPT_FUZZ:
      o.fuzz = 1;
      break;
    case OPT_COUNT:
      if (cli_parse_u64("probe", "--count", v, 1, 100000000, &o.fuzz_count) <
          0)
        return CLI_EXIT_USAGE;
      break;
    case OPT_TIME:
      if (cli_parse_u64("probe", "--time", v, 1, 86400, &o.fuzz_time) < 0)
        return CLI_EXIT_USAGE;
      break;
    case OPT_SEED:
      if (cli_parse_u64("probe", "--seed", v, 0, UINT64_MAX, &o.fuzz_seed) <
          0)
        return CLI_EXIT_USAGE;
      break;
    case OPT_DICT:
      o.dict = v;
      break;
    case OPT_REPLAY:
      o.replay = v;
      break;
    case OPT_OUT:
      o.out = v;
      break;
    case OPT_SEEDS:
      o.seeds = v;
      break;
    case OPT_ALLOW_REMOTE:
      o.allow_remote = 1;
      break;
    default:
      cli_usage_error("probe", "internal error: option %d", id);
      return CLI_EXIT_USAGE;
    }
  }
  if (!o.tcp == !o.cmd) {
    cli_usage_error("probe", "give exactly one of --tcp HOST:PORT and --cmd "
                             "COMMAND");
    return CLI_EXIT_USAGE;
  }
  if (o.fuzz && o.replay) {
    cli_usage_error("probe", "--fuzz and --replay exclude each other");
    return CLI_EXIT_USAGE;
  }
  if ((o.fuzz || o.replay) && o.tcp &&
      probe_fuzz_check_target(o.tcp, o.allow_remote) < 0)
    return CLI_EXIT_USAGE;
  if (o.suite) {
    snprintf(suite, sizeof suite, "%s", o.suite);
  } else if (is_dir("tests/dialogs")) {
    snprintf(suite, sizeof suite, "tests/dialogs");
  } else {
    snprintf(suite, sizeof suite, "%s/tests/dialogs", SMTPP_SOURCE_DIR);
  }
  nfiles = dlg_list(suite, &files);
  if (nfiles < 0) {
    cli_usage_error("probe", "cannot read the dialog directory %s",
                    cli_quote(suite));
    return CLI_EXIT_USAGE;
  }
  if (nfiles == 0) {
    cli_usage_error("probe", "no *.dialog files in %s", cli_quote(suite));
    dlg_free_list(files, nfiles);
    return CLI_EXIT_USAGE;
  }
  io_ignore_sigpipe();
  snprintf(srv.target, sizeof srv.target, "%s %s", o.tcp ? "tcp" : "cmd",
           o.tcp ? o.tcp : o.cmd);
  if (discover(&o, &srv) < 0) {
    dlg_free_list(files, nfiles);
    return CLI_EXIT_FAIL;
  }
  printf("server: %s\n  greeting: %s\n  EHLO: %s\n", srv.target,
         srv.greeting, srv.keywords[0] ? srv.keywords : "(no keywords)");

  cases = calloc((size_t)nfiles, sizeof *cases);
  if (!cases) {
    dlg_free_list(files, nfiles);
    return CLI_EXIT_FAIL;
  }
  for (long i = 0; i < nfiles; i++) {
    dlg_load(&cases[i], files[i]); /* a file that does not load is reported
                                      by its error when it is judged */
    if (!cases[i].level[0])
      snprintf(cases[i].level, sizeof cases[i].level, "must");
  }

  if (o.fuzz || o.replay) {
    probe_fuzz_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.tcp = o.tcp;
    fo.cmd = o.cmd;
    fo.dict = o.dict;
    fo.out = o.out;
    fo.seeds = o.seeds;
    fo.count = o.fuzz_count;
    fo.time_s = o.fuzz_time;
    fo.seed = o.fuzz_seed;
    fo.timeout_ms = o.timeout_ms;
    fo.json = o.json;
    rc = o.replay ? probe_replay(&fo, &srv, o.replay)
                  : probe_fuzz(&fo, &srv, cases, (size_t)nfiles);
    for (long i = 0; i < nfiles; i++)
      dlg_free(&cases[i]);
    free(cases);
    dlg_free_list(files, nfiles);
    return rc;
  }

  res = calloc((size_t)nfiles * PMODE__COUNT, sizeof *res);
  if (!res) {
    free(cases);
    dlg_free_list(files, nfiles);
    return CLI_EXIT_FAIL;
  }
  for (long i = 0; i < nfiles; i++) {
    dialog *c = &cases[i];
    char why[300];
    int skip;
    if (o.only && !strstr(c->name, o.only))
      continue;
    skip = skip_reason(c, &srv, why, sizeof why);
    for (int m = 0; m < PMODE__COUNT; m++) {
      presult *r = &res[nres];
      run R;
      long long t0;
      if (!o.modes[m])
        continue;
      nres++;
      r->c = c;
      r->mode = m;
      if (skip) {
        r->status = PR_SKIP;
        snprintf(r->verdict, sizeof r->verdict, "skip");
        snprintf(r->detail, sizeof r->detail, "%s", why);
        continue;
      }
      t0 = pconn_now_ms();
      run_case(&o, &srv, c, m, &R);
      judge(c, &srv, &R, r);
      if (r->status == PR_FAIL && m == PMODE_BURST &&
          !(srv.ext & SMTPP_EXT_PIPELINING)) {
        size_t l = strlen(r->hint);
        snprintf(r->hint + l, sizeof r->hint - l,
                 "%sthe server does not offer PIPELINING: a burst-mode "
                 "failure shows robustness, the RFC does not require it",
                 l ? "; " : "");
      }
      r->ms = (long)(pconn_now_ms() - t0);
      scan_free(&R.sc);
      pconn_close(&R.c);
    }
  }
  rep.srv = &srv;
  rep.r = res;
  rep.n = nres;
  rep.fuzz_only = 0;
  probe_report_text(stdout, &rep, o.verbose);
  rc = probe_must_failed(&rep) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
  if (o.json && probe_report_json(o.json, &rep) < 0) {
    fprintf(stderr, "smtpp probe: cannot write %s\n", o.json);
    rc = CLI_EXIT_FAIL;
  }
  if (o.junit && probe_report_junit(o.junit, &rep) < 0) {
    fprintf(stderr, "smtpp probe: cannot write %s\n", o.junit);
    rc = CLI_EXIT_FAIL;
  }
  for (size_t i = 0; i < nres; i++) {
    free(res[i].exp_all);
    free(res[i].got_all);
  }
  free(res);
  for (long i = 0; i < nfiles; i++)
    dlg_free(&cases[i]);
  free(cases);
  dlg_free_list(files, nfiles);
  return rc;
}
