/* auth_dkim.c - auth:dkim: the key record at each configured selector
 * (RFC 6376 3.6.1, RFC 8463), judged by authrec_dkim_judge(); one result
 * for all the selectors of a domain. */
#include "auth_check.h"

#include <stdio.h>
#include <string.h>

#include "authrec.h"

static const char R_DKIM_MISSING[] = "a DKIM selector has no key record: "
  "mail signed with it fails DKIM";
static const char R_DKIM_REVOKED[] = "a DKIM key is revoked (empty p=): "
  "mail still signed with it fails DKIM";
static const char R_DKIM_BAD[] = "a DKIM key record is not valid";
static const char R_DKIM_KEYTYPE[] = "a DKIM key has a type receivers do "
  "not verify with (k= other than rsa or ed25519): mail signed with it "
  "fails DKIM";
static const char R_DKIM_WEAK[] = "a DKIM RSA key is shorter than 1024 bits: "
  "receivers treat its signatures as invalid (RFC 8301)";
static const char R_DKIM_SHORT[] = "a DKIM RSA key is shorter than 2048 "
  "bits: publish a 2048-bit key";
static const char R_DKIM_SHA1[] = "a DKIM key allows only sha1 (h= without "
  "sha256): receivers no longer accept sha1 signatures (RFC 8301)";
static const char R_DKIM_TEST[] = "a DKIM selector is in test mode (t=y): "
  "receivers treat mail failing it as unsigned; remove t=y once signing "
  "works";
static const char R_DKIM_OK[] = "DKIM keys published";

/* What each DKIM finding says, and how bad it is. */
static const struct {
  const char *reason;
  enum severity sev;
} dkim_meaning[DKIM_NFINDINGS] = {
  [DKIM_MISSING] = {R_DKIM_MISSING, SEV_CRITICAL},
  [DKIM_MULTIPLE] = {R_DKIM_BAD, SEV_CRITICAL},
  [DKIM_INVALID] = {R_DKIM_BAD, SEV_CRITICAL},
  [DKIM_REVOKED] = {R_DKIM_REVOKED, SEV_CRITICAL},
  [DKIM_KEYTYPE] = {R_DKIM_KEYTYPE, SEV_CRITICAL},
  [DKIM_WEAK] = {R_DKIM_WEAK, SEV_CRITICAL},
  [DKIM_SHA1] = {R_DKIM_SHA1, SEV_CRITICAL},
  [DKIM_SHORT] = {R_DKIM_SHORT, SEV_WARNING},
  [DKIM_TESTING] = {R_DKIM_TEST, SEV_NOTICE},
  [DKIM_FINE] = {NULL, SEV_GOOD},
};

static void
selector_name(const char *domain, const char *sel, char *name, size_t size)
{
  snprintf(name, size, "%s._domainkey.%s", sel, domain);
}

static bool
dkim_need(struct auth_domain *d)
{
  bool complete = true;
  for (size_t i = 0; i < d->nsel; i++) {
    char name[300];
    selector_name(d->domain, d->sel[i], name, sizeof(name));
    if (d->need(d, name, DQ_TXT) == NULL)
      complete = false;
  }
  return complete;
}

/* One selector's finding into f: its key described in txt (at *o), its
 * reason once. */
static void
dkim_one(const char *sel, const struct dkim_judgement *j,
         struct auth_finding *f, size_t *o)
{
  *o += (size_t)snprintf(f->txt + *o, *o < sizeof(f->txt)
                                        ? sizeof(f->txt) - *o : 0,
                         "%s%s: %s", *o ? "; " : "", sel, j->what);
  if (*o >= sizeof(f->txt))
    *o = sizeof(f->txt) - 1;
  const char *why = dkim_meaning[j->finding].reason;
  if (why == NULL)
    return;
  bool dup = false;
  for (size_t q = 0; q < f->nr; q++)
    dup = dup || f->reasons[q] == why;
  if (!dup && f->nr < RESULT_MAX_CODES)
    f->reasons[f->nr++] = why;
  if (dkim_meaning[j->finding].sev > f->sev)
    f->sev = dkim_meaning[j->finding].sev;
}

/* One result for every selector together: the worst finding, each
 * reason once, the keys described in txt. */
enum auth_verdict
auth_dkim_judge(const char *domain, const char *const *sel, size_t nsel,
                dq_lookup_fn lookup, void *arg, struct auth_finding *f)
{
  enum auth_verdict usable = AUTH_V_NO;
  size_t o = 0;
  bool error = false;
  memset(f, 0, sizeof(*f));
  f->sev = SEV_GOOD;
  for (size_t i = 0; i < nsel; i++) {
    char name[300];
    selector_name(domain, sel[i], name, sizeof(name));
    const struct dq_answer *a = lookup(arg, name, DQ_TXT);
    if (a == NULL || a->status == DQ_ERROR) {
      error = true;
      snprintf(f->error, sizeof(f->error), "%.120s: %.70s", name,
               a && a->error ? a->error : "no answer");
      if (usable == AUTH_V_NO)
        usable = AUTH_V_UNKNOWN;
      continue;
    }
    struct dkim_judgement j;
    authrec_dkim_judge((const char *const *)a->strs,
                       a->status == DQ_OK ? a->n : 0, &j);
    if (j.usable)
      usable = AUTH_V_YES;
    dkim_one(sel[i], &j, f, &o);
  }
  if (error && f->nr == 0) {
    f->status = RES_ERROR;
    f->sev = SEV_GOOD;
  } else if (f->nr > 0) {
    f->status = RES_LISTED;
    f->error[0] = '\0';
  } else {
    f->status = RES_CLEAN;
    f->reasons[f->nr++] = R_DKIM_OK;
    f->error[0] = '\0';
  }
  return usable;
}

static void
dkim_judge(struct auth_domain *d, struct auth_finding *f)
{
  d->dkim_v = auth_dkim_judge(d->domain, d->sel, d->nsel, dnscache_lookup,
                              d->cache, f);
}

const struct auth_check_ops auth_check_dkim = {
  AUTH_DKIM, (1u << AUTH_DKIM) | (1u << AUTH_DMARC), true, dkim_need,
  dkim_judge};
