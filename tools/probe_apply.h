/*
 * probe_apply.h - what the server under test offers (its greeting and
 * EHLO reply, read on a connection of its own) and which dialogs can be
 * applied to it.
 */
#ifndef SMTPP_TOOLS_PROBE_APPLY_H
#define SMTPP_TOOLS_PROBE_APPLY_H

#include "probe.h"

#include <stddef.h>

/* Where the server is and how long to wait for it. */
typedef struct ptarget {
  const char *tcp, *cmd; /* exactly one is set */
  int timeout_ms;        /* per reply */
  int case_ms;           /* per dialog and mode */
} ptarget;

int ptarget_open(const ptarget *t, pconn *c, char *err, size_t errlen);

/* Greeting, EHLO, QUIT on a connection of its own.  Returns 0, or -1
 * after printing why the server cannot be probed. */
int probe_discover(const ptarget *t, pserver *s);

/* 1 (with why) when dialog c cannot be applied to s in mode, else 0. */
int probe_skip_reason(const dialog *c, const pserver *s, int mode, char *why,
                      size_t n);

/* The dialog opens its session with EHLO (not HELO): only then may it be
 * pipelined (RFC 2920 3: after PIPELINING in this session's EHLO reply). */
int probe_case_ehlo(const dialog *c);

#endif
