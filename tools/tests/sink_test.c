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
 *   pipeline_fsync    pipeline_maildir with fsync (the writer thread)
 *   oversize          --size: tmp/ never holds more than SIZE + one read,
 *                     for DATA and BDAT; 552 at the end
 *   tmp_cleanup       tmp/ files older than 36 h are removed at start
 *   maildir_recreate  a Maildir deleted while running is created again
 *   fsync_fail        a failed fsync (file or new/) gives 451, never 250
 *                     (needs the fsync_fail.so preload as 3rd argument)
 *   envelope          Return-Path, Delivered-To per recipient, Received
 *   command_timeout   trickled octets do not extend --command-timeout
 *   min_rate          a body below --min-rate is cut off after 10 s
 *   reclaim           at --max-conn, a client stuck in a command for
 *                     --reclaim-after gives its slot to a new client
 *   log_json          --log-format json: every line parses; fields
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
static int server_family = AF_INET;
static int port;
/* The server's stderr goes to a file, never a pipe: a log nobody reads
 * must not block the server. */
static char server_log[64];
static off_t log_shown; /* octets of the log already copied to our stderr */

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

/* The whole server log so far (static buffer, NUL-terminated). */
static const char *read_log(size_t *len) {
  static char buf[1 << 20];
  size_t n = 0;
  int fd = open(server_log, O_RDONLY);
  if (fd >= 0) {
    ssize_t r;
    while (n < sizeof buf - 1 &&
           (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
      n += (size_t)r;
    close(fd);
  }
  buf[n] = 0;
  if (len)
    *len = n;
  return buf;
}

/* Starts the server with extra arguments (NULL-terminated) and extra
 * environment (NULL or "NAME=VALUE"); returns 0, or -1 if it did not print
 * "listening on". */
static int start_server_env(const char *listen, char **extra,
                            const char *env) {
  char *argv[40];
  int n = 0;

  if (server_log[0])
    unlink(server_log);
  snprintf(server_log, sizeof server_log, "/tmp/sink_test_log_XXXXXX");
  int lfd = mkstemp(server_log);
  if (lfd < 0)
    fail("mkstemp");
  log_shown = 0;
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
    dup2(lfd, 2);
    close(lfd);
    if (env)
      putenv((char *)env);
    execv(smtpp_bin, argv);
    _exit(127);
  }
  close(lfd);
  double end = now_s() + 5;
  while (now_s() < end) {
    const char *log = read_log(NULL);
    const char *l = strstr(log, "listening on ");
    const char *nl = l ? strchr(l, '\n') : NULL;
    if (nl) {
      const char *colon = nl;
      while (colon > l && *colon != ':')
        colon--;
      port = atoi(colon + 1);
      fprintf(stderr, "server pid %d: %.*s\n", (int)server_pid,
              (int)(nl - l), l);
      return port > 0 ? 0 : -1;
    }
    usleep(20000);
  }
  fprintf(stderr, "server said: %s\n", read_log(NULL));
  return -1;
}

static int start_server_v(const char *listen, char **extra) {
  return start_server_env(listen, extra, NULL);
}

static void start_server(char **extra) {
  if (start_server_v(server_family == AF_INET6 ? "[::1]:0" : "127.0.0.1:0",
                     extra) < 0)
    fail("server did not start");
}

/* Copies what the server logged since the last call to our stderr. */
static void pump_stderr(void) {
  size_t len;
  const char *log = read_log(&len);
  if ((off_t)len > log_shown) {
    fwrite(log + log_shown, 1, len - (size_t)log_shown, stderr);
    log_shown = (off_t)len;
  }
}

/* SIGTERM, then the exit status must be 0 within 8 s.  The log file is
 * kept until the next start (tests read it after the stop). */
static void stop_server(void) {
  int st;
  kill(server_pid, SIGTERM);
  double end = now_s() + 8;
  while (now_s() < end) {
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
  pump_stderr();
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
  enum { NCLI = 20, NTX_MAX = 200 };
  /* Every stored message waits for the writer thread (and with fsync for
   * the disk): fewer of them, so a loaded machine still finishes. */
  const int NTX = maildir == 2 ? 25 : maildir ? 100 : NTX_MAX;
  char dir[] = "/tmp/sink_test_XXXXXX";
  char md[300];
  static char req[NTX_MAX * 256 + 64];
  static char resp[NCLI][NTX_MAX * 160 + 4096];
  size_t rlen[NCLI] = {0}, sent[NCLI] = {0};
  int fds[NCLI], done[NCLI] = {0};
  size_t qlen = 0;

  if (maildir) {
    if (!mkdtemp(dir))
      fail("mkdtemp");
    snprintf(md, sizeof md, "%s/Maildir", dir);
    /* 2: with fsync, so every message parks on the writer thread while
     * the rest of the pipelined input waits. */
    char *extra[] = {"--maildir", md, maildir == 2 ? NULL : "--no-fsync",
                     NULL};
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

static long long dir_octets(const char *path);

/* A failed delivery gets 451, never 250. */
static int t_maildir_fail(void) {
  char dir[] = "/tmp/sink_test_XXXXXX";
  char md[300], cmd[2 * 300 + 32]; /* two paths: gcc -Wformat-truncation */

  if (!mkdtemp(dir))
    fail("mkdtemp");
  snprintf(md, sizeof md, "%s/Maildir", dir);
  char *extra[] = {"--maildir", md, NULL};
  start_server(extra);
  /* Deliveries now fail: new/ is a plain file, which no reopen can fix (a
   * deleted directory is created again: see maildir_recreate).  new/, not
   * tmp/: the writer thread may be making files in tmp/ right now. */
  snprintf(cmd, sizeof cmd, "rm -rf %s/new && : > %s/new", md, md);
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
  snprintf(cmd, sizeof cmd, "%s/tmp", md);
  if (dir_octets(cmd) != 0)
    fail("the message was left in tmp/");
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

/* ---- durable delivery, disk bound, crash leftovers ---- */

static void make_tmpdir(char *dir, size_t cap, char *md, size_t mdcap) {
  snprintf(dir, cap, "/tmp/sink_test_XXXXXX");
  if (!mkdtemp(dir))
    fail("mkdtemp");
  snprintf(md, mdcap, "%s/Maildir", dir);
}

static void rm_rf(const char *dir) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* Sum of the sizes of the files in dir (-1 if it cannot be read). */
static long long dir_octets(const char *path) {
  DIR *d = opendir(path);
  struct dirent *e;
  long long sum = 0;
  if (!d)
    return -1;
  while ((e = readdir(d))) {
    struct stat st;
    if (e->d_name[0] != '.' &&
        fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      sum += st.st_size;
  }
  closedir(d);
  return sum;
}

/* The one file in dir: its content into buf.  Returns its length, or -1. */
static long only_file(const char *dir, char *buf, size_t cap) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[600];
  int found = 0;
  if (!d)
    return -1;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      found++;
    }
  closedir(d);
  if (found != 1)
    return -1;
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0)
    return -1;
  buf[n] = 0;
  return (long)n;
}

static int begin_tx(int fd) {
  return chat(fd, NULL, "220", 3) || chat(fd, "EHLO a.example\r\n", "250", 3) ||
         chat(fd, "MAIL FROM:<a@b.example>\r\n", "250", 3) ||
         chat(fd, "RCPT TO:<c@d.example>\r\n", "250", 3);
}

/* RFC 1870: a body past SIZE is refused with 552 at its end; meanwhile
 * tmp/ never holds more than the limit plus one read (4 KiB) plus the
 * header lines, for DATA and for one huge BDAT chunk. */
static int t_oversize(void) {
  enum { LIMIT = 100000, SLACK = 4096 + 1024, BLOCK = 200 * 1000 };
  char dir[64], md[128], td[160];
  static char block[BLOCK];
  long long hwm = 0;

  make_tmpdir(dir, sizeof dir, md, sizeof md);
  snprintf(td, sizeof td, "%s/tmp", md);
  char *extra[] = {"--maildir", md, "--size", "100000", NULL};
  start_server(extra);
  for (int i = 0; i < BLOCK; i++) /* 1000-octet lines: 998 'x' and CRLF */
    block[i] = (i % 1000 == 998) ? '\r' : (i % 1000 == 999) ? '\n' : 'x';
  for (int bdat = 0; bdat < 2; bdat++) {
    int fd = connect_to(0);
    if (begin_tx(fd))
      fail("transaction");
    if (bdat) {
      char cmd[64];
      snprintf(cmd, sizeof cmd, "BDAT %d LAST\r\n", 10 * BLOCK);
      send_all(fd, cmd, strlen(cmd));
    } else if (chat(fd, "DATA\r\n", "354", 3)) {
      fail("DATA");
    }
    /* 2 MB in 200 kB steps; after each step the server has had time to
     * store what it read. */
    for (int k = 0; k < 10; k++) {
      send_all(fd, block, sizeof block);
      usleep(100000);
      long long t = dir_octets(td);
      if (t > hwm)
        hwm = t;
    }
    if (chat(fd, bdat ? NULL : ".\r\n", "552", 5))
      fail("%s over SIZE did not get 552", bdat ? "BDAT" : "DATA");
    if (chat(fd, "QUIT\r\n", "221", 3))
      fail("QUIT");
    close(fd);
  }
  stop_server();
  fprintf(stderr, "tmp/ high-water %lld octets for 2 MB bodies, SIZE %d\n",
          hwm, LIMIT);
  if (hwm > LIMIT + SLACK)
    fail("tmp/ held %lld octets, over SIZE %d + %d", hwm, LIMIT, SLACK);
  if (dir_octets(td) != 0)
    fail("tmp/ not empty at the end");
  rm_rf(dir);
  return 0;
}

/* Maildir convention: tmp files older than 36 hours are a crashed
 * writer's and are removed at start; newer ones are left alone. */
static int t_tmp_cleanup(void) {
  char dir[64], md[128], p[300];
  make_tmpdir(dir, sizeof dir, md, sizeof md);
  const char *sub[] = {"", "/tmp", "/new", "/cur"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s%s", md, sub[i]);
    if (mkdir(p, 0700) < 0)
      fail("mkdir %s", p);
  }
  const char *names[] = {"old", "fresh", "edge"};
  double age_h[] = {40, 0, 35};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/tmp/%s", md, names[i]);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    if (fd < 0 || write(fd, "x\n", 2) != 2)
      fail("create %s", p);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= (time_t)(age_h[i] * 3600);
    ts[1] = ts[0];
    if (futimens(fd, ts) < 0)
      fail("futimens");
    close(fd);
  }
  char *extra[] = {"--maildir", md, NULL};
  start_server(extra);
  stop_server();
  int left[3];
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/tmp/%s", md, names[i]);
    left[i] = access(p, F_OK) == 0;
  }
  fprintf(stderr, "after start: old %s, fresh %s, 35 h old %s\n",
          left[0] ? "kept" : "removed", left[1] ? "kept" : "removed",
          left[2] ? "kept" : "removed");
  if (left[0] || !left[1] || !left[2])
    fail("tmp cleanup wrong");
  rm_rf(dir);
  return 0;
}

static int one_message(int fd, const char *code) {
  return begin_tx(fd) || chat(fd, "DATA\r\n", "354", 3) ||
         chat(fd, "Subject: x\r\n\r\nbody\r\n.\r\n", code, 5) ||
         chat(fd, "QUIT\r\n", "221", 3);
}

/* A Maildir deleted while the sink runs is created again at the next
 * delivery (ENOENT: reopen), not answered 451 until a restart. */
static int t_maildir_recreate(void) {
  char dir[64], md[128], nd[160];
  make_tmpdir(dir, sizeof dir, md, sizeof md);
  snprintf(nd, sizeof nd, "%s/new", md);
  char *extra[] = {"--maildir", md, NULL};
  start_server(extra);
  int fd = connect_to(0);
  if (one_message(fd, "250"))
    fail("first message");
  close(fd);
  rm_rf(md);
  for (int i = 0; i < 2; i++) {
    fd = connect_to(0);
    if (one_message(fd, "250"))
      fail("message %d after the Maildir was deleted", i + 2);
    close(fd);
  }
  stop_server();
  if (count_dir(nd) != 2)
    fail("new/ holds %d messages, 2 expected", count_dir(nd));
  rm_rf(dir);
  return 0;
}

/* A failed fsync never becomes 250: of the message file, or of new/
 * (tools/tests/fsync_fail.c, preloaded, fails the one asked for). */
static int t_fsync_fail(const char *preload) {
  const char *which[] = {"file", "dir"};
  for (int i = 0; i < 2; i++) {
    char dir[64], md[128], nd[160], env[600];
    make_tmpdir(dir, sizeof dir, md, sizeof md);
    snprintf(nd, sizeof nd, "%s/new", md);
    char *extra[] = {"--maildir", md, NULL};
    setenv("SINK_FSYNC_FAIL", which[i], 1);
    snprintf(env, sizeof env, "LD_PRELOAD=%s", preload);
    if (start_server_env("127.0.0.1:0", extra, env) < 0)
      fail("server did not start");
    unsetenv("SINK_FSYNC_FAIL");
    int fd = connect_to(0);
    if (one_message(fd, "451"))
      fail("a failed fsync of the %s did not give 451", which[i]);
    close(fd);
    stop_server();
    if (count_dir(nd) != 0)
      fail("new/ holds a message whose fsync failed");
    rm_rf(dir);
  }
  return 0;
}

/* Return-Path, one Delivered-To per recipient, a Received line with the
 * EHLO name and the peer (RFC 5321 4.4); "for" only with one recipient. */
static int t_envelope(void) {
  char dir[64], md[128], nd[160];
  static char buf[8192];
  make_tmpdir(dir, sizeof dir, md, sizeof md);
  snprintf(nd, sizeof nd, "%s/new", md);
  char *extra[] = {"--maildir", md, "--hostname", "mx.example", NULL};
  start_server(extra);
  int fd = connect_to(0);
  if (chat(fd, NULL, "220", 3) ||
      chat(fd, "EHLO client.example\r\n", "250", 3) ||
      chat(fd, "MAIL FROM:<s@a.example>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<r1@b.example>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<r2@c.example>\r\n", "250", 3) ||
      chat(fd, "DATA\r\n", "354", 3) ||
      chat(fd, "Subject: env\r\n\r\nbody\r\n.\r\n", "250", 5) ||
      chat(fd, "QUIT\r\n", "221", 3))
    fail("transaction");
  close(fd);
  stop_server();
  if (only_file(nd, buf, sizeof buf) < 0)
    fail("no single message in new/");
  fprintf(stderr, "stored:\n%s", buf);
  const char *want =
      "Return-Path: <s@a.example>\n"
      "Delivered-To: r1@b.example\n"
      "Delivered-To: r2@c.example\n"
      "Received: from client.example ([127.0.0.1])\n"
      "\tby mx.example (smtpp) with ESMTP id ";
  if (strncmp(buf, want, strlen(want)) != 0)
    fail("envelope lines wrong");
  const char *semi = strstr(buf, ";\n\t");
  const char *subj = strstr(buf, "\nSubject: env\n\nbody\n");
  if (!semi || !subj || semi > subj || strstr(buf, "\tfor <"))
    fail("Received line or body wrong");
  /* RFC 5322 3.3 date after the ';'. */
  int d, y, hh, mm, ss;
  char wd[4], mon[4];
  if (sscanf(semi + 3, "%3s, %d %3s %d %d:%d:%d +0000", wd, &d, mon, &y, &hh,
             &mm, &ss) != 7)
    fail("Received date not RFC 5322");
  rm_rf(dir);
  return 0;
}

/* ---- slow clients ---- */

/* --command-timeout: octets trickled without ever ending the command do
 * not keep the session. */
static int t_command_timeout(void) {
  char *extra[] = {"--command-timeout", "1", NULL};
  char buf[2048];
  start_server(extra);
  int fd = connect_to(0);
  if (chat(fd, NULL, "220", 3) || chat(fd, "EHLO a.example\r\n", "250", 3))
    fail("greeting");
  double t0 = now_s();
  buf[0] = 0;
  for (int i = 0; i < 40 && !buf[0]; i++) {
    send(fd, "N", 1, MSG_NOSIGNAL);
    read_reply(fd, buf, sizeof buf, 0.1);
  }
  double dt = now_s() - t0;
  fprintf(stderr, "after %.2f s: %s", dt, buf);
  if (strncmp(buf, "421 4.4.2 ", 10) != 0 || dt > 3.0)
    fail("a trickling client was not closed by --command-timeout 1");
  stop_server();
  return 0;
}

/* --min-rate: a body trickled below the rate is cut off once it is 10 s
 * old. */
static int t_min_rate(void) {
  char *extra[] = {"--min-rate", "1000", NULL};
  char buf[2048];
  start_server(extra);
  int fd = connect_to(0);
  if (begin_tx(fd) || chat(fd, "DATA\r\n", "354", 3))
    fail("transaction");
  double t0 = now_s();
  buf[0] = 0;
  for (int i = 0; i < 150 && !buf[0]; i++) { /* 10 octets/s */
    send(fd, "x", 1, MSG_NOSIGNAL);
    read_reply(fd, buf, sizeof buf, 0.1);
  }
  double dt = now_s() - t0;
  fprintf(stderr, "after %.2f s: %s", dt, buf);
  if (strncmp(buf, "421 4.4.2 ", 10) != 0 || dt < 9.5 || dt > 13.0)
    fail("a slow body was not cut off by --min-rate");
  stop_server();
  return 0;
}

/* --max-conn full of clients that never finish a command: after
 * --reclaim-after the one waiting longest makes room for a new client. */
static int t_reclaim(void) {
  enum { N = 5 };
  char *extra[] = {"--max-conn", "5", "--reclaim-after", "1", NULL};
  int fds[N];
  char buf[2048];
  start_server(extra);
  for (int i = 0; i < N; i++) {
    fds[i] = connect_to(0);
    if (chat(fds[i], NULL, "220", 3))
      fail("greeting");
  }
  /* They trickle a command that never ends. */
  for (int k = 0; k < 12; k++) {
    for (int i = 0; i < N; i++)
      send(fds[i], "N", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    usleep(100000);
  }
  int fd = connect_to(0);
  double t0 = now_s();
  if (transaction(fd, 3.0))
    fail("a new client was shut out by %d slow ones", N);
  fprintf(stderr, "new client served in %.3f s\n", now_s() - t0);
  int reclaimed = 0;
  for (int i = 0; i < N; i++) {
    buf[0] = 0;
    read_reply(fds[i], buf, sizeof buf, 0.2);
    if (strncmp(buf, "421 ", 4) == 0 && strstr(buf, "Server busy"))
      reclaimed++;
  }
  fprintf(stderr, "%d slow client(s) got 421\n", reclaimed);
  if (reclaimed != 1)
    fail("expected exactly one slow client reclaimed, got %d", reclaimed);
  stop_server();
  size_t len;
  const char *log = read_log(&len);
  if (!strstr(log, "reclaimed=1"))
    fail("summary does not count the reclaimed session");
  return 0;
}

/* ---- the log ---- */

/* A strict JSON (RFC 8259) syntax check: returns the end of the value at
 * p, or NULL. */
static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

static const char *js_string(const char *p) {
  if (*p++ != '"')
    return NULL;
  for (;;) {
    unsigned char c = (unsigned char)*p;
    if (c == 0 || c < 0x20)
      return NULL;
    if (c == '"')
      return p + 1;
    if (c != '\\') {
      p++;
      continue;
    }
    p++;
    if (*p && strchr("\"\\/bfnrt", *p)) {
      p++;
    } else if (*p == 'u') {
      for (int i = 1; i <= 4; i++)
        if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
          return NULL;
      p += 5;
    } else {
      return NULL;
    }
  }
}

static const char *js_number(const char *p) {
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (*p >= '0' && *p <= '9')
      p++;
  else
    return NULL;
  if (*p == '.') {
    p++;
    if (!(*p >= '0' && *p <= '9'))
      return NULL;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  return p;
}

static const char *js_value(const char *p, int depth) {
  p = js_ws(p);
  if (depth > 16)
    return NULL;
  if (*p == '"')
    return js_string(p);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = js_ws(p + 1);
    if (*p == close)
      return p + 1;
    for (;;) {
      if (obj) {
        p = js_string(js_ws(p));
        if (!p)
          return NULL;
        p = js_ws(p);
        if (*p++ != ':')
          return NULL;
      }
      p = js_value(p, depth + 1);
      if (!p)
        return NULL;
      p = js_ws(p);
      if (*p == close)
        return p + 1;
      if (*p++ != ',')
        return NULL;
    }
  }
  if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
    return p + 4;
  if (strncmp(p, "false", 5) == 0)
    return p + 5;
  return js_number(p);
}

/* The line's top-level "key":value, copied raw into out. */
static int js_field(const char *line, const char *key, char *out,
                    size_t cap) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(line, k);
  if (!p)
    return -1;
  p += strlen(k);
  const char *e = js_value(p, 0);
  if (!e || (size_t)(e - p) >= cap)
    return -1;
  memcpy(out, p, (size_t)(e - p));
  out[e - p] = 0;
  return 0;
}

static void want_field(const char *line, const char *key, const char *val) {
  char got[1024];
  if (js_field(line, key, got, sizeof got) < 0)
    fail("no \"%s\" in %s", key, line);
  if (val[0] == '~' ? strncmp(got, val + 1, strlen(val + 1)) != 0
                    : strcmp(got, val) != 0)
    fail("\"%s\" is %s, expected %s, in %s", key, got, val, line);
}

/* --log-format json: every line but "listening on" is one JSON object;
 * connection, message, counter and summary lines carry their fields. */
static int t_log_json(void) {
  char dir[64], md[128];
  make_tmpdir(dir, sizeof dir, md, sizeof md);
  char *extra[] = {"--maildir", md,    "--log-format", "json",
                   "--size",    "1000", NULL};
  start_server(extra);
  int fd = connect_to(0);
  char big[1200 + 8];
  memset(big, 'y', 1200);
  memcpy(big + 1200, "\r\n.\r\n", 6);
  if (chat(fd, NULL, "220", 3) ||
      chat(fd, "EHLO client.example\r\n", "250", 3) ||
      chat(fd, "MAIL FROM:<s@a.example>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<r1@b.example>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<r2@c.example>\r\n", "250", 3) ||
      chat(fd, "DATA\r\n", "354", 3) ||
      chat(fd, "Subject: j\r\n\r\nbody\r\n.\r\n", "250", 5) ||
      chat(fd, "MAIL FROM:<\"q\\\"t\"@a.example>\r\n", "250", 3) ||
      chat(fd, "RCPT TO:<r3@d.example>\r\n", "250", 3) ||
      chat(fd, "DATA\r\n", "354", 3) || chat(fd, big, "552", 5) ||
      chat(fd, "QUIT\r\n", "221", 3))
    fail("transactions");
  close(fd);
  usleep(200000);
  kill(server_pid, SIGUSR1);
  usleep(200000);
  stop_server();

  static char log[1 << 16];
  snprintf(log, sizeof log, "%s", read_log(NULL));
  int seen[6] = {0}, msgs = 0;
  const char *events[6] = {"\"connect\"", "\"message\"", "\"disconnect\"",
                           "\"stats\"", "\"shutdown\"", "\"summary\""};
  for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "listening on ", 13) == 0)
      continue;
    const char *end = js_value(line, 0);
    if (line[0] != '{' || !end || *js_ws(end))
      fail("not one JSON object: %s", line);
    want_field(line, "time", "~\"20");
    char ev[64];
    if (js_field(line, "event", ev, sizeof ev) < 0)
      fail("no event in %s", line);
    for (int i = 0; i < 6; i++)
      if (strcmp(ev, events[i]) == 0)
        seen[i]++;
    if (strcmp(ev, "\"connect\"") == 0) {
      want_field(line, "conn", "1");
      want_field(line, "peer", "~\"127.0.0.1:");
    } else if (strcmp(ev, "\"message\"") == 0) {
      want_field(line, "conn", "1");
      want_field(line, "helo", "\"client.example\"");
      if (msgs++ == 0) {
        want_field(line, "from", "\"s@a.example\"");
        want_field(line, "rcpt", "[\"r1@b.example\",\"r2@c.example\"]");
        want_field(line, "nrcpt", "2");
        want_field(line, "size", "20");
        want_field(line, "result", "250");
        want_field(line, "file", "~\"new/");
      } else {
        want_field(line, "from", "\"\\\"q\\\\\\\"t\\\"@a.example\"");
        want_field(line, "rcpt", "[\"r3@d.example\"]");
        want_field(line, "result", "552");
        want_field(line, "size", "1202");
      }
    } else if (strcmp(ev, "\"disconnect\"") == 0) {
      want_field(line, "messages", "1");
      want_field(line, "reason", "~\"");
      want_field(line, "duration_ms", "~");
    } else if (strcmp(ev, "\"stats\"") == 0 ||
               strcmp(ev, "\"summary\"") == 0) {
      want_field(line, "connections", "1");
      want_field(line, "accepted", "1");
      want_field(line, "rejected", "1");
      want_field(line, "failed", "0");
    }
  }
  for (int i = 0; i < 6; i++)
    if (seen[i] != (i == 1 ? 2 : 1))
      fail("%d %s lines", seen[i], events[i]);
  rm_rf(dir);
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

static void remove_log(void) {
  if (server_log[0])
    unlink(server_log);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: sink_test SMTPP SCENARIO [FSYNC_FAIL_SO]\n");
    return 2;
  }
  smtpp_bin = argv[1];
  const char *preload = argc == 4 ? argv[3] : "";
  atexit(remove_log);
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
  else if (strcmp(s, "pipeline_fsync") == 0)
    r = t_pipeline(2);
  else if (strcmp(s, "oversize") == 0)
    r = t_oversize();
  else if (strcmp(s, "tmp_cleanup") == 0)
    r = t_tmp_cleanup();
  else if (strcmp(s, "maildir_recreate") == 0)
    r = t_maildir_recreate();
  else if (strcmp(s, "fsync_fail") == 0)
    r = t_fsync_fail(preload);
  else if (strcmp(s, "envelope") == 0)
    r = t_envelope();
  else if (strcmp(s, "command_timeout") == 0)
    r = t_command_timeout();
  else if (strcmp(s, "min_rate") == 0)
    r = t_min_rate();
  else if (strcmp(s, "reclaim") == 0)
    r = t_reclaim();
  else if (strcmp(s, "log_json") == 0)
    r = t_log_json();
  else {
    fprintf(stderr, "unknown scenario %s\n", s);
    return 2;
  }
  if (r == 0)
    fprintf(stderr, "PASS: %s\n", s);
  return r;
}
