/*
 * probe_apply.c - see probe_apply.h.
 */
#include "probe_apply.h"

#include "esc.h"

#include <smtpp/smtpp.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int ptarget_open(const ptarget *t, pconn *c, char *err, size_t errlen) {
  if (t->tcp)
    return pconn_open_tcp(c, t->tcp, t->timeout_ms, err, errlen);
  return pconn_open_cmd(c, t->cmd, err, errlen);
}

static void parse_ehlo(pserver *s, const pconn *c, const rs_reply *r) {
  size_t pos = r->off;
  const unsigned char *l;
  size_t body;

  if (rs_reply_line(c->buf, r, &pos, &l, &body) < 0)
    return; /* the first line names the server */
  while (rs_reply_line(c->buf, r, &pos, &l, &body) == 0) {
    char kw[64];
    size_t k = 0;
    for (size_t i = 0; i < body && k + 1 < sizeof kw && l[i] != ' ' &&
                       l[i] != '=';
         i++)
      kw[k++] = (char)toupper(l[i]);
    kw[k] = '\0';
    if (!k)
      continue;
    if (strlen(s->keywords) + k + 2 < sizeof s->keywords) {
      if (s->keywords[0])
        strcat(s->keywords, " ");
      strcat(s->keywords, kw);
    }
    s->ext |= smtpp_ext_bit(kw); /* 0 for keywords smtpp does not know */
    if (!strcmp(kw, "SIZE")) {
      uint64_t v = 0;
      size_t i = 5; /* "SIZE " */
      int digits = 0;
      while (i < body && isdigit(l[i]) && v < UINT64_MAX / 10) {
        v = v * 10 + (uint64_t)(l[i++] - '0');
        digits = 1;
      }
      s->has_size = digits;
      s->size = v;
    }
  }
}

/* Greeting, EHLO, QUIT on a connection of its own.  Returns 0, or -1
 * after printing why the server cannot be probed. */
/* The first reply-format defect seen, or "". */
static const char *fmt_first(const rs_reader *sc) {
  return sc->nviol ? sc->viol : "";
}

int probe_discover(const ptarget *o, pserver *s) {
  pconn c;
  rs_reader sc;
  char err[300];
  long long end;
  int w;

  pscan_init(&sc);
  if (ptarget_open(o, &c, err, sizeof err) < 0) {
    fprintf(stderr, "smtpp probe: cannot reach the server: %s\n", err);
    return -1;
  }
  end = pconn_now_ms() + o->case_ms;
  w = pscan_wait(&c, &sc, 1, o->timeout_ms, end);
  if (w == W_OK && sc.r[0].code == 0)
    w = W_TOO_BIG; /* not a reply line: malformed */
  else if (w == W_OK && sc.r[0].code != 220)
    w = -1;
  if (w != W_OK) {
    if (w < 0)
      fprintf(stderr, "smtpp probe: greeting: expected 220, got %d\n",
              sc.r[0].code);
    else
      fprintf(stderr, "smtpp probe: greeting: verdict %s%s%s\n",
              pscan_wait_names[w], fmt_first(&sc)[0] ? "; " : "", fmt_first(&sc));
    printf("server: greeting verdict %s (%s)\n",
           w < 0 ? "refused" : pscan_wait_names[w],
           w == W_TIMEOUT ? "no greeting in time"
           : w == W_CLOSED ? "closed before a complete greeting"
           : w == W_LINE_TOO_LONG ? "a line without end"
           : w == W_TOO_BIG ? (fmt_first(&sc)[0] ? fmt_first(&sc) : "reply too large")
                            : "not 220");
    rs_free(&sc);
    pconn_close(&c);
    return -1;
  }
  {
    size_t gl = sc.r[0].lines == 1 ? sc.pos - sc.r[0].off : 80;
    esc_bytes(s->greeting, sizeof s->greeting, c.buf + sc.r[0].off,
                 gl > 2 ? gl - 2 : gl, NULL);
  }
  s->greet_code = sc.r[0].code;
  pconn_write(&c, "EHLO smtpp-probe.example\r\n", 26, 0,
              pconn_now_ms() + o->timeout_ms);
  w = pscan_wait(&c, &sc, 2, o->timeout_ms, end);
  if (w != W_OK) {
    fprintf(stderr, "smtpp probe: EHLO: verdict %s%s%s\n", pscan_wait_names[w],
            fmt_first(&sc)[0] ? "; " : "", fmt_first(&sc));
    printf("server: EHLO verdict %s\n", pscan_wait_names[w]);
    rs_free(&sc);
    pconn_close(&c);
    return -1;
  }
  if (sc.r[1].code == 250)
    parse_ehlo(s, &c, &sc.r[1]);
  pconn_write(&c, "QUIT\r\n", 6, 0, pconn_now_ms() + o->timeout_ms);
  pscan_wait(&c, &sc, 3, o->timeout_ms < 2000 ? o->timeout_ms : 2000,
               end);
  rs_free(&sc);
  pconn_close(&c);
  return 0;
}

/* Case-insensitive search of needle in the client bytes. */
static int has_text(const dialog *c, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= c->input.len; i++)
    if (!strncasecmp((const char *)c->input.p + i, needle, n))
      return 1;
  return 0;
}

/* A line starting with verb (followed by SP, CR or the end). */
static int has_verb(const dialog *c, const char *verb) {
  size_t n = strlen(verb);
  for (size_t i = 0; i + n <= c->input.len; i++) {
    if (i > 0 && c->input.p[i - 1] != '\n')
      continue;
    if (!strncasecmp((const char *)c->input.p + i, verb, n) &&
        (i + n == c->input.len || c->input.p[i + n] == ' ' || c->input.p[i + n] == '\r'))
      return 1;
  }
  return 0;
}

static int uses_ext(const dialog *c, uint32_t bit) {
  switch (bit) {
  case SMTPP_EXT_SIZE:
    return has_text(c, "SIZE=");
  case SMTPP_EXT_8BITMIME:
    return has_text(c, "BODY=");
  case SMTPP_EXT_SMTPUTF8:
    return has_text(c, "SMTPUTF8");
  case SMTPP_EXT_DSN:
    return has_text(c, "RET=") || has_text(c, "ENVID=") ||
           has_text(c, "NOTIFY=") || has_text(c, "ORCPT=");
  case SMTPP_EXT_CHUNKING:
    return has_verb(c, "BDAT");
  case SMTPP_EXT_STARTTLS:
    return has_verb(c, "STARTTLS");
  case SMTPP_EXT_AUTH:
    return has_verb(c, "AUTH") || has_text(c, " AUTH=");
  default:
    return 0;
  }
}

/* Longest MAIL/RCPT line (their limits grow with SIZE, DSN, SMTPUTF8 and
 * AUTH, RFC 1870 3, RFC 3461 5, RFC 6531 3.4, RFC 4954 5). */
static size_t longest_path_line(const dialog *c) {
  size_t best = 0, start = 0;
  for (size_t i = 0; i + 1 < c->input.len; i++) {
    if (c->input.p[i] == '\r' && c->input.p[i + 1] == '\n') {
      size_t l = i + 2 - start;
      if (l > best && l > 4 &&
          (!strncasecmp((const char *)c->input.p + start, "MAIL", 4) ||
           !strncasecmp((const char *)c->input.p + start, "RCPT", 4)))
        best = l;
      start = i + 2;
    }
  }
  return best;
}

int probe_skip_reason(const dialog *c, const pserver *s, int mode, char *why,
                      size_t n) {
  uint32_t diff = (c->cfg.extensions ^ s->ext);
  if (c->error[0]) {
    snprintf(why, n, "cannot read the dialog: %s", c->error);
    return 1;
  }
  /* RFC 2920 3: a client pipelines only after PIPELINING in the EHLO
   * reply of the same session; burst mode sends everything at once. */
  if (mode == PMODE_BURST && !(s->ext & SMTPP_EXT_PIPELINING)) {
    snprintf(why, n, "burst mode pipelines, and the server does not offer "
                     "PIPELINING (RFC 2920 3 forbids that to the client)");
    return 1;
  }
  if (c->policy) {
    snprintf(why, n, "needs ! policy (host decisions cannot be set on a "
                     "foreign server)");
    return 1;
  }
  if ((c->set & DLG_SET_LENIENT)) {
    snprintf(why, n, "needs ! lenient (a parser setting)");
    return 1;
  }
  if (c->nbarriers) {
    snprintf(why, n, "needs a T: TLS barrier (the probe speaks no TLS)");
    return 1;
  }
  if ((c->set & DLG_SET_MAX_RCPT) || (c->set & DLG_SET_MAX_ERRORS)) {
    snprintf(why, n, "needs ! %s (not advertised, cannot be set)",
             (c->set & DLG_SET_MAX_RCPT) ? "max-rcpt" : "max-errors");
    return 1;
  }
  if ((c->set & DLG_SET_SIZE) && (!(s->ext & SMTPP_EXT_SIZE) || !s->has_size ||
                      s->size != c->cfg.max_message_size)) {
    snprintf(why, n, "needs ! size %llu; the server advertises %s%llu",
             (unsigned long long)c->cfg.max_message_size,
             (s->ext & SMTPP_EXT_SIZE) ? "SIZE " : "no SIZE ",
             (unsigned long long)s->size);
    return 1;
  }
  for (uint32_t bit = 1; bit <= SMTPP_EXT_AUTH; bit <<= 1) {
    const char *name = smtpp_ext_name(bit);
    if (!(diff & bit) || !name)
      continue;
    if (c->ext_set & bit) {
      snprintf(why, n, "needs ! ext %c%s; the server %s it",
               (c->cfg.extensions & bit) ? '+' : '-', name,
               (s->ext & bit) ? "offers" : "does not offer");
      return 1;
    }
    if (uses_ext(c, bit)) {
      snprintf(why, n, "uses %s, which the server %s", name,
               (s->ext & bit) ? "offers (the dialog assumes it is off)"
                              : "does not offer");
      return 1;
    }
  }
  if ((diff & (SMTPP_EXT_SIZE | SMTPP_EXT_DSN | SMTPP_EXT_SMTPUTF8 |
               SMTPP_EXT_AUTH)) &&
      longest_path_line(c) > 512) {
    snprintf(why, n, "MAIL/RCPT line over 512 octets: its limit depends on "
                     "extensions the server and the dialog see differently");
    return 1;
  }
  /* SIZE=V: skip when V is over the limit on one side only. */
  if ((c->cfg.extensions & SMTPP_EXT_SIZE) && (s->ext & SMTPP_EXT_SIZE)) {
    uint64_t dlim = (c->set & DLG_SET_SIZE) ? c->cfg.max_message_size : 10485760u;
    uint64_t slim = s->size;
    for (size_t i = 0; i + 5 < c->input.len; i++) {
      uint64_t v = 0;
      size_t j = i + 5;
      if (strncasecmp((const char *)c->input.p + i, "SIZE=", 5))
        continue;
      while (j < c->input.len && isdigit(c->input.p[j]) && v < UINT64_MAX / 10)
        v = v * 10 + (uint64_t)(c->input.p[j++] - '0');
      if ((dlim && v > dlim) != (slim && v > slim)) {
        snprintf(why, n, "SIZE=%llu is over the limit on one side only "
                         "(dialog %llu, server %llu)",
                 (unsigned long long)v, (unsigned long long)dlim,
                 (unsigned long long)slim);
        return 1;
      }
    }
  }
  return 0;
}
/* The first client line names EHLO (after the greeting). */
int probe_case_ehlo(const dialog *c) {
  return c->input.len >= 5 && !strncasecmp((const char *)c->input.p, "EHLO", 4) &&
         (c->input.p[4] == ' ' || c->input.p[4] == '\r');
}
