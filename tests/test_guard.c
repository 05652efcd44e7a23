/*
 * test_guard.c - the guard-page test (after picohttpparser's).
 *
 * Every chunk handed to smtpp_feed() is first copied so that its last
 * octet is the last octet before a PROT_NONE page (and, in a second pass,
 * so that its first octet is the first one after a PROT_NONE page): one
 * octet read past either end faults at once.  Each dialog is fed whole and
 * one octet at a time, with a 0-length chunk pointing at the guard page fed
 * before every chunk.  The replies must also equal those of a plain run.
 *
 * Usage: test_guard DIALOG_DIR [NAME-SUBSTRING]
 */
#define _DEFAULT_SOURCE
#include "dialog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dialog_group.h"

typedef struct guard {
  unsigned char *map;  /* [guard page][data pages][guard page] */
  size_t map_len;
  unsigned char *lo;   /* first data octet (just after the head guard) */
  unsigned char *hi;   /* first octet of the tail guard */
  int at_start;        /* place chunks right after the head guard */
} guard;

static int guard_init(guard *g, size_t need) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  size_t data = ((need + pg - 1) / pg) * pg;
  if (data == 0) data = pg;
  g->map_len = data + 2 * pg;
  g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->map == MAP_FAILED) return -1;
  if (mprotect(g->map, pg, PROT_NONE) ||
      mprotect(g->map + pg + data, pg, PROT_NONE))
    return -1;
  g->lo = g->map + pg;
  g->hi = g->map + pg + data;
  return 0;
}

static void guard_free(guard *g) { munmap(g->map, g->map_len); }

static const unsigned char *place(void *ctx, const unsigned char *src,
                                  size_t len) {
  guard *g = ctx;
  if (len == 0) return g->hi; /* 0 octets, pointing into the guard */
  unsigned char *dst = g->at_start ? g->lo : g->hi - len;
  memcpy(dst, src, len);
  return dst;
}

static void run_one(void **state) {
  const char *path = *state;
  dialog d;
  if (dlg_load(&d, path)) {
    dlg_free(&d);
    fail_msg("%s: cannot parse: %s", path, d.error);
    return;
  }
  size_t len = d.input.len;
  guard g;
  assert_int_equal(guard_init(&g, len), 0);

  dlg_result ref;
  dlg_opts plain = {0};
  dlg_run(&d, NULL, 0, &plain, &ref);

  size_t *every = malloc((len + 1) * sizeof *every);
  for (size_t k = 1; k < len; k++) every[k - 1] = k;

  int bad = 0;
  for (int mode = 0; mode < 4; mode++) {
    g.at_start = mode & 1;
    int bytewise = mode >> 1;
    dlg_opts o = {0};
    o.place = place;
    o.place_ctx = &g;
    o.zero_feeds = 1;
    dlg_result r;
    dlg_run(&d, every, bytewise && len ? len - 1 : 0, &o, &r);
    if (r.replies.len != ref.replies.len ||
        memcmp(r.replies.p, ref.replies.p, r.replies.len) != 0 ||
        r.errors.len) {
      bbuf a = {0}, b = {0};
      bbuf_add_escaped(&a, ref.replies.p, ref.replies.len);
      bbuf_add_escaped(&b, r.replies.p, r.replies.len);
      dlg_print("---- %s: fed %s, chunks at the %s guard page:\n"
                    "  plain: \"%s\"\n  guard: \"%s\"\n%s----\n",
                    d.name, bytewise ? "one octet at a time" : "whole",
                    g.at_start ? "leading" : "trailing", bbuf_str(&a),
                    bbuf_str(&b), bbuf_str(&r.errors));
      bbuf_free(&a);
      bbuf_free(&b);
      bad = 1;
    }
    dlg_result_free(&r);
  }
  free(every);
  dlg_result_free(&ref);
  guard_free(&g);
  char name[256];
  snprintf(name, sizeof name, "%s", d.name);
  dlg_free(&d);
  if (bad) fail_msg("%s: guard-page runs differ (see above)", name);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIALOG_DIR [NAME-SUBSTRING]\n", argv[0]);
    return 2;
  }
  return dlg_run_group("guard", argv[1], argc >= 3 ? argv[2] : NULL, run_one);
}
