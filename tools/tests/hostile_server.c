/*
 * hostile_server.c - a fake SMTP server for the probe's tests.  It listens
 * on 127.0.0.1 on a free port, writes the port number to PORTFILE and
 * serves connections one after another, misbehaving as MODE says:
 *
 *   endless   "220 " followed by an endless line (no LF, ever)
 *   giant     "220-x" continuation lines without end (a giant reply)
 *   silent    accepts and says nothing
 *   closemid  half a greeting line, then closes
 *   garbage   a greeting that is not a reply line
 *   late      a correct greeting and EHLO on the first connection; on
 *             later ones a correct greeting, then an endless line after
 *             the first command
 *
 * It stops after MAXCONN connections or 60 s, whichever comes first.
 * Usage: hostile_server MODE PORTFILE [MAXCONN]
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int put(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

static int puts_fd(int fd, const char *s) { return put(fd, s, strlen(s)); }

/* Reads one line (up to LF); returns -1 at EOF. */
static int get_line(int fd, char *buf, size_t cap) {
  size_t n = 0;
  for (;;) {
    char ch;
    ssize_t r = read(fd, &ch, 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    if (n + 1 < cap)
      buf[n++] = ch;
    if (ch == '\n')
      break;
  }
  buf[n] = '\0';
  return 0;
}

static void endless(int fd) {
  char chunk[4096];
  memset(chunk, 'A', sizeof chunk);
  while (put(fd, chunk, sizeof chunk) == 0) {
  }
}

static void serve(int fd, const char *mode, int nconn) {
  char line[1024];
  if (!strcmp(mode, "endless")) {
    puts_fd(fd, "220 ");
    endless(fd);
  } else if (!strcmp(mode, "giant")) {
    for (;;)
      if (puts_fd(fd, "220-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"))
        break;
  } else if (!strcmp(mode, "silent")) {
    while (get_line(fd, line, sizeof line) == 0) {
    }
  } else if (!strcmp(mode, "closemid")) {
    puts_fd(fd, "220-half a gree");
  } else if (!strcmp(mode, "garbage")) {
    puts_fd(fd, "HELLO THERE\r\n");
    while (get_line(fd, line, sizeof line) == 0) {
    }
  } else if (!strcmp(mode, "late")) {
    puts_fd(fd, "220 fake ESMTP\r\n");
    if (nconn == 0) {
      while (get_line(fd, line, sizeof line) == 0) {
        if (!strncmp(line, "EHLO", 4))
          puts_fd(fd, "250-fake\r\n250 PIPELINING\r\n");
        else if (!strncmp(line, "QUIT", 4)) {
          puts_fd(fd, "221 bye\r\n");
          break;
        } else
          puts_fd(fd, "500 what\r\n");
      }
    } else if (get_line(fd, line, sizeof line) == 0) {
      puts_fd(fd, "250-");
      endless(fd);
    }
  }
}

int main(int argc, char **argv) {
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  int ls, one = 1, maxconn;
  FILE *pf;

  if (argc < 3) {
    fprintf(stderr, "usage: hostile_server MODE PORTFILE [MAXCONN]\n");
    return 2;
  }
  maxconn = argc > 3 ? atoi(argv[3]) : 20;
  signal(SIGPIPE, SIG_IGN);
  alarm(60);
  ls = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 8) < 0 ||
      getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
    perror("hostile_server");
    return 1;
  }
  pf = fopen(argv[2], "w");
  if (!pf)
    return 1;
  fprintf(pf, "%d\n", ntohs(sa.sin_port));
  fclose(pf);
  for (int n = 0; n < maxconn; n++) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    serve(fd, argv[1], n);
    close(fd);
  }
  close(ls);
  return 0;
}
