/*
 * errors.c - names, reasons and default codes of smtpp_err, generated from
 * the one table in smtpp.h (SMTPP_ERROR_TABLE).
 */
#include "internal.h"

static const char *const err_names[] = {
#define XX(id, name, code, enh, text, reason) [id] = #name,
  SMTPP_ERROR_TABLE(XX)
#undef XX
};

static const char *const err_reasons[] = {
#define XX(id, name, code, enh, text, reason) [id] = reason,
  SMTPP_ERROR_TABLE(XX)
#undef XX
};

static const short err_codes[] = {
#define XX(id, name, code, enh, text, reason) [id] = code,
  SMTPP_ERROR_TABLE(XX)
#undef XX
};

/* Accepts err or -err; -1 for anything that is not an id. */
static int err_index(int err) {
  if (err > -SMTPP_ERR__COUNT && err < 0)
    return -err;
  return (err >= 0 && err < SMTPP_ERR__COUNT) ? err : -1;
}

const char *smtpp_err_name(int err) {
  int i = err_index(err);
  return i < 0 ? "UNKNOWN_ERROR" : err_names[i];
}

const char *smtpp_err_reason(int err) {
  int i = err_index(err);
  return i < 0 ? "no such error id" : err_reasons[i];
}

int smtpp_err_code(int err) {
  int i = err_index(err);
  return i < 0 ? 0 : err_codes[i];
}
