/* test_target.c - watchlist targets: parsing, counting, streaming over
 * ranges, and RFC 5782 query names (monitor/base/target.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "target.h"

/* Parses s, which must succeed. */
static void
parse_ok(const char *s, struct target_spec *t)
{
  char err[256] = "";
  rbl_status st = target_parse(s, t, err, sizeof(err));
  if (st != RBL_OK)
    fail_msg("target_parse('%s') = %d: %s", s, st, err);
}

static void
spec_is(const struct target_spec *t, const char *want)
{
  char buf[TARGET_NAME_MAX + 8];
  target_spec_str(t, buf, sizeof(buf));
  assert_string_equal(buf, want);
}

static void
addr_is(const struct addr *a, const char *want)
{
  char buf[TARGET_ADDR_MAX];
  target_addr_str(a, buf, sizeof(buf));
  assert_string_equal(buf, want);
}

/* ---- parsing ------------------------------------------------------------ */
static void
test_parse_ip4(void **state)
{
  (void)state;
  struct target_spec t;
  parse_ok("192.0.2.1", &t);
  assert_int_equal(t.kind, TARGET_IP4);
  assert_int_equal(t.base.kind, TARGET_IP4);
  assert_int_equal(t.prefix, 32);
  static const uint8_t want[4] = {192, 0, 2, 1};
  assert_memory_equal(t.base.b, want, 4);
  spec_is(&t, "192.0.2.1");
}

static void
test_parse_ip6(void **state)
{
  (void)state;
  struct target_spec t;
  parse_ok("2001:DB8::1", &t);
  assert_int_equal(t.kind, TARGET_IP6);
  assert_int_equal(t.prefix, 128);
  assert_int_equal(t.base.b[0], 0x20);
  assert_int_equal(t.base.b[1], 0x01);
  assert_int_equal(t.base.b[2], 0x0d);
  assert_int_equal(t.base.b[3], 0xb8);
  assert_int_equal(t.base.b[15], 0x01);
  spec_is(&t, "2001:db8::1");
}

static void
test_parse_ip4_cidr(void **state)
{
  (void)state;
  struct target_spec t;
  parse_ok("198.51.100.0/24", &t);
  assert_int_equal(t.kind, TARGET_IP4);
  assert_int_equal(t.prefix, 24);
  spec_is(&t, "198.51.100.0/24");
  parse_ok("10.0.0.0/16", &t); /* the largest IPv4 range accepted */
  assert_int_equal(t.prefix, 16);
  parse_ok("192.0.2.7/32", &t);
  assert_int_equal(t.prefix, 32);
  spec_is(&t, "192.0.2.7");
}

static void
test_parse_ip6_cidr(void **state)
{
  (void)state;
  struct target_spec t;
  parse_ok("2001:db8:1::/112", &t);
  assert_int_equal(t.kind, TARGET_IP6);
  assert_int_equal(t.prefix, 112);
  spec_is(&t, "2001:db8:1::/112");
  parse_ok("2001:db8::/120", &t);
  assert_int_equal(t.prefix, 120);
}

static void
test_parse_ip6_cidr_too_large(void **state)
{
  (void)state;
  struct target_spec t;
  char err[256] = "";
  /* wider than DNS checks take: data feeds only */
  assert_int_equal(target_parse("2001:db8::/64", &t, err, sizeof(err)),
                   RBL_OK);
  assert_false(target_dns_checkable(&t));
  assert_int_equal(target_parse("2001:db8::/112", &t, err, sizeof(err)),
                   RBL_OK);
  assert_true(target_dns_checkable(&t));
  assert_int_equal(target_parse("10.0.0.0/15", &t, err, sizeof(err)),
                   RBL_OK);
  assert_false(target_dns_checkable(&t));
  assert_int_equal(target_parse("10.0.0.0/16", &t, err, sizeof(err)),
                   RBL_OK);
  assert_true(target_dns_checkable(&t));
  assert_int_equal(target_parse("10.0.0.0/8", &t, err, sizeof(err)),
                   RBL_OK);
  /* wider than that: never */
  assert_int_equal(target_parse("10.0.0.0/7", &t, err, sizeof(err)),
                   RBL_ECONFIG);
  assert_non_null(strstr(err, "larger than /8 are not checked"));
  assert_int_equal(target_parse("2000::/15", &t, err, sizeof(err)),
                   RBL_ECONFIG);
  assert_int_equal(target_parse("0.0.0.0/0", &t, err, sizeof(err)),
                   RBL_ECONFIG);
}

static void
test_parse_host_bits(void **state)
{
  (void)state;
  struct target_spec t;
  char err[256] = "";
  assert_int_equal(target_parse("192.0.2.1/24", &t, err, sizeof(err)),
                   RBL_ECONFIG);
  assert_non_null(strstr(err, "192.0.2.0/24"));
  assert_non_null(strstr(err, "host bits"));
  err[0] = '\0';
  assert_int_equal(target_parse("10.0.1.0/23", &t, err, sizeof(err)),
                   RBL_ECONFIG);
  assert_non_null(strstr(err, "10.0.0.0/23"));
  err[0] = '\0';
  assert_int_equal(target_parse("2001:db8::1:5/112", &t, err, sizeof(err)),
                   RBL_ECONFIG);
  assert_non_null(strstr(err, "2001:db8::1:0/112"));
}

static void
test_parse_domain(void **state)
{
  (void)state;
  struct target_spec t;
  parse_ok("Mail.Example.COM.", &t);
  assert_int_equal(t.kind, TARGET_DOMAIN);
  assert_string_equal(t.domain, "mail.example.com");
  spec_is(&t, "mail.example.com");
  parse_ok("example.org", &t);
  assert_string_equal(t.domain, "example.org");
  parse_ok("xn--bcher-kva.example", &t);
  assert_string_equal(t.domain, "xn--bcher-kva.example");
  /* A 63-character label is the longest allowed. */
  char name[80];
  memset(name, 'a', 63);
  snprintf(name + 63, sizeof(name) - 63, ".example");
  parse_ok(name, &t);
  assert_int_equal(strlen(t.domain), 63 + 8);
}

static void
test_parse_bad(void **state)
{
  (void)state;
  char label64[80];
  memset(label64, 'a', 64);
  snprintf(label64 + 64, sizeof(label64) - 64, ".example");
  char toolong[300];
  for (size_t i = 0; i < 270; i += 10)
    memcpy(toolong + i, "abcdefghi.", 10);
  toolong[269] = 'x';
  toolong[270] = '\0';
  const char *const bad[] = {
    "1.2.3",      "300.1.1.1", "a..b",       "",
    label64,      "1.2.3.4/33", "1.2.3.4/",  "1.2.3.4/x", "1.2.3.4/-1",
    "example.com/24", "a b.example", ".", "..", "exa mple", "ex!ample.com",
    "2001:db8::1/129", "1.2.3.4.5", "256.256.256.256", toolong,
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct target_spec t;
    char err[256] = "";
    rbl_status st = target_parse(bad[i], &t, err, sizeof(err));
    if (st != RBL_ESYNTAX && st != RBL_ECONFIG)
      fail_msg("target_parse('%s') = %d, expected an error", bad[i], st);
    if (err[0] == '\0')
      fail_msg("target_parse('%s'): no reason given", bad[i]);
  }
}

static void
test_parse_bad_status(void **state)
{
  (void)state;
  struct target_spec t;
  char err[256];
  assert_int_equal(target_parse("1.2.3", &t, err, sizeof(err)), RBL_ESYNTAX);
  assert_int_equal(target_parse("300.1.1.1", &t, err, sizeof(err)),
                   RBL_ESYNTAX);
  assert_non_null(strstr(err, "300.1.1.1"));
  assert_int_equal(target_parse("1.2.3.4/33", &t, err, sizeof(err)),
                   RBL_ESYNTAX);
  assert_int_equal(target_parse("a..b", &t, err, sizeof(err)), RBL_ESYNTAX);
  assert_int_equal(target_parse("", &t, err, sizeof(err)), RBL_ESYNTAX);
}

static void
test_parse_hyphen_only(void **state)
{
  (void)state;
  /* "-" is neither an address nor a host name (RFC 952/1123: a label
   * neither starts nor ends with '-'). */
  struct target_spec t;
  char err[256] = "";
  rbl_status st = target_parse("-", &t, err, sizeof(err));
  assert_int_not_equal(st, RBL_OK);
}

/* ---- counting and iteration --------------------------------------------- */
static void
test_count(void **state)
{
  (void)state;
  struct target_spec t;
  parse_ok("192.0.2.1", &t);
  assert_int_equal(target_count(&t), 1);
  parse_ok("192.0.2.0/24", &t);
  assert_int_equal(target_count(&t), 256);
  parse_ok("10.0.0.0/16", &t);
  assert_int_equal(target_count(&t), 65536);
  parse_ok("2001:db8::1", &t);
  assert_int_equal(target_count(&t), 1);
  parse_ok("2001:db8::/112", &t);
  assert_int_equal(target_count(&t), 65536);
  parse_ok("2001:db8::/126", &t);
  assert_int_equal(target_count(&t), 4);
  parse_ok("example.com", &t);
  assert_int_equal(target_count(&t), 1);
}

/* Iterates spec s and checks the addresses against want[0..n). */
static void
iter_is(const char *s, const char *const *want, size_t n)
{
  struct target_spec t;
  struct target_iter it;
  struct addr a;
  parse_ok(s, &t);
  target_iter_init(&it, &t);
  for (size_t i = 0; i < n; i++) {
    assert_true(target_iter_next(&it, &a));
    assert_int_equal(a.kind, t.kind);
    addr_is(&a, want[i]);
  }
  assert_false(target_iter_next(&it, &a));
  assert_false(target_iter_next(&it, &a)); /* and stays done */
}

static void
test_iter_ip4_30(void **state)
{
  (void)state;
  static const char *const want[] = {"192.0.2.0", "192.0.2.1", "192.0.2.2",
                                     "192.0.2.3"};
  iter_is("192.0.2.0/30", want, 4);
}

static void
test_iter_single(void **state)
{
  (void)state;
  static const char *const want[] = {"203.0.113.9"};
  iter_is("203.0.113.9", want, 1);
  static const char *const want6[] = {"2001:db8::9"};
  iter_is("2001:db8::9", want6, 1);
}

static void
test_iter_octet_boundary(void **state)
{
  (void)state;
  static const char *const want[] = {"10.0.0.254", "10.0.0.255"};
  iter_is("10.0.0.254/31", want, 2);

  struct target_spec t;
  struct target_iter it;
  struct addr a, prev;
  parse_ok("10.0.0.0/23", &t);
  target_iter_init(&it, &t);
  size_t n = 0;
  while (target_iter_next(&it, &a)) {
    if (n == 255)
      addr_is(&a, "10.0.0.255");
    if (n == 256)
      addr_is(&a, "10.0.1.0");
    prev = a;
    n++;
  }
  assert_int_equal(n, 512);
  addr_is(&prev, "10.0.1.255");
}

static void
test_iter_ip6(void **state)
{
  (void)state;
  static const char *const want[] = {"2001:db8::", "2001:db8::1",
                                     "2001:db8::2", "2001:db8::3"};
  iter_is("2001:db8::/126", want, 4);
  static const char *const want2[] = {"2001:db8::fc", "2001:db8::fd",
                                      "2001:db8::fe", "2001:db8::ff"};
  iter_is("2001:db8::fc/126", want2, 4);

  /* /112 crosses the byte boundary: 65,536 addresses, last ...:ffff. */
  struct target_spec t;
  struct target_iter it;
  struct addr a, prev;
  parse_ok("2001:db8:0:1::/112", &t);
  target_iter_init(&it, &t);
  size_t n = 0;
  while (target_iter_next(&it, &a)) {
    if (n == 256)
      addr_is(&a, "2001:db8:0:1::100");
    prev = a;
    n++;
  }
  assert_int_equal(n, 65536);
  addr_is(&prev, "2001:db8:0:1::ffff");
}

static void
test_iter_domain(void **state)
{
  (void)state;
  struct target_spec t;
  struct target_iter it;
  struct addr a;
  parse_ok("example.com", &t);
  target_iter_init(&it, &t);
  assert_false(target_iter_next(&it, &a));
}

/* ---- RFC 5782 query names ----------------------------------------------- */
static void
test_qname_ip4(void **state)
{
  (void)state;
  struct addr a;
  char q[TARGET_NAME_MAX];
  assert_true(target_addr_parse("192.0.2.99", &a));
  assert_int_equal(target_qname_addr(&a, "bl.example", q, sizeof(q)),
                   RBL_OK);
  assert_string_equal(q, "99.2.0.192.bl.example");
  /* RFC 5782 section 5: the IPv4 test points. */
  assert_true(target_addr_parse("127.0.0.2", &a));
  assert_int_equal(target_qname_addr(&a, "zen.example", q, sizeof(q)),
                   RBL_OK);
  assert_string_equal(q, "2.0.0.127.zen.example");
}

static void
test_qname_ip6_rfc5782(void **state)
{
  (void)state;
  struct addr a;
  char q[TARGET_NAME_MAX];
  /* RFC 5782 section 2.4. */
  assert_true(target_addr_parse("2001:db8:1:2:3:4:567:89ab", &a));
  assert_int_equal(a.kind, TARGET_IP6);
  assert_int_equal(target_qname_addr(&a, "bl.example", q, sizeof(q)),
                   RBL_OK);
  assert_string_equal(q, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0."
                         "8.b.d.0.1.0.0.2.bl.example");
}

static void
test_qname_ip6_test_point(void **state)
{
  (void)state;
  struct addr a;
  char q[TARGET_NAME_MAX];
  /* RFC 5782 section 5: ::FFFF:7F00:2 is the IPv6 listed test point. */
  assert_true(target_addr_parse("::ffff:7f00:2", &a));
  assert_int_equal(a.kind, TARGET_IP6);
  assert_int_equal(target_qname_addr(&a, "bl.example", q, sizeof(q)),
                   RBL_OK);
  assert_string_equal(q, "2.0.0.0.0.0.f.7.f.f.f.f."
                         "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                         "bl.example");
}

static void
test_qname_domain(void **state)
{
  (void)state;
  char q[TARGET_NAME_MAX];
  assert_int_equal(target_qname_domain("example.com", "dbl.example", q,
                                       sizeof(q)),
                   RBL_OK);
  assert_string_equal(q, "example.com.dbl.example");
  /* RFC 5782 section 5: "test" is the listed domain test point. */
  assert_int_equal(target_qname_domain("test", "dbl.example", q, sizeof(q)),
                   RBL_OK);
  assert_string_equal(q, "test.dbl.example");
}

/* A zone of exactly len characters made of labels. */
static void
make_zone(char *buf, size_t len)
{
  for (size_t i = 0; i < len; i++)
    buf[i] = (i % 10 == 9) ? '.' : 'z';
  if (len > 0)
    buf[len - 1] = 'z';
  buf[len] = '\0';
}

static void
test_qname_too_big(void **state)
{
  (void)state;
  char zone[300], q[512];
  struct addr a;

  /* IPv6: 63 characters + '.' + zone; 253 fits, 254 does not. */
  assert_true(target_addr_parse("2001:db8::1", &a));
  make_zone(zone, 253 - 64);
  assert_int_equal(target_qname_addr(&a, zone, q, sizeof(q)), RBL_OK);
  assert_int_equal(strlen(q), 253);
  make_zone(zone, 253 - 63);
  assert_int_equal(target_qname_addr(&a, zone, q, sizeof(q)), RBL_ETOOBIG);

  /* IPv4. */
  assert_true(target_addr_parse("192.0.2.99", &a)); /* "99.2.0.192" = 10 */
  make_zone(zone, 253 - 11);
  assert_int_equal(target_qname_addr(&a, zone, q, sizeof(q)), RBL_OK);
  make_zone(zone, 253 - 10);
  assert_int_equal(target_qname_addr(&a, zone, q, sizeof(q)), RBL_ETOOBIG);

  /* Domain. */
  char dom[300];
  make_zone(dom, 200);
  make_zone(zone, 52);
  assert_int_equal(target_qname_domain(dom, zone, q, sizeof(q)), RBL_OK);
  assert_int_equal(strlen(q), 253);
  make_zone(zone, 53);
  assert_int_equal(target_qname_domain(dom, zone, q, sizeof(q)),
                   RBL_ETOOBIG);

  /* A buffer too small for a valid name is too big as well. */
  assert_int_equal(target_qname_domain("example.com", "bl.example", q, 10),
                   RBL_ETOOBIG);
  assert_true(target_addr_parse("192.0.2.99", &a));
  assert_int_equal(target_qname_addr(&a, "bl.example", q, 21),
                   RBL_ETOOBIG);
  assert_int_equal(target_qname_addr(&a, "bl.example", q, 22), RBL_OK);
  assert_string_equal(q, "99.2.0.192.bl.example");
}

static void
test_domain_valid(void **state)
{
  (void)state;
  assert_true(target_domain_valid("example.com"));
  assert_true(target_domain_valid("_dmarc.example.com"));
  assert_false(target_domain_valid(""));
  assert_false(target_domain_valid("a..b"));
  assert_false(target_domain_valid("example.com."));
  assert_false(target_domain_valid("exa mple.com"));
  char name[300];
  make_zone(name, 253);
  assert_true(target_domain_valid(name));
  make_zone(name, 254);
  assert_false(target_domain_valid(name));
}

static void
test_addr_parse(void **state)
{
  (void)state;
  struct addr a;
  assert_true(target_addr_parse("127.0.0.1", &a));
  assert_int_equal(a.kind, TARGET_IP4);
  assert_true(target_addr_parse("::1", &a));
  assert_int_equal(a.kind, TARGET_IP6);
  addr_is(&a, "::1");
  assert_false(target_addr_parse("example.com", &a));
  assert_false(target_addr_parse("1.2.3", &a));
  assert_false(target_addr_parse("192.0.2.0/24", &a));
  assert_false(target_addr_parse("", &a));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_ip4),
    cmocka_unit_test(test_parse_ip6),
    cmocka_unit_test(test_parse_ip4_cidr),
    cmocka_unit_test(test_parse_ip6_cidr),
    cmocka_unit_test(test_parse_ip6_cidr_too_large),
    cmocka_unit_test(test_parse_host_bits),
    cmocka_unit_test(test_parse_domain),
    cmocka_unit_test(test_parse_bad),
    cmocka_unit_test(test_parse_bad_status),
    cmocka_unit_test(test_parse_hyphen_only),
    cmocka_unit_test(test_count),
    cmocka_unit_test(test_iter_ip4_30),
    cmocka_unit_test(test_iter_single),
    cmocka_unit_test(test_iter_octet_boundary),
    cmocka_unit_test(test_iter_ip6),
    cmocka_unit_test(test_iter_domain),
    cmocka_unit_test(test_qname_ip4),
    cmocka_unit_test(test_qname_ip6_rfc5782),
    cmocka_unit_test(test_qname_ip6_test_point),
    cmocka_unit_test(test_qname_domain),
    cmocka_unit_test(test_qname_too_big),
    cmocka_unit_test(test_domain_valid),
    cmocka_unit_test(test_addr_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
