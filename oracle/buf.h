/*
 * buf.h - a growable byte buffer for the oracle (the oracle may allocate;
 * the parser never does).  Allocation failure aborts: the oracle is a test
 * tool, and a silent half-result would hide a violation.
 */
#ifndef ORACLE_BUF_H
#define ORACLE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct obuf {
  uint8_t *p;
  size_t len, cap;
} obuf;

void obuf_put(obuf *b, const void *p, size_t n);
/* One octet; inline because the models append bodies octet by octet. */
static inline void obuf_byte(obuf *b, uint8_t c) {
  if (b->len < b->cap)
    b->p[b->len++] = c;
  else
    obuf_put(b, &c, 1);
}
void obuf_u64(obuf *b, uint64_t v);
void obuf_free(obuf *b);
/* Empties b but keeps its memory for the next run (speed: no malloc churn). */
static inline void obuf_reset(obuf *b) { b->len = 0; }
/*
 * A streaming 64-bit hash of a byte stream, for comparing two runs without
 * storing the second: the result depends only on the concatenated octets,
 * not on how they were cut into ohash_put() calls, and equals
 * ohash_of(all octets).  Not cryptographic; each step is a bijection of
 * the state, so two streams of the same length that differ in one 8-octet
 * word always hash differently.
 */
typedef struct ohash {
  uint64_t h, word, len; /* word: the last len % 8 octets, not mixed yet */
} ohash;

static inline void ohash_reset(ohash *s) { s->h = s->word = s->len = 0; }
void ohash_put(ohash *s, const void *p, size_t n);
uint64_t ohash_final(const ohash *s);
uint64_t ohash_of(const void *p, size_t n);

/* Grows an array of n elements of size sz to hold one more; returns it. */
void *oracle_grow(void *arr, size_t *cap, size_t n, size_t sz);

#endif
