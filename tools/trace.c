/*
 * trace.c - see trace.h.
 */
#include "trace.h"

#include "esc.h"
#include "eventfmt.h"
#include "names.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Octets of one slice shown in an event line before it is cut. */
#define TRACE_SLICE_MAX 256

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

/* Appends formatted text to buf[*o..cap). */
static void put(char *buf, size_t cap, size_t *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void put(char *buf, size_t cap, size_t *o, const char *fmt, ...) {
  va_list ap;
  int n;

  if (*o >= cap)
    return;
  va_start(ap, fmt);
  n = vsnprintf(buf + *o, cap - *o, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  *o = (size_t)n >= cap - *o ? cap - 1 : *o + (size_t)n;
}

/* Appends ` name="escaped"` for a present slice; long slices are cut and
 * marked with their full length. */
static void put_slice(char *buf, size_t cap, size_t *o, const char *name,
                      smtpp_slice sl) {
  char esc[TRACE_SLICE_MAX * ESC_MAX_PER_OCTET + 1];
  size_t show = sl.len < TRACE_SLICE_MAX ? sl.len : TRACE_SLICE_MAX;

  if (sl.p == NULL)
    return;
  esc_bytes(esc, sizeof esc, sl.p, show, NULL);
  if (show < sl.len)
    put(buf, cap, o, " %s=\"%s\"...(%zu octets)", name, esc, sl.len);
  else
    put(buf, cap, o, " %s=\"%s\"", name, esc);
}

static void put_params(char *buf, size_t cap, size_t *o,
                       const smtpp_params *pa) {
  static const char *const body[] = {"", "7BIT", "8BITMIME"};
  static const char *const ret[] = {"", "FULL", "HDRS"};

  if (pa->has_size)
    put(buf, cap, o, " size=%llu", (unsigned long long)pa->size);
  if (pa->body)
    put(buf, cap, o, " body=%s", pa->body < 3 ? body[pa->body] : "?");
  if (pa->smtputf8)
    put(buf, cap, o, " smtputf8");
  if (pa->ret)
    put(buf, cap, o, " ret=%s", pa->ret < 3 ? ret[pa->ret] : "?");
  if (pa->notify)
    put(buf, cap, o, " notify=%s%s%s%s", (pa->notify & 1) ? "NEVER," : "",
        (pa->notify & 2) ? "SUCCESS," : "", (pa->notify & 4) ? "FAILURE," : "",
        (pa->notify & 8) ? "DELAY," : "");
  put_slice(buf, cap, o, "envid", pa->envid);
  put_slice(buf, cap, o, "orcpt-type", pa->orcpt_type);
  put_slice(buf, cap, o, "orcpt", pa->orcpt);
  put_slice(buf, cap, o, "auth", pa->auth);
}

void trace_event(trace *t, int state, const smtpp_event *ev) {
  char line[8 * TRACE_SLICE_MAX * ESC_MAX_PER_OCTET];
  char flags[96];
  size_t o = 0, cap = sizeof line - 1;

  if (!t->on)
    return;
  evfmt_flags(ev->flags, flags, sizeof flags);
  put(line, cap, &o, "E: %s state=%s verb=%s error=%s flags=%s",
      names_event_type((int)ev->type), smtpp_state_name(state),
      smtpp_verb_name(ev->verb), smtpp_err_name(ev->error), flags);
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    put_slice(line, cap, &o, "arg", ev->arg);
    put_slice(line, cap, &o, "path", ev->path);
    put_slice(line, cap, &o, "local", ev->local);
    put_slice(line, cap, &o, "domain", ev->domain);
    put_slice(line, cap, &o, "initial", ev->initial);
    if (ev->verb == SMTPP_VERB_BDAT)
      put(line, cap, &o, " chunk=%llu", (unsigned long long)ev->chunk_size);
    if (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT)
      put_params(line, cap, &o, &ev->params);
    break;
  case SMTPP_EV_BODY:
    put(line, cap, &o, " len=%zu", ev->arg.len);
    break;
  case SMTPP_EV_MESSAGE_END:
    put(line, cap, &o, " size=%llu", (unsigned long long)ev->message_size);
    break;
  case SMTPP_EV_AUTH_RESPONSE:
    put_slice(line, cap, &o, "arg", ev->arg);
    break;
  default:
    break;
  }
  line[o++] = '\n';
  fwrite(line, 1, o, stderr);
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
