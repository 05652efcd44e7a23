/*
 * bbuf.c - see bbuf.h.
 */
#include "bbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *bb_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL) {
    fputs("out of memory\n", stderr);
    abort();
  }
  return q;
}

char *bb_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(bb_realloc(NULL, n), s, n);
}

void *bb_grow(void *arr, size_t *cap, size_t n, size_t sz) {
  if (n < *cap)
    return arr;
  size_t nc = *cap ? *cap * 2 : 16;
  while (nc <= n)
    nc *= 2;
  arr = bb_realloc(arr, nc * sz);
  *cap = nc;
  return arr;
}

static void reserve(bbuf *b, size_t need) {
  if (need <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  b->p = bb_realloc(b->p, cap);
  b->cap = cap;
}

void bbuf_add(bbuf *b, const void *p, size_t n) {
  reserve(b, b->len + n + 1);
  if (n)
    memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = 0;
}

void bbuf_adds(bbuf *b, const char *s) { bbuf_add(b, s, strlen(s)); }

void bbuf_add_dec(bbuf *b, uint64_t v) {
  char d[20]; /* UINT64_MAX has 20 digits */
  size_t i = sizeof d;
  do {
    d[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  bbuf_add(b, d + i, sizeof d - i);
}

void bbuf_addf(bbuf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof tmp) {
    bbuf_add(b, tmp, (size_t)n);
    return;
  }
  reserve(b, b->len + (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void bbuf_add_u64(bbuf *b, uint64_t v) { bbuf_add(b, &v, sizeof v); }

int bbuf_insert(bbuf *b, size_t pos, const void *p, size_t n) {
  if (pos > b->len)
    return -1;
  reserve(b, b->len + n + 1);
  memmove(b->p + pos + n, b->p + pos, b->len - pos + 1); /* with the 0 */
  if (n)
    memcpy(b->p + pos, p, n);
  b->len += n;
  return 0;
}

void bbuf_erase(bbuf *b, size_t pos, size_t n) {
  if (pos >= b->len)
    return;
  if (n > b->len - pos)
    n = b->len - pos;
  memmove(b->p + pos, b->p + pos + n, b->len - pos - n + 1); /* with the 0 */
  b->len -= n;
}

void bbuf_set(bbuf *b, const void *p, size_t n) {
  bbuf_reset(b);
  bbuf_add(b, p, n);
}

const char *bbuf_str(bbuf *b) {
  if (b->p == NULL)
    bbuf_add(b, "", 0);
  return (const char *)b->p;
}

void bbuf_free(bbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
