/*
 * sinklog.h - the log of `smtpp serve --listen`: one line per connection
 * opened, refused or closed, one per message, counters on SIGUSR1 or
 * every --stats-interval seconds, and a summary at exit.  Written to
 * stderr as text (the default) or JSON lines (--log-format json), or not
 * at all (--log-format none).
 *
 * Each line starts with the UTC time (ISO 8601, milliseconds) and an event
 * name; then key/value fields.  Text: `TIME EVENT key=value key="text"`,
 * strings escaped as in common/esc.h (no raw control byte), lists joined with
 * ','.  JSON: one object per line, {"time":..., "event":..., ...}, lists
 * as arrays, strings escaped with esc_json().  A line is built in a
 * fixed buffer and written with one write(2) (by the writer thread when
 * there is one: writer.h); a field that does not fit is cut and the line
 * gets "truncated":true / truncated=1.
 */
#ifndef SMTPP_TOOLS_SINKLOG_H
#define SMTPP_TOOLS_SINKLOG_H

#include <stddef.h>
#include <stdint.h>

enum { SINKLOG_TEXT = 0, SINKLOG_JSON, SINKLOG_NONE };

#define SINKLOG_LINE_MAX 4096

typedef struct sinklog_line {
  char buf[SINKLOG_LINE_MAX];
  size_t len;
  int json;
  int in_list;     /* inside a list: items so far + 1 */
  int truncated;
} sinklog_line;

/* Sets the format (SINKLOG_*).  Default: text. */
void sinklog_set_format(int format);
int sinklog_enabled(void);

/* Starts a line: time and event name.  Returns NULL when the log is off
 * (every other call accepts NULL and does nothing). */
sinklog_line *sinklog_begin(const char *event);
void sinklog_u64(sinklog_line *l, const char *key, uint64_t v);
void sinklog_str(sinklog_line *l, const char *key, const void *p, size_t n);
void sinklog_cstr(sinklog_line *l, const char *key, const char *s);
void sinklog_list_begin(sinklog_line *l, const char *key);
void sinklog_list_item(sinklog_line *l, const void *p, size_t n);
void sinklog_list_end(sinklog_line *l);
/* Ends the line and writes it (or queues it, in asynchronous mode). */
void sinklog_end(sinklog_line *l);

/* Asynchronous mode: sinklog_end() queues lines in a 1 MiB ring and calls
 * wake() when the ring was empty; another thread writes them out with
 * sinklog_drain().  Lines that do not fit are dropped and counted
 * (sinklog_dropped()).  sinklog_sync() writes what is queued and goes back
 * to writing each line at once; call it once that thread has stopped.
 * Returns 0, or -1 (out of memory: lines stay synchronous). */
int sinklog_async(void (*wake)(void));
int sinklog_pending(void);
void sinklog_drain(void);
uint64_t sinklog_dropped(void);
void sinklog_sync(void);

#endif
