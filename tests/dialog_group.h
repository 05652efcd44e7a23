/*
 * dialog_group.h - one cmocka test per dialog file: the main() body shared
 * by test_dialogs, test_split, test_guard and test_serve_modes.  Include after
 * <cmocka.h> and "dialog.h".
 */
#ifndef SMTPP_DIALOG_GROUP_H
#define SMTPP_DIALOG_GROUP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs fn once per file of dir (sorted; only names containing filter when
 * filter is not NULL), the file path as the test's state.  Returns
 * cmocka's result, or 2 if dir cannot be read. */
static int dlg_run_group(const char *group, const char *dir,
                         const char *filter, CMUnitTestFunction fn) {
  char **files;
  long nfiles = dlg_list(dir, &files);
  if (nfiles < 0) {
    fprintf(stderr, "cannot read %s\n", dir);
    return 2;
  }
  struct CMUnitTest *tests = calloc((size_t)nfiles + 1, sizeof *tests);
  if (tests == NULL) {
    dlg_free_list(files, nfiles);
    return 2;
  }
  size_t n = 0;
  for (long i = 0; i < nfiles; i++) {
    const char *base = strrchr(files[i], '/');
    base = base ? base + 1 : files[i];
    if (filter && !strstr(base, filter))
      continue;
    tests[n].name = base;
    tests[n].test_func = fn;
    tests[n].initial_state = files[i];
    n++;
  }
  int rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
  free(tests);
  dlg_free_list(files, nfiles);
  return rc;
}

#endif
