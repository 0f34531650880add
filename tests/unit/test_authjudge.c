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

/* ---- a zone as text: "name TYPE value|value|..." per line ---------------------- */
/* TYPE one of TXT, A, AAAA, MX (".": the null MX), NX (nxdomain), ERR
 * (servfail).  A name with no line for a type is NODATA when it has other
 * lines, else NXDOMAIN. */
struct rr {
  char name[256];
  int type;
  struct dq_answer a;
  char *strs[16];
  struct addr addrs[16];
};

static struct rr zone[32];
static size_t nzone;

static int
type_of(const char *t)
{
  static const struct { const char *n; int t; } m[] = {
    {"TXT", DQ_TXT}, {"A", DQ_A}, {"AAAA", DQ_AAAA}, {"MX", DQ_MX},
    {"NX", -1}, {"ERR", -2}};
  for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
    if (strcmp(m[i].n, t) == 0)
      return m[i].t;
  fail_msg("bad type %s", t);
  return 0;
}

static void
unload(void)
{
  for (size_t i = 0; i < nzone; i++)
    for (size_t k = 0; k < zone[i].a.n && zone[i].a.strs; k++)
      free(zone[i].strs[k]);
  memset(zone, 0, sizeof(zone));
  nzone = 0;
}

static void
add_value(struct rr *r, const char *v)
{
  assert_true(r->a.n < 16);
  if (r->type == DQ_A || r->type == DQ_AAAA)
    assert_true(target_addr_parse(v, &r->addrs[r->a.n]));
  else
    r->strs[r->a.n] = strdup(r->type == DQ_MX && strcmp(v, ".") == 0 ? ""
                                                                      : v);
  r->a.n++;
}

static void
load(const char *text)
{
  unload();
  char buf[8192];
  snprintf(buf, sizeof(buf), "%s", text);
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    assert_true(nzone < sizeof(zone) / sizeof(zone[0]));
    struct rr *r = &zone[nzone++];
    char *sp = strchr(line, ' ');
    assert_non_null(sp);
    *sp = '\0';
    snprintf(r->name, sizeof(r->name), "%s", line);
    char *type = sp + 1, *vals = strchr(type, ' ');
    if (vals != NULL)
      *vals++ = '\0';
    r->type = type_of(type);
    r->a.status = r->type == -1 ? DQ_NXDOMAIN : r->type == -2 ? DQ_ERROR
                                                             : DQ_OK;
    r->a.error = "SERVFAIL";
    for (char *s2 = NULL, *v = vals ? strtok_r(vals, "|", &s2) : NULL;
         v && r->type > 0; v = strtok_r(NULL, "|", &s2))
      add_value(r, v);
    r->a.strs = r->strs;
    r->a.addrs = r->addrs;
  }
}

static const struct dq_answer *
lookup(void *arg, const char *name, int type)
{
  static struct dq_answer nodata = {DQ_NODATA, 0, NULL, NULL, NULL};
  static struct dq_answer nx = {DQ_NXDOMAIN, 0, NULL, NULL, NULL};
  bool known = false;
  (void)arg;
  for (size_t i = 0; i < nzone; i++) {
    if (strcasecmp(zone[i].name, name) != 0)
      continue;
    if (zone[i].type == type || zone[i].type < 0)
      return &zone[i].a;
    known = true;
  }
  return known ? &nodata : &nx;
}

static int
fx_setup(void **state)
{
  (void)state;
  nzone = 0;
  return 0;
}

static int
fx_teardown(void **state)
{
  (void)state;
  unload();
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
spf_eval(const char *const *ips, size_t n, uint64_t counts[SPF_NEED],
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
  load("example.com TXT v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 -all\n");
  spf_eval(ips, 2, n, notes, sizeof(notes));
  auth_spf_judge(n, false, notes, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "SPF passes for every sending address");
  assert_string_equal(f.txt, "2 pass");
  assert_int_equal(auth_spf_verdict(n, false), AUTH_V_YES);
  /* a record that does not cover one address: neutral */
  load("example.com TXT v=spf1 ip4:192.0.2.10\n");
  spf_eval(ips, 2, n, notes, sizeof(notes));
  assert_int_equal(n[SPF_NEUTRAL], 1);
  auth_spf_judge(n, false, notes, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "does not cover a sending address");
  assert_true(strncmp(f.txt, "1 pass; 192.0.2.20 neutral", 26) == 0);
  assert_int_equal(auth_spf_verdict(n, false), AUTH_V_NO);
  /* -all: a failure is critical */
  load("example.com TXT v=spf1 ip4:192.0.2.10 -all\n");
  spf_eval(ips, 2, n, notes, sizeof(notes));
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
  load("example.com TXT v=spf1 -all\n");
  assert_int_equal(auth_dkim_judge("example.com", one, 1, lookup, NULL, &f),
                   AUTH_V_NO);
  expect(&f, RES_LISTED, SEV_CRITICAL, "has no key record");
  assert_string_equal(f.txt, "s1: no key record");
  /* a short key works, but is a warning */
  snprintf(text, sizeof(text), "s1._domainkey.example.com TXT v=DKIM1; "
           "k=rsa; p=%s\n", key1024);
  load(text);
  assert_int_equal(auth_dkim_judge("example.com", one, 1, lookup, NULL, &f),
                   AUTH_V_YES);
  expect(&f, RES_LISTED, SEV_WARNING, "shorter than 2048 bits");
  assert_string_equal(f.txt, "s1: rsa 1024 bits");
  /* a revoked key, and a selector that could not be read */
  load("s1._domainkey.example.com TXT v=DKIM1; p=\n"
       "s2._domainkey.example.com ERR\n");
  assert_int_equal(auth_dkim_judge("example.com", two, 2, lookup, NULL, &f),
                   AUTH_V_UNKNOWN);
  expect(&f, RES_LISTED, SEV_CRITICAL, "revoked");
  /* only a failed lookup: not known */
  load("s2._domainkey.example.com ERR\n");
  auth_dkim_judge("example.com", two + 1, 1, lookup, NULL, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "s2._domainkey.example.com: SERVFAIL");
  snprintf(text, sizeof(text), "s1._domainkey.example.com TXT %s\n"
           "s2._domainkey.example.com TXT v=DKIM1; h=sha1; p=%s\n", ed25519,
           key1024);
  load(text);
  assert_int_equal(auth_dkim_judge("example.com", two, 2, lookup, NULL, &f),
                   AUTH_V_YES);
  expect(&f, RES_LISTED, SEV_CRITICAL, "only sha1");
  snprintf(text, sizeof(text), "s1._domainkey.example.com TXT %s\n", ed25519);
  load(text);
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
  load("example.com TXT v=spf1 -all\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "no DMARC record");
  assert_string_equal(f.txt, "no record at _dmarc.example.com");
  /* mail that passes neither: p=none only reports it, p=reject acts */
  load("_dmarc.example.com TXT v=DMARC1; p=none; rua=mailto:d@example.com\n");
  dmarc("example.com", AUTH_V_NO, AUTH_V_NO, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "DMARC would fail (p=none");
  assert_int_equal(f.nr, 1);
  load("_dmarc.example.com TXT v=DMARC1; p=reject; "
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
  load("_dmarc.example.com TXT v=DMARC1; p=quarantine; "
       "ruf=mailto:f@reports.example.net\n");
  dmarc("mail.example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "has not agreed");
  expect(&f, RES_LISTED, SEV_WARNING, "no rua=");
  assert_true(strncmp(f.txt, "_dmarc.example.com:", 19) == 0);
  /* ... and with it */
  load("_dmarc.example.com TXT v=DMARC1; p=quarantine; "
       "rua=mailto:f@reports.example.net\n"
       "example.com._report._dmarc.reports.example.net TXT v=DMARC1\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, "mail can pass it");
  load("_dmarc.example.com TXT v=DMARC1; p=none|v=DMARC1; p=reject\n");
  dmarc("example.com", AUTH_V_YES, AUTH_V_YES, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "not valid");
  assert_non_null(strstr(f.txt, "more than one DMARC record"));
  load("_dmarc.example.com ERR\n");
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
  load("example.com NX\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "does not exist (NXDOMAIN)");
  load("example.com MX .\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "null MX");
  assert_string_equal(f.txt, "MX 0 .");
  /* no MX: the address record receives, or nothing does */
  load("example.com A 192.0.2.1\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_NOTICE, "goes to its address record");
  load("example.com TXT v=spf1 -all\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "no MX and no address");
  assert_string_equal(f.txt, "no MX");
  load("example.com MX mx1.example.com|mx2.example.com\n"
       "mx1.example.com A 192.0.2.1\n"
       "mx2.example.com AAAA 2001:db8::1\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_CLEAN, SEV_GOOD, NULL);
  assert_string_equal(f.txt, "MX mx1.example.com mx2.example.com");
  load("example.com MX mx1.example.com|mx2.example.com\n"
       "mx1.example.com A 192.0.2.1\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_WARNING, "an MX host of the domain does not");
  assert_string_equal(f.txt, "MX mx1.example.com mx2.example.com "
                             "(no address)");
  load("example.com MX mx1.example.com\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_LISTED, SEV_CRITICAL, "no MX host of the domain resolves");
  load("example.com MX mx1.example.com\n"
       "mx1.example.com ERR\n");
  auth_mx_judge("example.com", lookup, NULL, &f);
  expect(&f, RES_ERROR, SEV_GOOD, NULL);
  assert_string_equal(f.error, "the address lookup of the MX hosts failed");
  load("example.com ERR\n");
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
