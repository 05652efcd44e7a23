/*
 * probe_run.c - see probe_run.h.
 *
 * Sending rules (no artefacts of the probe's own making):
 * - polite and byte mode wait for the replies of each unit before the
 *   next; a group of commands is pipelined only when this session's EHLO
 *   was answered 250 and the server offers PIPELINING (RFC 2920 3), and a
 *   group ends at a verb that must end one (RFC 2920 3.1);
 * - burst mode sends everything at once, but only to a server that offers
 *   PIPELINING (probe_skip_reason) and only for dialogs that open with
 *   EHLO; other dialogs are sent one command at a time;
 * - BDAT carries its chunk: the probe never waits for a reply before the
 *   chunk it announced (RFC 3030 2: the reply comes after the chunk);
 * - an unexpected 354 is answered with "." CRLF, so that the message ends
 *   cleanly, and the dialog stops there;
 * - after a failed BDAT the client MUST NOT send more BDAT (RFC 3030 2):
 *   a dialog that does so stops there when the server refused;
 * - the probe's end of input may be answered with 421 (RFC 5321 3.8).
 */
#include "probe_run.h"

#include "esc.h"

#include <smtpp/smtpp.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DRAIN_MS 1500  /* after our EOF: wait for the server's */
#define SETTLE_MS 300  /* after a unit with odd octets: extra replies */

void probe_client_text(const dialog *c, size_t start, size_t end, char *buf,
                       size_t cap) {
  size_t n = end > start ? end - start : 0, taken = 0, w;
  if (!cap)
    return;
  if (end > c->input.len)
    n = start < c->input.len ? c->input.len - start : 0;
  w = esc_bytes(buf, cap > 4 ? cap - 4 : cap, c->input.p + start, n, &taken);
  if (taken < n && w + 4 <= cap)
    memcpy(buf + w, "...", 4);
}

void probe_verb(const unsigned char *in, size_t n, char *verb, size_t cap) {
  size_t k = 0;
  while (k < n && k + 1 < cap && isalpha(in[k])) {
    verb[k] = (char)toupper(in[k]);
    k++;
  }
  verb[k] = '\0';
}

static int verb_is(const unsigned char *p, size_t n, const char *v) {
  size_t k = strlen(v);
  return n >= k && !strncasecmp((const char *)p, v, k) &&
         (n == k || p[k] == ' ' || p[k] == '\r');
}

typedef struct sub {
  size_t end;
  int replies;   /* replies a correct server gives to it */
  int group_end; /* must end a pipelined group (RFC 2920 3.1) */
  int kind;      /* U_* */
} sub;

static void next_sub(const dialog *c, size_t pos, int in_data, int chunking,
                     sub *u) {
  const unsigned char *in = c->input.p;
  memset(u, 0, sizeof *u);
  if (in_data) {
    size_t i = pos;
    u->kind = U_BODY;
    u->group_end = 1;
    while (i < c->input.len) {
      if (c->input.len - i >= 3 && in[i] == '.' && in[i + 1] == '\r' &&
          in[i + 2] == '\n') {
        u->end = i + 3;
        u->replies = 1;
        return;
      }
      while (i + 1 < c->input.len && !(in[i] == '\r' && in[i + 1] == '\n'))
        i++;
      i += 2;
    }
    u->end = c->input.len;
    return;
  }
  {
    size_t i = pos, n;
    while (i + 1 < c->input.len && !(in[i] == '\r' && in[i + 1] == '\n'))
      i++;
    if (i + 1 >= c->input.len) {
      u->end = c->input.len;
      u->kind = U_PARTIAL;
      u->group_end = 1;
      return;
    }
    u->end = i + 2;
    u->replies = 1;
    n = u->end - pos;
    u->group_end = 1;
    u->kind = U_CMD;
    if (verb_is(in + pos, n, "MAIL") || verb_is(in + pos, n, "RCPT") ||
        verb_is(in + pos, n, "RSET"))
      u->group_end = 0;
    else if (verb_is(in + pos, n, "DATA"))
      u->kind = U_DATA;
    else if (verb_is(in + pos, n, "STARTTLS"))
      u->kind = U_STARTTLS;
    else if (chunking && verb_is(in + pos, n, "BDAT") && n > 7) {
      /* BDAT SP chunk-size ...: whatever follows the number, a server that
       * reads the number reads the chunk before it answers, so the chunk
       * goes with the command (RFC 3030 2). */
      size_t j = pos + 5;
      uint64_t size = 0;
      int digits = 0, last = 0;
      while (j < i && isdigit(in[j]) && digits < 18) {
        size = size * 10 + (uint64_t)(in[j++] - '0');
        digits++;
      }
      if (j + 5 <= i && !strncasecmp((const char *)in + j, " LAST", 5))
        last = 1;
      if (digits) {
        u->kind = U_BDAT;
        u->end = (size > c->input.len - u->end) ? c->input.len : u->end + (size_t)size;
        u->group_end = last;
      }
    }
  }
}

/* Client bytes with a CR or LF outside CRLF, or a NUL: framing may differ,
 * so extra replies may come late. */
static int odd_octets(const dialog *c, size_t a, size_t b) {
  for (size_t i = a; i < b && i < c->input.len; i++) {
    unsigned char ch = c->input.p[i];
    if (ch == 0 || (ch == '\r' && (i + 1 >= c->input.len || c->input.p[i + 1] != '\n')) ||
        (ch == '\n' && (i == 0 || c->input.p[i - 1] != '\r')))
      return 1;
  }
  return 0;
}

/* The expected replies of a unit: those whose S: line comes before its
 * end, and when a dialog writes several commands in one R: line (all its
 * S: lines after it) as many of the following ones as the unit earns. */
static void take_expected(const dialog *c, prun *R, punit *u) {
  size_t j = R->next_exp;
  u->e0 = j;
  while (j < c->nexpect && (u->kind == U_GREETING ? c->expect[j].pos == 0
                                                : c->expect[j].pos <= u->end))
    j++;
  while (u->kind != U_GREETING && j < c->nexpect && j - u->e0 < (size_t)u->want)
    j++;
  u->e1 = j;
  R->next_exp = j;
}

/* Writes a DATA body so that every end-of-data look-alike in it (a "."
 * after a CR or LF, followed by CR, LF or NUL, that is not CRLF "." CRLF)
 * ends a write, with a pause after it: a server that looks for the end of
 * data at the end of a read, not in the stream, shows it (SMTP smuggling
 * variants at a TCP read boundary). */
static int write_body(pconn *c, const unsigned char *p, size_t n,
                      long long deadline) {
  size_t from = 0;
  for (size_t i = 1; i + 1 < n; i++) {
    size_t end = i + 1;
    if (p[i] != '.' || (p[i - 1] != '\r' && p[i - 1] != '\n'))
      continue;
    if (p[i + 1] != '\r' && p[i + 1] != '\n' && p[i + 1] != 0)
      continue;
    if (i >= 2 && p[i - 2] == '\r' && p[i - 1] == '\n' && i + 2 < n &&
        p[i + 1] == '\r' && p[i + 2] == '\n')
      continue; /* the real end */
    while (end < n && end < i + 4 &&
           (p[end] == '\r' || p[end] == '\n' || p[end] == 0))
      end++;
    if (pconn_write(c, p + from, end - from, 0, deadline) != PC_OK)
      return -1;
    pconn_read_some(c, pconn_now_ms() + 50); /* the pause (reads meanwhile) */
    from = end;
  }
  return pconn_write(c, p + from, n - from, 0, deadline) == PC_OK ? 0 : -1;
}

static punit *add_unit(const dialog *c, prun *R, size_t start, size_t end,
                       int kind, int want) {
  punit *u;
  if (R->nu == R->ucap) {
    size_t ncap = R->ucap ? R->ucap * 2 : 32;
    punit *nu = realloc(R->u, ncap * sizeof *nu);
    if (!nu)
      return NULL;
    R->u = nu;
    R->ucap = ncap;
  }
  u = &R->u[R->nu++];
  memset(u, 0, sizeof *u);
  u->start = start;
  u->end = end;
  u->kind = kind;
  u->want = want;
  u->r0 = R->sc.n;
  take_expected(c, R, u);
  return u;
}

/* A BDAT line comes in c after pos before any RSET line. */
static int bdat_before_rset(const dialog *c, size_t pos) {
  for (size_t i = pos; i < c->input.len; i++) {
    if (i > 0 && c->input.p[i - 1] != '\n')
      continue;
    if (verb_is(c->input.p + i, c->input.len - i, "RSET"))
      return 0;
    if (verb_is(c->input.p + i, c->input.len - i, "BDAT"))
      return 1;
  }
  return 0;
}

void probe_run_free(prun *R) {
  rs_free(&R->sc);
  free(R->u);
  R->u = NULL;
  pconn_close(&R->c);
}

void probe_run_case(const ptarget *t, const pserver *s, const dialog *c,
                    int mode, prun *R) {
  long long case_end;
  size_t want = 0, pos = 0, greet = 0;
  int in_data = 0, ehlo_ok = 0;
  char err[300];
  int bytewise = mode == PMODE_BYTE;
  int burst = mode == PMODE_BURST && probe_case_ehlo(c);
  punit *u;

  memset(R, 0, sizeof *R);
  pscan_init(&R->sc);
  if (ptarget_open(t, &R->c, err, sizeof err) < 0) {
    R->wait = W_CLOSED;
    R->stop = STOP_CLOSED;
    return;
  }
  case_end = pconn_now_ms() + t->case_ms;
  while (greet < c->nexpect && c->expect[greet].pos == 0)
    greet++;
  want = greet ? greet : 1;
  u = add_unit(c, R, 0, 0, U_GREETING, (int)want);
  R->wait = pscan_wait(&R->c, &R->sc, want, t->timeout_ms, case_end);
  if (u)
    u->r1 = R->sc.n;
  if (R->wait != W_OK) {
    R->stop = R->wait == W_CLOSED ? STOP_CLOSED : STOP_WAIT;
    goto out;
  }

  while (pos < c->input.len) {
    sub su;
    size_t start = pos, r0;
    int replies = 0, kind, pipelined;
    pipelined = !bytewise && (s->ext & SMTPP_EXT_PIPELINING) && ehlo_ok;
    do {
      /* without CHUNKING offered there is no chunk: the octets after a
       * BDAT line are commands (RFC 3030 2 binds BDAT to the extension) */
      next_sub(c, pos, in_data, (s->ext & SMTPP_EXT_CHUNKING) != 0, &su);
      pos = su.end;
      replies += su.replies;
      kind = su.kind;
      /* burst: everything after the first EHLO reply in one write */
    } while (pos < c->input.len &&
             ((burst && ehlo_ok) ||
              (pipelined && !su.group_end && su.replies)));
    u = add_unit(c, R, start, pos, kind, replies);
    r0 = R->sc.n;
    if (!u)
      break;
    if (kind == U_BODY && !bytewise && !burst) {
      if (write_body(&R->c, c->input.p + start, pos - start, case_end) < 0)
        R->writefail = 1;
    } else if (pconn_write(&R->c, c->input.p + start, pos - start, bytewise,
                           case_end) != PC_OK)
      R->writefail = 1;
    want += (size_t)replies;
    if (burst && ehlo_ok)
      want = c->nexpect;
    R->wait = pscan_wait(&R->c, &R->sc, want, t->timeout_ms, case_end);
    if (R->wait == W_OK && odd_octets(c, start, pos))
      pscan_wait(&R->c, &R->sc, want + 1,
                 t->timeout_ms < SETTLE_MS ? t->timeout_ms : SETTLE_MS,
                 case_end);
    u->r1 = R->sc.n;
    if (R->writefail || R->wait != W_OK) {
      R->stop = R->wait == W_CLOSED || R->writefail ? STOP_CLOSED : STOP_WAIT;
      R->stop_unit = R->nu - 1;
      break;
    }
    /* the replies of this unit against smtpp's: where the dialog can go
     * on and where it cannot */
    {
      int stop = 0;
      for (size_t k = r0; k < R->sc.n && !stop; k++) {
        int g = R->sc.r[k].code;
        int e = u->e0 + (k - r0) < u->e1 ? c->expect[u->e0 + (k - r0)].code : 0;
        if (g == 221 || g == 421)
          stop = STOP_CLOSED;
        else if (g == 354 && e != 354)
          stop = STOP_354;
        else if (e == 354 && g != 354)
          stop = STOP_NO_354;
        else if (kind == U_BDAT && g >= 400 && bdat_before_rset(c, pos))
          stop = STOP_BDAT_FAIL;
        else if (kind == U_STARTTLS && g == 220)
          stop = STOP_STARTTLS;
        else if (g == 250 && verb_is(c->input.p + start, pos - start, "EHLO"))
          ehlo_ok = 1;
        else if (verb_is(c->input.p + start, pos - start, "HELO"))
          ehlo_ok = 0;
      }
      if (kind == U_DATA && R->sc.n > r0 && R->sc.r[R->sc.n - 1].code == 354)
        in_data = 1;
      else if (kind == U_BODY)
        in_data = 0;
      if (stop == STOP_354) {
        /* end the message the server opened: an empty one */
        static const char dot[] = ".\r\n";
        punit *d = add_unit(c, R, pos, pos, U_PROBE, 0);
        pconn_write(&R->c, dot, 3, 0, case_end);
        pscan_wait(&R->c, &R->sc, R->sc.n + 1, t->timeout_ms, case_end);
        if (d)
          d->r1 = R->sc.n;
      }
      if (stop == STOP_STARTTLS) {
        /* RFC 3207 4.2: nothing sent after STARTTLS in clear text may be
         * executed; send the rest and expect no reply */
        if (pos < c->input.len) {
          u = add_unit(c, R, pos, c->input.len, U_PARTIAL, 0);
          pconn_write(&R->c, c->input.p + pos, c->input.len - pos, bytewise, case_end);
          pscan_wait(&R->c, &R->sc, R->sc.n + 1,
                     t->timeout_ms < DRAIN_MS ? t->timeout_ms : DRAIN_MS,
                     case_end);
          if (u)
            u->r1 = R->sc.n;
        }
      }
      if (stop) {
        R->stop = stop;
        R->stop_unit = stop == STOP_354 ? R->nu - 2 : R->nu - 1;
        break;
      }
    }
  }
  R->drain_r0 = R->sc.n;
  if (R->wait == W_OK || R->wait == W_TIMEOUT || R->wait == W_CLOSED) {
    int d = pscan_drain(&R->c, &R->sc,
                        t->timeout_ms < DRAIN_MS ? t->timeout_ms : DRAIN_MS);
    if (d == W_LINE_TOO_LONG || d == W_TOO_BIG)
      R->wait = d;
  }
out:
  pscan_scan(&R->sc, &R->c);
}
