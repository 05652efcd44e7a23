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
void obuf_byte(obuf *b, uint8_t c);
void obuf_u64(obuf *b, uint64_t v);
void obuf_free(obuf *b);
/* Empties b but keeps its memory for the next run (speed: no malloc churn). */
static inline void obuf_reset(obuf *b) { b->len = 0; }
/* Grows an array of n elements of size sz to hold one more; returns it. */
void *oracle_grow(void *arr, size_t *cap, size_t n, size_t sz);

#endif
