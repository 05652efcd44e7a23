/*
 * deliver.c - see deliver.h.
 */
#define _GNU_SOURCE
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define STAGE_MAX (16u * 1024u)
#define NAME_MAX_ 200

static struct {
  deliver_cfg cfg;
  int tmp_dir;  /* Maildir: DIR/tmp */
  int new_dir;  /* Maildir: DIR/new */
  char host[64];          /* Maildir: sanitized hostname */
  char mbox_dir[4096];    /* mbox: directory of the file */
  uint64_t seq;
  unsigned char stage[STAGE_MAX];
  size_t stage_len;
  int stage_fd;
  int stage_err;
} D = {.tmp_dir = -1, .new_dir = -1};

static int write_all(int fd, const void *buf, size_t n) {
  const unsigned char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int mkdir_p1(const char *path) {
  if (mkdir(path, 0700) == 0 || errno == EEXIST) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      return 0;
    errno = ENOTDIR;
  }
  return -1;
}

int deliver_setup(const deliver_cfg *cfg) {
  char p[4200];

  D.cfg = *cfg;
  if (cfg->kind == DELIVER_MAILDIR) {
    const char *sub[] = {"", "/tmp", "/new", "/cur"};
    for (int i = 0; i < 4; i++) {
      if ((size_t)snprintf(p, sizeof p, "%s%s", cfg->path, sub[i]) >=
          sizeof p) {
        fprintf(stderr, "smtpp serve: --maildir: path too long\n");
        return -1;
      }
      if (mkdir_p1(p) < 0) {
        fprintf(stderr, "smtpp serve: --maildir: %s: %s\n", p,
                strerror(errno));
        return -1;
      }
    }
    snprintf(p, sizeof p, "%s/tmp", cfg->path);
    D.tmp_dir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(p, sizeof p, "%s/new", cfg->path);
    D.new_dir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (D.tmp_dir < 0 || D.new_dir < 0) {
      fprintf(stderr, "smtpp serve: --maildir: %s: %s\n", p, strerror(errno));
      return -1;
    }
    char h[256];
    if (gethostname(h, sizeof h) < 0)
      strcpy(h, "localhost");
    h[sizeof h - 1] = 0;
    size_t j = 0;
    for (size_t i = 0; h[i] && j + 1 < sizeof D.host; i++) {
      char c = h[i];
      int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '.' || c == '-';
      D.host[j++] = ok ? c : '_';
    }
    D.host[j] = 0;
  } else if (cfg->kind == DELIVER_MBOX) {
    int fd = open(cfg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      fprintf(stderr, "smtpp serve: --mbox: %s: %s\n", cfg->path,
              strerror(errno));
      return -1;
    }
    close(fd);
    const char *slash = strrchr(cfg->path, '/');
    if (slash == NULL)
      strcpy(D.mbox_dir, ".");
    else if (slash == cfg->path)
      strcpy(D.mbox_dir, "/");
    else if ((size_t)(slash - cfg->path) < sizeof D.mbox_dir)
      snprintf(D.mbox_dir, sizeof D.mbox_dir, "%.*s",
               (int)(slash - cfg->path), cfg->path);
    else {
      fprintf(stderr, "smtpp serve: --mbox: path too long\n");
      return -1;
    }
  }
  return 0;
}

void deliver_teardown(void) {
  if (D.tmp_dir >= 0)
    close(D.tmp_dir);
  if (D.new_dir >= 0)
    close(D.new_dir);
  D.tmp_dir = D.new_dir = -1;
}

void deliver_sender(deliver_msg *m, const void *path, size_t len) {
  if (len > sizeof m->sender)
    len = sizeof m->sender;
  memcpy(m->sender, path, len);
  m->sender_len = (uint16_t)len;
}

static void maildir_name(const deliver_msg *m, char *buf, size_t cap) {
  snprintf(buf, cap, "%lld.M%lldP%ldQ%llu.%s", (long long)m->sec,
           (long long)m->usec, (long)getpid(), (unsigned long long)m->seq,
           D.host);
}

/* ---- staging: one static buffer, flushed before each call returns ---- */

static void stage_begin(int fd) {
  D.stage_fd = fd;
  D.stage_len = 0;
  D.stage_err = 0;
}

static void stage_flush(void) {
  if (D.stage_len && !D.stage_err &&
      write_all(D.stage_fd, D.stage, D.stage_len) < 0)
    D.stage_err = 1;
  D.stage_len = 0;
}

static void put(const void *p, size_t n) {
  const unsigned char *s = p;
  while (n > 0) {
    size_t k = STAGE_MAX - D.stage_len;
    if (k == 0) {
      stage_flush();
      continue;
    }
    if (k > n)
      k = n;
    memcpy(D.stage + D.stage_len, s, k);
    D.stage_len += k;
    s += k;
    n -= k;
  }
}

static void put1(unsigned char c) {
  if (D.stage_len == STAGE_MAX)
    stage_flush();
  D.stage[D.stage_len++] = c;
}

static void put_gts(uint64_t n) {
  while (n-- > 0)
    put1('>');
}

/* ---- message ---- */

int deliver_open(deliver_msg *m) {
  char name[NAME_MAX_];
  int fd = -1;

  m->open = 0;
  m->failed = 0;
  m->pending_cr = 0;
  m->at_bol = 1;
  m->matching = D.cfg.kind == DELIVER_MBOX;
  m->from_k = 0;
  m->gt = 0;
  if (D.cfg.kind == DELIVER_MAILDIR) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    m->sec = tv.tv_sec;
    m->usec = tv.tv_usec;
    m->seq = ++D.seq;
    maildir_name(m, name, sizeof name);
    fd = openat(D.tmp_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                0600);
  } else if (D.cfg.kind == DELIVER_MBOX) {
    char tmpl[4200];
    snprintf(tmpl, sizeof tmpl, "%s/.smtpp-tmp-XXXXXX", D.mbox_dir);
    fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd >= 0)
      unlink(tmpl);
  } else {
    return 0;
  }
  if (fd < 0) {
    fprintf(stderr, "smtpp serve: delivery: cannot create a temporary "
                    "file: %s\n", strerror(errno));
    m->failed = 1;
    return -1;
  }
  m->fd = fd;
  m->open = 1;
  stage_begin(fd);
  put("Return-Path: <", 14);
  put(m->sender, m->sender_len);
  put(">\n", 2);
  stage_flush();
  if (D.stage_err)
    m->failed = 1;
  return 0;
}

static const char from_[5] = {'F', 'r', 'o', 'm', ' '};

/* mbox quoting state machine for one octet that is not CR. */
static void emit(deliver_msg *m, unsigned char c) {
  if (m->matching) {
    if (m->from_k == 0 && c == '>') {
      m->gt++;
      return;
    }
    if (c == (unsigned char)from_[m->from_k]) {
      if (++m->from_k == 5) { /* ^>*From : quote it */
        put1('>');
        put_gts(m->gt);
        put(from_, 5);
        m->matching = 0;
        m->at_bol = 0;
      }
      return;
    }
    put_gts(m->gt); /* no match: give back what was held */
    put(from_, m->from_k);
    m->matching = 0;
  }
  put1(c);
  m->at_bol = c == '\n';
  if (m->at_bol && D.cfg.kind == DELIVER_MBOX) {
    m->matching = 1;
    m->from_k = 0;
    m->gt = 0;
  }
}

static void body(deliver_msg *m, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = p[i];
    if (m->pending_cr) {
      m->pending_cr = 0;
      if (c == '\n') {
        emit(m, '\n');
        continue;
      }
      emit(m, '\r');
    }
    if (c == '\r')
      m->pending_cr = 1;
    else
      emit(m, c);
  }
}

void deliver_body(deliver_msg *m, const void *p, size_t n) {
  if (!m->open || m->failed)
    return;
  stage_begin(m->fd);
  body(m, p, n);
  stage_flush();
  if (D.stage_err)
    m->failed = 1;
}

static void end_body(deliver_msg *m) {
  if (m->pending_cr) {
    m->pending_cr = 0;
    emit(m, '\r');
  }
  if (m->matching) {
    put_gts(m->gt);
    put(from_, m->from_k);
    if (m->gt || m->from_k)
      m->at_bol = 0;
    m->matching = 0;
  }
  if (!m->at_bol)
    put1('\n');
}

static int mbox_append(deliver_msg *m) {
  char line[DELIVER_SENDER_MAX + 64], date[64];
  struct stat st;
  time_t now = time(NULL);
  struct tm tm;
  size_t n = 0;
  int fd, ok = 0;

  if (lseek(m->fd, 0, SEEK_SET) < 0)
    return -1;
  fd = open(D.cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
    close(fd);
    return -1;
  }
  /* "From " SENDER SP asctime-date; the sender never holds CR/LF (the
   * parser checked it) but may hold SP in a quoted local part. */
  memcpy(line, "From ", 5);
  n = 5;
  if (m->sender_len == 0) {
    memcpy(line + n, "MAILER-DAEMON", 13);
    n += 13;
  } else {
    for (size_t i = 0; i < m->sender_len; i++) {
      char c = m->sender[i];
      line[n++] = (c == ' ' || c == '\t') ? '_' : c;
    }
  }
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, " %a %b %e %H:%M:%S %Y\n", &tm);
  memcpy(line + n, date, strlen(date));
  n += strlen(date);

  stage_begin(fd);
  put(line, n);
  for (;;) {
    if (D.stage_len == STAGE_MAX)
      stage_flush();
    ssize_t r = read(m->fd, D.stage + D.stage_len, STAGE_MAX - D.stage_len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      D.stage_err = 1;
      break;
    }
    if (r == 0)
      break;
    D.stage_len += (size_t)r;
  }
  put1('\n'); /* blank line before the next "From " */
  stage_flush();
  ok = !D.stage_err;
  if (ok && !D.cfg.no_fsync && fsync(fd) < 0)
    ok = 0;
  if (!ok && ftruncate(fd, st.st_size) < 0)
    fprintf(stderr, "smtpp serve: --mbox: cannot undo a failed append: "
                    "%s\n", strerror(errno));
  flock(fd, LOCK_UN);
  if (close(fd) < 0)
    ok = 0;
  return ok ? 0 : -1;
}

int deliver_finish(deliver_msg *m) {
  char name[NAME_MAX_];
  int ok;

  if (D.cfg.kind == DELIVER_DISCARD)
    return 0;
  if (!m->open)
    return -1;
  if (!m->failed) {
    stage_begin(m->fd);
    end_body(m);
    stage_flush();
    if (D.stage_err)
      m->failed = 1;
  }
  ok = !m->failed;
  if (D.cfg.kind == DELIVER_MAILDIR) {
    maildir_name(m, name, sizeof name);
    if (ok && !D.cfg.no_fsync && fsync(m->fd) < 0)
      ok = 0;
    if (close(m->fd) < 0)
      ok = 0;
    if (ok && renameat(D.tmp_dir, name, D.new_dir, name) < 0)
      ok = 0;
    if (!ok)
      unlinkat(D.tmp_dir, name, 0);
    else if (!D.cfg.no_fsync)
      fsync(D.new_dir);
  } else {
    if (ok && mbox_append(m) < 0)
      ok = 0;
    close(m->fd);
  }
  if (!ok)
    fprintf(stderr, "smtpp serve: delivery failed: %s\n", strerror(errno));
  m->open = 0;
  m->failed = 0;
  return ok ? 0 : -1;
}

void deliver_abort(deliver_msg *m) {
  char name[NAME_MAX_];

  if (m->open) {
    close(m->fd);
    if (D.cfg.kind == DELIVER_MAILDIR) {
      maildir_name(m, name, sizeof name);
      unlinkat(D.tmp_dir, name, 0);
    }
  }
  m->open = 0;
  m->failed = 0;
}
