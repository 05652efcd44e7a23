/*
 * names.c - the names of extensions, leniencies and event types, one table
 * each, so hosts, tools and tests do not keep their own copies.
 */
#include "internal.h"

static const struct {
  const char *name;
  uint32_t bit;
} ext_table[] = {
  {"PIPELINING", SMTPP_EXT_PIPELINING},   /* RFC 2920 */
  {"SIZE", SMTPP_EXT_SIZE},               /* RFC 1870 */
  {"8BITMIME", SMTPP_EXT_8BITMIME},       /* RFC 6152 */
  {"SMTPUTF8", SMTPP_EXT_SMTPUTF8},       /* RFC 6531 */
  {"DSN", SMTPP_EXT_DSN},                 /* RFC 3461 */
  {"CHUNKING", SMTPP_EXT_CHUNKING},       /* RFC 3030 */
  {"ENHANCEDSTATUSCODES", SMTPP_EXT_ENHANCEDSTATUSCODES}, /* RFC 2034 */
  {"STARTTLS", SMTPP_EXT_STARTTLS},       /* RFC 3207 */
  {"AUTH", SMTPP_EXT_AUTH},               /* RFC 4954 */
}, lenient_table[] = {
  {"bare-lf", SMTPP_LENIENT_BARE_LF},
  {"8bit", SMTPP_LENIENT_8BIT},
  {"long-lines", SMTPP_LENIENT_LONG_LINES},
  {"path-space", SMTPP_LENIENT_PATH_SPACE},
  {"trailing-sp", SMTPP_LENIENT_TRAILING_SP},
  {"helo-name", SMTPP_LENIENT_HELO_NAME},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static unsigned char lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Case-insensitive equality of two NUL-terminated names. */
static int same_name(const char *a, const char *b) {
  while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

const char *smtpp_ext_name(uint32_t bit) {
  for (size_t i = 0; i < NELEM(ext_table); i++)
    if (ext_table[i].bit == bit)
      return ext_table[i].name;
  return NULL;
}

uint32_t smtpp_ext_bit(const char *name) {
  for (size_t i = 0; name && i < NELEM(ext_table); i++)
    if (same_name(name, ext_table[i].name))
      return ext_table[i].bit;
  return 0;
}

const char *smtpp_lenient_name(uint32_t bit) {
  for (size_t i = 0; i < NELEM(lenient_table); i++)
    if (lenient_table[i].bit == bit)
      return lenient_table[i].name;
  return NULL;
}

uint32_t smtpp_lenient_bit(const char *name) {
  for (size_t i = 0; name && i < NELEM(lenient_table); i++)
    if (same_name(name, lenient_table[i].name))
      return lenient_table[i].bit;
  return 0;
}

const char *smtpp_event_name(int type) {
  static const char *const names[] = {
    [SMTPP_EV_NONE] = "NONE",
    [SMTPP_EV_COMMAND] = "COMMAND",
    [SMTPP_EV_PROTOCOL_ERROR] = "PROTOCOL_ERROR",
    [SMTPP_EV_BODY] = "BODY",
    [SMTPP_EV_MESSAGE_END] = "MESSAGE_END",
    [SMTPP_EV_STARTTLS] = "STARTTLS",
    [SMTPP_EV_AUTH_RESPONSE] = "AUTH_RESPONSE",
    [SMTPP_EV_CLOSE] = "CLOSE",
  };
  if (type < 0 || (size_t)type >= NELEM(names))
    return "UNKNOWN_EVENT";
  return names[type];
}
