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

void obuf_u64(obuf *b, uint64_t v) { obuf_put(b, &v, sizeof v); }

void obuf_free(obuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static inline uint64_t mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x9e3779b97f4a7c15u; /* odd multiplier: a bijection */
  return h ^ (h >> 31);
}

static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

void ohash_put(ohash *s, const void *p, size_t n) {
  const uint8_t *b = p;
  unsigned fill = (unsigned)(s->len & 7u);
  s->len += n;
  if (fill) { /* complete the pending word first */
    while (n && fill < 8) {
      s->word |= (uint64_t)*b++ << (8 * fill++);
      n--;
    }
    if (fill < 8)
      return;
    s->h = mix(s->h, s->word);
    s->word = 0;
  }
  for (; n >= 8; b += 8, n -= 8)
    s->h = mix(s->h, load_le64(b));
  for (unsigned i = 0; i < n; i++)
    s->word |= (uint64_t)b[i] << (8 * i);
}

uint64_t ohash_final(const ohash *s) {
  uint64_t h = s->h;
  if (s->len & 7u)
    h = mix(h, s->word);
  return mix(h, s->len);
}

uint64_t ohash_of(const void *p, size_t n) {
  ohash s;
  ohash_reset(&s);
  ohash_put(&s, p, n);
  return ohash_final(&s);
}
