/*
 * probe_stdio.c - `smtpp probe` against `smtpp serve --stdio` over the whole
 * dialog suite: no failure, and nothing skipped that the probe can run.
 *
 * The dialogs are grouped by the serve flags their directives stand for
 * (common/dialogfile.h: serve_args); each group is probed, in every mode,
 * against a `serve --stdio` started with those flags, so a dialog that needs
 * "! ext -SIZE" or "! size 100" meets a server that offers exactly that.
 * The only skips allowed are the ones no server can lift: a host policy
 * (! policy), a TLS barrier (T:), a limit a server does not advertise
 * (! max-rcpt, ! max-errors) and a parser leniency (! lenient).  Any other
 * skip, any failed case and any non-zero exit of the probe fail the test.
 *
 * Usage: probe_stdio SMTPP DIALOG_DIR
 */
#define _XOPEN_SOURCE 700
#include "bbuf.h"
#include "dialogfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Skip reasons (the probe's words) that no server config can lift. */
static const char *const inherent[] = {
    "needs ! policy",   "needs a T:",         "needs ! max-rcpt",
    "needs ! max-errors", "needs ! lenient",
    /* RFC 2920 3: no burst to a server without PIPELINING */
    "burst mode pipelines, and the server does not offer PIPELINING",
};

typedef struct group {
  char *key;      /* the serve flags, space separated */
  char **argv;    /* the same as words */
  size_t nargs;
  char **paths;
  size_t npaths;
} group;

/* Runs argv, its stdout and stderr into out.  Returns the exit status, -1
 * if it could not run or did not exit. */
static int run(char *const argv[], bbuf *out) {
  int p[2];
  if (pipe(p))
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[0]);
    close(p[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    bbuf_add(out, buf, (size_t)n);
  }
  close(p[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Checks one line of the probe's run table (`probe -v`: DIALOG MODE WORST
 * FINDINGS-or-SKIP-REASON); appends what is wrong to bad.  Against our
 * own server every run must be clean ("ok"): no finding of any verdict. */
static void judge_line(const char *line, size_t len, bbuf *bad,
                       size_t *nskip, size_t *nrun) {
  char l[1024];
  if (len >= sizeof l)
    len = sizeof l - 1;
  memcpy(l, line, len);
  l[len] = 0;
  char name[128], mode[32], worst[32];
  int used = 0;
  if (sscanf(l, "%127s %31s %31s %n", name, mode, worst, &used) != 3 ||
      (strcmp(mode, "polite") && strcmp(mode, "burst") &&
       strcmp(mode, "byte")))
    return; /* not a run line (names are cut at 44 characters) */
  if (!strcmp(worst, "ok")) {
    (*nrun)++;
  } else if (!strcmp(worst, "skip")) {
    const char *why = l + used;
    size_t i;
    while (*why == ' ')
      why++;
    for (i = 0; i < sizeof inherent / sizeof inherent[0]; i++)
      if (!strncmp(why, inherent[i], strlen(inherent[i])))
        break;
    if (i < sizeof inherent / sizeof inherent[0])
      (*nskip)++;
    else
      bbuf_addf(bad, "  skipped, but runnable: %s\n", l);
  } else {
    bbuf_addf(bad, "  %s: %s\n", worst, l);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SMTPP DIALOG_DIR\n", argv[0]);
    return 2;
  }
  const char *smtpp = argv[1];
  char **files;
  long nfiles = dlg_list(argv[2], &files);
  if (nfiles <= 0) {
    fprintf(stderr, "probe_stdio: no dialogs in %s\n", argv[2]);
    return 2;
  }
  group *gs = NULL;
  size_t ng = 0;
  int failed = 0;
  for (long i = 0; i < nfiles; i++) {
    dialog d;
    if (dlg_load(&d, files[i])) {
      fprintf(stderr, "probe_stdio: %s\n", d.error);
      failed = 1;
      dlg_free(&d);
      continue;
    }
    bbuf key = {0};
    bbuf_add(&key, "", 0);
    for (size_t k = 0; k < d.nserve_args; k++)
      bbuf_addf(&key, "%s%s", k ? " " : "", d.serve_args[k]);
    size_t g;
    for (g = 0; g < ng && strcmp(gs[g].key, bbuf_str(&key)); g++) {
    }
    if (g == ng) {
      gs = bb_realloc(gs, (ng + 1) * sizeof *gs);
      memset(&gs[ng], 0, sizeof gs[ng]);
      gs[ng].key = bb_strdup(bbuf_str(&key));
      gs[ng].argv = bb_realloc(NULL, (d.nserve_args + 1) * sizeof(char *));
      for (size_t k = 0; k < d.nserve_args; k++)
        gs[ng].argv[k] = bb_strdup(d.serve_args[k]);
      gs[ng].nargs = d.nserve_args;
      ng++;
    }
    char *abs = realpath(files[i], NULL);
    gs[g].paths = bb_realloc(gs[g].paths, (gs[g].npaths + 1) * sizeof(char *));
    gs[g].paths[gs[g].npaths++] = abs ? abs : bb_strdup(files[i]);
    bbuf_free(&key);
    dlg_free(&d);
  }
  dlg_free_list(files, nfiles);

  size_t total_run = 0, total_skip = 0;
  for (size_t g = 0; g < ng; g++) {
    char dir[] = "/tmp/smtpp-probe-stdio-XXXXXX";
    if (!mkdtemp(dir)) {
      perror("probe_stdio: mkdtemp");
      return 2;
    }
    for (size_t k = 0; k < gs[g].npaths; k++) {
      char link[PATH_MAX];
      const char *base = strrchr(gs[g].paths[k], '/');
      snprintf(link, sizeof link, "%s/%s", dir, base ? base + 1 : "x");
      if (symlink(gs[g].paths[k], link)) {
        perror("probe_stdio: symlink");
        return 2;
      }
    }
    bbuf cmd = {0}, out = {0}, bad = {0};
    bbuf_addf(&cmd, "%s serve --stdio", smtpp);
    for (size_t k = 0; k < gs[g].nargs; k++)
      bbuf_addf(&cmd, " %s", gs[g].argv[k]);
    char *pargv[] = {(char *)smtpp, "probe", "--cmd", (char *)bbuf_str(&cmd),
                     "--mode", "all", "--timeout", "20000", "-v", "--suite", dir,
                     NULL};
    int rc = run(pargv, &out);
    size_t nrun = 0, nskip = 0;
    const char *p = bbuf_str(&out);
    while (*p) {
      const char *nl = strchr(p, '\n');
      size_t n = nl ? (size_t)(nl - p) : strlen(p);
      judge_line(p, n, &bad, &nskip, &nrun);
      p += n + (nl != NULL);
    }
    printf("serve --stdio %s: %zu dialogs, %zu runs passed, %zu skips no "
           "server can lift, probe exit %d\n", gs[g].key, gs[g].npaths, nrun,
           nskip, rc);
    if (rc != 0 || bad.len || nrun + nskip == 0) {
      failed = 1;
      printf("%s", bbuf_str(&bad));
      if (rc != 0 || nrun + nskip == 0)
        printf("---- probe output:\n%s----\n", bbuf_str(&out));
    }
    total_run += nrun;
    total_skip += nskip;
    for (size_t k = 0; k < gs[g].npaths; k++) {
      char link[PATH_MAX];
      const char *base = strrchr(gs[g].paths[k], '/');
      snprintf(link, sizeof link, "%s/%s", dir, base ? base + 1 : "x");
      unlink(link);
      free(gs[g].paths[k]);
    }
    rmdir(dir);
    for (size_t k = 0; k < gs[g].nargs; k++)
      free(gs[g].argv[k]);
    free(gs[g].argv);
    free(gs[g].paths);
    free(gs[g].key);
    bbuf_free(&cmd);
    bbuf_free(&out);
    bbuf_free(&bad);
  }
  free(gs);
  printf("%zu groups: %zu runs passed, %zu skips no server can lift; %s\n",
         ng, total_run, total_skip, failed ? "FAILED" : "ok");
  return failed ? 1 : 0;
}
