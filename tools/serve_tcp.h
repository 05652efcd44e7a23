/*
 * serve_tcp.h - `smtpp serve --listen ADDR:PORT`: an epoll SMTP sink.
 *
 * One event-loop thread (level-triggered epoll, non-blocking sockets) and
 * one writer thread (writer.h) that makes messages durable, makes and
 * removes temporary files and writes the log, so no session waits for
 * another one's fsync.  Each
 * connection has one fixed smtpp_session from a pool allocated once at
 * start (--max-conn); nothing is allocated per connection, byte or
 * message.  Input is read 4 KiB at a time into one shared buffer and only
 * when the parser can take it: while a connection's replies cannot be
 * written (SMTPP_WANT_WRITE and a full socket) or its message is being
 * made durable, its unfed input waits in a 4 KiB per-connection buffer and
 * the socket is not read.  Slow clients are bounded by the idle, command,
 * data-rate and session limits, and at capacity the session waiting
 * longest for a command gives up its slot (serve_tcp_usage() says which is
 * which).  Graceful shutdown on SIGTERM/SIGINT (421 to every open session,
 * flush, close, exit 0); a log line per connection and per message, and
 * counters on SIGUSR1 (sinklog.h); optional Maildir or mbox delivery
 * (deliver.h).
 */
#ifndef SMTPP_TOOLS_SERVE_TCP_H
#define SMTPP_TOOLS_SERVE_TCP_H

#include <smtpp/smtpp.h>

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* Option ids for the cli_opt table of serve.c (all >= SERVE_TCP_OPT_BASE). */
enum {
  SERVE_TCP_OPT_BASE = 100,
  SERVE_TCP_OPT_LISTEN = SERVE_TCP_OPT_BASE,
  SERVE_TCP_OPT_MAX_CONN,
  SERVE_TCP_OPT_IDLE_TIMEOUT,
  SERVE_TCP_OPT_SESSION_TIMEOUT,
  SERVE_TCP_OPT_COMMAND_TIMEOUT,
  SERVE_TCP_OPT_MIN_RATE,
  SERVE_TCP_OPT_RECLAIM_AFTER,
  SERVE_TCP_OPT_MAILDIR,
  SERVE_TCP_OPT_MBOX,
  SERVE_TCP_OPT_NO_FSYNC,
  SERVE_TCP_OPT_LOG_FORMAT,
  SERVE_TCP_OPT_STATS_INTERVAL,
};

#define SERVE_TCP_CLI_OPTS                                                     \
  {"listen", 0, 1, SERVE_TCP_OPT_LISTEN},                                      \
  {"max-conn", 0, 1, SERVE_TCP_OPT_MAX_CONN},                                  \
  {"idle-timeout", 0, 1, SERVE_TCP_OPT_IDLE_TIMEOUT},                          \
  {"session-timeout", 0, 1, SERVE_TCP_OPT_SESSION_TIMEOUT},                    \
  {"command-timeout", 0, 1, SERVE_TCP_OPT_COMMAND_TIMEOUT},                    \
  {"min-rate", 0, 1, SERVE_TCP_OPT_MIN_RATE},                                  \
  {"reclaim-after", 0, 1, SERVE_TCP_OPT_RECLAIM_AFTER},                        \
  {"maildir", 0, 1, SERVE_TCP_OPT_MAILDIR},                                    \
  {"mbox", 0, 1, SERVE_TCP_OPT_MBOX},                                          \
  {"no-fsync", 0, 0, SERVE_TCP_OPT_NO_FSYNC},                                  \
  {"log-format", 0, 1, SERVE_TCP_OPT_LOG_FORMAT},                              \
  {"stats-interval", 0, 1, SERVE_TCP_OPT_STATS_INTERVAL},

/* Zero-initialized = nothing given (the defaults are in serve_tcp_opts.c,
 * applied by serve_tcp_defaults()). */
typedef struct serve_tcp_args {
  const char *listen;       /* ADDR:PORT as given, NULL = not given */
  uint32_t max_conn;
  uint32_t idle_timeout;    /* seconds */
  uint32_t session_timeout; /* seconds */
  uint32_t command_timeout; /* seconds */
  uint32_t min_rate;        /* octets/s in DATA/BDAT, 0 = off */
  uint32_t reclaim_after;   /* seconds, 0 = never reclaim */
  uint32_t stats_interval;  /* seconds, 0 = only on SIGUSR1 */
  const char *maildir;
  const char *mbox;
  int no_fsync;
  int log_format;           /* SINKLOG_* */
  uint32_t given;           /* bit (id - BASE): the option was given */
} serve_tcp_args;

/* Applies one option.  Returns -1 to go on, or an exit status (2). */
int serve_tcp_apply_opt(serve_tcp_args *a, int id, const char *value);
/* Fills in the defaults of options not given. */
void serve_tcp_defaults(serve_tcp_args *a);
/* 1 if an option that needs --listen was given. */
int serve_tcp_any_given(const serve_tcp_args *a);

/* The TCP part of `smtpp serve --help`. */
void serve_tcp_usage(FILE *out);

/* Checks ADDR:PORT (numeric; IPv6 in brackets) and fills ss/len (both may
 * be NULL).  Returns 0, or -1 after printing a message. */
int serve_tcp_parse_listen(const char *text, struct sockaddr_storage *ss,
                           socklen_t *sslen);

/* Runs the server until SIGTERM/SIGINT.  Returns the exit status: 0 after
 * a clean shutdown, 1 on a runtime failure, 2 on a bad configuration. */
int serve_tcp(const smtpp_config *cfg, const serve_tcp_args *a, int trace_on);

#endif
