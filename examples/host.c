/*
 * host.c - a real SMTP front end on libsmtpp, written from
 * docs/EMBEDDING.md: epoll, an asynchronous policy lookup (a timer answers
 * 50 ms later while the client keeps pipelining), STARTTLS through
 * OpenSSL, a spool that answers 451 when storing fails, a graceful SIGTERM.
 *
 *   host --cert FILE --key FILE --spool DIR [--port N] [--port-file FILE]
 *        [--delay-ms N] [--max-size N]
 *
 * Listens on 127.0.0.1 (port 0: any; the port is written to --port-file).
 * The "lookup" (a stand-in for a DNS or database query): a sender whose
 * local part starts with "blocked" gets 550 5.7.1, a recipient whose local
 * part starts with "unknown" 550 5.1.1, anything else 250.  A message for
 * a recipient "spoolfail" is made to fail storing (a test hook), so it
 * gets 451 4.3.0 like any other storing failure.
 * Spool: DIR/tmp/N while a message arrives, fsync'd and renamed to
 * DIR/new/N before the 250.  Each file: "From <path>", "Tls yes|no", one
 * "To <path>" per accepted recipient, a blank line, the body.
 * stdout: one line per executed command and per stored message (the ctest
 * example_host reads it).
 *
 * The rules it follows (docs/EMBEDDING.md):
 *  - a decidable event pauses the session: smtpp_feed() returns
 *    SMTPP_PAUSED until smtpp_decide(); the host keeps reading into its
 *    buffer meanwhile (bounded: it stops reading when the buffer is full)
 *    and feeds the buffer again after deciding;
 *  - on SMTPP_EV_STARTTLS the parser has consumed everything after the
 *    STARTTLS line; the host sends the 220, then reads the socket only
 *    through OpenSSL; smtpp_tls_done(0) queues nothing: it just closes;
 *  - the host drops its transaction (the spool file) whenever
 *    smtpp_get_state() says none is open.
 */
#define _GNU_SOURCE /* accept4, signalfd, timerfd */
#include "smtpp/smtpp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 512
#define IN_MAX 8192      /* input not yet consumed by the parser */
#define PATH_KEEP 320    /* a path is at most 256 octets (RFC 5321 4.5.3.1.3) */
#define SHUTDOWN_GRACE_MS 2000

enum tls { TLS_NONE, TLS_HANDSHAKE, TLS_ON };

typedef struct conn {
  int fd, tfd;            /* socket; lookup timer or -1 */
  unsigned id;
  enum tls tls;
  SSL *ssl;
  int lookup;             /* a lookup is in flight: the session is paused */
  int lookup_verb;        /* SMTPP_VERB_MAIL or SMTPP_VERB_RCPT */
  char path[PATH_KEEP];   /* the path looked up (copied: slices die) */
  int closing;            /* flush what is queued, then close */
  int want_out;           /* EPOLLOUT needed */
  size_t in_len;
  unsigned char in[IN_MAX];
  /* the transaction the host tracks */
  int spool_fd;           /* -1: no transaction */
  char spool_name[32];
  int spool_fail, over_size, body_started;
  smtpp_session s;
} conn;

static smtpp_config g_cfg; /* filled once, shared read-only by sessions */
static SSL_CTX *g_tls;
static const char *g_spool;
static int g_ep, g_listen = -1, g_sig;
static long g_delay_ms = 50;
static unsigned g_next_id, g_nconn, g_next_msg;
static conn *g_conns[MAX_CONN];
static int g_stopping;

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* epoll data: the connection slot, with bit 16 set for its timer. */
#define TAG_LISTEN 0xFFFFFFF0u
#define TAG_SIGNAL 0xFFFFFFF1u
#define TAG_TIMER  0x10000u

static void ep_set(int fd, uint32_t tag, uint32_t events, int op) {
  struct epoll_event e = {.events = events, .data.u32 = tag};
  if (epoll_ctl(g_ep, op, fd, &e) < 0 && op != EPOLL_CTL_DEL)
    die("epoll_ctl");
}

static unsigned slot_of(const conn *c) {
  for (unsigned i = 0; i < MAX_CONN; i++)
    if (g_conns[i] == c)
      return i;
  return 0; /* unreachable: every live conn has a slot */
}

static void copy_slice(char *dst, size_t cap, smtpp_slice sl) {
  size_t n = sl.len < cap - 1 ? sl.len : cap - 1;
  for (size_t i = 0; i < n; i++) /* client bytes: keep the log printable */
    dst[i] = sl.p[i] >= 32 && sl.p[i] < 127 ? (char)sl.p[i] : '?';
  dst[n] = '\0';
}

static int starts_with_ci(smtpp_slice sl, const char *lit) {
  size_t n = strlen(lit);
  if (sl.len < n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = sl.p[i];
    if ((c | 0x20) != (unsigned char)lit[i])
      return 0;
  }
  return 1;
}

/* ---- the spool: the transaction the host tracks ---- */

static void spool_drop(conn *c) {
  if (c->spool_fd < 0)
    return;
  close(c->spool_fd);
  char p[512];
  snprintf(p, sizeof p, "%s/tmp/%s", g_spool, c->spool_name);
  unlink(p);
  c->spool_fd = -1;
}

static void spool_put(conn *c, const void *p, size_t n) {
  if (c->spool_fd < 0 || c->spool_fail)
    return;
  const char *q = p;
  while (n) {
    ssize_t w = write(c->spool_fd, q, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      c->spool_fail = 1; /* answered with 451 at the end */
      return;
    }
    q += w;
    n -= (size_t)w;
  }
}

static void spool_line(conn *c, const char *a, const char *b) {
  spool_put(c, a, strlen(a));
  spool_put(c, b, strlen(b));
  spool_put(c, "\n", 1);
}

static void spool_begin(conn *c, const char *from) {
  spool_drop(c);
  snprintf(c->spool_name, sizeof c->spool_name, "%u.%u", (unsigned)getpid(),
           ++g_next_msg);
  char p[512];
  snprintf(p, sizeof p, "%s/tmp/%s", g_spool, c->spool_name);
  c->spool_fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  c->spool_fail = c->spool_fd < 0;
  c->over_size = 0;
  c->body_started = 0;
  spool_line(c, "From ", from);
  spool_line(c, "Tls ", c->tls == TLS_ON ? "yes" : "no");
}

/* 0: stored under new/; -1: not stored (the caller answers 451). */
static int spool_commit(conn *c) {
  int ok = c->spool_fd >= 0 && !c->spool_fail && fsync(c->spool_fd) == 0;
  if (!ok) {
    spool_drop(c);
    return -1;
  }
  char a[512], b[512];
  snprintf(a, sizeof a, "%s/tmp/%s", g_spool, c->spool_name);
  snprintf(b, sizeof b, "%s/new/%s", g_spool, c->spool_name);
  close(c->spool_fd);
  c->spool_fd = -1;
  if (rename(a, b) != 0) {
    unlink(a);
    return -1;
  }
  printf("c%u stored %s\n", c->id, c->spool_name);
  return 0;
}

/* The rule for the transaction: whenever the parser has none open, the
 * host has none either (RSET, HELO/EHLO, QUIT, STARTTLS, a refused or
 * failed message, a 421 all end it). */
static void sync_transaction(conn *c) {
  switch (smtpp_get_state(&c->s)) {
  case SMTPP_ST_CMD_BEFORE_HELO:
  case SMTPP_ST_CMD_AFTER_HELO:
  case SMTPP_ST_TLS_HANDSHAKE:
  case SMTPP_ST_AUTH_RESPONSE:
  case SMTPP_ST_CLOSED:
    spool_drop(c);
    break;
  default:
    break;
  }
}

/* ---- output ---- */

static void conn_close(conn *c, const char *why) {
  printf("c%u closed (%s)\n", c->id, why);
  spool_drop(c);
  if (c->tfd >= 0)
    close(c->tfd);
  if (c->ssl)
    SSL_free(c->ssl);
  close(c->fd);
  g_conns[slot_of(c)] = NULL;
  free(c);
  g_nconn--;
}

/* Sends what the parser queued.  1: all sent; 0: the socket is full
 * (EPOLLOUT); -1: the connection is dead. */
static int flush(conn *c) {
  size_t len;
  const unsigned char *p;
  while ((p = smtpp_out_buf(&c->s, &len)) != NULL && len > 0) {
    ssize_t w;
    if (c->tls == TLS_ON) {
      int n = SSL_write(c->ssl, p, (int)len);
      if (n <= 0) {
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
          return 0;
        return -1;
      }
      w = n;
    } else {
      w = send(c->fd, p, len, MSG_NOSIGNAL);
      if (w < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
      if (w < 0)
        return -1;
    }
    smtpp_out_ack(&c->s, (size_t)w);
  }
  return 1;
}

static void update_events(conn *c) {
  uint32_t ev = 0;
  if (c->want_out)
    ev |= EPOLLOUT;
  /* Back-pressure: no reading while the buffer is full or replies are
   * stuck; while a lookup runs, reading goes on until the buffer is full. */
  if (!c->closing && c->in_len < IN_MAX && !c->want_out)
    ev |= EPOLLIN;
  if (c->tls == TLS_HANDSHAKE)
    ev |= EPOLLIN;
  ep_set(c->fd, slot_of(c), ev, EPOLL_CTL_MOD);
}

/* ---- the asynchronous lookup ---- */

static void lookup_start(conn *c, const smtpp_event *ev) {
  c->lookup = 1;
  c->lookup_verb = ev->verb;
  copy_slice(c->path, sizeof c->path, ev->path);
  /* the answer is computed now, delivered later: the slices die at the
   * next smtpp_* call, so nothing of the event is kept but copies */
  int refuse = ev->verb == SMTPP_VERB_MAIL ? starts_with_ci(ev->local, "blocked")
                                           : starts_with_ci(ev->local, "unknown");
  c->lookup_verb = refuse ? -ev->verb : ev->verb;
  if (ev->verb == SMTPP_VERB_RCPT && starts_with_ci(ev->local, "spoolfail"))
    c->spool_fail = 1; /* test hook: this message will fail to store */
  c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (c->tfd < 0)
    die("timerfd_create");
  /* (an all-zero it_value would disarm the timer: 0 ms is 1 ns) */
  struct itimerspec it = {{0, 0},
                          {g_delay_ms / 1000,
                           g_delay_ms ? (g_delay_ms % 1000) * 1000000 : 1}};
  if (timerfd_settime(c->tfd, 0, &it, NULL) < 0)
    die("timerfd_settime");
  ep_set(c->tfd, slot_of(c) | TAG_TIMER, EPOLLIN, EPOLL_CTL_ADD);
}

static int run(conn *c);
static void on_readable(conn *c);

static int lookup_done(conn *c) {
  ep_set(c->tfd, 0, 0, EPOLL_CTL_DEL);
  close(c->tfd);
  c->tfd = -1;
  c->lookup = 0;
  int verb = c->lookup_verb < 0 ? -c->lookup_verb : c->lookup_verb;
  int refused = c->lookup_verb < 0;
  int rc;
  if (verb == SMTPP_VERB_MAIL) {
    rc = refused ? smtpp_decide(&c->s, 550, "5.7.1", "Sender blocked")
                 : smtpp_decide(&c->s, 250, NULL, NULL);
    if (!refused && rc == 0)
      spool_begin(c, c->path);
  } else {
    rc = refused ? smtpp_decide(&c->s, 550, "5.1.1", "No such user here")
                 : smtpp_decide(&c->s, 250, NULL, NULL);
    if (!refused && rc == 0)
      spool_line(c, "To ", c->path);
  }
  printf("c%u decided %s %s %s\n", c->id, smtpp_verb_name(verb),
         refused ? "refused" : "accepted", c->path);
  if (rc < 0) /* cannot happen with these codes; fail closed anyway */
    (void)smtpp_shutdown(&c->s);
  /* resume with the octets that arrived meanwhile; over TLS, OpenSSL may
   * hold decrypted octets epoll cannot see: read them now */
  if (!run(c))
    return 0;
  if (c->tls == TLS_ON && !c->lookup && !c->want_out) {
    on_readable(c);
  }
  return 1;
}

/* ---- events ---- */

static void on_event(conn *c, const smtpp_event *ev) {
  switch (ev->type) {
  case SMTPP_EV_COMMAND: {
    char arg[PATH_KEEP];
    copy_slice(arg, sizeof arg,
               ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT
                   ? ev->path : ev->arg);
    printf("c%u cmd %s %s tls=%d\n", c->id, smtpp_verb_name(ev->verb), arg,
           c->tls == TLS_ON);
    if (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT)
      lookup_start(c, ev); /* decided later: the session pauses */
    else if (ev->flags & SMTPP_EVF_DECIDABLE)
      (void)smtpp_decide_default(&c->s); /* HELO/EHLO, DATA, VRFY, ... */
    break;
  }
  case SMTPP_EV_BODY:
    if (ev->flags & SMTPP_EVF_OVER_SIZE)
      c->over_size = 1; /* it will end in 552: stop storing */
    if (!c->over_size) {
      if (!c->body_started)
        spool_put(c, "\n", 1); /* the blank line before the body */
      c->body_started = 1;
      spool_put(c, ev->arg.p, ev->arg.len);
    }
    break;
  case SMTPP_EV_MESSAGE_END:
    if (ev->error) { /* the parser refused it (552, 500): drop it */
      spool_drop(c);
      break;
    }
    if (!c->body_started)
      spool_put(c, "\n", 1); /* an empty body */
    if (spool_commit(c) == 0)
      (void)smtpp_decide(&c->s, 250, NULL, NULL);
    else
      (void)smtpp_decide(&c->s, 451, "4.3.0",
                         "Local error in processing, message not accepted");
    break;
  case SMTPP_EV_STARTTLS:
    /* The parser consumed everything given after the STARTTLS line
     * (used == in_len): no plaintext is left to feed after the handshake. */
    c->tls = TLS_HANDSHAKE;
    printf("c%u starttls\n", c->id);
    break;
  case SMTPP_EV_AUTH_RESPONSE:
    (void)smtpp_decide_default(&c->s); /* AUTH is not offered */
    break;
  default:
    break;
  }
}

/* Drives the handshake; 0 if the connection was closed. */
static int tls_step(conn *c) {
  if (c->ssl == NULL) {
    c->ssl = SSL_new(g_tls);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
      conn_close(c, "SSL_new");
      return 0;
    }
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  int r = SSL_accept(c->ssl);
  if (r == 1) {
    c->tls = TLS_ON;
    (void)smtpp_tls_done(&c->s, 1);
    printf("c%u tls on\n", c->id);
    update_events(c);
    return 1;
  }
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ep_set(c->fd, slot_of(c), e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT,
           EPOLL_CTL_MOD);
    return 1;
  }
  ERR_clear_error();
  (void)smtpp_tls_done(&c->s, 0); /* queues nothing: just close */
  conn_close(c, "TLS handshake failed");
  return 0;
}

/* Feeds the buffered input until the parser needs more, pauses for a
 * lookup, or the session ends; then sends the replies.  0 if the
 * connection was closed. */
static int run(conn *c) {
  while (!c->closing) {
    size_t used = 0;
    smtpp_event ev;
    int r = smtpp_feed(&c->s, c->in, c->in_len, &used, &ev);
    /* The event's slices point into c->in: handle it before the consumed
     * octets are moved out of the buffer. */
    if (r == SMTPP_EVENT)
      on_event(c, &ev);
    if (used) {
      memmove(c->in, c->in + used, c->in_len - used);
      c->in_len -= used;
    }
    if (r == SMTPP_EVENT) {
      sync_transaction(c);
      if (c->tls == TLS_HANDSHAKE)
        break;
      continue;
    }
    sync_transaction(c);
    if (r == SMTPP_NEED_MORE || r == SMTPP_PAUSED)
      break; /* PAUSED: c->lookup is set; lookup_done() resumes */
    if (r == SMTPP_WANT_WRITE) {
      int f = flush(c);
      if (f < 0) {
        conn_close(c, "write failed");
        return 0;
      }
      if (f == 0) {
        c->want_out = 1;
        update_events(c);
        return 1; /* resumed on EPOLLOUT */
      }
      continue;
    }
    c->closing = 1; /* SMTPP_CLOSED or an API error */
  }
  int f = flush(c);
  if (f < 0) {
    conn_close(c, "write failed");
    return 0;
  }
  c->want_out = f == 0;
  if (c->closing && f == 1) {
    conn_close(c, "session over");
    return 0;
  }
  if (c->tls == TLS_HANDSHAKE && f == 1 && c->ssl == NULL)
    return tls_step(c); /* the 220 is out: the handshake may start */
  update_events(c);
  return 1;
}

static void on_readable(conn *c) {
  for (;;) {
    if (c->in_len == IN_MAX)
      break; /* full: a lookup is running; read on once it resumes */
    ssize_t n;
    if (c->tls == TLS_ON) {
      int k = SSL_read(c->ssl, c->in + c->in_len, (int)(IN_MAX - c->in_len));
      if (k <= 0) {
        int e = SSL_get_error(c->ssl, k);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
          break;
        conn_close(c, "eof");
        return;
      }
      n = k;
    } else {
      n = recv(c->fd, c->in + c->in_len, IN_MAX - c->in_len, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      if (n <= 0) {
        conn_close(c, "eof");
        return;
      }
    }
    c->in_len += (size_t)n;
    if (!c->lookup) {
      if (!run(c) || c->tls == TLS_HANDSHAKE || c->want_out)
        return; /* closed, handshaking, or blocked on output */
    }
  }
  update_events(c);
}

static void on_accept(void) {
  for (;;) {
    int fd = accept4(g_listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    unsigned i = 0;
    while (i < MAX_CONN && g_conns[i])
      i++;
    conn *c = i < MAX_CONN ? calloc(1, sizeof *c) : NULL;
    if (c == NULL) {
      static const char busy[] = "421 4.3.2 Too busy, try later\r\n";
      (void)send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
      close(fd);
      continue;
    }
    c->fd = fd;
    c->tfd = -1;
    c->spool_fd = -1;
    c->id = ++g_next_id;
    g_conns[i] = c;
    g_nconn++;
    if (smtpp_init(&c->s, &g_cfg) < 0) {
      conn_close(c, "smtpp_init");
      continue;
    }
    ep_set(fd, i, EPOLLIN, EPOLL_CTL_ADD);
    printf("c%u connected\n", c->id);
    (void)run(c); /* sends the greeting */
  }
}

/* SIGTERM: stop accepting; each session gets 421 (a pending lookup's
 * command included: smtpp_shutdown() refuses it), its transaction is
 * dropped, the replies go out, the connections close. */
static void on_sigterm(void) {
  g_stopping = 1;
  if (g_listen >= 0) {
    ep_set(g_listen, 0, 0, EPOLL_CTL_DEL);
    close(g_listen);
    g_listen = -1;
  }
  printf("stopping: %u connections\n", g_nconn);
  for (unsigned i = 0; i < MAX_CONN; i++) {
    conn *c = g_conns[i];
    if (c == NULL)
      continue;
    if (c->tls == TLS_HANDSHAKE) {
      conn_close(c, "shutdown during handshake");
      continue;
    }
    if (c->tfd >= 0) {
      ep_set(c->tfd, 0, 0, EPOLL_CTL_DEL);
      close(c->tfd);
      c->tfd = -1;
      c->lookup = 0;
    }
    (void)smtpp_shutdown(&c->s);
    spool_drop(c);
    c->closing = 1;
    (void)run(c);
  }
}

static void usage(void) {
  fprintf(stderr, "usage: host --cert FILE --key FILE --spool DIR [--port N] "
                  "[--port-file FILE] [--delay-ms N] [--max-size N]\n");
  exit(2);
}

static long num(const char *s, long lo, long hi) {
  char *e;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (errno || *e || e == s || v < lo || v > hi)
    usage();
  return v;
}

int main(int argc, char **argv) {
  const char *cert = NULL, *key = NULL, *port_file = NULL;
  long port = 0, max_size = 1 << 20;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc)
      usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--cert")) cert = v;
    else if (!strcmp(a, "--key")) key = v;
    else if (!strcmp(a, "--spool")) g_spool = v;
    else if (!strcmp(a, "--port")) port = num(v, 0, 65535);
    else if (!strcmp(a, "--port-file")) port_file = v;
    else if (!strcmp(a, "--delay-ms")) g_delay_ms = num(v, 0, 10000);
    else if (!strcmp(a, "--max-size")) max_size = num(v, 1, 1L << 30);
    else usage();
  }
  if (!cert || !key || !g_spool)
    usage();
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* One config for every session, filled once before the first. */
  smtpp_config_default(&g_cfg);
  g_cfg.host_decides = 1; /* MAIL/RCPT lookups, 451 when the spool fails */
  g_cfg.hostname = "mx.example.test";
  g_cfg.extensions |= SMTPP_EXT_STARTTLS;
  g_cfg.max_message_size = (uint64_t)max_size;

  g_tls = SSL_CTX_new(TLS_server_method());
  if (g_tls == NULL ||
      SSL_CTX_use_certificate_chain_file(g_tls, cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(g_tls, key, SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  char d[512];
  snprintf(d, sizeof d, "%s/tmp", g_spool);
  (void)mkdir(d, 0700);
  snprintf(d, sizeof d, "%s/new", g_spool);
  (void)mkdir(d, 0700);

  g_listen = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (g_listen < 0)
    die("socket");
  int one = 1;
  setsockopt(g_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(g_listen, (struct sockaddr *)&sa, sizeof sa) < 0)
    die("bind");
  if (listen(g_listen, 128) < 0)
    die("listen");
  socklen_t sl = sizeof sa;
  getsockname(g_listen, (struct sockaddr *)&sa, &sl);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  g_sig = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  if (g_sig < 0 || g_ep < 0)
    die("signalfd/epoll");
  ep_set(g_listen, TAG_LISTEN, EPOLLIN, EPOLL_CTL_ADD);
  ep_set(g_sig, TAG_SIGNAL, EPOLLIN, EPOLL_CTL_ADD);

  if (port_file) {
    FILE *f = fopen(port_file, "w");
    if (!f)
      die(port_file);
    fprintf(f, "%u\n", (unsigned)ntohs(sa.sin_port));
    fclose(f);
  }
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));

  struct timespec stop_at = {0, 0};
  for (;;) {
    if (g_stopping) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (g_nconn == 0 || now.tv_sec > stop_at.tv_sec ||
          (now.tv_sec == stop_at.tv_sec && now.tv_nsec >= stop_at.tv_nsec))
        break;
    }
    struct epoll_event evs[64];
    int n = epoll_wait(g_ep, evs, 64, g_stopping ? 50 : -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      die("epoll_wait");
    for (int i = 0; i < n; i++) {
      uint32_t tag = evs[i].data.u32;
      if (tag == TAG_LISTEN) {
        on_accept();
      } else if (tag == TAG_SIGNAL) {
        struct signalfd_siginfo si;
        while (read(g_sig, &si, sizeof si) == sizeof si) {
        }
        if (!g_stopping) {
          clock_gettime(CLOCK_MONOTONIC, &stop_at);
          stop_at.tv_sec += SHUTDOWN_GRACE_MS / 1000;
          on_sigterm();
        }
      } else {
        conn *c = g_conns[tag & 0xFFFFu];
        if (c == NULL)
          continue;
        if (tag & TAG_TIMER) {
          uint64_t x;
          if (c->tfd >= 0 && read(c->tfd, &x, sizeof x) == sizeof x)
            (void)lookup_done(c);
          continue;
        }
        if (c->tls == TLS_HANDSHAKE) {
          if (c->ssl == NULL)
            (void)run(c); /* the 220 was stuck: flush it, then start */
          else
            (void)tls_step(c);
          continue;
        }
        if (evs[i].events & EPOLLOUT) {
          c->want_out = 0;
          if (!run(c)) /* flushes, feeds on if it was blocked */
            continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
          on_readable(c);
      }
    }
  }
  for (unsigned i = 0; i < MAX_CONN; i++)
    if (g_conns[i])
      conn_close(g_conns[i], "shutdown grace over");
  SSL_CTX_free(g_tls);
  printf("stopped\n");
  return 0;
}
