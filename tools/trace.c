/*
 * trace.c - see trace.h.
 */
#include "trace.h"

#include "esc.h"
#include "eventfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void trace_init(trace *t, int on) {
  memset(t, 0, sizeof *t);
  t->on = on;
  t->client.tag = "C";
  t->server.tag = "S";
}

static void stream_emit(trace_stream *st) {
  char line[8 + TRACE_LINE_MAX * ESC_MAX_PER_OCTET + 8];
  size_t o;

  o = (size_t)snprintf(line, sizeof line, "%s%s \"", st->tag,
                       st->continued ? "+" : ":");
  o += esc_bytes(line + o, sizeof line - o - 3, st->buf, st->len, NULL);
  line[o++] = '"';
  line[o++] = '\n';
  fwrite(line, 1, o, stderr);
  st->len = 0;
}

static void stream_add(trace_stream *st, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    st->buf[st->len++] = p[i];
    if (p[i] == '\n') {
      stream_emit(st);
      st->continued = 0;
    } else if (st->len == sizeof st->buf) {
      stream_emit(st);
      st->continued = 1;
    }
  }
}

void trace_client(trace *t, const void *p, size_t n) {
  if (t->on)
    stream_add(&t->client, p, n);
}

void trace_server(trace *t, const void *p, size_t n) {
  if (t->on)
    stream_add(&t->server, p, n);
}

void trace_finish(trace *t) {
  if (!t->on)
    return;
  if (t->client.len)
    stream_emit(&t->client);
  if (t->server.len)
    stream_emit(&t->server);
  fflush(stderr);
}

void trace_event(trace *t, int state, const smtpp_event *ev) {
  bbuf line = {0};

  if (!t->on)
    return;
  /* the E: line of the dialog files (common/eventfmt.h), with the flag
   * that depends on the chunking and the state after the event */
  bbuf_add(&line, "E: ", 3);
  evfmt_event(&line, ev, EVFMT_INPUT_PENDING);
  bbuf_addf(&line, " state=%s\n", smtpp_state_name(state));
  fwrite(line.p, 1, line.len, stderr);
  bbuf_free(&line);
}

void trace_note(trace *t, const char *fmt, ...) {
  va_list ap;

  if (!t->on)
    return;
  fputs("-- ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}
