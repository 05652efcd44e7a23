/*
 * serve_tcp.c - see serve_tcp.h.
 *
 * A connection is in one of four modes:
 *   READ    replies all written; the socket is read (EPOLLIN) and every
 *           read is fed to the parser at once
 *   WRITE   replies wait for the socket (EPOLLOUT); input the parser could
 *           not take yet waits in the connection's pend buffer
 *   DISK    its message is with the writer thread (writer.h): the socket is
 *           out of epoll, unfed input waits in pend, the end-of-message
 *           decision stays pending (the session is paused: no 250 can go
 *           out before the message is durable) and no timeout applies; the
 *           writer's eventfd brings it back
 *   LINGER  the session is over and its replies are written; our side is
 *           shut down and input is read and dropped until EOF or a short
 *           timeout, so the peer is not reset (a reset can destroy the last
 *           reply before the peer reads it)
 *
 * Slow clients (RFC 5321 4.5.3.2): --command-timeout counts from the last
 * complete command, so octets trickled one at a time do not keep a session
 * alive; --min-rate bounds a body sent slowly; at capacity the session
 * waiting longest for a command (over --reclaim-after) is closed so a new
 * client gets its slot; --idle-timeout and --session-timeout as before.
 */
#define _GNU_SOURCE
#include "serve_tcp.h"

#include "cli.h"
#include "deliver.h"
#include "names.h"
#include "sinklog.h"
#include "trace.h"
#include "writer.h"

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
#define RATE_GRACE_MS 10000     /* --min-rate applies to bodies this old */
#define STALL_MAX 64            /* feed calls without progress = parser bug */
#define FD_RESERVE 16           /* descriptors besides the connections */
#define HELO_MAX 256            /* kept for the Received line */
#define PEER_MAX 64             /* "[ffff:...]:65535" */
#define RCPT_LOG_MAX 512        /* recipients kept for the message log */

#define TAG_LISTEN UINT32_MAX
#define TAG_SIGNAL (UINT32_MAX - 1)
#define TAG_WRITER (UINT32_MAX - 2)

enum { MODE_READ = 0, MODE_WRITE, MODE_DISK, MODE_LINGER };

/* Our own 421s, one per reason ([enhanced]: after EHLO, RFC 2034 3). */
enum { BYE_IDLE = 0, BYE_SESSION, BYE_COMMAND, BYE_RATE, BYE_RECLAIM,
       BYE__COUNT };
static const char *const bye_text[BYE__COUNT] = {
    "Idle timeout, closing connection",
    "Session time limit, closing connection",
    "Command timeout, closing connection",
    "Data rate too low, closing connection",
    "Server busy, closing idle connection",
};
static const char *const bye_reason[BYE__COUNT] = {
    "idle timeout", "session time limit", "command timeout",
    "data rate too low", "reclaimed at capacity",
};

typedef struct conn {
  smtpp_session s;
  int fd;              /* -1: slot free */
  uint8_t mode;        /* MODE_* */
  uint8_t closing;     /* session over: after the flush, linger */
  uint8_t enhanced;    /* EHLO accepted: our own 421s carry x.y.z */
  uint8_t esmtp;       /* EHLO (not HELO): "with ESMTP" */
  uint8_t in_tx;       /* MAIL accepted, message not ended */
  uint8_t in_body;     /* DATA/BDAT begun in this transaction */
  uint8_t peer_v6;
  uint8_t rcpt_cut;    /* rcpts[] could not hold every recipient */
  uint16_t pend_len;   /* unfed input in pend[slot] */
  uint16_t helo_len;
  uint16_t rcpt_len;   /* octets used in rcpts[] */
  uint32_t nrcpt;
  uint32_t events;     /* current epoll mask, 0 = not in epoll */
  uint32_t id;         /* connection number, for logs and traces */
  uint32_t n_msgs;     /* messages accepted on this connection */
  int64_t t_start;     /* ms */
  int64_t t_active;    /* ms: last read, or last write progress */
  int64_t t_cmd;       /* ms: last complete command (or the greeting) */
  int64_t t_body;      /* ms: DATA/BDAT began */
  uint64_t msg_size;   /* MESSAGE_END size of the message at the writer */
  uint64_t body_octets; /* body so far (for --min-rate and the log) */
  char peer_ip[INET6_ADDRSTRLEN];
  char peer[PEER_MAX]; /* "192.0.2.1:1234", "[2001:db8::1]:1234" */
  char helo[HELO_MAX];
  char rcpts[RCPT_LOG_MAX]; /* recipients, each NUL-terminated */
  deliver_msg msg;
} conn;

typedef struct server {
  const smtpp_config *cfg;
  serve_tcp_args a;
  const char *hostname;
  int ep, lfd, sfd, spare_fd, wfd;
  uint32_t max_conn;
  conn *conns;
  unsigned char (*pend)[IN_MAX];
  uint32_t *free_slots;
  uint32_t nfree;
  uint32_t active;
  int64_t idle_ms, session_ms, command_ms, reclaim_ms;
  int delivery;        /* DELIVER_* */
  int shutting;
  int64_t shutdown_deadline;
  int64_t now;
  int64_t t_started;
  uint32_t next_id;
  /* --trace */
  int trace_on;
  trace *traces;
  char (*tags)[2][16];
  /* counters, logged on SIGUSR1, every --stats-interval and at exit */
  uint64_t n_conn, n_refused_full, n_refused_fd, n_reclaimed, n_timeouts;
  uint64_t n_msgs, n_failed, n_rejected_msgs;
  char bye[BYE__COUNT][2][160]; /* [reason][enhanced] */
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
 * Connections.
 * ------------------------------------------------------------------- */

static uint32_t slot_of(const server *sv, const conn *c) {
  return (uint32_t)(c - sv->conns);
}

static trace *tr_of(server *sv, conn *c) {
  static trace off; /* on == 0 */
  return sv->trace_on ? &sv->traces[slot_of(sv, c)] : &off;
}

/* ev == 0 takes the socket out of epoll (a parked connection: no level-
 * triggered EPOLLHUP can spin the loop meanwhile). */
static void set_events(server *sv, conn *c, uint32_t ev) {
  if (c->events == ev)
    return;
  if (ev == 0) {
    if (epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->fd, NULL) == 0)
      c->events = 0;
    return;
  }
  struct epoll_event e;
  memset(&e, 0, sizeof e);
  e.events = ev;
  e.data.u32 = slot_of(sv, c);
  if (epoll_ctl(sv->ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
                &e) == 0)
    c->events = ev;
}

static int in_body_state(const conn *c) {
  int st = smtpp_get_state(&c->s);
  return st == SMTPP_ST_DATA_TEXT || st == SMTPP_ST_BDAT_CHUNK;
}

/* ---- the log ---- */

static void log_peer(sinklog_line *l, const conn *c) {
  sinklog_u64(l, "conn", c->id);
  sinklog_cstr(l, "peer", c->peer);
}

/* One line per message that reached its end (or was cut off in its
 * body): code is the reply it got, 0 if none. */
static void log_message(server *sv, conn *c, int code, uint64_t size,
                        const char *why) {
  char file[4300];
  sinklog_line *l = sinklog_begin("message");
  if (!l)
    return;
  log_peer(l, c);
  sinklog_str(l, "helo", c->helo, c->helo_len);
  sinklog_str(l, "from", c->msg.sender, c->msg.sender_len);
  sinklog_list_begin(l, "rcpt");
  for (size_t off = 0; off < c->rcpt_len;) {
    size_t n = strlen(c->rcpts + off);
    sinklog_list_item(l, c->rcpts + off, n);
    off += n + 1;
  }
  sinklog_list_end(l);
  sinklog_u64(l, "nrcpt", c->nrcpt);
  if (c->rcpt_cut)
    sinklog_u64(l, "rcpt_cut", 1);
  sinklog_u64(l, "size", size);
  sinklog_u64(l, "result", (uint64_t)code);
  if (why)
    sinklog_cstr(l, "reason", why);
  if (code == 250 && sv->delivery != DELIVER_DISCARD) {
    deliver_file_name(&c->msg, file, sizeof file);
    sinklog_cstr(l, "file", file);
  }
  sinklog_end(l);
}

static void log_counters(server *sv, const char *event) {
  sinklog_line *l = sinklog_begin(event);
  if (!l)
    return;
  sinklog_u64(l, "uptime_s", (uint64_t)(sv->now - sv->t_started) / 1000);
  sinklog_u64(l, "connections", sv->n_conn);
  sinklog_u64(l, "open", sv->active);
  sinklog_u64(l, "refused_full", sv->n_refused_full);
  sinklog_u64(l, "refused_no_fd", sv->n_refused_fd);
  sinklog_u64(l, "reclaimed", sv->n_reclaimed);
  sinklog_u64(l, "timed_out", sv->n_timeouts);
  sinklog_u64(l, "accepted", sv->n_msgs);
  sinklog_u64(l, "rejected", sv->n_rejected_msgs);
  sinklog_u64(l, "failed", sv->n_failed);
  sinklog_u64(l, "log_dropped", sinklog_dropped());
  sinklog_end(l);
}

static void close_conn(server *sv, conn *c, const char *why) {
  if (c->fd < 0)
    return;
  if (c->in_body && !c->msg.inflight)
    log_message(sv, c, 0, c->body_octets, why);
  c->in_body = c->in_tx = 0;
  deliver_abort(&c->msg);
  if (sv->trace_on) {
    trace *t = tr_of(sv, c);
    trace_note(t, "conn %u closed: %s", c->id, why);
    trace_finish(t);
  }
  sinklog_line *l = sinklog_begin("disconnect");
  log_peer(l, c);
  sinklog_cstr(l, "reason", why);
  sinklog_u64(l, "duration_ms", (uint64_t)(sv->now - c->t_start));
  sinklog_u64(l, "messages", c->n_msgs);
  sinklog_end(l);
  if (c->events)
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->fd, NULL);
  c->events = 0;
  close(c->fd);
  c->fd = -1;
  c->pend_len = 0;
  sv->free_slots[sv->nfree++] = slot_of(sv, c);
  sv->active--;
}

static void start_linger(server *sv, conn *c) {
  if (c->in_body)
    log_message(sv, c, 0, c->body_octets, "session ended in the body");
  c->in_body = c->in_tx = 0;
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

/* ---- the envelope ---- */

static void keep_helo(conn *c, const smtpp_slice *arg, int esmtp) {
  size_t n = arg->len < HELO_MAX ? arg->len : HELO_MAX;
  memcpy(c->helo, arg->p, n);
  c->helo_len = (uint16_t)n;
  c->esmtp = (uint8_t)esmtp;
}

static void keep_rcpt(conn *c, const smtpp_slice *path) {
  c->nrcpt++;
  if (c->rcpt_cut || c->rcpt_len + path->len + 1 > RCPT_LOG_MAX) {
    c->rcpt_cut = 1;
    return;
  }
  memcpy(c->rcpts + c->rcpt_len, path->p, path->len);
  c->rcpt_len = (uint16_t)(c->rcpt_len + path->len);
  c->rcpts[c->rcpt_len++] = 0;
}

static void end_transaction(conn *c) {
  c->in_tx = c->in_body = 0;
  c->body_octets = 0;
  c->nrcpt = 0;
  c->rcpt_len = 0;
  c->rcpt_cut = 0;
}

static void begin_body(server *sv, conn *c) {
  deliver_stamp st;
  if (c->in_body)
    return;
  c->in_body = 1;
  c->t_body = sv->now;
  memset(&st, 0, sizeof st);
  st.helo = c->helo;
  st.helo_len = c->helo_len;
  st.esmtp = c->esmtp;
  st.peer_ip = c->peer_ip;
  st.peer_v6 = c->peer_v6;
  st.by = sv->hostname;
  st.conn_id = c->id;
  if (c->nrcpt == 1 && !c->rcpt_cut) {
    st.rcpt = (const unsigned char *)c->rcpts;
    st.rcpt_len = strlen(c->rcpts);
  }
  deliver_received(&c->msg, &st);
}

/* Handles one event.  Returns 1 when the connection must park (its
 * message went to the writer thread), else 0. */
static int on_event(server *sv, conn *c, const smtpp_event *ev) {
  if (sv->trace_on)
    trace_event(tr_of(sv, c), smtpp_get_state(&c->s), ev);
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    c->t_cmd = sv->now;
    switch (ev->verb) {
    case SMTPP_VERB_RCPT:
      keep_rcpt(c, &ev->path);
      deliver_rcpt(&c->msg, ev->path.p, ev->path.len);
      break;
    case SMTPP_VERB_DATA:
    case SMTPP_VERB_BDAT:
      begin_body(sv, c);
      break;
    case SMTPP_VERB_NOOP:
    case SMTPP_VERB_HELP:
    case SMTPP_VERB_VRFY:
    case SMTPP_VERB_EXPN:
      break;
    default:
      /* Any other command ends an unfinished transaction (RFC 5321
       * 4.1.1.5 RSET, 4.1.4 EHLO/HELO; MAIL starts a new one). */
      deliver_abort(&c->msg);
      end_transaction(c);
      if (ev->verb == SMTPP_VERB_EHLO || ev->verb == SMTPP_VERB_HELO) {
        c->enhanced = ev->verb == SMTPP_VERB_EHLO &&
                      (sv->cfg->extensions & SMTPP_EXT_ENHANCEDSTATUSCODES);
        keep_helo(c, &ev->arg, ev->verb == SMTPP_VERB_EHLO);
      } else if (ev->verb == SMTPP_VERB_MAIL) {
        c->in_tx = 1;
        (void)deliver_begin(&c->msg, ev->path.p, ev->path.len);
      }
    }
    break;
  case SMTPP_EV_PROTOCOL_ERROR:
    c->t_cmd = sv->now;
    /* A refused BDAT can end the transaction (RFC 3030 2). */
    if (c->in_tx && smtpp_get_state(&c->s) <= SMTPP_ST_CMD_AFTER_HELO) {
      if (c->in_body) {
        sv->n_rejected_msgs++;
        log_message(sv, c, smtpp_err_code(ev->error), c->body_octets,
                    smtpp_err_name(ev->error));
      }
      deliver_abort(&c->msg);
      end_transaction(c);
    }
    break;
  case SMTPP_EV_AUTH_RESPONSE:
    c->t_cmd = sv->now;
    break;
  case SMTPP_EV_BODY:
    c->body_octets = ev->message_size; /* running total */
    deliver_body(&c->msg, ev->arg.p, ev->arg.len,
                 (ev->flags & SMTPP_EVF_OVER_SIZE) != 0);
    break;
  case SMTPP_EV_MESSAGE_END: {
    c->t_cmd = sv->now;
    if (ev->error) { /* the parser already failed it (552, 500, ...) */
      sv->n_rejected_msgs++;
      log_message(sv, c, smtpp_err_code(ev->error), ev->message_size,
                  smtpp_err_name(ev->error));
      deliver_abort(&c->msg);
      end_transaction(c);
      break;
    }
    int r = deliver_end(&c->msg);
    if (r > 0) {
      c->msg_size = ev->message_size;
      c->msg.tag = slot_of(sv, c);
      writer_submit(&c->msg);
      return 1;
    }
    if (r == 0) {
      sv->n_msgs++;
      c->n_msgs++;
      log_message(sv, c, 250, ev->message_size, NULL);
    } else {
      sv->n_failed++;
      (void)smtpp_decide(&c->s, 451, "4.3.0",
                         "Local error in processing, message not accepted");
      log_message(sv, c, 451, ev->message_size, "not stored");
    }
    end_transaction(c);
    break;
  }
  case SMTPP_EV_CLOSE:
    deliver_abort(&c->msg);
    break;
  default:
    break;
  }
  return 0;
}

/* Keeps buf[off..n) in the connection's pend buffer (buf may be it). */
static void keep_input(server *sv, conn *c, const unsigned char *buf,
                       size_t n, size_t off) {
  c->pend_len = (uint16_t)(n - off);
  if (c->pend_len)
    memmove(sv->pend[slot_of(sv, c)], buf + off, c->pend_len);
}

/* Feeds buf[0..n) (buf may be the connection's pend buffer).  Leaves the
 * connection in READ, WRITE, DISK or LINGER mode, or closes it. */
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
        if (on_event(sv, c, &ev)) { /* park until the message is durable */
          keep_input(sv, c, buf, n, off);
          c->mode = MODE_DISK;
          set_events(sv, c, 0);
          return;
        }
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
          keep_input(sv, c, buf, n, off);
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

/* The writer is done with a parked connection's message: answer it (250,
 * or 451 if it could not be made durable) and go on with its input. */
static void on_written(server *sv, conn *c) {
  if (c->msg.result == 0) {
    sv->n_msgs++;
    c->n_msgs++;
    (void)smtpp_decide_default(&c->s); /* 250: the session was paused */
    log_message(sv, c, 250, c->msg_size, NULL);
  } else {
    sv->n_failed++;
    (void)smtpp_decide(&c->s, 451, "4.3.0",
                       "Local error in processing, message not accepted");
    log_message(sv, c, 451, c->msg_size, "not stored");
  }
  end_transaction(c);
  c->mode = MODE_READ;
  c->t_cmd = c->t_active = sv->now;
  if (sv->shutting) {
    /* The decision is applied first, then 421 (smtpp_shutdown). */
    if (smtpp_get_state(&c->s) != SMTPP_ST_CLOSED)
      (void)smtpp_shutdown(&c->s);
    c->closing = 1;
  }
  run(sv, c, sv->pend[slot_of(sv, c)], c->pend_len);
}

static void on_writer(server *sv) {
  deliver_msg *done[MAX_EVENTS];
  size_t n = writer_take(done, MAX_EVENTS);
  for (size_t i = 0; i < n; i++) {
    conn *c = &sv->conns[done[i]->tag];
    if (c->fd >= 0 && c->mode == MODE_DISK)
      on_written(sv, c);
  }
}

static void on_conn(server *sv, conn *c, uint32_t events) {
  if (c->mode == MODE_DISK)
    return; /* out of epoll; a stale event from the same batch */
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
    close_conn(sv, c, c->closing ? "closed" : "end of input");
    return;
  }
  c->t_active = sv->now;
  run(sv, c, sv->rbuf, (size_t)n);
}

/* Sends one of our 421s, only if no parser reply is half way out, then
 * lingers. */
static void end_with(server *sv, conn *c, int bye) {
  const char *reply = sv->bye[bye][c->enhanced];
  size_t len = 0;
  (void)smtpp_out_buf(&c->s, &len);
  sv->n_timeouts++;
  if (c->in_body)
    log_message(sv, c, 421, c->body_octets, bye_reason[bye]);
  c->in_body = c->in_tx = 0;
  deliver_abort(&c->msg);
  if (c->mode == MODE_READ && len == 0) {
    (void)send(c->fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
    trace_server(tr_of(sv, c), reply, strlen(reply));
    sinklog_line *l = sinklog_begin("timeout");
    log_peer(l, c);
    sinklog_cstr(l, "reason", bye_reason[bye]);
    sinklog_end(l);
    start_linger(sv, c);
  } else {
    close_conn(sv, c, bye_reason[bye]);
  }
}

/* Which limit a session is over, or -1. */
static int over_limit(server *sv, conn *c) {
  if (sv->now - c->t_active >= sv->idle_ms)
    return BYE_IDLE;
  if (sv->now - c->t_start >= sv->session_ms)
    return BYE_SESSION;
  if (in_body_state(c)) {
    int64_t age = sv->now - c->t_body;
    if (sv->a.min_rate && age >= RATE_GRACE_MS &&
        c->body_octets * 1000 < (uint64_t)sv->a.min_rate * (uint64_t)age)
      return BYE_RATE;
  } else if (sv->now - c->t_cmd >= sv->command_ms) {
    return BYE_COMMAND;
  }
  return -1;
}

static void sweep(server *sv) {
  for (uint32_t i = 0; i < sv->max_conn; i++) {
    conn *c = &sv->conns[i];
    if (c->fd < 0 || c->mode == MODE_DISK)
      continue;
    if (c->mode == MODE_LINGER) {
      if (sv->now - c->t_active >= LINGER_MS)
        close_conn(sv, c, "linger timeout");
      continue;
    }
    if (sv->shutting)
      continue;
    int bye = over_limit(sv, c);
    if (bye >= 0)
      end_with(sv, c, bye);
  }
}

/* At capacity: frees the slot of a lingering session (its replies are
 * out), else of the session waiting longest for a command if that is over
 * --reclaim-after.  Returns 1 if a slot was freed. */
static int reclaim(server *sv) {
  conn *victim = NULL;
  int64_t worst = -1;
  for (uint32_t i = 0; i < sv->max_conn; i++) {
    conn *c = &sv->conns[i];
    if (c->fd < 0)
      continue;
    if (c->mode == MODE_LINGER) {
      close_conn(sv, c, "closed after the last reply (slot needed)");
      return 1;
    }
    if (sv->reclaim_ms <= 0 || c->mode != MODE_READ || in_body_state(c))
      continue;
    int64_t wait = sv->now - c->t_cmd;
    if (wait >= sv->reclaim_ms && wait > worst) {
      worst = wait;
      victim = c;
    }
  }
  if (victim == NULL)
    return 0;
  size_t len = 0;
  (void)smtpp_out_buf(&victim->s, &len);
  if (len == 0) {
    const char *reply = sv->bye[BYE_RECLAIM][victim->enhanced];
    (void)send(victim->fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
    trace_server(tr_of(sv, victim), reply, strlen(reply));
  }
  /* Drop what it sent but we did not read, so close() is less likely to
   * reset the connection before the 421 is read. */
  while (recv(victim->fd, sv->rbuf, sizeof sv->rbuf, MSG_DONTWAIT) > 0)
    ;
  shutdown(victim->fd, SHUT_WR);
  sv->n_reclaimed++;
  close_conn(sv, victim, bye_reason[BYE_RECLAIM]);
  return 1;
}

static void refuse(server *sv, int fd, const char *peer, int no_fd) {
  (void)send(fd, reply_too_many, sizeof reply_too_many - 1,
             MSG_NOSIGNAL | MSG_DONTWAIT);
  close(fd);
  if (no_fd)
    sv->n_refused_fd++;
  else
    sv->n_refused_full++;
  sinklog_line *l = sinklog_begin("refuse");
  sinklog_cstr(l, "peer", peer);
  sinklog_cstr(l, "reason", no_fd ? "out of descriptors" : "--max-conn");
  sinklog_end(l);
}

static void peer_name(const struct sockaddr_storage *ss, char *ip,
                      size_t ipcap, char *peer, size_t cap, uint8_t *v6) {
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)ipcap);
    snprintf(peer, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
    *v6 = 1;
  } else if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)ipcap);
    snprintf(peer, cap, "%s:%u", ip, ntohs(s4->sin_port));
    *v6 = 0;
  } else {
    snprintf(ip, ipcap, "unknown");
    snprintf(peer, cap, "unknown");
    *v6 = 0;
  }
}

static void on_accept(server *sv) {
  for (int k = 0; k < 256; k++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN], peer[PEER_MAX];
    uint8_t v6;
    memset(&ss, 0, sizeof ss);
    int fd = accept4(sv->lfd, (struct sockaddr *)&ss, &sl,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if ((errno == EMFILE || errno == ENFILE) && sv->spare_fd >= 0) {
        /* Out of descriptors: free the spare one to say 421. */
        close(sv->spare_fd);
        sl = sizeof ss;
        fd = accept4(sv->lfd, (struct sockaddr *)&ss, &sl,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
          peer_name(&ss, ip, sizeof ip, peer, sizeof peer, &v6);
          refuse(sv, fd, peer, 1);
        }
        sv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return; /* the rest wait until a descriptor is free */
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        fprintf(stderr, "smtpp serve: accept: %s\n", strerror(errno));
      return;
    }
    peer_name(&ss, ip, sizeof ip, peer, sizeof peer, &v6);
    if (sv->nfree == 0 && !reclaim(sv)) {
      refuse(sv, fd, peer, 0);
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
    c->esmtp = 0;
    c->helo_len = 0;
    c->pend_len = 0;
    c->n_msgs = 0;
    c->id = ++sv->next_id;
    c->t_start = c->t_active = c->t_cmd = sv->now;
    memcpy(c->peer_ip, ip, sizeof ip);
    memcpy(c->peer, peer, sizeof peer);
    c->peer_v6 = v6;
    end_transaction(c);
    memset(&c->msg, 0, offsetof(deliver_msg, sender));
    c->events = 0;
    set_events(sv, c, EPOLLIN);
    if (c->events == 0) {
      fprintf(stderr, "smtpp serve: epoll_ctl: %s\n", strerror(errno));
      close(fd);
      c->fd = -1;
      sv->free_slots[sv->nfree++] = slot;
      continue;
    }
    sv->active++;
    sv->n_conn++;
    sinklog_line *l = sinklog_begin("connect");
    log_peer(l, c);
    sinklog_end(l);
    if (sv->trace_on) {
      trace *t = &sv->traces[slot];
      trace_init(t, 1);
      snprintf(sv->tags[slot][0], sizeof sv->tags[slot][0], "C%u", c->id);
      snprintf(sv->tags[slot][1], sizeof sv->tags[slot][1], "S%u", c->id);
      t->client.tag = sv->tags[slot][0];
      t->server.tag = sv->tags[slot][1];
      trace_note(t, "conn %u open from %s", c->id, c->peer);
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
    /* MODE_DISK: on_written() answers the message, then says 421. */
    if (c->fd < 0 || c->mode == MODE_LINGER || c->mode == MODE_DISK)
      continue;
    if (c->in_body)
      log_message(sv, c, 421, c->body_octets, "shutdown");
    c->in_body = c->in_tx = 0;
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

  if (serve_tcp_parse_listen(spec, &ss, &sslen) < 0)
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

/* Before "listening on" is printed: a SIGTERM sent as soon as that line
 * is seen must find the signals already routed to the signalfd.  Before
 * the writer thread starts, so it inherits the mask. */
static int block_signals(server *sv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
      (sv->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
    fprintf(stderr, "smtpp serve: signalfd: %s\n", strerror(errno));
    return CLI_EXIT_FAIL;
  }
  return 0;
}

static int setup(server *sv) {
  struct epoll_event e;

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
  if (sv->delivery != DELIVER_DISCARD || sinklog_enabled()) {
    sv->wfd = writer_start(sv->max_conn);
    if (sv->wfd < 0)
      return CLI_EXIT_FAIL;
    e.data.u32 = TAG_WRITER;
    if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, sv->wfd, &e) < 0) {
      fprintf(stderr, "smtpp serve: epoll_ctl: %s\n", strerror(errno));
      return CLI_EXIT_FAIL;
    }
  }
  sv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return 0;
}


static void on_signal(server *sv) {
  struct signalfd_siginfo si;
  while (read(sv->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGUSR1) {
      log_counters(sv, "stats");
    } else if (!sv->shutting) {
      sinklog_line *l = sinklog_begin("shutdown");
      sinklog_u64(l, "signal", si.ssi_signo);
      sinklog_end(l);
      begin_shutdown(sv);
    }
  }
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
  sv->lfd = sv->sfd = sv->ep = sv->spare_fd = sv->wfd = -1;
  sv->trace_on = trace_on;
  sv->max_conn = a->max_conn;
  sv->idle_ms = (int64_t)a->idle_timeout * 1000;
  sv->session_ms = (int64_t)a->session_timeout * 1000;
  sv->command_ms = (int64_t)a->command_timeout * 1000;
  sv->reclaim_ms = (int64_t)a->reclaim_after * 1000;
  sinklog_set_format(a->log_format);

  r = smtpp_init(&probe, cfg);
  if (r < 0) {
    fprintf(stderr, "smtpp serve: configuration refused: %s (%s)\n",
            smtpp_err_name(r), smtpp_err_reason(r));
    return CLI_EXIT_USAGE;
  }
  sv->hostname = cfg->hostname ? cfg->hostname : "localhost";
  for (int b = 0; b < BYE__COUNT; b++)
    for (int e = 0; e < 2; e++) /* RFC 2034: x.y.z only after EHLO */
      snprintf(sv->bye[b][e], sizeof sv->bye[b][e], "421 %s%.60s %s\r\n",
               e ? "4.4.2 " : "", sv->hostname, bye_text[b]);
  memset(&dc, 0, sizeof dc);
  dc.no_fsync = a->no_fsync;
  dc.max_conn = a->max_conn;
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
  r = block_signals(sv);
  if (r == 0)
    r = open_listener(sv, a->listen);
  if (r == 0)
    r = setup(sv);
  if (r != 0) {
    writer_stop();
    return r;
  }

  sv->now = sv->t_started = now_ms();
  int64_t last_sweep = sv->now, last_stats = sv->now;
  int64_t stats_ms = (int64_t)a->stats_interval * 1000;
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
        on_signal(sv);
      } else if (tag == TAG_WRITER) {
        on_writer(sv);
      } else if (tag < sv->max_conn && sv->conns[tag].fd >= 0) {
        on_conn(sv, &sv->conns[tag], evs[i].events);
      }
    }
    if (sv->now - last_sweep >= SWEEP_MS) {
      last_sweep = sv->now;
      sweep(sv);
    }
    if (stats_ms && sv->now - last_stats >= stats_ms) {
      last_stats = sv->now;
      log_counters(sv, "stats");
    }
    if (sv->shutting && (sv->active == 0 || sv->now >= sv->shutdown_deadline))
      break;
  }
  /* Messages still with the writer are finished (it is joined), then
   * answered as far as the sockets take it. */
  writer_stop();
  sv->shutting = 1;
  {
    deliver_msg *done[MAX_EVENTS];
    size_t k;
    while ((k = writer_take(done, MAX_EVENTS)) > 0)
      for (size_t i = 0; i < k; i++) {
        conn *c = &sv->conns[done[i]->tag];
        if (c->fd >= 0 && c->mode == MODE_DISK)
          on_written(sv, c);
      }
  }
  for (uint32_t i = 0; i < sv->max_conn; i++)
    if (sv->conns[i].fd >= 0)
      close_conn(sv, &sv->conns[i], "shutdown");
  log_counters(sv, "summary");
  if (!sinklog_enabled())
    fprintf(stderr, "smtpp serve: %llu connections, %llu refused (%llu at "
                    "--max-conn, %llu out of descriptors), %llu reclaimed, "
                    "%llu timed out, %llu messages accepted, %llu rejected, "
                    "%llu deliveries failed\n",
            (unsigned long long)sv->n_conn,
            (unsigned long long)(sv->n_refused_full + sv->n_refused_fd),
            (unsigned long long)sv->n_refused_full,
            (unsigned long long)sv->n_refused_fd,
            (unsigned long long)sv->n_reclaimed,
            (unsigned long long)sv->n_timeouts,
            (unsigned long long)sv->n_msgs,
            (unsigned long long)sv->n_rejected_msgs,
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
