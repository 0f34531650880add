/* auth_mx.c - auth:mx: whether the domain can receive replies and
 * bounces: its MX hosts and their addresses, the null MX (RFC 7505), and
 * without MX the implicit MX of its address records (RFC 5321 5.1). */
#include "auth_check.h"

#include <stdio.h>
#include <string.h>

static const char R_MX_NXDOMAIN[] = "the domain does not exist (NXDOMAIN): "
  "receivers reject senders from it";
static const char R_MX_NONE[] = "the domain has no MX and no address: "
  "replies and bounces cannot reach it, and receivers reject such senders";
static const char R_MX_NULL[] = "null MX: the domain receives no mail; some "
  "receivers reject senders that cannot receive replies";
static const char R_MX_DEAD[] = "no MX host of the domain resolves to an "
  "address";
static const char R_MX_SOMEDEAD[] = "an MX host of the domain does not "
  "resolve to an address";
static const char R_MX_IMPLICIT[] = "no MX record: mail to the domain goes "
  "to its address record";

#define MX_MAX_HOSTS 10

static bool
null_mx(const struct dq_answer *mx)
{
  return mx->status == DQ_OK && mx->n == 1 && mx->strs[0][0] == '\0';
}

static bool
mx_need(struct auth_domain *d)
{
  const struct dq_answer *mx = d->need(d, d->domain, DQ_MX);
  if (mx == NULL)
    return false;
  bool complete = true;
  if (mx->status == DQ_OK && !null_mx(mx)) {
    for (size_t i = 0; i < mx->n && i < MX_MAX_HOSTS; i++) {
      if (mx->strs[i][0] == '\0')
        continue;
      const struct dq_answer *a4 = d->need(d, mx->strs[i], DQ_A);
      const struct dq_answer *a6 = d->need(d, mx->strs[i], DQ_AAAA);
      if (a4 == NULL || a6 == NULL)
        complete = false;
    }
  } else if (mx->status == DQ_NODATA) {
    const struct dq_answer *a4 = d->need(d, d->domain, DQ_A);
    const struct dq_answer *a6 = d->need(d, d->domain, DQ_AAAA);
    if (a4 == NULL || a6 == NULL)
      complete = false;
  }
  return complete;
}

/* ---- the judge ------------------------------------------------------------------- */
/* An answer the judge reads: one not fetched is a failed lookup. */
static const struct dq_answer *
get(dq_lookup_fn lookup, void *arg, const char *name, int type)
{
  static const struct dq_answer missing = {DQ_ERROR, 0, NULL, NULL,
                                           "no answer"};
  const struct dq_answer *a = lookup(arg, name, type);
  return a != NULL ? a : &missing;
}

static bool
has_addr(const struct dq_answer *a4, const struct dq_answer *a6)
{
  return (a4->status == DQ_OK && a4->n > 0) ||
         (a6->status == DQ_OK && a6->n > 0);
}

/* The MX hosts: how many, how many have no address, how many could not be
 * looked up; their names in f->txt. */
static void
mx_hosts(const struct dq_answer *mx, dq_lookup_fn lookup, void *arg,
         size_t *hosts, size_t *dead, size_t *errors, struct auth_finding *f)
{
  size_t o = 0;
  for (size_t i = 0; i < mx->n && i < MX_MAX_HOSTS; i++) {
    if (mx->strs[i][0] == '\0')
      continue;
    const struct dq_answer *a4 = get(lookup, arg, mx->strs[i], DQ_A);
    const struct dq_answer *a6 = get(lookup, arg, mx->strs[i], DQ_AAAA);
    (*hosts)++;
    bool resolves = has_addr(a4, a6);
    if (!resolves && (a4->status == DQ_ERROR || a6->status == DQ_ERROR))
      (*errors)++; /* not known to be dead */
    else
      *dead += !resolves;
    if (o < sizeof(f->txt))
      o += (size_t)snprintf(f->txt + o, sizeof(f->txt) - o, "%s%s%s",
                            o ? " " : "MX ", mx->strs[i],
                            resolves ? "" : " (no address)");
  }
}

static void
mx_result(struct auth_finding *f, enum result_status st, const char *reason,
          enum severity sev, const char *error)
{
  f->status = st;
  f->sev = st == RES_LISTED ? sev : SEV_GOOD;
  if (reason != NULL)
    f->reasons[f->nr++] = reason;
  snprintf(f->error, sizeof(f->error), "%s", error ? error : "");
}

/* No MX: the domain's own address records. */
static void
mx_implicit(const char *domain, dq_lookup_fn lookup, void *arg,
            struct auth_finding *f)
{
  const struct dq_answer *a4 = get(lookup, arg, domain, DQ_A);
  const struct dq_answer *a6 = get(lookup, arg, domain, DQ_AAAA);
  if (a4->status == DQ_ERROR || a6->status == DQ_ERROR) {
    mx_result(f, RES_ERROR, NULL, SEV_GOOD,
              "no MX, and the address lookup of the domain failed");
    return;
  }
  bool addr = has_addr(a4, a6);
  mx_result(f, RES_LISTED, addr ? R_MX_IMPLICIT : R_MX_NONE,
            addr ? SEV_NOTICE : SEV_CRITICAL, NULL);
  snprintf(f->txt, sizeof(f->txt), "no MX%s", addr ? "; an address record"
                                                   : "");
}

void
auth_mx_judge(const char *domain, dq_lookup_fn lookup, void *arg,
              struct auth_finding *f)
{
  memset(f, 0, sizeof(*f));
  const struct dq_answer *mx = get(lookup, arg, domain, DQ_MX);
  size_t hosts = 0, dead = 0, errors = 0;
  if (mx->status == DQ_OK && !null_mx(mx))
    mx_hosts(mx, lookup, arg, &hosts, &dead, &errors, f);
  if (mx->status == DQ_ERROR) {
    mx_result(f, RES_ERROR, NULL, SEV_GOOD, mx->error);
  } else if (mx->status == DQ_NXDOMAIN) {
    mx_result(f, RES_LISTED, R_MX_NXDOMAIN, SEV_CRITICAL, NULL);
  } else if (null_mx(mx)) {
    mx_result(f, RES_LISTED, R_MX_NULL, SEV_WARNING, NULL);
    snprintf(f->txt, sizeof(f->txt), "MX 0 .");
  } else if (mx->status == DQ_NODATA) {
    mx_implicit(domain, lookup, arg, f);
  } else if (errors > 0 && dead + errors == hosts) {
    mx_result(f, RES_ERROR, NULL, SEV_GOOD,
              "the address lookup of the MX hosts failed");
  } else if (hosts > 0 && dead == hosts) {
    mx_result(f, RES_LISTED, R_MX_DEAD, SEV_CRITICAL, NULL);
  } else if (dead > 0) {
    mx_result(f, RES_LISTED, R_MX_SOMEDEAD, SEV_WARNING, NULL);
  } else {
    mx_result(f, RES_CLEAN, NULL, SEV_GOOD, NULL);
  }
}

static void
mx_judge(struct auth_domain *d, struct auth_finding *f)
{
  auth_mx_judge(d->domain, dnscache_lookup, d->cache, f);
}

const struct auth_check_ops auth_check_mx = {
  AUTH_MX, 1u << AUTH_MX, false, mx_need, mx_judge};
