/*
 * dialogfile.c - see dialogfile.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "dialogfile.h"

#include "esc.h"
#include "replies.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
  const char *name;
  unsigned bit;
} policy_names[] = {
    {"reject-mail", DLG_POL_REJECT_MAIL},
    {"reject-rcpt", DLG_POL_REJECT_RCPT},
    {"reject-message", DLG_POL_REJECT_MESSAGE},
    {"auth", DLG_POL_AUTH},
};

/* The reader's state between lines. */
typedef struct reader {
  dialog *d;
  dlg_expect *open;  /* a multi-line S: reply still taking lines */
  char err[400];
} reader;

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = 0;
  return s;
}

static int parse_u64(const char *s, uint64_t *v) {
  if (!*s)
    return -1;
  uint64_t x = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s) || x > (UINT64_MAX - 9) / 10)
      return -1;
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
  d->serve_args[d->nserve_args++] = bb_strdup(a);
}

static void comment_line(dialog *d, char *s) {
  /* A comment line may hold several "# key: value" parts. */
  char *part = s;
  while (part) {
    char *next = strchr(part + 1, '#');
    if (next)
      *next = 0;
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
    if (part)
      *part = '#';
  }
}

static int directive(reader *rd, char *s) {
  dialog *d = rd->d;
  char *save = NULL, *arg;
  char *kw = strtok_r(s, " \t", &save);
  int any = 0;
  if (!kw) {
    snprintf(rd->err, sizeof rd->err, "empty directive");
    return -1;
  }
  if (!strcmp(kw, "ext")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      int on = 1;
      if (*arg == '+' || *arg == '-')
        on = *arg++ == '+';
      uint32_t bit = smtpp_ext_bit(arg);
      if (bit == 0) {
        snprintf(rd->err, sizeof rd->err, "unknown extension \"%s\"", arg);
        return -1;
      }
      if (on)
        d->cfg.extensions |= bit;
      else
        d->cfg.extensions &= ~bit;
      d->ext_set |= bit;
      add_serve_arg(d, on ? "--ext" : "--no-ext");
      add_serve_arg(d, smtpp_ext_name(bit));
      any = 1;
    }
  } else if (!strcmp(kw, "lenient")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      uint32_t bit = smtpp_lenient_bit(arg);
      if (bit == 0) {
        snprintf(rd->err, sizeof rd->err, "unknown leniency \"%s\"", arg);
        return -1;
      }
      d->cfg.lenient |= bit;
      d->set |= DLG_SET_LENIENT;
      add_serve_arg(d, "--lenient");
      add_serve_arg(d, smtpp_lenient_name(bit));
      any = 1;
    }
  } else if (!strcmp(kw, "policy")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      size_t i;
      for (i = 0; i < NELEM(policy_names); i++)
        if (!strcasecmp(arg, policy_names[i].name))
          break;
      if (i == NELEM(policy_names)) {
        snprintf(rd->err, sizeof rd->err, "unknown policy \"%s\"", arg);
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
      snprintf(rd->err, sizeof rd->err, "! %s wants one number", kw);
      return -1;
    }
    if (!strcmp(kw, "size")) {
      d->cfg.max_message_size = v;
      d->set |= DLG_SET_SIZE;
      add_serve_arg(d, "--size");
    } else if (v > UINT32_MAX) {
      snprintf(rd->err, sizeof rd->err, "! %s: number too large", kw);
      return -1;
    } else if (!strcmp(kw, "max-rcpt")) {
      d->cfg.max_recipients = (uint32_t)v;
      d->set |= DLG_SET_MAX_RCPT;
      add_serve_arg(d, "--max-rcpt");
    } else {
      d->cfg.max_errors = (uint32_t)v;
      d->set |= DLG_SET_MAX_ERRORS;
      add_serve_arg(d, "--max-errors");
    }
    add_serve_arg(d, arg);
    any = 1;
  } else {
    snprintf(rd->err, sizeof rd->err, "unknown directive \"! %s\"", kw);
    return -1;
  }
  if (!any) {
    snprintf(rd->err, sizeof rd->err, "\"! %s\" without a value", kw);
    return -1;
  }
  return 0;
}

static dlg_expect *new_expect(dialog *d, int code) {
  d->expect = bb_realloc(d->expect, (d->nexpect + 1) * sizeof *d->expect);
  dlg_expect *e = &d->expect[d->nexpect++];
  memset(e, 0, sizeof *e);
  e->code = code;
  e->pos = d->input.len;
  return e;
}

static void pin_line(dlg_expect *e, const char *text) {
  e->text = bb_realloc(e->text, (size_t)(e->lines + 1) * sizeof *e->text);
  e->text[e->lines++] = bb_strdup(text);
}

/* "S: ..." (s: the text after the tag's SP). */
static int expect_line(reader *rd, char *s) {
  dialog *d = rd->d;
  if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
      !isdigit((unsigned char)s[2]) ||
      (s[3] && s[3] != ' ' && s[3] != '\t' && s[3] != '-')) {
    snprintf(rd->err, sizeof rd->err, "S: wants a 3-digit code, got \"%s\"",
             s);
    return -1;
  }
  int code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  if (s[3] == '-' || rd->open) {
    /* a pinned line of a multi-line reply (RFC 5321 4.2.1) */
    if (rd->open && rd->open->code != code) {
      snprintf(rd->err, sizeof rd->err,
               "S: %d inside the multi-line %d reply", code, rd->open->code);
      return -1;
    }
    dlg_expect *e = rd->open ? rd->open : new_expect(d, code);
    pin_line(e, s[3] ? s + 4 : "");
    rd->open = s[3] == '-' ? e : NULL;
    return 0;
  }
  dlg_expect *e = new_expect(d, code);
  char *t = trim(s + 3);
  if (*t) {
    char tok[32];
    size_t k = strcspn(t, " \t");
    if (k >= sizeof tok)
      k = sizeof tok - 1;
    memcpy(tok, t, k);
    tok[k] = 0;
    char *en = tok;
    size_t el = strlen(en);
    if (en[0] == '[' && el > 2 && en[el - 1] == ']') {
      en[el - 1] = 0;
      en++;
    }
    size_t got = rs_enh_len((const unsigned char *)en, strlen(en));
    if (strcmp(en, "-") == 0) {
      /* "S: 250 -": the reply must carry NO enhanced code (RFC 2034 3) */
      snprintf(e->enh, sizeof e->enh, "-");
    } else if (got && got == strlen(en) && got < sizeof e->enh) {
      memcpy(e->enh, en, got + 1); /* at most "5.999.999" */
    } else if (isdigit((unsigned char)en[0])) {
      snprintf(rd->err, sizeof rd->err, "S: malformed enhanced code \"%s\"",
               tok);
      return -1;
    }
    /* any further text is a note for the reader */
  }
  return 0;
}

int dlg_event_normalise(char *s) {
  char *o = s, *open = NULL;
  int q = 0, sp = 0;
  bbuf dec = {0};
  while (*s == ' ' || *s == '\t')
    s++;
  for (; *s; s++) {
    if (q) {
      if (*s == '\\') {
        if (!s[1])
          return -1;
        *o++ = *s++;
      } else if (*s == '"') {
        q = 0;
        /* the quoted text must decode (esc.h) */
        bbuf_reset(&dec);
        if (esc_decode(open, (size_t)(o - open), &dec)) {
          bbuf_free(&dec);
          return -1;
        }
      }
      *o++ = *s;
      continue;
    }
    if (*s == ' ' || *s == '\t') {
      sp = 1;
      continue;
    }
    if (sp)
      *o++ = ' ';
    sp = 0;
    *o++ = *s;
    if (*s == '"') {
      q = 1;
      open = o;
    }
  }
  *o = 0;
  bbuf_free(&dec);
  return q ? -1 : 0;
}

/* "E: ..." */
static int event_line(reader *rd, char *s) {
  dialog *d = rd->d;
  if (dlg_event_normalise(s)) {
    snprintf(rd->err, sizeof rd->err, "E: unclosed quote or bad escape");
    return -1;
  }
  size_t k = strcspn(s, " ");
  int known = 0;
  for (int t = SMTPP_EV_COMMAND; t <= SMTPP_EV_CLOSE && !known; t++) {
    const char *nm = smtpp_event_name(t);
    known = t != SMTPP_EV_BODY && strlen(nm) == k && !strncmp(s, nm, k);
  }
  if (!known) {
    snprintf(rd->err, sizeof rd->err,
             "E: wants an event type (COMMAND, PROTOCOL_ERROR, MESSAGE_END,"
             " STARTTLS, AUTH_RESPONSE, CLOSE), got \"%.*s\"", (int)k, s);
    return -1;
  }
  d->events = bb_realloc(d->events, (d->nevents + 1) * sizeof *d->events);
  d->events[d->nevents++] = bb_strdup(s);
  return 0;
}

/* One non-comment, non-directive line "X: text". */
static int item(reader *rd, char tag, char *v) {
  dialog *d = rd->d;
  if (rd->open && tag != 'S') {
    snprintf(rd->err, sizeof rd->err,
             "%c: inside a multi-line S: reply (end it with \"S: %d text\")",
             tag, rd->open->code);
    return -1;
  }
  if (d->expect_closed && (tag == 'S' || tag == 'B')) {
    snprintf(rd->err, sizeof rd->err, "%c: after X:", tag);
    return -1;
  }
  switch (tag) {
  case 'S':
    return expect_line(rd, rd->open ? v : trim(v));
  case 'C':
    bbuf_add(&d->input, v, strlen(v));
    bbuf_add(&d->input, "\r\n", 2);
    return 0;
  case 'R':
    if (esc_decode(v, strlen(v), &d->input)) {
      snprintf(rd->err, sizeof rd->err, "bad escape in R: line");
      return -1;
    }
    return 0;
  case 'B': {
    d->bodies = bb_realloc(d->bodies, (d->nbodies + 1) * sizeof *d->bodies);
    bbuf *b = &d->bodies[d->nbodies++];
    memset(b, 0, sizeof *b);
    bbuf_add(b, "", 0);
    if (esc_decode(v, strlen(v), b)) {
      snprintf(rd->err, sizeof rd->err, "bad escape in B: line");
      return -1;
    }
    return 0;
  }
  case 'E':
    return event_line(rd, v);
  case 'T': {
    char *t = trim(v);
    int ok;
    if (!strcmp(t, "ok")) {
      ok = 1;
    } else if (!strcmp(t, "fail")) {
      ok = 0;
    } else {
      snprintf(rd->err, sizeof rd->err, "T: wants ok or fail, got \"%s\"", t);
      return -1;
    }
    d->barriers =
        bb_realloc(d->barriers, (d->nbarriers + 1) * sizeof *d->barriers);
    d->barriers[d->nbarriers].off = d->input.len;
    d->barriers[d->nbarriers].ok = ok;
    d->nbarriers++;
    d->serve_ok = 0;
    snprintf(d->serve_why, sizeof d->serve_why, "T: barrier");
    return 0;
  }
  case 'X':
    if (*trim(v)) {
      snprintf(rd->err, sizeof rd->err, "X: takes no text");
      return -1;
    }
    d->expect_closed = 1;
    d->closed_after = d->nexpect;
    d->closed_pos = d->input.len;
    return 0;
  }
  return -1;
}

int dlg_load(dialog *d, const char *path) {
  reader rd;
  memset(d, 0, sizeof *d);
  memset(&rd, 0, sizeof rd);
  rd.d = d;
  d->path = bb_strdup(path);
  const char *slash = strrchr(d->path, '/');
  d->name = slash ? slash + 1 : d->path;
  smtpp_config_default(&d->cfg);
  d->cfg.host_decides = 1; /* the dialog's policy decides (tests/dialog.c) */
  d->serve_ok = 1;
  bbuf_add(&d->input, "", 0);

  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(d->error, sizeof d->error, "%s: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  unsigned lineno = 0;
  int rc = 0;
  while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
    lineno++;
    size_t n = (size_t)got;
    if (n && line[n - 1] == '\n')
      line[--n] = 0;
    if (n && line[n - 1] == '\r')
      line[--n] = 0;
    char *s = line;
    if (memchr(s, 0, n)) {
      snprintf(rd.err, sizeof rd.err, "NUL byte in the file");
      rc = -1;
    } else if (s[0] == '#') {
      comment_line(d, s);
    } else if (strspn(s, " \t") == n) {
      continue;
    } else if (s[0] == '!') {
      rc = directive(&rd, s + 1);
    } else if (s[1] == ':' && strchr("SCRBETX", s[0])) {
      char *v = s + 2;
      if (*v == ' ') /* exactly one SP separates the tag from the text */
        v++;
      rc = item(&rd, s[0], v);
    } else {
      snprintf(rd.err, sizeof rd.err, "unknown line \"%.60s\"", s);
      rc = -1;
    }
  }
  free(line);
  fclose(f);
  if (rc == 0 && rd.open) {
    snprintf(rd.err, sizeof rd.err,
             "the file ends inside a multi-line S: %d reply", rd.open->code);
    rc = -1;
  }
  if (rc)
    snprintf(d->error, sizeof d->error, "%s:%u: %s", d->name, lineno, rd.err);
  return rc;
}

void dlg_free(dialog *d) {
  free(d->path);
  bbuf_free(&d->input);
  free(d->barriers);
  for (size_t i = 0; i < d->nexpect; i++) {
    for (int k = 0; k < d->expect[i].lines; k++)
      free(d->expect[i].text[k]);
    free(d->expect[i].text);
  }
  free(d->expect);
  for (size_t i = 0; i < d->nbodies; i++)
    bbuf_free(&d->bodies[i]);
  free(d->bodies);
  for (size_t i = 0; i < d->nevents; i++)
    free(d->events[i]);
  free(d->events);
  for (size_t i = 0; i < d->nserve_args; i++)
    free(d->serve_args[i]);
  memset(d, 0, sizeof *d);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

long dlg_list(const char *dir, char ***out) {
  DIR *dp = opendir(dir);
  if (!dp)
    return -1;
  struct dirent *de;
  char **list = NULL;
  long n = 0;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l <= 7 || strcmp(de->d_name + l - 7, ".dialog") != 0 ||
        de->d_name[0] == '.')
      continue;
    list = bb_realloc(list, (size_t)(n + 1) * sizeof *list);
    size_t pl = strlen(dir) + l + 2;
    list[n] = bb_realloc(NULL, pl);
    snprintf(list[n], pl, "%s/%s", dir, de->d_name);
    n++;
  }
  closedir(dp);
  if (n)
    qsort(list, (size_t)n, sizeof *list, cmp_str);
  *out = list;
  return n;
}

void dlg_free_list(char **list, long n) {
  for (long i = 0; i < n; i++)
    free(list[i]);
  free(list);
}
