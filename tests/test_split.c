/*
 * test_split.c - the every-split test (docs/DESIGN.md section 3: "any split of
 * the same input gives the same events and the same reply bytes").
 *
 * For every dialog, the reference is the run fed whole.  Then it is fed
 *  - one octet at a time (pulling replies after every octet, acking them
 *    one octet at a time),
 *  - split at every single point k (0 < k < len),
 *  - for dialogs under PAIR_LIMIT (300) client octets, split at every pair
 *    of points i < j (environment SMTPP_SPLIT_PAIR_LIMIT=N changes 300),
 *  - whole with ev == NULL (dialogs without ! policy: replies only),
 * and the reply bytes, the event log (flags without INPUT_PENDING), the
 * bodies of the messages (concatenated slices) and the close must be the
 * same as the reference.  T: barriers are always kept.
 *
 * Usage: test_split DIALOG_DIR [NAME-SUBSTRING]
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

#define PAIR_LIMIT 300 /* SMTPP_SPLIT_PAIR_LIMIT in the environment overrides */

static size_t g_pair_limit = PAIR_LIMIT;

static int compare(const dialog *d, const dlg_result *ref, dlg_result *got,
                   const char *how) {
  bbuf diff = {0};
  int bad = dlg_compare_runs(ref, got, &diff) != 0;
  if (bad)
    dlg_print("---- %s: fed %s differs from fed whole:\n%s----\n", d->name,
                  how, bbuf_str(&diff));
  bbuf_free(&diff);
  dlg_result_free(got);
  return bad;
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
  dlg_result ref, got;
  dlg_opts o = {0};
  char how[128];
  int bad = 0;

  dlg_run(&d, NULL, 0, &o, &ref);

  /* one octet at a time */
  {
    size_t *cuts = malloc((len + 1) * sizeof *cuts);
    for (size_t k = 1; k < len; k++) cuts[k - 1] = k;
    dlg_opts ob = {0};
    ob.drain_each = 1;
    ob.ack_step = 1;
    dlg_run(&d, cuts, len ? len - 1 : 0, &ob, &got);
    bad |= compare(&d, &ref, &got, "one octet at a time");
    free(cuts);
  }

  /* every single split point */
  for (size_t k = 1; k < len && !bad; k++) {
    dlg_opts os = {0};
    os.drain_each = (int)(k & 1);
    dlg_run(&d, &k, 1, &os, &got);
    snprintf(how, sizeof how, "split at %zu", k);
    bad |= compare(&d, &ref, &got, how);
  }

  /* every pair of split points */
  if (len < g_pair_limit) {
    for (size_t i = 1; i < len && !bad; i++) {
      for (size_t j = i + 1; j < len && !bad; j++) {
        size_t cuts[2] = {i, j};
        dlg_run(&d, cuts, 2, &o, &got);
        snprintf(how, sizeof how, "split at %zu and %zu", i, j);
        bad |= compare(&d, &ref, &got, how);
      }
    }
  }

  /* ev == NULL: the default decisions, the same replies */
  if (!d.policy && !bad) {
    dlg_opts on = {0};
    on.null_ev = 1;
    dlg_run(&d, NULL, 0, &on, &got);
    /* events are not seen; only the replies and close must match */
    if (got.replies.len != ref.replies.len ||
        memcmp(got.replies.p, ref.replies.p, ref.replies.len) != 0 ||
        got.closed != ref.closed || got.errors.len != ref.errors.len) {
      bbuf a = {0}, b = {0};
      bbuf_add_escaped(&a, ref.replies.p, ref.replies.len);
      bbuf_add_escaped(&b, got.replies.p, got.replies.len);
      dlg_print("---- %s: fed whole with ev == NULL differs:\n"
                    "  with ev: \"%s\"\n  NULL ev: \"%s\"\n  %s----\n",
                    d.name, bbuf_str(&a), bbuf_str(&b),
                    bbuf_str(&got.errors));
      bbuf_free(&a);
      bbuf_free(&b);
      bad = 1;
    }
    dlg_result_free(&got);
  }

  dlg_result_free(&ref);
  char name[256];
  snprintf(name, sizeof name, "%s", d.name);
  dlg_free(&d);
  if (bad) fail_msg("%s: split runs differ (see above)", name);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIALOG_DIR [NAME-SUBSTRING]\n", argv[0]);
    return 2;
  }
  const char *lim = getenv("SMTPP_SPLIT_PAIR_LIMIT");
  if (lim && *lim) g_pair_limit = (size_t)strtoul(lim, NULL, 10);
  return dlg_run_group("split", argv[1], argc >= 3 ? argv[2] : NULL, run_one);
}
