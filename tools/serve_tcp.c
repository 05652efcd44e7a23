/*
 * serve_tcp.c - see serve_tcp.h.
 *
 * A connection is in one of three modes:
 *   READ    replies all written; the socket is read (EPOLLIN) and every
 *           read is fed to the parser at once
 *   WRITE   replies wait for the socket (EPOLLOUT); input the parser could
 *           not take yet waits in the connection's pend buffer
 *   LINGER  the session is over and its replies are written; our side is
 *           shut down and input is read and dropped until EOF or a short
 *           timeout, so the peer is not reset (a reset can destroy the last
 *           reply before the peer reads it)
 */
#define _GNU_SOURCE
#include "serve_tcp.h"

#include "cli.h"
#include "deliver.h"
#include "names.h"
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 4096u            /* one read; the pend buffer per connection */
#define MAX_EVENTS 256
#define LINGER_MS 2000          /* drain time after our side is closed */
#define SHUTDOWN_MS 5000        /* flush time after SIGTERM */
#define SWEEP_MS 200            /* timeout check period */
#define STALL_MAX 64            /* feed calls without progress = parser bug */
#define FD_RESERVE 16           /* descriptors besides the connections */

#define TAG_LISTEN UINT32_MAX
#define TAG_SIGNAL (UINT32_MAX - 1)

enum { MODE_READ = 0, MODE_WRITE, MODE_LINGER };

typedef struct conn {
  smtpp_session s;
  int fd;              /* -1: slot free */
  uint8_t mode;        /* MODE_* */
  uint8_t closing;     /* session over: after the flush, linger */
  uint8_t enhanced;    /* EHLO accepted: our own 421s carry x.y.z */
  uint16_t pend_len;   /* unfed input in pend[slot] */
  uint32_t events;     /* current epoll mask */
  uint32_t id;         /* connection number, for traces */
  int64_t t_start;     /* ms */
  int64_t t_active;    /* ms: last read, or last write progress */
  deliver_msg msg;
} conn;

typedef struct server {
  const smtpp_config *cfg;
  serve_tcp_args a;
  int ep, lfd, sfd, spare_fd;
  uint32_t max_conn;
  conn *conns;
  unsigned char (*pend)[IN_MAX];
  uint32_t *free_slots;
  uint32_t nfree;
  uint32_t active;
  int64_t idle_ms, session_ms;
  int delivery;        /* DELIVER_* */
  int shutting;
  int64_t shutdown_deadline;
  int64_t now;
  uint32_t next_id;
  /* --trace */
  int trace_on;
  trace *traces;
  char (*tags)[2][16];
  /* counters, printed at exit */
  uint64_t n_conn, n_rejected, n_msgs, n_failed, n_timeouts;
  char reply_idle[2][160], reply_session[2][160]; /* [enhanced] */
  unsigned char rbuf[IN_MAX];
} server;

/* Before any EHLO, so no enhanced code (RFC 2034 3; docs/PROTOCOL.md). */
static const char reply_too_many[] = "421 Too many connections, try again later\r\n";

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------
 * Options.
 * ------------------------------------------------------------------- */

void serve_tcp_usage(FILE *out) {
  fputs(
      "TCP server (--listen):\n"
      "  --listen ADDR:PORT  serve many sessions on TCP with one epoll loop:\n"
      "                      IPv4 127.0.0.1:2525, IPv6 [::1]:2525; port 0\n"
      "                      picks a free port.  Prints \"listening on\n"
      "                      ADDR:PORT\" to stderr once it accepts.  Runs until\n"
      "                      SIGTERM or SIGINT: then every open session gets\n"
      "                      421, replies are flushed and the exit status is 0\n"
      "  --max-conn N        sessions at once, 1..1000000 (default 1000); one\n"
      "                      more connection gets \"421 4.3.2 Too many\n"
      "                      connections\" and is closed\n"
      "  --idle-timeout SEC  close a session with no traffic for SEC seconds\n"
      "                      (default 300, RFC 5321 4.5.3.2.7)\n"
      "  --session-timeout SEC  close any session after SEC seconds (default\n"
      "                      3600)\n"
      "  --maildir DIR       deliver each accepted message to the Maildir DIR\n"
      "                      (DIR/tmp, then renamed to DIR/new; created if\n"
      "                      missing).  Default: discard\n"
      "  --mbox FILE         append each accepted message to the mbox FILE\n"
      "                      (mboxrd \">From \" quoting, flock)\n"
      "  --no-fsync          do not fsync delivered messages (faster; a crash\n"
      "                      can lose accepted mail)\n"
      "  A message is written as it arrives; it gets 250 only once it is\n"
      "  stored, else 451 4.3.0.  The parser options above apply to every\n"
      "  session.\n",
      out);
}

/* Checks ADDR:PORT (numeric; IPv6 in brackets).  Fills ss/len if given. */
static int parse_listen(const char *text, struct sockaddr_storage *ss,
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

int serve_tcp_apply_opt(serve_tcp_args *a, int id, const char *v) {
  uint64_t n;

  switch (id) {
  case SERVE_TCP_OPT_LISTEN:
    if (parse_listen(v, NULL, NULL) < 0)
      return CLI_EXIT_USAGE;
    a->listen = v;
    return -1;
  case SERVE_TCP_OPT_MAX_CONN:
    if (cli_parse_u64("serve", "--max-conn", v, 1, 1000000, &n) < 0)
      return CLI_EXIT_USAGE;
    a->max_conn = (uint32_t)n;
    break;
  case SERVE_TCP_OPT_IDLE_TIMEOUT:
    if (cli_parse_u64("serve", "--idle-timeout", v, 1, 86400 * 365, &n) < 0)
      return CLI_EXIT_USAGE;
    a->idle_timeout = (uint32_t)n;
    break;
  case SERVE_TCP_OPT_SESSION_TIMEOUT:
    if (cli_parse_u64("serve", "--session-timeout", v, 1, 86400 * 365, &n) <
        0)
      return CLI_EXIT_USAGE;
    a->session_timeout = (uint32_t)n;
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
  default:
    cli_usage_error("serve", "internal error: option id %d", id);
    return CLI_EXIT_USAGE;
  }
  a->any_tcp_only = 1;
  return -1;
}

/* ---------------------------------------------------------------------
 * Connections.
 * ------------------------------------------------------------------- */

static uint32_t slot_of(const server *sv, const conn *c) {
  return (uint32_t)(c - sv->conns);
}

static trace *tr_of(server *sv, conn *c) {
  static trace off; /* on == 0 */
  return sv->trace_on ? &sv->traces[slot_of(sv, c)] : &off;
}

static void set_events(server *sv, conn *c, uint32_t ev) {
  if (c->events == ev)
    return;
  struct epoll_event e;
  memset(&e, 0, sizeof e);
  e.events = ev;
  e.data.u32 = slot_of(sv, c);
  if (epoll_ctl(sv->ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
    c->events = ev;
}

static void close_conn(server *sv, conn *c, const char *why) {
  if (c->fd < 0)
    return;
  deliver_abort(&c->msg);
  if (sv->trace_on) {
    trace *t = tr_of(sv, c);
    trace_note(t, "conn %u closed: %s", c->id, why);
    trace_finish(t);
  }
  epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  c->pend_len = 0;
  sv->free_slots[sv->nfree++] = slot_of(sv, c);
  sv->active--;
}

static void start_linger(server *sv, conn *c) {
  deliver_abort(&c->msg);
  shutdown(c->fd, SHUT_WR);
  c->mode = MODE_LINGER;
  c->pend_len = 0;
  c->t_active = sv->now;
  set_events(sv, c, EPOLLIN);
}

/* Writes pending replies.  Returns 1 all written, 0 the socket is full,
 * -1 error. */
static int flush_out(server *sv, conn *c) {
  for (int rounds = 0;; rounds++) {
    size_t len = 0;
    const unsigned char *p = smtpp_out_buf(&c->s, &len);
    if (p == NULL || len == 0)
      return 1;
    if (rounds > 64) {
      fprintf(stderr, "smtpp serve: parser bug: reply buffer never drains\n");
      return -1;
    }
    ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
      return -1;
    }
    trace_server(tr_of(sv, c), p, (size_t)w);
    smtpp_out_ack(&c->s, (size_t)w);
    c->t_active = sv->now;
    if ((size_t)w < len)
      return 0;
  }
}

static int in_message(const conn *c) { return c->msg.open || c->msg.failed; }

static void on_event(server *sv, conn *c, const smtpp_event *ev) {
  if (sv->trace_on)
    trace_event(tr_of(sv, c), smtpp_get_state(&c->s), ev);
  if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_EHLO)
    c->enhanced = (sv->cfg->extensions & SMTPP_EXT_ENHANCEDSTATUSCODES) != 0;
  else if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_HELO)
    c->enhanced = 0;
  if (sv->delivery == DELIVER_DISCARD) {
    if (ev->type == SMTPP_EV_MESSAGE_END && !ev->error)
      sv->n_msgs++;
    return;
  }
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    if (ev->verb == SMTPP_VERB_BDAT || ev->verb == SMTPP_VERB_NOOP ||
        ev->verb == SMTPP_VERB_HELP || ev->verb == SMTPP_VERB_VRFY ||
        ev->verb == SMTPP_VERB_EXPN || ev->verb == SMTPP_VERB_RCPT ||
        ev->verb == SMTPP_VERB_DATA)
      break;
    /* Any other command ends an unfinished transaction. */
    if (in_message(c))
      deliver_abort(&c->msg);
    if (ev->verb == SMTPP_VERB_MAIL)
      deliver_sender(&c->msg, ev->path.p, ev->path.len);
    break;
  case SMTPP_EV_BODY:
    if (!in_message(c))
      (void)deliver_open(&c->msg);
    deliver_body(&c->msg, ev->arg.p, ev->arg.len);
    break;
  case SMTPP_EV_MESSAGE_END:
    if (ev->error) { /* the parser already failed it */
      deliver_abort(&c->msg);
      break;
    }
    if (!in_message(c))
      (void)deliver_open(&c->msg); /* an empty message */
    if (deliver_finish(&c->msg) == 0) {
      sv->n_msgs++;
    } else {
      sv->n_failed++;
      (void)smtpp_decide(&c->s, 451, "4.3.0",
                         "Local error in processing, message not accepted");
    }
    break;
  case SMTPP_EV_CLOSE:
    deliver_abort(&c->msg);
    break;
  default:
    break;
  }
}

/* Feeds buf[0..n) (buf may be the connection's pend buffer).  Leaves the
 * connection in READ, WRITE or LINGER mode, or closes it. */
static void run(server *sv, conn *c, const unsigned char *buf, size_t n) {
  size_t off = 0;
  int stalls = 0;

  if (!c->closing) {
    for (;;) {
      smtpp_event ev;
      size_t used = 0;
      int r = smtpp_feed(&c->s, buf + off, n - off, &used, &ev);
      if (used > n - off) {
        fprintf(stderr, "smtpp serve: parser bug: consumed %zu of %zu\n",
                used, n - off);
        close_conn(sv, c, "parser bug");
        return;
      }
      if (used)
        trace_client(tr_of(sv, c), buf + off, used);
      off += used;
      if (used)
        stalls = 0;
      if (r < 0) {
        fprintf(stderr, "smtpp serve: conn %u: smtpp_feed: %s\n", c->id,
                smtpp_err_name(r));
        (void)flush_out(sv, c);
        close_conn(sv, c, "parser error");
        return;
      }
      if (r == SMTPP_EVENT) {
        on_event(sv, c, &ev);
        if (smtpp_decision_pending(&c->s) == 1) /* no policy: defaults */
          (void)smtpp_decide_default(&c->s);
        if (ev.type == SMTPP_EV_CLOSE) {
          c->closing = 1;
          break;
        }
      } else if (r == SMTPP_CLOSED) {
        c->closing = 1;
        break;
      } else if (r == SMTPP_WANT_WRITE) {
        int w = flush_out(sv, c);
        if (w < 0) {
          close_conn(sv, c, "write error");
          return;
        }
        if (w == 0) { /* backpressure: keep the rest, stop reading */
          c->pend_len = (uint16_t)(n - off);
          if (c->pend_len)
            memmove(sv->pend[slot_of(sv, c)], buf + off, c->pend_len);
          c->mode = MODE_WRITE;
          set_events(sv, c, EPOLLOUT);
          return;
        }
      } else if (r == SMTPP_NEED_MORE) {
        break;
      } else {
        fprintf(stderr, "smtpp serve: parser bug: smtpp_feed returned %d\n",
                r);
        close_conn(sv, c, "parser bug");
        return;
      }
      if (used == 0 && r != SMTPP_EVENT && ++stalls > STALL_MAX) {
        fprintf(stderr, "smtpp serve: parser bug: no progress (%s)\n",
                names_feed_result(r));
        close_conn(sv, c, "parser bug");
        return;
      }
    }
  }
  c->pend_len = 0;
  int w = flush_out(sv, c);
  if (w < 0) {
    close_conn(sv, c, "write error");
    return;
  }
  if (w == 0) {
    c->mode = MODE_WRITE;
    set_events(sv, c, EPOLLOUT);
    return;
  }
  if (c->closing) {
    start_linger(sv, c);
    return;
  }
  c->mode = MODE_READ;
  set_events(sv, c, EPOLLIN);
}

static void on_conn(server *sv, conn *c, uint32_t events) {
  if (c->mode == MODE_LINGER) {
    for (int i = 0; i < 16; i++) {
      ssize_t r = read(c->fd, sv->rbuf, sizeof sv->rbuf);
      if (r > 0)
        continue;
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      close_conn(sv, c, "closed after the last reply");
      return;
    }
    return;
  }
  if (c->mode == MODE_WRITE) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      close_conn(sv, c, "peer gone");
      return;
    }
    if (!(events & EPOLLOUT))
      return;
    /* Feed what waited (maybe nothing: the parser may still have work). */
    run(sv, c, sv->pend[slot_of(sv, c)], c->pend_len);
    return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  ssize_t n = read(c->fd, sv->rbuf, sizeof sv->rbuf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return;
    close_conn(sv, c, strerror(errno));
    return;
  }
  if (n == 0) {
    close_conn(sv, c, "end of input");
    return;
  }
  c->t_active = sv->now;
  run(sv, c, sv->rbuf, (size_t)n);
}

/* Sends a final reply of ours (timeouts), only if no parser reply is half
 * way out, then lingers. */
static void end_with(server *sv, conn *c, const char *reply) {
  size_t len = 0;
  (void)smtpp_out_buf(&c->s, &len);
  deliver_abort(&c->msg);
  if (c->mode == MODE_READ && len == 0) {
    (void)send(c->fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
    trace_server(tr_of(sv, c), reply, strlen(reply));
    start_linger(sv, c);
  } else {
    close_conn(sv, c, "timeout with replies unsent");
  }
}

static void sweep(server *sv) {
  for (uint32_t i = 0; i < sv->max_conn; i++) {
    conn *c = &sv->conns[i];
    if (c->fd < 0)
      continue;
    if (c->mode == MODE_LINGER) {
      if (sv->now - c->t_active >= LINGER_MS)
        close_conn(sv, c, "linger timeout");
      continue;
    }
    if (sv->shutting)
      continue;
    if (sv->now - c->t_active >= sv->idle_ms) {
      sv->n_timeouts++;
      end_with(sv, c, sv->reply_idle[c->enhanced]);
    } else if (sv->now - c->t_start >= sv->session_ms) {
      sv->n_timeouts++;
      end_with(sv, c, sv->reply_session[c->enhanced]);
    }
  }
}

static void reject(server *sv, int fd) {
  (void)send(fd, reply_too_many, sizeof reply_too_many - 1,
             MSG_NOSIGNAL | MSG_DONTWAIT);
  close(fd);
  sv->n_rejected++;
}

static void on_accept(server *sv) {
  for (int k = 0; k < 256; k++) {
    int fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if ((errno == EMFILE || errno == ENFILE) && sv->spare_fd >= 0) {
        /* Out of descriptors: free the spare one to say 421. */
        close(sv->spare_fd);
        fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
          reject(sv, fd);
        sv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        fprintf(stderr, "smtpp serve: accept: %s\n", strerror(errno));
      return;
    }
    if (sv->nfree == 0) {
      reject(sv, fd);
      continue;
    }
    uint32_t slot = sv->free_slots[--sv->nfree];
    conn *c = &sv->conns[slot];
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->mode = MODE_READ;
    c->closing = 0;
    c->enhanced = 0;
    c->pend_len = 0;
    c->id = ++sv->next_id;
    c->t_start = c->t_active = sv->now;
    memset(&c->msg, 0, offsetof(deliver_msg, sender));
    c->msg.sender_len = 0;
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.u32 = slot;
    if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
      fprintf(stderr, "smtpp serve: epoll_ctl: %s\n", strerror(errno));
      close(fd);
      c->fd = -1;
      sv->free_slots[sv->nfree++] = slot;
      continue;
    }
    c->events = EPOLLIN;
    sv->active++;
    sv->n_conn++;
    if (sv->trace_on) {
      trace *t = &sv->traces[slot];
      trace_init(t, 1);
      snprintf(sv->tags[slot][0], sizeof sv->tags[slot][0], "C%u", c->id);
      snprintf(sv->tags[slot][1], sizeof sv->tags[slot][1], "S%u", c->id);
      t->client.tag = sv->tags[slot][0];
      t->server.tag = sv->tags[slot][1];
      trace_note(t, "conn %u open", c->id);
    }
    if (smtpp_init(&c->s, sv->cfg) < 0) { /* checked at start: cannot be */
      close_conn(sv, c, "smtpp_init failed");
      continue;
    }
    run(sv, c, sv->rbuf, 0); /* the 220 greeting */
  }
}

static void begin_shutdown(server *sv) {
  sv->shutting = 1;
  sv->shutdown_deadline = sv->now + SHUTDOWN_MS;
  if (sv->lfd >= 0) {
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, sv->lfd, NULL);
    close(sv->lfd);
    sv->lfd = -1;
  }
  for (uint32_t i = 0; i < sv->max_conn; i++) {
    conn *c = &sv->conns[i];
    if (c->fd < 0 || c->mode == MODE_LINGER)
      continue;
    deliver_abort(&c->msg); /* not accepted: the client gets 421 */
    if (smtpp_get_state(&c->s) != SMTPP_ST_CLOSED)
      (void)smtpp_shutdown(&c->s);
    c->closing = 1;
    if (c->mode == MODE_READ)
      run(sv, c, sv->rbuf, 0); /* flush, then linger */
    /* MODE_WRITE: EPOLLOUT flushes, then lingers (closing is set) */
  }
}

/* ---------------------------------------------------------------------
 * Setup.
 * ------------------------------------------------------------------- */

static void raise_nofile(server *sv) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
    return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    (void)getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur != RLIM_INFINITY &&
      (uint64_t)sv->max_conn + FD_RESERVE > (uint64_t)rl.rlim_cur) {
    uint32_t m = rl.rlim_cur > FD_RESERVE + 1
                     ? (uint32_t)(rl.rlim_cur - FD_RESERVE) : 1;
    fprintf(stderr, "smtpp serve: warning: the descriptor limit is %llu: "
                    "--max-conn lowered from %u to %u\n",
            (unsigned long long)rl.rlim_cur, sv->max_conn, m);
    sv->max_conn = m;
  }
}

static int open_listener(server *sv, const char *spec) {
  struct sockaddr_storage ss, got;
  socklen_t sslen = 0, glen = sizeof got;
  char host[INET6_ADDRSTRLEN];
  int one = 1;

  if (parse_listen(spec, &ss, &sslen) < 0)
    return CLI_EXIT_USAGE;
  sv->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
  if (sv->lfd < 0) {
    fprintf(stderr, "smtpp serve: socket: %s\n", strerror(errno));
    return CLI_EXIT_FAIL;
  }
  (void)setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(sv->lfd, (struct sockaddr *)&ss, sslen) < 0) {
    fprintf(stderr, "smtpp serve: cannot listen on %s: %s\n", spec,
            strerror(errno));
    return CLI_EXIT_FAIL;
  }
  if (listen(sv->lfd, 4096) < 0 ||
      getsockname(sv->lfd, (struct sockaddr *)&got, &glen) < 0) {
    fprintf(stderr, "smtpp serve: listen: %s\n", strerror(errno));
    return CLI_EXIT_FAIL;
  }
  if (got.ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&got;
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
    fprintf(stderr, "listening on [%s]:%u\n", host, ntohs(s6->sin6_port));
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&got;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
    fprintf(stderr, "listening on %s:%u\n", host, ntohs(s4->sin_port));
  }
  fflush(stderr);
  return 0;
}

static int setup(server *sv) {
  struct epoll_event e;
  sigset_t set;

  sv->conns = calloc(sv->max_conn, sizeof *sv->conns);
  sv->pend = calloc(sv->max_conn, sizeof *sv->pend);
  sv->free_slots = calloc(sv->max_conn, sizeof *sv->free_slots);
  if (sv->trace_on) {
    sv->traces = calloc(sv->max_conn, sizeof *sv->traces);
    sv->tags = calloc(sv->max_conn, sizeof *sv->tags);
  }
  if (!sv->conns || !sv->pend || !sv->free_slots ||
      (sv->trace_on && (!sv->traces || !sv->tags))) {
    fprintf(stderr, "smtpp serve: out of memory for %u connections\n",
            sv->max_conn);
    return CLI_EXIT_FAIL;
  }
  for (uint32_t i = 0; i < sv->max_conn; i++) {
    sv->conns[i].fd = -1;
    sv->free_slots[i] = sv->max_conn - 1 - i; /* slot 0 first */
  }
  sv->nfree = sv->max_conn;

  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
      (sv->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
    fprintf(stderr, "smtpp serve: signalfd: %s\n", strerror(errno));
    return CLI_EXIT_FAIL;
  }
  signal(SIGPIPE, SIG_IGN);
  sv->ep = epoll_create1(EPOLL_CLOEXEC);
  if (sv->ep < 0) {
    fprintf(stderr, "smtpp serve: epoll_create1: %s\n", strerror(errno));
    return CLI_EXIT_FAIL;
  }
  memset(&e, 0, sizeof e);
  e.events = EPOLLIN;
  e.data.u32 = TAG_SIGNAL;
  epoll_ctl(sv->ep, EPOLL_CTL_ADD, sv->sfd, &e);
  e.data.u32 = TAG_LISTEN;
  if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, sv->lfd, &e) < 0) {
    fprintf(stderr, "smtpp serve: epoll_ctl: %s\n", strerror(errno));
    return CLI_EXIT_FAIL;
  }
  sv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return 0;
}

int serve_tcp(const smtpp_config *cfg, const serve_tcp_args *a,
              int trace_on) {
  static server S; /* large: keep it off the stack */
  server *sv = &S;
  struct epoll_event evs[MAX_EVENTS];
  deliver_cfg dc;
  smtpp_session probe;
  int r;

  memset(sv, 0, sizeof *sv);
  sv->cfg = cfg;
  sv->a = *a;
  sv->lfd = sv->sfd = sv->ep = sv->spare_fd = -1;
  sv->trace_on = trace_on;
  sv->max_conn = a->max_conn ? a->max_conn : 1000;
  sv->idle_ms = (int64_t)(a->idle_timeout ? a->idle_timeout : 300) * 1000;
  sv->session_ms =
      (int64_t)(a->session_timeout ? a->session_timeout : 3600) * 1000;

  r = smtpp_init(&probe, cfg);
  if (r < 0) {
    fprintf(stderr, "smtpp serve: configuration refused: %s (%s)\n",
            smtpp_err_name(r), smtpp_err_reason(r));
    return CLI_EXIT_USAGE;
  }
  {
    const char *h = cfg->hostname ? cfg->hostname : "localhost";
    /* RFC 2034: the enhanced code only in an EHLO session. */
    for (int e = 0; e < 2; e++) {
      snprintf(sv->reply_idle[e], sizeof sv->reply_idle[e],
               "421 %s%.60s Idle timeout, closing connection\r\n",
               e ? "4.4.2 " : "", h);
      snprintf(sv->reply_session[e], sizeof sv->reply_session[e],
               "421 %s%.60s Session time limit, closing connection\r\n",
               e ? "4.4.2 " : "", h);
    }
  }
  memset(&dc, 0, sizeof dc);
  dc.no_fsync = a->no_fsync;
  if (a->maildir) {
    dc.kind = DELIVER_MAILDIR;
    dc.path = a->maildir;
  } else if (a->mbox) {
    dc.kind = DELIVER_MBOX;
    dc.path = a->mbox;
  }
  sv->delivery = dc.kind;
  if (deliver_setup(&dc) < 0)
    return CLI_EXIT_USAGE;

  raise_nofile(sv);
  r = open_listener(sv, a->listen);
  if (r == 0)
    r = setup(sv);
  if (r != 0)
    return r;

  sv->now = now_ms();
  int64_t last_sweep = sv->now;
  for (;;) {
    int n = epoll_wait(sv->ep, evs, MAX_EVENTS, SWEEP_MS);
    if (n < 0 && errno != EINTR) {
      fprintf(stderr, "smtpp serve: epoll_wait: %s\n", strerror(errno));
      r = CLI_EXIT_FAIL;
      break;
    }
    sv->now = now_ms();
    for (int i = 0; i < n; i++) {
      uint32_t tag = evs[i].data.u32;
      if (tag == TAG_LISTEN) {
        if (!sv->shutting)
          on_accept(sv);
      } else if (tag == TAG_SIGNAL) {
        struct signalfd_siginfo si;
        while (read(sv->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
          if (!sv->shutting) {
            fprintf(stderr, "smtpp serve: signal %u: shutting down\n",
                    si.ssi_signo);
            begin_shutdown(sv);
          }
        }
      } else if (tag < sv->max_conn && sv->conns[tag].fd >= 0) {
        on_conn(sv, &sv->conns[tag], evs[i].events);
      }
    }
    if (sv->now - last_sweep >= SWEEP_MS) {
      last_sweep = sv->now;
      sweep(sv);
    }
    if (sv->shutting && (sv->active == 0 || sv->now >= sv->shutdown_deadline))
      break;
  }
  for (uint32_t i = 0; i < sv->max_conn; i++)
    if (sv->conns[i].fd >= 0)
      close_conn(sv, &sv->conns[i], "shutdown");
  fprintf(stderr, "smtpp serve: %llu connections, %llu refused over "
                  "--max-conn, %llu timed out, %llu messages accepted, %llu "
                  "deliveries failed\n",
          (unsigned long long)sv->n_conn, (unsigned long long)sv->n_rejected,
          (unsigned long long)sv->n_timeouts, (unsigned long long)sv->n_msgs,
          (unsigned long long)sv->n_failed);
  deliver_teardown();
  if (sv->lfd >= 0)
    close(sv->lfd);
  close(sv->ep);
  close(sv->sfd);
  if (sv->spare_fd >= 0)
    close(sv->spare_fd);
  free(sv->conns);
  free(sv->pend);
  free(sv->free_slots);
  free(sv->traces);
  free(sv->tags);
  return r;
}
