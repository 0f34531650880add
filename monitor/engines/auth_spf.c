/* auth_spf.c - auth:spf: the domain's SPF record evaluated (RFC 7208,
 * spf.c) for each sending address of its watchlist, with postmaster@ the
 * domain as MAIL FROM; without an address, only the record is read. */
#include "auth_check.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const char R_SPF_FAIL[] = "SPF fails for a sending address: receivers "
  "reject its mail; add it to the record";
static const char R_SPF_PERM[] = "the SPF record is broken (permerror): "
  "receivers treat it as a failure";
static const char R_SPF_SOFT[] = "SPF softfails for a sending address: add "
  "it to the record";
static const char R_SPF_NEUTRAL[] = "SPF does not cover a sending address "
  "(neutral): add it, and end the record with -all or ~all";
static const char R_SPF_NONE[] = "no SPF record: publish one, such as "
  "v=spf1 ip4:192.0.2.10 -all (Gmail and Yahoo require SPF or DKIM)";
static const char R_SPF_PASS[] = "SPF passes for every sending address";
static const char R_SPF_VALID[] = "SPF record valid (the watchlist has no "
  "sending address to evaluate it for)";

/* ---- fetching: the evaluation, step by step -------------------------------------- */
/* The next sending address of the domain's watchlist. */
static bool
next_ip(struct auth_domain *d, struct addr *out)
{
  while (d->ti < d->nt) {
    const struct engine_target *t = &d->t[d->ti];
    if (!target_is_ip(t->spec) || strcmp(t->watchlist, d->watchlist)) {
      d->ti++;
      continue;
    }
    if (!d->in_range) {
      target_iter_init(&d->it, t->spec);
      d->in_range = true;
    }
    if (target_iter_next(&d->it, out))
      return true;
    d->in_range = false;
    d->ti++;
  }
  return false;
}

static void
spf_note(struct auth_domain *d, const struct addr *ip, const char *what,
         const char *why)
{
  if (d->spf_notes >= 4) {
    if (d->spf_notes++ == 4) {
      size_t o = strlen(d->spf_txt);
      snprintf(d->spf_txt + o, sizeof(d->spf_txt) - o, "; ...");
    }
    return;
  }
  char a[TARGET_ADDR_MAX];
  size_t o = strlen(d->spf_txt);
  if (ip != NULL)
    target_addr_str(ip, a, sizeof(a));
  snprintf(d->spf_txt + o, sizeof(d->spf_txt) - o, "%s%s%s%s (%.160s)",
           o ? "; " : "", ip ? a : "", ip ? " " : "", what, why);
  d->spf_notes++;
}

/* The next address to evaluate; false when all are done. */
static bool
spf_next(struct auth_domain *d)
{
  if (d->have_ip)
    return true;
  if (next_ip(d, &d->ip)) {
    d->have_ip = true;
    return true;
  }
  const uint64_t *n = d->n;
  if (n[SPF_PASS] + n[SPF_FAIL] + n[SPF_SOFTFAIL] + n[SPF_NEUTRAL] +
        n[SPF_NONE] + n[SPF_PERMERROR] + n[SPF_TEMPERROR] != 0) {
    d->spf_done = true;
    return false;
  }
  /* no sending address in the watchlist: read the record for its
   * syntax and limits with an address nobody authorises */
  target_addr_parse("0.0.0.1", &d->ip);
  d->have_ip = d->probe_only = true;
  return true;
}

/* Evaluates SPF for each address in turn; false while waiting for DNS. */
static bool
spf_need(struct auth_domain *d)
{
  char sender[300];
  snprintf(sender, sizeof(sender), "postmaster@%s", d->domain);
  while (!d->spf_done && spf_next(d)) {
    struct spf_out o;
    enum spf_result res = spf_check(&d->ip, d->domain, sender,
                                    dnscache_lookup, d->cache, &o);
    if (res == SPF_NEED) {
      if (d->need(d, o.need_name, o.need_type) == NULL)
        return false;
      continue;
    }
    d->have_ip = false;
    if (d->probe_only) {
      if (res == SPF_PASS || res == SPF_FAIL || res == SPF_SOFTFAIL ||
          res == SPF_NEUTRAL)
        res = SPF_PASS; /* the record reads well; nobody to judge */
      d->n[res]++;
      if (res != SPF_PASS)
        spf_note(d, NULL, spf_result_names[res], o.why);
      else
        spf_note(d, NULL, "no sending address in the watchlist: record",
                 "syntax and limits checked");
      d->spf_done = true;
      break;
    }
    d->n[res]++;
    if (res != SPF_PASS)
      spf_note(d, &d->ip, spf_result_names[res], o.why);
  }
  return true;
}

/* ---- the judge ------------------------------------------------------------------- */
void
auth_spf_judge(const uint64_t n[SPF_NEED], bool probe_only, const char *notes,
               struct auth_finding *f)
{
  static const struct {
    enum spf_result res;
    const char *reason;
    enum severity sev;
  } order[] = {
    {SPF_PERMERROR, R_SPF_PERM, SEV_CRITICAL},
    {SPF_FAIL, R_SPF_FAIL, SEV_CRITICAL},
    {SPF_SOFTFAIL, R_SPF_SOFT, SEV_WARNING},
    {SPF_NEUTRAL, R_SPF_NEUTRAL, SEV_WARNING},
    {SPF_NONE, R_SPF_NONE, SEV_WARNING},
  };
  memset(f, 0, sizeof(f[0]));
  enum severity worst = SEV_NOTICE;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(order); i++)
    if (n[order[i].res] > 0) {
      f->reasons[f->nr++] = order[i].reason;
      if (order[i].sev > worst)
        worst = order[i].sev;
    }
  snprintf(f->txt, sizeof(f->txt), "%llu pass%s%s",
           (unsigned long long)n[SPF_PASS], notes[0] ? "; " : "", notes);
  if (probe_only)
    snprintf(f->txt, sizeof(f->txt), "%s", notes);
  f->sev = SEV_GOOD;
  if (n[SPF_TEMPERROR] > 0 && f->nr == 0) {
    f->status = RES_ERROR;
    snprintf(f->error, sizeof(f->error), "SPF could not be evaluated: a DNS "
             "lookup failed (temperror)");
  } else if (f->nr > 0) {
    f->status = RES_LISTED;
    f->sev = worst;
  } else {
    f->status = RES_CLEAN;
    f->reasons[f->nr++] = probe_only ? R_SPF_VALID : R_SPF_PASS;
  }
}

enum auth_verdict
auth_spf_verdict(const uint64_t n[SPF_NEED], bool probe_only)
{
  if (n[SPF_FAIL] + n[SPF_SOFTFAIL] + n[SPF_NEUTRAL] + n[SPF_NONE] +
        n[SPF_PERMERROR] > 0 && !probe_only)
    return AUTH_V_NO;
  if (n[SPF_TEMPERROR] > 0 || probe_only || n[SPF_PASS] == 0)
    return probe_only && n[SPF_PERMERROR] + n[SPF_NONE] > 0 ? AUTH_V_NO
                                                            : AUTH_V_UNKNOWN;
  return AUTH_V_YES;
}

static void
spf_judge(struct auth_domain *d, struct auth_finding *f)
{
  d->spf_v = auth_spf_verdict(d->n, d->probe_only);
  auth_spf_judge(d->n, d->probe_only, d->spf_txt, f);
}

const struct auth_check_ops auth_check_spf = {
  AUTH_SPF, (1u << AUTH_SPF) | (1u << AUTH_DMARC), false, spf_need,
  spf_judge};
