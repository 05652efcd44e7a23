/*
 * smtpp.c - main() of the smtpp tool: finds the subcommand and runs it.
 *
 *   smtpp serve --stdio [OPTIONS]   one SMTP session on stdin/stdout
 *   smtpp serve --listen ADDR:PORT  a TCP sink (Maildir/mbox delivery, log)
 *   smtpp help [COMMAND]            help
 *   smtpp --version                 versions of the tool and libsmtpp
 */
#include "cli.h"
#include "commands.h"

#include <smtpp/smtpp.h>

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static void cmd_help_usage(FILE *out);

/* The subcommands.  One row each; see commands.h. */
static const tool_command commands[] = {
    {"serve", "SMTP server: one session on stdio, or a TCP sink (--listen)",
     cmd_serve, cmd_serve_usage},
    {"probe", "hold another SMTP server to the dialog suite and properties",
     cmd_probe, cmd_probe_usage},
    {"explain", "explain an SMTP reply code, or compare two", cmd_explain,
     cmd_explain_usage},
    {"check", "replay one fuzz input with a transcript and property verdicts",
     cmd_check, cmd_check_usage},
    {"help", "show help for smtpp or one of its commands", cmd_help,
     cmd_help_usage},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const tool_command *find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void usage(FILE *out) {
  fprintf(out,
          "Usage: smtpp COMMAND [OPTIONS]\n"
          "       smtpp --version | --help\n"
          "\n"
          "smtpp %s: a hardened server-side SMTP parser (libsmtpp) and its "
          "test tools.\n"
          "\nCommands:\n",
          SMTPP_VERSION_STRING);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nRun 'smtpp help COMMAND' or 'smtpp COMMAND --help' for "
               "its options.\n");
}

static void cmd_help_usage(FILE *out) {
  fputs("Usage: smtpp help [COMMAND]\n"
        "\n"
        "Shows the list of commands, or the options of one command.\n",
        out);
}

static int cmd_help(int argc, char **argv) {
  const tool_command *c;

  if (argc < 2) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (argc > 2) {
    cli_usage_error("help", "expects at most one command name");
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    cmd_help_usage(stdout);
    return CLI_EXIT_OK;
  }
  c = find_command(argv[1]);
  if (!c) {
    cli_usage_error("help", "unknown command %s", cli_quote(argv[1]));
    return CLI_EXIT_USAGE;
  }
  c->usage(stdout);
  return CLI_EXIT_OK;
}

int main(int argc, char **argv) {
  const tool_command *c;

  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("smtpp %s (libsmtpp %s)\n", SMTPP_VERSION_STRING, smtpp_version());
    return CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  c = find_command(argv[1]);
  if (!c) {
    cli_usage_error(NULL, "unknown command %s", cli_quote(argv[1]));
    return CLI_EXIT_USAGE;
  }
  return c->run(argc - 1, argv + 1);
}
