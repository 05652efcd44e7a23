/*
 * hash.h - a streaming hash for the oracle's reruns (the byte buffer the
 * oracle fills is common/bbuf.h).
 */
#ifndef ORACLE_HASH_H
#define ORACLE_HASH_H

#include <stddef.h>
#include <stdint.h>

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

#endif
