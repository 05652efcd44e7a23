/*
 * serve_stdio.h - one SMTP session on stdin/stdout, driven by libsmtpp.
 * Host policy: accept everything, discard every message (every decidable
 * event gets smtpp_decide_default()).  No TLS: after STARTTLS the
 * parser discards all input until end of input.
 */
#ifndef SMTPP_TOOLS_SERVE_STDIO_H
#define SMTPP_TOOLS_SERVE_STDIO_H

#include <smtpp/smtpp.h>

/* Runs the session until it closes (221/421) or stdin ends.  Returns a
 * process exit status: 0 done, 1 I/O or parser failure, 2 the config was
 * refused by smtpp_init(). */
int serve_stdio(const smtpp_config *cfg, int trace_on);

#endif
