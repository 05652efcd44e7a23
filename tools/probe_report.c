/*
 * probe_report.c - the reports of `smtpp probe`: a text table with totals
 * per level and explained failures, JSON and JUnit XML.
 */
#include "probe.h"

#include "esc.h"
#include "replycodes.h"

#include <smtpp/smtpp.h>

#include <stdio.h>
#include <string.h>

static const char *const levels[] = {"must", "should", "hardening"};
#define NLEVELS 3

static int level_index(const char *l) {
  for (int i = 0; i < NLEVELS; i++)
    if (!strcmp(l, levels[i]))
      return i;
  return 0; /* unknown levels count as must */
}

int probe_must_failed(const preport *rep) {
  for (size_t i = 0; i < rep->n; i++)
    if (rep->r[i].status == PR_FAIL && level_index(rep->r[i].c->level) == 0)
      return 1;
  return 0;
}

void probe_report_text(FILE *out, const preport *rep, int verbose) {
  int tot[NLEVELS][3];
  int modes_used[PMODE__COUNT] = {0};
  size_t nfail = 0;

  memset(tot, 0, sizeof tot);
  fprintf(out, "\n%-40s %-9s %-6s %-6s %-16s %-16s\n", "CASE", "LEVEL",
          "MODE", "RESULT", "EXPECTED", "GOT");
  for (size_t i = 0; i < rep->n; i++) {
    const presult *r = &rep->r[i];
    char name[41];
    snprintf(name, sizeof name, "%s", r->c->name);
    tot[level_index(r->c->level)][r->status]++;
    modes_used[r->mode] = 1;
    if (r->status == PR_FAIL)
      nfail++;
    fprintf(out, "%-40s %-9s %-6s %-6s %-16s %-16s", name, r->c->level,
            probe_mode_names[r->mode], probe_status_names[r->status],
            r->status == PR_SKIP ? "-" : r->expected,
            r->status == PR_SKIP ? "-" : r->got);
    if (r->status == PR_SKIP)
      fprintf(out, " %s", r->detail);
    else if (r->status == PR_FAIL)
      fprintf(out, " %s %s", r->prop ? r->prop : "", r->verdict);
    fputc('\n', out);
  }

  if (nfail) {
    fprintf(out, "\nFailures (%zu):\n", nfail);
    for (size_t i = 0; i < rep->n; i++) {
      const presult *r = &rep->r[i];
      const pprop *p;
      if (r->status != PR_FAIL)
        continue;
      p = r->prop ? probe_prop(r->prop) : NULL;
      fprintf(out, "\n* %s [%s, %s] %s: %s\n", r->c->name, r->c->level,
              probe_mode_names[r->mode], r->prop ? r->prop : "",
              r->verdict);
      fprintf(out, "  %s\n", r->detail);
      if (p)
        fprintf(out, "  Server fix: %s.\n", p->fix);
      if (r->hint[0])
        fprintf(out, "  Hints: %s\n", r->hint);
      fprintf(out, "  expected: %s\n  got:      %s\n",
              r->exp_all ? r->exp_all : "", r->got_all ? r->got_all : "");
      if (r->exp_code) {
        fprintf(out, "  Expected code:\n");
        replycode_print_short(out, r->exp_code, "    ");
      }
      if (r->got_code && r->got_code != r->exp_code) {
        fprintf(out, "  Received code:\n");
        replycode_print_short(out, r->got_code, "    ");
      }
      if (verbose && r->exp_code && r->got_code) {
        const replycode_note *a = replycode_find(r->exp_code);
        const replycode_note *b = replycode_find(r->got_code);
        if (a && b && a != b) {
          fputc('\n', out);
          replycode_print_compare(out, a, b);
        }
      }
    }
  }

  fprintf(out, "\nTotals (cases x modes:");
  for (int m = 0; m < PMODE__COUNT; m++)
    if (modes_used[m])
      fprintf(out, " %s", probe_mode_names[m]);
  fprintf(out, ")\n");
  for (int l = 0; l < NLEVELS; l++)
    fprintf(out, "  %-10s pass %4d  fail %4d  skip %4d\n", levels[l],
            tot[l][PR_PASS], tot[l][PR_FAIL], tot[l][PR_SKIP]);
  fprintf(out, "must-level: %s\n",
          probe_must_failed(rep) ? "FAILED" : "all passed");
}

int probe_report_json(const char *path, const preport *rep) {
  FILE *f = fopen(path, "w");
  int tot[NLEVELS][3];

  if (!f)
    return -1;
  memset(tot, 0, sizeof tot);
  fprintf(f, "{\n  \"tool\": \"smtpp probe %s\",\n  \"server\": {\"target\": ",
          SMTPP_VERSION_STRING);
  esc_json_put(f, rep->srv->target);
  fprintf(f, ", \"greeting\": ");
  esc_json_put(f, rep->srv->greeting);
  fprintf(f, ", \"ehlo\": ");
  esc_json_put(f, rep->srv->keywords);
  fprintf(f, ", \"size\": %llu},\n  \"cases\": [\n",
          (unsigned long long)rep->srv->size);
  for (size_t i = 0; i < rep->n; i++) {
    const presult *r = &rep->r[i];
    tot[level_index(r->c->level)][r->status]++;
    fprintf(f, "    {\"case\": ");
    esc_json_put(f, r->c->name);
    fprintf(f, ", \"title\": ");
    esc_json_put(f, r->c->title);
    fprintf(f, ", \"rfc\": ");
    esc_json_put(f, r->c->rfc);
    fprintf(f, ", \"level\": ");
    esc_json_put(f, r->c->level);
    fprintf(f, ", \"mode\": \"%s\", \"result\": \"%s\", \"verdict\": ",
            probe_mode_names[r->mode],
            r->status == PR_PASS ? "pass"
                                 : r->status == PR_FAIL ? "fail" : "skip");
    esc_json_put(f, r->verdict);
    fprintf(f, ", \"property\": ");
    esc_json_put(f, r->prop ? r->prop : "");
    fprintf(f, ", \"expected\": ");
    esc_json_put(f, r->exp_all ? r->exp_all : "");
    fprintf(f, ", \"got\": ");
    esc_json_put(f, r->got_all ? r->got_all : "");
    fprintf(f, ", \"detail\": ");
    esc_json_put(f, r->detail);
    fprintf(f, ", \"hint\": ");
    esc_json_put(f, r->hint);
    fprintf(f, ", \"ms\": %ld}%s\n", r->ms, i + 1 < rep->n ? "," : "");
  }
  fprintf(f, "  ],\n  \"totals\": {");
  for (int l = 0; l < NLEVELS; l++)
    fprintf(f, "%s\"%s\": {\"pass\": %d, \"fail\": %d, \"skip\": %d}",
            l ? ", " : "", levels[l], tot[l][PR_PASS], tot[l][PR_FAIL],
            tot[l][PR_SKIP]);
  fprintf(f, "},\n  \"must_passed\": %s\n}\n",
          probe_must_failed(rep) ? "false" : "true");
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

int probe_report_junit(const char *path, const preport *rep) {
  FILE *f = fopen(path, "w");
  size_t fails = 0, skips = 0;
  long ms = 0;

  if (!f)
    return -1;
  for (size_t i = 0; i < rep->n; i++) {
    fails += rep->r[i].status == PR_FAIL;
    skips += rep->r[i].status == PR_SKIP;
    ms += rep->r[i].ms;
  }
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites>\n<testsuite name=\"smtpp-probe ");
  xstr(f, rep->srv->target);
  fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
             "time=\"%.3f\">\n",
          rep->n, fails, skips, (double)ms / 1000.0);
  for (size_t i = 0; i < rep->n; i++) {
    const presult *r = &rep->r[i];
    fprintf(f, "  <testcase classname=\"probe.%s.%s\" name=\"",
            probe_mode_names[r->mode], r->c->level);
    xstr(f, r->c->name);
    fprintf(f, "\" time=\"%.3f\">", (double)r->ms / 1000.0);
    if (r->status == PR_SKIP) {
      fprintf(f, "<skipped message=\"");
      xstr(f, r->detail);
      fprintf(f, "\"/>");
    } else if (r->status == PR_FAIL) {
      fprintf(f, "<failure type=\"%s\" message=\"", r->prop ? r->prop : "");
      xstr(f, r->verdict);
      fprintf(f, ": expected ");
      xstr(f, r->expected);
      fprintf(f, ", got ");
      xstr(f, r->got);
      fprintf(f, "\">");
      xstr(f, r->detail);
      fprintf(f, "\nexpected: ");
      xstr(f, r->exp_all);
      fprintf(f, "\ngot: ");
      xstr(f, r->got_all);
      fprintf(f, "</failure>");
    }
    fprintf(f, "</testcase>\n");
  }
  fprintf(f, "</testsuite>\n</testsuites>\n");
  return fclose(f) == 0 ? 0 : -1;
}
