/* auth_dmarc.c - auth:dmarc: the policy record (RFC 7489 6.6.3: at
 * _dmarc.domain, else at the organisational domain), whether mail can
 * pass it (the SPF and DKIM verdicts), and the consent of report domains
 * of other organisations (RFC 7489 7.1). */
#include "auth_check.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authrec.h"

static const char R_DMARC_VALID[] = "DMARC published (whether mail passes "
  "it is not judged: no sending address, no DKIM selector)";
static const char R_DMARC_NONE[] = "no DMARC record: publish _dmarc TXT "
  "v=DMARC1; p=none; rua=mailto:... (Gmail and Yahoo require one of bulk "
  "senders)";
static const char R_DMARC_BAD[] = "the DMARC record is not valid: receivers "
  "ignore it";
static const char R_DMARC_FAILS[] = "DMARC fails: mail passes neither SPF "
  "for every sending address nor a valid DKIM selector; with p=quarantine "
  "or p=reject receivers act on it";
static const char R_DMARC_FAILS_NONE[] = "DMARC would fail (p=none, so only "
  "reported): mail passes neither SPF for every sending address nor a "
  "valid DKIM selector";
static const char R_DMARC_EXT[] = "DMARC reports go to another domain that "
  "has not agreed to receive them (no _report._dmarc record there)";
static const char R_DMARC_NORUA[] = "DMARC has no rua=: you receive no "
  "aggregate reports";
static const char R_DMARC_IGNORED[] = "a DMARC tag has a broken value: "
  "receivers discard it and use the default (RFC 7489 6.3)";
static const char R_DMARC_OK[] = "DMARC published, and mail can pass it";

#define DMARC_MAX_DOMS 16

/* The organisational domain, roughly: the last two labels (rblmon has no
 * public suffix list). */
static const char *
org_domain(const char *d)
{
  const char *last = strrchr(d, '.');
  if (last == NULL)
    return d;
  const char *p = last;
  while (p > d && p[-1] != '.')
    p--;
  return p;
}

/* The policy answer (NULL: not there yet), its DMARC record when there is
 * one (nrec of them), and where it was found. */
static const struct dq_answer *
dmarc_record(const char *domain, dq_lookup_fn get, void *arg,
             const char **rec, size_t *nrec, char *where, size_t wsize)
{
  char name[300];
  snprintf(name, sizeof(name), "_dmarc.%s", domain);
  snprintf(where, wsize, "%s", name);
  const struct dq_answer *a = get(arg, name, DQ_TXT);
  *rec = NULL;
  *nrec = 0;
  if (a == NULL)
    return NULL;
  const char *org = org_domain(domain);
  bool found = false;
  for (size_t i = 0; a->status == DQ_OK && i < a->n; i++)
    found = found || authrec_is_dmarc(a->strs[i]);
  if (a->status != DQ_ERROR && !found && strcasecmp(org, domain) != 0) {
    snprintf(name, sizeof(name), "_dmarc.%s", org);
    snprintf(where, wsize, "%s", name);
    if ((a = get(arg, name, DQ_TXT)) == NULL)
      return NULL;
  }
  for (size_t i = 0; a->status == DQ_OK && i < a->n; i++)
    if (authrec_is_dmarc(a->strs[i])) {
      *rec = a->strs[i];
      (*nrec)++;
    }
  return a;
}

/* The report domains of a valid record (rua, then ruf). */
static int
report_domains(const struct dmarc_rec *d, char doms[][256])
{
  int n1 = authrec_dmarc_domains(d->rua, doms, 8);
  int n2 = authrec_dmarc_domains(d->ruf, doms + (n1 > 0 ? n1 : 0), 8);
  return (n1 > 0 ? n1 : 0) + (n2 > 0 ? n2 : 0);
}

/* Whether dom, a report domain of the policy at where, is of another
 * organisation than domain; its consent record's name into name. */
static bool
consent_name(const char *domain, const char *where, const char *dom,
             char *name, size_t size)
{
  if (strcasecmp(org_domain(dom), org_domain(domain)) == 0)
    return false;
  snprintf(name, size, "%.253s._report._dmarc.%.255s",
           where + 7 /* the policy domain, after "_dmarc." */, dom);
  return true;
}

static const struct dq_answer *
need_of(void *arg, const char *name, int type)
{
  struct auth_domain *d = arg;
  return d->need(d, name, type);
}

static bool
dmarc_need(struct auth_domain *d)
{
  const char *rec;
  size_t nrec;
  char where[300];
  if (dmarc_record(d->domain, need_of, d, &rec, &nrec, where,
                   sizeof(where)) == NULL)
    return false;
  struct dmarc_rec r;
  if (rec == NULL || nrec != 1 || !authrec_dmarc(rec, &r))
    return true;
  char doms[DMARC_MAX_DOMS][256];
  int nd = report_domains(&r, doms);
  bool complete = true;
  for (int i = 0; i < nd; i++) {
    char name[600];
    if (consent_name(d->domain, where, doms[i], name, sizeof(name)) &&
        d->need(d, name, DQ_TXT) == NULL)
      complete = false;
  }
  return complete;
}

/* ---- the judge ------------------------------------------------------------------- */
static void
found(struct auth_finding *f, const char *why, enum severity sev)
{
  if (f->nr < RESULT_MAX_CODES)
    f->reasons[f->nr++] = why;
  if (f->sev < sev)
    f->sev = sev;
}

/* Reports to another organisation need its consent (RFC 7489 7.1). */
static void
dmarc_consent(const char *domain, const char *where, char doms[][256],
              int nd, dq_lookup_fn lookup, void *arg, struct auth_finding *f)
{
  for (int i = 0; i < nd; i++) {
    char name[600];
    if (!consent_name(domain, where, doms[i], name, sizeof(name)))
      continue;
    const struct dq_answer *x = lookup(arg, name, DQ_TXT);
    bool agreed = false;
    for (size_t j = 0; x && x->status == DQ_OK && j < x->n; j++)
      agreed = agreed || authrec_is_dmarc(x->strs[j]);
    size_t o = strlen(f->txt);
    if (x == NULL || x->status == DQ_ERROR) {
      snprintf(f->txt + o, sizeof(f->txt) - o, "; whether %.100s accepts "
               "reports is unknown (DNS error)", doms[i]);
      continue;
    }
    if (!agreed) {
      found(f, R_DMARC_EXT, SEV_WARNING);
      snprintf(f->txt + o, sizeof(f->txt) - o, "; %.100s does not accept "
               "reports for it", doms[i]);
      break;
    }
  }
}

/* A valid record: can mail pass it?  false when that cannot be told (f
 * is the error). */
static bool
dmarc_pass(const struct auth_dmarc_facts *x, const struct dmarc_rec *d,
           const char *where, struct auth_finding *f)
{
  static const char *const spf_words[] = {
    [AUTH_V_NO] = "does not pass for every address",
    [AUTH_V_YES] = "passes for every address",
    [AUTH_V_UNKNOWN] = "not evaluated (no address, or a DNS error)"};
  static const char *const dkim_words[] = {
    [AUTH_V_NO] = "has no usable key", [AUTH_V_YES] = "has a usable key",
    [AUTH_V_UNKNOWN] = "could not be read"};
  /* alignment: rblmon checks MAIL FROM and DKIM d= as the domain
   * itself, which aligns in relaxed and strict mode alike */
  size_t room = sizeof(f->txt);
  if ((size_t)snprintf(f->txt, room, "%.100s: p=%s sp=%s adkim=%c aspf=%c "
           "pct=%u%s%.160s%s%s%.120s; SPF %s; DKIM %s; aligned", where, d->p,
           d->sp, d->adkim, d->aspf, d->pct, d->rua[0] ? " rua=" : "", d->rua,
           d->p_defaulted ? " (p= or sp= missing or wrong, with a rua=: "
                            "taken as p=none)" : "",
           d->ignored[0] ? "; ignored " : "", d->ignored,
           spf_words[x->spf], x->nsel ? dkim_words[x->dkim]
                                      : "selectors not configured") >= room)
    memcpy(f->txt + room - 4, "...", 4); /* cut: say so */
  bool enforcing = strcasecmp(d->p, "none") != 0;
  if (x->spf == AUTH_V_YES || x->dkim == AUTH_V_YES)
    return true;
  if (x->spf == AUTH_V_NO && (x->dkim == AUTH_V_NO || x->nsel == 0)) {
    found(f, enforcing ? R_DMARC_FAILS : R_DMARC_FAILS_NONE,
          enforcing ? SEV_CRITICAL : SEV_WARNING);
  } else if (x->spf_temperror || x->dkim == AUTH_V_UNKNOWN) {
    f->status = RES_ERROR;
    snprintf(f->error, sizeof(f->error), "whether mail passes DMARC cannot "
             "be told: a DNS lookup for SPF or DKIM failed");
    return false;
  } else {
    f->reasons[0] = R_DMARC_VALID; /* the reason when nothing is found */
  }
  return true;
}

/* A valid record judged: f->reasons[0] holds the reason if all is well. */
static void
dmarc_valid(const struct auth_dmarc_facts *x, const struct dmarc_rec *d,
            const char *where, dq_lookup_fn lookup, void *arg,
            struct auth_finding *f)
{
  if (!dmarc_pass(x, d, where, f))
    return;
  char doms[DMARC_MAX_DOMS][256], any[1][256];
  int nd = report_domains(d, doms);
  dmarc_consent(x->domain, where, doms, nd, lookup, arg, f);
  if (authrec_dmarc_domains(d->rua, any, 1) == 0)
    found(f, R_DMARC_NORUA, SEV_NOTICE);
  if (d->ignored[0] != '\0')
    found(f, R_DMARC_IGNORED, SEV_NOTICE);
}

void
auth_dmarc_judge(const struct auth_dmarc_facts *x, dq_lookup_fn lookup,
                 void *arg, struct auth_finding *f)
{
  const char *rec;
  size_t nrec;
  char where[300];
  memset(f, 0, sizeof(*f));
  f->sev = SEV_GOOD;
  const struct dq_answer *a = dmarc_record(x->domain, lookup, arg, &rec,
                                           &nrec, where, sizeof(where));
  if (a == NULL || a->status == DQ_ERROR) {
    f->status = RES_ERROR;
    snprintf(f->error, sizeof(f->error), "%.150s: %.40s", where,
             a && a->error ? a->error : "?");
    return;
  }
  struct dmarc_rec d;
  f->reasons[0] = R_DMARC_OK;
  if (rec == NULL) {
    found(f, R_DMARC_NONE, SEV_WARNING);
    snprintf(f->txt, sizeof(f->txt), "no record at _dmarc.%s", x->domain);
  } else if (nrec > 1 || !authrec_dmarc(rec, &d)) {
    found(f, R_DMARC_BAD, SEV_CRITICAL);
    snprintf(f->txt, sizeof(f->txt), "%.150s: %.200s", where,
             nrec > 1 ? "more than one DMARC record" : d.error);
  } else {
    dmarc_valid(x, &d, where, lookup, arg, f);
    if (f->status == RES_ERROR)
      return;
  }
  if (f->nr > 0) {
    f->status = RES_LISTED;
  } else {
    f->status = RES_CLEAN;
    f->sev = SEV_GOOD;
    f->nr = 1; /* reasons[0]: the reason that all is well */
  }
}

static void
dmarc_judge(struct auth_domain *d, struct auth_finding *f)
{
  struct auth_dmarc_facts x = {d->domain, d->spf_v, d->dkim_v,
                               d->n[SPF_TEMPERROR] > 0, d->nsel};
  auth_dmarc_judge(&x, dnscache_lookup, d->cache, f);
}

const struct auth_check_ops auth_check_dmarc = {
  AUTH_DMARC, 1u << AUTH_DMARC, false, dmarc_need, dmarc_judge};
