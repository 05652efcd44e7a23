/*
 * test_serve_modes.c - replays the dialogs through `smtpp serve --stdio`.
 *
 * For every dialog that serve can express (no T: barrier, no ! policy), the
 * directives become flags (--ext/--no-ext NAME, --size N, --max-rcpt N,
 * --max-errors N, --lenient NAME) and the client bytes are written to the
 * child's stdin in three modes:
 *   all    all at once;
 *   lines  up to and including each LF;
 *   bytes  one octet at a time;
 * In the last two, after each write the test reads the child's stdout and,
 * where the dialog has S: lines, waits (at most 2 s) until the replies
 * listed so far have arrived.  The concatenated stdout must parse into the
 * dialog's reply list.  B: bodies are not observable through serve and are
 * not checked.  A child is killed after 10 s; a child that dies from a
 * signal or exits with a status other than 0 fails the test.
 *
 * Usage: test_serve_modes SMTPP-BINARY DIALOG_DIR [NAME-SUBSTRING]
 */
#define _POSIX_C_SOURCE 200809L
#include "dialog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dialog_group.h"

#define CHILD_LIMIT_MS 10000
#define WAIT_REPLY_MS 2000

static const char *g_bin;

enum { MODE_ALL, MODE_LINES, MODE_BYTES };
static const char *mode_name[] = {"all at once", "line by line",
                                  "one octet at a time"};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct child {
  pid_t pid;
  int in, out, err;   /* our ends */
  bbuf obuf, ebuf; /* what the child wrote */
  rs_reader rs;       /* complete replies in obuf (common/replies.h) */
  int out_eof, err_eof, in_closed, epipe;
  long long deadline;
  int timed_out;
} child;

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int spawn(child *c, const dialog *d, char *errbuf, size_t errlen) {
  int pin[2], pout[2], perr[2];
  memset(c, 0, sizeof *c);
  if (pipe(pin) || pipe(pout) || pipe(perr)) {
    snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  char *argv[80];
  size_t n = 0;
  argv[n++] = (char *)g_bin;
  argv[n++] = "serve";
  argv[n++] = "--stdio";
  for (size_t i = 0; i < d->nserve_args && n < 78; i++)
    argv[n++] = d->serve_args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(errbuf, errlen, "fork: %s", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    dup2(perr[1], 2);
    close(pin[0]); close(pin[1]);
    close(pout[0]); close(pout[1]);
    close(perr[0]); close(perr[1]);
    execv(g_bin, argv);
    _exit(127);
  }
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  c->pid = pid;
  c->in = pin[1];
  c->out = pout[0];
  c->err = perr[0];
  set_nonblock(c->in);
  set_nonblock(c->out);
  set_nonblock(c->err);
  c->deadline = now_ms() + CHILD_LIMIT_MS;
  return 0;
}

static void read_fd(child *c, int fd, bbuf *b, int *eof) {
  unsigned char tmp[4096];
  for (;;) {
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r > 0) {
      bbuf_add(b, tmp, (size_t)r);
      continue;
    }
    if (r == 0) *eof = 1;
    else if (errno == EINTR) continue;
    break;
  }
  if (b == &c->obuf) rs_scan(&c->rs, c->obuf.p, c->obuf.len);
}

/* One poll round: reads what is there, waits at most ms. Returns 0, or -1
 * when the deadline passed. */
static int pump(child *c, int ms, int want_write) {
  struct pollfd pf[3];
  int n = 0;
  if (!c->out_eof) pf[n++] = (struct pollfd){c->out, POLLIN, 0};
  if (!c->err_eof) pf[n++] = (struct pollfd){c->err, POLLIN, 0};
  if (want_write && !c->in_closed) pf[n++] = (struct pollfd){c->in, POLLOUT, 0};
  long long left = c->deadline - now_ms();
  if (left <= 0) {
    c->timed_out = 1;
    return -1;
  }
  if (ms < 0 || ms > left) ms = (int)left;
  if (n == 0) return 0;
  int r = poll(pf, (nfds_t)n, ms);
  if (r < 0 && errno != EINTR) return -1;
  if (!c->out_eof) read_fd(c, c->out, &c->obuf, &c->out_eof);
  if (!c->err_eof) read_fd(c, c->err, &c->ebuf, &c->err_eof);
  return 0;
}

/* Writes all of [p, p + n), reading the child's output meanwhile. */
static int send_all(child *c, const unsigned char *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    if (c->in_closed) return -1;
    ssize_t w = write(c->in, p + off, n - off);
    if (w > 0) {
      off += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EPIPE) {
      c->epipe = 1;
      c->in_closed = 1;
      close(c->in);
      return -1;
    }
    if (pump(c, 100, 1)) return -1;
  }
  pump(c, 0, 0);
  return 0;
}

/* Waits until at least want complete replies arrived, or WAIT_REPLY_MS. */
static void wait_replies(child *c, size_t want) {
  long long until = now_ms() + WAIT_REPLY_MS;
  while (c->rs.n < want && !c->out_eof) {
    long long left = until - now_ms();
    if (left <= 0) return;
    if (pump(c, (int)left, 0)) return;
  }
}

static int finish(child *c) {
  if (!c->in_closed) {
    close(c->in);
    c->in_closed = 1;
  }
  while (!c->out_eof || !c->err_eof)
    if (pump(c, 200, 0)) break;
  int status = 0;
  if (c->timed_out || !c->out_eof) {
    kill(c->pid, SIGKILL);
    c->timed_out = 1;
  }
  while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {}
  close(c->out);
  close(c->err);
  return status;
}

static int run_mode(const dialog *d, int mode, bbuf *report) {
  child c;
  char err[256];
  if (spawn(&c, d, err, sizeof err)) {
    bbuf_addf(report, "%s\n", err);
    return -1;
  }
  const unsigned char *in = d->input.p;
  size_t len = d->input.len, off = 0, si = 0;
  int stopped = 0;
  /* replies due before the first byte (the greeting) */
  if (mode != MODE_ALL) {
    while (si < d->nexpect && d->expect[si].pos == 0) si++;
    wait_replies(&c, si);
  }
  while (off < len && !stopped) {
    size_t n;
    if (mode == MODE_ALL) {
      n = len;
    } else if (mode == MODE_BYTES) {
      n = 1;
    } else {
      const unsigned char *lf = memchr(in + off, '\n', len - off);
      n = lf ? (size_t)(lf - (in + off)) + 1 : len - off;
    }
    if (send_all(&c, in + off, n)) stopped = 1;
    off += n;
    if (mode != MODE_ALL && !stopped) {
      size_t due = si;
      while (due < d->nexpect && d->expect[due].pos <= off) due++;
      if (due > si) {
        wait_replies(&c, due);
        si = due;
      }
    }
  }
  int status = finish(&c);
  int bad = 0;
  if (c.timed_out) {
    bbuf_addf(report, "child did not finish within %d ms (killed)\n",
                 CHILD_LIMIT_MS);
    bad = 1;
  } else if (WIFSIGNALED(status)) {
    bbuf_addf(report, "child died from signal %d\n", WTERMSIG(status));
    bad = 1;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    bbuf_addf(report, "could not exec %s\n", g_bin);
    bad = 1;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    bbuf_addf(report, "child exited with status %d\n",
                 WEXITSTATUS(status));
    bad = 1;
  }
  if (stopped && !d->expect_closed) {
    bbuf_addf(report, "the child stopped reading its input at octet %zu "
                         "of %zu, but the dialog has no X:\n", off, len);
    bad = 1;
  }
  if (dlg_check_replies(d, c.obuf.p, c.obuf.len, report)) bad = 1;
  if (bad && c.ebuf.len)
    bbuf_addf(report, "child stderr:\n%s\n", bbuf_str(&c.ebuf));
  bbuf_free(&c.obuf);
  bbuf_free(&c.ebuf);
  rs_free(&c.rs);
  return bad ? -1 : 0;
}

static void run_one(void **state) {
  const char *path = *state;
  dialog d;
  if (dlg_load(&d, path)) {
    dlg_free(&d);
    fail_msg("%s: cannot parse: %s", path, d.error);
    return;
  }
  if (!d.serve_ok) {
    dlg_free(&d);
    skip();
    return;
  }
  int bad = 0;
  for (int mode = MODE_ALL; mode <= MODE_BYTES; mode++) {
    bbuf report = {0};
    if (run_mode(&d, mode, &report)) {
      bbuf args = {0};
      for (size_t i = 0; i < d.nserve_args; i++)
        bbuf_addf(&args, " %s", d.serve_args[i]);
      dlg_print("---- %s: smtpp serve --stdio%s, sent %s:\n%s----\n",
                    d.name, bbuf_str(&args), mode_name[mode],
                    bbuf_str(&report));
      bbuf_free(&args);
      bad = 1;
    }
    bbuf_free(&report);
  }
  char name[256];
  snprintf(name, sizeof name, "%s", d.name);
  dlg_free(&d);
  if (bad) fail_msg("%s: serve replies differ (see above)", name);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SMTPP-BINARY DIALOG_DIR [NAME-SUBSTRING]\n",
            argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  g_bin = argv[1];
  return dlg_run_group("serve_modes", argv[2], argc >= 4 ? argv[3] : NULL, run_one);
}
