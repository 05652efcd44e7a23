/*
 * test_dialogs.c - runs every tests/dialogs file (NAME.dialog) through
 * libsmtpp, fed whole, and compares the replies, bodies and close with the
 * file.  One cmocka test per file, named after it.  Also:
 *  - fails if there are fewer than 150 dialog files, or one lacks
 *    "# rfc:" or "# level: must|should|hardening";
 *  - timing: fed up to each S: line and pulled, the parser must already
 *    have written at least the replies listed before that S: line (a reply
 *    is never held back waiting for input the client has not sent).
 *
 * Usage: test_dialogs DIALOG_DIR [NAME-SUBSTRING]
 */
#include "dialog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MIN_DIALOGS 150

static char **g_files;
static long g_nfiles;

/* Prints a log with each line cut to 200 characters. */
static void print_clipped(const char *title, bbuf *b) {
  dlg_print("%s:\n", title);
  const char *p = bbuf_str(b);
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    if (n > 200)
      dlg_print("  %.200s...(%zu more)\n", p, n - 200);
    else
      dlg_print("  %.*s\n", (int)n, p);
    p += n + (nl != NULL);
  }
}

static void run_one(void **state) {
  const char *path = *state;
  dialog d;
  bbuf diff = {0};
  int bad = 0;

  if (dlg_load(&d, path)) {
    dlg_free(&d);
    fail_msg("%s: cannot parse: %s", path, d.error);
    return;
  }
  if (!d.has_rfc) {
    bad = 1;
    bbuf_addf(&diff, "missing \"# rfc:\" line\n");
  }
  if (!d.has_level) {
    bad = 1;
    bbuf_addf(&diff, "missing \"# level:\" line\n");
  } else if (strcmp(d.level, "must") && strcmp(d.level, "should") &&
             strcmp(d.level, "hardening")) {
    bad = 1;
    bbuf_addf(&diff, "\"# level: %s\" is not must|should|hardening\n",
                 d.level);
  }

  /* 1. whole input */
  dlg_result r;
  dlg_opts o = {0};
  dlg_run(&d, NULL, 0, &o, &r);
  if (dlg_check(&d, &r, &diff)) bad = 1;

  /* 2. timing: cut at every S: position */
  if (!bad) {
    size_t *cuts = malloc((d.nexpect + 1) * sizeof *cuts);
    for (size_t i = 0; i < d.nexpect; i++) cuts[i] = d.expect[i].pos;
    dlg_result t;
    dlg_opts ot = {0};
    ot.check_steps = 1;
    dlg_run(&d, cuts, d.nexpect, &ot, &t);
    size_t si = 0;
    for (size_t k = 0; k < d.nexpect && !bad; k++) {
      /* the step at offset expect_pos[k] (first step with off >= pos) */
      while (si < t.nsteps && t.step_off[si] < d.expect[k].pos) si++;
      if (si >= t.nsteps) break;
      rs_reader rs;
      rs_init(&rs, RS_SMTPP);
      size_t ngot = rs_end(&rs, t.replies.p, t.step_reply_len[si]);
      rs_free(&rs);
      /* replies listed up to and including S: line k */
      size_t want = k + 1;
      if (ngot < want) {
        bad = 1;
        bbuf_addf(&diff,
                     "timing: after the client's first %zu octets the "
                     "parser had written %zu replies; the dialog lists %zu "
                     "by then (S: line %zu, \"%d\" withheld)\n",
                     d.expect[k].pos, ngot, want, k + 1, d.expect[k].code);
      }
    }
    dlg_result_free(&t);
    free(cuts);
  }

  if (bad) {
    dlg_print("---- %s (%s; rfc %s; level %s)\n%s----\n", d.name,
                  d.title, d.rfc, d.level, bbuf_str(&diff));
    print_clipped("event log", &r.events);
  }
  dlg_result_free(&r);
  bbuf_free(&diff);
  char name[256];
  snprintf(name, sizeof name, "%s", d.name);
  dlg_free(&d);
  if (bad) fail_msg("%s: see the differences above", name);
}

static void count_files(void **state) {
  (void)state;
  if (g_nfiles < MIN_DIALOGS)
    fail_msg("only %ld dialog files; at least %d are required", g_nfiles,
             MIN_DIALOGS);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIALOG_DIR [NAME-SUBSTRING]\n", argv[0]);
    return 2;
  }
  g_nfiles = dlg_list(argv[1], &g_files);
  if (g_nfiles < 0) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  struct CMUnitTest *tests = calloc((size_t)g_nfiles + 1, sizeof *tests);
  size_t n = 0;
  if (argc < 3) {
    tests[n].name = "dialog_count";
    tests[n].test_func = count_files;
    n++;
  }
  for (long i = 0; i < g_nfiles; i++) {
    const char *base = strrchr(g_files[i], '/');
    base = base ? base + 1 : g_files[i];
    if (argc >= 3 && !strstr(base, argv[2])) continue;
    tests[n].name = base;
    tests[n].test_func = run_one;
    tests[n].initial_state = g_files[i];
    n++;
  }
  int rc = _cmocka_run_group_tests("dialogs", tests, n, NULL, NULL);
  free(tests);
  dlg_free_list(g_files, g_nfiles);
  return rc;
}
