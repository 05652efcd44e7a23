/*
 * probe_suite.h - a small, self-contained reader for the dialog files of
 * tests/dialogs (format: tests/dialogs/README.md).  It keeps what the probe
 * needs: the client bytes, the expected replies with their position in the
 * byte stream, and which directives the dialog sets.
 */
#ifndef SMTPP_TOOLS_PROBE_SUITE_H
#define SMTPP_TOOLS_PROBE_SUITE_H

#include <stddef.h>
#include <stdint.h>

typedef struct pexpect {
  int code;
  char enh[16]; /* "" when the dialog does not say */
  size_t pos;   /* client octets written before this S: line */
} pexpect;

typedef struct pcase {
  char *path;
  const char *name; /* file name part */
  char title[200];
  char rfc[120];
  char level[24];  /* "must" when the file does not say */
  unsigned char *in; /* the client bytes */
  size_t len, cap;
  pexpect *exp;
  size_t nexp, expcap;
  int closed;          /* X: seen */
  size_t closed_after; /* replies before X: */
  uint32_t ext;        /* effective extensions (SMTPP_EXT_*) */
  uint32_t ext_set;    /* extensions named by "! ext" (on or off) */
  int has_size;
  uint64_t size;
  int has_max_rcpt, has_max_errors, has_lenient, has_policy, has_tls,
      has_body;
  char error[300];     /* load error, "" if none */
} pcase;

/* Returns 0, or -1 with c->error set (c must still be freed). */
int pcase_load(pcase *c, const char *path);
void pcase_free(pcase *c);

/* Sorted list of the DIR/NAME.dialog files.  Returns the count or -1. */
long psuite_list(const char *dir, char ***out);
void psuite_free_list(char **list, long n);

/* Name of an SMTPP_EXT_* bit, or NULL. */
const char *psuite_ext_name(uint32_t bit);

#endif
