/*
 * cli.c - see cli.h.
 */
#include "cli.h"

#include "esc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "smtpp%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'smtpp %s%s'.\n", cmd ? cmd : "",
          cmd ? " --help" : "--help");
}

const char *cli_quote(const char *text) {
  static char buf[2 + 64 * ESC_MAX_PER_OCTET + 8];
  size_t n = strlen(text), taken = 0, o;

  buf[0] = '"';
  o = 1 + esc_bytes(buf + 1, sizeof buf - 8, text, n, &taken);
  if (taken < n) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}

void cli_scan_init(cli_scan *sc, const char *cmd, const cli_opt *opts,
                   int argc, char **argv) {
  memset(sc, 0, sizeof *sc);
  sc->cmd = cmd;
  sc->opts = opts;
  sc->argc = argc;
  sc->argv = argv;
  sc->i = 1; /* argv[0] is the subcommand itself */
}

static const cli_opt *find_long(const cli_opt *opts, const char *name,
                                size_t len) {
  for (; opts->name; opts++)
    if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
      return opts;
  return NULL;
}

static const cli_opt *find_short(const cli_opt *opts, char c) {
  for (; opts->name; opts++)
    if (opts->short_name && opts->short_name == c)
      return opts;
  return NULL;
}

int cli_next(cli_scan *sc, const char **value) {
  const char *arg, *eq;
  const cli_opt *o;

  *value = NULL;
  sc->flag = NULL;
  if (sc->i >= sc->argc)
    return CLI_END;
  arg = sc->argv[sc->i++];
  if (sc->only_positional || arg[0] != '-' || arg[1] == '\0') {
    *value = arg;
    return CLI_POSITIONAL;
  }
  if (strcmp(arg, "--") == 0) {
    sc->only_positional = 1;
    return cli_next(sc, value);
  }
  sc->flag = arg;
  if (arg[1] == '-') {
    const char *name = arg + 2;
    eq = strchr(name, '=');
    o = find_long(sc->opts, name, eq ? (size_t)(eq - name) : strlen(name));
    if (!o) {
      cli_usage_error(sc->cmd, "unknown option %s", cli_quote(arg));
      return CLI_ERROR;
    }
    if (eq && !o->has_value) {
      cli_usage_error(sc->cmd, "option --%s takes no value", o->name);
      return CLI_ERROR;
    }
    if (eq) {
      *value = eq + 1;
      return o->id;
    }
  } else {
    o = arg[2] == '\0' ? find_short(sc->opts, arg[1]) : NULL;
    if (!o) {
      cli_usage_error(sc->cmd, "unknown option %s", cli_quote(arg));
      return CLI_ERROR;
    }
  }
  if (o->has_value) {
    if (sc->i >= sc->argc) {
      cli_usage_error(sc->cmd, "option --%s needs a value", o->name);
      return CLI_ERROR;
    }
    *value = sc->argv[sc->i++];
  }
  return o->id;
}

int cli_parse_u64(const char *cmd, const char *flag, const char *text,
                  uint64_t min, uint64_t max, uint64_t *out) {
  unsigned long long v;
  char *end = NULL;

  /* strtoull alone would accept " 12", "+12", "-1" (as a huge value) and
   * "0x12" with base 0: require plain decimal digits. */
  if (text[0] < '0' || text[0] > '9') {
    cli_usage_error(cmd,
                    "%s expects a decimal number from %llu to %llu, got %s",
                    flag, (unsigned long long)min, (unsigned long long)max,
                    cli_quote(text));
    return -1;
  }
  errno = 0;
  v = strtoull(text, &end, 10);
  if (*end != '\0') {
    cli_usage_error(cmd,
                    "%s expects a decimal number from %llu to %llu, got %s",
                    flag, (unsigned long long)min, (unsigned long long)max,
                    cli_quote(text));
    return -1;
  }
  if (errno == ERANGE || v > max) {
    cli_usage_error(cmd, "%s: %s is too large (at most %llu)", flag,
                    cli_quote(text), (unsigned long long)max);
    return -1;
  }
  if (v < min) {
    cli_usage_error(cmd, "%s: %s is too small (at least %llu)", flag,
                    cli_quote(text), (unsigned long long)min);
    return -1;
  }
  *out = (uint64_t)v;
  return 0;
}

static int name_eq(const char *a, const char *b, size_t blen) {
  size_t i;

  for (i = 0; i < blen; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x == '\0')
      return 0;
    if (x >= 'A' && x <= 'Z')
      x = (unsigned char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (unsigned char)(y - 'A' + 'a');
    if (x != y)
      return 0;
  }
  return a[blen] == '\0';
}

static void list_names(const cli_name *table) {
  for (const cli_name *t = table; t->name; t++)
    fprintf(stderr, "%s%s", t == table ? "" : ",", t->name);
}

int cli_parse_names(const char *cmd, const char *flag, const char *text,
                    const cli_name *table, const char *what,
                    uint32_t *bits) {
  const char *p = text;
  uint32_t acc = 0;

  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    const cli_name *t;
    char item[64];

    for (t = table; t->name; t++)
      if (name_eq(t->name, p, len))
        break;
    if (!t->name) {
      if (len == 0) {
        fprintf(stderr, "smtpp %s: %s: empty %s name in list %s\n", cmd,
                flag, what, cli_quote(text));
      } else {
        if (len >= sizeof item)
          len = sizeof item - 1;
        memcpy(item, p, len);
        item[len] = '\0';
        fprintf(stderr, "smtpp %s: %s: unknown %s %s\n", cmd, flag, what,
                cli_quote(item));
      }
      fprintf(stderr, "  allowed (comma separated, any case): ");
      list_names(table);
      fprintf(stderr, "\nTry 'smtpp %s --help'.\n", cmd);
      return -1;
    }
    acc |= t->bit;
    if (!comma)
      break;
    p = comma + 1;
  }
  *bits |= acc;
  return 0;
}
