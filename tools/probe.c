/*
 * probe.c - `smtpp probe`: options and main.  Runs the dialog suite
 * against another SMTP server (over TCP, or a command speaking SMTP on
 * stdin/stdout) and reports findings by root cause with one of four
 * verdicts (probe.h); see probe_run.c for how it sends and probe_judge.c
 * for how it judges.
 *
 * Every wait has a deadline and every buffer a bound (probe_conn.h): a
 * server that hangs, closes early, sends garbage, an endless line or a
 * giant reply gets a verdict, never a hung probe.
 */
#define _POSIX_C_SOURCE 200809L
#include "commands.h"

#include "cli.h"
#include "io.h"
#include "probe.h"
#include "probe_adapt.h"
#include "probe_apply.h"
#include "probe_fuzz.h"
#include "probe_judge.h"
#include "probe_run.h"

#include <smtpp/smtpp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifndef SMTPP_SOURCE_DIR
#define SMTPP_SOURCE_DIR "."
#endif

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
  const char *baseline, *write_baseline;
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
  OPT_BASELINE,
  OPT_WRITE_BASELINE,
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
    {"baseline", 0, 1, OPT_BASELINE},
    {"write-baseline", 0, 1, OPT_WRITE_BASELINE},
    {NULL, 0, 0, 0},
};

void cmd_probe_usage(FILE *out) {
  fputs(
      "Usage: smtpp probe (--tcp HOST:PORT | --cmd COMMAND) [OPTIONS]\n"
      "\n"
      "Runs the dialog suite (tests/dialogs) against another SMTP server\n"
      "and reports what it finds by root cause, each finding with one of\n"
      "four verdicts: violation (a MUST, a prescribed code or the grammar\n"
      "broken), deviation (a SHOULD), advisory (allowed, but other or\n"
      "weaker than smtpp) or inconclusive (policy refusal, the dialog could\n"
      "not apply).  Each comes with the RFC sentence, the bytes sent, the\n"
      "reply beside smtpp's, and a command that reproduces it.  The EHLO\n"
      "reply (read on a separate connection first) decides which dialogs\n"
      "apply: a dialog is skipped when it needs a setting that cannot be\n"
      "made on a foreign server (! policy, ! lenient, T:, ! max-rcpt,\n"
      "! max-errors, a ! size other than the advertised SIZE) or depends on\n"
      "an extension that the server and the dialog see differently.\n"
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
      "  -v, --verbose        every run, and the evidence of every finding\n"
      "  --baseline FILE      accepted findings (one key a line, # comments):\n"
      "                       they are reported but do not fail the run\n"
      "  --write-baseline FILE  write the keys of the violations and\n"
      "                       deviations found, for --baseline next time\n"
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
      "Replies are read into bounded buffers (64 KiB per reply, 1 MiB per\n"
      "connection).  Polite mode pipelines only inside a session whose EHLO\n"
      "offered PIPELINING; burst mode runs only against servers that offer\n"
      "it; a BDAT chunk is sent with its command; an unexpected 354 is\n"
      "answered with \".\" so the message ends cleanly.\n"
      "Exit status: 0 no violation (outside the baseline), 1 a violation or\n"
      "the server could not be probed, 2 bad usage.\n"
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
/* Main                                                               */
/* ------------------------------------------------------------------ */

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cmd_probe(int argc, char **argv) {
  static popts o;
  static pserver srv;
  ptarget tg;
  long long t_start = pconn_now_ms();
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
    case OPT_BASELINE:
      o.baseline = v;
      break;
    case OPT_WRITE_BASELINE:
      o.write_baseline = v;
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
  tg.tcp = o.tcp;
  tg.cmd = o.cmd;
  tg.timeout_ms = o.timeout_ms;
  tg.case_ms = o.case_ms;
  if (o.tcp)
    snprintf(srv.repro, sizeof srv.repro, "--tcp %s", o.tcp);
  else
    snprintf(srv.repro, sizeof srv.repro, "--cmd '%s'", o.cmd);
  if (probe_discover(&tg, &srv) < 0) {
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
  for (long i = 0; i < nfiles; i++)
    dlg_load(&cases[i], files[i]);

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
    dialog *c = &cases[i], fitted, *use = c;
    char why[300];
    int adapted;
    if (o.only && !strstr(c->name, o.only))
      continue;
    adapted = probe_adapt(c, &srv, &fitted);
    if (adapted == 1)
      use = &fitted;
    for (int m = 0; m < PMODE__COUNT; m++) {
      presult *r = &res[nres];
      prun R;
      long long t0;
      if (!o.modes[m])
        continue;
      nres++;
      r->c = c;
      r->mode = m;
      r->worst = V__COUNT;
      if (probe_skip_reason(use, &srv, m, why, sizeof why)) {
        r->status = PR_SKIP;
        snprintf(r->detail, sizeof r->detail, "%s", why);
        continue;
      }
      t0 = pconn_now_ms();
      probe_run_case(&tg, &srv, use, m, &R);
      probe_judge(use, &srv, m, &R, r);
      r->ms = (long)(pconn_now_ms() - t0);
      probe_run_free(&R);
    }
    if (adapted == 1)
      probe_adapt_free(&fitted);
  }
  rep.srv = &srv;
  rep.r = res;
  rep.n = nres;
  rep.ms = pconn_now_ms() - t_start;
  rc = CLI_EXIT_OK;
  if (o.baseline && probe_baseline_apply(o.baseline, &rep) < 0) {
    fprintf(stderr, "smtpp probe: cannot read the baseline %s\n",
            o.baseline);
    rc = CLI_EXIT_FAIL;
  }
  probe_report_text(stdout, &rep, o.verbose);
  if (probe_violations(&rep))
    rc = CLI_EXIT_FAIL;
  if (o.json && probe_report_json(o.json, &rep) < 0) {
    fprintf(stderr, "smtpp probe: cannot write %s\n", o.json);
    rc = CLI_EXIT_FAIL;
  }
  if (o.junit && probe_report_junit(o.junit, &rep) < 0) {
    fprintf(stderr, "smtpp probe: cannot write %s\n", o.junit);
    rc = CLI_EXIT_FAIL;
  }
  if (o.write_baseline && probe_baseline_write(o.write_baseline, &rep) < 0) {
    fprintf(stderr, "smtpp probe: cannot write %s\n", o.write_baseline);
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

