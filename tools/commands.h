/*
 * commands.h - the subcommands of the smtpp tool.  To add one (probe,
 * check, explain, ...): write tools/<name>.c with a run and a usage
 * function, declare them here, add one row to the table in smtpp.c and the
 * file to tools/CMakeLists.txt.
 */
#ifndef SMTPP_TOOLS_COMMANDS_H
#define SMTPP_TOOLS_COMMANDS_H

#include <stdio.h>

typedef struct tool_command {
  const char *name;
  const char *summary;                /* one line for `smtpp help` */
  int (*run)(int argc, char **argv);  /* argv[0] is the subcommand name;
                                         returns the exit status */
  void (*usage)(FILE *out);           /* full help text */
} tool_command;

int cmd_serve(int argc, char **argv);
void cmd_serve_usage(FILE *out);
int cmd_probe(int argc, char **argv);
void cmd_probe_usage(FILE *out);
int cmd_explain(int argc, char **argv);
void cmd_explain_usage(FILE *out);
int cmd_check(int argc, char **argv);
void cmd_check_usage(FILE *out);

#endif
