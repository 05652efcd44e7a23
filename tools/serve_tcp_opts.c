/*
 * serve_tcp_opts.c - the options of `smtpp serve --listen`: help text,
 * parsing, defaults.  One place for each default: the help text prints
 * the same constants that serve_tcp_defaults() applies.
 */
#define _GNU_SOURCE
#include "serve_tcp.h"

#include "cli.h"
#include "sinklog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* Defaults.  RFC 5321 4.5.3.2.7: a server SHOULD wait at least 5 minutes
 * for the next command. */
#define DEF_MAX_CONN 1000u
#define DEF_IDLE_TIMEOUT 300u
#define DEF_SESSION_TIMEOUT 3600u
#define DEF_COMMAND_TIMEOUT 300u
#define DEF_MIN_RATE 1024u
#define DEF_RECLAIM_AFTER 10u

void serve_tcp_usage(FILE *out) {
  fprintf(out,
      "TCP server (--listen):\n"
      "  --listen ADDR:PORT  serve many sessions on TCP with one epoll loop:\n"
      "                      IPv4 127.0.0.1:2525, IPv6 [::1]:2525; port 0\n"
      "                      picks a free port.  Prints \"listening on\n"
      "                      ADDR:PORT\" to stderr once it accepts.  Runs until\n"
      "                      SIGTERM or SIGINT: then every open session gets\n"
      "                      421, replies are flushed and the exit status is 0\n"
      "  --max-conn N        sessions at once, 1..1000000 (default %u).  When\n"
      "                      all are taken, a new connection gets the slot of\n"
      "                      the session waiting longest for a command, if\n"
      "                      that wait is over --reclaim-after; else it gets\n"
      "                      \"421 Too many connections, try again later\"\n"
      "                      (no enhanced code: it precedes EHLO) and is\n"
      "                      closed\n"
      "  --reclaim-after SEC at capacity, a session that has not completed a\n"
      "                      command for SEC seconds is closed with \"421\n"
      "                      4.4.2 ... Server busy, closing idle connection\"\n"
      "                      to make room (default %u; 0 = never).  Like\n"
      "                      Postfix under stress, this shortens RFC 5321\n"
      "                      4.5.3.2.7's 5 minutes only when the server is full\n"
      "  --command-timeout SEC  a command line must be complete within SEC\n"
      "                      seconds of the last one (default %u, RFC 5321\n"
      "                      4.5.3.2.7); trickling octets does not extend it\n"
      "  --min-rate N        in DATA/BDAT the body must average N octets/s\n"
      "                      from its start, checked once it is 10 s old\n"
      "                      (default %u; 0 = off).  A slower client gets\n"
      "                      \"421 4.4.2 ... Data rate too low\"\n"
      "  --idle-timeout SEC  close a session with no traffic at all for SEC\n"
      "                      seconds (default %u, RFC 5321 4.5.3.2.7)\n"
      "  --session-timeout SEC  close any session after SEC seconds (default\n"
      "                      %u)\n"
      "  --maildir DIR       deliver each accepted message to the Maildir DIR\n"
      "                      (DIR/tmp, then renamed to DIR/new; created if\n"
      "                      missing, and again if it is deleted while the\n"
      "                      server runs).  At start, files in DIR/tmp older\n"
      "                      than 36 hours (a crash's leftovers) are removed.\n"
      "                      Default: discard\n"
      "  --mbox FILE         append each accepted message to the mbox FILE\n"
      "                      (mboxrd \">From \" quoting, flock)\n"
      "  --no-fsync          do not fsync delivered messages (faster; a crash\n"
      "                      can lose accepted mail)\n"
      "  --log-format FMT    text (default), json (one JSON object per line)\n"
      "                      or none: on stderr, one line per connection\n"
      "                      (connect, refuse, disconnect with peer and\n"
      "                      reason) and per message (time, connection id,\n"
      "                      peer, sender, recipients, size, result, file)\n"
      "  --stats-interval SEC  log the counters every SEC seconds (default\n"
      "                      0: only on SIGUSR1); a summary is logged at exit\n"
      "  A message is written as it arrives, with Return-Path, one\n"
      "  Delivered-To per recipient and a Received line (RFC 5321 4.4) above\n"
      "  it; past the SIZE limit nothing more of it is stored (it gets 552 at\n"
      "  its end).  It gets 250 only once it is stored and fsynced (by a\n"
      "  writer thread: other sessions never wait for the disk), else 451\n"
      "  4.3.0.  The parser options above apply to every session.\n",
      DEF_MAX_CONN, DEF_RECLAIM_AFTER, DEF_COMMAND_TIMEOUT, DEF_MIN_RATE,
      DEF_IDLE_TIMEOUT, DEF_SESSION_TIMEOUT);
}

int serve_tcp_parse_listen(const char *text, struct sockaddr_storage *ss,
                           socklen_t *sslen) {
  char host[INET6_ADDRSTRLEN + 2];
  const char *port;
  uint64_t p;
  size_t hl;

  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':')
      goto bad;
    hl = (size_t)(close - text - 1);
    if (hl == 0 || hl >= sizeof host)
      goto bad;
    memcpy(host, text + 1, hl);
    port = close + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
      goto bad;
    hl = (size_t)(colon - text);
    if (hl == 0 || hl >= sizeof host || memchr(text, ':', hl) != NULL)
      goto bad;
    memcpy(host, text, hl);
    port = colon + 1;
  }
  host[hl] = 0;
  if (cli_parse_u64("serve", "--listen (port)", port, 0, 65535, &p) < 0)
    return -1;
  {
    struct sockaddr_storage tmp;
    memset(&tmp, 0, sizeof tmp);
    if (text[0] == '[') {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&tmp;
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons((uint16_t)p);
      if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
        goto bad;
      if (sslen)
        *sslen = sizeof *s6;
    } else {
      struct sockaddr_in *s4 = (struct sockaddr_in *)&tmp;
      s4->sin_family = AF_INET;
      s4->sin_port = htons((uint16_t)p);
      if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        goto bad;
      if (sslen)
        *sslen = sizeof *s4;
    }
    if (ss)
      *ss = tmp;
  }
  return 0;
bad:
  cli_usage_error("serve", "--listen expects ADDR:PORT with a numeric "
                           "address: 127.0.0.1:2525, 0.0.0.0:25, [::1]:2525 "
                           "(got %s)", cli_quote(text));
  return -1;
}

static const cli_name log_formats[] = {
    {"text", SINKLOG_TEXT + 1}, {"json", SINKLOG_JSON + 1},
    {"none", SINKLOG_NONE + 1}, {NULL, 0}};

static int seconds(const char *flag, const char *v, uint64_t min,
                   uint32_t *out) {
  uint64_t n;
  if (cli_parse_u64("serve", flag, v, min, 86400 * 365, &n) < 0)
    return -1;
  *out = (uint32_t)n;
  return 0;
}

int serve_tcp_apply_opt(serve_tcp_args *a, int id, const char *v) {
  uint64_t n;
  uint32_t bits = 0;
  int bad = 0;

  switch (id) {
  case SERVE_TCP_OPT_LISTEN:
    if (serve_tcp_parse_listen(v, NULL, NULL) < 0)
      return CLI_EXIT_USAGE;
    a->listen = v;
    return -1;
  case SERVE_TCP_OPT_MAX_CONN:
    bad = cli_parse_u64("serve", "--max-conn", v, 1, 1000000, &n) < 0;
    a->max_conn = (uint32_t)n;
    break;
  case SERVE_TCP_OPT_IDLE_TIMEOUT:
    bad = seconds("--idle-timeout", v, 1, &a->idle_timeout) < 0;
    break;
  case SERVE_TCP_OPT_SESSION_TIMEOUT:
    bad = seconds("--session-timeout", v, 1, &a->session_timeout) < 0;
    break;
  case SERVE_TCP_OPT_COMMAND_TIMEOUT:
    bad = seconds("--command-timeout", v, 1, &a->command_timeout) < 0;
    break;
  case SERVE_TCP_OPT_RECLAIM_AFTER:
    bad = seconds("--reclaim-after", v, 0, &a->reclaim_after) < 0;
    break;
  case SERVE_TCP_OPT_STATS_INTERVAL:
    bad = seconds("--stats-interval", v, 0, &a->stats_interval) < 0;
    break;
  case SERVE_TCP_OPT_MIN_RATE:
    bad = cli_parse_u64("serve", "--min-rate", v, 0, UINT32_MAX, &n) < 0;
    a->min_rate = (uint32_t)n;
    break;
  case SERVE_TCP_OPT_MAILDIR:
  case SERVE_TCP_OPT_MBOX:
    if (v[0] == 0) {
      cli_usage_error("serve", "%s needs a path",
                      id == SERVE_TCP_OPT_MAILDIR ? "--maildir" : "--mbox");
      return CLI_EXIT_USAGE;
    }
    if (id == SERVE_TCP_OPT_MAILDIR)
      a->maildir = v;
    else
      a->mbox = v;
    if (a->maildir && a->mbox) {
      cli_usage_error("serve", "--maildir and --mbox exclude each other");
      return CLI_EXIT_USAGE;
    }
    break;
  case SERVE_TCP_OPT_NO_FSYNC:
    a->no_fsync = 1;
    break;
  case SERVE_TCP_OPT_LOG_FORMAT:
    if (strchr(v, ',') != NULL) {
      cli_usage_error("serve", "--log-format takes one of text, json, none "
                               "(got %s)", cli_quote(v));
      return CLI_EXIT_USAGE;
    }
    bad = cli_parse_names("serve", "--log-format", v, log_formats, "format",
                          &bits) < 0;
    a->log_format = (int)bits - 1;
    break;
  default:
    cli_usage_error("serve", "internal error: option id %d", id);
    return CLI_EXIT_USAGE;
  }
  if (bad)
    return CLI_EXIT_USAGE;
  a->given |= 1u << (id - SERVE_TCP_OPT_BASE);
  return -1;
}

int serve_tcp_any_given(const serve_tcp_args *a) { return a->given != 0; }

void serve_tcp_defaults(serve_tcp_args *a) {
#define GIVEN(opt) (a->given & (1u << (SERVE_TCP_OPT_##opt - SERVE_TCP_OPT_BASE)))
  if (!GIVEN(MAX_CONN))
    a->max_conn = DEF_MAX_CONN;
  if (!GIVEN(IDLE_TIMEOUT))
    a->idle_timeout = DEF_IDLE_TIMEOUT;
  if (!GIVEN(SESSION_TIMEOUT))
    a->session_timeout = DEF_SESSION_TIMEOUT;
  if (!GIVEN(COMMAND_TIMEOUT))
    a->command_timeout = DEF_COMMAND_TIMEOUT;
  if (!GIVEN(MIN_RATE))
    a->min_rate = DEF_MIN_RATE;
  if (!GIVEN(RECLAIM_AFTER))
    a->reclaim_after = DEF_RECLAIM_AFTER;
#undef GIVEN
}
