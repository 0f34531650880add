/* cmd_spf.c - rblmon spf IP DOMAIN: one SPF evaluation (RFC 7208
 * check_host()) as a receiver runs it for a message, with its trace:
 * each record, each DNS answer, each term and whether it matched, the
 * lookup counts, and the explanation of a fail.  For the operator who
 * wants to know why. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dns.h"
#include "dnscache.h"
#include "loop.h"
#include "report.h"
#include "spf.h"
#include "util.h"

/* What each result means for the sender, and the exit code it earns
 * (Nagios: a fail or a broken record is critical, a weak result a
 * warning, a DNS failure unknown). */
static const struct {
  enum spf_result r;
  int exit;
  const char *means;
} results[] = {
  {SPF_PASS, RBL_EXIT_OK, "the address may send for the domain"},
  {SPF_NEUTRAL, RBL_EXIT_WARNING, "the record says nothing about the "
   "address: receivers treat it as unauthenticated"},
  {SPF_NONE, RBL_EXIT_WARNING, "no SPF record to evaluate"},
  {SPF_SOFTFAIL, RBL_EXIT_WARNING, "probably not authorised: receivers "
   "mark or score the mail"},
  {SPF_FAIL, RBL_EXIT_CRITICAL, "not authorised: receivers reject the "
   "mail (5.7.23 or 5.7.1)"},
  {SPF_PERMERROR, RBL_EXIT_CRITICAL, "the record is broken: receivers "
   "treat it as a failure; fix the record"},
  {SPF_TEMPERROR, RBL_EXIT_UNKNOWN, "a DNS lookup failed: receivers defer "
   "the mail (4xx); try again, then check the domain's name servers"},
};

struct spf_run {
  struct loop *loop;
  bool waiting;
  json_t *trace;               /* [{depth, line}] of the last evaluation */
};

static void
on_ready(void *arg, int status)
{
  struct spf_run *r = arg;
  (void)status; /* the answer, or the error, is in the cache */
  r->waiting = false;
}

static void
on_trace(void *arg, unsigned depth, const char *line)
{
  struct spf_run *r = arg;
  json_array_append_new(r->trace, json_pack("{s:i,s:o}", "depth", (int)depth,
                                            "line", report_json_text(line)));
}

/* Evaluates, fetching what the evaluation needs, until it is whole. */
static enum spf_result
evaluate(struct spf_run *r, struct dnscache *cache, struct spf_query *q,
         struct spf_out *out)
{
  for (;;) {
    json_array_clear(r->trace);
    enum spf_result res = spf_eval(q, dnscache_lookup, cache, out);
    if (res != SPF_NEED)
      return res;
    r->waiting = true;
    if (dnscache_need(cache, out->need_name, out->need_type, on_ready, r) !=
        NULL)
      continue;
    while (r->waiting)
      loop_once(r->loop, 1000);
  }
}

static size_t
result_index(enum spf_result res)
{
  for (size_t i = 0; i < UTIL_ARRAY_LEN(results); i++)
    if (results[i].r == res)
      return i;
  return UTIL_ARRAY_LEN(results) - 1;
}

static void
print_text(const struct spf_query *q, const struct spf_out *o, json_t *trace)
{
  char ip[TARGET_ADDR_MAX];
  target_addr_str(q->ip, ip, sizeof(ip));
  printf("SPF of %s for ", ip);
  report_put_escaped(stdout, q->domain, false);
  printf(", MAIL FROM ");
  report_put_escaped(stdout, q->sender, false);
  printf(", HELO ");
  report_put_escaped(stdout, q->helo, false);
  printf("\n");
  size_t i;
  json_t *t;
  json_array_foreach(trace, i, t) {
    json_int_t depth = json_integer_value(json_object_get(t, "depth"));
    printf("  %*s%s\n", (int)(2 * depth), "",
           json_string_value(json_object_get(t, "line")));
  }
  const char *res = spf_result_names[o->result];
  printf("result: %s (", res);
  report_put_escaped(stdout, o->why, false);
  printf("): %s\n", results[result_index(o->result)].means);
  if (o->result == SPF_FAIL) {
    printf("explanation: ");
    if (o->exp[0] != '\0')
      report_put_escaped(stdout, o->exp, false);
    else
      printf("none (exp=): the receiver gives its own");
    printf("\n");
  }
  printf("DNS lookups: %u of %d; lookups that found nothing: %u of %d\n",
         o->lookups, SPF_MAX_LOOKUPS, o->voids, SPF_MAX_VOIDS);
}

static void
print_json(const struct spf_query *q, const struct spf_out *o, json_t *trace)
{
  char ip[TARGET_ADDR_MAX];
  target_addr_str(q->ip, ip, sizeof(ip));
  json_t *j = json_pack(
    "{s:i,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:s,s:i,s:i,s:O}", "schema_version",
    REPORT_JSON_SCHEMA_VERSION, "ip", ip, "domain",
    report_json_text(q->domain), "sender", report_json_text(q->sender), "helo",
    report_json_text(q->helo), "result", spf_result_names[o->result], "why",
    report_json_text(o->why), "explanation",
    o->result == SPF_FAIL ? report_json_text(o->exp) : json_null(),
    "means", results[result_index(o->result)].means, "lookups",
    (int)o->lookups, "void_lookups", (int)o->voids, "trace", trace);
  if (j == NULL) {
    fprintf(stderr, "rblmon: out of memory\n");
    return;
  }
  json_dumpf(j, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  printf("\n");
  json_decref(j);
}

/* The arguments: IP, DOMAIN (any text: a name that is no domain reads as
 * "none", as a receiver's check_host() would have it), the sender
 * (postmaster@DOMAIN unless given) and the HELO name (DOMAIN unless
 * given).  The null sender (--sender '') is the HELO identity: the HELO
 * name is checked, with postmaster@ it as the sender (RFC 7208 2.4). */
static bool
parse_args(const struct cli *c, struct addr *ip, struct spf_query *q,
           char *sender, size_t size)
{
  if (!target_addr_parse(c->args[0], ip)) {
    fprintf(stderr, "rblmon: spf: '%.80s' is not an IPv4 or IPv6 address; "
            "usage: rblmon spf IP DOMAIN\n", c->args[0]);
    return false;
  }
  const char *domain = c->args[1];
  size_t n = strlen(domain);
  if (n == 0 || n > 253) {
    fprintf(stderr, "rblmon: spf: the domain must be 1 to 253 characters "
            "long\n");
    return false;
  }
  q->ip = ip;
  q->domain = domain;
  q->helo = c->helo != NULL ? c->helo : domain;
  const char *at = c->sender != NULL ? strrchr(c->sender, '@') : NULL;
  if (c->sender != NULL && c->sender[0] != '\0' &&
      (at == NULL || at[1] == '\0')) {
    fprintf(stderr, "rblmon: spf: the sender '%.80s' has no domain; give "
            "an address such as alice@example.com, or '' for the null "
            "sender\n", c->sender);
    return false;
  }
  if (c->sender == NULL) {
    snprintf(sender, size, "postmaster@%s", domain);
  } else if (c->sender[0] == '\0') { /* <>: the HELO identity */
    snprintf(sender, size, "postmaster@%s", q->helo);
    q->domain = q->helo;
  } else if (at == c->sender) { /* no local part (RFC 7208 4.3) */
    snprintf(sender, size, "postmaster%s", c->sender);
  } else {
    snprintf(sender, size, "%s", c->sender);
  }
  q->sender = sender;
  q->explain = true;
  return true;
}

int
cmd_spf(struct cli *c)
{
  struct addr ip;
  struct spf_query q;
  char sender[600];
  memset(&q, 0, sizeof(q));
  if (!parse_args(c, &ip, &q, sender, sizeof(sender)))
    return RBL_EXIT_UNKNOWN;
  struct app a;
  struct loop *loop = NULL;
  struct dns *d = NULL;
  struct dnscache *cache = NULL;
  /* the configuration for its resolver; no catalog: spf asks no list */
  struct app_source src = {c->config_path, NULL, 0, NULL, NULL, true};
  int rc = app_load(&a, &src, false);
  if (rc == RBL_EXIT_OK)
    rc = app_engine(&a, &loop, &d);
  if (rc == RBL_EXIT_OK && (cache = dnscache_new(d)) == NULL) {
    fprintf(stderr, "rblmon: out of memory\n");
    rc = RBL_EXIT_UNKNOWN;
  }
  if (rc == RBL_EXIT_OK) {
    struct spf_run r = {loop, false, json_array()};
    struct spf_out out;
    q.trace = on_trace;
    q.trace_arg = &r;
    enum spf_result res = evaluate(&r, cache, &q, &out);
    if (c->rep != NULL && report_bit(c->rep) == REPORT_JSON)
      print_json(&q, &out, r.trace);
    else
      print_text(&q, &out, r.trace);
    json_decref(r.trace);
    rc = results[result_index(res)].exit;
  }
  dns_free(d);
  dnscache_free(cache);
  loop_free(loop);
  app_free(&a);
  return rc;
}
