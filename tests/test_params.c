/*
 * test_params.c - unit tests of parser/src/params.c: smtpp_parse_params and
 * smtpp_check_xtext (RFC 5321 4.1.2 esmtp-param, RFC 1870, 6152, 6531,
 * 3461, 4954).  One row per case; add rows freely.
 */
#include "dialog.h"
#include "internal.h"
#include "unit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define M SMTPP_VERB_MAIL
#define R SMTPP_VERB_RCPT
#define ALL (SMTPP_EXT_DEFAULT | SMTPP_EXT_AUTH)
#define DEF SMTPP_EXT_DEFAULT
#define MB10 10485760u

#define OK 0
#define SYN SMTPP_ERR_SYNTAX
#define UNK SMTPP_ERR_UNKNOWN_PARAM
#define DUP SMTPP_ERR_DUP_PARAM
#define BAD SMTPP_ERR_BAD_PARAM
#define BIG SMTPP_ERR_SIZE_EXCEEDED

/* The decoded result, as text: "size=N body=N utf8 ret=N notify=N
 * envid=... orcpt=TYPE;... auth=..." (only what is set). */
static const struct {
  const char *in;
  int verb;
  uint32_t offered;
  uint64_t max_size;
  int err;
  const char *result; /* NULL: not checked */
} cases[] = {
    /* none */
    {"", M, ALL, MB10, OK, ""},
    {"", R, ALL, MB10, OK, ""},
    /* SIZE (RFC 1870) */
    {" SIZE=1000", M, ALL, MB10, OK, "size=1000"},
    {" size=1000", M, ALL, MB10, OK, "size=1000"},
    {" SiZe=0", M, ALL, MB10, OK, "size=0"},
    {" SIZE=10485760", M, ALL, MB10, OK, "size=10485760"},
    {" SIZE=10485761", M, ALL, MB10, BIG, NULL},
    {" SIZE=99999999999999999999", M, ALL, MB10, BIG, NULL},
    {" SIZE=18446744073709551615", M, ALL, 0, OK, "size=18446744073709551615"},
    {" SIZE=99999999999999999999", M, ALL, 0, OK, "size=18446744073709551615"},
    {" SIZE=999999999999999999999", M, ALL, 0, BAD, NULL},
    {" SIZE=00000000000000000001", M, ALL, MB10, OK, "size=1"},
    {" SIZE=1k", M, ALL, MB10, BAD, NULL},
    {" SIZE=-1", M, ALL, MB10, BAD, NULL},
    {" SIZE=+1", M, ALL, MB10, BAD, NULL},
    {" SIZE", M, ALL, MB10, BAD, NULL},
    {" SIZE=", M, ALL, MB10, SYN, NULL},
    {" SIZE=1 SIZE=1", M, ALL, MB10, DUP, NULL},
    {" SIZE=1 size=2", M, ALL, MB10, DUP, NULL},
    {" SIZE=1", M, ALL & ~SMTPP_EXT_SIZE, MB10, UNK, NULL},
    {" SIZE=1", M, 0, MB10, UNK, NULL}, /* HELO session */
    {" SIZE=1", R, ALL, MB10, UNK, NULL},
    /* SIZE over the limit is reported only if the rest is well formed */
    {" SIZE=99999999 BODY=X", M, ALL, MB10, BAD, NULL},
    {" SIZE=99999999 FOO=1", M, ALL, MB10, UNK, NULL},
    /* BODY (RFC 6152; BINARYMIME needs RFC 3030 BINARYMIME: not offered) */
    {" BODY=7BIT", M, ALL, MB10, OK, "body=1"},
    {" BODY=8BITMIME", M, ALL, MB10, OK, "body=2"},
    {" body=8bitmime", M, ALL, MB10, OK, "body=2"},
    {" BODY=BINARYMIME", M, ALL, MB10, UNK, NULL}, /* RFC 5321 4.1.1.11 */
    {" BODY=9BIT", M, ALL, MB10, BAD, NULL},
    {" BODY", M, ALL, MB10, BAD, NULL},
    {" BODY=8BITMIME", M, ALL & ~SMTPP_EXT_8BITMIME, MB10, UNK, NULL},
    /* SMTPUTF8 (RFC 6531 3.4): no value */
    {" SMTPUTF8", M, ALL, MB10, OK, "utf8"},
    {" smtputf8", M, ALL, MB10, OK, "utf8"},
    {" SMTPUTF8=1", M, ALL, MB10, BAD, NULL},
    {" SMTPUTF8 SMTPUTF8", M, ALL, MB10, DUP, NULL},
    {" SMTPUTF8", M, ALL & ~SMTPP_EXT_SMTPUTF8, MB10, UNK, NULL},
    {" SMTPUTF8", R, ALL, MB10, UNK, NULL},
    /* RET, ENVID (RFC 3461 4.3, 4.4) */
    {" RET=FULL", M, ALL, MB10, OK, "ret=1"},
    {" RET=hdrs", M, ALL, MB10, OK, "ret=2"},
    {" RET=NONE", M, ALL, MB10, BAD, NULL},
    {" RET=FULL", M, ALL & ~SMTPP_EXT_DSN, MB10, UNK, NULL},
    {" ENVID=abc", M, ALL, MB10, OK, "envid=abc"},
    {" ENVID=a+2Bb+3Dc", M, ALL, MB10, OK, "envid=a+2Bb+3Dc"},
    {" ENVID={e*100}", M, ALL, MB10, OK, NULL},
    {" ENVID={e*101}", M, ALL, MB10, BAD, NULL},
    {" ENVID=a+0Db", M, ALL, MB10, BAD, NULL},  /* decodes to CR */
    {" ENVID=a+0Ab", M, ALL, MB10, BAD, NULL},  /* LF */
    {" ENVID=a+00b", M, ALL, MB10, BAD, NULL},  /* NUL */
    {" ENVID=a+2bb", M, ALL, MB10, BAD, NULL},  /* lower-case hex */
    {" ENVID=a+2", M, ALL, MB10, BAD, NULL},    /* truncated */
    {" ENVID=a+", M, ALL, MB10, BAD, NULL},
    {" ENVID=a+G0", M, ALL, MB10, BAD, NULL},
    {" ENVID=a+0D+0A", M, ALL, MB10, BAD, NULL},
    {" RET=FULL ENVID=x SIZE=5 BODY=8BITMIME SMTPUTF8", M, ALL, MB10, OK,
     "size=5 body=2 utf8 ret=1 envid=x"},
    /* AUTH= (RFC 4954 5) */
    {" AUTH=<>", M, ALL, MB10, OK, "auth=<>"},
    {" AUTH=user+40example.com", M, ALL, MB10, OK,
     "auth=user+40example.com"},
    {" AUTH=a+0Db", M, ALL, MB10, BAD, NULL},
    {" AUTH=a+0db", M, ALL, MB10, BAD, NULL},
    {" AUTH=user+40example.com+2b", M, ALL, MB10, OK, NULL}, /* hex any case */
    {" AUTH=a+4g", M, ALL, MB10, BAD, NULL},
    {" AUTH=<>", M, DEF, MB10, UNK, NULL},
    {" AUTH=<>", R, ALL, MB10, UNK, NULL},
    /* NOTIFY, ORCPT (RFC 3461 4.1, 4.2) */
    {" NOTIFY=NEVER", R, ALL, MB10, OK, "notify=1"},
    {" NOTIFY=SUCCESS", R, ALL, MB10, OK, "notify=2"},
    {" NOTIFY=SUCCESS,FAILURE,DELAY", R, ALL, MB10, OK, "notify=14"},
    {" notify=delay,failure", R, ALL, MB10, OK, "notify=12"},
    {" NOTIFY=NEVER,SUCCESS", R, ALL, MB10, BAD, NULL},
    {" NOTIFY=SUCCESS,SUCCESS", R, ALL, MB10, BAD, NULL},
    {" NOTIFY=SUCCESS,", R, ALL, MB10, BAD, NULL},
    {" NOTIFY=,SUCCESS", R, ALL, MB10, BAD, NULL},
    {" NOTIFY=ALWAYS", R, ALL, MB10, BAD, NULL},
    {" NOTIFY=", R, ALL, MB10, SYN, NULL},
    {" NOTIFY=NEVER", M, ALL, MB10, UNK, NULL},
    {" ORCPT=rfc822;a@b.c", R, ALL, MB10, OK, "orcpt=rfc822;a@b.c"},
    {" ORCPT=rfc822;a+2Bb@c.d", R, ALL, MB10, OK, "orcpt=rfc822;a+2Bb@c.d"},
    {" ORCPT=rfc822", R, ALL, MB10, BAD, NULL},
    {" ORCPT=;a@b", R, ALL, MB10, BAD, NULL},
    {" ORCPT=rfc822;", R, ALL, MB10, BAD, NULL},
    {" ORCPT=rfc822;a+0Ab", R, ALL, MB10, BAD, NULL},
    {" ORCPT=rfc822;{o*493}", R, ALL, MB10, OK, NULL},  /* 500 */
    {" ORCPT=rfc822;{o*494}", R, ALL, MB10, BAD, NULL}, /* 501 */
    {" NOTIFY=NEVER ORCPT=rfc822;x@y NOTIFY=NEVER", R, ALL, MB10, DUP, NULL},
    {" ORCPT=rfc822;a@b", M, ALL, MB10, UNK, NULL},
    /* ORCPT=utf-8; (RFC 6533 3), the ASCII form outside SMTPUTF8 */
    {" ORCPT=utf-8;a\\\\x{E4}b@c.d", R, ALL, MB10, OK, "orcpt=utf-8;a\\\\x{E4}b@c.d"},
    {" ORCPT=UTF-8;a@b.c", R, ALL, MB10, OK, NULL},
    {" ORCPT=utf-8;a+2Bb@c.d", R, ALL, MB10, BAD, NULL},  /* no "+" */
    {" ORCPT=utf-8;a\\\\x{}b", R, ALL, MB10, BAD, NULL},
    {" ORCPT=utf-8;a\\\\x{D}b", R, ALL, MB10, BAD, NULL},
    {" ORCPT=utf-8;a\\\\x{0D}b", R, ALL, MB10, BAD, NULL},
    {" ORCPT=utf-8;a\\\\x{110000}b", R, ALL, MB10, BAD, NULL},
    {" ORCPT=utf-8;a\\\\y", R, ALL, MB10, BAD, NULL},
    {" ORCPT=utf-8;a\xC3\xA4", R, ALL, MB10, SYN, NULL}, /* UTF-8 needs SMTPUTF8 */
    /* unknown keywords */
    {" FOO=bar", M, ALL, MB10, UNK, NULL},
    {" FOO", M, ALL, MB10, UNK, NULL},
    {" X-FOO=1", R, ALL, MB10, UNK, NULL},
    {" SIZEX=1", M, ALL, MB10, UNK, NULL},
    {" SIZ=1", M, ALL, MB10, UNK, NULL},
    {" FOO=1 SIZE=x", M, ALL, MB10, UNK, NULL},
    {" SIZE=x FOO=1", M, ALL, MB10, BAD, NULL},
    /* esmtp-param grammar */
    {"SIZE=1", M, ALL, MB10, SYN, NULL},
    {"  SIZE=1", M, ALL, MB10, SYN, NULL},
    {" SIZE=1 ", M, ALL, MB10, SYN, NULL},
    {" SIZE=1  BODY=7BIT", M, ALL, MB10, SYN, NULL},
    {" ", M, ALL, MB10, SYN, NULL},
    {" =1", M, ALL, MB10, SYN, NULL},
    {" -X=1", M, ALL, MB10, SYN, NULL},
    {" SIZE=1\\tBODY=7BIT", M, ALL, MB10, SYN, NULL},
    {" SIZE=a=b", M, ALL, MB10, SYN, NULL},
    {" SIZE=1\\x7F", M, ALL, MB10, SYN, NULL},
    {" SIZE=1\\x00", M, ALL, MB10, SYN, NULL},
    {" SIZE=1\\r\\n", M, ALL, MB10, SYN, NULL},
    {" SIZE=\\xC3\\xA4", M, ALL, MB10, SYN, NULL},
    {" FOO=\\xC3\\xA4", M, ALL, MB10, SYN, NULL},
};

static void describe(bbuf *b, const smtpp_params *p) {
  const char *sep = "";
#define ADD(...)                  \
  do {                            \
    bbuf_addf(b, "%s", sep);   \
    bbuf_addf(b, __VA_ARGS__); \
    sep = " ";                    \
  } while (0)
  bbuf_add(b, "", 0);
  if (p->has_size) ADD("size=%llu", (unsigned long long)p->size);
  if (p->body) ADD("body=%u", p->body);
  if (p->smtputf8) ADD("utf8");
  if (p->ret) ADD("ret=%u", p->ret);
  if (p->notify) ADD("notify=%u", p->notify);
  if (p->envid.p) {
    ADD("envid=");
    bbuf_add_escaped(b, p->envid.p, p->envid.len);
  }
  if (p->orcpt_type.p || p->orcpt.p) {
    ADD("orcpt=");
    if (p->orcpt_type.p) bbuf_add_escaped(b, p->orcpt_type.p,
                                             p->orcpt_type.len);
    bbuf_addc(b, ';');
    if (p->orcpt.p) bbuf_add_escaped(b, p->orcpt.p, p->orcpt.len);
  }
  if (p->auth.p) {
    ADD("auth=");
    bbuf_add_escaped(b, p->auth.p, p->auth.len);
  }
#undef ADD
}

static void test_params(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bbuf in = {0};
    assert_int_equal(unit_expand(cases[i].in, &in), 0);
    unsigned char *c = unit_copy(in.p, in.len);
    smtpp_params out;
    memset(&out, 0xA5, sizeof out); /* the parser must clear it */
    int err = smtpp_parse_params(c, c + in.len, cases[i].verb,
                                 cases[i].offered, cases[i].max_size, 0, &out);
    bbuf got = {0};
    if (err == 0) describe(&got, &out);
    if (err != cases[i].err ||
        (err == 0 && cases[i].result &&
         strcmp(bbuf_str(&got), cases[i].result) != 0)) {
      dlg_print("params case %zu \"%s\" (%s, offered 0x%x, max %llu):\n"
                    "  expected %s %s\n  got      %s %s\n",
                    i, unit_show(in.p, in.len), smtpp_verb_name(cases[i].verb),
                    cases[i].offered, (unsigned long long)cases[i].max_size,
                    smtpp_err_name(cases[i].err),
                    cases[i].result ? cases[i].result : "",
                    smtpp_err_name(err), bbuf_str(&got));
      bad = 1;
    }
    bbuf_free(&got);
    free(c);
    bbuf_free(&in);
  }
  assert_false(bad);
}

static const struct {
  const char *in;
  int ok;
} xtexts[] = {
    {"", 1},
    {"abc", 1},
    {"a+2Bb", 1},
    {"+2B+3D", 1},
    {"!\"#$%&'()*,-./0123456789:;<>?@AZ[\\\\]^_`az{|}~", 1},
    {"a+", 0},
    {"a+2", 0},
    {"a+2b", 0},
    {"a+g0", 0},
    {"a+0D", 0},
    {"a+0A", 0},
    {"a+00", 0},
    {"a+0d", 0},
    {"a+7F", 1}, /* DEL decodes; only CR, LF and NUL are refused */
    {"a b", 0},  /* SP is not xchar */
    {"a=b", 0},  /* "=" is not xchar */
    {"a\\x7Fb", 0},
    {"a\\x00b", 0},
    {"a\\rb", 0},
    {"a\\xC3\\xA4", 0},
};

static void test_xtext(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof xtexts / sizeof xtexts[0]; i++) {
    bbuf in = {0};
    assert_int_equal(unit_expand(xtexts[i].in, &in), 0);
    unsigned char *c = unit_copy(in.p, in.len);
    int err = smtpp_check_xtext(c, c + in.len, 0);
    if ((err == 0) != xtexts[i].ok) {
      dlg_print("xtext case %zu \"%s\": expected %s, got %s\n", i,
                    unit_show(in.p, in.len), xtexts[i].ok ? "OK" : "error",
                    smtpp_err_name(err));
      bad = 1;
    }
    free(c);
    bbuf_free(&in);
  }
  assert_false(bad);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_xtext),
  };
  return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
