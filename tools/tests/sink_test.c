/*
 * sink_test.c - scenarios for `smtpp serve --listen` (the epoll sink).
 *
 *   sink_test SMTPP SCENARIO
 *
 * Starts SMTPP serve --listen 127.0.0.1:0 ..., reads the port from its
 * "listening on ADDR:PORT" line on stderr, plays the scenario, then stops
 * the server with SIGTERM and requires exit status 0.  Exit 0 pass, 1 fail,
 * 77 skipped.
 *
 *   slowloris         200 clients send one byte every 50 ms; a normal
 *                     client still completes a transaction promptly
 *   flood             --max-conn 50, 80 clients: 50 get 220, 30 get 421
 *   pipeline          20 clients each pipeline 200 transactions in one
 *                     write; every client gets every reply
 *   pipeline_maildir  the same with --maildir: new/ holds one file per 250
 *   idle              --idle-timeout 1 closes a silent session with 421
 *   sigterm           SIGTERM: every open session gets 421, exit 0
 *   rss               1000 idle sessions: VmRSS under 10 MiB
 *   mbox              --mbox: "From " lines and >From quoting
 *   maildir_fail      a message that cannot be stored gets 451
 *   ipv6              [::1]:0
 *   badflags          bad --listen values and option mixes exit 2
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *smtpp_bin;
static pid_t server_pid = -1;
static int server_err = -1; /* read end of the server's stderr */
static int server_family = AF_INET;
static int port;

static void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if (server_pid > 0)
    kill(server_pid, SIGKILL);
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static long nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
    return 0;
  return rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_cur;
}

/* Starts the server with extra arguments (NULL-terminated); returns 0, or
 * -1 if it did not print "listening on". */
static int start_server_v(const char *listen, char **extra) {
  int pfd[2];
  char *argv[40];
  int n = 0;

  if (pipe(pfd) < 0)
    fail("pipe");
  argv[n++] = (char *)smtpp_bin;
  argv[n++] = "serve";
  argv[n++] = "--listen";
  argv[n++] = (char *)listen;
  for (int i = 0; extra && extra[i] && n < 38; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  server_pid = fork();
  if (server_pid < 0)
    fail("fork");
  if (server_pid == 0) {
    dup2(pfd[1], 2);
    close(pfd[0]);
    close(pfd[1]);
    execv(smtpp_bin, argv);
    _exit(127);
  }
  close(pfd[1]);
  server_err = pfd[0];
  /* Read stderr until the "listening on" line (5 s). */
  char buf[4096];
  size_t len = 0;
  double end = now_s() + 5;
  while (now_s() < end && len < sizeof buf - 1) {
    struct pollfd p = {server_err, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    ssize_t r = read(server_err, buf + len, 1); /* byte-wise: keep the rest */
    if (r <= 0)
      break;
    len++;
    buf[len] = 0;
    if (buf[len - 1] == '\n') {
      char *l = strstr(buf, "listening on ");
      if (l) {
        char *colon = strrchr(l, ':');
        port = atoi(colon + 1);
        fprintf(stderr, "server pid %d: %s", (int)server_pid, l);
        return port > 0 ? 0 : -1;
      }
    }
  }
  fprintf(stderr, "server said: %s\n", buf);
  return -1;
}

static void start_server(char **extra) {
  if (start_server_v(server_family == AF_INET6 ? "[::1]:0" : "127.0.0.1:0",
                     extra) < 0)
    fail("server did not start");
}

/* Drains the server's stderr to ours (non-blocking). */
static void pump_stderr(void) {
  char buf[4096];
  for (;;) {
    struct pollfd p = {server_err, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0)
      return;
    ssize_t r = read(server_err, buf, sizeof buf);
    if (r <= 0)
      return;
    fwrite(buf, 1, (size_t)r, stderr);
  }
}

/* SIGTERM, then the exit status must be 0 within 8 s. */
static void stop_server(void) {
  int st;
  kill(server_pid, SIGTERM);
  double end = now_s() + 8;
  while (now_s() < end) {
    pump_stderr();
    pid_t r = waitpid(server_pid, &st, WNOHANG);
    if (r == server_pid) {
      pump_stderr();
      server_pid = -1;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("server exit status %d (signal %d)",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1,
             WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      return;
    }
    usleep(20000);
  }
  fail("server did not exit after SIGTERM");
}

static int connect_to(int nonblock) {
  int fd = socket(server_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0),
                  0);
  if (fd < 0)
    fail("socket: %s", strerror(errno));
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (server_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    s6->sin6_addr = in6addr_loopback;
    len = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *s4;
  }
  if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
    fail("connect: %s", strerror(errno));
  return fd;
}

/* Reads until buf holds a complete final reply line ("ddd " ... CRLF) or
 * EOF or the deadline.  Returns the octets read (NUL-terminated). */
static size_t read_reply(int fd, char *buf, size_t cap, double secs) {
  size_t len = 0;
  double end = now_s() + secs;
  buf[0] = 0;
  while (len < cap - 1) {
    /* complete final line? */
    char *line = buf;
    for (;;) {
      char *nl = strstr(line, "\r\n");
      if (!nl)
        break;
      if (nl - line >= 4 && line[3] == ' ')
        return len;
      line = nl + 2;
    }
    int ms = (int)((end - now_s()) * 1000);
    if (ms <= 0)
      return len;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0)
      return len;
    ssize_t r = read(fd, buf + len, cap - 1 - len);
    if (r <= 0)
      return len;
    len += (size_t)r;
    buf[len] = 0;
  }
  return len;
}

static void send_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      fail("send: %s", strerror(errno));
    s += w;
    n -= (size_t)w;
  }
}

/* One command, one expected reply code.  Returns 0 if it matched. */
static int chat(int fd, const char *cmd, const char *code, double secs) {
  char buf[4096];
  if (cmd)
    send_all(fd, cmd, strlen(cmd));
  read_reply(fd, buf, sizeof buf, secs);
  char *last = buf, *p;
  while ((p = strstr(last, "\r\n")) && p[2])
    last = p + 2;
  if (strncmp(last, code, 3) != 0) {
    fprintf(stderr, "after %s expected %s, got: %s\n", cmd ? cmd : "connect",
            code, buf);
    return -1;
  }
  return 0;
}

/* Waits for EOF (returns 0) within secs; appends what came to buf. */
static int wait_eof(int fd, char *buf, size_t cap, double secs) {
  size_t len = strlen(buf);
  double end = now_s() + secs;
  for (;;) {
    int ms = (int)((end - now_s()) * 1000);
    if (ms <= 0)
      return -1;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0)
      return -1;
    ssize_t r = read(fd, buf + len, cap - 1 - len);
    if (r == 0)
      return 0;
    if (r < 0)
      return errno == ECONNRESET ? 0 : -1;
    len += (size_t)r;
    buf[len] = 0;
    if (len >= cap - 1)
      len = 0;
  }
}

static int transaction(int fd, double secs) {
  return chat(fd, NULL, "220", secs) ||
         chat(fd, "EHLO client.example\r\n", "250", secs) ||
         chat(fd, "MAIL FROM:<a@b.example>\r\n", "250", secs) ||
         chat(fd, "RCPT TO:<c@d.example>\r\n", "250", secs) ||
         chat(fd, "DATA\r\n", "354", secs) ||
         chat(fd, "Subject: t\r\n\r\nhello\r\n.\r\n", "250", secs) ||
         chat(fd, "QUIT\r\n", "221", secs);
}

/* ---------------------------------------------------------------- */

/* Sends cmd, then reads until the last complete line read is a 250. */
static int ends_with_250(int fd, const char *cmd) {
  char buf[8192];
  size_t len = 0;
  double end = now_s() + 3.0;
  send_all(fd, cmd, strlen(cmd));
  while (len < sizeof buf - 1 && now_s() < end) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, MSG_DONTWAIT);
    if (r <= 0)
      break;
    len += (size_t)r;
    buf[len] = 0;
    if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n') {
      char *last = buf + len - 2;
      while (last > buf && last[-1] != '\n')
        last--;
      if (strncmp(last, "250 ", 4) == 0)
        return 1;
    }
  }
  fprintf(stderr, "slow client got: %s\n", buf);
  return 0;
}

static int t_slowloris(void) {
  enum { NSLOW = 200 };
  static int fds[NSLOW];
  const char drip[] = "EHLO slow.example\r\nNOOP\r\nNOOP\r\nNOOP\r\n";
  size_t pos = 0;

  raise_nofile();
  start_server(NULL);
  for (int i = 0; i < NSLOW; i++)
    fds[i] = connect_to(1);
  pid_t child = fork();
  if (child == 0) {
    usleep(800000); /* the slow clients are dripping by now */
    int fd = connect_to(0);
    double t0 = now_s();
    int r = transaction(fd, 2.0);
    double dt = now_s() - t0;
    fprintf(stderr, "normal client: %s in %.3f s\n", r ? "FAILED" : "done",
            dt);
    _exit(r == 0 && dt < 2.0 ? 0 : 1);
  }
  double end = now_s() + 3.0;
  while (now_s() < end) {
    char c = drip[pos++ % (sizeof drip - 1)];
    for (int i = 0; i < NSLOW; i++) {
      char junk[512];
      (void)send(fds[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      while (recv(fds[i], junk, sizeof junk, MSG_DONTWAIT) > 0)
        ;
    }
    usleep(50000);
  }
  int st;
  waitpid(child, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fail("the normal client did not finish promptly beside %d slow ones",
         NSLOW);
  /* The slow clients are still served: each still gets a NOOP reply. */
  int alive = 0;
  for (int i = 0; i < NSLOW; i++) {
    if (ends_with_250(fds[i], "\r\nNOOP\r\n"))
      alive++;
  }
  fprintf(stderr, "%d of %d slow clients still answered\n", alive, NSLOW);
  if (alive != NSLOW)
    fail("slow clients lost");
  stop_server();
  return 0;
}

static int t_flood(void) {
  enum { NCLI = 80 };
  char *extra[] = {"--max-conn", "50", NULL};
  int fds[NCLI], n220 = 0, n421 = 0;

  start_server(extra);
  for (int i = 0; i < NCLI; i++)
    fds[i] = connect_to(0);
  for (int i = 0; i < NCLI; i++) {
    char buf[1024];
    read_reply(fds[i], buf, sizeof buf, 5.0);
    if (strncmp(buf, "220 ", 4) == 0)
      n220++;
    else if (strcmp(buf, "421 Too many connections, try again later\r\n") == 0)
      n421++;
    else
      fprintf(stderr, "client %d got: %s\n", i, buf);
  }
  fprintf(stderr, "220: %d, 421: %d\n", n220, n421);
  if (n220 != 50 || n421 != 30)
    fail("expected 50 x 220 and 30 x 421");
  /* A slot freed by QUIT is reused. */
  if (chat(fds[0], "QUIT\r\n", "221", 3.0))
    fail("QUIT");
  close(fds[0]); /* the server lingers until our side closes */
  usleep(200000);
  int fd = connect_to(0);
  if (chat(fd, NULL, "220", 3.0))
    fail("freed slot not reused");
  stop_server();
  return 0;
}

static int count_lines(const char *buf, size_t len, const char *prefix) {
  int n = 0;
  size_t pl = strlen(prefix);
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if ((size_t)(end - p) >= pl && memcmp(p, prefix, pl) == 0)
      n++;
    if (!nl)
      break;
    p = nl + 1;
  }
  return n;
}

static int count_dir(const char *path) {
  DIR *d = opendir(path);
  struct dirent *e;
  int n = 0;
  if (!d)
    return -1;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

static int t_pipeline(int maildir) {
  enum { NCLI = 20, NTX = 200 };
  char dir[] = "/tmp/sink_test_XXXXXX";
  char md[300];
  static char req[NTX * 256 + 64];
  static char resp[NCLI][NTX * 160 + 4096];
  size_t rlen[NCLI] = {0}, sent[NCLI] = {0};
  int fds[NCLI], done[NCLI] = {0};
  size_t qlen = 0;

  if (maildir) {
    if (!mkdtemp(dir))
      fail("mkdtemp");
    snprintf(md, sizeof md, "%s/Maildir", dir);
    char *extra[] = {"--maildir", md, "--no-fsync", NULL};
    start_server(extra);
  } else {
    start_server(NULL);
  }
  qlen += (size_t)sprintf(req + qlen, "EHLO pipe.example\r\n");
  for (int t = 0; t < NTX; t++)
    qlen += (size_t)sprintf(req + qlen,
                            "MAIL FROM:<s%d@pipe.example>\r\n"
                            "RCPT TO:<r@dest.example>\r\n"
                            "DATA\r\n"
                            "Subject: %d\r\n\r\nFrom here\r\n..dot\r\n.\r\n",
                            t, t);
  qlen += (size_t)sprintf(req + qlen, "QUIT\r\n");
  for (int i = 0; i < NCLI; i++)
    fds[i] = connect_to(1);
  double end = now_s() + 20;
  int left = NCLI;
  while (left > 0 && now_s() < end) {
    struct pollfd p[NCLI];
    for (int i = 0; i < NCLI; i++) {
      p[i].fd = done[i] ? -1 : fds[i];
      p[i].events = POLLIN | (sent[i] < qlen ? POLLOUT : 0);
      p[i].revents = 0;
    }
    if (poll(p, NCLI, 500) <= 0)
      continue;
    for (int i = 0; i < NCLI; i++) {
      if (p[i].revents & POLLOUT) {
        /* "in one write": the whole request is offered at once */
        ssize_t w = send(fds[i], req + sent[i], qlen - sent[i],
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
          sent[i] += (size_t)w;
      }
      if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r = read(fds[i], resp[i] + rlen[i],
                         sizeof resp[i] - 1 - rlen[i]);
        if (r > 0) {
          rlen[i] += (size_t)r;
        } else if (r == 0 || errno != EAGAIN) {
          done[i] = 1;
          left--;
        }
      }
    }
  }
  int total = 0;
  for (int i = 0; i < NCLI; i++) {
    int n250 = count_lines(resp[i], rlen[i], "250 2.0.0");
    int n354 = count_lines(resp[i], rlen[i], "354 ");
    int nmail = count_lines(resp[i], rlen[i], "250 2.1.0");
    int nrcpt = count_lines(resp[i], rlen[i], "250 2.1.5");
    int n221 = count_lines(resp[i], rlen[i], "221 ");
    total += n250;
    if (n250 != NTX || n354 != NTX || nmail != NTX || nrcpt != NTX ||
        n221 != 1)
      fail("client %d: %d x 250 2.0.0, %d x 354, %d MAIL, %d RCPT, %d x 221 "
           "(sent %zu of %zu)", i, n250, n354, nmail, nrcpt, n221, sent[i],
           qlen);
  }
  fprintf(stderr, "%d clients x %d transactions: %d messages accepted\n",
          NCLI, NTX, total);
  stop_server();
  if (maildir) {
    char nd[400], td[400];
    snprintf(nd, sizeof nd, "%s/new", md);
    snprintf(td, sizeof td, "%s/tmp", md);
    int files = count_dir(nd), tmp = count_dir(td);
    fprintf(stderr, "Maildir new/: %d files, tmp/: %d\n", files, tmp);
    if (files != total || tmp != 0)
      fail("Maildir holds %d messages (tmp %d), %d were accepted", files, tmp,
           total);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
      fprintf(stderr, "cleanup failed\n");
  }
  return 0;
}

static int t_idle(void) {
  char *extra[] = {"--idle-timeout", "1", NULL};
  char buf[2048];

  start_server(extra);
  int fd = connect_to(0);
  if (chat(fd, NULL, "220", 3.0) || chat(fd, "EHLO a.example\r\n", "250", 3))
    fail("greeting");
  double t0 = now_s();
  buf[0] = 0;
  read_reply(fd, buf, sizeof buf, 4.0);
  double dt = now_s() - t0;
  fprintf(stderr, "after %.2f s: %s", dt, buf);
  if (strncmp(buf, "421 ", 4) != 0 || dt < 0.9 || dt > 3.0)
    fail("no 421 after 1 s idle");
  if (wait_eof(fd, buf, sizeof buf, 3.0) < 0)
    fail("not closed after the 421");
  /* A busy session is not idle: NOOP every 0.4 s for 2 s. */
  fd = connect_to(0);
  if (chat(fd, NULL, "220", 3.0))
    fail("greeting");
  for (int i = 0; i < 5; i++) {
    usleep(400000);
    if (chat(fd, "NOOP\r\n", "250", 2.0))
      fail("active session timed out");
  }
  stop_server();
  return 0;
}

static int t_sigterm(void) {
  enum { N = 10 };
  int fds[N];
  char buf[4096];

  start_server(NULL);
  for (int i = 0; i < N; i++) {
    fds[i] = connect_to(0);
    if (chat(fds[i], NULL, "220", 3.0))
      fail("greeting");
  }
  /* Mixed states: before EHLO, after EHLO, in a transaction, in DATA. */
  for (int i = 3; i < N; i++)
    if (chat(fds[i], "EHLO a.example\r\n", "250", 3.0))
      fail("EHLO");
  for (int i = 6; i < N; i++)
    if (chat(fds[i], "MAIL FROM:<a@b.example>\r\n", "250", 3.0) ||
        chat(fds[i], "RCPT TO:<c@d.example>\r\n", "250", 3.0))
      fail("MAIL");
  for (int i = 8; i < N; i++)
    if (chat(fds[i], "DATA\r\n", "354", 3.0))
      fail("DATA");
  send_all(fds[9], "half a line", 11);
  kill(server_pid, SIGTERM);
  for (int i = 0; i < N; i++) {
    buf[0] = 0;
    read_reply(fds[i], buf, sizeof buf, 5.0);
    if (strstr(buf, "421 ") != buf)
      fail("session %d got %s instead of 421", i, buf);
    if (wait_eof(fds[i], buf, sizeof buf, 5.0) < 0)
      fail("session %d not closed", i);
  }
  stop_server(); /* waits for exit 0 */
  return 0;
}

static long vmrss_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

static int t_rss(void) {
  enum { N = 1000 };
  static int fds[N];
  char *extra[] = {"--max-conn", "1000", NULL};

  raise_nofile();
  if (nofile() < N + 64) {
    fprintf(stderr, "SKIP: the descriptor limit %ld is below %d\n", nofile(),
            N + 64);
    return 77;
  }
  start_server(extra);
  long before = vmrss_kib(server_pid);
  for (int i = 0; i < N; i++)
    fds[i] = connect_to(0);
  for (int i = 0; i < N; i++)
    if (chat(fds[i], NULL, "220", 5.0))
      fail("client %d: no greeting", i);
  /* Half of them also say EHLO: idle sessions in both states. */
  for (int i = 0; i < N; i += 2)
    if (chat(fds[i], "EHLO idle.example\r\n", "250", 5.0))
      fail("client %d: EHLO", i);
  long rss = vmrss_kib(server_pid);
  printf("metric sink_rss_1000_idle_kib %ld\n", rss);
  fprintf(stderr, "VmRSS: %ld KiB before, %ld KiB with %d idle sessions\n",
          before, rss, N);
  int skip = getenv("SINK_RSS_SKIP") != NULL;
  stop_server();
  if (skip) {
    fprintf(stderr, "SKIP: sanitizer build, RSS bound not checked\n");
    return 77;
  }
  if (rss < 0 || rss >= 10 * 1024)
    fail("VmRSS %ld KiB >= 10 MiB", rss);
  return 0;
}

static int t_mbox(void) {
  char dir[] = "/tmp/sink_test_XXXXXX";
  char mbox[300], cmd[400];

  if (!mkdtemp(dir))
    fail("mkdtemp");
  snprintf(mbox, sizeof mbox, "%s/mbox", dir);
  char *extra[] = {"--mbox", mbox, NULL};
  start_server(extra);
  int fd = connect_to(0);
  if (chat(fd, NULL, "220", 3) || chat(fd, "EHLO a.example\r\n", "250", 3))
    fail("greeting");
  for (int m = 0; m < 3; m++) {
    if (chat(fd, "MAIL FROM:<a@b.example>\r\n", "250", 3) ||
        chat(fd, "RCPT TO:<c@d.example>\r\n", "250", 3) ||
        chat(fd, "DATA\r\n", "354", 3) ||
        chat(fd,
             "Subject: m\r\n\r\nFrom the start\r\n>From quoted\r\n"
             "..dot\r\nFrom\r\n.\r\n",
             "250", 3))
      fail("transaction %d", m);
  }
  /* An aborted DATA leaves nothing. */
  if (chat(fd, "MAIL FROM:<>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<c@d.example>\r\n", "250", 3) ||
      chat(fd, "DATA\r\n", "354", 3))
    fail("last transaction");
  send_all(fd, "From partial\r\n", 14);
  close(fd);
  usleep(200000);
  stop_server();
  FILE *f = fopen(mbox, "r");
  if (!f)
    fail("no mbox");
  char line[512];
  int froms = 0, q1 = 0, q2 = 0, dots = 0, bare = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "From a@b.example ", 17) == 0)
      froms++;
    else if (strncmp(line, "From ", 5) == 0)
      fail("unquoted From line: %s", line);
    if (strcmp(line, ">From the start\n") == 0)
      q1++;
    if (strcmp(line, ">>From quoted\n") == 0)
      q2++;
    if (strcmp(line, ".dot\n") == 0)
      dots++;
    if (strcmp(line, "From\n") == 0)
      bare++;
    if (strchr(line, '\r'))
      fail("CR left in mbox");
  }
  fclose(f);
  fprintf(stderr, "mbox: %d messages, quoting %d/%d, dots %d, From %d\n",
          froms, q1, q2, dots, bare);
  if (froms != 3 || q1 != 3 || q2 != 3 || dots != 3 || bare != 3)
    fail("mbox content wrong");
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cleanup failed\n");
  return 0;
}

/* A failed delivery gets 451, never 250. */
static int t_maildir_fail(void) {
  char dir[] = "/tmp/sink_test_XXXXXX";
  char md[300], cmd[400];

  if (!mkdtemp(dir))
    fail("mkdtemp");
  snprintf(md, sizeof md, "%s/Maildir", dir);
  char *extra[] = {"--maildir", md, NULL};
  start_server(extra);
  snprintf(cmd, sizeof cmd, "rm -rf %s/tmp", md); /* deliveries now fail */
  if (system(cmd) != 0)
    fail("rm");
  int fd = connect_to(0);
  if (chat(fd, NULL, "220", 3) || chat(fd, "EHLO a.example\r\n", "250", 3) ||
      chat(fd, "MAIL FROM:<a@b.example>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<c@d.example>\r\n", "250", 3) ||
      chat(fd, "DATA\r\n", "354", 3) ||
      chat(fd, "Subject: x\r\n\r\nbody\r\n.\r\n", "451", 3) ||
      chat(fd, "QUIT\r\n", "221", 3))
    fail("expected 451 for a message that could not be stored");
  stop_server();
  snprintf(cmd, sizeof cmd, "%s/new", md);
  if (count_dir(cmd) != 0)
    fail("a message was stored");
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cleanup failed\n");
  return 0;
}

static int t_ipv6(void) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
    fprintf(stderr, "SKIP: no IPv6 loopback\n");
    return 77;
  }
  close(s);
  server_family = AF_INET6;
  start_server(NULL);
  int fd = connect_to(0);
  if (transaction(fd, 3.0))
    fail("transaction over IPv6");
  stop_server();
  return 0;
}

static int run_status(char **argv) {
  pid_t p = fork();
  if (p == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execv(smtpp_bin, argv);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int t_badflags(void) {
  char *b = (char *)smtpp_bin;
  char *cases[][10] = {
      {b, "serve", "--listen", "nonsense", NULL},
      {b, "serve", "--listen", "127.0.0.1", NULL},
      {b, "serve", "--listen", "127.0.0.1:65536", NULL},
      {b, "serve", "--listen", "::1:25", NULL},
      {b, "serve", "--listen", "[::1]25", NULL},
      {b, "serve", "--listen", "localhost:25", NULL},
      {b, "serve", "--listen", "127.0.0.1:0", "--max-conn", "0", NULL},
      {b, "serve", "--listen", "127.0.0.1:0", "--idle-timeout", "x", NULL},
      {b, "serve", "--listen", "127.0.0.1:0", "--maildir", "a", "--mbox",
       "b", NULL},
      {b, "serve", "--stdio", "--maildir", "/tmp/x", NULL},
      {b, "serve", "--stdio", "--listen", "127.0.0.1:0", NULL},
      {b, "serve", NULL},
      {b, "serve", "--listen", "127.0.0.1:0", "--hostname", "bad..name",
       NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int st = run_status(cases[i]);
    if (st != 2)
      fail("case %zu (%s %s %s): exit %d, expected 2", i, cases[i][2],
           cases[i][3] ? cases[i][3] : "", cases[i][3] && cases[i][4] ?
           cases[i][4] : "", st);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sink_test SMTPP SCENARIO\n");
    return 2;
  }
  smtpp_bin = argv[1];
  signal(SIGPIPE, SIG_IGN);
  const char *s = argv[2];
  int r;
  if (strcmp(s, "slowloris") == 0)
    r = t_slowloris();
  else if (strcmp(s, "flood") == 0)
    r = t_flood();
  else if (strcmp(s, "pipeline") == 0)
    r = t_pipeline(0);
  else if (strcmp(s, "pipeline_maildir") == 0)
    r = t_pipeline(1);
  else if (strcmp(s, "idle") == 0)
    r = t_idle();
  else if (strcmp(s, "sigterm") == 0)
    r = t_sigterm();
  else if (strcmp(s, "rss") == 0)
    r = t_rss();
  else if (strcmp(s, "mbox") == 0)
    r = t_mbox();
  else if (strcmp(s, "maildir_fail") == 0)
    r = t_maildir_fail();
  else if (strcmp(s, "ipv6") == 0)
    r = t_ipv6();
  else if (strcmp(s, "badflags") == 0)
    r = t_badflags();
  else {
    fprintf(stderr, "unknown scenario %s\n", s);
    return 2;
  }
  if (r == 0)
    fprintf(stderr, "PASS: %s\n", s);
  return r;
}
