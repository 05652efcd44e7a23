/*
 * test_commands.c - unit tests of parser/src/commands.c (the command table
 * and smtpp_verb_lookup) and of the error table (errors.c).
 *
 * To add a case, add a row to a table below.
 */
#include "dialog.h"
#include "internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- verb lookup: {input (escapes), length (-1: all), verb, vlen} ---- */
static const struct {
  const char *in;
  int len;
  int verb;
  size_t vlen;
} verbs[] = {
    /* every verb, upper case, with and without arguments */
    {"HELO", -1, SMTPP_VERB_HELO, 4},
    {"EHLO example.com", -1, SMTPP_VERB_EHLO, 4},
    {"MAIL FROM:<a@b.c>", -1, SMTPP_VERB_MAIL, 4},
    {"RCPT TO:<a@b.c>", -1, SMTPP_VERB_RCPT, 4},
    {"DATA", -1, SMTPP_VERB_DATA, 4},
    {"BDAT 10 LAST", -1, SMTPP_VERB_BDAT, 4},
    {"RSET", -1, SMTPP_VERB_RSET, 4},
    {"VRFY x", -1, SMTPP_VERB_VRFY, 4},
    {"EXPN x", -1, SMTPP_VERB_EXPN, 4},
    {"HELP", -1, SMTPP_VERB_HELP, 4},
    {"NOOP", -1, SMTPP_VERB_NOOP, 4},
    {"QUIT", -1, SMTPP_VERB_QUIT, 4},
    {"STARTTLS", -1, SMTPP_VERB_STARTTLS, 8},
    {"AUTH PLAIN", -1, SMTPP_VERB_AUTH, 4},
    /* case-insensitive (RFC 5321 2.4) */
    {"helo x", -1, SMTPP_VERB_HELO, 4},
    {"eHlO x", -1, SMTPP_VERB_EHLO, 4},
    {"mail FROM:<>", -1, SMTPP_VERB_MAIL, 4},
    {"StartTls", -1, SMTPP_VERB_STARTTLS, 8},
    {"quit", -1, SMTPP_VERB_QUIT, 4},
    {"bdat 1", -1, SMTPP_VERB_BDAT, 4},
    /* the verb is the whole letter run: what follows does not matter */
    {"HELO\\r", -1, SMTPP_VERB_HELO, 4},
    {"DATA:", -1, SMTPP_VERB_DATA, 4},
    {"NOOP1", -1, SMTPP_VERB_NOOP, 4},
    {"QUIT\\x00", -1, SMTPP_VERB_QUIT, 4},
    /* unknown: longer or shorter letter runs, other words */
    {"HELOX", -1, SMTPP_VERB_NONE, 5},
    {"MAILFROM:<a@b.c>", -1, SMTPP_VERB_NONE, 8},
    {"HEL", -1, SMTPP_VERB_NONE, 3},
    {"STARTTL", -1, SMTPP_VERB_NONE, 7},
    {"STARTTLSX", -1, SMTPP_VERB_NONE, 9},
    {"TURN", -1, SMTPP_VERB_NONE, 4},
    {"ETRN x", -1, SMTPP_VERB_NONE, 4},
    {"SEND FROM:<>", -1, SMTPP_VERB_NONE, 4},
    {"XEXCH50", -1, SMTPP_VERB_NONE, 5},
    {"HELL", -1, SMTPP_VERB_NONE, 4},
    {"AAAA", -1, SMTPP_VERB_NONE, 4},
    {"ZZZZZZZZ", -1, SMTPP_VERB_NONE, 8},
    {"", -1, SMTPP_VERB_NONE, 0},
    {" HELO", -1, SMTPP_VERB_NONE, 0},
    {"1HELO", -1, SMTPP_VERB_NONE, 0},
    {"\\r\\n", -1, SMTPP_VERB_NONE, 0},
    {"HEL\\xC3\\x96", -1, SMTPP_VERB_NONE, 3},
    {"H\\xC5\\x93LO", -1, SMTPP_VERB_NONE, 1},
    {"\\xC8ELO", -1, SMTPP_VERB_NONE, 0},
    /* bounded by end: a prefix of a verb is not the verb */
    {"HELO", 3, SMTPP_VERB_NONE, 3},
    {"STARTTLS", 4, SMTPP_VERB_NONE, 4},
    {"STARTTLS", 0, SMTPP_VERB_NONE, 0},
    {"QUITX", 4, SMTPP_VERB_QUIT, 4},
};

static void test_verb_lookup(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    bbuf in = {0};
    assert_int_equal(esc_decode(verbs[i].in, strlen(verbs[i].in), &in), 0);
    bbuf_add(&in, "", 0);
    size_t len = verbs[i].len < 0 ? in.len : (size_t)verbs[i].len;
    /* exact-size copy so an over-read is caught by ASan */
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, in.p, len);
    size_t vlen = 12345;
    int v = smtpp_verb_lookup(copy, copy + len, &vlen);
    if (v != verbs[i].verb || vlen != verbs[i].vlen) {
      dlg_print("verb lookup \"%s\" (len %zu): expected %s/%zu, got "
                    "%s/%zu\n", verbs[i].in, len,
                    smtpp_verb_name(verbs[i].verb), verbs[i].vlen,
                    smtpp_verb_name(v), vlen);
      bad = 1;
    }
    free(copy);
    bbuf_free(&in);
  }
  assert_false(bad);
}

static void test_table(void **state) {
  (void)state;
  for (int v = SMTPP_VERB_HELO; v < SMTPP_VERB__COUNT; v++) {
    const smtpp_command *c = &smtpp_commands[v];
    assert_int_equal(c->verb, v);
    assert_non_null(c->name);
    assert_int_equal(strlen(c->name), c->len);
    assert_string_equal(smtpp_verb_name(v), c->name);
    size_t vlen;
    assert_int_equal(
        smtpp_verb_lookup((const unsigned char *)c->name,
                          (const unsigned char *)c->name + c->len, &vlen),
        v);
    assert_int_equal(vlen, c->len);
    assert_non_null(c->help);
    /* a verb has exactly one argument shape */
    unsigned shape = c->flags & (SMTPP_CF_NO_ARGS | SMTPP_CF_ARG_REQUIRED |
                                 SMTPP_CF_ARG_OPTIONAL);
    assert_true(shape == SMTPP_CF_NO_ARGS || shape == SMTPP_CF_ARG_REQUIRED ||
                shape == SMTPP_CF_ARG_OPTIONAL);
  }
  assert_string_equal(smtpp_verb_name(SMTPP_VERB__COUNT), "NONE");
  assert_string_equal(smtpp_verb_name(-1), "NONE");
}

/* RFC 2920 3.1 (+ STARTTLS, AUTH): verbs that end a pipelined group. */
static const struct {
  int verb;
  int group_end;
  unsigned needs_ext;
  unsigned shape;
} flags[] = {
    {SMTPP_VERB_HELO, 0, 0, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_EHLO, 1, 0, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_MAIL, 0, 0, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_RCPT, 0, 0, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_DATA, 1, 0, SMTPP_CF_NO_ARGS},
    {SMTPP_VERB_BDAT, 0, SMTPP_EXT_CHUNKING, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_RSET, 0, 0, SMTPP_CF_NO_ARGS},
    {SMTPP_VERB_VRFY, 1, 0, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_EXPN, 1, 0, SMTPP_CF_ARG_REQUIRED},
    {SMTPP_VERB_HELP, 0, 0, SMTPP_CF_ARG_OPTIONAL},
    {SMTPP_VERB_NOOP, 1, 0, SMTPP_CF_ARG_OPTIONAL},
    {SMTPP_VERB_QUIT, 1, 0, SMTPP_CF_NO_ARGS},
    {SMTPP_VERB_STARTTLS, 1, SMTPP_EXT_STARTTLS, SMTPP_CF_NO_ARGS},
    {SMTPP_VERB_AUTH, 1, SMTPP_EXT_AUTH, SMTPP_CF_ARG_REQUIRED},
};

static void test_flags(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    const smtpp_command *c = &smtpp_commands[flags[i].verb];
    unsigned shape = c->flags & (SMTPP_CF_NO_ARGS | SMTPP_CF_ARG_REQUIRED |
                                 SMTPP_CF_ARG_OPTIONAL);
    if (!!(c->flags & SMTPP_CF_GROUP_END) != flags[i].group_end ||
        c->needs_ext != flags[i].needs_ext || shape != flags[i].shape)
      fail_msg("%s: group_end %d (want %d), needs_ext 0x%x (want 0x%x), "
               "shape 0x%x (want 0x%x)", c->name,
               !!(c->flags & SMTPP_CF_GROUP_END), flags[i].group_end,
               c->needs_ext, flags[i].needs_ext, shape, flags[i].shape);
  }
  /* before HELO/EHLO these are refused (PROTOCOL.md) */
  const int need_helo[] = {SMTPP_VERB_MAIL, SMTPP_VERB_RCPT, SMTPP_VERB_DATA,
                           SMTPP_VERB_BDAT, SMTPP_VERB_STARTTLS,
                           SMTPP_VERB_AUTH};
  const unsigned before = SMTPP_IN(SMTPP_ST_CMD_BEFORE_HELO);
  for (size_t i = 0; i < sizeof need_helo / sizeof need_helo[0]; i++)
    assert_false(smtpp_commands[need_helo[i]].allowed & before);
  const int any_time[] = {SMTPP_VERB_NOOP, SMTPP_VERB_HELP, SMTPP_VERB_VRFY,
                          SMTPP_VERB_EXPN, SMTPP_VERB_RSET, SMTPP_VERB_QUIT,
                          SMTPP_VERB_HELO, SMTPP_VERB_EHLO};
  const unsigned cmd_states =
      before | SMTPP_IN(SMTPP_ST_CMD_AFTER_HELO) |
      SMTPP_IN(SMTPP_ST_CMD_AFTER_MAIL) | SMTPP_IN(SMTPP_ST_CMD_AFTER_RCPT) |
      SMTPP_IN(SMTPP_ST_CMD_AFTER_BDAT);
  for (size_t i = 0; i < sizeof any_time / sizeof any_time[0]; i++)
    assert_int_equal(smtpp_commands[any_time[i]].allowed, cmd_states);
  /* every verb has a check; a decidable one a proceed and a default that
   * is one of its success codes or a refusal */
  for (int v = SMTPP_VERB_HELO; v < SMTPP_VERB__COUNT; v++) {
    const smtpp_command *c = &smtpp_commands[v];
    assert_non_null(c->check);
    if (c->proceed)
      assert_true(c->dflt == c->ok[0] || c->dflt == c->ok[1] ||
                  c->dflt == c->ok[2] || c->dflt >= 400);
    else
      assert_int_equal(c->dflt, 0);
  }
}

/* ---- the error table ---- */
static const struct {
  int err;
  const char *name;
  int code;
} errors[] = {
    {SMTPP_ERR_OK, "OK", 0},
    {SMTPP_ERR_UNKNOWN_COMMAND, "UNKNOWN_COMMAND", 500},
    {SMTPP_ERR_LINE_TOO_LONG, "LINE_TOO_LONG", 500},
    {SMTPP_ERR_SYNTAX, "SYNTAX", 501},
    {SMTPP_ERR_BAD_SEQUENCE, "BAD_SEQUENCE", 503},
    {SMTPP_ERR_NOT_IMPLEMENTED, "NOT_IMPLEMENTED", 502},
    {SMTPP_ERR_PARAM_NOT_IMPL, "PARAM_NOT_IMPL", 504},
    {SMTPP_ERR_UNKNOWN_PARAM, "UNKNOWN_PARAM", 555},
    {SMTPP_ERR_SIZE_EXCEEDED, "SIZE_EXCEEDED", 552},
    {SMTPP_ERR_TOO_MANY_RCPTS, "TOO_MANY_RCPTS", 452},
    {SMTPP_ERR_TOO_MANY_ERRORS, "TOO_MANY_ERRORS", 421},
    {SMTPP_ERR_NULL_ARG, "NULL_ARG", 0},
    {SMTPP_ERR_MSG_FAILED, "MSG_FAILED", 554},
};

static void test_errors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
    assert_string_equal(smtpp_err_name(errors[i].err), errors[i].name);
    assert_string_equal(smtpp_err_name(-errors[i].err), errors[i].name);
    assert_int_equal(smtpp_err_code(errors[i].err), errors[i].code);
    assert_non_null(smtpp_err_reason(errors[i].err));
  }
  /* out of range: a name, never NULL or a crash */
  assert_non_null(smtpp_err_name(SMTPP_ERR__COUNT));
  assert_non_null(smtpp_err_name(1 << 30));
  assert_non_null(smtpp_err_name(-(1 << 30)));
  assert_non_null(smtpp_err_reason(SMTPP_ERR__COUNT + 5));
  assert_int_equal(smtpp_err_code(SMTPP_ERR__COUNT), 0);
  /* every error has a distinct name */
  for (int a = 0; a < SMTPP_ERR__COUNT; a++)
    for (int b = a + 1; b < SMTPP_ERR__COUNT; b++)
      assert_string_not_equal(smtpp_err_name(a), smtpp_err_name(b));
  /* state names */
  for (int st = 0; st < SMTPP_ST__COUNT; st++)
    assert_non_null(smtpp_state_name(st));
  assert_non_null(smtpp_state_name(SMTPP_ST__COUNT));
  assert_non_null(smtpp_state_name(-1));
  assert_string_equal(smtpp_version(), SMTPP_VERSION_STRING);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verb_lookup),
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_flags),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
