/*
 * serve_stdio.c - the read / feed / flush loop of `smtpp serve --stdio`.
 *
 * Replies are flushed after every smtpp_feed() call, so a client that sends
 * one line at a time gets each reply at once.
 */
#include "serve_stdio.h"

#include "cli.h"
#include "io.h"
#include "names.h"
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define IN_MAX (64u * 1024u)
/* Feed calls in a row that consume nothing and write nothing before the
 * loop calls it a parser bug instead of spinning forever. */
#define STALL_MAX 64
/* Reply octets one flush may move before it calls it a parser bug (the
 * reply buffer holds SMTPP_OUT_MAX). */
#define FLUSH_MAX (16u * SMTPP_OUT_MAX)

typedef struct serve_ctx {
  smtpp_session s;
  trace tr;
  unsigned char in[IN_MAX];
} serve_ctx;

/* Writes every pending reply.  Returns the octets written, or -1. */
static long flush_replies(serve_ctx *c) {
  size_t total = 0;

  for (;;) {
    size_t len = 0;
    const unsigned char *p = smtpp_out_buf(&c->s, &len);
    if (p == NULL || len == 0)
      return (long)total;
    if (total + len > FLUSH_MAX) {
      fprintf(stderr, "smtpp serve: parser bug: reply buffer never drains\n");
      return -1;
    }
    if (io_write_all(1, p, len) < 0) {
      fprintf(stderr, "smtpp serve: write to stdout: %s\n", strerror(errno));
      return -1;
    }
    trace_server(&c->tr, p, len);
    smtpp_out_ack(&c->s, len);
    total += len;
  }
}

static int fail_feed(serve_ctx *c, int r) {
  (void)flush_replies(c); /* best effort: the client may learn why */
  trace_finish(&c->tr);
  fprintf(stderr, "smtpp serve: smtpp_feed: %s (%s)\n", smtpp_err_name(r),
          smtpp_err_reason(r));
  return CLI_EXIT_FAIL;
}

static int done(serve_ctx *c, const char *why) {
  long w = flush_replies(c);

  trace_note(&c->tr, "%s", why);
  trace_finish(&c->tr);
  return w < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Feeds in[0..n) completely.  Returns -1 to go on reading, else an exit
 * status. */
static int feed_chunk(serve_ctx *c, size_t n) {
  size_t off = 0;
  int stalls = 0;

  /* Until NEED_MORE, also with no octet left: a complete BDAT chunk is
   * answered inside smtpp_feed() (see smtpp.h). */
  for (;;) {
    smtpp_event ev;
    size_t used = 0;
    long wrote;
    int r;

    memset(&ev, 0, sizeof ev);
    r = smtpp_feed(&c->s, c->in + off, n - off, &used, &ev);
    if (used > n - off) {
      fprintf(stderr, "smtpp serve: parser bug: consumed %zu of %zu octets\n",
              used, n - off);
      return CLI_EXIT_FAIL;
    }
    trace_client(&c->tr, c->in + off, used);
    off += used;
    if (r < 0)
      return fail_feed(c, r);
    if (r == SMTPP_EVENT) {
      /* SMTPP_EV_STARTTLS needs nothing here: there is no TLS, so
       * smtpp_tls_done() is never called and the parser discards the rest
       * of the input. */
      trace_event(&c->tr, smtpp_get_state(&c->s), &ev);
      if (ev.flags & SMTPP_EVF_DECIDABLE) /* no policy: the defaults */
        (void)smtpp_decide_default(&c->s);
      if (ev.type == SMTPP_EV_STARTTLS)
        trace_note(&c->tr, "no TLS here: input is discarded until EOF");
      if (ev.type == SMTPP_EV_CLOSE)
        return done(c, "session closed");
    } else if (r == SMTPP_CLOSED) {
      return done(c, "session closed");
    } else if (r == SMTPP_WANT_WRITE) {
      trace_note(&c->tr, "WANT_WRITE");
    } else if (r != SMTPP_NEED_MORE) {
      fprintf(stderr, "smtpp serve: parser bug: smtpp_feed returned %d\n", r);
      return CLI_EXIT_FAIL;
    }
    wrote = flush_replies(c);
    if (wrote < 0)
      return CLI_EXIT_FAIL;
    if (used == 0 && wrote == 0 && ++stalls > STALL_MAX) {
      fprintf(stderr, "smtpp serve: parser bug: smtpp_feed makes no progress "
                      "(last result %s)\n", names_feed_result(r));
      return CLI_EXIT_FAIL;
    }
    if (used != 0 || wrote != 0)
      stalls = 0;
    if (r == SMTPP_NEED_MORE)
      return -1;
  }
}

int serve_stdio(const smtpp_config *cfg, int trace_on) {
  static serve_ctx ctx; /* 64 KiB input buffer: keep it off the stack */
  serve_ctx *c = &ctx;
  int r;

  io_ignore_sigpipe();
  trace_init(&c->tr, trace_on);
  r = smtpp_init(&c->s, cfg);
  if (r < 0) {
    fprintf(stderr, "smtpp serve: configuration refused: %s (%s)\n",
            smtpp_err_name(r), smtpp_err_reason(r));
    fprintf(stderr,
            "  hostname=%s (must be a valid domain, RFC 5321 4.1.2)\n"
            "  size=%llu max-rcpt=%lu (0 or >= 100) max-errors=%lu "
            "extensions=0x%lx lenient=0x%lx\n",
            cfg->hostname ? cli_quote(cfg->hostname) : "(default)",
            (unsigned long long)cfg->max_message_size,
            (unsigned long)cfg->max_recipients,
            (unsigned long)cfg->max_errors, (unsigned long)cfg->extensions,
            (unsigned long)cfg->lenient);
    return CLI_EXIT_USAGE;
  }
  trace_note(&c->tr, "session start, state=%s",
             smtpp_state_name(smtpp_get_state(&c->s)));
  if (flush_replies(c) < 0) /* the 220 greeting */
    return CLI_EXIT_FAIL;
  for (;;) {
    long n = io_read(0, c->in, sizeof c->in);
    if (n < 0) {
      fprintf(stderr, "smtpp serve: read from stdin: %s\n", strerror(errno));
      trace_finish(&c->tr);
      return CLI_EXIT_FAIL;
    }
    if (n == 0)
      return done(c, "end of input");
    r = feed_chunk(c, (size_t)n);
    if (r >= 0)
      return r;
  }
}
