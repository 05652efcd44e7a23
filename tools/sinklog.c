/*
 * sinklog.c - see sinklog.h.
 */
#define _GNU_SOURCE
#include "sinklog.h"

#include "esc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_format = SINKLOG_TEXT;
static sinklog_line line; /* the event loop's one line at a time */

/* Asynchronous mode: lines go into a ring that the writer thread writes
 * out, so a log file on a busy disk (an append can wait for the journal)
 * never holds up the event loop.  A full ring drops lines and counts
 * them. */
#define RING_MAX (1u << 20)
static struct {
  pthread_mutex_t mu;
  char *buf;            /* NULL: write each line at once */
  size_t head, len;
  uint64_t dropped;
  void (*wake)(void);
} Q = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void write_out(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(2, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return; /* the log is best effort: never stop serving for it */
    p += w;
    n -= (size_t)w;
  }
}

int sinklog_async(void (*wake)(void)) {
  Q.buf = malloc(RING_MAX);
  if (!Q.buf)
    return -1;
  Q.wake = wake;
  return 0;
}

int sinklog_pending(void) {
  pthread_mutex_lock(&Q.mu);
  int r = Q.len > 0;
  pthread_mutex_unlock(&Q.mu);
  return r;
}

void sinklog_drain(void) {
  static char chunk[64 * 1024]; /* the writer thread's */
  for (;;) {
    size_t n = 0;
    pthread_mutex_lock(&Q.mu);
    while (n < sizeof chunk && Q.len > 0) {
      size_t k = RING_MAX - Q.head; /* up to the wrap */
      if (k > Q.len)
        k = Q.len;
      if (k > sizeof chunk - n)
        k = sizeof chunk - n;
      memcpy(chunk + n, Q.buf + Q.head, k);
      Q.head = (Q.head + k) % RING_MAX;
      Q.len -= k;
      n += k;
    }
    pthread_mutex_unlock(&Q.mu);
    if (n == 0)
      return;
    write_out(chunk, n);
  }
}

uint64_t sinklog_dropped(void) {
  pthread_mutex_lock(&Q.mu);
  uint64_t d = Q.dropped;
  pthread_mutex_unlock(&Q.mu);
  return d;
}

void sinklog_sync(void) {
  sinklog_drain();
  pthread_mutex_lock(&Q.mu);
  free(Q.buf);
  Q.buf = NULL;
  Q.wake = NULL;
  pthread_mutex_unlock(&Q.mu);
}

void sinklog_set_format(int format) { log_format = format; }

int sinklog_enabled(void) { return log_format != SINKLOG_NONE; }

/* Room kept at the end of the buffer for what closes a line that was cut:
 * a string's or list item's closing quote, "]", the truncated marker, "}"
 * and the newline.  Every field is written whole or not at all, so a cut
 * line is still valid JSON. */
#define TAIL_ROOM 32

static int fits(const sinklog_line *l, size_t n) {
  return l->len + n + TAIL_ROOM <= sizeof l->buf;
}

/* Appends into the tail room: only the closing tokens above. */
static void close_tok(sinklog_line *l, char c) { l->buf[l->len++] = c; }

static void raws(sinklog_line *l, const char *s) {
  size_t n = strlen(s);
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

/* An escaped string, cut (and marked) where the line is full; common/esc.h
 * never splits an escape sequence. */
static void escaped(sinklog_line *l, const void *p, size_t n) {
  size_t room = sizeof l->buf - TAIL_ROOM - l->len;
  size_t taken = 0;
  size_t w = l->json ? esc_json(l->buf + l->len, room, p, n, &taken)
                     : esc_bytes(l->buf + l->len, room, p, n, &taken);
  l->len += w;
  if (taken < n)
    l->truncated = 1;
}

/* Writes `,"k":` or ` k=` followed by a value start of up to extra octets;
 * returns 0 (and marks the line) when the field does not fit. */
static int key(sinklog_line *l, const char *k, size_t extra) {
  if (!fits(l, strlen(k) + 4 + extra)) {
    l->truncated = 1;
    return 0;
  }
  if (l->json) {
    raws(l, ",\"");
    raws(l, k);
    raws(l, "\":");
  } else {
    raws(l, " ");
    raws(l, k);
    raws(l, "=");
  }
  return 1;
}

sinklog_line *sinklog_begin(const char *event) {
  struct timespec ts;
  struct tm tm;
  char t[96]; /* room for any int the compiler can imagine in each field */

  if (log_format == SINKLOG_NONE)
    return NULL;
  sinklog_line *l = &line;
  l->len = 0;
  l->json = log_format == SINKLOG_JSON;
  l->in_list = 0;
  l->truncated = 0;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
  if (l->json) {
    raws(l, "{\"time\":\"");
    raws(l, t);
    raws(l, "\",\"event\":\"");
    raws(l, event);
    raws(l, "\"");
  } else {
    raws(l, t);
    raws(l, " ");
    raws(l, event);
  }
  return l;
}

void sinklog_u64(sinklog_line *l, const char *k, uint64_t v) {
  char n[24];
  if (!l)
    return;
  snprintf(n, sizeof n, "%llu", (unsigned long long)v);
  if (key(l, k, strlen(n)))
    raws(l, n);
}

void sinklog_str(sinklog_line *l, const char *k, const void *p, size_t n) {
  if (!l || !key(l, k, 1))
    return;
  raws(l, "\"");
  escaped(l, p, n);
  close_tok(l, '"');
}

void sinklog_cstr(sinklog_line *l, const char *k, const char *s) {
  sinklog_str(l, k, s, strlen(s));
}

void sinklog_list_begin(sinklog_line *l, const char *k) {
  if (!l || !key(l, k, 1))
    return;
  raws(l, l->json ? "[" : "\"");
  l->in_list = 1;
}

void sinklog_list_item(sinklog_line *l, const void *p, size_t n) {
  if (!l || !l->in_list)
    return;
  if (!fits(l, 2)) {
    l->truncated = 1;
    return;
  }
  if (l->in_list > 1)
    raws(l, ",");
  if (l->json)
    raws(l, "\"");
  escaped(l, p, n);
  if (l->json)
    close_tok(l, '"');
  l->in_list++;
}

void sinklog_list_end(sinklog_line *l) {
  if (!l || !l->in_list)
    return;
  close_tok(l, l->json ? ']' : '"');
  l->in_list = 0;
}

void sinklog_end(sinklog_line *l) {
  if (!l)
    return;
  /* TAIL_ROOM is kept for exactly this. */
  if (l->truncated) {
    const char *t = l->json ? ",\"truncated\":true" : " truncated=1";
    memcpy(l->buf + l->len, t, strlen(t));
    l->len += strlen(t);
  }
  if (l->json)
    l->buf[l->len++] = '}';
  l->buf[l->len++] = '\n';
  if (!Q.buf) {
    write_out(l->buf, l->len);
    return;
  }
  int was_empty;
  pthread_mutex_lock(&Q.mu);
  was_empty = Q.len == 0;
  if (Q.len + l->len <= RING_MAX) {
    size_t tail = (Q.head + Q.len) % RING_MAX;
    size_t k = RING_MAX - tail < l->len ? RING_MAX - tail : l->len;
    memcpy(Q.buf + tail, l->buf, k);
    memcpy(Q.buf, l->buf + k, l->len - k);
    Q.len += l->len;
  } else {
    Q.dropped++;
    was_empty = 0;
  }
  pthread_mutex_unlock(&Q.mu);
  if (was_empty && Q.wake)
    Q.wake();
}
