/* test_hashq.c - query names for hash lists (monitor/engines/hashq.h) and
 * e-mail address targets (monitor/base/target.h).  The expected digests
 * were computed with Python's hashlib and base64.b32encode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hashq.h"
#include "target.h"

#define ADDR "Bounces@Example.COM"

static void
label_is(enum list_hash fn, enum list_hash_enc enc, const char *want)
{
  char out[HASHQ_LABEL_MAX];
  assert_int_equal(hashq_label(ADDR, fn, enc, out, sizeof(out)), RBL_OK);
  assert_string_equal(out, want);
}

static void
test_labels(void **state)
{
  (void)state;
  /* the address is lower-cased first: bounces@example.com */
  label_is(LIST_HASH_MD5, LIST_ENC_HEX, "8d160353fde01c691b528e417564ea4b");
  label_is(LIST_HASH_SHA1, LIST_ENC_HEX,
           "1ce37b336e179d4c0ebdd454e8a10b08229c0224");
  label_is(LIST_HASH_MD5, LIST_ENC_BASE32, "RULAGU754AOGSG2SRZAXKZHKJM");
  label_is(LIST_HASH_SHA1, LIST_ENC_BASE32,
           "DTRXWM3OC6OUYDV52RKORIILBARJYARE");
  label_is(LIST_HASH_SHA256, LIST_ENC_BASE32,
           "CKGWK55AXGAT2T2SMRL2UP5BD77DNVUG52IG3OOQOI63PXJ7S4FQ");
}

static void
test_label_refused(void **state)
{
  (void)state;
  char out[HASHQ_LABEL_MAX];
  /* 64 hex characters do not fit a DNS label */
  assert_int_equal(hashq_label(ADDR, LIST_HASH_SHA256, LIST_ENC_HEX, out,
                               sizeof(out)), RBL_ECONFIG);
  assert_int_equal(hashq_label(ADDR, LIST_HASH_NONE, LIST_ENC_HEX, out,
                               sizeof(out)), RBL_ECONFIG);
  assert_int_equal(hashq_label(ADDR, LIST_HASH_SHA1, LIST_ENC_HEX, out, 40),
                   RBL_ETOOBIG);
}

static void
test_qname(void **state)
{
  (void)state;
  char q[TARGET_NAME_MAX];
  assert_int_equal(hashq_qname(ADDR, LIST_HASH_SHA1, LIST_ENC_HEX,
                               "_email.k3y.hbl.dq.spamhaus.net", q,
                               sizeof(q)), RBL_OK);
  assert_string_equal(q, "1ce37b336e179d4c0ebdd454e8a10b08229c0224"
                         "._email.k3y.hbl.dq.spamhaus.net");
  assert_int_equal(hashq_qname(ADDR, LIST_HASH_MD5, LIST_ENC_HEX,
                               "hashbl.surbl.org", q, sizeof(q)), RBL_OK);
  assert_string_equal(q, "8d160353fde01c691b528e417564ea4b.hashbl.surbl.org");
  /* a zone that leaves no room for the label */
  char zone[240];
  memset(zone, 'a', sizeof(zone) - 1);
  zone[sizeof(zone) - 1] = '\0';
  assert_int_equal(hashq_qname(ADDR, LIST_HASH_SHA1, LIST_ENC_HEX, zone, q,
                               sizeof(q)), RBL_ETOOBIG);
  assert_int_equal(hashq_qname(ADDR, LIST_HASH_MD5, LIST_ENC_HEX,
                               "hashbl.surbl.org", q, 40), RBL_ETOOBIG);
}

static void
test_normalize(void **state)
{
  (void)state;
  char out[32];
  assert_int_equal(hashq_normalize("A.B+Tag@Mail.Example", out, sizeof(out)),
                   RBL_OK);
  assert_string_equal(out, "a.b+tag@mail.example"); /* no tag or dot folding */
  assert_int_equal(hashq_normalize("abc", out, 3), RBL_ETOOBIG);
}

static void
test_email_targets(void **state)
{
  (void)state;
  struct target_spec t;
  char err[320], buf[TARGET_NAME_MAX];
  assert_int_equal(target_parse("Bounce+x.y@Mail.Example.COM", &t, err,
                                sizeof(err)), RBL_OK);
  assert_int_equal(t.kind, TARGET_EMAIL);
  assert_false(target_is_ip(&t));
  assert_true(target_dns_checkable(&t));
  assert_int_equal(target_count(&t), 1);
  target_spec_str(&t, buf, sizeof(buf));
  assert_string_equal(buf, "bounce+x.y@mail.example.com");
  static const char *const bad[] = {
    "@example.com", "a@", "a@example", ".a@example.com", "a.@example.com",
    "a..b@example.com", "a b@example.com", "a\"b@example.com",
    "a@-x.example.com", "a@exa_mple..com", "a@b@example.com",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "@example.com",                                   /* 65 characters */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    if (target_parse(bad[i], &t, err, sizeof(err)) == RBL_OK)
      fail_msg("'%s' parsed as a target", bad[i]);
    assert_non_null(strstr(err, "is not an e-mail address"));
  }
  assert_true(target_email_valid("o'brien+{x}|y=z@example.com"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_labels),
    cmocka_unit_test(test_label_refused),
    cmocka_unit_test(test_qname),
    cmocka_unit_test(test_normalize),
    cmocka_unit_test(test_email_targets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
