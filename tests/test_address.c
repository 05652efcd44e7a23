/*
 * test_address.c - unit tests of parser/src/address.c: smtpp_parse_path,
 * smtpp_check_domain, smtpp_check_address_literal (RFC 5321 4.1.2, 4.1.3,
 * 4.5.3.1.1-3; RFC 6531 3.3).
 *
 * Each table row is one case; inputs use the escapes of unit.h
 * ("{a*64}" = 64 'a').  Every input is an exact-size heap copy, so a read
 * past the end trips ASan.
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

#define OK 0
#define SYN SMTPP_ERR_SYNTAX
#define NUL_ SMTPP_ADDR_ALLOW_NULL
#define PM SMTPP_ADDR_POSTMASTER
#define U8 SMTPP_ADDR_UTF8
/* a 63-octet label, and domains of 251 and 255 octets */
#define L63 "{a*63}"
#define D251 L63 "." L63 "." L63 ".{b*59}"
#define D255 L63 "." L63 "." L63 ".{b*63}"

static const struct {
  const char *in;
  unsigned flags;
  int err;
  const char *local;  /* expected local part (NULL: not checked) */
  const char *domain; /* expected domain (NULL: not checked) */
  int after;          /* expected offset of *after; -1: end of input */
} paths[] = {
    /* plain mailboxes */
    {"<a@b.c>", 0, OK, "a", "b.c", -1},
    {"<user@example.com>", 0, OK, "user", "example.com", -1},
    {"<a@b>", 0, OK, "a", "b", -1},
    {"<first.last@sub.example.org>", 0, OK, "first.last", "sub.example.org",
     -1},
    {"<!#$%&'*+-/=?^_`{|}~@x.y>", 0, OK, "!#$%&'*+-/=?^_`{|}~", "x.y", -1},
    {"<a@b.c> SIZE=10", 0, OK, "a", "b.c", 7},
    {"<a@b.c>>", 0, OK, "a", "b.c", 7},
    {"<a@1.2.3.4>", 0, OK, "a", "1.2.3.4", -1}, /* digits are Let-dig */
    {"<a@xn--bcher-kva.example>", 0, OK, "a", "xn--bcher-kva.example", -1},
    /* null path and Postmaster */
    {"<>", NUL_, OK, NULL, NULL, -1},
    {"<> SIZE=1", NUL_, OK, NULL, NULL, 2},
    {"<>", 0, SYN, NULL, NULL, 0},
    {"<>", PM, SYN, NULL, NULL, 0},
    {"<Postmaster>", PM, OK, NULL, NULL, -1},
    {"<postmaster>", PM, OK, NULL, NULL, -1},
    {"<POSTMASTER> NOTIFY=NEVER", PM, OK, NULL, NULL, 12},
    {"<Postmaster>", 0, SYN, NULL, NULL, 0},
    {"<Postmaster@x.y>", PM, OK, "Postmaster", "x.y", -1},
    {"<Postmaste>", PM, SYN, NULL, NULL, 0},
    /* quoted local parts (qtextSMTP, quoted-pairSMTP) */
    {"<\"a b\"@x.y>", 0, OK, "\"a b\"", "x.y", -1},
    {"<\"\"@x.y>", 0, OK, "\"\"", "x.y", -1},
    {"<\"a\\\\\"b\"@x.y>", 0, OK, "\"a\\\\\"b\"", "x.y", -1},
    {"<\"a\\\\\\\\b\"@x.y>", 0, OK, "\"a\\\\\\\\b\"", "x.y", -1},
    {"<\"a@b\"@x.y>", 0, OK, "\"a@b\"", "x.y", -1},
    {"<\"a>b\"@x.y>", 0, OK, "\"a>b\"", "x.y", -1},
    {"<\"a\\\\\\x01\"@x.y>", 0, SYN, NULL, NULL, 0},
    {"<\"a\\rb\"@x.y>", 0, SYN, NULL, NULL, 0},
    {"<\"a\\x00b\"@x.y>", 0, SYN, NULL, NULL, 0},
    {"<\"ab@x.y>", 0, SYN, NULL, NULL, 0},
    {"<\"a\"b@x.y>", 0, SYN, NULL, NULL, 0},
    {"<\"a\\\\", 0, SYN, NULL, NULL, 0},
    /* Dot-string errors */
    {"<.a@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a.@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a..b@x.y>", 0, SYN, NULL, NULL, 0},
    {"<@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a b@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a(b)@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a,b@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a;b@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a\\\\b@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a\\x00@x.y>", 0, SYN, NULL, NULL, 0},
    {"<a\\r\\n@x.y>", 0, SYN, NULL, NULL, 0},
    /* missing parts and brackets */
    {"", 0, SYN, NULL, NULL, 0},
    {"<", 0, SYN, NULL, NULL, 0},
    {"<a", 0, SYN, NULL, NULL, 0},
    {"<a@", 0, SYN, NULL, NULL, 0},
    {"<a@b", 0, SYN, NULL, NULL, 0},
    {"<a@b.c", 0, SYN, NULL, NULL, 0},
    {"a@b.c", 0, SYN, NULL, NULL, 0},
    {"a@b.c>", 0, SYN, NULL, NULL, 0},
    {" <a@b.c>", 0, SYN, NULL, NULL, 0},
    {"<a@b.c >", 0, SYN, NULL, NULL, 0},
    {"< a@b.c>", 0, SYN, NULL, NULL, 0},
    {"<a>", 0, SYN, NULL, NULL, 0},
    {"<a@>", 0, SYN, NULL, NULL, 0},
    {"<a@@b.c>", 0, SYN, NULL, NULL, 0},
    {"<a@b@c>", 0, SYN, NULL, NULL, 0},
    {"<<a@b.c>>", 0, SYN, NULL, NULL, 0},
    /* domains */
    {"<a@-b.c>", 0, SYN, NULL, NULL, 0},
    {"<a@b-.c>", 0, SYN, NULL, NULL, 0},
    {"<a@b.-c>", 0, SYN, NULL, NULL, 0},
    {"<a@b-c.d-e>", 0, OK, "a", "b-c.d-e", -1},
    {"<a@b.c.>", 0, SYN, NULL, NULL, 0},
    {"<a@.b.c>", 0, SYN, NULL, NULL, 0},
    {"<a@b..c>", 0, SYN, NULL, NULL, 0},
    {"<a@b_c.d>", 0, SYN, NULL, NULL, 0},
    {"<a@" L63 ".x>", 0, OK, "a", L63 ".x", -1},
    {"<a@{a*64}.x>", 0, SYN, NULL, NULL, 0},
    /* address literals (RFC 5321 4.1.3) */
    {"<a@[1.2.3.4]>", 0, OK, "a", "[1.2.3.4]", -1},
    {"<a@[255.255.255.255]>", 0, OK, "a", "[255.255.255.255]", -1},
    {"<a@[001.002.003.004]>", 0, OK, "a", "[001.002.003.004]", -1},
    {"<a@[1.2.3.256]>", 0, SYN, NULL, NULL, 0},
    {"<a@[1.2.3]>", 0, SYN, NULL, NULL, 0},
    {"<a@[1.2.3.4.5]>", 0, SYN, NULL, NULL, 0},
    {"<a@[1.2.3.0004]>", 0, SYN, NULL, NULL, 0},
    {"<a@[1.2.3.4>", 0, SYN, NULL, NULL, 0},
    {"<a@[]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:1:2:3:4:5:6:7:8]>", 0, OK, "a", "[IPv6:1:2:3:4:5:6:7:8]", -1},
    {"<a@[IPv6:::1]>", 0, OK, "a", "[IPv6:::1]", -1},
    {"<a@[IPv6:fe80::1]>", 0, OK, "a", "[IPv6:fe80::1]", -1},
    {"<a@[IPv6:::ffff:1.2.3.4]>", 0, OK, "a", "[IPv6:::ffff:1.2.3.4]", -1},
    {"<a@[IPv6:1:2:3:4:5:6:1.2.3.4]>", 0, OK, NULL, NULL, -1},
    {"<a@[IPv6:1:2:3:4:5:6:7]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:1::2::3]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:12345::1]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:g::1]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:1:2:3:4:5:6:7::]>", 0, SYN, NULL, NULL, 0},
    {"<a@[IPv6:1.2.3.4]>", 0, SYN, NULL, NULL, 0},
    {"<a@[tag:stuff]>", 0, OK, "a", "[tag:stuff]", -1},
    {"<a@[x-y:z]>", 0, OK, NULL, NULL, -1},
    {"<a@[tag:]>", 0, SYN, NULL, NULL, 0},
    {"<a@[:stuff]>", 0, SYN, NULL, NULL, 0},
    {"<a@[tag-:x]>", 0, SYN, NULL, NULL, 0},
    {"<a@[tag:a b]>", 0, SYN, NULL, NULL, 0},
    {"<a@[tag:a[b]>", 0, SYN, NULL, NULL, 0},
    {"<a@[tag:a\\\\b]>", 0, SYN, NULL, NULL, 0},
    {"<a@[1.2.3.4]x>", 0, SYN, NULL, NULL, 0},
    /* source routes: accepted and ignored (RFC 5321 4.1.2, C) */
    {"<@x.y:a@b.c>", 0, OK, "a", "b.c", -1},
    {"<@x.y,@z.w:a@b.c>", 0, OK, "a", "b.c", -1},
    {"<@x.y a@b.c>", 0, SYN, NULL, NULL, 0},
    {"<@x.y,z.w:a@b.c>", 0, SYN, NULL, NULL, 0},
    {"<@:a@b.c>", 0, SYN, NULL, NULL, 0},
    {"<@x.y:>", 0, SYN, NULL, NULL, 0},
    /* limits: local part 64, path 256 (from < to >), domain 255 */
    {"<{l*64}@x.y>", 0, OK, "{l*64}", "x.y", -1},
    {"<{l*65}@x.y>", 0, SMTPP_ERR_LOCAL_TOO_LONG, NULL, NULL, 0},
    {"<\"{l*62}\"@x.y>", 0, OK, NULL, NULL, -1},
    {"<\"{l*63}\"@x.y>", 0, SMTPP_ERR_LOCAL_TOO_LONG, NULL, NULL, 0},
    {"<{l*1000}@x.y>", 0, SMTPP_ERR_LOCAL_TOO_LONG, NULL, NULL, 0},
    {"<{l*2}@" D251 ">", 0, OK, "ll", D251, -1},           /* 256 */
    {"<{l*3}@" D251 ">", 0, SMTPP_ERR_PATH_TOO_LONG, NULL, NULL, 0}, /* 257 */
    {"<a@" D255 ">", 0, SMTPP_ERR_PATH_TOO_LONG, NULL, NULL, 0},
    {"<a@" D255 "x>", 0, SMTPP_ERR_DOMAIN_TOO_LONG, NULL, NULL, 0},
    {"<@" D255 "x:a@b.c>", 0, SMTPP_ERR_DOMAIN_TOO_LONG, NULL, NULL, 0},
    /* UTF-8 (RFC 6531): only with SMTPP_ADDR_UTF8, and well formed */
    {"<\\xC3\\xA4@x.y>", 0, SMTPP_ERR_EIGHTBIT, NULL, NULL, 0},
    {"<\\xC3\\xA4@x.y>", U8, OK, "\\xC3\\xA4", "x.y", -1},
    {"<a@\\xC3\\xA4.de>", 0, SMTPP_ERR_EIGHTBIT, NULL, NULL, 0},
    {"<a@\\xC3\\xA4.de>", U8, OK, "a", "\\xC3\\xA4.de", -1},
    {"<\"\\xC3\\xA4\"@x.y>", U8, OK, NULL, NULL, -1},
    {"<\"\\xC3\\xA4\"@x.y>", 0, SMTPP_ERR_EIGHTBIT, NULL, NULL, 0},
    {"<\\xC3@x.y>", U8, SYN, NULL, NULL, 0},           /* truncated */
    {"<\\xC0\\x80@x.y>", U8, SYN, NULL, NULL, 0},      /* overlong NUL */
    {"<\\xED\\xA0\\x80@x.y>", U8, SYN, NULL, NULL, 0}, /* surrogate */
    {"<\\xF4\\x90\\x80\\x80@x.y>", U8, SYN, NULL, NULL, 0}, /* > U+10FFFF */
    {"<\\xFF@x.y>", U8, SYN, NULL, NULL, 0},
    {"<a@\\xC3.de>", U8, SYN, NULL, NULL, 0},
    {"<\\xF0\\x9F\\x98\\x80@x.y>", U8, OK, NULL, NULL, -1},
};

static int check_slice(const unsigned char *p, size_t n, const char *want,
                       const char **why) {
  if (!want) return 0;
  bbuf w = {0};
  unit_expand(want, &w);
  int bad = !p || n != w.len || memcmp(p, w.p, n) != 0;
  if (bad) *why = "slice";
  bbuf_free(&w);
  return bad;
}

static void test_paths(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    bbuf in = {0};
    assert_int_equal(unit_expand(paths[i].in, &in), 0);
    unsigned char *c = unit_copy(in.p, in.len);
    smtpp_path out;
    const unsigned char *after = NULL;
    int err = smtpp_parse_path(c, c + in.len, paths[i].flags, &out, &after);
    const char *why = NULL;
    if (err != paths[i].err) why = "error";
    if (!why && err == 0) {
      size_t want_after = paths[i].after < 0 ? in.len : (size_t)paths[i].after;
      if (after != c + want_after) why = "after";
      if (check_slice(out.local, out.local_len, paths[i].local, &why))
        why = "local part";
      else if (check_slice(out.domain, out.domain_len, paths[i].domain, &why))
        why = "domain";
      if (paths[i].local && paths[i].domain && out.mailbox &&
          out.mailbox_len != out.local_len + 1 + out.domain_len)
        why = "mailbox length";
    }
    if (why) {
      dlg_print("path case %zu <%s> flags 0x%x: %s differs\n"
                    "  expected err %s, got %s (local \"%s\"",
                    i, unit_show(in.p, in.len), paths[i].flags, why,
                    smtpp_err_name(paths[i].err), smtpp_err_name(err),
                    err ? "" : unit_show(out.local, out.local_len));
      dlg_print(", domain \"%s\", after %td)\n",
                    err ? "" : unit_show(out.domain, out.domain_len),
                    err || !after ? (ptrdiff_t)-1 : after - c);
      bad = 1;
    }
    free(c);
    bbuf_free(&in);
  }
  assert_false(bad);
}

static const struct {
  const char *in;
  int utf8;
  int err;
} domains[] = {
    {"example.com", 0, OK},
    {"a", 0, OK},
    {"1", 0, OK},
    {"a-b", 0, OK},
    {"a--b", 0, OK},
    {"xn--nxasmq6b", 0, OK},
    {L63, 0, OK},
    {"{a*64}", 0, SYN},
    {L63 ".com", 0, OK},
    {D255, 0, OK},
    {D255 "x", 0, SMTPP_ERR_DOMAIN_TOO_LONG},
    {"{a*1000}", 0, SMTPP_ERR_DOMAIN_TOO_LONG},
    {"", 0, SYN},
    {".", 0, SYN},
    {".a", 0, SYN},
    {"a.", 0, SYN},
    {"a..b", 0, SYN},
    {"-a", 0, SYN},
    {"a-", 0, SYN},
    {"a.-b", 0, SYN},
    {"a-.b", 0, SYN},
    {"a b", 0, SYN},
    {"a_b", 0, SYN},
    {"a\\x00b", 0, SYN},
    {"a\\r\\n", 0, SYN},
    {"[1.2.3.4]", 0, SYN},
    {"a:b", 0, SYN},
    {"b\\xC3\\xBCcher.de", 1, OK},
    {"b\\xC3\\xBCcher.de", 0, SMTPP_ERR_EIGHTBIT},
    {"\\xFF.de", 1, SYN},
    {"\\xC3.de", 1, SYN},
    {"-\\xC3\\xBC.de", 1, SYN},
};

static void test_domains(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
    bbuf in = {0};
    assert_int_equal(unit_expand(domains[i].in, &in), 0);
    unsigned char *c = unit_copy(in.p, in.len);
    int err = smtpp_check_domain(c, c + in.len, domains[i].utf8);
    if (err != domains[i].err) {
      dlg_print("domain case %zu \"%s\" utf8 %d: expected %s, got %s\n",
                    i, unit_show(in.p, in.len), domains[i].utf8,
                    smtpp_err_name(domains[i].err), smtpp_err_name(err));
      bad = 1;
    }
    free(c);
    bbuf_free(&in);
  }
  assert_false(bad);
}

static const struct {
  const char *in;
  int ok;
} literals[] = {
    {"[1.2.3.4]", 1},
    {"[0.0.0.0]", 1},
    {"[256.1.1.1]", 0},
    {"[1.2.3.]", 0},
    {"[.1.2.3]", 0},
    {"[1..2.3]", 0},
    {"[1.2.3.4 ]", 0},
    {"[ 1.2.3.4]", 0},
    {"1.2.3.4", 0},
    {"[1.2.3.4", 0},
    {"1.2.3.4]", 0},
    {"[]", 0},
    {"[", 0},
    {"]", 0},
    {"", 0},
    /* IPv6-full: exactly 8 groups of 1-4 hex digits */
    {"[IPv6:2001:db8:0:0:0:0:0:1]", 1},
    {"[ipv6:2001:DB8:0:0:0:0:0:1]", 1},
    {"[IPv6:2001:db8:0:0:0:0:1]", 0},
    {"[IPv6:2001:db8:0:0:0:0:0:0:1]", 0},
    {"[IPv6:12345:0:0:0:0:0:0:1]", 0},
    {"[IPv6:2001:db8:0:0:0:0:0:]", 0},
    {"[IPv6::2001:db8:0:0:0:0:0]", 0},
    /* IPv6-comp: at most 6 groups beside "::" */
    {"[IPv6:::]", 1}, /* "IPv6:" + "::" */
    {"[IPv6::]", 0},
    {"[IPv6:::1]", 1},
    {"[IPv6:1::]", 1},
    {"[IPv6:2001:db8::1]", 1},
    {"[IPv6:1:2:3::4:5:6]", 1},
    {"[IPv6:1:2:3:4:5::6]", 1},
    {"[IPv6:1:2:3:4::5:6:7]", 0},
    {"[IPv6:1:2:3:4:5:6::7]", 0},
    {"[IPv6:1::2::3]", 0},
    {"[IPv6::::1]", 0},
    {"[IPv6:1:::2]", 0},
    /* IPv6v4-full: 6 groups + IPv4 */
    {"[IPv6:1:2:3:4:5:6:1.2.3.4]", 1},
    {"[IPv6:1:2:3:4:5:1.2.3.4]", 0},
    {"[IPv6:1:2:3:4:5:6:7:1.2.3.4]", 0},
    {"[IPv6:1:2:3:4:5:6:1.2.3.256]", 0},
    /* IPv6v4-comp: at most 4 groups beside "::", + IPv4 */
    {"[IPv6:::1.2.3.4]", 1},
    {"[IPv6:::ffff:1.2.3.4]", 1},
    {"[IPv6:1:2:3::4:1.2.3.4]", 1},
    {"[IPv6:1:2::3:4:1.2.3.4]", 1},
    {"[IPv6:1:2:3::4:5:1.2.3.4]", 0},
    {"[IPv6:1::1.2.3]", 0},
    {"[IPv6:1.2.3.4::]", 0},
    {"[IPv6:]", 0},
    {"[IPv6]", 0},
    /* General-address-literal: Standardized-tag ":" 1*dcontent */
    {"[X-foo:bar]", 1},
    {"[tag:!\"#$%]", 1},
    {"[tag:^_`{|}~]", 1},
    {"[tag:]", 0},
    {"[:x]", 0},
    {"[-tag:x]", 1}, /* Ldh-str allows a leading hyphen */
    {"[tag-:x]", 0},
    {"[tag:a b]", 0},
    {"[tag:a\\\\b]", 0},
    {"[tag:a[b]", 0},
    {"[tag:a]b]", 0},
    {"[tag:\\x80]", 0},
};

static void test_literals(void **state) {
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
    bbuf in = {0};
    assert_int_equal(unit_expand(literals[i].in, &in), 0);
    unsigned char *c = unit_copy(in.p, in.len);
    int err = smtpp_check_address_literal(c, c + in.len);
    if ((err == 0) != literals[i].ok) {
      dlg_print("literal case %zu \"%s\": expected %s, got %s\n", i,
                    unit_show(in.p, in.len), literals[i].ok ? "OK" : "error",
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
      cmocka_unit_test(test_paths),
      cmocka_unit_test(test_domains),
      cmocka_unit_test(test_literals),
  };
  return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
