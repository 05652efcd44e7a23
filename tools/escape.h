/*
 * escape.h - render untrusted octets as printable ASCII for traces and
 * error messages.  Printable ASCII (0x20-0x7e) stays as it is, except '\\'
 * and '"'; CR, LF, TAB become \r \n \t; every other octet becomes \xHH.
 * No raw control byte ever reaches the terminal.
 */
#ifndef SMTPP_TOOLS_ESCAPE_H
#define SMTPP_TOOLS_ESCAPE_H

#include <stddef.h>

/* Worst case: every input octet becomes 4 output characters. */
#define ESCAPE_MAX_PER_OCTET 4

/* Escapes src[0..n) into dst (capacity cap, always NUL-terminated when
 * cap > 0).  Stops before an escape sequence that would not fit whole.
 * Returns the characters written (without the NUL); *taken (may be NULL)
 * gets the number of input octets rendered. */
size_t escape_bytes(char *dst, size_t cap, const void *src, size_t n,
                    size_t *taken);

#endif
