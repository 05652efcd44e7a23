/*
 * names.h - names for libsmtpp constants that the library itself does not
 * name: extension and leniency bits (for flags) and smtpp_feed() results
 * (for traces).  Events: common/eventfmt.h.
 */
#ifndef SMTPP_TOOLS_NAMES_H
#define SMTPP_TOOLS_NAMES_H

#include "cli.h"

#include <stddef.h>
#include <stdint.h>

extern const cli_name names_extensions[]; /* "PIPELINING" -> SMTPP_EXT_... */
extern const cli_name names_lenient[];    /* "bare-lf" -> SMTPP_LENIENT_... */

const char *names_feed_result(int r);     /* "NEED_MORE", ... */

#endif
