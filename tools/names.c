/*
 * names.c - see names.h.
 */
#include "names.h"

#include <smtpp/smtpp.h>

#include <stdio.h>
#include <string.h>

const cli_name names_extensions[] = {
    {"PIPELINING", SMTPP_EXT_PIPELINING},
    {"SIZE", SMTPP_EXT_SIZE},
    {"8BITMIME", SMTPP_EXT_8BITMIME},
    {"SMTPUTF8", SMTPP_EXT_SMTPUTF8},
    {"DSN", SMTPP_EXT_DSN},
    {"CHUNKING", SMTPP_EXT_CHUNKING},
    {"ENHANCEDSTATUSCODES", SMTPP_EXT_ENHANCEDSTATUSCODES},
    {"STARTTLS", SMTPP_EXT_STARTTLS},
    {"AUTH", SMTPP_EXT_AUTH},
    {NULL, 0},
};

const cli_name names_lenient[] = {
    {"bare-lf", SMTPP_LENIENT_BARE_LF},
    {"8bit", SMTPP_LENIENT_8BIT},
    {"long-lines", SMTPP_LENIENT_LONG_LINES},
    {"path-space", SMTPP_LENIENT_PATH_SPACE},
    {"trailing-sp", SMTPP_LENIENT_TRAILING_SP},
    {"helo-name", SMTPP_LENIENT_HELO_NAME},
    {NULL, 0},
};

const char *names_feed_result(int r) {
  switch (r) {
  case SMTPP_NEED_MORE: return "NEED_MORE";
  case SMTPP_EVENT: return "EVENT";
  case SMTPP_WANT_WRITE: return "WANT_WRITE";
  case SMTPP_CLOSED: return "CLOSED";
  case SMTPP_PAUSED: return "PAUSED";
  default: return r < 0 ? "ERROR" : "UNKNOWN_RESULT";
  }
}
