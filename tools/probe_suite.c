/*
 * probe_suite.c - see probe_suite.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "probe_suite.h"

#include <smtpp/smtpp.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_INPUT (4u << 20) /* client bytes of one dialog */
#define MAX_EXPECT 100000


const char *psuite_ext_name(uint32_t bit) { return smtpp_ext_name(bit); }

static int add(pcase *c, const void *p, size_t n) {
  if (c->len + n > MAX_INPUT)
    return -1;
  if (c->len + n > c->cap) {
    size_t ncap = c->cap ? c->cap : 256;
    unsigned char *nb;
    while (ncap < c->len + n)
      ncap *= 2;
    nb = realloc(c->in, ncap);
    if (!nb)
      return -1;
    c->in = nb;
    c->cap = ncap;
  }
  memcpy(c->in + c->len, p, n);
  c->len += n;
  return 0;
}

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* R: escapes \r \n \t \0 \\ \xHH. */
static int add_escaped(pcase *c, const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '\\') {
      s++;
      switch (*s) {
      case 'r': ch = '\r'; break;
      case 'n': ch = '\n'; break;
      case 't': ch = '\t'; break;
      case '0': ch = 0; break;
      case '\\': ch = '\\'; break;
      case 'x': {
        int h1 = hexval(s[1]), h2 = h1 >= 0 ? hexval(s[2]) : -1;
        if (h1 < 0 || h2 < 0)
          return -1;
        ch = (unsigned char)(h1 * 16 + h2);
        s += 2;
        break;
      }
      default:
        return -1;
      }
    }
    if (add(c, &ch, 1) < 0)
      return -1;
  }
  return 0;
}

static char *trim(char *s) {
  size_t n;
  while (*s == ' ' || *s == '\t')
    s++;
  n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  return s;
}

static void comment(pcase *c, char *s) {
  char *part = s;
  while (part) {
    char *next = strchr(part + 1, '#');
    char *t;
    if (next)
      *next = '\0';
    t = trim(part[0] == '#' ? part + 1 : part);
    if (!strncmp(t, "title:", 6))
      snprintf(c->title, sizeof c->title, "%s", trim(t + 6));
    else if (!strncmp(t, "rfc:", 4))
      snprintf(c->rfc, sizeof c->rfc, "%s", trim(t + 4));
    else if (!strncmp(t, "level:", 6))
      snprintf(c->level, sizeof c->level, "%s", trim(t + 6));
    if (next)
      *next = '#';
    part = next;
  }
}

static int directive(pcase *c, char *s) {
  char *save = NULL, *kw = strtok_r(s, " \t", &save), *arg;
  if (!kw)
    return -1;
  if (!strcmp(kw, "ext")) {
    while ((arg = strtok_r(NULL, " \t", &save))) {
      int on = 1;
      if (*arg == '+' || *arg == '-')
        on = *arg++ == '+';
      uint32_t bit = smtpp_ext_bit(arg);
      if (bit == 0)
        return -1;
      c->ext_set |= bit;
      if (on)
        c->ext |= bit;
      else
        c->ext &= ~bit;
    }
    return 0;
  }
  if (!strcmp(kw, "lenient")) {
    c->has_lenient = 1;
    return 0;
  }
  if (!strcmp(kw, "policy")) {
    c->has_policy = 1;
    return 0;
  }
  if (!strcmp(kw, "size") || !strcmp(kw, "max-rcpt") ||
      !strcmp(kw, "max-errors")) {
    uint64_t v = 0;
    arg = strtok_r(NULL, " \t", &save);
    if (!arg || !*arg)
      return -1;
    for (const char *p = arg; *p; p++) {
      if (!isdigit((unsigned char)*p) || v > (UINT64_MAX - 9) / 10)
        return -1;
      v = v * 10 + (uint64_t)(*p - '0');
    }
    if (!strcmp(kw, "size")) {
      c->has_size = 1;
      c->size = v;
    } else if (!strcmp(kw, "max-rcpt")) {
      c->has_max_rcpt = 1;
    } else {
      c->has_max_errors = 1;
    }
    return 0;
  }
  return -1;
}

static int expect(pcase *c, char *s) {
  pexpect e;
  char *t;
  memset(&e, 0, sizeof e);
  s = trim(s);
  if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
      !isdigit((unsigned char)s[2]) || (s[3] && s[3] != ' ' && s[3] != '\t'))
    return -1;
  e.code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  t = trim(s + 3);
  if (*t) {
    size_t k = strcspn(t, " \t");
    if (*t == '[') {
      t++;
      k = strcspn(t, "] \t");
    }
    if (k > 0 && k < sizeof e.enh && isdigit((unsigned char)t[0]) &&
        t[1] == '.') {
      memcpy(e.enh, t, k);
      e.enh[k] = '\0';
    }
  }
  e.pos = c->len;
  if (c->nexp == c->expcap) {
    size_t ncap = c->expcap ? c->expcap * 2 : 16;
    pexpect *ne;
    if (ncap > MAX_EXPECT)
      return -1;
    ne = realloc(c->exp, ncap * sizeof *ne);
    if (!ne)
      return -1;
    c->exp = ne;
    c->expcap = ncap;
  }
  c->exp[c->nexp++] = e;
  return 0;
}

int pcase_load(pcase *c, const char *path) {
  FILE *f;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t got;
  unsigned lineno = 0;
  const char *slash;

  memset(c, 0, sizeof *c);
  c->path = strdup(path);
  if (!c->path) {
    snprintf(c->error, sizeof c->error, "out of memory");
    return -1;
  }
  slash = strrchr(c->path, '/');
  c->name = slash ? slash + 1 : c->path;
  c->ext = SMTPP_EXT_DEFAULT;
  f = fopen(path, "rb");
  if (!f) {
    snprintf(c->error, sizeof c->error, "%s: %s", path, strerror(errno));
    return -1;
  }
  while ((got = getline(&line, &lcap, f)) >= 0) {
    size_t n = (size_t)got;
    char *s = line;
    int bad = 0;
    lineno++;
    if (n && s[n - 1] == '\n')
      s[--n] = '\0';
    if (n && s[n - 1] == '\r')
      s[--n] = '\0';
    if (s[0] == '#') {
      comment(c, s);
    } else if (strspn(s, " \t") == n) {
      continue;
    } else if (s[0] == '!') {
      bad = directive(c, s + 1);
    } else if (s[1] == ':' && strchr("SCRBTX", s[0])) {
      char *v = s + 2;
      if (*v == ' ')
        v++;
      switch (s[0]) {
      case 'S':
        bad = expect(c, v);
        break;
      case 'C':
        bad = add(c, v, strlen(v)) || add(c, "\r\n", 2);
        break;
      case 'R':
        bad = add_escaped(c, v);
        break;
      case 'B':
        c->has_body = 1;
        break;
      case 'T':
        c->has_tls = 1;
        break;
      case 'X':
        c->closed = 1;
        c->closed_after = c->nexp;
        break;
      }
    } else {
      bad = 1;
    }
    if (bad) {
      snprintf(c->error, sizeof c->error, "%s:%u: cannot read this line",
               c->name, lineno);
      break;
    }
  }
  free(line);
  fclose(f);
  if (!c->level[0])
    snprintf(c->level, sizeof c->level, "must");
  return c->error[0] ? -1 : 0;
}

void pcase_free(pcase *c) {
  free(c->path);
  free(c->in);
  free(c->exp);
  memset(c, 0, sizeof *c);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

long psuite_list(const char *dir, char ***out) {
  DIR *dp = opendir(dir);
  struct dirent *de;
  char **list = NULL;
  long n = 0, cap = 0;

  if (!dp)
    return -1;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    char *full;
    if (l < 8 || strcmp(de->d_name + l - 7, ".dialog") != 0 ||
        de->d_name[0] == '.')
      continue;
    if (n == cap) {
      long ncap = cap ? cap * 2 : 64;
      char **nl = realloc(list, (size_t)ncap * sizeof *nl);
      if (!nl)
        break;
      list = nl;
      cap = ncap;
    }
    full = malloc(strlen(dir) + l + 2);
    if (!full)
      break;
    sprintf(full, "%s/%s", dir, de->d_name);
    list[n++] = full;
  }
  closedir(dp);
  if (n)
    qsort(list, (size_t)n, sizeof *list, cmp_str);
  *out = list;
  return n;
}

void psuite_free_list(char **list, long n) {
  for (long i = 0; i < n; i++)
    free(list[i]);
  free(list);
}
