/*
 * dialog.c - see dialog.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "dialog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Buffers                                                              */
/* ------------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fprintf(stderr, "out of memory\n");
    abort();
  }
  return q;
}

void dlg_buf_add(dlg_buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = 0;
}

void dlg_buf_addc(dlg_buf *b, int c) {
  unsigned char ch = (unsigned char)c;
  dlg_buf_add(b, &ch, 1);
}

void dlg_buf_addf(dlg_buf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    dlg_buf_add(b, tmp, (size_t)n);
    return;
  }
  char *big = xrealloc(NULL, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  dlg_buf_add(b, big, (size_t)n);
  free(big);
}

void dlg_print(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fflush(stdout);
}

void dlg_buf_add_escaped(dlg_buf *b, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    switch (c) {
    case '\r': dlg_buf_add(b, "\\r", 2); break;
    case '\n': dlg_buf_add(b, "\\n", 2); break;
    case '\t': dlg_buf_add(b, "\\t", 2); break;
    case '\\': dlg_buf_add(b, "\\\\", 2); break;
    case '"': dlg_buf_add(b, "\\\"", 2); break;
    default:
      if (c >= 32 && c < 127)
        dlg_buf_addc(b, c);
      else
        dlg_buf_addf(b, "\\x%02X", c);
    }
  }
}

const char *dlg_buf_str(dlg_buf *b) {
  if (!b->p) dlg_buf_add(b, "", 0);
  return (const char *)b->p;
}

void dlg_buf_free(dlg_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Replies                                                              */
/* ------------------------------------------------------------------ */

/* Enhanced status code "c.s.d" at p (RFC 3463: class 2/4/5, 1-3 digits,
 * 1-3 digits) followed by SP or the end.  Returns its length or 0. */
static size_t enh_len(const unsigned char *p, size_t n) {
  size_t i = 0, k;
  if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
    return 0;
  i = 2;
  for (k = 0; i < n && k < 4 && isdigit(p[i]); i++, k++) {}
  if (k < 1 || k > 3 || i >= n || p[i] != '.') return 0;
  i++;
  for (k = 0; i < n && k < 4 && isdigit(p[i]); i++, k++) {}
  if (k < 1 || k > 3) return 0;
  if (i < n && p[i] != ' ') return 0;
  return i;
}

size_t dlg_parse_replies(const unsigned char *p, size_t len, dlg_reply **out,
                         size_t *nout, dlg_buf *errs) {
  size_t nerr = 0, pos = 0, lineno = 0;
  size_t n = 0, cap = 0;
  dlg_reply *list = NULL;
  int open = 0; /* inside a multi-line reply */
  int open_code = 0, open_lines = 0;
#define VIOL(...)                                                        \
  do {                                                                   \
    nerr++;                                                              \
    if (errs) {                                                          \
      dlg_buf_addf(errs, "reply line %zu (offset %zu): ", lineno, pos);  \
      dlg_buf_addf(errs, __VA_ARGS__);                                   \
      dlg_buf_addc(errs, '\n');                                          \
    }                                                                    \
  } while (0)
  while (pos < len) {
    lineno++;
    const unsigned char *lf = memchr(p + pos, '\n', len - pos);
    size_t end = lf ? (size_t)(lf - p) + 1 : len; /* one past the line */
    size_t llen = end - pos;
    const unsigned char *l = p + pos;
    size_t body = llen; /* octets before CRLF */
    if (!lf) {
      VIOL("no CRLF at the end of the stream (%zu octets left)", llen);
    } else if (llen < 2 || l[llen - 2] != '\r') {
      VIOL("line ends in a bare LF");
      body = llen - 1;
    } else {
      body = llen - 2;
    }
    if (llen > 512) VIOL("line is %zu octets long (> 512 with CRLF)", llen);
    for (size_t i = 0; i < body; i++) {
      if (l[i] < 32 || l[i] > 126) {
        VIOL("non-printable octet 0x%02X at column %zu", l[i], i);
        break;
      }
    }
    int code = 0, ok = 1;
    if (body < 4 || l[0] < '2' || l[0] > '5' || !isdigit(l[1]) ||
        !isdigit(l[2]) || (l[3] != ' ' && l[3] != '-')) {
      VIOL("not \"[2-5]DD SP\" or \"[2-5]DD-\": \"%.*s\"",
           (int)(body > 40 ? 40 : body), (const char *)l);
      ok = 0;
    }
    if (body >= 3 && isdigit(l[0]) && isdigit(l[1]) && isdigit(l[2]))
      code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    int more = ok && l[3] == '-';
    if (open && code != open_code)
      VIOL("continuation line has code %d, reply started with %d", code,
           open_code);
    if (!open) {
      open_code = code;
      open_lines = 0;
    }
    open_lines++;
    if (more) {
      open = 1;
    } else {
      if (n == cap) {
        cap = cap ? cap * 2 : 16;
        list = xrealloc(list, cap * sizeof *list);
      }
      dlg_reply *r = &list[n++];
      memset(r, 0, sizeof *r);
      r->code = open ? open_code : code;
      r->lines = open_lines;
      if (body > 4) {
        size_t el = enh_len(l + 4, body - 4);
        if (el && el < sizeof r->enh) memcpy(r->enh, l + 4, el);
      }
      open = 0;
    }
    pos = end;
  }
  if (open) {
    VIOL("the stream ends inside a multi-line reply (code %d)", open_code);
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      list = xrealloc(list, cap * sizeof *list);
    }
    memset(&list[n], 0, sizeof list[n]);
    list[n].code = open_code;
    list[n].lines = open_lines;
    n++;
  }
#undef VIOL
  if (out)
    *out = list;
  else
    free(list);
  if (nout) *nout = n;
  return nerr;
}

void dlg_reply_fmt(dlg_buf *b, const dlg_reply *r) {
  dlg_buf_addf(b, "%d", r->code);
  if (r->enh[0]) dlg_buf_addf(b, " %s", r->enh);
  if (r->lines > 1) dlg_buf_addf(b, " (%d lines)", r->lines);
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */
/* ------------------------------------------------------------------ */

static const struct {
  const char *name;
  unsigned bit;
} policy_names[] = {
    {"reject-mail", DLG_POL_REJECT_MAIL},
    {"reject-rcpt", DLG_POL_REJECT_RCPT},
    {"reject-message", DLG_POL_REJECT_MESSAGE},
    {"auth", DLG_POL_AUTH},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int dlg_unescape(const char *s, dlg_buf *out) {
  for (; *s; s++) {
    if (*s != '\\') {
      dlg_buf_addc(out, *s);
      continue;
    }
    s++;
    switch (*s) {
    case 'r': dlg_buf_addc(out, '\r'); break;
    case 'n': dlg_buf_addc(out, '\n'); break;
    case 't': dlg_buf_addc(out, '\t'); break;
    case '0': dlg_buf_addc(out, 0); break;
    case '\\': dlg_buf_addc(out, '\\'); break;
    case 'x': {
      int v = 0;
      for (int i = 0; i < 2; i++) {
        char c = s[1];
        int h;
        if (c >= '0' && c <= '9') h = c - '0';
        else if (c >= 'a' && c <= 'f') h = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') h = c - 'A' + 10;
        else return -1;
        v = v * 16 + h;
        s++;
      }
      dlg_buf_addc(out, v);
      break;
    }
    default:
      return -1;
    }
  }
  return 0;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
  return s;
}

static int parse_u64(const char *s, uint64_t *v) {
  if (!*s) return -1;
  uint64_t x = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s)) return -1;
    if (x > (UINT64_MAX - 9) / 10) return -1;
    x = x * 10 + (uint64_t)(*s - '0');
  }
  *v = x;
  return 0;
}

static void add_serve_arg(dialog *d, const char *a) {
  if (d->nserve_args + 1 >= NELEM(d->serve_args)) {
    d->serve_ok = 0;
    snprintf(d->serve_why, sizeof d->serve_why, "too many flags");
    return;
  }
  d->serve_args[d->nserve_args++] = strdup(a);
}

static void comment_line(dialog *d, char *s) {
  /* A comment line may hold several "# key: value" parts. */
  char *part = s;
  while (part) {
    char *next = strchr(part + 1, '#');
    if (next) *next = 0;
    char *t = trim(part[0] == '#' ? part + 1 : part);
    char *v;
    if (!strncmp(t, "title:", 6)) {
      v = trim(t + 6);
      snprintf(d->title, sizeof d->title, "%s", v);
      d->has_title = 1;
    } else if (!strncmp(t, "rfc:", 4)) {
      v = trim(t + 4);
      snprintf(d->rfc, sizeof d->rfc, "%s", v);
      d->has_rfc = *v != 0;
    } else if (!strncmp(t, "level:", 6)) {
      v = trim(t + 6);
      snprintf(d->level, sizeof d->level, "%s", v);
      d->has_level = *v != 0;
    }
    part = next;
    if (part) *part = '#';
  }
}

static int directive(dialog *d, char *s, char *err, size_t errlen) {
  char *save = NULL;
  char *kw = strtok_r(s, " \t", &save);
  if (!kw) {
    snprintf(err, errlen, "empty directive");
    return -1;
  }
  char *arg;
  int any = 0;
  if (!strcmp(kw, "ext")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      int on = 1;
      if (*arg == '+' || *arg == '-') on = *arg++ == '+';
      uint32_t bit = smtpp_ext_bit(arg);
      if (bit == 0) {
        snprintf(err, errlen, "unknown extension \"%s\"", arg);
        return -1;
      }
      if (on)
        d->cfg.extensions |= bit;
      else
        d->cfg.extensions &= ~bit;
      add_serve_arg(d, on ? "--ext" : "--no-ext");
      add_serve_arg(d, smtpp_ext_name(bit));
      any = 1;
    }
  } else if (!strcmp(kw, "lenient")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      uint32_t bit = smtpp_lenient_bit(arg);
      if (bit == 0) {
        snprintf(err, errlen, "unknown leniency \"%s\"", arg);
        return -1;
      }
      d->cfg.lenient |= bit;
      add_serve_arg(d, "--lenient");
      add_serve_arg(d, smtpp_lenient_name(bit));
      any = 1;
    }
  } else if (!strcmp(kw, "policy")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      size_t i;
      for (i = 0; i < NELEM(policy_names); i++)
        if (!strcasecmp(arg, policy_names[i].name)) break;
      if (i == NELEM(policy_names)) {
        snprintf(err, errlen, "unknown policy \"%s\"", arg);
        return -1;
      }
      d->policy |= policy_names[i].bit;
      any = 1;
    }
    d->serve_ok = 0;
    snprintf(d->serve_why, sizeof d->serve_why, "! policy");
  } else if (!strcmp(kw, "size") || !strcmp(kw, "max-rcpt") ||
             !strcmp(kw, "max-errors")) {
    uint64_t v;
    arg = strtok_r(NULL, " \t", &save);
    if (!arg || parse_u64(arg, &v) || strtok_r(NULL, " \t", &save)) {
      snprintf(err, errlen, "! %s wants one number", kw);
      return -1;
    }
    if (!strcmp(kw, "size")) {
      d->cfg.max_message_size = v;
      add_serve_arg(d, "--size");
    } else if (v > UINT32_MAX) {
      snprintf(err, errlen, "! %s: number too large", kw);
      return -1;
    } else if (!strcmp(kw, "max-rcpt")) {
      d->cfg.max_recipients = (uint32_t)v;
      add_serve_arg(d, "--max-rcpt");
    } else {
      d->cfg.max_errors = (uint32_t)v;
      add_serve_arg(d, "--max-errors");
    }
    add_serve_arg(d, arg);
    any = 1;
  } else {
    snprintf(err, errlen, "unknown directive \"! %s\"", kw);
    return -1;
  }
  if (!any) {
    snprintf(err, errlen, "\"! %s\" without a value", kw);
    return -1;
  }
  return 0;
}

static int expect_line(dialog *d, char *s, char *err, size_t errlen) {
  dlg_reply r;
  memset(&r, 0, sizeof r);
  s = trim(s);
  if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
      !isdigit((unsigned char)s[2]) || (s[3] && s[3] != ' ' && s[3] != '\t')) {
    snprintf(err, errlen, "S: wants a 3-digit code, got \"%s\"", s);
    return -1;
  }
  r.code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  char *t = trim(s + 3);
  if (*t) {
    char tok[32];
    size_t k = strcspn(t, " \t");
    if (k >= sizeof tok) k = sizeof tok - 1;
    memcpy(tok, t, k);
    tok[k] = 0;
    char *e = tok;
    size_t el = strlen(e);
    if (e[0] == '[' && el > 2 && e[el - 1] == ']') {
      e[el - 1] = 0;
      e++;
    }
    size_t got = enh_len((const unsigned char *)e, strlen(e));
    if (strcmp(e, "-") == 0) {
      /* "S: 250 -": the reply must carry NO enhanced code (RFC 2034 3) */
      snprintf(r.enh, sizeof r.enh, "-");
    } else if (got && got == strlen(e)) {
      snprintf(r.enh, sizeof r.enh, "%s", e);
    } else if (isdigit((unsigned char)e[0])) {
      snprintf(err, errlen, "S: malformed enhanced code \"%s\"", tok);
      return -1;
    }
    /* any further text is a note for the reader */
  }
  d->expect = xrealloc(d->expect, (d->nexpect + 1) * sizeof *d->expect);
  d->expect_pos =
      xrealloc(d->expect_pos, (d->nexpect + 1) * sizeof *d->expect_pos);
  d->expect[d->nexpect] = r;
  d->expect_pos[d->nexpect] = d->input.len;
  d->nexpect++;
  return 0;
}

int dlg_load(dialog *d, const char *path) {
  memset(d, 0, sizeof *d);
  d->path = strdup(path);
  const char *slash = strrchr(d->path, '/');
  d->name = slash ? slash + 1 : d->path;
  smtpp_config_default(&d->cfg);
  d->serve_ok = 1;

  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(d->error, sizeof d->error, "%s: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  unsigned lineno = 0;
  char err[400];
  int rc = 0;
  err[0] = 0;
  while ((got = getline(&line, &cap, f)) >= 0) {
    lineno++;
    size_t n = (size_t)got;
    if (n && line[n - 1] == '\n') line[--n] = 0;
    if (n && line[n - 1] == '\r') line[--n] = 0;
    if (memchr(line, 0, n)) {
      snprintf(err, sizeof err, "NUL byte in the file");
      rc = -1;
      break;
    }
    char *s = line;
    if (d->expect_closed && (s[0] == 'S' || s[0] == 'B') && s[1] == ':') {
      snprintf(err, sizeof err, "%c: after X:", s[0]);
      rc = -1;
      break;
    }
    if (s[0] == '#') {
      comment_line(d, s);
    } else if (s[0] == 0 || strspn(s, " \t") == n) {
      continue;
    } else if (s[0] == '!') {
      if (directive(d, s + 1, err, sizeof err)) {
        rc = -1;
        break;
      }
    } else if (s[1] == ':' && strchr("SCRBTX", s[0])) {
      char *v = s + 2;
      /* exactly one SP separates the tag from the text */
      if (*v == ' ') v++;
      switch (s[0]) {
      case 'S':
        if (expect_line(d, v, err, sizeof err)) rc = -1;
        break;
      case 'C':
        dlg_buf_add(&d->input, v, strlen(v));
        dlg_buf_add(&d->input, "\r\n", 2);
        break;
      case 'R':
        if (dlg_unescape(v, &d->input)) {
          snprintf(err, sizeof err, "bad escape in R: line");
          rc = -1;
        }
        break;
      case 'B': {
        d->bodies = xrealloc(d->bodies, (d->nbodies + 1) * sizeof *d->bodies);
        dlg_buf *b = &d->bodies[d->nbodies++];
        memset(b, 0, sizeof *b);
        dlg_buf_add(b, "", 0);
        if (dlg_unescape(v, b)) {
          snprintf(err, sizeof err, "bad escape in B: line");
          rc = -1;
        }
        break;
      }
      case 'T': {
        char *t = trim(v);
        int ok;
        if (!strcmp(t, "ok"))
          ok = 1;
        else if (!strcmp(t, "fail"))
          ok = 0;
        else {
          snprintf(err, sizeof err, "T: wants ok or fail, got \"%s\"", t);
          rc = -1;
          break;
        }
        d->barriers =
            xrealloc(d->barriers, (d->nbarriers + 1) * sizeof *d->barriers);
        d->barriers[d->nbarriers].off = d->input.len;
        d->barriers[d->nbarriers].ok = ok;
        d->nbarriers++;
        d->serve_ok = 0;
        snprintf(d->serve_why, sizeof d->serve_why, "T: barrier");
        break;
      }
      case 'X':
        if (*trim(v)) {
          snprintf(err, sizeof err, "X: takes no text");
          rc = -1;
          break;
        }
        d->expect_closed = 1;
        d->closed_after = d->nexpect;
        d->closed_pos = d->input.len;
        break;
      }
      if (rc) break;
    } else {
      snprintf(err, sizeof err, "unknown line \"%.60s\"", s);
      rc = -1;
      break;
    }
  }
  free(line);
  fclose(f);
  if (rc)
    snprintf(d->error, sizeof d->error, "%s:%u: %s", d->name, lineno, err);
  if (!d->input.p) dlg_buf_add(&d->input, "", 0);
  return rc;
}

void dlg_free(dialog *d) {
  free(d->path);
  dlg_buf_free(&d->input);
  free(d->barriers);
  free(d->expect);
  free(d->expect_pos);
  for (size_t i = 0; i < d->nbodies; i++) dlg_buf_free(&d->bodies[i]);
  free(d->bodies);
  for (size_t i = 0; i < d->nserve_args; i++) free(d->serve_args[i]);
  memset(d, 0, sizeof *d);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

long dlg_list(const char *dir, char ***out) {
  DIR *dp = opendir(dir);
  if (!dp) return -1;
  struct dirent *de;
  char **list = NULL;
  long n = 0;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l <= 7 || strcmp(de->d_name + l - 7, ".dialog") != 0) continue;
    if (de->d_name[0] == '.') continue;
    list = xrealloc(list, (size_t)(n + 1) * sizeof *list);
    size_t pl = strlen(dir) + l + 2;
    list[n] = xrealloc(NULL, pl);
    snprintf(list[n], pl, "%s/%s", dir, de->d_name);
    n++;
  }
  closedir(dp);
  if (n) qsort(list, (size_t)n, sizeof *list, cmp_str);
  *out = list;
  return n;
}

void dlg_free_list(char **list, long n) {
  for (long i = 0; i < n; i++) free(list[i]);
  free(list);
}

/* ------------------------------------------------------------------ */
/* Running                                                              */
/* ------------------------------------------------------------------ */

static const char *ev_name(int t) {
  switch (t) {
  case SMTPP_EV_NONE: return "NONE";
  case SMTPP_EV_COMMAND: return "COMMAND";
  case SMTPP_EV_PROTOCOL_ERROR: return "PROTOCOL_ERROR";
  case SMTPP_EV_BODY: return "BODY";
  case SMTPP_EV_MESSAGE_END: return "MESSAGE_END";
  case SMTPP_EV_STARTTLS: return "STARTTLS";
  case SMTPP_EV_AUTH_RESPONSE: return "AUTH_RESPONSE";
  case SMTPP_EV_CLOSE: return "CLOSE";
  default: return "?";
  }
}

static void add_slice(dlg_buf *b, const char *name, smtpp_slice sl) {
  if (!sl.p) {
    if (sl.len) dlg_buf_addf(b, " %s=NULL+%zu", name, sl.len);
    return;
  }
  dlg_buf_addf(b, " %s=\"", name);
  dlg_buf_add_escaped(b, sl.p, sl.len);
  dlg_buf_addc(b, '"');
}

static int slice_eq(smtpp_slice sl, const char *s) {
  size_t n = strlen(s);
  return sl.p && sl.len == n && memcmp(sl.p, s, n) == 0;
}

static int slice_ieq(smtpp_slice sl, const char *s) {
  size_t n = strlen(s);
  if (!sl.p || sl.len != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (tolower(sl.p[i]) != tolower((unsigned char)s[i])) return 0;
  return 1;
}

static int slice_prefix_ci(smtpp_slice sl, const char *s) {
  size_t n = strlen(s);
  if (!sl.p || sl.len < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (tolower(sl.p[i]) != tolower((unsigned char)s[i])) return 0;
  return 1;
}

static int mem_has(const dlg_buf *b, const char *needle) {
  size_t n = strlen(needle);
  if (b->len < n) return 0;
  for (size_t i = 0; i + n <= b->len; i++)
    if (!memcmp(b->p + i, needle, n)) return 1;
  return 0;
}

typedef struct run_ctx {
  const dialog *d;
  const dlg_opts *o;
  dlg_result *r;
  smtpp_session s;
  dlg_buf body;      /* body of the current message */
  int have_body;     /* a BODY event came since the last message end */
} run_ctx;

static void viol(run_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void viol(run_ctx *c, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  /* keep the list short: the first few are what matters */
  if (c->r->errors.len < 4000) dlg_buf_addf(&c->r->errors, "%s\n", tmp);
}

static void drain(run_ctx *c) {
  for (unsigned guard = 0; guard < 100000; guard++) {
    size_t n = 0;
    const unsigned char *p = smtpp_out_buf(&c->s, &n);
    if (n == 0) return;
    if (!p) {
      viol(c, "smtpp_out_buf returned NULL with len %zu", n);
      return;
    }
    if (n > SMTPP_OUT_MAX) {
      viol(c, "smtpp_out_buf returned len %zu > SMTPP_OUT_MAX", n);
      return;
    }
    size_t take = n;
    if (c->o && c->o->ack_step && take > c->o->ack_step) take = c->o->ack_step;
    dlg_buf_add(&c->r->replies, p, take);
    smtpp_out_ack(&c->s, take);
  }
  viol(c, "smtpp_out_buf never ran dry");
}

static void decide(run_ctx *c, const smtpp_event *ev, int code,
                   const char *enh, const char *text) {
  if (!(ev->flags & SMTPP_EVF_DECIDABLE))
    viol(c, "policy wanted to decide %s %s, but the event is not DECIDABLE",
         ev_name(ev->type), smtpp_verb_name(ev->verb));
  int rc = smtpp_decide(&c->s, code, enh, text);
  dlg_buf_addf(&c->r->events, "  DECIDE %d %s rc=%d\n", code,
               enh ? enh : "-", rc);
  if (rc < 0)
    viol(c, "smtpp_decide(%d, %s) on %s %s returned %d (%s)", code,
         enh ? enh : "NULL", ev_name(ev->type), smtpp_verb_name(ev->verb), rc,
         smtpp_err_name(rc));
}

static void apply_policy(run_ctx *c, const smtpp_event *ev) {
  unsigned pol = c->d->policy;
  if (!pol) return;
  if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_MAIL &&
      (pol & DLG_POL_REJECT_MAIL) && slice_prefix_ci(ev->local, "reject")) {
    decide(c, ev, 550, "5.1.0", NULL);
  } else if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_RCPT &&
             (pol & DLG_POL_REJECT_RCPT) &&
             slice_prefix_ci(ev->local, "reject")) {
    decide(c, ev, 550, "5.1.1", NULL);
  } else if (ev->type == SMTPP_EV_MESSAGE_END && !ev->error &&
             (pol & DLG_POL_REJECT_MESSAGE) && mem_has(&c->body, "REJECT")) {
    decide(c, ev, 554, "5.6.0", NULL);
  } else if (ev->type == SMTPP_EV_COMMAND && ev->verb == SMTPP_VERB_AUTH &&
             (pol & DLG_POL_AUTH)) {
    if (slice_ieq(ev->arg, "PLAIN") &&
        slice_eq(ev->initial, "AHVzZXIAcGFzcw=="))
      decide(c, ev, 235, "2.7.0", NULL);
    else if (slice_ieq(ev->arg, "PLAIN") && ev->initial.len == 0)
      decide(c, ev, 334, NULL, "");
    else
      decide(c, ev, 535, "5.7.8", NULL);
  } else if (ev->type == SMTPP_EV_AUTH_RESPONSE && (pol & DLG_POL_AUTH)) {
    if (slice_eq(ev->arg, "*") && !(ev->flags & SMTPP_EVF_DECIDABLE))
      return; /* cancel: the parser answers it */
    if (slice_eq(ev->arg, "AHVzZXIAcGFzcw=="))
      decide(c, ev, 235, "2.7.0", NULL);
    else
      decide(c, ev, 535, "5.7.8", NULL);
  }
}

static void log_event(run_ctx *c, const smtpp_event *ev) {
  dlg_buf *b = &c->r->events;
  if (ev->type == SMTPP_EV_BODY) {
    if (ev->arg.len && !ev->arg.p) {
      viol(c, "BODY event with NULL data and len %zu", ev->arg.len);
      return;
    }
    dlg_buf_add(&c->body, ev->arg.p, ev->arg.len);
    c->have_body = 1;
    return;
  }
  if (ev->type == SMTPP_EV_COMMAND &&
      (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RSET ||
       ev->verb == SMTPP_VERB_HELO || ev->verb == SMTPP_VERB_EHLO) &&
      c->have_body) {
    /* a body that never reached MESSAGE_END (e.g. BDAT then RSET) */
    dlg_buf_add(b, "  UNENDED-BODY \"", 16);
    dlg_buf_add_escaped(b, c->body.p, c->body.len);
    dlg_buf_add(b, "\"\n", 2);
    c->body.len = 0;
    c->have_body = 0;
  }
  dlg_buf_addf(b, "%s", ev_name(ev->type));
  if (ev->type == SMTPP_EV_COMMAND || ev->type == SMTPP_EV_PROTOCOL_ERROR ||
      ev->verb)
    dlg_buf_addf(b, " %s", ev->verb ? smtpp_verb_name(ev->verb) : "-");
  if (ev->error)
    dlg_buf_addf(b, " error=%s", smtpp_err_name(ev->error));
  uint32_t fl = ev->flags & ~(uint32_t)SMTPP_EVF_INPUT_PENDING;
  if (fl) dlg_buf_addf(b, " flags=0x%x", fl);
  add_slice(b, "arg", ev->arg);
  add_slice(b, "path", ev->path);
  add_slice(b, "local", ev->local);
  add_slice(b, "domain", ev->domain);
  add_slice(b, "initial", ev->initial);
  if (ev->chunk_size) dlg_buf_addf(b, " chunk=%llu",
                                   (unsigned long long)ev->chunk_size);
  if (ev->type == SMTPP_EV_MESSAGE_END)
    dlg_buf_addf(b, " size=%llu", (unsigned long long)ev->message_size);
  const smtpp_params *pr = &ev->params;
  if (ev->type == SMTPP_EV_COMMAND &&
      (ev->verb == SMTPP_VERB_MAIL || ev->verb == SMTPP_VERB_RCPT)) {
    if (pr->has_size)
      dlg_buf_addf(b, " SIZE=%llu", (unsigned long long)pr->size);
    if (pr->body) dlg_buf_addf(b, " BODY=%u", pr->body);
    if (pr->smtputf8) dlg_buf_addf(b, " SMTPUTF8");
    if (pr->ret) dlg_buf_addf(b, " RET=%u", pr->ret);
    if (pr->notify) dlg_buf_addf(b, " NOTIFY=%u", pr->notify);
    add_slice(b, "ENVID", pr->envid);
    add_slice(b, "ORCPT-type", pr->orcpt_type);
    add_slice(b, "ORCPT", pr->orcpt);
    add_slice(b, "AUTH", pr->auth);
  }
  if (ev->type == SMTPP_EV_MESSAGE_END) {
    dlg_buf_add(b, " body=\"", 7);
    dlg_buf_add_escaped(b, c->body.p, c->body.len);
    dlg_buf_addc(b, '"');
  }
  dlg_buf_addc(b, '\n');
}

static void message_end(run_ctx *c) {
  dlg_result *r = c->r;
  r->bodies = xrealloc(r->bodies, (r->nbodies + 1) * sizeof *r->bodies);
  dlg_buf *nb = &r->bodies[r->nbodies++];
  memset(nb, 0, sizeof *nb);
  dlg_buf_add(nb, c->body.p, c->body.len);
  c->body.len = 0;
  c->have_body = 0;
}

static void note_close(run_ctx *c, size_t pos) {
  if (!c->r->closed) {
    c->r->closed = 1;
    drain(c);
    c->r->closed_at = c->r->replies.len;
    c->r->closed_pos = pos;
  }
}

/* Feeds one chunk [p, p + len) until every byte is consumed. */
static void feed_chunk(run_ctx *c, const unsigned char *p, size_t len,
                       size_t base) {
  size_t off = 0;
  unsigned stuck = 0;
  const dlg_opts *o = c->o;
  for (;;) {
    smtpp_event ev;
    size_t consumed = (size_t)-1;
    memset(&ev, 0, sizeof ev);
    size_t before_out = c->r->replies.len;
    int rc = smtpp_feed(&c->s, p + off, len - off, &consumed,
                        (o && o->null_ev) ? NULL : &ev);
    if (consumed > len - off) {
      viol(c, "smtpp_feed consumed %zu of %zu octets", consumed, len - off);
      return;
    }
    if (c->r->closed) {
      /* after the close nothing is read and nothing happens */
      if (rc != SMTPP_CLOSED && rc != -SMTPP_ERR_CLOSED)
        viol(c, "smtpp_feed after close returned %d", rc);
      if (consumed && rc == SMTPP_CLOSED) {
        /* consuming is allowed (discarding), but no output may follow */
      }
      size_t had = c->r->replies.len;
      drain(c);
      if (c->r->replies.len != had) viol(c, "replies written after close");
      return;
    }
    off += consumed;
    switch (rc) {
    case SMTPP_NEED_MORE:
      if (off != len)
        viol(c, "SMTPP_NEED_MORE with %zu octets unconsumed", len - off);
      return;
    case SMTPP_EVENT:
      if (!(o && o->null_ev)) {
        log_event(c, &ev);
        apply_policy(c, &ev);
        /* no policy for this event: the parser's defaults */
        if ((ev.flags & SMTPP_EVF_DECIDABLE) &&
            smtpp_decision_pending(&c->s) == 1)
          (void)smtpp_decide_default(&c->s);
        if (ev.type == SMTPP_EV_MESSAGE_END) message_end(c);
        if (ev.type == SMTPP_EV_NONE) viol(c, "SMTPP_EVENT with EV_NONE");
      }
      stuck = 0;
      break;
    case SMTPP_WANT_WRITE:
      drain(c);
      if (consumed == 0 && c->r->replies.len == before_out) {
        if (++stuck > 3) {
          viol(c, "SMTPP_WANT_WRITE without progress at offset %zu",
               base + off);
          return;
        }
      } else {
        stuck = 0;
      }
      break;
    case SMTPP_CLOSED:
      note_close(c, base + off);
      if (smtpp_get_state(&c->s) != SMTPP_ST_CLOSED)
        viol(c, "SMTPP_CLOSED but smtpp_state() = %s",
             smtpp_state_name(smtpp_get_state(&c->s)));
      return;
    default:
      viol(c, "smtpp_feed returned %d (%s) at offset %zu", rc,
           rc < 0 ? smtpp_err_name(rc) : "?", base + off);
      return;
    }
  }
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

int dlg_run(const dialog *d, const size_t *cuts, size_t ncuts,
            const dlg_opts *o, dlg_result *r) {
  memset(r, 0, sizeof *r);
  dlg_buf_add(&r->replies, "", 0);
  dlg_buf_add(&r->events, "", 0);
  dlg_buf_add(&r->errors, "", 0);
  run_ctx *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->d = d;
  c->o = o;
  c->r = r;
  dlg_buf_add(&c->body, "", 0);

  int rc = smtpp_init(&c->s, &d->cfg);
  if (rc < 0) {
    viol(c, "smtpp_init returned %d (%s)", rc, smtpp_err_name(rc));
    dlg_buf_free(&c->body);
    free(c);
    return -1;
  }

  /* Boundaries: 0, the cuts, the barriers, len. */
  size_t len = d->input.len;
  size_t nb = 0;
  size_t *bd = xrealloc(NULL, (ncuts + d->nbarriers + 2) * sizeof *bd);
  bd[nb++] = 0;
  for (size_t i = 0; i < ncuts; i++)
    if (cuts[i] > 0 && cuts[i] < len) bd[nb++] = cuts[i];
  for (size_t i = 0; i < d->nbarriers; i++)
    if (d->barriers[i].off > 0 && d->barriers[i].off < len)
      bd[nb++] = d->barriers[i].off;
  bd[nb++] = len;
  qsort(bd, nb, sizeof *bd, cmp_size);
  size_t u = 0;
  for (size_t i = 0; i < nb; i++)
    if (u == 0 || bd[i] != bd[u - 1]) bd[u++] = bd[i];
  nb = u;

  if (o && o->check_steps) {
    r->step_off = xrealloc(NULL, nb * sizeof *r->step_off);
    r->step_reply_len = xrealloc(NULL, nb * sizeof *r->step_reply_len);
  }

  size_t bi = 0; /* next barrier */
  for (size_t i = 0; i < nb; i++) {
    size_t at = bd[i];
    /* barriers at this offset */
    while (bi < d->nbarriers && d->barriers[bi].off <= at) {
      drain(c); /* the host sends the 220 before the handshake */
      if (!r->closed) {
        int trc = smtpp_tls_done(&c->s, d->barriers[bi].ok);
        dlg_buf_addf(&r->events, "TLS_DONE ok=%d rc=%d\n",
                     d->barriers[bi].ok, trc);
        if (smtpp_get_state(&c->s) == SMTPP_ST_CLOSED) note_close(c, at);
      }
      bi++;
    }
    if (o && o->check_steps) {
      drain(c);
      r->step_off[r->nsteps] = at;
      r->step_reply_len[r->nsteps] = r->replies.len;
      r->nsteps++;
    }
    if (i + 1 == nb) break;
    size_t clen = bd[i + 1] - at;
    const unsigned char *src = d->input.p + at;
    if (o && o->zero_feeds) {
      const unsigned char *z = o->place ? o->place(o->place_ctx, NULL, 0)
                                        : src;
      feed_chunk(c, z, 0, at);
    }
    const unsigned char *p = src;
    if (o && o->place) p = o->place(o->place_ctx, src, clen);
    feed_chunk(c, p, clen, at);
    if (o && o->drain_each) drain(c);
  }
  drain(c);
  if (c->have_body) {
    dlg_buf_add(&r->events, "  UNENDED-BODY \"", 16);
    dlg_buf_add_escaped(&r->events, c->body.p, c->body.len);
    dlg_buf_add(&r->events, "\"\n", 2);
  }
  r->final_state = smtpp_get_state(&c->s);
  if (r->closed && r->final_state != SMTPP_ST_CLOSED)
    viol(c, "closed, but the final state is %s",
         smtpp_state_name(r->final_state));
  free(bd);
  dlg_buf_free(&c->body);
  free(c);
  return 0;
}

void dlg_result_free(dlg_result *r) {
  dlg_buf_free(&r->replies);
  dlg_buf_free(&r->events);
  dlg_buf_free(&r->errors);
  for (size_t i = 0; i < r->nbodies; i++) dlg_buf_free(&r->bodies[i]);
  free(r->bodies);
  free(r->step_off);
  free(r->step_reply_len);
  memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ */
/* Checking                                                             */
/* ------------------------------------------------------------------ */

static int reply_match(const dlg_reply *want, const dlg_reply *got) {
  if (want->code != got->code) return 0;
  if (strcmp(want->enh, "-") == 0) return got->enh[0] == 0;
  if (want->enh[0] && strcmp(want->enh, got->enh) != 0) return 0;
  return 1;
}

int dlg_check_replies(const dialog *d, const unsigned char *p, size_t len,
                      dlg_buf *diff) {
  int bad = 0;
  dlg_reply *got = NULL;
  size_t ngot = 0;
  dlg_buf fmt = {0};
  size_t nviol = dlg_parse_replies(p, len, &got, &ngot, &fmt);
  if (nviol) {
    bad = 1;
    dlg_buf_addf(diff, "malformed reply lines (%zu):\n%s", nviol,
                 dlg_buf_str(&fmt));
  }
  int list_bad = ngot != d->nexpect;
  for (size_t i = 0; !list_bad && i < ngot; i++)
    if (!reply_match(&d->expect[i], &got[i])) list_bad = 1;
  if (list_bad) {
    bad = 1;
    dlg_buf_addf(diff, "reply list differs (expected %zu, got %zu):\n",
                 d->nexpect, ngot);
    dlg_buf_addf(diff, "   #  %-22s %-22s\n", "expected", "got");
    size_t n = ngot > d->nexpect ? ngot : d->nexpect;
    for (size_t i = 0; i < n; i++) {
      dlg_buf e = {0}, g = {0};
      if (i < d->nexpect) dlg_reply_fmt(&e, &d->expect[i]);
      else dlg_buf_add(&e, "-", 1);
      if (i < ngot) dlg_reply_fmt(&g, &got[i]);
      else dlg_buf_add(&g, "-", 1);
      int ok = i < d->nexpect && i < ngot && reply_match(&d->expect[i], &got[i]);
      dlg_buf_addf(diff, " %s %2zu  %-22s %-22s\n", ok ? " " : "*", i + 1,
                   dlg_buf_str(&e), dlg_buf_str(&g));
      dlg_buf_free(&e);
      dlg_buf_free(&g);
    }
    dlg_buf_add(diff, "reply stream: \"", 15);
    dlg_buf_add_escaped(diff, p, len);
    dlg_buf_add(diff, "\"\n", 2);
  }
  free(got);
  dlg_buf_free(&fmt);
  return bad ? -1 : 0;
}

int dlg_check(const dialog *d, const dlg_result *r, dlg_buf *diff) {
  int bad = dlg_check_replies(d, r->replies.p, r->replies.len, diff) != 0;
  if (r->errors.len) {
    bad = 1;
    dlg_buf_addf(diff, "API contract violations:\n%s",
                 (const char *)r->errors.p);
  }
  /* bodies */
  for (size_t i = 0; i < d->nbodies; i++) {
    if (i >= r->nbodies) {
      bad = 1;
      dlg_buf_addf(diff, "body %zu: expected \"", i + 1);
      dlg_buf_add_escaped(diff, d->bodies[i].p, d->bodies[i].len);
      dlg_buf_addf(diff, "\", but only %zu MESSAGE_END event(s)\n",
                   r->nbodies);
      break;
    }
    if (d->bodies[i].len != r->bodies[i].len ||
        memcmp(d->bodies[i].p, r->bodies[i].p, d->bodies[i].len) != 0) {
      bad = 1;
      dlg_buf_addf(diff, "body %zu differs:\n  expected \"", i + 1);
      dlg_buf_add_escaped(diff, d->bodies[i].p, d->bodies[i].len);
      dlg_buf_add(diff, "\"\n  got      \"", 14);
      dlg_buf_add_escaped(diff, r->bodies[i].p, r->bodies[i].len);
      dlg_buf_add(diff, "\"\n", 2);
    }
  }
  /* close */
  if (d->expect_closed) {
    if (!r->closed) {
      bad = 1;
      dlg_buf_addf(diff, "X: expected the session to be closed; it is not "
                         "(state %s)\n", smtpp_state_name(r->final_state));
    } else {
      dlg_reply *before = NULL;
      size_t nbefore = 0;
      dlg_parse_replies(r->replies.p, r->closed_at, &before, &nbefore, NULL);
      free(before);
      if (nbefore != d->closed_after) {
        bad = 1;
        dlg_buf_addf(diff, "X: expected the close after %zu replies, it came"
                           " after %zu\n", d->closed_after, nbefore);
      }
    }
  } else if (r->closed) {
    bad = 1;
    dlg_buf_addf(diff, "the session closed (after client octet %zu), but the"
                       " dialog has no X:\n", r->closed_pos);
  }
  return bad ? -1 : 0;
}

static size_t first_diff(const dlg_buf *a, const dlg_buf *b) {
  size_t n = a->len < b->len ? a->len : b->len, i;
  for (i = 0; i < n; i++)
    if (a->p[i] != b->p[i]) break;
  return i;
}

static void show_diff(dlg_buf *diff, const char *what, const dlg_buf *a,
                      const dlg_buf *b) {
  size_t at = first_diff(a, b);
  size_t from = at > 60 ? at - 60 : 0;
  dlg_buf_addf(diff, "%s differ at octet %zu (lengths %zu vs %zu):\n", what,
               at, a->len, b->len);
  dlg_buf_add(diff, "  whole: \"...", 13);
  dlg_buf_add_escaped(diff, a->p + from,
                      (a->len - from) > 200 ? 200 : a->len - from);
  dlg_buf_add(diff, "\"\n  split: \"...", 15);
  dlg_buf_add_escaped(diff, b->p + from,
                      (b->len - from) > 200 ? 200 : b->len - from);
  dlg_buf_add(diff, "\"\n", 2);
}

static int buf_eq(const dlg_buf *a, const dlg_buf *b) {
  return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

int dlg_compare_runs(const dlg_result *a, const dlg_result *b, dlg_buf *diff) {
  int bad = 0;
  if (!buf_eq(&a->replies, &b->replies)) {
    show_diff(diff, "reply bytes", &a->replies, &b->replies);
    bad = 1;
  }
  if (!buf_eq(&a->events, &b->events)) {
    show_diff(diff, "event logs", &a->events, &b->events);
    bad = 1;
  }
  if (a->nbodies != b->nbodies) {
    dlg_buf_addf(diff, "number of messages: %zu vs %zu\n", a->nbodies,
                 b->nbodies);
    bad = 1;
  } else {
    for (size_t i = 0; i < a->nbodies; i++)
      if (!buf_eq(&a->bodies[i], &b->bodies[i])) {
        char what[64];
        snprintf(what, sizeof what, "body %zu", i + 1);
        show_diff(diff, what, &a->bodies[i], &b->bodies[i]);
        bad = 1;
        break;
      }
  }
  if (a->closed != b->closed || a->closed_at != b->closed_at) {
    dlg_buf_addf(diff, "close: closed=%d at reply octet %zu vs closed=%d at "
                       "%zu\n", a->closed, a->closed_at, b->closed,
                 b->closed_at);
    bad = 1;
  }
  if (a->final_state != b->final_state) {
    dlg_buf_addf(diff, "final state %s vs %s\n",
                 smtpp_state_name(a->final_state),
                 smtpp_state_name(b->final_state));
    bad = 1;
  }
  if (!buf_eq(&a->errors, &b->errors)) {
    dlg_buf_addf(diff, "runner violations differ:\n whole: %s\n split: %s\n",
                 dlg_buf_str((dlg_buf *)&a->errors),
                 dlg_buf_str((dlg_buf *)&b->errors));
    bad = 1;
  }
  return bad ? -1 : 0;
}
