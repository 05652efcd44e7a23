/*
 * probe.h - shared types of `smtpp probe` (probe.c runs the cases,
 * probe_report.c writes the table, JSON and JUnit reports).
 */
#ifndef SMTPP_TOOLS_PROBE_H
#define SMTPP_TOOLS_PROBE_H

#include "dialogfile.h"

#include <stdint.h>
#include <stdio.h>

enum { PMODE_POLITE = 0, PMODE_BURST, PMODE_BYTE, PMODE__COUNT };
enum { PR_PASS = 0, PR_FAIL, PR_SKIP };

extern const char *const probe_mode_names[PMODE__COUNT];
extern const char *const probe_status_names[3];

/* What the server's greeting and EHLO reply told us. */
typedef struct pserver {
  char target[300];   /* "tcp HOST:PORT" or "cmd COMMAND" */
  char greeting[200]; /* escaped first greeting line */
  int greet_code;
  uint32_t ext;       /* SMTPP_EXT_* advertised */
  int has_size;       /* SIZE with a number */
  uint64_t size;      /* 0 = no fixed limit */
  char keywords[600]; /* all EHLO keywords, space separated */
} pserver;

/* The properties of design section 5 that the probe applies. */
typedef struct pprop {
  const char *id;    /* "P5" */
  const char *what;  /* the property */
  const char *rfc;   /* where the rule comes from */
  const char *fix;   /* what the server should do */
} pprop;
const pprop *probe_prop(const char *id);

typedef struct presult {
  const dialog *c;
  int mode;
  int status;          /* PR_* */
  char verdict[24];    /* ok, mismatch, timeout, closed, malformed,
                          line-too-long, format, skip */
  const char *prop;    /* "P3"..., NULL if passed/skipped */
  char expected[48];   /* first differing expected reply, or summary */
  char got[48];
  int exp_code, got_code; /* the codes to explain (0: none) */
  char detail[700];    /* why it failed or was skipped */
  char hint[400];      /* should-level hints (enhanced codes) */
  char *exp_all;       /* "220 250 503 221" (malloc) */
  char *got_all;
  long ms;
} presult;

typedef struct preport {
  const pserver *srv;
  presult *r;
  size_t n;
  int fuzz_only;
} preport;

void probe_report_text(FILE *out, const preport *rep, int verbose);
int probe_report_json(const char *path, const preport *rep);
int probe_report_junit(const char *path, const preport *rep);
/* 1 if some case with level "must" failed. */
int probe_must_failed(const preport *rep);

#endif
