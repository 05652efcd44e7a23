/* hash.c - the oracle's streaming hash (see hash.h). */
#include "hash.h"

#include <string.h>

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
