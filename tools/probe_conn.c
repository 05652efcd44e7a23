/*
 * probe_conn.c - see probe_conn.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "probe_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long pconn_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void init(pconn *c) {
  memset(c, 0, sizeof *c);
  c->rfd = c->wfd = -1;
}

int pconn_open_tcp(pconn *c, const char *target, int timeout_ms, char *err,
                   size_t errlen) {
  char host[256], port[16];
  const char *colon, *h = target;
  size_t hl;
  struct addrinfo hints, *res = NULL, *ai;
  int r, fd = -1;

  init(c);
  if (target[0] == '[') {
    const char *close = strchr(target, ']');
    if (!close || close[1] != ':') {
      snprintf(err, errlen, "bad target \"%s\" (want HOST:PORT)", target);
      return -1;
    }
    h = target + 1;
    hl = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(target, ':');
    if (!colon) {
      snprintf(err, errlen, "bad target \"%s\" (want HOST:PORT)", target);
      return -1;
    }
    hl = (size_t)(colon - target);
  }
  if (hl == 0 || hl >= sizeof host || strlen(colon + 1) == 0 ||
      strlen(colon + 1) >= sizeof port) {
    snprintf(err, errlen, "bad target \"%s\" (want HOST:PORT)", target);
    return -1;
  }
  memcpy(host, h, hl);
  host[hl] = '\0';
  snprintf(port, sizeof port, "%s", colon + 1);
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  r = getaddrinfo(host, port, &hints, &res);
  if (r != 0) {
    snprintf(err, errlen, "%s: %s", target, gai_strerror(r));
    return -1;
  }
  snprintf(err, errlen, "%s: no address", target);
  for (ai = res; ai; ai = ai->ai_next) {
    struct pollfd p;
    int one = 1, soerr = 0;
    socklen_t sl = sizeof soerr;

    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
      continue;
    set_nonblock(fd);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
        errno != EINPROGRESS) {
      snprintf(err, errlen, "%s: connect: %s", target, strerror(errno));
      close(fd);
      fd = -1;
      continue;
    }
    p.fd = fd;
    p.events = POLLOUT;
    p.revents = 0;
    do {
      r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
      snprintf(err, errlen, "%s: connect: timeout", target);
      close(fd);
      fd = -1;
      continue;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
      snprintf(err, errlen, "%s: connect: %s", target, strerror(soerr));
      close(fd);
      fd = -1;
      continue;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    break;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return -1;
  c->rfd = c->wfd = fd;
  return 0;
}

int pconn_open_cmd(pconn *c, const char *cmd, char *err, size_t errlen) {
  int pin[2], pout[2];
  pid_t pid;

  init(c);
  if (pipe(pin) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  if (pipe(pout) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    close(pin[0]);
    close(pin[1]);
    return -1;
  }
  pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    close(pin[0]);
    close(pin[1]);
    close(pout[0]);
    close(pout[1]);
    return -1;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    setpgid(0, 0);
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    if (devnull >= 0)
      dup2(devnull, 2);
    close(pin[0]);
    close(pin[1]);
    close(pout[0]);
    close(pout[1]);
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  setpgid(pid, pid); /* also here: no race with the kill in close */
  close(pin[0]);
  close(pout[1]);
  c->pid = pid;
  c->wfd = pin[1];
  c->rfd = pout[0];
  set_nonblock(c->wfd);
  set_nonblock(c->rfd);
  return 0;
}

/* One read() into the buffer.  Returns 1 data, 0 nothing now, -1 eof/err. */
static int read_once(pconn *c) {
  ssize_t n;
  size_t room;

  if (c->eof || c->full)
    return -1;
  if (c->cap - c->len < 4096 && c->cap < PCONN_BUF_MAX) {
    size_t ncap = c->cap ? c->cap * 2 : 16384;
    unsigned char *nb;
    if (ncap > PCONN_BUF_MAX)
      ncap = PCONN_BUF_MAX;
    nb = realloc(c->buf, ncap);
    if (!nb) {
      c->full = 1;
      return -1;
    }
    c->buf = nb;
    c->cap = ncap;
  }
  room = c->cap - c->len;
  if (room == 0) {
    c->full = 1;
    return -1;
  }
  n = read(c->rfd, c->buf + c->len, room);
  if (n > 0) {
    c->len += (size_t)n;
    return 1;
  }
  if (n == 0) {
    c->eof = 1;
    return -1;
  }
  if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
    return 0;
  c->eof = 1;
  c->rerr = errno;
  return -1;
}

void pconn_poll_read(pconn *c) {
  while (read_once(c) > 0) {
  }
}

int pconn_read_some(pconn *c, long long deadline) {
  for (;;) {
    struct pollfd p;
    long long left;
    int r = read_once(c);

    if (r > 0) {
      pconn_poll_read(c);
      return PC_OK;
    }
    if (r < 0)
      return c->full ? PC_FULL : PC_CLOSED;
    left = deadline - pconn_now_ms();
    if (left <= 0)
      return PC_TIMEOUT;
    p.fd = c->rfd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR)
      return PC_CLOSED;
  }
}

int pconn_write(pconn *c, const void *buf, size_t n, int bytewise,
                long long deadline) {
  const unsigned char *p = buf;

  while (n > 0) {
    struct pollfd fds[2];
    long long left;
    ssize_t w;

    if (c->werr || c->wclosed)
      return PC_CLOSED;
    w = write(c->wfd, p, bytewise ? 1 : n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      if (bytewise)
        pconn_poll_read(c);
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      c->werr = errno;
      return PC_CLOSED;
    }
    /* Blocked: keep reading so that a server that writes while we write
     * cannot deadlock us. */
    left = deadline - pconn_now_ms();
    if (left <= 0)
      return PC_TIMEOUT;
    fds[0].fd = c->wfd;
    fds[0].events = POLLOUT;
    fds[1].fd = (c->eof || c->full) ? -1 : c->rfd;
    fds[1].events = POLLIN;
    fds[0].revents = fds[1].revents = 0;
    if (poll(fds, 2, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR)
      return PC_CLOSED;
    if (fds[1].revents)
      pconn_poll_read(c);
  }
  pconn_poll_read(c);
  return PC_OK;
}

void pconn_shut_write(pconn *c) {
  if (c->wclosed)
    return;
  c->wclosed = 1;
  if (c->pid) {
    close(c->wfd);
    c->wfd = -1;
  } else if (c->wfd >= 0) {
    shutdown(c->wfd, SHUT_WR);
  }
}

/* Waits up to ms for the child; returns 1 when reaped. */
static int reap(pid_t pid, int ms) {
  long long end = pconn_now_ms() + ms;
  for (;;) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD))
      return 1;
    if (pconn_now_ms() >= end)
      return 0;
    {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
}

void pconn_close(pconn *c) {
  pconn_shut_write(c);
  if (c->rfd >= 0)
    close(c->rfd);
  if (c->wfd >= 0 && c->wfd != c->rfd)
    close(c->wfd);
  c->rfd = c->wfd = -1;
  if (c->pid > 0) {
    if (!reap(c->pid, 1000)) {
      kill(-c->pid, SIGTERM);
      if (!reap(c->pid, 500)) {
        kill(-c->pid, SIGKILL);
        reap(c->pid, 2000);
      }
    }
    c->pid = 0;
  }
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
}
