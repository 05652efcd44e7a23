/*
 * noop_latency.c - the bystander of bench/sink_bench.sh: one SMTP session
 * to 127.0.0.1:PORT that sends NOOP every INTERVAL_MS milliseconds for
 * SECONDS seconds, or until SIGINT, and times each round trip (send to
 * the end of the 250 line).  Prints
 *
 *   noop n=N p50_us=A p99_us=B max_us=C
 *
 * It measures how long one session waits while others keep the server
 * busy (a delivery flood run beside it): a server that blocks its event
 * loop on disk shows it here.
 *
 *   noop_latency PORT SECONDS [INTERVAL_MS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reply_wait.h"

#define MAX_SAMPLES 200000

static volatile sig_atomic_t stop;

static void on_sigint(int sig) {
  (void)sig;
  stop = 1;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  static double rtt[MAX_SAMPLES];
  struct sockaddr_in a;
  int port, secs, interval = 5, one = 1;
  size_t n = 0;

  if (argc < 3 || argc > 4 || (port = atoi(argv[1])) <= 0 ||
      (secs = atoi(argv[2])) <= 0 ||
      (argc == 4 && (interval = atoi(argv[3])) < 0)) {
    fprintf(stderr, "usage: noop_latency PORT SECONDS [INTERVAL_MS]\n");
    return 2;
  }
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("noop_latency: connect");
    return 1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  static const char ehlo[] = "EHLO bystander.example\r\n";
  if (reply_wait(fd, 30000) < 0 || write(fd, ehlo, sizeof ehlo - 1) < 0 ||
      reply_wait(fd, 30000) < 0) {
    fprintf(stderr, "noop_latency: no greeting or EHLO reply\n");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint; /* no SA_RESTART: poll() returns at once */
  sigaction(SIGINT, &sa, NULL);
  double end = now_us() + secs * 1e6;
  while (!stop && now_us() < end && n < MAX_SAMPLES) {
    static const char noop[] = "NOOP\r\n";
    double t0 = now_us();
    if (write(fd, noop, sizeof noop - 1) != (ssize_t)sizeof noop - 1 ||
        reply_wait(fd, 30000) < 0) {
      if (stop)
        break;
      fprintf(stderr, "noop_latency: session lost after %zu NOOPs\n", n);
      return 1;
    }
    rtt[n++] = now_us() - t0;
    if (interval)
      usleep((useconds_t)interval * 1000);
  }
  if (n == 0)
    return 1;
  qsort(rtt, n, sizeof rtt[0], cmp);
  printf("noop n=%zu p50_us=%.0f p99_us=%.0f max_us=%.0f\n", n, rtt[n / 2],
         rtt[(n * 99) / 100], rtt[n - 1]);
  return 0;
}
