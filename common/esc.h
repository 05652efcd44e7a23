/*
 * esc.h - the one escaping of untrusted octets, and its inverse.
 *
 * Escaped form (printable ASCII only, so no raw control octet ever reaches
 * a terminal, a report or a file):
 *   \r \n \t       CR, LF, HT
 *   \\ \"          backslash, double quote
 *   \xHH           every other octet outside 0x20-0x7e (two hex digits,
 *                  upper case when written; either case when read)
 *   \0             (read only) NUL, the same as \x00
 * Everything else stands for itself.  The dialog files' R:, B: and E:
 * lines, traces, transcripts, reports and test diffs all use this form, so
 * any escaped text can be pasted into a dialog file.
 */
#ifndef SMTPP_COMMON_ESC_H
#define SMTPP_COMMON_ESC_H

#include "bbuf.h"

#include <stddef.h>
#include <stdio.h>

/* Worst case: one input octet becomes this many characters. */
#define ESC_MAX_PER_OCTET 4

/* The escaped form of one octet into out (not NUL-terminated); returns its
 * length, 1 to 4. */
size_t esc_octet(unsigned char c, char out[ESC_MAX_PER_OCTET]);

/* Escapes src[0..n) into dst (capacity cap, always NUL-terminated when
 * cap > 0).  Stops before an escape sequence that would not fit whole.
 * Returns the characters written (without the NUL); *taken (may be NULL)
 * gets the number of input octets rendered. */
size_t esc_bytes(char *dst, size_t cap, const void *src, size_t n,
                 size_t *taken);

/* The same for the inside of a JSON string (RFC 8259 7): \\ \" \r \n \t
 * as above, every other octet outside 0x20-0x7e as \u00HH (one code point
 * per octet, so the octets can be recovered exactly). */
#define ESC_JSON_MAX_PER_OCTET 6
size_t esc_json(char *dst, size_t cap, const void *src, size_t n,
                size_t *taken);
/* Writes s (NULL: "") as a whole JSON string literal, quotes included. */
void esc_json_put(FILE *f, const char *s);

/* Appends the escaped form of p[0..n) to b. */
void bbuf_add_escaped(bbuf *b, const void *p, size_t n);

/* Decodes the escaped text s[0..n) and appends the octets to out.
 * Returns 0, or -1 at an unknown or cut escape (out then holds the octets
 * before it). */
int esc_decode(const char *s, size_t n, bbuf *out);

#endif
