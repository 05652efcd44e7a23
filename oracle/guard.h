/*
 * guard.h - exact-size copies without a malloc per copy.
 *
 * The harnesses copy every input chunk into a buffer of exactly its size so
 * that a read past it is caught.  A fresh malloc per chunk made ASan's
 * allocator (stack depot, quarantine) the largest cost of the fuzz targets,
 * so each harness keeps one reusable buffer instead, with the same guard:
 *   - under ASan, the chunk starts 8-aligned (like a malloc'd block) and
 *     every octet of the buffer outside it is poisoned: a read one octet
 *     before or after the chunk is reported exactly as for a heap block;
 *   - without ASan (plain replay, AFL++ CMPLOG), the chunk ends right
 *     before a PROT_NONE page (mmap'd once): a read past it faults.
 * A block stays valid until the next oguard_place()/oguard_copy() on the
 * same guard.
 */
#ifndef ORACLE_GUARD_H
#define ORACLE_GUARD_H

#include <stddef.h>
#include <stdint.h>

typedef struct oguard {
  uint8_t *base;  /* mmap'd: cap octets, then one PROT_NONE page */
  size_t cap;
  uint8_t *cur;   /* the current copy (unpoisoned) */
  size_t curlen;
} oguard;

/* Makes n octets of g's buffer (grown when needed) the current block and
 * returns it, for the caller to fill.  n may be 0 (the result then must
 * not be read at all). */
uint8_t *oguard_place(oguard *g, size_t n);
/* oguard_place(), then copies the n octets of p into the block. */
uint8_t *oguard_copy(oguard *g, const void *p, size_t n);

#endif
