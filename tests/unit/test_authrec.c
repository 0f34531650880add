/* test_authrec.c - DMARC and DKIM key records and generic PTR names
 * (monitor/engines/authrec.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "authrec.h"

static bool
generic(const char *name, const char *ip)
{
  struct addr a;
  assert_true(target_addr_parse(ip, &a));
  return authrec_ptr_generic(name, &a);
}

static void
generic_ptr_names(void **state)
{
  (void)state;
  assert_true(generic("10-2-0-192.dsl.isp.example", "192.0.2.10"));
  assert_true(generic("192-0-2-10.static.isp.example", "192.0.2.10"));
  assert_true(generic("host10.2.0.192.in-addr.isp.example", "192.0.2.10"));
  assert_true(generic("c000020a.isp.example", "192.0.2.10"));
  assert_true(generic("dyn123.isp.example", "192.0.2.10"));
  assert_true(generic("pool-42.cable.isp.example", "192.0.2.10"));
  assert_true(generic("localhost", "192.0.2.10"));
  assert_false(generic("mail.example.com", "192.0.2.10"));
  assert_false(generic("mx2.example.com", "192.0.2.10"));
  assert_false(generic("smtp-out-10.example.com", "192.0.2.10"));
  /* the provider's own domain may say anything */
  assert_false(generic("mail.dyn.com", "192.0.2.10"));
  assert_false(generic("mail.customer.co.uk", "192.0.2.10"));
  /* digits that are not the address in order, and ordinary words */
  assert_false(generic("mx1.dc2.srv0.example.com", "10.0.1.2"));
  assert_false(generic("client.example.com", "192.0.2.10"));
  assert_false(generic("mta-out.users.example.org", "192.0.2.10"));
  assert_true(generic("host-0-2-10.example.net", "192.0.2.10"));
}

static void
dmarc_records(void **state)
{
  (void)state;
  struct dmarc_rec d;
  assert_true(authrec_dmarc("v=DMARC1; p=reject; sp=none; adkim=s; pct=50; "
                            "rua=mailto:a@example.com,mailto:b@x.example!10m",
                            &d));
  assert_string_equal(d.p, "reject");
  assert_string_equal(d.sp, "none");
  assert_int_equal(d.adkim, 's');
  assert_int_equal(d.aspf, 'r');
  assert_int_equal(d.pct, 50);
  char doms[4][256];
  assert_int_equal(authrec_dmarc_domains(d.rua, doms, 4), 2);
  assert_string_equal(doms[1], "x.example");
  assert_true(authrec_dmarc("v=DMARC1;p=none", &d));
  assert_string_equal(d.sp, "none");
  assert_false(authrec_dmarc("p=none; v=DMARC1", &d));
  assert_false(authrec_dmarc("v=DMARC1; p=maybe", &d));
  assert_non_null(strstr(d.error, "p=maybe"));
  /* RFC 7489 6.6.3: without a valid p=, a record with a rua is p=none */
  assert_true(authrec_dmarc("v=DMARC1; rua=mailto:a@b.example", &d));
  assert_true(d.p_defaulted);
  assert_string_equal(d.p, "none");
  /* any syntactically valid URI will do for that fallback (6.6.3 step 6) */
  assert_true(authrec_dmarc("v=DMARC1; p=maybe; rua=https://x.example/", &d));
  assert_true(d.p_defaulted);
  assert_false(authrec_dmarc("v=DMARC1; p=maybe; rua=not a uri", &d));
  /* an invalid sp= is the same case: with a rua, p=none and sp=none */
  assert_true(authrec_dmarc("v=DMARC1; p=reject; sp=invalid; "
                            "rua=mailto:a@b.example", &d));
  assert_true(d.p_defaulted);
  assert_string_equal(d.p, "none");
  assert_string_equal(d.sp, "none");
  assert_false(authrec_dmarc("v=DMARC1; p=reject; sp=invalid", &d));
  assert_non_null(strstr(d.error, "sp=invalid"));
  /* RFC 7489 6.3: a broken adkim, aspf or pct is discarded for its
   * default, and noted */
  assert_true(authrec_dmarc("v=DMARC1; p=none; pct=150; adkim=x; aspf=s",
                            &d));
  assert_int_equal(d.pct, 100);
  assert_int_equal(d.adkim, 'r');
  assert_int_equal(d.aspf, 's');
  assert_string_equal(d.ignored, "adkim=x (taken as r), pct=150 (taken as "
                      "100)");
  assert_true(authrec_dmarc("v=DMARC1; p=none; pct=0", &d));
  assert_int_equal(d.pct, 0);
  assert_string_equal(d.ignored, "");
  /* other URIs are ignored for reports, broken tags too; a duplicated
   * tag invalidates the tag-list (RFC 7489 6.4, RFC 6376 3.2) */
  assert_true(authrec_dmarc("v=DMARC1; p=none; rua=https://x.example/", &d));
  assert_int_equal(authrec_dmarc_domains(d.rua, doms, 4), 0);
  assert_true(authrec_dmarc("v=DMARC1; p=none; junk", &d));
  assert_false(authrec_dmarc("v=DMARC1; p=none; p=reject", &d));
  assert_non_null(strstr(d.error, "twice"));
  assert_true(authrec_is_dmarc("v = DMARC1 ; p=none"));
  assert_true(authrec_is_dmarc("v=DMARC1"));
  assert_false(authrec_is_dmarc("v=DMARC10; p=none"));
  assert_false(authrec_is_dmarc("p=none; v=DMARC1"));
}

/* A 1024-bit RSA SubjectPublicKeyInfo, base64 (from openssl). */
static const char key1024[] =
  "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDAxaV0JdAPdD8Kv3xJg4TGeY5V"
  "1vIzo3v7sKx+N0XyQmV/WbQ2b7d1zBjmwqL7Gqfq6rR2XkUvG3uxVrRk7o1sVCHr"
  "vq1bRwzCM2bsDEfbi2zkFCE1iDkO4kJpcx3P+3Px6pVdL0t9e0aVHV7yXqAeLrlz"
  "bS1t0NDumRBnUGpBDwIDAQAB";

/* A 512-bit RSA key, SubjectPublicKeyInfo (openssl genrsa 512). */
#define KEY512 "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALz2wSTEXRXDA91CL+o1TU65VwcW" \
  "5xVY0r7MIfMfcJGmG3H4NxMCxPbiK5uzteBOMACcc9ig1sxBJEb5XPu0qC0CAwEAAQ=="

static void
dkim_records(void **state)
{
  (void)state;
  struct dkim_rec k;
  char rec[512];
  snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; t=y; p=%s", key1024);
  assert_true(authrec_dkim(rec, &k));
  assert_int_equal(k.bits, 1024);
  assert_true(k.testing);
  assert_false(k.revoked);
  /* whitespace inside p= is allowed */
  snprintf(rec, sizeof(rec), "p=%.40s %s", key1024, key1024 + 40);
  assert_true(authrec_dkim(rec, &k));
  assert_int_equal(k.bits, 1024);
  assert_true(authrec_dkim("v=DKIM1; p=", &k));
  assert_true(k.revoked);
  assert_false(authrec_dkim("v=DKIM1; k=rsa", &k));
  assert_false(authrec_dkim("k=rsa; v=DKIM1; p=", &k));
  /* an unknown key type is read, for the judge to name */
  assert_true(authrec_dkim("v=DKIM1; k=dsa; p=AAAA", &k));
  assert_true(k.k_unknown);
  assert_string_equal(k.k, "dsa");
  assert_false(authrec_dkim("v=DKIM1; p=not*base64", &k));
  assert_false(authrec_dkim("v=DKIM1; p=AAAAAAAA", &k)); /* not a key */
  assert_true(authrec_dkim("v=DKIM1; k=ed25519; "
                           "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
                           &k));
  assert_int_equal(k.bits, 256);
  snprintf(rec, sizeof(rec), "v=DKIM1; h=sha1; p=%s", key1024);
  assert_true(authrec_dkim(rec, &k));
  assert_true(k.sha1_only);
  /* h= is a list (RFC 6376 3.6.1): usable while it names sha256 */
  snprintf(rec, sizeof(rec), "v=DKIM1; h=sha1 : SHA256; p=%s", key1024);
  assert_true(authrec_dkim(rec, &k));
  assert_false(k.sha1_only);
  snprintf(rec, sizeof(rec), "v=DKIM1; h=sha1:md5; p=%s", key1024);
  assert_true(authrec_dkim(rec, &k));
  assert_true(k.sha1_only);
  assert_string_equal(k.h, "sha1:md5");
  snprintf(rec, sizeof(rec), "v=DKIM1; p=%s", key1024);
  assert_true(authrec_dkim(rec, &k));
  assert_false(k.sha1_only);
  assert_false(k.k_unknown);
  /* a 512-bit key (openssl genrsa 512) */
  assert_true(authrec_dkim("v=DKIM1; p=" KEY512, &k));
  assert_int_equal(k.bits, 512);
  assert_false(authrec_dkim("v=DKIM1; p=a; p=b", &k)); /* RFC 6376 3.2 */
}

/* The judge of auth:dkim over the TXT records at one selector. */
static void
dkim_judge(void **state)
{
  (void)state;
  char k1024[1024], sha1[1024], testing[1024];
  snprintf(k1024, sizeof(k1024), "v=DKIM1; k=rsa; p=%s", key1024);
  snprintf(sha1, sizeof(sha1), "v=DKIM1; h=sha1; p=%s", key1024);
  snprintf(testing, sizeof(testing), "v=DKIM1; t=y; k=ed25519; "
           "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  static const char *const spf[] = {"v=spf1 -all"};
  static const char *const revoked[] = {"v=DKIM1; p="};
  static const char *const dsa[] = {"v=DKIM1; k=dsa; t=y; p=AAAA"};
  static const char *const weak[] = {"v=DKIM1; t=y; p=" KEY512};
  static const char *const rev_dsa[] = {"v=DKIM1; k=dsa; p="};
  static const char *const broken[] = {"v=DKIM1; p=not*base64"};
  const char *const two[] = {k1024, k1024};
  const char *const one[] = {k1024};
  const char *const weak_sha1[] = {sha1};
  const char *const ed[] = {testing};
  const struct {
    const char *const *strs;
    size_t n;
    enum dkim_finding finding;
    bool usable;
    const char *what;
  } cases[] = {
    {NULL, 0, DKIM_MISSING, false, "no key record"},
    {spf, 1, DKIM_MISSING, false, "no key record"},
    {two, 2, DKIM_MULTIPLE, true, "more than one key record"},
    {broken, 1, DKIM_INVALID, false, "invalid: "},
    {revoked, 1, DKIM_REVOKED, false, "revoked"},
    {rev_dsa, 1, DKIM_REVOKED, false, "revoked"},
    {dsa, 1, DKIM_KEYTYPE, false, "k=dsa, a key type receivers do not know, "
                                  "t=y"},
    {weak, 1, DKIM_WEAK, false, "rsa 512 bits, t=y"},
    {weak_sha1, 1, DKIM_SHA1, false, "rsa 1024 bits, h=sha1"},
    {one, 1, DKIM_SHORT, true, "rsa 1024 bits"},
    {ed, 1, DKIM_TESTING, true, "ed25519 256 bits, t=y"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct dkim_judgement j;
    authrec_dkim_judge(cases[i].strs, cases[i].n, &j);
    assert_int_equal(j.finding, cases[i].finding);
    assert_int_equal(j.usable, cases[i].usable);
    assert_true(strncmp(j.what, cases[i].what, strlen(cases[i].what)) == 0);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(generic_ptr_names),
    cmocka_unit_test(dmarc_records),
    cmocka_unit_test(dkim_records),
    cmocka_unit_test(dkim_judge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
