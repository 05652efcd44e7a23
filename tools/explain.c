/*
 * explain.c - `smtpp explain CODE [CODE2]`: the reply-code notes of
 * replycodes.c, for one code or as a comparison of two.
 */
#include "commands.h"

#include "cli.h"
#include "replycodes.h"

#include <stdio.h>
#include <string.h>

void cmd_explain_usage(FILE *out) {
  size_t n;
  const replycode_note *all = replycode_all(&n);

  fputs("Usage: smtpp explain CODE\n"
        "       smtpp explain CODE1 CODE2\n"
        "\n"
        "Explains an SMTP reply code: what it means, when you see it and how\n"
        "to fix it, with the RFC sections.  With two codes, compares them:\n"
        "the class of each, meaning, when, fix, and the key differences.\n"
        "\n"
        "Known codes:",
        out);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s%d", i % 14 == 0 ? "\n  " : " ", all[i].code);
  fputs("\n\nExit status: 0 explained, 2 unknown code or bad usage.\n"
        "\nExample:\n  smtpp explain 503\n  smtpp explain 250 503\n",
        out);
}

static const replycode_note *lookup(const char *arg) {
  int code = replycode_parse(arg);
  const replycode_note *n;

  if (code < 0) {
    cli_usage_error("explain", "%s is not a reply code (three digits, "
                    "e.g. 503)", cli_quote(arg));
    return NULL;
  }
  n = replycode_find(code);
  if (!n) {
    size_t k;
    const replycode_note *all = replycode_all(&k);
    fprintf(stderr, "smtpp explain: unknown reply code %d (%s %s class); "
                    "known codes:", code, replycode_class_tag(code),
            replycode_class(code));
    for (size_t i = 0; i < k; i++)
      fprintf(stderr, " %d", all[i].code);
    fputs("\n", stderr);
    return NULL;
  }
  return n;
}

int cmd_explain(int argc, char **argv) {
  const replycode_note *a, *b;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      cmd_explain_usage(stdout);
      return CLI_EXIT_OK;
    }
  }
  if (argc < 2 || argc > 3) {
    cli_usage_error("explain", "expects one or two reply codes");
    return CLI_EXIT_USAGE;
  }
  a = lookup(argv[1]);
  if (!a)
    return CLI_EXIT_USAGE;
  if (argc == 2) {
    replycode_print(stdout, a);
    return CLI_EXIT_OK;
  }
  b = lookup(argv[2]);
  if (!b)
    return CLI_EXIT_USAGE;
  replycode_print_compare(stdout, a, b);
  return CLI_EXIT_OK;
}
