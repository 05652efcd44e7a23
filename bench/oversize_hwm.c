/*
 * oversize_hwm.c - the disk high-water mark of one over-size message: sends
 * EHLO, MAIL (no SIZE=), RCPT, DATA and MB megabytes of body to
 * 127.0.0.1:PORT while a second thread sums the sizes of the files in
 * MAILDIR/tmp every millisecond.  Prints
 *
 *   oversize sent=OCTETS reply=CODE tmp_hwm=OCTETS
 *
 * (the reply to the end of data, and the largest tmp/ total seen).  Used by
 * bench/sink_bench.sh with --size 10485760 and MB = 40 (issue: "a DATA of
 * 40 x 1 MB without SIZE= is written to tmp/ in full").
 *
 *   oversize_hwm PORT MAILDIR MB
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reply_wait.h"

static const char *tmpdir;
static atomic_int stop;
static atomic_llong hwm;

static long long tmp_total(void) {
  long long sum = 0;
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  struct stat st;
  if (!d)
    return 0;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' &&
        fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      sum += st.st_size;
  closedir(d);
  return sum;
}

static void *watch(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    long long t = tmp_total();
    if (t > atomic_load(&hwm))
      atomic_store(&hwm, t);
    usleep(1000);
  }
  return NULL;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  static char line[1024 * 1024];
  char dir[4200];
  struct sockaddr_in a;
  int port, mb;
  long long sent = 0;
  pthread_t th;

  if (argc != 4 || (port = atoi(argv[1])) <= 0 || (mb = atoi(argv[3])) <= 0) {
    fprintf(stderr, "usage: oversize_hwm PORT MAILDIR MB\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s/tmp", argv[2]);
  tmpdir = dir;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("oversize_hwm: connect");
    return 1;
  }
  static const char *cmds[] = {"EHLO big.example\r\n",
                               "MAIL FROM:<big@big.example>\r\n",
                               "RCPT TO:<r@sink.example>\r\n", "DATA\r\n"};
  if (reply_wait(fd, 60000) != 220)
    return 1;
  for (int i = 0; i < 4; i++)
    if (send_all(fd, cmds[i], strlen(cmds[i])) < 0 ||
        reply_wait(fd, 60000) != (i == 3 ? 354 : 250)) {
      fprintf(stderr, "oversize_hwm: refused: %s", cmds[i]);
      return 1;
    }
  /* 1 MiB blocks of 998-octet text lines. */
  for (size_t i = 0; i < sizeof line; i++)
    line[i] = (i % 1000 == 998) ? '\r' : (i % 1000 == 999) ? '\n' : 'x';
  pthread_create(&th, NULL, watch, NULL);
  for (int i = 0; i < mb; i++) {
    size_t n = sizeof line - sizeof line % 1000;
    if (send_all(fd, line, n) < 0) {
      fprintf(stderr, "oversize_hwm: connection lost after %lld octets\n",
              sent);
      break;
    }
    sent += (long long)n;
  }
  int code = -1;
  if (send_all(fd, ".\r\n", 3) == 0)
    code = reply_wait(fd, 60000);
  usleep(20000);
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  printf("oversize sent=%lld reply=%d tmp_hwm=%lld\n", sent, code,
         (long long)atomic_load(&hwm));
  return 0;
}
