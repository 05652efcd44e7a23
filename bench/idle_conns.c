/*
 * idle_conns.c - opens N SMTP connections to 127.0.0.1:PORT, reads each
 * 220 greeting, sends EHLO on every second one and reads its reply, prints
 * "ready N" and then holds them open, idle, until stdin ends (or 60 s).
 * Used by bench/sink_bench.sh to read the sink's VmRSS with N idle
 * sessions.
 *
 *   idle_conns PORT N
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads until a final reply line ("ddd " ... LF) arrives; 0 if it did. */
static int read_reply(int fd) {
  char buf[2048];
  size_t len = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0)
      return -1;
    ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
    if (r <= 0)
      return -1;
    len += (size_t)r;
    buf[len] = 0;
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
      if (nl - line >= 4 && line[3] == ' ')
        return 0;
      line = nl + 1;
    }
    if (len == sizeof buf - 1)
      return -1;
  }
}

int main(int argc, char **argv) {
  struct rlimit rl;
  struct sockaddr_in a;
  int n, port, *fds;

  if (argc != 3 || (port = atoi(argv[1])) <= 0 || (n = atoi(argv[2])) <= 0) {
    fprintf(stderr, "usage: idle_conns PORT N\n");
    return 2;
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  fds = calloc((size_t)n, sizeof *fds);
  if (!fds)
    return 1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0) {
      fprintf(stderr, "idle_conns: connection %d: %s\n", i, strerror(errno));
      return 1;
    }
  }
  for (int i = 0; i < n; i++) {
    if (read_reply(fds[i]) < 0) {
      fprintf(stderr, "idle_conns: connection %d: no greeting\n", i);
      return 1;
    }
    if (i % 2 == 0) {
      static const char ehlo[] = "EHLO idle.example\r\n";
      if (write(fds[i], ehlo, sizeof ehlo - 1) != (ssize_t)sizeof ehlo - 1 ||
          read_reply(fds[i]) < 0) {
        fprintf(stderr, "idle_conns: connection %d: no EHLO reply\n", i);
        return 1;
      }
    }
  }
  printf("ready %d\n", n);
  fflush(stdout);
  struct pollfd p = {0, POLLIN, 0};
  (void)poll(&p, 1, 60000);
  return 0;
}
