/*
 * config.c - the configuration: defaults, validation (smtpp_init refuses a
 * bad one), and the values the session reads from it with their defaults.
 */
#include "internal.h"

#include <string.h>

#define MAX_ERRORS_DEFAULT 20u /* like Postfix smtpd_hard_error_limit */

#define MECHS_MAX 200u         /* smtpp.h auth_mechanisms */

size_t smtpp_bounded_len(const char *p, size_t max) {
  size_t n = 0; /* strnlen is POSIX, not C11 */
  while (n < max && p[n])
    n++;
  return n;
}

void smtpp_config_default(smtpp_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->hostname = "localhost";
  cfg->extensions = SMTPP_EXT_DEFAULT;
  cfg->max_message_size = 10u * 1024u * 1024u;
  cfg->max_recipients = SMTPP_MAX_RCPT_DEFAULT;
  cfg->max_errors = MAX_ERRORS_DEFAULT;
  cfg->auth_mechanisms = "PLAIN";
}

int smtpp_config_ok(const smtpp_config *cfg) {
  if (cfg->extensions & ~(uint32_t)SMTPP_EXT_ALL)
    return 0;
  if (cfg->lenient & ~(uint32_t)SMTPP_LENIENT_ALL)
    return 0;
  if (cfg->host_decides != 0 && cfg->host_decides != 1)
    return 0;
  if (cfg->max_recipients != 0 && cfg->max_recipients < SMTPP_MAX_RCPT_DEFAULT)
    return 0;
  if (cfg->hostname) {
    const unsigned char *h = (const unsigned char *)cfg->hostname;
    size_t n = smtpp_bounded_len(cfg->hostname, SMTPP_DOMAIN_MAX + 1);
    if (n > SMTPP_DOMAIN_MAX || smtpp_check_domain(h, h + n, 0) != 0)
      return 0;
  }
  if (cfg->auth_mechanisms) {
    size_t n = smtpp_bounded_len(cfg->auth_mechanisms, MECHS_MAX + 1);
    if (n == 0 || n > MECHS_MAX)
      return 0;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)cfg->auth_mechanisms[i];
      /* sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"), SP separated */
      if (!((c >= 'A' && c <= 'Z') || SMTPP_IS(c, SMTPP_C_DIGIT) || c == '-' ||
            c == '_' || c == ' '))
        return 0;
    }
  }
  return 1;
}

const char *smtpp_hostname(const smtpp_session *s) {
  return s->cfg->hostname ? s->cfg->hostname : "localhost";
}

const char *smtpp_auth_mechs(const smtpp_session *s) {
  return s->cfg->auth_mechanisms ? s->cfg->auth_mechanisms : "PLAIN";
}

uint32_t smtpp_max_errors(const smtpp_session *s) {
  return s->cfg->max_errors ? s->cfg->max_errors : MAX_ERRORS_DEFAULT;
}

uint64_t smtpp_size_limit(const smtpp_session *s) {
  return (s->cfg->extensions & SMTPP_EXT_SIZE) ? s->cfg->max_message_size : 0;
}
