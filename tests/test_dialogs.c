/*
 * test_dialogs.c - runs every tests/dialogs file (NAME.dialog) through
 * libsmtpp, fed whole, and compares the replies, bodies and close with the
 * file (and the events with the E: lines, when it has any).  One cmocka
 * test per file, named after it.  Also:
 *  - fails if a file lacks "# rfc:" or "# level: must|should|hardening";
 *  - timing: fed up to each S: line and pulled, the parser must already
 *    have written at least the replies listed up to that S: line (a reply
 *    is never held back waiting for input the client has not sent).  Every
 *    S: line is checked, also when the whole run already differed.
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

#include "dialog_group.h"

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
  {
    size_t *cuts = malloc((d.nexpect + 1) * sizeof *cuts);
    for (size_t i = 0; i < d.nexpect; i++) cuts[i] = d.expect[i].pos;
    dlg_result t;
    dlg_opts ot = {0};
    ot.check_steps = 1;
    dlg_run(&d, cuts, d.nexpect, &ot, &t);
    size_t si = 0, late = 0;
    for (size_t k = 0; k < d.nexpect; k++) {
      /* the step at offset expect[k].pos (first step with off >= pos) */
      while (si < t.nsteps && t.step_off[si] < d.expect[k].pos) si++;
      if (si >= t.nsteps || t.step_off[si] != d.expect[k].pos) {
        /* the runner records a step at every cut: a missing one is a
         * runner defect, and a check that did not run must not pass */
        bad = 1;
        bbuf_addf(&diff, "timing: no step recorded at client octet %zu "
                         "(S: line %zu)\n", d.expect[k].pos, k + 1);
        continue;
      }
      rs_reader rs;
      rs_init(&rs, RS_SMTPP);
      size_t ngot = rs_end(&rs, t.replies.p, t.step_reply_len[si]);
      rs_free(&rs);
      /* replies listed up to and including S: line k */
      size_t want = k + 1;
      if (ngot < want && late++ < 5) {
        bad = 1;
        bbuf_addf(&diff,
                  "timing: after the client's first %zu octets the "
                  "parser had written %zu replies; the dialog lists %zu "
                  "by then (S: line %zu, \"%d\" withheld)\n",
                  d.expect[k].pos, ngot, want, k + 1, d.expect[k].code);
      }
    }
    if (late > 5)
      bbuf_addf(&diff, "timing: %zu more S: lines withheld\n", late - 5);
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

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIALOG_DIR [NAME-SUBSTRING]\n", argv[0]);
    return 2;
  }
  return dlg_run_group("dialogs", argv[1], argc >= 3 ? argv[2] : NULL,
                       run_one);
}
