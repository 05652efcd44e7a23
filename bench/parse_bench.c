/*
 * parse_bench.c - parse throughput of smtpp_feed() against a memchr line
 * splitter over the same bytes in the same run.
 *
 * Three streams, built in memory:
 *   command-heavy  pipelined transactions: EHLO, MAIL (SIZE=), 2 x RCPT,
 *                  DATA, a 6-line body with one stuffed dot, "."
 *   data-heavy     one EHLO, then transactions with 1 MiB bodies of
 *                  76-octet lines (1 in 1000 starts with a stuffed dot)
 *   pure-command   one EHLO, then NOOP, MAIL, RCPT, RSET over and over
 * The host loop is the canonical one from smtpp.h: it passes an event
 * pointer, makes no decision (the defaults accept), and drains the replies
 * with smtpp_out_buf()/smtpp_out_ack() when the parser asks and at the end.
 * Input goes in 64 KiB pieces, as a server reading a socket would give it.
 *
 * Each stream is first run once untimed with every reply checked (no 4xx
 * or 5xx, one 250 per message, every command answered); then the parser
 * and the splitter run alternately REPS times and the best time of each
 * counts.  The splitter counts '\n' with memchr and validates nothing: it
 * is the machine's ceiling for touching every byte of a line stream.
 *
 * Output: table rows on stdout, then "metric NAME VALUE" lines.  Timing is
 * reported, never asserted.
 */
#define _POSIX_C_SOURCE 200809L
#include <smtpp/smtpp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIECE (64u * 1024u)

typedef struct buf {
  unsigned char *p;
  size_t len, cap;
} buf;

static void put(buf *b, const void *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1u << 20;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *np = realloc(b->p, cap);
    if (np == NULL) {
      fprintf(stderr, "parse_bench: out of memory\n");
      exit(1);
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the streams ---- */

typedef struct stream {
  const char *name, *metric, *cps_metric;
  double goal;           /* fraction of memchr */
  buf b;
  size_t commands;       /* command lines in the stream */
  size_t messages;       /* messages that must get 250 */
} stream;

static void build_command_heavy(stream *st, size_t txns) {
  char line[128];
  for (size_t i = 0; i < txns; i++) {
    puts_(&st->b, "EHLO client.example.org\r\n");
    puts_(&st->b, "MAIL FROM:<sender@example.org> SIZE=4096\r\n");
    snprintf(line, sizeof line, "RCPT TO:<alice%zu@example.net>\r\n", i % 1000);
    puts_(&st->b, line);
    puts_(&st->b, "RCPT TO:<bob@mail.example.net>\r\n");
    puts_(&st->b, "DATA\r\n");
    puts_(&st->b, "From: sender@example.org\r\n"
                  "To: alice@example.net, bob@mail.example.net\r\n");
    snprintf(line, sizeof line, "Subject: benchmark message %zu\r\n", i);
    puts_(&st->b, line);
    puts_(&st->b, "\r\nHello,\r\n..this line starts with a dot.\r\n.\r\n");
    st->commands += 5;
    st->messages++;
  }
}

static void build_data_heavy(stream *st, size_t msgs) {
  static const char b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint32_t x = 12345;
  char line[80];
  puts_(&st->b, "EHLO client.example.org\r\n");
  st->commands++;
  for (size_t m = 0; m < msgs; m++) {
    puts_(&st->b, "MAIL FROM:<sender@example.org> SIZE=1100000\r\n"
                  "RCPT TO:<alice@example.net>\r\nDATA\r\n");
    st->commands += 3;
    size_t body = 0;
    for (size_t n = 0; body < (1u << 20); n++) {
      for (int i = 0; i < 76; i++) {
        x = x * 1103515245u + 12345u;
        line[i] = b64[(x >> 16) & 63];
      }
      if (n % 1000 == 999)
        line[0] = '.'; /* stuffed: sent as "..", delivered as "." */
      if (line[0] == '.')
        puts_(&st->b, ".");
      line[76] = '\r';
      line[77] = '\n';
      put(&st->b, line, 78);
      body += 78;
    }
    puts_(&st->b, ".\r\n");
    st->messages++;
  }
}

static void build_pure_command(stream *st, size_t groups) {
  puts_(&st->b, "EHLO client.example.org\r\n");
  st->commands++;
  for (size_t i = 0; i < groups; i++) {
    puts_(&st->b, "NOOP\r\nMAIL FROM:<sender@example.org>\r\n"
                  "RCPT TO:<rcpt@example.net>\r\nRSET\r\n");
    st->commands += 4;
  }
}

/* ---- the host loop ---- */

typedef struct check {
  int on;
  size_t events, replies, bad, accepted;
  char first_bad[128];
} check;

static void drain(smtpp_session *s, check *c) {
  size_t len;
  const unsigned char *p;
  while ((p = smtpp_out_buf(s, &len)) != NULL && len > 0) {
    if (c->on) {
      /* Reply lines are whole in the buffer; count them by first digit. */
      for (size_t i = 0; i < len; i++) {
        if (i != 0 && p[i - 1] != '\n')
          continue;
        if (i + 4 > len || p[i + 3] == '-')
          continue; /* continuation line of a multi-line reply */
        c->replies++;
        if (p[i] == '4' || p[i] == '5') {
          if (c->bad++ == 0) {
            size_t n = 0;
            while (i + n < len && p[i + n] != '\r' && n < sizeof c->first_bad - 1)
              n++;
            memcpy(c->first_bad, p + i, n);
            c->first_bad[n] = '\0';
          }
        }
        if (len - i >= 9 && memcmp(p + i, "250 2.0.0", 9) == 0 &&
            len - i >= 26 && memcmp(p + i + 10, "Message accepted", 16) == 0)
          c->accepted++;
      }
    }
    smtpp_out_ack(s, len);
  }
}

static smtpp_session sess;

/* Feeds the stream through one fresh session.  Returns 0 or -1. */
static int parse(const smtpp_config *cfg, const buf *b, check *c) {
  smtpp_event ev;
  if (smtpp_init(&sess, cfg) < 0)
    return -1;
  drain(&sess, c); /* greeting */
  for (size_t off = 0; off < b->len;) {
    size_t n = b->len - off < PIECE ? b->len - off : PIECE;
    const unsigned char *p = b->p + off;
    off += n;
    for (;;) {
      size_t used;
      int r = smtpp_feed(&sess, p, n, &used, &ev);
      p += used;
      n -= used;
      if (r == SMTPP_NEED_MORE)
        break;
      if (r == SMTPP_EVENT) {
        c->events++;
        continue; /* no policy (host_decides 0): the defaults applied */
      }
      if (r == SMTPP_WANT_WRITE) {
        drain(&sess, c);
        continue;
      }
      fprintf(stderr, "parse_bench: smtpp_feed returned %d (%s) in state %s\n",
              r, r < 0 ? smtpp_err_name(r) : "CLOSED",
              smtpp_state_name(smtpp_get_state(&sess)));
      return -1;
    }
  }
  drain(&sess, c);
  return 0;
}

static volatile size_t sink;

static void split_lines(const buf *b) {
  const unsigned char *p = b->p, *end = b->p + b->len, *q;
  size_t lines = 0;
  while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    lines++;
    p = q + 1;
  }
  sink = lines;
}

typedef struct result {
  double parse_s, memchr_s;
} result;

static int measure(const smtpp_config *cfg, stream *st, int reps,
                   result *res) {
  check c;
  memset(&c, 0, sizeof c);
  c.on = 1;
  if (parse(cfg, &st->b, &c) < 0)
    return -1;
  if (c.bad || c.accepted != st->messages || c.replies < st->commands) {
    fprintf(stderr,
            "parse_bench: %s: replies wrong: %zu error replies (first: %s), "
            "%zu of %zu messages accepted, %zu replies for %zu commands\n",
            st->name, c.bad, c.bad ? c.first_bad : "-", c.accepted,
            st->messages, c.replies, st->commands);
    return -1;
  }
  res->parse_s = res->memchr_s = 1e30;
  for (int i = 0; i < reps; i++) {
    check off;
    memset(&off, 0, sizeof off);
    double t0 = now();
    if (parse(cfg, &st->b, &off) < 0)
      return -1;
    double t1 = now();
    split_lines(&st->b);
    double t2 = now();
    if (t1 - t0 < res->parse_s)
      res->parse_s = t1 - t0;
    if (t2 - t1 < res->memchr_s)
      res->memchr_s = t2 - t1;
  }
  return 0;
}

int main(int argc, char **argv) {
  int reps = 7;
  double scale = 1.0;
  const char *only = NULL; /* for profiling one stream: cmd, data, pure_cmd */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      reps = 3;
      scale = 0.25;
    } else if (strncmp(argv[i], "--reps=", 7) == 0 && atoi(argv[i] + 7) > 0) {
      reps = atoi(argv[i] + 7);
    } else if (strncmp(argv[i], "--only=", 7) == 0) {
      only = argv[i] + 7;
    } else {
      fprintf(stderr, "usage: %s [--quick] [--reps=N] [--only=cmd|data|pure_cmd]\n",
              argv[0]);
      return 2;
    }
  }

  smtpp_config cfg;
  smtpp_config_default(&cfg); /* 10 MiB SIZE, all default extensions */

  stream st[3];
  memset(st, 0, sizeof st);
  st[0].name = "command-heavy";
  st[0].metric = "cmd";
  st[0].cps_metric = "cmd_cmds";
  st[0].goal = 0.30;
  st[1].name = "data-heavy";
  st[1].metric = "data";
  st[1].cps_metric = "data_cmds";
  st[1].goal = 0.50;
  st[2].name = "pure-command";
  st[2].metric = "pure_cmd";
  st[2].cps_metric = "pure_cmds";
  st[2].goal = 0.25;

  printf("%-24s %9s %10s %12s %12s %7s %6s\n", "parse (best of N)", "MiB",
         "MB/s", "commands/s", "memchr MB/s", "ratio", "goal");
  result res[3];
  int n = 0;
  for (int i = 0; i < 3; i++) {
    if (only && strcmp(only, st[i].metric) != 0)
      continue;
    if (i == 0)
      build_command_heavy(&st[i], (size_t)(100000 * scale));
    else if (i == 1)
      build_data_heavy(&st[i], (size_t)(64 * scale));
    else
      build_pure_command(&st[i], (size_t)(500000 * scale));
    st[n++] = st[i];
  }
  if (n == 0) {
    fprintf(stderr, "parse_bench: --only: no stream named %s\n", only);
    return 2;
  }
  for (int i = 0; i < n; i++) {
    if (measure(&cfg, &st[i], reps, &res[i]) < 0)
      return 1;
    double mb = (double)st[i].b.len / 1e6;
    double pmbs = mb / res[i].parse_s, mmbs = mb / res[i].memchr_s;
    double ratio = pmbs / mmbs;
    double cps = (double)st[i].commands / res[i].parse_s;
    printf("%-24s %9.1f %10.1f %12.0f %12.1f %6.1f%% %5.0f%%%s\n",
           st[i].name, (double)st[i].b.len / 1048576.0, pmbs, cps, mmbs,
           ratio * 100, st[i].goal * 100, ratio >= st[i].goal ? "" : "  MISSED");
  }
  printf("%-24s %9zu octets\n", "sizeof(smtpp_session)", sizeof(smtpp_session));

  for (int i = 0; i < n; i++) {
    double mb = (double)st[i].b.len / 1e6;
    printf("metric parse_%s_vs_memchr %.4f\n", st[i].metric,
           (mb / res[i].parse_s) / (mb / res[i].memchr_s));
    printf("metric parse_%s_mb_per_sec %.1f\n", st[i].metric,
           mb / res[i].parse_s);
    printf("metric memchr_%s_mb_per_sec %.1f\n", st[i].metric,
           mb / res[i].memchr_s);
    printf("metric parse_%s_per_sec %.0f\n", st[i].cps_metric,
           (double)st[i].commands / res[i].parse_s);
  }
  printf("metric session_bytes %zu\n", sizeof(smtpp_session));
  for (int i = 0; i < n; i++)
    free(st[i].b.p);
  return 0;
}
