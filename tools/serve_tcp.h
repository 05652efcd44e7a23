/*
 * serve_tcp.h - `smtpp serve --listen ADDR:PORT`: an epoll SMTP sink.
 *
 * One thread, one epoll loop (level-triggered), non-blocking sockets.  Each
 * connection has one fixed smtpp_session from a pool allocated once at
 * start (--max-conn); nothing is allocated per connection, byte or message.
 * Input is read 4 KiB at a time into one shared buffer and only when the
 * parser can take it: while a connection's replies cannot be written
 * (SMTPP_WANT_WRITE and a full socket) its unfed input waits in a 4 KiB
 * per-connection buffer and the socket is not read until EPOLLOUT drains
 * the replies.  Idle and total session timeouts, a connection cap (excess
 * connections get "421 4.3.2 Too many connections"), graceful shutdown on
 * SIGTERM/SIGINT (421 to every open session, flush, close, exit 0) and
 * optional Maildir or mbox delivery (deliver.h).
 */
#ifndef SMTPP_TOOLS_SERVE_TCP_H
#define SMTPP_TOOLS_SERVE_TCP_H

#include <smtpp/smtpp.h>

#include <stdint.h>
#include <stdio.h>

/* Option ids for the cli_opt table of serve.c (all >= SERVE_TCP_OPT_BASE). */
enum {
  SERVE_TCP_OPT_BASE = 100,
  SERVE_TCP_OPT_LISTEN = SERVE_TCP_OPT_BASE,
  SERVE_TCP_OPT_MAX_CONN,
  SERVE_TCP_OPT_IDLE_TIMEOUT,
  SERVE_TCP_OPT_SESSION_TIMEOUT,
  SERVE_TCP_OPT_MAILDIR,
  SERVE_TCP_OPT_MBOX,
  SERVE_TCP_OPT_NO_FSYNC,
};

#define SERVE_TCP_CLI_OPTS                                                     \
  {"listen", 0, 1, SERVE_TCP_OPT_LISTEN},                                      \
  {"max-conn", 0, 1, SERVE_TCP_OPT_MAX_CONN},                                  \
  {"idle-timeout", 0, 1, SERVE_TCP_OPT_IDLE_TIMEOUT},                          \
  {"session-timeout", 0, 1, SERVE_TCP_OPT_SESSION_TIMEOUT},                    \
  {"maildir", 0, 1, SERVE_TCP_OPT_MAILDIR},                                    \
  {"mbox", 0, 1, SERVE_TCP_OPT_MBOX},                                          \
  {"no-fsync", 0, 0, SERVE_TCP_OPT_NO_FSYNC},

/* Zero-initialized = nothing given (defaults apply in serve_tcp()). */
typedef struct serve_tcp_args {
  const char *listen;       /* ADDR:PORT as given, NULL = not given */
  uint32_t max_conn;        /* 0 = 1000 */
  uint32_t idle_timeout;    /* seconds, 0 = 300 */
  uint32_t session_timeout; /* seconds, 0 = 3600 */
  const char *maildir;
  const char *mbox;
  int no_fsync;
  int any_tcp_only;         /* an option that needs --listen was given */
} serve_tcp_args;

/* Applies one option.  Returns -1 to go on, or an exit status (2). */
int serve_tcp_apply_opt(serve_tcp_args *a, int id, const char *value);

/* The TCP part of `smtpp serve --help`. */
void serve_tcp_usage(FILE *out);

/* Runs the server until SIGTERM/SIGINT.  Returns the exit status: 0 after
 * a clean shutdown, 1 on a runtime failure, 2 on a bad configuration. */
int serve_tcp(const smtpp_config *cfg, const serve_tcp_args *a, int trace_on);

#endif
