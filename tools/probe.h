/*
 * probe.h - shared types of `smtpp probe`.  One file per job:
 *   probe.c        options and main
 *   probe_scan.c   reading replies (format checks, waits)
 *   probe_apply.c  what the server offers; which dialogs apply
 *   probe_run.c    sending a dialog as units, one command at a time
 *   probe_judge.c  the verdicts: what the RFCs allow, by root cause
 *   probe_report.c text, JSON and JUnit reports, the baseline file
 *   probe_fuzz.c   --fuzz and --replay
 */
#ifndef SMTPP_TOOLS_PROBE_H
#define SMTPP_TOOLS_PROBE_H

#include "dialogfile.h"
#include "probe_conn.h"
#include "probe_scan.h"

#include <stdint.h>
#include <stdio.h>

enum { PMODE_POLITE = 0, PMODE_BURST, PMODE_BYTE, PMODE__COUNT };
enum { PR_PASS = 0, PR_FAIL, PR_SKIP };

extern const char *const probe_mode_names[PMODE__COUNT];

/* The four verdicts (issue: a server author must be able to trust them).
 * Only violations decide the exit status and must_passed. */
enum {
  V_VIOLATION = 0, /* a MUST, a prescribed code or the grammar broken */
  V_DEVIATION,     /* a SHOULD or a recommendation not followed */
  V_ADVISORY,      /* allowed, but weaker or other than a hardened server */
  V_INCONCLUSIVE,  /* policy refusal, could not apply, timing */
  V__COUNT
};
extern const char *const probe_verdict_names[V__COUNT];

/* What the server's greeting and EHLO reply told us. */
typedef struct pserver {
  char target[300];   /* "tcp HOST:PORT" or "cmd COMMAND" */
  char repro[300];    /* "--tcp HOST:PORT" / "--cmd 'COMMAND'" */
  char greeting[200]; /* escaped first greeting line */
  int greet_code;
  uint32_t ext;       /* SMTPP_EXT_* advertised */
  int has_size;       /* SIZE with a number */
  uint64_t size;      /* 0 = no fixed limit */
  char keywords[600]; /* all EHLO keywords, space separated */
} pserver;

/* One root cause: the rule a finding is filed under. */
typedef struct prule {
  const char *id;    /* stable key, e.g. "smuggle-lf-lf" */
  int verdict;       /* V_* */
  const char *prop;  /* design property: "P2".."P9" */
  const char *rfc;   /* "RFC 5321 2.3.8" */
  const char *quote; /* the sentence of the RFC */
  const char *what;  /* what the server does, one line */
  const char *fix;   /* what the server author should change */
} prule;
const prule *probe_rule(const char *id);
/* All rules (for --help and the docs). */
const prule *probe_rules(size_t *n);

/* One piece of evidence in one dialog run. */
typedef struct pfind {
  const prule *rule;
  int verdict;        /* V_*: the rule's, or the RFC situation's level */
  const char *rfc;    /* the rule's, or the situation's (oracle/allowed) */
  const char *quote;
  char key[128];      /* rule id, ':' and what makes the cause distinct */
  char what[200];     /* e.g. "HELP answered 502" */
  char sent[240];     /* escaped client bytes of the blamed command */
  char expected[200]; /* what smtpp answers / what the RFC asks */
  char got[300];      /* the server's reply code and text */
  int accepted;       /* in the baseline file */
} pfind;

#define PROBE_FINDS_MAX 8

typedef struct presult {
  const dialog *c;
  int mode;
  int status;          /* PR_* */
  int worst;           /* V_* of the worst finding, V__COUNT if none */
  char detail[400];    /* skip reason / how the run ended */
  char *exp_all;       /* "220 250 503 221" (malloc) */
  char *got_all;
  pfind f[PROBE_FINDS_MAX];
  size_t nf;
  long ms;
} presult;

typedef struct preport {
  const pserver *srv;
  presult *r;
  size_t n;
  long long ms; /* run time of the whole probe */
} preport;

/* probe_report.c */
void probe_report_text(FILE *out, const preport *rep, int verbose);
int probe_report_json(const char *path, const preport *rep);
int probe_report_junit(const char *path, const preport *rep);
/* Violations not accepted by the baseline. */
size_t probe_violations(const preport *rep);
/* Reads a baseline (one finding key a line, '#' comments) and marks the
 * findings it names.  Returns the keys read or -1 (cannot read). */
long probe_baseline_apply(const char *path, preport *rep);
/* Writes the keys of every violation and deviation. */
int probe_baseline_write(const char *path, const preport *rep);

#endif
