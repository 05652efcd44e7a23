/*
 * deliver.c - see deliver.h.
 */
#define _GNU_SOURCE
#include "deliver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define STAGE_MAX (16u * 1024u)
/* Maildir convention: tmp files untouched this long belong to a writer
 * that died (https://cr.yp.to/proto/maildir.html: "36 hours"). */
#define TMP_STALE_SEC (36 * 3600)
/* Empty temporary files the writer keeps ready for new messages. */
#define SPARE_MAX 128

/* One staging buffer per thread (the event loop, the writer). */
typedef struct stage {
  unsigned char buf[STAGE_MAX];
  size_t len;
  int fd;
  int err;
} stage;

static struct {
  deliver_cfg cfg;
  int tmp_dir;  /* Maildir: DIR/tmp; replaced in place by dup3() */
  int new_dir;  /* Maildir: DIR/new */
  char host[64];          /* Maildir: sanitized hostname */
  char mbox_dir[4096];    /* mbox: directory of the file */
  _Atomic uint64_t seq;   /* both threads make files */
  _Atomic uint32_t gen;   /* bumped each time the Maildir is reopened */
  stage loop, writer;
} D = {.tmp_dir = -1, .new_dir = -1};

/* Files between the threads. */
static struct {
  pthread_mutex_t mu;
  deliver_file spare[SPARE_MAX]; /* ready for new messages */
  uint32_t nspare;
  int create_failed;             /* stop refilling until the loop asks */
  deliver_file *gone;            /* dropped: to be removed */
  uint32_t gone_head, gone_len, gone_cap;
  void (*wake)(void);
} F = {.mu = PTHREAD_MUTEX_INITIALIZER};

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

/* Opens path as a directory into *slot: the first time a new descriptor,
 * later dup3() over the old number, so a thread using *slot meanwhile
 * sees either directory, never a closed or reused descriptor. */
static int open_dir_into(const char *path, int *slot) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (*slot < 0) {
    *slot = fd;
    return 0;
  }
  int r = dup3(fd, *slot, O_CLOEXEC);
  close(fd);
  return r < 0 ? -1 : 0;
}

/* Creates DIR/{tmp,new,cur} if missing and (re)opens tmp and new.
 * quiet: no message (a retry during delivery reports its own failure). */
static int maildir_open(int quiet) {
  const char *sub[] = {"", "/tmp", "/new", "/cur"};
  char p[4200];

  for (int i = 0; i < 4; i++) {
    if ((size_t)snprintf(p, sizeof p, "%s%s", D.cfg.path, sub[i]) >=
        sizeof p) {
      if (!quiet)
        fprintf(stderr, "smtpp serve: --maildir: path too long\n");
      errno = ENAMETOOLONG;
      return -1;
    }
    if (mkdir_p1(p) < 0)
      goto fail;
  }
  snprintf(p, sizeof p, "%s/tmp", D.cfg.path);
  if (open_dir_into(p, &D.tmp_dir) < 0)
    goto fail;
  snprintf(p, sizeof p, "%s/new", D.cfg.path);
  if (open_dir_into(p, &D.new_dir) < 0)
    goto fail;
  return 0;
fail:
  if (!quiet)
    fprintf(stderr, "smtpp serve: --maildir: %s: %s\n", p, strerror(errno));
  return -1;
}

/* Removes tmp files a crashed sink left (older than TMP_STALE_SEC). */
static void maildir_clean_tmp(void) {
  int fd = dup(D.tmp_dir);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  struct dirent *e;
  time_t now = time(NULL);
  unsigned removed = 0;

  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (e->d_name[0] == '.' ||
        fstatat(D.tmp_dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(st.st_mode))
      continue;
    if (now - st.st_mtime > TMP_STALE_SEC &&
        now - st.st_atime > TMP_STALE_SEC &&
        unlinkat(D.tmp_dir, e->d_name, 0) == 0)
      removed++;
  }
  closedir(d);
  if (removed)
    fprintf(stderr, "smtpp serve: --maildir: removed %u tmp file%s older "
                    "than 36 hours\n", removed, removed == 1 ? "" : "s");
}

int deliver_setup(const deliver_cfg *cfg) {
  D.cfg = *cfg;
  if (cfg->kind != DELIVER_DISCARD) {
    /* Each session drops at most one file per command it sends; twice the
     * sessions plus the ready files is plenty, and a full queue only means
     * the loop removes the file itself. */
    F.gone_cap = 2 * (cfg->max_conn ? cfg->max_conn : 1) + SPARE_MAX;
    F.gone = calloc(F.gone_cap, sizeof *F.gone);
    if (!F.gone) {
      fprintf(stderr, "smtpp serve: out of memory\n");
      return -1;
    }
  }
  if (cfg->kind == DELIVER_MAILDIR) {
    if (maildir_open(0) < 0)
      return -1;
    maildir_clean_tmp();
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

static void remove_file(const deliver_file *f);

/* After the writer stopped: removes what is left in the queues. */
void deliver_teardown(void) {
  F.wake = NULL;
  while (F.gone_len > 0) {
    remove_file(&F.gone[F.gone_head]);
    F.gone_head = (F.gone_head + 1) % F.gone_cap;
    F.gone_len--;
  }
  while (F.nspare > 0)
    remove_file(&F.spare[--F.nspare]);
  free(F.gone);
  F.gone = NULL;
  if (D.tmp_dir >= 0)
    close(D.tmp_dir);
  if (D.new_dir >= 0)
    close(D.new_dir);
  D.tmp_dir = D.new_dir = -1;
}

static void maildir_name(const deliver_file *f, char *buf, size_t cap) {
  snprintf(buf, cap, "%lld.M%lldP%ldQ%llu.%s", (long long)f->sec,
           (long long)f->usec, (long)getpid(), (unsigned long long)f->seq,
           D.host);
}

void deliver_file_name(const deliver_msg *m, char *buf, size_t cap) {
  char name[DELIVER_NAME_MAX];
  if (D.cfg.kind == DELIVER_MAILDIR) {
    maildir_name(&m->f, name, sizeof name);
    snprintf(buf, cap, "new/%s", name);
  } else if (D.cfg.kind == DELIVER_MBOX) {
    snprintf(buf, cap, "%s", D.cfg.path);
  } else if (cap) {
    buf[0] = 0;
  }
}

/* ---- staging: a buffer per thread, flushed before each call returns ---- */

static void stage_begin(stage *g, int fd) {
  g->fd = fd;
  g->len = 0;
  g->err = 0;
}

static void stage_flush(stage *g) {
  if (g->len && !g->err && write_all(g->fd, g->buf, g->len) < 0)
    g->err = 1;
  g->len = 0;
}

static void put(stage *g, const void *p, size_t n) {
  const unsigned char *s = p;
  while (n > 0) {
    size_t k = STAGE_MAX - g->len;
    if (k == 0) {
      stage_flush(g);
      continue;
    }
    if (k > n)
      k = n;
    memcpy(g->buf + g->len, s, k);
    g->len += k;
    s += k;
    n -= k;
  }
}

static void put1(stage *g, unsigned char c) {
  if (g->len == STAGE_MAX)
    stage_flush(g);
  g->buf[g->len++] = c;
}

static void put_gts(stage *g, uint64_t n) {
  while (n-- > 0)
    put1(g, '>');
}

/* Ends a write on the loop's stage. */
static void loop_done(deliver_msg *m) {
  stage_flush(&D.loop);
  if (D.loop.err)
    m->failed = 1;
}

/* ---- message ---- */

/* ---- temporary files ---- */

static int maildir_reopen(void) {
  if (maildir_open(1) < 0)
    return -1;
  atomic_fetch_add(&D.gen, 1); /* ready files are in the old tmp/ */
  return 0;
}

/* Makes a temporary file (either thread).  Returns 0, or -1 (errno). */
static int create_file(deliver_file *f) {
  f->gen = atomic_load(&D.gen);
  f->seq = atomic_fetch_add(&D.seq, 1) + 1; /* also the Received id */
  if (D.cfg.kind == DELIVER_MAILDIR) {
    char name[DELIVER_NAME_MAX];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    f->sec = tv.tv_sec;
    f->usec = tv.tv_usec;
    maildir_name(f, name, sizeof name);
    f->fd = openat(D.tmp_dir, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                   0600);
    /* The Maildir was deleted (and maybe created again): reopen it. */
    if (f->fd < 0 && errno == ENOENT && maildir_reopen() == 0) {
      f->gen = atomic_load(&D.gen);
      f->fd = openat(D.tmp_dir, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                     0600);
    }
    return f->fd < 0 ? -1 : 0;
  }
  char tmpl[4200];
  snprintf(tmpl, sizeof tmpl, "%s/.smtpp-tmp-XXXXXX", D.mbox_dir);
  f->fd = mkostemp(tmpl, O_CLOEXEC);
  if (f->fd >= 0)
    unlink(tmpl);
  return f->fd < 0 ? -1 : 0;
}

static void remove_file(const deliver_file *f) {
  char name[DELIVER_NAME_MAX];
  close(f->fd);
  if (D.cfg.kind == DELIVER_MAILDIR) {
    maildir_name(f, name, sizeof name);
    unlinkat(D.tmp_dir, name, 0);
  }
}

static void wake_writer(void) {
  if (F.wake)
    F.wake();
}

/* Loop: a ready file, or one made here if the writer is behind. */
static int take_file(deliver_file *f) {
  uint32_t gen = atomic_load(&D.gen);
  int got = 0, stale = 0;
  pthread_mutex_lock(&F.mu);
  while (!got && F.nspare > 0) {
    deliver_file s = F.spare[--F.nspare];
    if (s.gen == gen) {
      *f = s;
      got = 1;
    } else if (F.gone_len < F.gone_cap) { /* in a deleted tmp/ */
      F.gone[(F.gone_head + F.gone_len++) % F.gone_cap] = s;
      stale = 1;
    } else {
      close(s.fd);
    }
  }
  int low = F.nspare < SPARE_MAX / 2;
  if (low)
    F.create_failed = 0;
  pthread_mutex_unlock(&F.mu);
  if (low || stale)
    wake_writer();
  return got ? 0 : create_file(f);
}

/* Loop: hands a dropped file to the writer to remove. */
static void discard_file(const deliver_file *f) {
  int queued = 0;
  pthread_mutex_lock(&F.mu);
  if (F.gone && F.gone_len < F.gone_cap) {
    F.gone[(F.gone_head + F.gone_len++) % F.gone_cap] = *f;
    queued = 1;
  }
  pthread_mutex_unlock(&F.mu);
  if (queued)
    wake_writer();
  else
    remove_file(f); /* queue full (or no writer): here */
}

void deliver_set_wake(void (*wake)(void)) { F.wake = wake; }

int deliver_writer_has_work(void) {
  if (D.cfg.kind == DELIVER_DISCARD)
    return 0;
  pthread_mutex_lock(&F.mu);
  int r = F.gone_len > 0 || (F.nspare < SPARE_MAX / 2 && !F.create_failed);
  pthread_mutex_unlock(&F.mu);
  return r;
}

void deliver_writer_work(void) {
  if (D.cfg.kind == DELIVER_DISCARD)
    return;
  for (;;) {
    deliver_file f;
    pthread_mutex_lock(&F.mu);
    int have = F.gone_len > 0;
    if (have) {
      f = F.gone[F.gone_head];
      F.gone_head = (F.gone_head + 1) % F.gone_cap;
      F.gone_len--;
    }
    pthread_mutex_unlock(&F.mu);
    if (!have)
      break;
    remove_file(&f);
  }
  for (;;) {
    deliver_file f;
    pthread_mutex_lock(&F.mu);
    int full = F.nspare >= SPARE_MAX;
    pthread_mutex_unlock(&F.mu);
    if (full)
      break;
    if (create_file(&f) < 0) {
      pthread_mutex_lock(&F.mu);
      F.create_failed = 1;
      pthread_mutex_unlock(&F.mu);
      break;
    }
    pthread_mutex_lock(&F.mu);
    int kept = F.nspare < SPARE_MAX;
    if (kept)
      F.spare[F.nspare++] = f;
    pthread_mutex_unlock(&F.mu);
    if (!kept)
      remove_file(&f);
  }
}

/* ---- message ---- */

/* Drops the temporary file of a message that will not be delivered. */
static void drop_file(deliver_msg *m) {
  if (!m->open)
    return;
  discard_file(&m->f);
  m->open = 0;
}

void deliver_abort(deliver_msg *m) {
  if (m->inflight)
    return;
  drop_file(m);
  m->failed = 0;
  m->oversize = 0;
  m->stamped = 0;
}

int deliver_begin(deliver_msg *m, const void *sender, size_t len) {
  deliver_abort(m);
  m->pending_cr = 0;
  m->at_bol = 1;
  m->matching = D.cfg.kind == DELIVER_MBOX;
  m->from_k = 0;
  m->gt = 0;
  if (len > sizeof m->sender)
    len = sizeof m->sender;
  memcpy(m->sender, sender, len);
  m->sender_len = (uint16_t)len;
  if (D.cfg.kind == DELIVER_DISCARD)
    return 0;
  if (take_file(&m->f) < 0) {
    fprintf(stderr, "smtpp serve: delivery: cannot create a temporary "
                    "file: %s\n", strerror(errno));
    m->failed = 1;
    return -1;
  }
  m->open = 1;
  stage_begin(&D.loop, m->f.fd);
  put(&D.loop, "Return-Path: <", 14);
  put(&D.loop, sender, len);
  put(&D.loop, ">\n", 2);
  loop_done(m);
  return m->failed ? -1 : 0;
}

static int storing(const deliver_msg *m) {
  return m->open && !m->failed && !m->oversize;
}

void deliver_rcpt(deliver_msg *m, const void *path, size_t len) {
  if (!storing(m))
    return;
  stage_begin(&D.loop, m->f.fd);
  put(&D.loop, "Delivered-To: ", 14);
  put(&D.loop, path, len);
  put1(&D.loop, '\n');
  loop_done(m);
}

/* RFC 5322 3.3 date-time in UTC: "Sun, 06 Dec 2026 01:02:03 +0000". */
static size_t rfc5322_date(char *buf, size_t cap) {
  static const char *const day[] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
                                    "May", "Jun", "Jul", "Aug",
                                    "Sep", "Oct", "Nov", "Dec"};
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  int n = snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                   day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
                   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* The HELO argument as a header token: the parser checked it is a Domain
 * or an address-literal, but --lenient may widen that; anything outside
 * their characters becomes '_' so no header can be forged. */
static void put_helo(stage *g, const char *p, size_t n) {
  if (n == 0) {
    put(g, "unknown", 7);
    return;
  }
  for (size_t i = 0; i < n && i < 255; i++) {
    unsigned char c = (unsigned char)p[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
             c == '[' || c == ']';
    put1(g, ok ? c : '_');
  }
}

/* RFC 5321 4.4: Stamp = From-domain By-domain Opt-info ";" date-time,
 * with TCP-info the peer's address-literal (4.1.3: "[192.0.2.1]",
 * "[IPv6:2001:db8::1]"), "with ESMTP" after EHLO (RFC 3848) and the "for"
 * clause only with a single recipient (7.2: it would disclose the others).
 * Folded with LF + TAB (RFC 5322 3.2.2). */
void deliver_received(deliver_msg *m, const deliver_stamp *st) {
  char date[64], id[64];
  if (m->stamped || !storing(m))
    return;
  m->stamped = 1;
  stage *g = &D.loop;
  stage_begin(g, m->f.fd);
  put(g, "Received: from ", 15);
  put_helo(g, st->helo, st->helo_len);
  put(g, " ([", 3);
  if (st->peer_v6)
    put(g, "IPv6:", 5);
  put(g, st->peer_ip, strlen(st->peer_ip));
  put(g, "])\n\tby ", 7);
  put(g, st->by, strlen(st->by));
  put(g, " (smtpp) with ", 14);
  put(g, st->esmtp ? "ESMTP" : "SMTP", st->esmtp ? 5 : 4);
  int n = snprintf(id, sizeof id, " id %llxC%u",
                   (unsigned long long)m->f.seq,
                   st->conn_id);
  put(g, id, n > 0 ? (size_t)n : 0);
  if (st->rcpt) {
    put(g, "\n\tfor <", 7);
    put(g, st->rcpt, st->rcpt_len);
    put1(g, '>');
  }
  put(g, ";\n\t", 3);
  put(g, date, rfc5322_date(date, sizeof date));
  put1(g, '\n');
  loop_done(m);
}

static const char from_[5] = {'F', 'r', 'o', 'm', ' '};

/* mbox quoting state machine for one octet that is not CR. */
static void emit(stage *g, deliver_msg *m, unsigned char c) {
  if (m->matching) {
    if (m->from_k == 0 && c == '>') {
      m->gt++;
      return;
    }
    if (c == (unsigned char)from_[m->from_k]) {
      if (++m->from_k == 5) { /* ^>*From : quote it */
        put1(g, '>');
        put_gts(g, m->gt);
        put(g, from_, 5);
        m->matching = 0;
        m->at_bol = 0;
      }
      return;
    }
    put_gts(g, m->gt); /* no match: give back what was held */
    put(g, from_, m->from_k);
    m->matching = 0;
  }
  put1(g, c);
  m->at_bol = c == '\n';
  if (m->at_bol && D.cfg.kind == DELIVER_MBOX) {
    m->matching = 1;
    m->from_k = 0;
    m->gt = 0;
  }
}

static void body(stage *g, deliver_msg *m, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = p[i];
    if (m->pending_cr) {
      m->pending_cr = 0;
      if (c == '\n') {
        emit(g, m, '\n');
        continue;
      }
      emit(g, m, '\r');
    }
    if (c == '\r')
      m->pending_cr = 1;
    else
      emit(g, m, c);
  }
}

void deliver_body(deliver_msg *m, const void *p, size_t n, int over_size) {
  if (!storing(m))
    return;
  /* RFC 1870 6: past SIZE the message will be refused (552 at its end);
   * keeping more of it would only fill the disk.  The piece that passes
   * the limit is not written, so the disk holds at most the limit plus the
   * header lines. */
  if (over_size) {
    drop_file(m);
    m->oversize = 1;
    return;
  }
  stage_begin(&D.loop, m->f.fd);
  body(&D.loop, m, p, n);
  loop_done(m);
}

static void end_body(stage *g, deliver_msg *m) {
  if (m->pending_cr) {
    m->pending_cr = 0;
    emit(g, m, '\r');
  }
  if (m->matching) {
    put_gts(g, m->gt);
    put(g, from_, m->from_k);
    if (m->gt || m->from_k)
      m->at_bol = 0;
    m->matching = 0;
  }
  if (!m->at_bol)
    put1(g, '\n');
}

int deliver_end(deliver_msg *m) {
  if (D.cfg.kind == DELIVER_DISCARD)
    return 0;
  if (storing(m)) {
    stage_begin(&D.loop, m->f.fd);
    end_body(&D.loop, m);
    loop_done(m);
  }
  if (!storing(m)) {
    deliver_abort(m);
    return -1;
  }
  return 1;
}

/* Writer thread from here on. */

static int mbox_append(deliver_msg *m) {
  char line[DELIVER_SENDER_MAX + 64], date[64];
  stage *g = &D.writer;
  struct stat st;
  time_t now = time(NULL);
  struct tm tm;
  size_t n = 0;
  int fd, ok = 0;

  if (lseek(m->f.fd, 0, SEEK_SET) < 0)
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

  stage_begin(g, fd);
  put(g, line, n);
  for (;;) {
    if (g->len == STAGE_MAX)
      stage_flush(g);
    ssize_t r = read(m->f.fd, g->buf + g->len, STAGE_MAX - g->len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      g->err = 1;
      break;
    }
    if (r == 0)
      break;
    g->len += (size_t)r;
  }
  put1(g, '\n'); /* blank line before the next "From " */
  stage_flush(g);
  ok = !g->err;
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

/* Writer: the message's tmp/ went away with the Maildir: writes its
 * octets again into a new file of the current tmp/. */
static int copy_to_new_file(deliver_msg *m) {
  deliver_file f;
  stage *g = &D.writer;
  int ok = 1;
  if (create_file(&f) < 0 || lseek(m->f.fd, 0, SEEK_SET) < 0)
    return -1;
  stage_begin(g, f.fd);
  for (;;) {
    ssize_t r = read(m->f.fd, g->buf, STAGE_MAX);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      ok = r == 0;
      break;
    }
    g->len = (size_t)r;
    stage_flush(g);
    if (g->err) {
      ok = 0;
      break;
    }
  }
  if (ok && !D.cfg.no_fsync && fsync(f.fd) < 0)
    ok = 0;
  if (!ok) {
    remove_file(&f);
    return -1;
  }
  close(m->f.fd);
  m->f = f;
  return 0;
}

/* Writer: tmp/NAME to new/NAME (Maildir "delivery"). */
static int publish(deliver_msg *m) {
  char name[DELIVER_NAME_MAX];
  maildir_name(&m->f, name, sizeof name);
  if (renameat(D.tmp_dir, name, D.new_dir, name) == 0)
    return 0;
  if (errno != ENOENT || maildir_reopen() < 0)
    return -1;
  if (renameat(D.tmp_dir, name, D.new_dir, name) == 0)
    return 0; /* only new/ was gone */
  if (errno != ENOENT || copy_to_new_file(m) < 0)
    return -1;
  maildir_name(&m->f, name, sizeof name);
  return renameat(D.tmp_dir, name, D.new_dir, name);
}

int deliver_commit(deliver_msg *m) {
  char name[DELIVER_NAME_MAX];
  int ok = 1;

  if (D.cfg.kind == DELIVER_MAILDIR) {
    if (!D.cfg.no_fsync && fsync(m->f.fd) < 0)
      ok = 0;
    if (ok && publish(m) < 0)
      ok = 0;
    if (close(m->f.fd) < 0 && ok) {
      deliver_unpublish(m);
      ok = 0;
    }
    if (!ok) {
      maildir_name(&m->f, name, sizeof name);
      unlinkat(D.tmp_dir, name, 0);
    }
  } else {
    if (mbox_append(m) < 0)
      ok = 0;
    close(m->f.fd);
  }
  if (!ok)
    fprintf(stderr, "smtpp serve: delivery failed: %s\n", strerror(errno));
  m->open = 0;
  return ok ? 0 : -1;
}

int deliver_sync_dir(void) {
  if (D.cfg.kind != DELIVER_MAILDIR || D.cfg.no_fsync)
    return 0;
  /* The rename is durable only once the directory is (fsync(2)); a failed
   * fsync here must not become a 250. */
  if (fsync(D.new_dir) < 0) {
    fprintf(stderr, "smtpp serve: delivery failed: fsync of new/: %s\n",
            strerror(errno));
    return -1;
  }
  return 0;
}

void deliver_unpublish(deliver_msg *m) {
  char name[DELIVER_NAME_MAX];
  if (D.cfg.kind != DELIVER_MAILDIR)
    return;
  /* The client gets 451 and sends it again: do not keep a second copy. */
  maildir_name(&m->f, name, sizeof name);
  unlinkat(D.new_dir, name, 0);
}
