/* test_spf.c - SPF evaluation (monitor/engines/spf.h) over a table of DNS answers:
 * mechanisms and qualifiers, include and redirect, CIDR lengths, macros,
 * the 10-lookup and 2-void limits, loops, syntax errors, several records,
 * DNS errors, and the "need" protocol (what to fetch next). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "spf.h"
#include "textzone.h"

/* The zone (textzone.h), counting lookups; with *allow_need, the first
 * answer the zone does not hold is "not fetched yet" (NULL).  A name no
 * query can carry comes back as the resolver answers it (c-ares:
 * ARES_EBADNAME, an error), and is counted. */
static size_t nlookups, nbadnames;

static bool
sendable(const char *name)
{
  size_t n = strlen(name);
  if (n == 0 || n > 253 || name[0] == '.' || strstr(name, "..") != NULL)
    return false;
  for (const char *l = name; *l;) {
    size_t len = strcspn(l, ".");
    if (len > 63)
      return false;
    l += len + (l[len] == '.');
  }
  return true;
}

static const struct dq_answer *
lookup(void *arg, const char *name, int type)
{
  static const struct dq_answer badname = {DQ_ERROR, 0, NULL, NULL,
                                           "invalid query name"};
  bool *allow_need = arg;
  nlookups++;
  if (!sendable(name)) {
    nbadnames++;
    return &badname;
  }
  const struct dq_answer *a = textzone_answer(name, type);
  if ((a == &textzone_nodata || a == &textzone_nx) && allow_need != NULL &&
      *allow_need) {
    *allow_need = false;
    return NULL;
  }
  return a;
}

static enum spf_result
check(const char *ip, const char *domain, struct spf_out *o)
{
  struct addr a;
  assert_true(target_addr_parse(ip, &a));
  char sender[300];
  snprintf(sender, sizeof(sender), "postmaster@%s", domain);
  return spf_check(&a, domain, sender, lookup, NULL, o);
}

static void
expect(const char *ip, const char *domain, enum spf_result r,
       const char *why_part)
{
  struct spf_out o;
  enum spf_result got = check(ip, domain, &o);
  if (got != r || (why_part && strstr(o.why, why_part) == NULL))
    fail_msg("%s for %s: got %s (%s), expected %s (%s)", ip, domain,
             spf_result_names[got], o.why, spf_result_names[r],
             why_part ? why_part : "");
}

static void
mechanisms_and_qualifiers(void **state)
{
  (void)state;
  textzone_load("ex.test TXT v=spf1 ip4:192.0.2.0/28 ip6:2001:db8::/64 a mx:mail.ex.test/30 ~all\n"
       "ex.test A 198.51.100.7\n"
       "mail.ex.test MX mx1.ex.test|mx2.ex.test\n"
       "mx1.ex.test A 203.0.113.9\n"
       "mx2.ex.test A 203.0.113.20\n"
       "hard.test TXT v=spf1 -ip4:192.0.2.1 ?ip4:192.0.2.2 +all\n"
       "other.test TXT not spf|v=spf10 nope\n");
  expect("192.0.2.15", "ex.test", SPF_PASS, "ip4:192.0.2.0/28");
  expect("192.0.2.16", "ex.test", SPF_SOFTFAIL, "~all");
  expect("2001:db8::25", "ex.test", SPF_PASS, "ip6:");
  expect("2001:db8:1::25", "ex.test", SPF_SOFTFAIL, NULL);
  expect("198.51.100.7", "ex.test", SPF_PASS, "a in ex.test");
  expect("203.0.113.10", "ex.test", SPF_PASS, "mx:mail.ex.test/30");
  expect("203.0.113.20", "ex.test", SPF_PASS, NULL);
  expect("203.0.113.24", "ex.test", SPF_SOFTFAIL, NULL);
  expect("192.0.2.1", "hard.test", SPF_FAIL, "-ip4:192.0.2.1");
  expect("192.0.2.2", "hard.test", SPF_NEUTRAL, NULL);
  expect("192.0.2.3", "hard.test", SPF_PASS, NULL);
  expect("192.0.2.3", "other.test", SPF_NONE, "no SPF record");
  expect("192.0.2.3", "missing.test", SPF_NONE, NULL);
}

static void
include_redirect_and_loops(void **state)
{
  (void)state;
  textzone_load("a.test TXT v=spf1 include:_spf.b.test -all\n"
       "_spf.b.test TXT v=spf1 ip4:192.0.2.0/24 ?all\n"
       "r.test TXT v=spf1 redirect=_spf.b.test\n"
       "r2.test TXT v=spf1 redirect=nothing.test\n"
       "nothing.test A 192.0.2.200\n"
       "loop.test TXT v=spf1 include:loop.test -all\n"
       "inc-none.test TXT v=spf1 include:nothing.test -all\n"
       "inc-err.test TXT v=spf1 include:broken.test -all\n"
       "broken.test TXT v=spf1 ip4:192.0.2.300 -all\n");
  expect("192.0.2.9", "a.test", SPF_PASS, "ip4:192.0.2.0/24 in _spf.b.test");
  expect("198.51.100.1", "a.test", SPF_FAIL, "-all");
  expect("192.0.2.9", "r.test", SPF_PASS, NULL);
  expect("198.51.100.1", "r.test", SPF_NEUTRAL, NULL);
  expect("192.0.2.9", "r2.test", SPF_PERMERROR, "no SPF record");
  expect("192.0.2.9", "loop.test", SPF_PERMERROR, "more than 10 DNS lookups");
  expect("192.0.2.9", "inc-none.test", SPF_PERMERROR, "has no SPF record");
  expect("192.0.2.9", "inc-err.test", SPF_PERMERROR, "bad address");
}

static void
limits(void **state)
{
  (void)state;
  textzone_load("many.test TXT v=spf1 a:a1.test a:a2.test a:a3.test a:a4.test a:a5.test "
       "a:a6.test a:a7.test a:a8.test a:a9.test a:a10.test a:a11.test -all\n"
       "ten.test TXT v=spf1 a:a1.test a:a2.test a:a3.test a:a4.test a:a5.test "
       "a:a6.test a:a7.test a:a8.test a:a9.test a:a10.test -all\n"
       "a1.test A 10.0.0.1\na2.test A 10.0.0.2\na3.test A 10.0.0.3\n"
       "a4.test A 10.0.0.4\na5.test A 10.0.0.5\na6.test A 10.0.0.6\n"
       "a7.test A 10.0.0.7\na8.test A 10.0.0.8\na9.test A 10.0.0.9\n"
       "a10.test A 10.0.0.10\na11.test A 10.0.0.11\n"
       "voids.test TXT v=spf1 a:v1.test a:v2.test a:v3.test ip4:192.0.2.1 -all\n"
       "twovoids.test TXT v=spf1 a:v1.test a:v2.test ip4:192.0.2.1 -all\n"
       "mxs.test TXT v=spf1 mx -all\n"
       "mxs.test MX m1.test|m2.test|m3.test|m4.test|m5.test|m6.test|m7.test|"
       "m8.test|m9.test|m10.test|m11.test\n");
  /* the 11th lookup is the error, whatever it would find */
  expect("10.0.0.11", "many.test", SPF_PERMERROR, "more than 10 DNS lookups");
  expect("10.0.0.10", "many.test", SPF_PASS, NULL);
  expect("192.0.2.9", "ten.test", SPF_FAIL, NULL);
  expect("192.0.2.1", "voids.test", SPF_PERMERROR, "found nothing");
  expect("192.0.2.1", "twovoids.test", SPF_PASS, NULL);
  expect("192.0.2.1", "mxs.test", SPF_PERMERROR, "more than 10 MX");
}

static void
syntax_errors_and_records(void **state)
{
  (void)state;
  textzone_load("two.test TXT v=spf1 -all|v=spf1 +all\n"
       "bad1.test TXT v=spf1 ip4:192.0.2.0/33 -all\n"
       "bad2.test TXT v=spf1 foo:bar -all\n"
       "bad3.test TXT v=spf1 redirect=a.test redirect=b.test\n"
       "bad4.test TXT v=spf1 include -all\n"
       "bad5.test TXT v=spf1 exists:%{z}.x.test -all\n"
       "bad6.test TXT v=spf1 ip4:192.0.2.1 -all ip4:192.0.2.0/024\n"
       "unk.test TXT v=spf1 foo=bar ip4:192.0.2.1 -all\n"
       "err.test ERR\n"
       "err2.test TXT v=spf1 a:err.test -all\n"
       "V.test TXT V=SPF1 IP4:192.0.2.1 -ALL\n"
       "q.test TXT v=spf1 ip4:192.0.2.1 a:%{q}.x.test -all\n"
       "e.test TXT v=spf1 ip4:192.0.2.1 exp= -all\n"
       "d0.test TXT v=spf1 ip4:192.0.2.1 exists:%{d0}.x.test -all\n"
       "tld.test TXT v=spf1 ip4:192.0.2.1 a:museum -all\n"
       "num.test TXT v=spf1 ip4:192.0.2.1 a:1.2.3.4 -all\n"
       "crt.test TXT v=spf1 ip4:192.0.2.1 exists:%{c}.x.test -all\n");
  expect("192.0.2.1", "two.test", SPF_PERMERROR, "2 SPF records");
  expect("192.0.2.1", "bad1.test", SPF_PERMERROR, "CIDR");
  expect("192.0.2.1", "bad2.test", SPF_PERMERROR, "unknown mechanism");
  expect("192.0.2.1", "bad3.test", SPF_PERMERROR, "second redirect");
  expect("192.0.2.1", "bad4.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "bad5.test", SPF_PERMERROR, "syntax error");
  /* a syntax error anywhere, even after a match */
  expect("192.0.2.1", "bad6.test", SPF_PERMERROR, "CIDR");
  expect("192.0.2.1", "unk.test", SPF_PASS, NULL);
  expect("192.0.2.1", "err.test", SPF_TEMPERROR, "SERVFAIL");
  expect("192.0.2.1", "err2.test", SPF_TEMPERROR, NULL);
  expect("192.0.2.1", "V.test", SPF_PASS, NULL);
  /* the whole record is checked first: errors after the match count */
  expect("192.0.2.1", "q.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "e.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "d0.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "tld.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "num.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "crt.test", SPF_PERMERROR, "syntax error");
}

static void
macros_and_ptr(void **state)
{
  (void)state;
  textzone_load("m.test TXT v=spf1 exists:%{ir}.%{l1r-}.%{d2}._spf.m.test -all\n"
       "1.2.0.192.postmaster.m.test._spf.m.test A 127.0.0.2\n"
       "p.test TXT v=spf1 ptr:mail.p.test -all\n"
       "1.2.0.192.in-addr.arpa PTR mx.mail.p.test|other.example\n"
       "mx.mail.p.test A 192.0.2.1\n"
       "2.2.0.192.in-addr.arpa PTR mx2.mail.p.test\n"
       "mx2.mail.p.test A 192.0.2.99\n"
       "v6.test TXT v=spf1 exists:%{ir}.%{v}.v6.test -all\n"
       "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.v6.test A 127.0.0.2\n");
  expect("192.0.2.1", "m.test", SPF_PASS, "exists:");
  expect("192.0.2.2", "m.test", SPF_FAIL, NULL);
  expect("192.0.2.1", "p.test", SPF_PASS, "ptr:mail.p.test");
  /* a PTR name that does not resolve back is not validated */
  expect("192.0.2.2", "p.test", SPF_FAIL, NULL);
  expect("2001:db8::1", "v6.test", SPF_PASS, NULL);
}

static void
need_names_what_to_fetch(void **state)
{
  (void)state;
  textzone_load("n.test TXT v=spf1 include:_spf.n.test -all\n"
       "_spf.n.test TXT v=spf1 ip4:192.0.2.0/24 -all\n");
  struct addr a;
  assert_true(target_addr_parse("192.0.2.5", &a));
  struct spf_out o;
  /* the first answer nobody has yet: stop, and say which */
  bool allow = true;
  textzone_load("n.test TXT v=spf1 include:_spf.n.test -all\n");
  assert_int_equal(spf_check(&a, "n.test", "postmaster@n.test", lookup,
                             &allow, &o), SPF_NEED);
  assert_string_equal(o.need_name, "_spf.n.test");
  assert_int_equal(o.need_type, DQ_TXT);
}

static void
long_records(void **state)
{
  (void)state;
  char rec[4096] = "big.test TXT v=spf1";
  for (int i = 0; i < 200; i++)
    snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec), " ip4:10.%d.0.0/16",
             i);
  strcat(rec, " -all\n");
  textzone_load(rec);
  expect("10.199.3.4", "big.test", SPF_PASS, "ip4:10.199.0.0/16");
  expect("192.0.2.1", "big.test", SPF_FAIL, NULL);
}

/* RFC 7208 section 5: ::ffff:a.b.c.d is an IPv4 client. */
static void
ip4_mapped_client(void **state)
{
  (void)state;
  textzone_load("map.test TXT v=spf1 ip4:192.0.2.0/24 -all\n"
       "map6.test TXT v=spf1 -ip4:192.0.2.7 ip6:::ffff:192.0.2.7 +all\n"
       "mapa.test TXT v=spf1 a//0 -all\n"
       "mapa.test AAAA 2001:db8::1\n"
       "mapb.test TXT v=spf1 a -all\n"
       "mapb.test A 192.0.2.7\n"
       "mapx.test TXT v=spf1 exists:%{ir}.%{v}.mapx.test -all\n"
       "7.2.0.192.in-addr.mapx.test A 127.0.0.2\n"
       "mapp.test TXT v=spf1 ptr -all\n"
       "7.2.0.192.in-addr.arpa PTR mx.mapp.test\n"
       "mx.mapp.test A 192.0.2.7\n");
  expect("::ffff:192.0.2.7", "map.test", SPF_PASS, "ip4:192.0.2.0/24");
  expect("::FFFF:192.0.2.7", "map6.test", SPF_FAIL, "-ip4:192.0.2.7");
  /* an IPv4 client: A records, never AAAA */
  expect("::ffff:192.0.2.7", "mapa.test", SPF_FAIL, "-all");
  expect("::ffff:192.0.2.7", "mapb.test", SPF_PASS, "a in mapb.test");
  /* %{i}, %{v} and the reverse name are the IPv4 ones */
  expect("::ffff:192.0.2.7", "mapx.test", SPF_PASS, "exists:");
  expect("::ffff:192.0.2.7", "mapp.test", SPF_PASS, "ptr");
  /* only ::ffff:0:0/96 is mapped: an IPv4-compatible address is IPv6 */
  expect("::192.0.2.7", "map.test", SPF_FAIL, NULL);
}

/* RFC 7208 section 5.6 and 7.1: a domain-spec is a macro-string, so a
 * '/' is part of the name; only a trailing "/N", "//N" or "/N//N" is a
 * CIDR length. */
static void
slash_in_domain_spec(void **state)
{
  (void)state;
  textzone_load("sl.test TXT v=spf1 a:foo:bar/baz.sl.test -all\n"
       "foo:bar/baz.sl.test A 192.0.2.1\n"
       "slc.test TXT v=spf1 a:x/y.slc.test/24//64 -all\n"
       "x/y.slc.test A 192.0.2.1\n"
       "x/y.slc.test AAAA 2001:db8::1\n"
       "slm.test TXT v=spf1 mx:m/x.slm.test/30 -all\n"
       "m/x.slm.test MX mx.slm.test\n"
       "mx.slm.test A 192.0.2.8\n"
       "slb1.test TXT v=spf1 a:foo.test/24/64 -all\n"
       "slb2.test TXT v=spf1 a:foo.test/ -all\n"
       "slb3.test TXT v=spf1 a/foo.test -all\n"
       "slb4.test TXT v=spf1 a:foo.test/024 -all\n"
       "slb5.test TXT v=spf1 ip4:192.0.2.1//32 -all\n"
       "slb6.test TXT v=spf1 a/24/64 -all\n"
       "slb7.test TXT v=spf1 a:foo.test///64 -all\n");
  expect("192.0.2.1", "sl.test", SPF_PASS, "a:foo:bar/baz.sl.test");
  expect("192.0.2.2", "sl.test", SPF_FAIL, "-all");
  expect("192.0.2.200", "slc.test", SPF_PASS, NULL);
  expect("2001:db8::ffff", "slc.test", SPF_PASS, NULL);
  expect("2001:db8:0:1::1", "slc.test", SPF_FAIL, NULL);
  expect("192.0.2.11", "slm.test", SPF_PASS, NULL);
  expect("192.0.2.12", "slm.test", SPF_FAIL, NULL);
  /* a trailing length that is no length, or a name where only a length
   * may be: still errors */
  expect("192.0.2.1", "slb1.test", SPF_PERMERROR, NULL);
  expect("192.0.2.1", "slb2.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "slb3.test", SPF_PERMERROR, "syntax error");
  expect("192.0.2.1", "slb4.test", SPF_PERMERROR, "CIDR");
  expect("192.0.2.1", "slb5.test", SPF_PERMERROR, NULL);
  expect("192.0.2.1", "slb6.test", SPF_PERMERROR, "CIDR");
  expect("192.0.2.1", "slb7.test", SPF_PERMERROR, "syntax error");
}

/* A target name no query can carry is a name that does not exist: the
 * mechanism does not match and counts as a void lookup (RFC 7208 leaves
 * it open between that and permerror); never a temperror, and never sent.
 * As the checked domain (section 4.3) it is "none". */
static void
unsendable_target_names(void **state)
{
  (void)state;
  char zone[2048], label64[65];
  memset(label64, 'x', 64);
  label64[64] = '\0';
  snprintf(zone, sizeof(zone),
           "empty.test TXT v=spf1 a:mail.empty...test -all\n"
           "long.test TXT v=spf1 a:%s.long.test -all\n"
           "mxe.test TXT v=spf1 mx:a..mxe.test ip4:192.0.2.1 -all\n"
           "exe.test TXT v=spf1 exists:%%{l}..exe.test ip4:192.0.2.1 -all\n"
           "voidy.test TXT v=spf1 a:a..test a:b..test a:c..test "
           "ip4:192.0.2.1 -all\n"
           "ok63.test TXT v=spf1 a:%.63s.ok63.test -all\n"
           "%.63s.ok63.test A 192.0.2.1\n"
           "inc.test TXT v=spf1 include:a..inc.test -all\n",
           label64, label64, label64);
  textzone_load(zone);
  nbadnames = 0;
  expect("192.0.2.1", "empty.test", SPF_FAIL, "-all");
  expect("192.0.2.1", "long.test", SPF_FAIL, "-all");
  expect("192.0.2.1", "mxe.test", SPF_PASS, "ip4:192.0.2.1");
  expect("192.0.2.1", "exe.test", SPF_PASS, "ip4:192.0.2.1");
  expect("192.0.2.1", "voidy.test", SPF_PERMERROR, "not a valid DNS name");
  expect("192.0.2.1", "ok63.test", SPF_PASS, NULL);
  expect("192.0.2.1", "inc.test", SPF_PERMERROR, "no SPF record");
  char dom[100];
  snprintf(dom, sizeof(dom), "%s.test", label64);
  expect("192.0.2.1", dom, SPF_NONE, "not a domain name");
  expect("192.0.2.1", "a..test", SPF_NONE, "not a domain name");
  assert_int_equal(nbadnames, 0);
}

/* %{p} (RFC 7208 section 7.3): the validated name of the client, the
 * domain or a name under it first; "unknown" when none validates. */
static void
p_macro(void **state)
{
  (void)state;
  textzone_load("pm.test TXT v=spf1 exists:%{p}.ok.pm.test -all\n"
       "pm2.test TXT v=spf1 exists:%{p}.ok.pm.test -all\n"
       "10.2.0.192.in-addr.arpa PTR mx.other.test|mx.pm.test\n"
       "mx.other.test A 192.0.2.10|192.0.2.11\n"
       "mx.pm.test A 192.0.2.10\n"
       "mx.pm.test.ok.pm.test A 127.0.0.2\n"
       "11.2.0.192.in-addr.arpa PTR mx.other.test\n"
       "mx.other.test.ok.pm.test A 127.0.0.2\n"
       "12.2.0.192.in-addr.arpa PTR nothere.pm.test\n"
       "pmu.test TXT v=spf1 exists:%{p}.u.pm.test -all\n"
       "unknown.u.pm.test A 127.0.0.2\n"
       "pm6.test TXT v=spf1 exists:%{p}.ok.pm.test -all\n"
       "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR v6.pm.test\n"
       "v6.pm.test AAAA 2001:db8::1\n"
       "v6.pm.test.ok.pm.test A 127.0.0.2\n"
       "pme.test TXT v=spf1 exists:%{p}.u.pm.test -all\n"
       "13.2.0.192.in-addr.arpa ERR\n"
       "pmr.test TXT v=spf1 redirect=%{p}.r.pm.test\n"
       "mx.other.test.r.pm.test TXT v=spf1 +all\n");
  /* under the domain first, though another name validates too */
  expect("192.0.2.10", "pm.test", SPF_PASS, NULL);
  expect("192.0.2.10", "pm2.test", SPF_PASS, NULL);
  expect("192.0.2.11", "pm.test", SPF_PASS, NULL);
  /* the PTR name does not resolve back: "unknown" */
  expect("192.0.2.12", "pm.test", SPF_FAIL, NULL);
  expect("192.0.2.12", "pmu.test", SPF_PASS, NULL);
  expect("2001:db8::1", "pm6.test", SPF_PASS, NULL);
  expect("192.0.2.13", "pme.test", SPF_PASS, NULL); /* a DNS error */
  /* neither name is under pmr.test: the first that validates */
  expect("192.0.2.10", "pmr.test", SPF_PASS, NULL);
  /* which name: only the matching one exists */
  textzone_load("pq.test TXT v=spf1 exists:%{p}.ok.pq.test -all\n"
       "10.2.0.192.in-addr.arpa PTR mx.other.test|mx.pq.test\n"
       "mx.other.test A 192.0.2.10\n"
       "mx.pq.test A 192.0.2.10\n"
       "mx.other.test.ok.pq.test A 127.0.0.2\n");
  expect("192.0.2.10", "pq.test", SPF_FAIL, NULL);
  /* %{p} waits for its answers like any term */
  struct addr a;
  assert_true(target_addr_parse("192.0.2.10", &a));
  struct spf_out o;
  bool allow = true;
  textzone_load("pn.test TXT v=spf1 exists:%{p}.ok.pn.test -all\n");
  assert_int_equal(spf_check(&a, "pn.test", "postmaster@pn.test", lookup,
                             &allow, &o), SPF_NEED);
  assert_string_equal(o.need_name, "10.2.0.192.in-addr.arpa");
  assert_int_equal(o.need_type, DQ_PTR);
}

/* from_spf: what a record authorises */
static void
authorized_networks(void **state)
{
  (void)state;
  textzone_load("w.test TXT v=spf1 ip4:192.0.2.5/24 -ip4:198.51.100.1 a mx include:_s.w.test "
       "include:_spf.other.test -all ip4:203.0.113.1 redirect=x.w.test\n"
       "w.test A 198.51.100.7\n"
       "w.test MX mx.w.test\n"
       "mx.w.test A 198.51.100.8\n"
       "_s.w.test TXT v=spf1 ip6:2001:db8::/64 ~all\n"
       "open.test TXT v=spf1 +all\n"
       "mxerr.test TXT v=spf1 mx -all\n"
       "mxerr.test ERR\n"
       "badname.test TXT v=spf1 a:x..badname.test ip4:192.0.2.1 -all\n"
       "badinc.test TXT v=spf1 include:x..badinc.test -all\n");
  struct spf_net nets[16];
  size_t n;
  char notes[512];
  struct spf_out o;
  assert_int_equal(spf_authorized("w.test", lookup, NULL, nets, 16, &n, notes,
                                  sizeof(notes), &o), SPF_PASS);
  assert_int_equal(n, 4); /* 192.0.2.5/24, a, mx, the include's ip6 */
  assert_int_equal(nets[0].prefix, 24);
  assert_non_null(strstr(notes, "-ip4:198.51.100.1 is an exception"));
  assert_non_null(strstr(notes, "include:_spf.other.test not followed"));
  assert_true(o.partial);
  assert_null(strstr(notes, "203.0.113.1")); /* after all: not read */
  assert_int_equal(spf_authorized("open.test", lookup, NULL, nets, 16, &n,
                                  notes, sizeof(notes), &o), SPF_PASS);
  assert_int_equal(n, 0);
  assert_true(o.partial);
  assert_non_null(strstr(notes, "+all"));
  assert_int_equal(spf_authorized("mxerr.test", lookup, NULL, nets, 16, &n,
                                  notes, sizeof(notes), &o), SPF_TEMPERROR);
  /* a name no query can carry is not asked for */
  nbadnames = 0;
  assert_int_equal(spf_authorized("badname.test", lookup, NULL, nets, 16, &n,
                                  notes, sizeof(notes), &o), SPF_PASS);
  assert_int_equal(n, 1);
  assert_non_null(strstr(notes, "no valid DNS name"));
  assert_int_equal(spf_authorized("badinc.test", lookup, NULL, nets, 16, &n,
                                  notes, sizeof(notes), &o), SPF_PERMERROR);
  assert_int_equal(nbadnames, 0);
  assert_int_equal(spf_authorized("w.test", lookup, NULL, nets, 2, &n, notes,
                                  sizeof(notes), &o), SPF_PASS);
  assert_int_equal(n, 2);
  assert_non_null(strstr(notes, "more than 2 networks"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(mechanisms_and_qualifiers),
    cmocka_unit_test(include_redirect_and_loops),
    cmocka_unit_test(limits),
    cmocka_unit_test(syntax_errors_and_records),
    cmocka_unit_test(macros_and_ptr),
    cmocka_unit_test(need_names_what_to_fetch),
    cmocka_unit_test(long_records),
    cmocka_unit_test(ip4_mapped_client),
    cmocka_unit_test(slash_in_domain_spec),
    cmocka_unit_test(unsendable_target_names),
    cmocka_unit_test(p_macro),
    cmocka_unit_test(authorized_networks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
