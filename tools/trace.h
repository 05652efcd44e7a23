/*
 * trace.h - the --trace log on stderr: one line per client line ("C:"),
 * per reply line ("S:"), per event ("E:") and per note ("--").  Every octet
 * from the client is escaped (common/esc.h); no raw control byte is printed.
 *
 *   C: "EHLO a.example\r\n"
 *   E: COMMAND EHLO flags=group-end,decidable arg="a.example" state=cmd_before_helo
 *   S: "250-localhost\r\n"
 *
 * An E: line is the dialog files' E: line (common/eventfmt.h) plus the
 * input-pending flag and the state; without those two it can be pasted
 * into a dialog.  A client or server line longer than TRACE_LINE_MAX
 * octets is printed in pieces; the pieces after the first are tagged
 * "C+" / "S+".  The state in an E: line is the one smtpp_feed() left: for a
 * decidable event that is before the host's decision is applied, so an
 * accepted EHLO still shows cmd_before_helo.
 */
#ifndef SMTPP_TOOLS_TRACE_H
#define SMTPP_TOOLS_TRACE_H

#include <smtpp/smtpp.h>

#include <stddef.h>

#define TRACE_LINE_MAX 1024

typedef struct trace_stream {
  const char *tag;  /* "C" or "S" */
  int continued;    /* part of the current line was already printed */
  size_t len;
  unsigned char buf[TRACE_LINE_MAX];
} trace_stream;

typedef struct trace {
  int on;
  trace_stream client;
  trace_stream server;
} trace;

void trace_init(trace *t, int on);
/* Octets the parser consumed / reply octets written to the client. */
void trace_client(trace *t, const void *p, size_t n);
void trace_server(trace *t, const void *p, size_t n);
/* One event; state is smtpp_get_state() after it. */
void trace_event(trace *t, int state, const smtpp_event *ev);
void trace_note(trace *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints unfinished lines (at the end of the session). */
void trace_finish(trace *t);

#endif
