/*
 * serve.c - `smtpp serve`: command line to smtpp_config, then one session.
 */
#include "commands.h"

#include "cli.h"
#include "names.h"
#include "serve_stdio.h"
#include "serve_tcp.h"

#include <smtpp/smtpp.h>

#include <stdint.h>
#include <stdio.h>

enum {
  OPT_HELP = 1,
  OPT_STDIO,
  OPT_HOSTNAME,
  OPT_SIZE,
  OPT_MAX_RCPT,
  OPT_MAX_ERRORS,
  OPT_EXT,
  OPT_NO_EXT,
  OPT_STARTTLS,
  OPT_AUTH,
  OPT_LENIENT,
  OPT_TRACE,
};

static const cli_opt serve_opts[] = {
    {"help", 'h', 0, OPT_HELP},
    {"stdio", 0, 0, OPT_STDIO},
    {"hostname", 0, 1, OPT_HOSTNAME},
    {"size", 0, 1, OPT_SIZE},
    {"max-rcpt", 0, 1, OPT_MAX_RCPT},
    {"max-errors", 0, 1, OPT_MAX_ERRORS},
    {"ext", 0, 1, OPT_EXT},
    {"no-ext", 0, 1, OPT_NO_EXT},
    {"starttls", 0, 0, OPT_STARTTLS},
    {"auth", 0, 0, OPT_AUTH},
    {"lenient", 0, 1, OPT_LENIENT},
    {"trace", 0, 0, OPT_TRACE},
    SERVE_TCP_CLI_OPTS
    {NULL, 0, 0, 0},
};

void cmd_serve_usage(FILE *out) {
  fputs(
      "Usage: smtpp serve --stdio [OPTIONS]\n"
      "       smtpp serve --listen ADDR:PORT [OPTIONS] [TCP OPTIONS]\n"
      "\n"
      "An SMTP server driven by libsmtpp: it answers every command as the\n"
      "parser does and accepts every sender, recipient and message.\n"
      "\n"
      "--stdio runs one session on stdin/stdout: it writes the 220 greeting,\n"
      "throws each message away and writes each reply as soon as it exists.\n"
      "It ends with exit status 0 when the session closes (221 or 421) or\n"
      "stdin ends.\n"
      "\n"
      "--listen ADDR:PORT serves many sessions on TCP (see \"TCP server\"\n"
      "below): it discards each message, or stores it in a Maildir or mbox,\n"
      "logs every connection and message, and runs until SIGTERM/SIGINT.\n"
      "\n"
      "Options:\n"
      "  --stdio             speak SMTP on stdin/stdout (or --listen, below)\n"
      "  --hostname NAME     our domain in 220/250/221 (default localhost)\n"
      "  --size N            SIZE limit in octets, 0 = no limit (default 10485760)\n"
      "  --max-rcpt N        recipients per message, N >= 100 (default 100)\n"
      "  --max-errors N      protocol errors before 421, N >= 1 (default 20)\n"
      "  --ext LIST          offer these extensions too\n"
      "  --no-ext LIST       do not offer these extensions\n"
      "                      LIST: comma separated, any case, from PIPELINING,\n"
      "                      SIZE, 8BITMIME, SMTPUTF8, DSN, CHUNKING,\n"
      "                      ENHANCEDSTATUSCODES, STARTTLS, AUTH.  Default: all\n"
      "                      but STARTTLS and AUTH.  --ext/--no-ext apply in\n"
      "                      the order given.\n"
      "  --starttls          same as --ext STARTTLS.  There is no TLS here: after\n"
      "                      the 220 to STARTTLS all input is discarded to EOF\n"
      "  --auth              same as --ext AUTH.  There is no SASL backend: every\n"
      "                      AUTH gets the parser's default refusal (535), after\n"
      "                      an empty 334 challenge if it has no initial response\n"
      "  --lenient LIST      opt into leniencies (each widens what is accepted;\n"
      "                      see smtpp.h for the risks): bare-lf, 8bit,\n"
      "                      long-lines, path-space, trailing-sp, helo-name\n"
      "  --trace             log client lines, replies and events to stderr\n"
      "                      (C:/S:/E: lines, every octet escaped)\n"
      "  -h, --help          show this help\n"
      "\n",
      out);
  serve_tcp_usage(out);
  fputs("\n"
      "Options taking a value accept --opt VALUE and --opt=VALUE; the last\n"
      "--hostname/--size/--max-rcpt/--max-errors given wins.\n"
      "Exit status: 0 done, 1 I/O or parser failure, 2 bad option or config.\n"
      "\n"
      "Examples:\n"
      "  printf 'EHLO a.example\\r\\nQUIT\\r\\n' | smtpp serve --stdio\n"
      "  smtpp serve --listen 127.0.0.1:2525 --maildir ~/Maildir "
      "--log-format json\n",
      out);
}

typedef struct serve_args {
  smtpp_config cfg;
  int stdio;
  int trace;
  serve_tcp_args tcp; /* --listen and its options */
} serve_args;

/* Returns -1 to go on, or an exit status. */
static int apply_opt(serve_args *a, int id, const char *v) {
  uint64_t n;
  uint32_t bits = 0;

  switch (id) {
  case OPT_HELP:
    cmd_serve_usage(stdout);
    return CLI_EXIT_OK;
  case OPT_STDIO:
    a->stdio = 1;
    break;
  case OPT_HOSTNAME:
    a->cfg.hostname = v; /* smtpp_init() validates it */
    break;
  case OPT_SIZE:
    if (cli_parse_u64("serve", "--size", v, 0, UINT64_MAX, &n) < 0)
      return CLI_EXIT_USAGE;
    a->cfg.max_message_size = n;
    break;
  case OPT_MAX_RCPT: /* RFC 5321 4.5.3.1.8: at least 100 */
    if (cli_parse_u64("serve", "--max-rcpt", v, 100, UINT32_MAX, &n) < 0)
      return CLI_EXIT_USAGE;
    a->cfg.max_recipients = (uint32_t)n;
    break;
  case OPT_MAX_ERRORS:
    if (cli_parse_u64("serve", "--max-errors", v, 1, UINT32_MAX, &n) < 0)
      return CLI_EXIT_USAGE;
    a->cfg.max_errors = (uint32_t)n;
    break;
  case OPT_EXT:
    if (cli_parse_names("serve", "--ext", v, names_extensions, "extension",
                        &bits) < 0)
      return CLI_EXIT_USAGE;
    a->cfg.extensions |= bits;
    break;
  case OPT_NO_EXT:
    if (cli_parse_names("serve", "--no-ext", v, names_extensions,
                        "extension", &bits) < 0)
      return CLI_EXIT_USAGE;
    a->cfg.extensions &= ~bits;
    break;
  case OPT_STARTTLS:
    a->cfg.extensions |= SMTPP_EXT_STARTTLS;
    break;
  case OPT_AUTH:
    a->cfg.extensions |= SMTPP_EXT_AUTH;
    break;
  case OPT_LENIENT:
    if (cli_parse_names("serve", "--lenient", v, names_lenient, "leniency",
                        &bits) < 0)
      return CLI_EXIT_USAGE;
    a->cfg.lenient |= bits;
    break;
  case OPT_TRACE:
    a->trace = 1;
    break;
  default:
    if (id >= SERVE_TCP_OPT_BASE)
      return serve_tcp_apply_opt(&a->tcp, id, v);
    cli_usage_error("serve", "internal error: option id %d", id);
    return CLI_EXIT_USAGE;
  }
  return -1;
}

int cmd_serve(int argc, char **argv) {
  static serve_args a; /* cfg must outlive the session: static */
  cli_scan sc;
  const char *v;
  int id, r;

  smtpp_config_default(&a.cfg);
  a.cfg.host_decides = 1; /* the sink refuses what it cannot store (451) */
  cli_scan_init(&sc, "serve", serve_opts, argc, argv);
  while ((id = cli_next(&sc, &v)) != CLI_END) {
    if (id == CLI_ERROR)
      return CLI_EXIT_USAGE;
    if (id == CLI_POSITIONAL) {
      cli_usage_error("serve", "unexpected argument %s", cli_quote(v));
      return CLI_EXIT_USAGE;
    }
    r = apply_opt(&a, id, v);
    if (r >= 0)
      return r;
  }
  if (a.stdio && a.tcp.listen) {
    cli_usage_error("serve", "--stdio and --listen exclude each other");
    return CLI_EXIT_USAGE;
  }
  if (a.tcp.listen) {
    serve_tcp_defaults(&a.tcp);
    return serve_tcp(&a.cfg, &a.tcp, a.trace);
  }
  if (!a.stdio) {
    cli_usage_error("serve", "--stdio or --listen ADDR:PORT is required");
    return CLI_EXIT_USAGE;
  }
  if (serve_tcp_any_given(&a.tcp)) {
    cli_usage_error("serve", "the TCP server options (--max-conn, "
                             "--maildir, --log-format, ...: see 'TCP server' "
                             "in the help) need --listen");
    return CLI_EXIT_USAGE;
  }
  return serve_stdio(&a.cfg, a.trace);
}
