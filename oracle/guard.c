/* guard.c - exact-size copies in one reusable guarded buffer (guard.h). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, sysconf */
#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GUARD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(GUARD_ASAN)
#define GUARD_ASAN 1
#endif

#ifdef GUARD_ASAN
#include <sanitizer/asan_interface.h>
/* a poisoned margin before the copy, like a heap block's left redzone */
#define GUARD_LEAD 64u
#else
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define GUARD_LEAD 0u
#endif

static void grow(oguard *g, size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (g->base) {
    ASAN_UNPOISON_MEMORY_REGION(g->base, g->cap);
    munmap(g->base, g->cap + page);
  }
  size_t want = n + GUARD_LEAD < 65536 ? 65536 : n + GUARD_LEAD;
  g->cap = (want + page - 1) / page * page;
  void *m = mmap(NULL, g->cap + page, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED || mprotect((uint8_t *)m + g->cap, page, PROT_NONE) != 0) {
    perror("oguard: mmap");
    abort();
  }
  g->base = m;
  ASAN_POISON_MEMORY_REGION(g->base, g->cap);
  g->cur = NULL;
  g->curlen = 0;
}

uint8_t *oguard_place(oguard *g, size_t n) {
  if (g->base == NULL || n + GUARD_LEAD > g->cap)
    grow(g, n);
  if (g->cur)
    ASAN_POISON_MEMORY_REGION(g->cur, g->curlen); /* the previous copy */
#ifdef GUARD_ASAN
  /* 8-aligned start, poison on both sides (shadow granules are 8 octets:
   * only an aligned start makes the octet before it poisonable) */
  uint8_t *dst = g->base + GUARD_LEAD;
#else
  uint8_t *dst = g->base + g->cap - n; /* ends at the PROT_NONE page */
#endif
  ASAN_UNPOISON_MEMORY_REGION(dst, n);
  g->cur = dst;
  g->curlen = n;
  return dst;
}

uint8_t *oguard_copy(oguard *g, const void *p, size_t n) {
  uint8_t *dst = oguard_place(g, n);
  if (n)
    memcpy(dst, p, n);
  return dst;
}
