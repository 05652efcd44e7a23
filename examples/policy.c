/*
 * policy.c - a libsmtpp host that makes policy decisions.
 *
 *  - refuses every recipient whose local part is "nobody" (550 5.1.1);
 *  - enforces a message size: the limit goes into smtpp_config, so the
 *    parser advertises it (EHLO "SIZE n"), refuses MAIL with a larger SIZE=
 *    and fails a longer body with 552 after its end; the host never sees
 *    an over-size message as deliverable;
 *  - hands each accepted message (sender, recipients, body) to a callback,
 *    which counts it and prints a summary; the callback's result becomes
 *    the final reply (250, or 451 if it fails).
 *
 *   ./policy [max-size] < transcript
 *
 * Event slices live only until the next smtpp_* call on the session, so
 * the host copies what it keeps (sender, recipients, body) into its own
 * bounded storage.  Prints replies as "S: ..." and host notes as "H: ...".
 */
#include <smtpp/smtpp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX (1u << 20)   /* host buffer; the size limit is <= this */
#define ADDR_MAX 257u         /* a path is at most 256 octets + NUL */
#define KEEP_RCPTS 8u         /* recipients kept for printing */

typedef struct message {
  char from[ADDR_MAX];
  char rcpt[KEEP_RCPTS][ADDR_MAX];
  unsigned nrcpt;             /* accepted recipients (all counted) */
  size_t len;                 /* body octets (dot-unstuffed) */
  unsigned char body[BODY_MAX];
} message;

typedef int (*deliver_fn)(const message *m, void *ctx);

typedef struct stats {
  unsigned delivered, refused_rcpts, failed;
} stats;

/* Copies a slice as a C string, replacing anything outside printable
 * ASCII (the parser allows UTF-8 with SMTPUTF8) with '?'. */
static void copy_slice(char *dst, size_t cap, smtpp_slice sl) {
  size_t n = sl.len < cap - 1 ? sl.len : cap - 1;
  for (size_t i = 0; i < n; i++)
    dst[i] = (sl.p[i] >= 0x20 && sl.p[i] < 0x7f) ? (char)sl.p[i] : '?';
  dst[n] = '\0';
}

static int slice_ieq(smtpp_slice sl, const char *lit) {
  size_t n = strlen(lit);
  if (sl.len != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = sl.p[i];
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c + 32);
    if (c != (unsigned char)lit[i])
      return 0;
  }
  return 1;
}

/* The message callback: counts and prints.  Returns 0 if taken. */
static int deliver(const message *m, void *ctx) {
  stats *st = ctx;
  unsigned long sum = 0;
  for (size_t i = 0; i < m->len; i++)
    sum = (sum * 31 + m->body[i]) % 1000000007ul;
  st->delivered++;
  printf("H: message %u from=<%s> rcpts=%u size=%zu sum=%lu\n", st->delivered,
         m->from, m->nrcpt, m->len, sum);
  for (unsigned i = 0; i < m->nrcpt && i < KEEP_RCPTS; i++)
    printf("H:   to=<%s>\n", m->rcpt[i]);
  return 0;
}

static void flush(smtpp_session *s) {
  size_t len;
  const unsigned char *p;
  while ((p = smtpp_out_buf(s, &len)) != NULL && len > 0) {
    /* reply bytes are printable ASCII lines ending in CRLF */
    for (size_t i = 0; i < len; i++) {
      if (i == 0 || p[i - 1] == '\n')
        fputs("S: ", stdout);
      if (p[i] != '\r')
        putchar(p[i]);
    }
    smtpp_out_ack(s, len);
  }
}

static void handle(smtpp_session *s, const smtpp_event *ev, message *m,
                   deliver_fn cb, stats *st) {
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    switch (ev->verb) {
    case SMTPP_VERB_HELO:
    case SMTPP_VERB_EHLO:
    case SMTPP_VERB_RSET:
    case SMTPP_VERB_MAIL: /* each of these starts afresh */
      m->nrcpt = 0;
      m->len = 0;
      m->from[0] = '\0';
      if (ev->verb == SMTPP_VERB_MAIL)
        copy_slice(m->from, sizeof m->from, ev->path);
      break; /* default decision: 250 */
    case SMTPP_VERB_RCPT:
      if (slice_ieq(ev->local, "nobody")) {
        st->refused_rcpts++;
        (void)smtpp_decide(s, 550, "5.1.1", "No such user here");
        break;
      }
      if (m->nrcpt < KEEP_RCPTS)
        copy_slice(m->rcpt[m->nrcpt], ADDR_MAX, ev->path);
      m->nrcpt++;
      break;
    default:
      break;
    }
    break;
  case SMTPP_EV_BODY: {
    if (ev->flags & SMTPP_EVF_OVER_SIZE)
      break; /* over SIZE: it will end in 552, storing more is waste */
    /* The parser fails an over-size message itself; the host buffer is
     * at least as large as the limit, so this cut never loses a byte of a
     * message that can still be accepted. */
    size_t room = BODY_MAX - m->len;
    size_t n = ev->arg.len < room ? ev->arg.len : room;
    memcpy(m->body + m->len, ev->arg.p, n);
    m->len += n;
    break;
  }
  case SMTPP_EV_MESSAGE_END:
    if (ev->error) { /* already answered (552, 500 5.5.2) by the parser */
      st->failed++;
      printf("H: message failed: %s\n", smtpp_err_name(ev->error));
    } else if (cb(m, st) != 0) {
      st->failed++;
      (void)smtpp_decide(s, 451, "4.3.0", "Try again later");
    } /* else the default: 250 */
    m->nrcpt = 0;
    m->len = 0;
    break;
  default:
    break;
  }
}

int main(int argc, char **argv) {
  unsigned long limit = 4096;
  if (argc > 1) {
    char *e;
    limit = strtoul(argv[1], &e, 10);
    if (*e || limit == 0 || limit > BODY_MAX) {
      fprintf(stderr, "usage: %s [max-size 1..%u] < transcript\n", argv[0],
              BODY_MAX);
      return 2;
    }
  }

  static message msg; /* 1 MiB body buffer: not on the stack */
  stats st = {0, 0, 0};
  smtpp_config cfg;
  smtpp_session s;
  smtpp_config_default(&cfg);
  cfg.host_decides = 1; /* this host has a policy: decidable events pause */
  cfg.hostname = "mx.example.org";
  cfg.max_message_size = limit;
  if (smtpp_init(&s, &cfg) < 0)
    return 1;
  flush(&s);

  static unsigned char buf[16384];
  ssize_t got;
  int open = 1;
  while (open && (got = read(0, buf, sizeof buf)) > 0) {
    const unsigned char *p = buf;
    size_t n = (size_t)got, used;
    smtpp_event ev;
    int r;
    while ((r = smtpp_feed(&s, p, n, &used, &ev)) != SMTPP_NEED_MORE) {
      p += used;
      n -= used;
      if (r == SMTPP_EVENT) {
        handle(&s, &ev, &msg, deliver, &st); /* may smtpp_decide() */
        /* Anything handle() left undecided takes the parser's default;
         * until then the session is paused (smtpp_feed: SMTPP_PAUSED). */
        if (smtpp_decision_pending(&s) == 1)
          (void)smtpp_decide_default(&s);
        flush(&s); /* only to keep this program's output in order; a
                      network host may write once per read instead */
      } else if (r == SMTPP_WANT_WRITE) {
        flush(&s);
      } else if (r == SMTPP_CLOSED) {
        open = 0;
        break;
      } else {
        fprintf(stderr, "smtpp_feed: %s\n", smtpp_err_name(r));
        return 1;
      }
    }
    flush(&s);
  }
  printf("H: delivered=%u refused_rcpts=%u failed=%u\n", st.delivered,
         st.refused_rcpts, st.failed);
  return 0;
}
