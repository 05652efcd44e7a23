/*
 * cli.h - command-line helpers shared by every subcommand: exit codes,
 * usage errors, a table-driven option scanner and strict value parsers.
 *
 * Every parser prints its own message on failure, naming the subcommand,
 * the flag and what is allowed, so a caller only has to return
 * CLI_EXIT_USAGE.
 */
#ifndef SMTPP_TOOLS_CLI_H
#define SMTPP_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#define CLI_EXIT_OK    0 /* success */
#define CLI_EXIT_FAIL  1 /* the run failed (I/O, parser error) */
#define CLI_EXIT_USAGE 2 /* bad command line or bad configuration */

/* Prints "smtpp <cmd>: <message>" and a "Try ..." hint to stderr. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* One option of a subcommand.  Long options are written "--name" and take
 * their value as "--name VALUE" or "--name=VALUE"; short is a letter or 0. */
typedef struct cli_opt {
  const char *name; /* without the leading "--" */
  char short_name;  /* e.g. 'h', or 0 */
  int has_value;    /* 1: needs a value */
  int id;           /* returned by cli_next() (must be > 0) */
} cli_opt;

#define CLI_END        0  /* no arguments left */
#define CLI_POSITIONAL (-1) /* *value is a non-option argument */
#define CLI_ERROR      (-2) /* message printed; exit with CLI_EXIT_USAGE */

typedef struct cli_scan {
  const char *cmd;      /* subcommand name for messages */
  const cli_opt *opts;  /* terminated by an entry with name == NULL */
  int argc;
  char **argv;
  int i;                /* next argument */
  int only_positional;  /* after "--" */
  const char *flag;     /* spelling of the last option, for messages */
} cli_scan;

void cli_scan_init(cli_scan *sc, const char *cmd, const cli_opt *opts,
                   int argc, char **argv);
/* Returns the id of the next option (and its value in *value, else NULL),
 * CLI_POSITIONAL, CLI_END or CLI_ERROR. */
int cli_next(cli_scan *sc, const char **value);

/* Strict decimal number in [min, max]: digits only (no sign, no space, no
 * 0x), no overflow.  Returns 0, or -1 after printing a message. */
int cli_parse_u64(const char *cmd, const char *flag, const char *text,
                  uint64_t min, uint64_t max, uint64_t *out);

/* A name-to-bit table, terminated by {NULL, 0}. */
typedef struct cli_name {
  const char *name;
  uint32_t bit;
} cli_name;

/* Comma-separated list of names from table, case-insensitive, no empty
 * items.  ORs the bits into *bits.  what: "extension", "leniency".
 * Returns 0, or -1 after printing a message that lists the allowed names. */
int cli_parse_names(const char *cmd, const char *flag, const char *text,
                    const cli_name *table, const char *what,
                    uint32_t *bits);

/* Escaped, quoted copy of an argument for messages (static buffer, for
 * one use at a time). */
const char *cli_quote(const char *text);

#endif
