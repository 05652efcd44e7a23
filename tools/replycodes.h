/*
 * replycodes.h - notes on the SMTP reply codes: for each code what it
 * means, when one sees it and how to fix it, with the RFC sections.  Used
 * by `smtpp explain` and by the failure explanations of `smtpp probe`.
 */
#ifndef SMTPP_TOOLS_REPLYCODES_H
#define SMTPP_TOOLS_REPLYCODES_H

#include <stdio.h>

typedef struct replycode_note {
  int code;
  const char *name;    /* "Bad Sequence of Commands" */
  const char *meaning; /* what the code means */
  const char *when;    /* when one sees it */
  const char *fix;     /* how to fix it (client and server side) */
  const char *rfc;     /* "RFC 5321 4.2.2, 4.1.4" */
} replycode_note;

/* The note for code, or NULL if the table has none. */
const replycode_note *replycode_find(int code);

/* All notes, in code order; *n gets the count. */
const replycode_note *replycode_all(size_t *n);

/* "Positive Completion" etc. for the class of code (RFC 5321 4.2.1). */
const char *replycode_class(int code);
/* "2xx" for 250. */
const char *replycode_class_tag(int code);

/* Parses "250" (exactly three digits).  Returns the code or -1. */
int replycode_parse(const char *text);

/* Writes the long note for one code (the `smtpp explain CODE` text). */
void replycode_print(FILE *out, const replycode_note *n);
/* Writes the comparison of two codes (`smtpp explain CODE1 CODE2`). */
void replycode_print_compare(FILE *out, const replycode_note *a,
                             const replycode_note *b);
/* One short paragraph for reports: "503 Bad Sequence of Commands (5xx
 * Permanent Negative Completion, RFC ...): meaning Fix: fix", wrapped with
 * the given indent.  Unknown codes get a generic class sentence. */
void replycode_print_short(FILE *out, int code, const char *indent);

#endif
