/* buf.c - the oracle's growable buffer (see buf.h). */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *oracle_grow(void *arr, size_t *cap, size_t n, size_t sz) {
  if (n < *cap)
    return arr;
  size_t nc = *cap ? *cap * 2 : 16;
  void *q = realloc(arr, nc * sz);
  if (q == NULL) {
    fputs("oracle: out of memory\n", stderr);
    abort();
  }
  *cap = nc;
  return q;
}

void obuf_put(obuf *b, const void *p, size_t n) {
  if (n == 0)
    return;
  while (b->len + n > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 256;
    uint8_t *q = realloc(b->p, nc);
    if (q == NULL) {
      fputs("oracle: out of memory\n", stderr);
      abort();
    }
    b->p = q;
    b->cap = nc;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

void obuf_byte(obuf *b, uint8_t c) { obuf_put(b, &c, 1); }

void obuf_u64(obuf *b, uint64_t v) { obuf_put(b, &v, sizeof v); }

void obuf_free(obuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
