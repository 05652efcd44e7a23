/*
 * reply_wait.h - the one blocking reply reader of the sink bench helpers
 * (idle_conns.c, noop_latency.c, oversize_hwm.c): waits for the final line
 * of one reply ("ddd SP ..." LF, RFC 5321 4.2.1) and returns its code.
 * Header-only because each helper is one file built by bench/sink_bench.sh.
 */
#ifndef SMTPP_BENCH_REPLY_WAIT_H
#define SMTPP_BENCH_REPLY_WAIT_H

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The code of the next final reply line, or -1 on timeout (timeout_ms per
 * read), end of stream, an error, or a line longer than the buffer.  Reads
 * nothing past what the server sent; a multi-line reply's continuation
 * lines are skipped. */
static int reply_wait(int fd, int timeout_ms) {
  char buf[4096];
  size_t len = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
      return -1;
    ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
    if (r <= 0)
      return -1;
    len += (size_t)r;
    buf[len] = 0;
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
      if (nl - line >= 4 && line[3] == ' ')
        return atoi(line);
      line = nl + 1;
    }
    if (line != buf) { /* keep only the unfinished line */
      len = strlen(line);
      memmove(buf, line, len + 1);
    }
    if (len == sizeof buf - 1)
      return -1;
  }
}

#endif
