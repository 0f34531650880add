/* auth_ptr.c - auth:ptr: an address's PTR names, whether each resolves
 * back to the address (forward-confirmed reverse DNS), and whether the
 * name looks generic.  Receivers' rules: Gmail 550-5.7.25 for no PTR;
 * Spamhaus PBL for generic names. */
#include "auth_check.h"

#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authrec.h"
#include "dns.h"

static const char R_NO_PTR[] = "no PTR record: many receivers refuse mail "
  "from an address without one (Gmail: 550-5.7.25)";
static const char R_NOT_FCRDNS[] = "the PTR name does not resolve back to "
  "the address (not forward-confirmed): add an A/AAAA record for it";
static const char R_GENERIC[] = "the PTR name looks generic or dynamic: "
  "lists such as Spamhaus PBL and many receivers punish it; use a name of "
  "your own, such as mail.example.com";
static const char R_PTR_OK[] = "PTR forward-confirmed";

/* ---- the judge ------------------------------------------------------------------- */
static void
ptr_names(const struct auth_ptr_facts *p, char *txt, size_t size)
{
  size_t o = 0;
  txt[0] = '\0';
  for (size_t i = 0; i < p->n && o < size; i++)
    o += (size_t)snprintf(txt + o, size - o, "%s%s%s", i ? " " : "",
                          p->names[i], p->ok[i] ? " (confirmed)"
                                       : p->err[i] ? " (lookup failed)"
                                                   : " (does not resolve back)");
}

static void
ptr_finding(struct auth_finding *f, enum result_status st, enum severity sev,
            const char *txt, const char *error)
{
  f->status = st;
  f->sev = st == RES_LISTED ? sev : SEV_GOOD;
  snprintf(f->txt, sizeof(f->txt), "%s", txt);
  snprintf(f->error, sizeof(f->error), "%s", error);
}

void
auth_ptr_judge(const struct auth_ptr_facts *p, struct auth_finding *f)
{
  char txt[512];
  memset(f, 0, sizeof(*f));
  ptr_names(p, txt, sizeof(txt));
  if (p->status == DQ_ERROR) {
    ptr_finding(f, RES_ERROR, SEV_GOOD, "", p->error);
    return;
  }
  if (p->status != DQ_OK || p->n == 0) {
    f->reasons[f->nr++] = R_NO_PTR;
    ptr_finding(f, RES_LISTED, SEV_CRITICAL, "no PTR record", "");
    return;
  }
  bool confirmed = false, errors = false, generic = false;
  for (size_t i = 0; i < p->n; i++) {
    confirmed = confirmed || p->ok[i];
    errors = errors || p->err[i];
    if (p->ok[i] && authrec_ptr_generic(p->names[i], &p->a))
      generic = true;
  }
  if (!confirmed && errors) {
    ptr_finding(f, RES_ERROR, SEV_GOOD, txt,
                "the PTR name could not be looked up");
    return;
  }
  enum severity sev = SEV_WARNING;
  if (!confirmed) {
    f->reasons[f->nr++] = R_NOT_FCRDNS;
    sev = SEV_CRITICAL;
    generic = false;
    for (size_t i = 0; i < p->n; i++)
      generic = generic || authrec_ptr_generic(p->names[i], &p->a);
  }
  if (generic)
    f->reasons[f->nr++] = R_GENERIC;
  if (f->nr > 0) {
    ptr_finding(f, RES_LISTED, sev, txt, "");
    return;
  }
  f->reasons[f->nr++] = R_PTR_OK;
  ptr_finding(f, RES_CLEAN, SEV_GOOD, txt, "");
}

/* ---- the lookups ----------------------------------------------------------------- */
struct fwd {
  struct auth_ptr_job *j;
  size_t i;
};

static void
on_fwd(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct fwd *fw = arg;
  struct auth_ptr_job *j = fw->j;
  struct auth_ptr_facts *p = &j->f;
  j->seen(j, status);
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION)
    j->cut = true;
  int type = p->a.kind == TARGET_IP4 ? DQ_A : DQ_AAAA;
  struct dq_answer *a = dnscache_parse_answer(type, status, abuf, alen,
                                              &p->a);
  if (a == NULL || a->status == DQ_ERROR)
    p->err[fw->i] = true;
  for (size_t k = 0; a && a->status == DQ_OK && k < a->n; k++)
    if (memcmp(a->addrs[k].b, p->a.b, p->a.kind == TARGET_IP4 ? 4 : 16) == 0)
      p->ok[fw->i] = true;
  dnscache_answer_free(a);
  free(fw);
  if (--j->pending == 0)
    j->done(j);
}

/* The PTR names of the answer, each once (c-ares gives the name as an
 * alias too). */
static void
ptr_read(struct auth_ptr_facts *p, const struct dq_answer *a)
{
  if (a == NULL) {
    p->status = DQ_ERROR;
    snprintf(p->error, sizeof(p->error), "out of memory");
    return;
  }
  p->status = a->status;
  if (a->status == DQ_ERROR)
    snprintf(p->error, sizeof(p->error), "PTR lookup: %s", a->error);
  for (size_t i = 0; a->status == DQ_OK && i < a->n && p->n < AUTH_PTR_NAMES;
       i++) {
    bool dup = false;
    for (size_t k = 0; k < p->n; k++)
      dup = dup || strcmp(p->names[k], a->strs[i]) == 0;
    if (!dup)
      snprintf(p->names[p->n++], sizeof(p->names[0]), "%s", a->strs[i]);
  }
}

static void
on_ptr(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct auth_ptr_job *j = arg;
  struct auth_ptr_facts *p = &j->f;
  j->seen(j, status);
  struct dq_answer *a = dnscache_parse_answer(DQ_PTR, status, abuf, alen,
                                              &p->a);
  ptr_read(p, a);
  dnscache_answer_free(a);
  if (p->n == 0 || *j->stopped) {
    j->cut = p->n > 0;
    j->done(j);
    return;
  }
  j->pending = p->n + 1; /* +1: held while sending */
  for (size_t i = 0; i < p->n; i++) {
    struct fwd *fw = malloc(sizeof(*fw));
    if (fw == NULL) {
      p->err[i] = true;
      j->pending--;
      continue;
    }
    fw->j = j;
    fw->i = i;
    dns_query(j->dns, p->names[i], p->a.kind == TARGET_IP4 ? DQ_A : DQ_AAAA,
              on_fwd, fw);
  }
  if (--j->pending == 0)
    j->done(j);
}

void
auth_ptr_fetch(struct auth_ptr_job *j)
{
  char rev[128];
  spf_reverse_name(&j->f.a, rev, sizeof(rev));
  dns_query(j->dns, rev, DQ_PTR, on_ptr, j);
}
