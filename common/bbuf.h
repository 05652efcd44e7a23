/*
 * bbuf.h - the one growable byte buffer of the tools, the tests and the
 * oracle (never of libsmtpp: the parser does not allocate).
 *
 * The octets are p[0..len); p[len] is always 0 once anything was added, so
 * a buffer of text can be printed with bbuf_str().  Allocation failure
 * prints "out of memory" and aborts: every user is a test, a checker or a
 * command-line tool, where a silent half-result would hide a defect.
 */
#ifndef SMTPP_COMMON_BBUF_H
#define SMTPP_COMMON_BBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct bbuf {
  unsigned char *p;
  size_t len, cap; /* cap counts the room for the trailing 0 */
} bbuf;

void bbuf_add(bbuf *b, const void *p, size_t n);
/* One octet; inline because the oracle appends bodies octet by octet. */
static inline void bbuf_addc(bbuf *b, int c) {
  if (b->len + 1 < b->cap) {
    b->p[b->len++] = (unsigned char)c;
    b->p[b->len] = 0;
  } else {
    unsigned char ch = (unsigned char)c;
    bbuf_add(b, &ch, 1);
  }
}
/* A C string (its octets, not the NUL). */
void bbuf_adds(bbuf *b, const char *s);
/* v in decimal.  bbuf_adds/bbuf_add_dec instead of bbuf_addf where text is
 * built per event: the oracle formats every event of every fuzz input,
 * and printf's format parsing was a tenth of fuzz_session's time. */
void bbuf_add_dec(bbuf *b, uint64_t v);
void bbuf_addf(bbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The 8 octets of v in host order (for hashing and comparing, not text). */
void bbuf_add_u64(bbuf *b, uint64_t v);
/* Inserts n octets before offset pos (<= len).  Returns 0, -1 if pos is
 * past the end. */
int bbuf_insert(bbuf *b, size_t pos, const void *p, size_t n);
/* Removes up to n octets from offset pos (nothing if pos >= len). */
void bbuf_erase(bbuf *b, size_t pos, size_t n);
/* Replaces the contents with p[0..n). */
void bbuf_set(bbuf *b, const void *p, size_t n);
/* The contents as a C string ("" for an empty buffer). */
const char *bbuf_str(bbuf *b);
/* Empties b but keeps its memory (no malloc churn in hot loops). */
static inline void bbuf_reset(bbuf *b) {
  b->len = 0;
  if (b->p)
    b->p[0] = 0;
}
void bbuf_free(bbuf *b);

/* realloc that aborts on failure (n == 0 allocates 1 octet). */
void *bb_realloc(void *p, size_t n);
/* strdup that aborts on failure. */
char *bb_strdup(const char *s);
/* Grows an array of n elements of size sz (capacity *cap) so it holds at
 * least one more; returns it. */
void *bb_grow(void *arr, size_t *cap, size_t n, size_t sz);

#endif
