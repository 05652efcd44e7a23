/*
 * minimal.c - the smallest complete libsmtpp host.
 *
 * Reads SMTP client bytes from stdin, feeds them to one session, prints
 * every event ("E: ...") and every reply line ("S: ...") on stdout.  It
 * makes no policy decision (smtpp_config.host_decides stays 0): the
 * parser's defaults apply at once and the session never pauses.
 *
 *   printf 'EHLO a.example\r\nQUIT\r\n' | ./minimal
 *   ./minimal 7 < transcript     # feed in 7-octet pieces: same output
 *
 * Everything taken from the client is printed escaped (\xHH for anything
 * outside printable ASCII): event slices are untrusted bytes.
 */
#include <smtpp/smtpp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *event_name(smtpp_event_type t) {
  switch (t) {
  case SMTPP_EV_NONE: return "NONE";
  case SMTPP_EV_COMMAND: return "COMMAND";
  case SMTPP_EV_PROTOCOL_ERROR: return "PROTOCOL_ERROR";
  case SMTPP_EV_BODY: return "BODY";
  case SMTPP_EV_MESSAGE_END: return "MESSAGE_END";
  case SMTPP_EV_STARTTLS: return "STARTTLS";
  case SMTPP_EV_AUTH_RESPONSE: return "AUTH_RESPONSE";
  case SMTPP_EV_CLOSE: return "CLOSE";
  }
  return "?";
}

/* Prints untrusted octets: printable ASCII as is, the rest as \xHH. */
static void put_escaped(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
      putchar(p[i]);
    else
      printf("\\x%02x", p[i]);
  }
}

static void put_slice(const char *name, smtpp_slice sl) {
  if (sl.p == NULL)
    return; /* absent */
  printf(" %s=\"", name);
  put_escaped(sl.p, sl.len);
  putchar('"');
}

static void print_event(const smtpp_event *ev) {
  printf("E: %s", event_name(ev->type));
  switch (ev->type) {
  case SMTPP_EV_COMMAND:
    printf(" %s", smtpp_verb_name(ev->verb));
    if (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT) {
      put_slice("path", ev->path);
      put_slice("local", ev->local);
      put_slice("domain", ev->domain);
      if (ev->params.has_size)
        printf(" size=%llu", (unsigned long long)ev->params.size);
    } else if (ev->verb == SMTPP_VERB_BDAT) {
      printf(" chunk=%llu", (unsigned long long)ev->chunk_size);
    } else {
      put_slice("arg", ev->arg);
    }
    break;
  case SMTPP_EV_PROTOCOL_ERROR:
    printf(" %s %s", smtpp_verb_name(ev->verb), smtpp_err_name(ev->error));
    break;
  case SMTPP_EV_BODY:
    printf(" %zu octets", ev->arg.len); /* dot-unstuffed (DATA) */
    put_slice("data", ev->arg);
    break;
  case SMTPP_EV_MESSAGE_END:
    printf(" size=%llu", (unsigned long long)ev->message_size);
    if (ev->error)
      printf(" failed=%s", smtpp_err_name(ev->error));
    break;
  case SMTPP_EV_AUTH_RESPONSE:
    put_slice("arg", ev->arg);
    break;
  case SMTPP_EV_CLOSE:
    if (ev->error)
      printf(" %s", smtpp_err_name(ev->error));
    break;
  default:
    break;
  }
  putchar('\n'); /* never decidable here: host_decides is 0 (smtpp.h) */
}

/* Pulls every queued reply and prints it one line at a time.  A real host
 * writes the bytes to its socket and acks what was written. */
static void flush(smtpp_session *s) {
  size_t len;
  const unsigned char *p;
  while ((p = smtpp_out_buf(s, &len)) != NULL && len > 0) {
    const unsigned char *q = p, *end = p + len;
    while (q < end) {
      const unsigned char *nl = memchr(q, '\n', (size_t)(end - q));
      const unsigned char *e = nl ? nl + 1 : end;
      size_t n = (size_t)(e - q);
      if (n >= 2 && e[-2] == '\r' && e[-1] == '\n')
        n -= 2;
      printf("S: ");
      put_escaped(q, n);
      putchar('\n');
      q = e;
    }
    smtpp_out_ack(s, len);
  }
}

int main(int argc, char **argv) {
  size_t piece = 4096; /* octets per smtpp_feed() call */
  if (argc > 1) {
    char *e;
    unsigned long v = strtoul(argv[1], &e, 10);
    if (*e || v == 0 || v > 65536) {
      fprintf(stderr, "usage: %s [piece-size 1..65536] < transcript\n",
              argv[0]);
      return 2;
    }
    piece = v;
  }

  smtpp_config cfg; /* must outlive the session */
  smtpp_session s;  /* fixed size, no heap */
  smtpp_config_default(&cfg);
  cfg.hostname = "mx.example.org";
  if (smtpp_init(&s, &cfg) < 0)
    return 1;
  flush(&s); /* the 220 greeting */

  static unsigned char buf[65536];
  ssize_t got;
  while ((got = read(0, buf, piece)) > 0) {
    const unsigned char *p = buf;
    size_t n = (size_t)got, used;
    smtpp_event ev;
    int r;
    /* The canonical loop (smtpp.h): until NEED_MORE, i.e. all consumed. */
    while ((r = smtpp_feed(&s, p, n, &used, &ev)) != SMTPP_NEED_MORE) {
      p += used;
      n -= used;
      if (r == SMTPP_EVENT) {
        print_event(&ev); /* the slices die at the next smtpp_* call */
      } else if (r == SMTPP_WANT_WRITE) {
        flush(&s);
      } else if (r == SMTPP_CLOSED) {
        flush(&s);
        printf("-- closed (%zu octets not read)\n", n);
        return 0;
      } else {
        fprintf(stderr, "smtpp_feed: %s\n", smtpp_err_name(r));
        return 1;
      }
      flush(&s); /* so each reply prints right after its event */
    }
    flush(&s);
  }
  printf("-- end of input in state %s\n",
         smtpp_state_name(smtpp_get_state(&s)));
  return 0;
}
