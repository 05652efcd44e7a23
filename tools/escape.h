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

/* The same for the inside of a JSON string (RFC 8259 7): \\ \" \r \n \t
 * as they are, every other octet outside 0x20-0x7e as \u00HH (one code
 * point per octet, so the octets can be recovered exactly). */
#define ESCAPE_JSON_MAX_PER_OCTET 6
size_t escape_json(char *dst, size_t cap, const void *src, size_t n,
                   size_t *taken);

#endif
