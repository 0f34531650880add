/* test_authjudge.c - the judges of the five authentication checks
 * (monitor/engines/auth_check.h): fetched answers in, a finding out, no
 * loop and no DNS.  The answers come from a zone written as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "auth_check.h"
#include "textzone.h"

/* ---- a zone as text (textzone.h) ----------------------------------------------- */
static const struct dq_answer *
lookup(void *arg, const char *name, int type)
{
  (void)arg;
  return textzone_answer(name, type);
}

static int
fx_setup(void **state)
{
  (void)state;
  textzone_unload();
  return 0;
}

static int
fx_teardown(void **state)
{
  (void)state;
  textzone_unload();
  return 0;
}

/* The finding has this status and severity, and a reason saying what. */
static void
expect(const struct auth_finding *f, enum result_status st,
       enum severity sev, const char *what)
{
  assert_int_equal(f->status, st);
  assert_int_equal(f->sev, sev);
  if (what == NULL) {
    assert_int_equal(f->nr, 0);
    return;
  }
  bool seen = false;
  for (size_t i = 0; i < f->nr; i++)
    seen = seen || strstr(f->reasons[i], what) != NULL;
  if (!seen)
    fail_msg("no reason says \"%s\" (%zu reasons, first: %s)", what, f->nr,
             f->nr ? f->reasons[0] : "-");
}

/* ---- auth:ptr ------------------------------------------------------------------ */
static void
ptr_facts(struct auth_ptr_facts *p, const char *ip, enum dq_status st,
          const char *name, bool ok, bool err)
{
  memset(p, 0, sizeof(*p));
  assert_true(target_addr_parse(ip, &p->a));
  p->status = st;
  if (name != NULL) {
    snprintf(p->names[0], sizeof(p->names[0]), "%s", name);
    p->ok[0] = ok;
    p->err[0] = err;
    p->n = 1;
  }
}

static void
ptr_judge(void **state)
{
  (void)state;
  struct auth_ptr_facts p;
  struct auth_finding f;
  ptr_facts(&p, "192.0.2.10", DQ_NXDOMAIN, NULL, false, false);
  auth_ptr_judge(&p, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "no PTR record");
  assert_string_equal(f.txt, "no PTR record");
  /* a name that does not resolve back: no FCrDNS */
  ptr_facts(&p, "192.0.2.10", DQ_OK, "mail.example.com", false, false);
  auth_ptr_judge(&p, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "not forward-confirmed");
  assert_int_equal(f.nr, 1);
  assert_string_equal(f.txt, "mail.example.com (does not resolve back)");
  ptr_facts(&p, "192.0.2.10", DQ_OK, "mail.example.com", true, false);
  auth_ptr_judge(&p, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "PTR forward-confirmed");
  assert_string_equal(f.txt, "mail.example.com (confirmed)");
  /* confirmed, but generic: a warning */
  ptr_facts(&p, "192.0.2.10", DQ_OK, "10-2-0-192.dsl.isp.example", true,
            false);
  auth_ptr_judge(&p, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "generic or dynamic");
  /* unconfirmed and generic: both reasons */
  ptr_facts(&p, "192.0.2.10", DQ_OK, "10-2-0-192.dsl.isp.example", false,
            false);
  auth_ptr_judge(&p, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "generic or dynamic");
  assert_int_equal(f.nr, 2);
  /* the forward lookup failed: not known */
  ptr_facts(&p, "192.0.2.10", DQ_OK, "mail.example.com", false, true);
  auth_ptr_judge(&p, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "the PTR name could not be looked up");
  ptr_facts(&p, "192.0.2.10", DQ_ERROR, NULL, false, false);
  snprintf(p.error, sizeof(p.error), "PTR lookup: SERVFAIL");
  auth_ptr_judge(&p, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "PTR lookup: SERVFAIL");
  assert_string_equal(f.txt, "");
}

/* ---- auth:spf ------------------------------------------------------------------ */
/* Evaluates the zone's record for each address, as the check does. */
static void
spf_tally(const char *const *ips, size_t n, uint64_t counts[SPF_NEED],
         char *notes, size_t size)
{
  memset(counts, 0, SPF_NEED * sizeof(counts[0]));
  notes[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    struct addr a;
    struct spf_out o;
    assert_true(target_addr_parse(ips[i], &a));
    enum spf_result r = spf_check(&a, "example.com", "postmaster@example.com",
                                  lookup, NULL, &o);
    assert_int_not_equal(r, SPF_NEED);
    counts[r]++;
    if (r != SPF_PASS)
      snprintf(notes, size, "%s %s (%s)", ips[i], spf_result_names[r], o.why);
  }
}

static void
spf_judge(void **state)
{
  (void)state;
  static const char *const ips[] = {"192.0.2.10", "192.0.2.20"};
  uint64_t n[SPF_NEED];
  char notes[400];
  struct auth_finding f;
  textzone_load("example.com TXT v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 -all\n");
  spf_tally(ips, 2, n, notes, sizeof(notes));
  auth_spf_judge(n, false, notes, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "SPF passes for every sending address");
  assert_string_equal(f.txt, "2 pass");
  assert_int_equal(auth_spf_verdict(n, false), AUTH_V_YES);
  /* a record that does not cover one address: neutral */
  textzone_load("example.com TXT v=spf1 ip4:192.0.2.10\n");
  spf_tally(ips, 2, n, notes, sizeof(notes));
  assert_int_equal(n[SPF_NEUTRAL], 1);
  auth_spf_judge(n, false, notes, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "does not cover a sending address");
  assert_true(strncmp(f.txt, "1 pass; 192.0.2.20 neutral", 26) == 0);
  assert_int_equal(auth_spf_verdict(n, false), AUTH_V_NO);
  /* -all: a failure is critical */
  textzone_load("example.com TXT v=spf1 ip4:192.0.2.10 -all\n");
  spf_tally(ips, 2, n, notes, sizeof(notes));
  auth_spf_judge(n, false, notes, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "SPF fails for a sending address");
  /* no record, read without an address */
  memset(n, 0, sizeof(n));
  n[SPF_NONE] = 1;
  auth_spf_judge(n, true, "none (no record)", &f);
  expect(&f, RES_LISTED, SEV_WARNING, "no SPF record");
  assert_string_equal(f.txt, "none (no record)");
  assert_int_equal(auth_spf_verdict(n, true), AUTH_V_NO);
  /* a record that reads well, nobody to judge it for */
  memset(n, 0, sizeof(n));
  n[SPF_PASS] = 1;
  auth_spf_judge(n, true, "record read", &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "no sending address");
  assert_int_equal(auth_spf_verdict(n, true), AUTH_V_UNKNOWN);
  /* DNS failures only: not known */
  memset(n, 0, sizeof(n));
  n[SPF_TEMPERROR] = 2;
  auth_spf_judge(n, false, "", &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_non_null(strstr(f.error, "temperror"));
  assert_int_equal(auth_spf_verdict(n, false), AUTH_V_UNKNOWN);
}

/* ---- auth:dkim ----------------------------------------------------------------- */
/* A 1024-bit RSA SubjectPublicKeyInfo, base64 (as in test_authrec.c). */
static const char key1024[] =
  "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDAxaV0JdAPdD8Kv3xJg4TGeY5V"
  "1vIzo3v7sKx+N0XyQmV/WbQ2b7d1zBjmwqL7Gqfq6rR2XkUvG3uxVrRk7o1sVCHr"
  "vq1bRwzCM2bsDEfbi2zkFCE1iDkO4kJpcx3P+3Px6pVdL0t9e0aVHV7yXqAeLrlz"
  "bS1t0NDumRBnUGpBDwIDAQAB";
static const char ed25519[] =
  "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

static void
dkim_judge(void **state)
{
  (void)state;
  static const char *const one[] = {"s1"};
  static const char *const two[] = {"s1", "s2"};
  char text[1024];
  struct auth_finding f;
  textzone_load("example.com TXT v=spf1 -all\n");
  assert_int_equal(auth_dkim_judge("example.com", one, 1, lookup, NULL, &f),
                   AUTH_V_NO);
  expect(&f, RES_LISTED, SEV_CRITICAL, "has no key record");
  assert_string_equal(f.txt, "s1: no key record");
  /* a short key works, but is a warning */
  snprintf(text, sizeof(text), "s1._domainkey.example.com TXT v=DKIM1; "
           "k=rsa; p=%s\n", key1024);
  textzone_load(text);
  assert_int_equal(auth_dkim_judge("example.com", one, 1, lookup, NULL, &f),
                   AUTH_V_YES);
  expect(&f, RES_LISTED, SEV_WARNING, "shorter than 2048 bits");
  assert_string_equal(f.txt, "s1: rsa 1024 bits");
  /* a revoked key, and a selector that could not be read */
  textzone_load("s1._domainkey.example.com TXT v=DKIM1; p=\n"
       "s2._domainkey.example.com ERR\n");
  assert_int_equal(auth_dkim_judge("example.com", two, 2, lookup, NULL, &f),
                   AUTH_V_UNKNOWN);
  expect(&f, RES_LISTED, SEV_CRITICAL, "revoked");
  /* only a failed lookup: not known */
  textzone_load("s2._domainkey.example.com ERR\n");
  auth_dkim_judge("example.com", two + 1, 1, lookup, NULL, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "s2._domainkey.example.com: SERVFAIL");
  snprintf(text, sizeof(text), "s1._domainkey.example.com TXT %s\n"
           "s2._domainkey.example.com TXT v=DKIM1; h=sha1; p=%s\n", ed25519,
           key1024);
  textzone_load(text);
  assert_int_equal(auth_dkim_judge("example.com", two, 2, lookup, NULL, &f),
                   AUTH_V_YES);
  expect(&f, RES_LISTED, SEV_CRITICAL, "only sha1");
  snprintf(text, sizeof(text), "s1._domainkey.example.com TXT %s\n", ed25519);
  textzone_load(text);
  assert_int_equal(auth_dkim_judge("example.com", one, 1, lookup, NULL, &f),
                   AUTH_V_YES);
  expect(&f, RES_CLEAN, SEV_GOOD, "DKIM keys published");
}

/* ---- auth:dmarc ---------------------------------------------------------------- */
static void
dmarc(const char *domain, enum auth_verdict spf, enum auth_verdict dkim,
      struct auth_finding *f)
{
  struct auth_dmarc_facts x = {domain, spf, dkim, false, 1};
  auth_dmarc_judge(&x, lookup, NULL, f);
}

static void
dmarc_judge(void **state)
{
  (void)state;
  struct auth_finding f;
  textzone_load("example.com TXT v=spf1 -all\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "no DMARC record");
  assert_string_equal(f.txt, "no record at _dmarc.example.com");
  /* mail that passes neither: p=none only reports it, p=reject acts */
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=none; rua=mailto:d@example.com\n");
  dmarc("example.com", AUTH_V_NO, AUTH_V_NO, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "DMARC would fail (p=none");
  assert_int_equal(f.nr, 1);
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=reject; "
       "rua=mailto:d@example.com\n");
  dmarc("example.com", AUTH_V_NO, AUTH_V_NO, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "DMARC fails: mail passes neither");
  dmarc("example.com", AUTH_V_YES, AUTH_V_NO, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "DMARC published, and mail can pass it");
  assert_true(strncmp(f.txt, "_dmarc.example.com: p=reject", 28) == 0);
  /* SPF and DKIM unknown: whether it passes cannot be told */
  dmarc("example.com", AUTH_V_UNKNOWN, AUTH_V_UNKNOWN, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_non_null(strstr(f.error, "cannot be told"));
  /* the organisational domain's record, reports elsewhere without consent
   * and no rua= */
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=quarantine; "
       "ruf=mailto:f@reports.example.net\n");
  dmarc("mail.example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "has not agreed");
  expect(&f, RES_LISTED, SEV_WARNING, "no rua=");
  assert_true(strncmp(f.txt, "_dmarc.example.com:", 19) == 0);
  /* ... and with it */
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=quarantine; "
       "rua=mailto:f@reports.example.net\n"
       "example.com._report._dmarc.reports.example.net TXT v=DMARC1\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "mail can pass it");
  /* RFC 7489 6.6.3: an invalid sp= with a rua is p=none, so failing
   * mail is only reported; without a rua the record is invalid */
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=reject; sp=invalid; "
       "rua=mailto:d@example.com\n");
  dmarc("example.com", AUTH_V_NO, AUTH_V_NO, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "DMARC would fail (p=none");
  assert_non_null(strstr(f.txt, "p=none sp=none"));
  assert_non_null(strstr(f.txt, "taken as p=none"));
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=reject; sp=invalid\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "not valid");
  assert_non_null(strstr(f.txt, "sp=invalid"));
  /* RFC 7489 6.3: a broken pct is discarded for 100, and noted */
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=reject; pct=500; "
       "rua=mailto:d@example.com\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_NOTICE, "broken value");
  assert_non_null(strstr(f.txt, "pct=100"));
  assert_non_null(strstr(f.txt, "ignored pct=500 (taken as 100)"));
  textzone_load("_dmarc.example.com TXT v=DMARC1; p=none|v=DMARC1; p=reject\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "not valid");
  assert_non_null(strstr(f.txt, "more than one DMARC record"));
  textzone_load("_dmarc.example.com ERR\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "_dmarc.example.com: SERVFAIL");
}

/* ---- auth:mx ------------------------------------------------------------------- */
static void
mx_judge(void **state)
{
  (void)state;
  struct auth_finding f;
  textzone_load("example.com NX\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "does not exist (NXDOMAIN)");
  textzone_load("example.com MX .\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "null MX");
  assert_string_equal(f.txt, "MX 0 .");
  /* no MX: the address record receives, or nothing does */
  textzone_load("example.com A 192.0.2.1\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_NOTICE, "goes to its address record");
  textzone_load("example.com TXT v=spf1 -all\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "no MX and no address");
  assert_string_equal(f.txt, "no MX");
  textzone_load("example.com MX mx1.example.com|mx2.example.com\n"
       "mx1.example.com A 192.0.2.1\n"
       "mx2.example.com AAAA 2001:db8::1\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, NULL);
  assert_string_equal(f.txt, "MX mx1.example.com mx2.example.com");
  textzone_load("example.com MX mx1.example.com|mx2.example.com\n"
       "mx1.example.com A 192.0.2.1\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "an MX host of the domain does not");
  assert_string_equal(f.txt, "MX mx1.example.com mx2.example.com "
                             "(no address)");
  textzone_load("example.com MX mx1.example.com\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "no MX host of the domain resolves");
  textzone_load("example.com MX mx1.example.com\n"
       "mx1.example.com ERR\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "the address lookup of the MX hosts failed");
  textzone_load("example.com ERR\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "SERVFAIL");
}

/* ---- the table ----------------------------------------------------------------- */
static void
check_table(void **state)
{
  (void)state;
  const struct auth_check_ops *const t[] = {
    &auth_check_spf, &auth_check_dkim, &auth_check_dmarc, &auth_check_mx};
  const enum auth_check k[] = {AUTH_SPF, AUTH_DKIM, AUTH_DMARC, AUTH_MX};
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    assert_int_equal(t[i]->check, k[i]);
    assert_true(t[i]->wanted_by & (1u << k[i]));
    assert_non_null(t[i]->need);
    assert_non_null(t[i]->judge);
  }
  /* DMARC reads the verdicts of SPF and DKIM: they run for it */
  assert_true(auth_check_spf.wanted_by & (1u << AUTH_DMARC));
  assert_true(auth_check_dkim.wanted_by & (1u << AUTH_DMARC));
  assert_true(auth_check_dkim.selectors);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(ptr_judge), T(spf_judge), T(dkim_judge), T(dmarc_judge), T(mx_judge),
    T(check_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
