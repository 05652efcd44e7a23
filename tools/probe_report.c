/*
 * probe_report.c - the reports of `smtpp probe`: findings grouped by root
 * cause (the finding key), most severe first, each with the RFC sentence,
 * one piece of evidence (client bytes, smtpp's answer, the server's reply
 * text) and a command that reproduces it; then totals.  The same in JSON
 * and JUnit XML.  A baseline file accepts known findings so that a
 * server's CI can gate on new violations only.
 */
#define _POSIX_C_SOURCE 200809L
#include "probe.h"

#include "esc.h"
#include "replycodes.h"

#include <smtpp/smtpp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const probe_mode_names[PMODE__COUNT] = {"polite", "burst",
                                                    "byte"};

typedef struct agg {
  const pfind *first; /* its evidence */
  const presult *res; /* the run that gave it */
  size_t runs;        /* runs (dialog x mode) that show it */
} agg;

/* Root causes, sorted by verdict, then by rule order (severity). */
static size_t aggregate(const preport *rep, agg **out) {
  size_t n = 0, cap = 0, nr;
  agg *a = NULL;
  const prule *all = probe_rules(&nr);
  for (size_t i = 0; i < rep->n; i++)
    for (size_t k = 0; k < rep->r[i].nf; k++) {
      const pfind *f = &rep->r[i].f[k];
      size_t x;
      for (x = 0; x < n; x++)
        if (!strcmp(a[x].first->key, f->key))
          break;
      if (x < n) {
        a[x].runs++;
        continue;
      }
      if (n == cap) {
        size_t ncap = cap ? cap * 2 : 32;
        agg *na = realloc(a, ncap * sizeof *na);
        if (!na)
          break;
        a = na;
        cap = ncap;
      }
      a[n].first = f;
      a[n].res = &rep->r[i];
      a[n].runs = 1;
      n++;
    }
  /* insertion sort: verdict, then rule position */
  for (size_t i = 1; i < n; i++) {
    agg t = a[i];
    size_t j = i;
    while (j > 0) {
      const pfind *fp = a[j - 1].first, *fq = t.first;
      const prule *p = fp->rule, *q = fq->rule;
      if (fp->verdict < fq->verdict ||
          (fp->verdict == fq->verdict &&
           (size_t)(p - all) <= (size_t)(q - all)))
        break;
      a[j] = a[j - 1];
      j--;
    }
    a[j] = t;
  }
  *out = a;
  return n;
}

size_t probe_violations(const preport *rep) {
  size_t v = 0;
  agg *a;
  size_t n = aggregate(rep, &a);
  for (size_t i = 0; i < n; i++)
    v += a[i].first->verdict == V_VIOLATION && !a[i].first->accepted;
  free(a);
  return v;
}

static void repro(char *buf, size_t cap, const preport *rep,
                  const presult *r) {
  snprintf(buf, cap, "smtpp probe %s --only %s --mode %s",
           rep->srv->repro, r->c->name, probe_mode_names[r->mode]);
}

static void print_runs(FILE *out, const preport *rep, const char *key) {
  size_t shown = 0, total = 0;
  for (size_t i = 0; i < rep->n; i++)
    for (size_t k = 0; k < rep->r[i].nf; k++)
      if (!strcmp(rep->r[i].f[k].key, key)) {
        total++;
        if (shown < 6) {
          fprintf(out, "%s%s (%s)", shown ? ", " : "", rep->r[i].c->name,
                  probe_mode_names[rep->r[i].mode]);
          shown++;
        }
      }
  if (total > shown)
    fprintf(out, " and %zu more", total - shown);
  fputc('\n', out);
}

void probe_report_text(FILE *out, const preport *rep, int verbose) {
  agg *a;
  size_t n = aggregate(rep, &a), count[V__COUNT] = {0}, runs[3] = {0};
  size_t accepted = 0;

  if (verbose) {
    fprintf(out, "\n%-44s %-6s %-12s %s\n", "DIALOG", "MODE", "WORST",
                 "FINDINGS / SKIP REASON");
    for (size_t i = 0; i < rep->n; i++) {
      const presult *r = &rep->r[i];
      fprintf(out, "%-44.44s %-6s %-12s", r->c->name,
              probe_mode_names[r->mode],
              r->status == PR_SKIP ? "skip"
              : r->worst < V__COUNT ? probe_verdict_names[r->worst]
                                    : "ok");
      if (r->status == PR_SKIP)
        fprintf(out, " %s", r->detail);
      for (size_t k = 0; k < r->nf; k++)
        fprintf(out, " %s", r->f[k].key);
      fputc('\n', out);
    }
  }
  for (size_t i = 0; i < rep->n; i++)
    runs[rep->r[i].status]++;
  for (size_t i = 0; i < n; i++) {
    count[a[i].first->verdict]++;
    accepted += a[i].first->accepted;
  }

  for (int v = 0; v < V__COUNT; v++) {
    size_t num = 0;
    if (!count[v])
      continue;
    fprintf(out, "\n%s (%zu root cause%s)\n",
            v == V_VIOLATION    ? "VIOLATIONS: a MUST, a prescribed code or "
                                  "the grammar broken"
            : v == V_DEVIATION  ? "DEVIATIONS: a SHOULD not followed"
            : v == V_ADVISORY   ? "ADVISORIES: allowed, but other or weaker "
                                  "than smtpp"
                                : "INCONCLUSIVE: policy, or the dialog could "
                                  "not apply",
            count[v], count[v] == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
      const pfind *f = a[i].first;
      const prule *p = f->rule;
      char cmd[700];
      if (f->verdict != v)
        continue;
      num++;
      if (v >= V_ADVISORY && !verbose) {
        fprintf(out, "  %-44s %3zu run%s  e.g. %s: sent \"%.60s\" got %.60s\n",
                f->key, a[i].runs, a[i].runs == 1 ? " " : "s",
                a[i].res->c->name, f->sent, f->got);
        continue;
      }
      repro(cmd, sizeof cmd, rep, a[i].res);
      fprintf(out, "\n %zu. %s%s  [%s, %s]  %zu run%s\n", num, f->key,
              f->accepted ? " (accepted by the baseline)" : "", p->prop,
              f->rfc, a[i].runs, a[i].runs == 1 ? "" : "s");
      fprintf(out, "    %s\n", f->what);
      fprintf(out, "    RFC: \"%s\"\n", f->quote);
      fprintf(out, "    sent:      \"%s\"\n", f->sent);
      fprintf(out, "    expected:  %s\n", f->expected);
      fprintf(out, "    got:       %s\n", f->got);
      fprintf(out, "    reproduce: %s\n", cmd);
      fprintf(out, "    fix:       %s\n", p->fix);
      fprintf(out, "    seen in:   ");
      print_runs(out, rep, f->key);
    }
  }
  free(a);
  fprintf(out, "\nTotals: %zu runs (dialog x mode): %zu clean, %zu with "
               "findings, %zu skipped; %.1f s\n",
          rep->n, runs[PR_PASS], runs[PR_FAIL], runs[PR_SKIP],
          (double)rep->ms / 1000.0);
  fprintf(out, "root causes: %zu violation, %zu deviation, %zu advisory, "
               "%zu inconclusive",
          count[V_VIOLATION], count[V_DEVIATION], count[V_ADVISORY],
          count[V_INCONCLUSIVE]);
  if (accepted)
    fprintf(out, " (%zu accepted by the baseline)", accepted);
  fprintf(out, "\nviolations: %zu%s\n", probe_violations(rep),
          probe_violations(rep) ? " (exit status 1)" : " (none)");
  if (!verbose && (count[V_ADVISORY] || count[V_INCONCLUSIVE]))
    fprintf(out, "(-v shows every run and the evidence of each advisory)\n");
}


int probe_report_json(const char *path, const preport *rep) {
  FILE *f = fopen(path, "w");
  agg *a;
  size_t n, count[V__COUNT] = {0};

  if (!f)
    return -1;
  n = aggregate(rep, &a);
  fprintf(f, "{\n  \"tool\": \"smtpp probe %s\",\n  \"server\": {\"target\": ",
          SMTPP_VERSION_STRING);
  esc_json_put(f, rep->srv->target);
  fprintf(f, ", \"greeting\": ");
  esc_json_put(f, rep->srv->greeting);
  fprintf(f, ", \"ehlo\": ");
  esc_json_put(f, rep->srv->keywords);
  fprintf(f, ", \"size\": %llu},\n  \"run_ms\": %lld,\n  \"findings\": [\n",
          (unsigned long long)rep->srv->size, rep->ms);
  for (size_t i = 0; i < n; i++) {
    const pfind *fd = a[i].first;
    const prule *p = fd->rule;
    size_t ne = 0;
    count[fd->verdict]++;
    fprintf(f, "    {\"key\": ");
    esc_json_put(f, fd->key);
    fprintf(f, ", \"verdict\": \"%s\", \"rule\": ",
            probe_verdict_names[fd->verdict]);
    esc_json_put(f, p->id);
    fprintf(f, ", \"property\": \"%s\", \"rfc\": ", p->prop);
    esc_json_put(f, fd->rfc);
    fprintf(f, ", \"sentence\": ");
    esc_json_put(f, fd->quote);
    fprintf(f, ", \"what\": ");
    esc_json_put(f, fd->what);
    fprintf(f, ", \"fix\": ");
    esc_json_put(f, p->fix);
    fprintf(f, ", \"accepted\": %s, \"runs\": %zu,\n     \"evidence\": [",
            fd->accepted ? "true" : "false", a[i].runs);
    for (size_t r = 0; r < rep->n; r++)
      for (size_t k = 0; k < rep->r[r].nf; k++) {
        const pfind *e = &rep->r[r].f[k];
        char cmd[700];
        if (strcmp(e->key, fd->key))
          continue;
        repro(cmd, sizeof cmd, rep, &rep->r[r]);
        fprintf(f, "%s\n       {\"dialog\": ", ne++ ? "," : "");
        esc_json_put(f, rep->r[r].c->name);
        fprintf(f, ", \"mode\": \"%s\", \"sent\": ",
                probe_mode_names[rep->r[r].mode]);
        esc_json_put(f, e->sent);
        fprintf(f, ", \"expected\": ");
        esc_json_put(f, e->expected);
        fprintf(f, ", \"got\": ");
        esc_json_put(f, e->got);
        fprintf(f, ", \"transcript\": {\"smtpp\": ");
        esc_json_put(f, rep->r[r].exp_all);
        fprintf(f, ", \"server\": ");
        esc_json_put(f, rep->r[r].got_all);
        fprintf(f, "}, \"reproduce\": ");
        esc_json_put(f, cmd);
        fputc('}', f);
      }
    fprintf(f, "]}%s\n", i + 1 < n ? "," : "");
  }
  fprintf(f, "  ],\n  \"runs\": [\n");
  for (size_t i = 0; i < rep->n; i++) {
    const presult *r = &rep->r[i];
    fprintf(f, "    {\"dialog\": ");
    esc_json_put(f, r->c->name);
    fprintf(f, ", \"title\": ");
    esc_json_put(f, r->c->title);
    fprintf(f, ", \"rfc\": ");
    esc_json_put(f, r->c->rfc);
    fprintf(f, ", \"mode\": \"%s\", \"result\": \"%s\", \"worst\": \"%s\"",
            probe_mode_names[r->mode],
            r->status == PR_PASS   ? "clean"
            : r->status == PR_FAIL ? "findings"
                                   : "skip",
            r->worst < V__COUNT ? probe_verdict_names[r->worst] : "");
    fprintf(f, ", \"findings\": [");
    for (size_t k = 0; k < r->nf; k++) {
      fprintf(f, "%s", k ? ", " : "");
      esc_json_put(f, r->f[k].key);
    }
    fprintf(f, "], \"detail\": ");
    esc_json_put(f, r->detail);
    fprintf(f, ", \"ms\": %ld}%s\n", r->ms, i + 1 < rep->n ? "," : "");
  }
  fprintf(f, "  ],\n  \"totals\": {");
  for (int v = 0; v < V__COUNT; v++)
    fprintf(f, "%s\"%s\": %zu", v ? ", " : "", probe_verdict_names[v],
            count[v]);
  fprintf(f, "},\n  \"violations\": %zu,\n  \"must_passed\": %s\n}\n",
          probe_violations(rep), probe_violations(rep) ? "false" : "true");
  free(a);
  return fclose(f) == 0 ? 0 : -1;
}

static void xstr(FILE *f, const char *s) {
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    switch (ch) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default:
      if (ch >= 0x20 && ch <= 0x7e)
        fputc(ch, f);
      else
        fputc('?', f);
    }
  }
}

/* One testcase per run; a violation is a <failure type="violation">, the
 * other verdicts are listed in <system-out> with their class. */
int probe_report_junit(const char *path, const preport *rep) {
  FILE *f = fopen(path, "w");
  size_t fails = 0, skips = 0;

  if (!f)
    return -1;
  for (size_t i = 0; i < rep->n; i++) {
    int viol = 0;
    for (size_t k = 0; k < rep->r[i].nf; k++)
      viol |= rep->r[i].f[k].verdict == V_VIOLATION &&
              !rep->r[i].f[k].accepted;
    fails += viol;
    skips += rep->r[i].status == PR_SKIP;
  }
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites>\n<testsuite name=\"smtpp-probe ");
  xstr(f, rep->srv->target);
  fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
             "time=\"%.3f\">\n",
          rep->n, fails, skips, (double)rep->ms / 1000.0);
  for (size_t i = 0; i < rep->n; i++) {
    const presult *r = &rep->r[i];
    fprintf(f, "  <testcase classname=\"probe.%s\" name=\"",
            probe_mode_names[r->mode]);
    xstr(f, r->c->name);
    fprintf(f, "\" time=\"%.3f\">", (double)r->ms / 1000.0);
    if (r->status == PR_SKIP) {
      fprintf(f, "<skipped message=\"");
      xstr(f, r->detail);
      fprintf(f, "\"/>");
    }
    for (size_t k = 0; k < r->nf; k++) {
      const pfind *fd = &r->f[k];
      int v = fd->verdict;
      if (v == V_VIOLATION && !fd->accepted) {
        fprintf(f, "<failure type=\"violation\" message=\"");
        xstr(f, fd->key);
        fprintf(f, ": ");
        xstr(f, fd->what);
        fprintf(f, "\">");
      } else {
        fprintf(f, "<system-out>%s%s: ", probe_verdict_names[v],
                fd->accepted ? " (accepted)" : "");
        xstr(f, fd->key);
        fprintf(f, "\n");
      }
      xstr(f, fd->rfc);
      fprintf(f, ": ");
      xstr(f, fd->quote);
      fprintf(f, "\nsent: ");
      xstr(f, fd->sent);
      fprintf(f, "\nexpected: ");
      xstr(f, fd->expected);
      fprintf(f, "\ngot: ");
      xstr(f, fd->got);
      fprintf(f, "%s", v == V_VIOLATION && !fd->accepted ? "</failure>"
                                                          : "</system-out>");
    }
    fprintf(f, "</testcase>\n");
  }
  fprintf(f, "</testsuite>\n</testsuites>\n");
  return fclose(f) == 0 ? 0 : -1;
}

long probe_baseline_apply(const char *path, preport *rep) {
  FILE *f = fopen(path, "r");
  char line[512];
  long n = 0;
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f)) {
    size_t l = strcspn(line, "\r\n");
    line[l] = '\0';
    while (l && (line[l - 1] == ' ' || line[l - 1] == '\t'))
      line[--l] = '\0';
    if (!l || line[0] == '#')
      continue;
    n++;
    for (size_t i = 0; i < rep->n; i++)
      for (size_t k = 0; k < rep->r[i].nf; k++)
        if (!strcmp(rep->r[i].f[k].key, line))
          rep->r[i].f[k].accepted = 1;
  }
  fclose(f);
  return n;
}

int probe_baseline_write(const char *path, const preport *rep) {
  FILE *f = fopen(path, "w");
  agg *a;
  size_t n;
  if (!f)
    return -1;
  n = aggregate(rep, &a);
  fprintf(f, "# smtpp probe baseline for %s: accepted findings, one key a "
             "line\n",
          rep->srv->target);
  for (size_t i = 0; i < n; i++)
    if (a[i].first->verdict <= V_DEVIATION)
      fprintf(f, "%s\n", a[i].first->key);
  free(a);
  return fclose(f) == 0 ? 0 : -1;
}
