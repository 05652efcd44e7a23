/*
 * check.c - `smtpp check FILE`: replays one fuzz input through the parser
 * and the property oracle (oracle/oracle.h) and prints a readable
 * transcript: the config the input selects, the client's octets (escaped),
 * each reply, each event, then the verdict of every property P1..P11.
 *
 *   smtpp check FILE            a fuzz_session input: 4 selector octets,
 *                               split points, client bytes (fuzz/README.md)
 *   smtpp check --raw FILE      plain client bytes, default config, whole
 *   smtpp check --skeleton WHAT FILE
 *                               prints a tests/dialogs skeleton of a
 *                               fuzz_session input instead (ci/triage.sh):
 *                               its config as directives, its client bytes
 *                               as R: lines, the replies as FILL-IN
 *
 * The transcript is the input fed in one piece; the oracle also runs it at
 * the input's split points (P7, P10) and says so when a property fires
 * only there.  Exit status: 0 every property holds, 1 a property is
 * violated, 2 usage error or unreadable file.  A parser crash crashes this
 * command too (build it with -DSMTPP_SANITIZE=ON to get the report).
 */
#include "cli.h"
#include "commands.h"
#include "esc.h"
#include "eventfmt.h"
#include "names.h"

#include "fuzz_config.h"
#include "oracle.h"

#include <smtpp/smtpp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_MAX_INPUT (16u * 1024u * 1024u) /* refuse bigger files */
#define CHECK_SHOW_MAX 240 /* octets shown per transcript line */

void cmd_check_usage(FILE *out) {
  fputs("Usage: smtpp check [--target session] [--raw] FILE\n"
        "\n"
        "Replays one input through the parser and the property oracle and\n"
        "prints the config chosen, the client's commands (escaped), each\n"
        "reply, the events and the verdict of every property P1..P11.\n"
        "\n"
        "  FILE               the input; '-' reads stdin\n"
        "  --target session   the input is a fuzz_session input (default):\n"
        "                     4 selector octets, 2 octets per split point,\n"
        "                     then the client's bytes (fuzz/README.md)\n"
        "  --raw              FILE is plain client bytes: default config,\n"
        "                     fed in one piece\n"
        "  --skeleton WHAT    print a tests/dialogs skeleton of the input\n"
        "                     instead (title \"FILL-IN ... (fuzz finding\n"
        "                     WHAT)\"): the config as ! directives, the\n"
        "                     client bytes as R: lines, FILL-IN replies\n"
        "  -h, --help         this help\n"
        "\n"
        "Inputs of the layer targets (line, command, address, params, data)\n"
        "are replayed with build*/fuzz/replay_fuzz_<layer> FILE.\n"
        "\n"
        "Exit status: 0 all properties hold, 1 a property is violated,\n"
        "2 usage error or unreadable file.\n",
        out);
}

static int read_input(const char *path, uint8_t **out, size_t *outlen) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "smtpp check: %s: %s\n", cli_quote(path), strerror(errno));
    return -1;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, r;
  do {
    if (len == cap) {
      if (cap >= CHECK_MAX_INPUT) {
        fprintf(stderr, "smtpp check: %s: larger than %u octets\n",
                cli_quote(path), CHECK_MAX_INPUT);
        free(buf);
        if (f != stdin)
          fclose(f);
        return -1;
      }
      cap = cap ? cap * 2 : 4096;
      uint8_t *q = realloc(buf, cap);
      if (q == NULL) {
        free(buf);
        if (f != stdin)
          fclose(f);
        fprintf(stderr, "smtpp check: out of memory\n");
        return -1;
      }
      buf = q;
    }
    r = fread(buf + len, 1, cap - len, f);
    len += r;
  } while (r > 0);
  int bad = ferror(f);
  if (f != stdin)
    fclose(f);
  if (bad) {
    fprintf(stderr, "smtpp check: %s: read error\n", cli_quote(path));
    free(buf);
    return -1;
  }
  /* exact-size copy, like the fuzz drivers: ASan sees a read past the end */
  uint8_t *exact = malloc(len ? len : 1);
  if (exact == NULL) {
    free(buf);
    return -1;
  }
  if (len)
    memcpy(exact, buf, len);
  free(buf);
  *out = exact;
  *outlen = len;
  return 0;
}

/* Prints octets as "TAG: "..."" lines, one per LF-terminated line, long
 * lines cut with a count of the rest. */
static void show(const char *tag, const uint8_t *p, size_t n) {
  char esc[CHECK_SHOW_MAX * ESC_MAX_PER_OCTET + 1];
  while (n > 0) {
    const uint8_t *lf = memchr(p, '\n', n);
    size_t ln = lf ? (size_t)(lf - p) + 1 : n;
    size_t shown = ln < CHECK_SHOW_MAX ? ln : CHECK_SHOW_MAX;
    esc_bytes(esc, sizeof esc, p, shown, NULL);
    if (shown < ln)
      printf("%s: \"%s\" ... (+%zu octets)\n", tag, esc, ln - shown);
    else
      printf("%s: \"%s\"\n", tag, esc);
    p += ln;
    n -= ln;
  }
}

/* The E: line of the dialog files (common/eventfmt.h), with the state. */
static void show_event(const smtpp_event *ev, int state) {
  bbuf line = {0};
  evfmt_event(&line, ev, EVFMT_INPUT_PENDING);
  printf("E: %s state=%s\n", bbuf_str(&line), smtpp_state_name(state));
  bbuf_free(&line);
}

static void drain(smtpp_session *s) {
  for (int i = 0; i < 64; i++) {
    size_t n = 0;
    const unsigned char *b = smtpp_out_buf(s, &n);
    if (b == NULL || n == 0)
      return;
    show("S", b, n);
    smtpp_out_ack(s, n);
  }
}

/* The host loop of smtpp.h, fed whole, printing as it goes; the host's
 * decisions are the input's (oracle_host). */
static void transcript(const smtpp_config *cfg, const uint8_t *in, size_t len,
                       const oracle_tape *tape) {
  static smtpp_session s; /* a few KiB: not on the stack */
  oracle_tape tp = *tape;
  tp.pos = 0;
  int r = smtpp_init(&s, cfg);
  if (r < 0) {
    printf("-- smtpp_init failed: %s\n", smtpp_err_name(r));
    return;
  }
  drain(&s);
  size_t p = 0, steps = 0, bound = 4 * len + 64;
  for (;;) {
    if (++steps > bound) {
      printf("-- stopped after %zu calls without finishing (P1)\n", steps);
      break;
    }
    size_t used = 0;
    smtpp_event ev;
    memset(&ev, 0, sizeof ev);
    r = smtpp_feed(&s, len ? in + p : NULL, len - p, &used, &ev);
    if (used > len - p) {
      printf("-- smtpp_feed claimed %zu octets of %zu\n", used, len - p);
      break;
    }
    show("C", in + p, used);
    p += used;
    if (r == SMTPP_EVENT) {
      show_event(&ev, smtpp_get_state(&s));
      size_t at = tp.pos;
      int stop = oracle_host(&s, &ev, &tp) != 0;
      if (tp.pos > at)
        printf("H: decision octet %u\n", tp.p[at]);
      if (stop) {
        drain(&s);
        printf("-- TLS handshake reported: the transcript stops here (the verdicts below feed the rest as the decrypted stream)\n");
        break;
      }
    }
    drain(&s);
    if (r == SMTPP_NEED_MORE)
      break;
    if (r == SMTPP_CLOSED || r < 0) {
      printf("-- session closed (%s)", r < 0 ? smtpp_err_name(r) : "CLOSED");
      if (p < len)
        printf("; %zu client octets after it are not read", len - p);
      putchar('\n');
      break;
    }
  }
  drain(&s);
  printf("-- end of input, state %s\n", smtpp_state_name(smtpp_get_state(&s)));
}

/* A dialog skeleton of fs (tests/dialogs/README.md): the config the
 * selector chose as directives, the client bytes as R: lines (one per
 * CRLF-ended line, 200 octets at most each), FILL-IN where the developer
 * writes the replies the RFC asks for. */
static void skeleton(const fuzz_setup *fs, const char *what,
                     const char *path) {
  smtpp_config def;
  size_t i = 0;
  smtpp_config_default(&def);
  printf("# title: FILL-IN describe the behaviour (fuzz finding %s)\n", what);
  printf("# rfc: 5321 FILL-IN-section\n# level: hardening\n");
  printf("# note: GENERATED by ci/triage.sh from %s - FILL-IN fill in every "
         "S: line from the RFC, not from the parser; then move to "
         "tests/dialogs/NNN-name.dialog\n",
         path);
  for (uint32_t bit = 1; bit && smtpp_ext_name(bit); bit <<= 1)
    if ((fs->cfg.extensions ^ def.extensions) & bit)
      printf("! ext %c%s\n", (fs->cfg.extensions & bit) ? '+' : '-',
             smtpp_ext_name(bit));
  for (uint32_t bit = 1; bit && smtpp_lenient_name(bit); bit <<= 1)
    if (fs->cfg.lenient & bit)
      printf("! lenient %s\n", smtpp_lenient_name(bit));
  if (fs->cfg.max_message_size != def.max_message_size)
    printf("! size %llu\n", (unsigned long long)fs->cfg.max_message_size);
  if (fs->cfg.max_errors != def.max_errors && fs->cfg.max_errors != 0)
    printf("! max-errors %u\n", (unsigned)fs->cfg.max_errors);
  if (fs->cfg.max_recipients != def.max_recipients &&
      fs->cfg.max_recipients != 0)
    printf("! max-rcpt %u\n", (unsigned)fs->cfg.max_recipients);
  if (fs->cfg.auth_mechanisms)
    printf("# note: FILL-IN the input offers AUTH mechanisms %s (no "
           "directive for it)\n",
           fs->cfg.auth_mechanisms);
  if (fs->nsplits)
    printf("# note: the fuzz input fed the client bytes in %zu+1 chunks; a "
           "dialog is split-independent (docs/DESIGN.md 3)\n",
           fs->nsplits);
  printf("S: 220\n");
  while (i < fs->len) {
    size_t j = i;
    while (j + 1 < fs->len && !(fs->in[j] == '\r' && fs->in[j + 1] == '\n'))
      j++;
    j = j + 1 < fs->len ? j + 2 : fs->len;
    for (size_t k = i; k < j; k += 200) {
      char esc[200 * ESC_MAX_PER_OCTET + 1];
      size_t n = j - k < 200 ? j - k : 200;
      esc_bytes(esc, sizeof esc, fs->in + k, n, NULL);
      printf("R: %s\n", esc);
    }
    printf("S: FILL-IN expected reply code (and enhanced code) for the line "
           "above, or delete if none\n");
    i = j;
  }
}

int cmd_check(int argc, char **argv) {
  enum { OPT_HELP = 1, OPT_TARGET, OPT_RAW, OPT_SKELETON };
  static const cli_opt opts[] = {
      {"help", 'h', 0, OPT_HELP},
      {"target", 0, 1, OPT_TARGET},
      {"raw", 0, 0, OPT_RAW},
      {"skeleton", 0, 1, OPT_SKELETON},
      {NULL, 0, 0, 0},
  };
  cli_scan sc;
  const char *val, *path = NULL, *what = NULL;
  int raw = 0, id;

  /* line-buffered: a parser crash keeps the transcript up to it */
  setvbuf(stdout, NULL, _IOLBF, 0);
  cli_scan_init(&sc, "check", opts, argc, argv);
  while ((id = cli_next(&sc, &val)) != CLI_END) {
    switch (id) {
    case OPT_HELP:
      cmd_check_usage(stdout);
      return CLI_EXIT_OK;
    case OPT_TARGET:
      if (strcmp(val, "session") != 0 && strcmp(val, "fuzz_session") != 0) {
        cli_usage_error("check",
                        "--target: only 'session' is checked by the oracle "
                        "here, got %s; replay a layer input with "
                        "replay_fuzz_<layer> FILE",
                        cli_quote(val));
        return CLI_EXIT_USAGE;
      }
      break;
    case OPT_RAW:
      raw = 1;
      break;
    case OPT_SKELETON:
      what = val;
      break;
    case CLI_POSITIONAL:
      if (path != NULL) {
        cli_usage_error("check", "expects one FILE, got a second: %s",
                        cli_quote(val));
        return CLI_EXIT_USAGE;
      }
      path = val;
      break;
    default:
      return CLI_EXIT_USAGE;
    }
  }
  if (path == NULL) {
    cli_usage_error("check", "expects a FILE (a fuzz_session input, or "
                             "--raw client bytes)");
    return CLI_EXIT_USAGE;
  }

  uint8_t *data = NULL;
  size_t size = 0;
  if (read_input(path, &data, &size) < 0)
    return CLI_EXIT_USAGE;

  fuzz_setup fs;
  memset(&fs, 0, sizeof fs);
  if (what) {
    uint8_t zero[FUZZ_SELECTOR] = {0};
    if (raw) {
      smtpp_config_default(&fs.cfg);
      fs.in = data;
      fs.len = size;
    } else if (!fuzz_select(data, size, &fs)) {
      fuzz_select(zero, sizeof zero, &fs); /* too short: the defaults */
    }
    skeleton(&fs, what, path);
    free(data);
    return CLI_EXIT_OK;
  }
  printf("smtpp check: %s (%zu octets, %s)\n", path, size,
         raw ? "raw client bytes" : "fuzz_session input");
  if (raw) {
    smtpp_config_default(&fs.cfg);
    fs.in = data;
    fs.len = size;
  } else {
    /* as fuzz_session reads it: octets missing from the selector are 0 */
    (void)fuzz_select(data, size, &fs);
  }
  fuzz_print_setup(&fs, stdout);
  printf("\n-- transcript (fed in one piece; C: client, S: server, E: event)\n");
  transcript(&fs.cfg, fs.in, fs.len, &fs.tape);

  oracle_report rep;
  memset(&rep, 0, sizeof rep);
  int nviol = oracle_run(&fs.cfg, fs.in, fs.len, fs.splits, fs.nsplits, &fs.tape, &rep);
  printf("\n-- properties (whole, at %zu split point%s, and again)\n",
         fs.nsplits, fs.nsplits == 1 ? "" : "s");
  for (int p = 1; p < ORACLE__COUNT; p++)
    printf("  %-20s %-9s %s\n", oracle_prop_name(p),
           ((rep.fired >> p) & 1) ? "VIOLATED" : "pass", oracle_prop_desc(p));
  putchar('\n');
  oracle_report_print(&rep, stdout);
  if (nviol) {
    printf("verdict: FAIL (%s)\n", oracle_prop_name(rep.prop));
    free(data);
    return CLI_EXIT_FAIL;
  }
  printf("verdict: PASS\n");
  free(data);
  return CLI_EXIT_OK;
}
