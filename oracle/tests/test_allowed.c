/*
 * test_allowed.c - the table of allowed.h is consistent: every situation
 * is named, cited and quoted; smtpp's own choice lies inside the set the
 * RFCs allow; enhanced codes agree with their reply's class (RFC 3463 2:
 * the first digit is the class of the reply) and never ride on a 3xx
 * reply (RFC 2034 4); the lookups find what they should.
 */
#include "allowed.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void every_situation_is_cited(void **st) {
  (void)st;
  for (int id = 1; id < ALLOWED__COUNT; id++) {
    const allowed_situation *s = allowed_get(id);
    assert_non_null(s);
    assert_int_equal(s->id, id);
    assert_true(s->name && s->name[0]);
    assert_true(s->what && s->what[0]);
    assert_true(s->rfc && strncmp(s->rfc, "RFC ", 4) == 0);
    assert_true(s->quote && strlen(s->quote) > 10);
    assert_true(s->codes[0] >= 200 && s->codes[0] <= 599);
    assert_true(s->level >= ALLOWED_MUST && s->level <= ALLOWED_MAY);
    assert_non_null(s->enh);
    assert_true(s->enh_rfc && s->enh_rfc[0]);
  }
  assert_null(allowed_get(ALLOWED_NONE));
  assert_null(allowed_get(ALLOWED__COUNT));
}

static void smtpp_choice_is_allowed(void **st) {
  (void)st;
  for (int id = 1; id < ALLOWED__COUNT; id++) {
    const allowed_situation *s = allowed_get(id);
    if (s->code == 0) /* the host chooses */
      continue;
    if (!allowed_code_ok(id, s->code))
      fail_msg("%s: smtpp's %d is not among the codes %s allows", s->name,
               s->code, s->rfc);
    if (s->enh[0]) {
      assert_int_equal(s->enh[0] - '0', s->code / 100);
      assert_true(s->code / 100 != 3);
    }
    assert_int_equal(s->closes, s->code == 421 || s->code == 221);
  }
}

static void lookups(void **st) {
  (void)st;
  char b[64];
  for (int id = 1; id < ALLOWED__COUNT; id++) {
    const allowed_situation *s = allowed_get(id);
    assert_ptr_equal(allowed_by_name(s->name), s);
  }
  assert_null(allowed_by_name("NO_SUCH_SITUATION"));
  assert_null(allowed_by_name(NULL));
  assert_true(allowed_code_ok(ALLOWED_DATA_NO_RECIPIENT, 503));
  assert_true(allowed_code_ok(ALLOWED_DATA_NO_RECIPIENT, 554));
  assert_false(allowed_code_ok(ALLOWED_DATA_NO_RECIPIENT, 250));
  assert_false(allowed_code_ok(ALLOWED_NONE, 250));
  allowed_codes_str(ALLOWED_DATA_NO_RECIPIENT, b, sizeof b);
  assert_string_equal(b, "503 554");
  allowed_codes_str(ALLOWED_DATA_NO_RECIPIENT, b, 6);
  assert_string_equal(b, "503");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_situation_is_cited),
      cmocka_unit_test(smtpp_choice_is_allowed),
      cmocka_unit_test(lookups),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
