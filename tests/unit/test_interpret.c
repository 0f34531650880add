/* test_interpret.c - reading a DNSBL's answers with the list's own codes
 * (dnsbl_interpret), longest-prefix code matching (catalog_match), and
 * the exit code of a set of results (tally_add, tally_exit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnsbl.h"
#include "result.h"

/* An A value in host byte order. */
#define A4(a, b, c, d)                                                      \
  (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) |   \
   (uint32_t)(d))

#define LEN(x) (sizeof(x) / sizeof((x)[0]))

static const char M_SPAM[] = "sent spam to traps";
static const char M_DYN[] = "dynamic range";
static const char M_POLICY[] = "policy listing";
static const char M_GOOD[] = "trusted sender";
static const char M_REFUSED[] = "query via a public resolver refused";
static const char M_QUOTA[] = "over the query limit";

/* A plain list modelled on Spamhaus ZEN: listing codes, a good code, and
 * errors in 127.255.255.0/24, which are query errors, never listings
 * (see lists/spamhaus.yaml and the Spamhaus pages it cites). */
static struct code_rule plain_codes[] = {
  {A4(127, 0, 0, 2), 32, M_SPAM, SEV_CRITICAL},
  {A4(127, 0, 0, 10), 32, M_DYN, SEV_WARNING},
  {A4(127, 0, 0, 11), 32, M_POLICY, SEV_NOTICE},
  {A4(127, 0, 10, 0), 24, M_GOOD, SEV_GOOD},
};
static struct code_rule plain_errors[] = {
  {A4(127, 255, 255, 254), 32, M_REFUSED, SEV_GOOD},
  {A4(127, 255, 255, 0), 24, M_QUOTA, SEV_GOOD},
};

static struct list_def
plain_list(void)
{
  struct list_def l;
  memset(&l, 0, sizeof(l));
  l.name = "test-bl";
  l.zone = "bl.example";
  l.type = LIST_IP4;
  l.codes = plain_codes;
  l.ncodes = LEN(plain_codes);
  l.errors = plain_errors;
  l.nerrors = LEN(plain_errors);
  l.probe = true;
  return l;
}

/* A bitmask list modelled on URIBL multi (https://www.uribl.com/about.shtml:
 * 2 black, 4 grey, 8 red; 127.0.0.1 = query refused). */
static struct code_rule bit_codes[] = {
  {A4(127, 0, 0, 2), 32, "black", SEV_CRITICAL},
  {A4(127, 0, 0, 4), 32, "grey", SEV_WARNING},
  {A4(127, 0, 0, 8), 32, "red", SEV_NOTICE},
};
static struct code_rule bit_errors[] = {
  {A4(127, 0, 0, 1), 32, "query refused", SEV_GOOD},
};

static struct list_def
bitmask_list(void)
{
  struct list_def l;
  memset(&l, 0, sizeof(l));
  l.name = "test-multi";
  l.zone = "multi.example";
  l.type = LIST_DOMAIN;
  l.bitmask = true;
  l.codes = bit_codes;
  l.ncodes = LEN(bit_codes);
  l.errors = bit_errors;
  l.nerrors = LEN(bit_errors);
  return l;
}

static bool
has_reason(const struct interp *in, const char *needle)
{
  for (size_t i = 0; i < in->nreasons; i++)
    if (in->reasons[i] != NULL && strstr(in->reasons[i], needle) != NULL)
      return true;
  return false;
}

static bool
has_code(const struct interp *in, uint32_t code)
{
  for (size_t i = 0; i < in->ncodes; i++)
    if (in->codes[i] == code)
      return true;
  return false;
}

/* ---- plain lists -------------------------------------------------------- */
static void
test_single_code(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 0, 2)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_int_equal(in.ncodes, 1);
  assert_int_equal(in.codes[0], A4(127, 0, 0, 2));
  assert_int_equal(in.nreasons, 1);
  assert_string_equal(in.reasons[0], M_SPAM);

  uint32_t b[] = {A4(127, 0, 0, 10)};
  dnsbl_interpret(&l, b, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_WARNING);
  assert_string_equal(in.reasons[0], M_DYN);

  uint32_t c[] = {A4(127, 0, 0, 11)};
  dnsbl_interpret(&l, c, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_NOTICE);
}

static void
test_several_codes_worst_wins(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  /* Order must not matter: the critical code is in the middle. */
  uint32_t a[] = {A4(127, 0, 0, 10), A4(127, 0, 0, 2), A4(127, 0, 0, 11)};
  dnsbl_interpret(&l, a, LEN(a), &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_int_equal(in.ncodes, 3);
  assert_true(has_code(&in, A4(127, 0, 0, 10)));
  assert_true(has_code(&in, A4(127, 0, 0, 2)));
  assert_true(has_code(&in, A4(127, 0, 0, 11)));
  assert_int_equal(in.nreasons, 3);
  assert_true(has_reason(&in, M_SPAM));
  assert_true(has_reason(&in, M_DYN));
  assert_true(has_reason(&in, M_POLICY));

  uint32_t b[] = {A4(127, 0, 0, 11), A4(127, 0, 0, 10)};
  dnsbl_interpret(&l, b, LEN(b), &in);
  assert_int_equal(in.sev, SEV_WARNING);
}

static void
test_errors_checked_first(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[] = {A4(127, 255, 255, 254)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_ERROR);
  assert_non_null(in.error);
  assert_string_equal(in.error, M_REFUSED);
  assert_int_equal(in.bad, A4(127, 255, 255, 254));

  /* A CIDR error entry; the /32 inside it is more specific. */
  uint32_t b[] = {A4(127, 255, 255, 252)};
  dnsbl_interpret(&l, b, 1, &in);
  assert_int_equal(in.kind, INTERP_ERROR);
  assert_string_equal(in.error, M_QUOTA);
  assert_int_equal(in.bad, A4(127, 255, 255, 252));

  /* An error next to a listing code: the answer is not trusted as a
   * listing (the resolver is refused). */
  uint32_t c[] = {A4(127, 0, 0, 2), A4(127, 255, 255, 254)};
  dnsbl_interpret(&l, c, LEN(c), &in);
  assert_int_equal(in.kind, INTERP_ERROR);
  assert_string_equal(in.error, M_REFUSED);
}

static void
test_errors_before_overlapping_codes(void **state)
{
  (void)state;
  /* A catch-all code range that also covers the error value: errors win. */
  static struct code_rule codes[] = {
    {A4(127, 0, 0, 0), 8, "anything", SEV_CRITICAL},
  };
  struct list_def l = plain_list();
  l.codes = codes;
  l.ncodes = LEN(codes);
  struct interp in;
  uint32_t a[] = {A4(127, 255, 255, 254)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_ERROR);
  assert_string_equal(in.error, M_REFUSED);
}

static void
test_good_codes(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 10, 3)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_GOOD);
  assert_int_equal(in.sev, SEV_GOOD);
  assert_int_equal(in.ncodes, 1);
  assert_int_equal(in.codes[0], A4(127, 0, 10, 3));
  assert_true(has_reason(&in, M_GOOD));
}

static void
test_good_and_listing(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 10, 3), A4(127, 0, 0, 10)};
  dnsbl_interpret(&l, a, LEN(a), &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_WARNING);
  assert_true(has_code(&in, A4(127, 0, 0, 10)));
  assert_true(has_reason(&in, M_DYN));
}

static void
test_unknown_code(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 0, 99)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_WARNING);
  assert_int_equal(in.ncodes, 1);
  assert_int_equal(in.codes[0], A4(127, 0, 0, 99));
  assert_int_equal(in.nreasons, 1);
  assert_true(has_reason(&in, "unknown"));

  /* An unknown code never lowers a known critical one. */
  uint32_t b[] = {A4(127, 0, 0, 99), A4(127, 0, 0, 2)};
  dnsbl_interpret(&l, b, LEN(b), &in);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_true(has_reason(&in, "unknown"));
  assert_true(has_reason(&in, M_SPAM));

  /* And raises a notice-only answer to a warning. */
  uint32_t c[] = {A4(127, 0, 0, 11), A4(127, 0, 0, 99)};
  dnsbl_interpret(&l, c, LEN(c), &in);
  assert_int_equal(in.sev, SEV_WARNING);
}

static void
test_outside_127(void **state)
{
  (void)state;
  /* RFC 5782 section 2.3: answers outside 127.0.0.0/8 are not list data
   * (a dead zone redirected to a parking page, a hijacked domain). */
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[] = {A4(192, 0, 2, 80)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_BROKEN);
  assert_int_equal(in.bad, A4(192, 0, 2, 80));

  uint32_t b[] = {A4(127, 0, 0, 2), A4(10, 0, 0, 2)};
  dnsbl_interpret(&l, b, LEN(b), &in);
  assert_int_equal(in.kind, INTERP_BROKEN);
  assert_int_equal(in.bad, A4(10, 0, 0, 2));

  /* Even before errors. */
  uint32_t c[] = {A4(127, 255, 255, 254), A4(128, 0, 0, 1)};
  dnsbl_interpret(&l, c, LEN(c), &in);
  assert_int_equal(in.kind, INTERP_BROKEN);
}

static void
test_many_answers_bounded(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  struct interp in;
  uint32_t a[20];
  for (size_t i = 0; i < LEN(a); i++)
    a[i] = A4(127, 0, 1, i + 1); /* all unknown */
  dnsbl_interpret(&l, a, LEN(a), &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.ncodes, RESULT_MAX_CODES);
  assert_true(in.nreasons <= RESULT_MAX_CODES);
  assert_int_equal(in.nreasons, 1); /* one "unknown code" reason, once */
}

/* ---- bitmask lists ------------------------------------------------------ */
static void
test_bitmask_two_bits(void **state)
{
  (void)state;
  struct list_def l = bitmask_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 0, 6)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_int_equal(in.ncodes, 1);
  assert_int_equal(in.codes[0], A4(127, 0, 0, 6));
  assert_int_equal(in.nreasons, 2);
  assert_true(has_reason(&in, "black"));
  assert_true(has_reason(&in, "grey"));
  assert_false(has_reason(&in, "red"));
}

static void
test_bitmask_all_bits(void **state)
{
  (void)state;
  struct list_def l = bitmask_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 0, 14)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_int_equal(in.nreasons, 3);

  uint32_t b[] = {A4(127, 0, 0, 8)};
  dnsbl_interpret(&l, b, 1, &in);
  assert_int_equal(in.sev, SEV_NOTICE);
  assert_int_equal(in.nreasons, 1);
  assert_string_equal(in.reasons[0], "red");
}

static void
test_bitmask_unknown_bit(void **state)
{
  (void)state;
  struct list_def l = bitmask_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 0, 16)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_WARNING);
  assert_true(has_reason(&in, "unknown bit"));

  /* With a known bit: both reasons, the known severity if worse. */
  uint32_t b[] = {A4(127, 0, 0, 18)};
  dnsbl_interpret(&l, b, 1, &in);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_int_equal(in.nreasons, 2);
  assert_true(has_reason(&in, "black"));
  assert_true(has_reason(&in, "unknown bit"));
}

static void
test_bitmask_error(void **state)
{
  (void)state;
  struct list_def l = bitmask_list();
  struct interp in;
  uint32_t a[] = {A4(127, 0, 0, 1)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_ERROR);
  assert_string_equal(in.error, "query refused");
  assert_int_equal(in.bad, A4(127, 0, 0, 1));
}

static void
test_bitmask_many_answers_keep_codes(void **state)
{
  (void)state;
  /* RESULT_MAX_CODES answers: each is kept as a code, the bits' reasons
   * must not push one out. */
  struct list_def l = bitmask_list();
  struct interp in;
  uint32_t a[RESULT_MAX_CODES];
  for (size_t i = 0; i < LEN(a); i++)
    a[i] = A4(127, 0, (i + 1), 2);
  dnsbl_interpret(&l, a, LEN(a), &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.ncodes, RESULT_MAX_CODES);
  for (size_t i = 0; i < LEN(a); i++)
    assert_true(has_code(&in, a[i]));
}

/* ---- CIDR codes, longest prefix ----------------------------------------- */
static struct code_rule range_codes[] = {
  {A4(127, 0, 4, 0), 24, "score range", SEV_NOTICE},
  {A4(127, 0, 4, 0), 28, "worst scores", SEV_CRITICAL},
  {A4(127, 0, 4, 5), 32, "exactly five", SEV_WARNING},
};

static void
test_catalog_match_longest(void **state)
{
  (void)state;
  const struct code_rule *r;
  r = catalog_match(range_codes, LEN(range_codes), A4(127, 0, 4, 3));
  assert_non_null(r);
  assert_int_equal(r->prefix, 28);
  assert_string_equal(r->meaning, "worst scores");
  r = catalog_match(range_codes, LEN(range_codes), A4(127, 0, 4, 200));
  assert_non_null(r);
  assert_int_equal(r->prefix, 24);
  r = catalog_match(range_codes, LEN(range_codes), A4(127, 0, 4, 5));
  assert_non_null(r);
  assert_int_equal(r->prefix, 32);
  r = catalog_match(range_codes, LEN(range_codes), A4(127, 0, 4, 16));
  assert_non_null(r);
  assert_int_equal(r->prefix, 24);
  assert_null(catalog_match(range_codes, LEN(range_codes), A4(127, 0, 5, 1)));
  assert_null(catalog_match(range_codes, 0, A4(127, 0, 4, 1)));
  /* Order of the rules does not matter. */
  struct code_rule rev[] = {range_codes[2], range_codes[1], range_codes[0]};
  r = catalog_match(rev, LEN(rev), A4(127, 0, 4, 3));
  assert_int_equal(r->prefix, 28);
}

static void
test_interpret_ranges(void **state)
{
  (void)state;
  struct list_def l = plain_list();
  l.codes = range_codes;
  l.ncodes = LEN(range_codes);
  struct interp in;
  uint32_t a[] = {A4(127, 0, 4, 3)};
  dnsbl_interpret(&l, a, 1, &in);
  assert_int_equal(in.kind, INTERP_LISTED);
  assert_int_equal(in.sev, SEV_CRITICAL);
  assert_string_equal(in.reasons[0], "worst scores");
  uint32_t b[] = {A4(127, 0, 4, 100)};
  dnsbl_interpret(&l, b, 1, &in);
  assert_int_equal(in.sev, SEV_NOTICE);
  assert_string_equal(in.reasons[0], "score range");
}

static void
test_parse_code(void **state)
{
  (void)state;
  uint32_t net;
  unsigned prefix;
  assert_true(catalog_parse_code("127.0.0.2", &net, &prefix));
  assert_int_equal(net, A4(127, 0, 0, 2));
  assert_int_equal(prefix, 32);
  assert_true(catalog_parse_code("127.0.4.0/24", &net, &prefix));
  assert_int_equal(net, A4(127, 0, 4, 0));
  assert_int_equal(prefix, 24);
  assert_false(catalog_parse_code("10.0.0.2", &net, &prefix));
  assert_false(catalog_parse_code("127.0.4.1/24", &net, &prefix));
  assert_false(catalog_parse_code("127.0.0.0/99", &net, &prefix));
  assert_false(catalog_parse_code("127.0.0.0/", &net, &prefix));
  assert_false(catalog_parse_code("127.0.0", &net, &prefix));
}

/* ---- tally -------------------------------------------------------------- */
static struct result
res(enum result_status st, enum severity sev)
{
  struct result r;
  memset(&r, 0, sizeof(r));
  r.status = st;
  r.sev = sev;
  r.has_sev = st == RES_LISTED;
  return r;
}

static void
test_tally_critical(void **state)
{
  (void)state;
  struct tally t;
  memset(&t, 0, sizeof(t));
  struct result r1 = res(RES_CLEAN, SEV_GOOD);
  struct result r2 = res(RES_LISTED, SEV_WARNING);
  struct result r3 = res(RES_LISTED, SEV_CRITICAL);
  struct result r4 = res(RES_ERROR, SEV_GOOD);
  tally_add(&t, &r1);
  tally_add(&t, &r2);
  tally_add(&t, &r3);
  tally_add(&t, &r4);
  assert_int_equal(t.total, 4);
  assert_int_equal(t.listed, 2);
  assert_int_equal(t.critical, 1);
  assert_int_equal(t.warning, 1);
  assert_int_equal(t.clean, 1);
  assert_int_equal(t.errors, 1);
  assert_int_equal(tally_exit(&t), RBL_EXIT_CRITICAL);
  assert_int_equal(tally_exit(&t), 2);
}

static void
test_tally_warning(void **state)
{
  (void)state;
  struct tally t;
  memset(&t, 0, sizeof(t));
  struct result r1 = res(RES_LISTED, SEV_WARNING);
  struct result r2 = res(RES_CLEAN, SEV_GOOD);
  tally_add(&t, &r1);
  tally_add(&t, &r2);
  assert_int_equal(t.warning, 1);
  assert_int_equal(tally_exit(&t), 1);
}

static void
test_tally_clean(void **state)
{
  (void)state;
  struct tally t;
  memset(&t, 0, sizeof(t));
  struct result r = res(RES_CLEAN, SEV_GOOD);
  tally_add(&t, &r);
  tally_add(&t, &r);
  assert_int_equal(t.clean, 2);
  assert_int_equal(t.good, 0);
  r.has_sev = true; /* clean with good standing (a whitelist) */
  tally_add(&t, &r);
  assert_int_equal(t.good, 1);
  assert_int_equal(tally_exit(&t), 0);
}

static void
test_tally_nothing_checked(void **state)
{
  (void)state;
  struct tally t;
  memset(&t, 0, sizeof(t));
  assert_int_equal(tally_exit(&t), 3);
  struct result r1 = res(RES_ERROR, SEV_GOOD);
  struct result r2 = res(RES_SKIPPED, SEV_GOOD);
  tally_add(&t, &r1);
  tally_add(&t, &r1);
  assert_int_equal(tally_exit(&t), 3);
  tally_add(&t, &r2);
  assert_int_equal(t.skipped, 1);
  assert_int_equal(tally_exit(&t), RBL_EXIT_UNKNOWN);
}

static void
test_tally_clean_and_errors(void **state)
{
  (void)state;
  struct tally t;
  memset(&t, 0, sizeof(t));
  struct result r1 = res(RES_CLEAN, SEV_GOOD);
  struct result r2 = res(RES_ERROR, SEV_GOOD);
  tally_add(&t, &r1);
  tally_add(&t, &r2);
  assert_int_equal(tally_exit(&t), 1);
  /* Skipped counts as incomplete as well. */
  memset(&t, 0, sizeof(t));
  struct result r3 = res(RES_SKIPPED, SEV_GOOD);
  tally_add(&t, &r1);
  tally_add(&t, &r3);
  assert_int_equal(tally_exit(&t), 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_single_code),
    cmocka_unit_test(test_several_codes_worst_wins),
    cmocka_unit_test(test_errors_checked_first),
    cmocka_unit_test(test_errors_before_overlapping_codes),
    cmocka_unit_test(test_good_codes),
    cmocka_unit_test(test_good_and_listing),
    cmocka_unit_test(test_unknown_code),
    cmocka_unit_test(test_outside_127),
    cmocka_unit_test(test_many_answers_bounded),
    cmocka_unit_test(test_bitmask_two_bits),
    cmocka_unit_test(test_bitmask_all_bits),
    cmocka_unit_test(test_bitmask_unknown_bit),
    cmocka_unit_test(test_bitmask_error),
    cmocka_unit_test(test_bitmask_many_answers_keep_codes),
    cmocka_unit_test(test_catalog_match_longest),
    cmocka_unit_test(test_interpret_ranges),
    cmocka_unit_test(test_parse_code),
    cmocka_unit_test(test_tally_critical),
    cmocka_unit_test(test_tally_warning),
    cmocka_unit_test(test_tally_clean),
    cmocka_unit_test(test_tally_nothing_checked),
    cmocka_unit_test(test_tally_clean_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
