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

#include "reply_wait.h"

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
    if (reply_wait(fds[i], 5000) < 0) {
      fprintf(stderr, "idle_conns: connection %d: no greeting\n", i);
      return 1;
    }
    if (i % 2 == 0) {
      static const char ehlo[] = "EHLO idle.example\r\n";
      if (write(fds[i], ehlo, sizeof ehlo - 1) != (ssize_t)sizeof ehlo - 1 ||
          reply_wait(fds[i], 5000) < 0) {
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
