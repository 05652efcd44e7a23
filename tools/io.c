/*
 * io.c - see io.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "io.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static int wait_fd(int fd, short events) {
  struct pollfd p;

  p.fd = fd;
  p.events = events;
  p.revents = 0;
  for (;;) {
    int r = poll(&p, 1, -1);
    if (r >= 0)
      return 0;
    if (errno != EINTR)
      return -1;
  }
}

long io_read(int fd, void *buf, size_t cap) {
  for (;;) {
    ssize_t n = read(fd, buf, cap);
    if (n >= 0)
      return (long)n;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait_fd(fd, POLLIN) < 0)
        return -1;
      continue;
    }
    return -1;
  }
}

int io_write_all(int fd, const void *buf, size_t n) {
  const unsigned char *p = buf;

  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (wait_fd(fd, POLLOUT) < 0)
        return -1;
      continue;
    }
    if (w == 0)
      errno = EIO;
    return -1;
  }
  return 0;
}

void io_ignore_sigpipe(void) {
  struct sigaction sa;

  sa.sa_handler = SIG_IGN;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}
