/* auth.c - the auth engine: a windowed feeder of PTR jobs over the
 * addresses, a job per domain stepped as its DNS answers arrive, and the
 * table of the domain checks (auth_check.h) that say what they need and
 * judge it; the answers are shared through one dnscache. */
#include "auth.h"

#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_check.h"
#include "config.h"
#include "dns.h"
#include "dnscache.h"
#include "loop.h"
#include "spf.h"

/* The domain checks, in the order they are reported. */
static const struct auth_check_ops *const domain_checks[] = {
  &auth_check_spf, &auth_check_dkim, &auth_check_dmarc, &auth_check_mx,
};

/* ---- the run ------------------------------------------------------------------- */
struct domain_job {
  struct auth_domain d;           /* first: the checks see only this */
  struct auth_run *r;
  bool done;
  bool stepping, again;           /* domain_step() re-entered */
};

struct ptr_job {
  struct auth_ptr_job j;          /* first: the check sees only this */
  struct auth_run *r;
  char target[TARGET_NAME_MAX];
  const char *watchlist;
};

struct auth_run {
  struct loop *loop;
  struct dns *dns;
  const struct config *cfg;
  const struct engine_target *t;
  size_t nt;
  result_sink sink;
  void *arg;
  struct list_state *st;
  struct dnscache *cache;
  /* PTR: a cursor over the addresses, a window of jobs */
  size_t ti;
  struct target_iter it;
  bool in_range, ptr_cursor_done, feeding;
  unsigned ptr_inflight;
  struct domain_job *doms;
  size_t ndoms, doms_left;
  unsigned deadline_timer;
  bool cancelled, finished;
  bool destroyed;                 /* dns_free(): callbacks only clean up */
  void (*done)(void *arg);        /* told when every result is out */
  void *done_arg;
};

static void domain_step(struct domain_job *dj);
static void ptr_feed(struct auth_run *r);

static bool
on(const struct auth_run *r, enum auth_check k)
{
  return (r->cfg->auth_checks >> k) & 1u;
}

static void
finish_if_done(struct auth_run *r)
{
  if (r->finished || !r->ptr_cursor_done || r->ptr_inflight > 0 ||
      r->doms_left > 0)
    return;
  r->finished = true;
  if (r->deadline_timer != 0)
    loop_timer_cancel(r->loop, r->deadline_timer);
  r->deadline_timer = 0;
  for (size_t k = 0; k < AUTH_NCHECKS; k++)
    if (on(r, (enum auth_check)k) && r->st[k].health == HEALTH_UNKNOWN)
      r->st[k].health = r->st[k].errors > 0 &&
                        r->st[k].listed + r->st[k].clean == 0
                          ? HEALTH_UNREACHABLE : HEALTH_OK;
  if (r->done != NULL)
    r->done(r->done_arg);
}

static void
emit(struct auth_run *r, enum auth_check k, const char *target,
     const char *wl, enum result_status status, enum severity sev,
     const char *const *reasons, size_t nreasons, const char *txt,
     const char *error)
{
  struct result res;
  if (r->destroyed)
    return; /* teardown: the report is over */
  memset(&res, 0, sizeof(res));
  snprintf(res.target, sizeof(res.target), "%s", target);
  res.watchlist = wl;
  res.list = auth_source(k);
  res.status = status;
  res.has_sev = status == RES_LISTED || (status == RES_CLEAN && nreasons > 0);
  res.sev = status == RES_LISTED ? sev : SEV_GOOD;
  for (size_t i = 0; i < nreasons && i < RESULT_MAX_CODES; i++)
    res.reasons[res.nreasons++] = reasons[i];
  snprintf(res.txt, sizeof(res.txt), "%s", txt ? txt : "");
  snprintf(res.error, sizeof(res.error), "%s", error ? error : "");
  struct list_state *s = &r->st[k];
  s->queries++;
  if (status == RES_LISTED)
    s->listed++;
  else if (status == RES_CLEAN)
    s->clean++;
  else
    s->errors++;
  r->sink(r->arg, &res);
}

static void
emit_finding(struct auth_run *r, enum auth_check k, const char *target,
             const char *wl, const struct auth_finding *f)
{
  emit(r, k, target, wl, f->status, f->sev, f->reasons, f->nr, f->txt,
       f->error);
}

#define DEADLINE_TEXT "not checked: " ENGINE_DEADLINE

/* A query cancelled (the deadline, of this engine or of the DNSBL one on
 * the same channel) or destroyed (dns_free at teardown). */
static void
note_cancel(struct auth_run *r, int status)
{
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION)
    r->cancelled = true;
  if (status == ARES_EDESTRUCTION)
    r->destroyed = true;
}

/* ---- domains: SPF, DKIM, DMARC, MX ------------------------------------------ */
static void
domain_ready(void *arg, int status)
{
  struct domain_job *dj = arg;
  note_cancel(dj->r, status);
  if (!dj->r->destroyed)
    domain_step(dj);
}

/* The checks' fetch (auth_domain.need): the cached answer, or NULL after
 * asking for it; dj is stepped again when it arrives (perhaps at once,
 * from inside dns_query()).  After the deadline nothing is asked. */
static const struct dq_answer *
domain_need(struct auth_domain *d, const char *name, int type)
{
  struct domain_job *dj = (struct domain_job *)d;
  if (dj->r->cancelled)
    return dnscache_lookup(dj->r->cache, name, type);
  return dnscache_need(dj->r->cache, name, type, domain_ready, dj);
}

static bool
check_runs(const struct domain_job *dj, const struct auth_check_ops *c)
{
  return (dj->r->cfg->auth_checks & c->wanted_by) != 0 &&
         (!c->selectors || dj->d.nsel > 0);
}

/* Everything of one domain, from the cache; asks for what is missing and
 * emits when all is known. */
static void
domain_compute(struct domain_job *dj)
{
  struct auth_run *r = dj->r;
  struct auth_domain *d = &dj->d;
  bool complete = true;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(domain_checks); i++)
    if (check_runs(dj, domain_checks[i]) && !domain_checks[i]->need(d))
      complete = false;
  if (!complete && !r->cancelled)
    return;
  dj->done = true;
  if (r->cancelled) { /* the deadline: answers may be cut; not checked */
    for (size_t k = AUTH_SPF; k < AUTH_NCHECKS; k++)
      if (on(r, (enum auth_check)k) && (k != AUTH_DKIM || d->nsel > 0))
        emit(r, (enum auth_check)k, d->domain, d->watchlist, RES_ERROR,
             SEV_GOOD, NULL, 0, "", DEADLINE_TEXT);
  } else {
    for (size_t i = 0; i < UTIL_ARRAY_LEN(domain_checks); i++) {
      const struct auth_check_ops *c = domain_checks[i];
      struct auth_finding f;
      if (!check_runs(dj, c))
        continue;
      c->judge(d, &f);
      if (on(r, c->check))
        emit_finding(r, c->check, d->domain, d->watchlist, &f);
    }
  }
  r->doms_left--;
  finish_if_done(r);
}

static void
domain_step(struct domain_job *dj)
{
  if (dj->done)
    return;
  if (dj->stepping) {
    dj->again = true;
    return;
  }
  dj->stepping = true;
  do {
    dj->again = false;
    domain_compute(dj);
  } while (dj->again && !dj->done);
  dj->stepping = false;
}

/* ---- PTR: a job per address, streamed ---------------------------------------- */
static void
ptr_seen(struct auth_ptr_job *pj, int status)
{
  note_cancel(((struct ptr_job *)pj)->r, status);
}

static void
ptr_done(struct auth_ptr_job *pj)
{
  struct ptr_job *j = (struct ptr_job *)pj;
  struct auth_run *r = j->r;
  if (r->destroyed) { /* dns_free() at teardown: nothing is reported */
    r->ptr_inflight--;
    free(j);
    return;
  }
  if (r->cancelled && (pj->f.status == DQ_ERROR || pj->cut)) {
    pj->f.status = DQ_ERROR;
    snprintf(pj->f.error, sizeof(pj->f.error), "%s", DEADLINE_TEXT);
  }
  struct auth_finding f;
  auth_ptr_judge(&pj->f, &f);
  emit_finding(r, AUTH_PTR, j->target, j->watchlist, &f);
  r->ptr_inflight--;
  free(j);
  ptr_feed(r);
  finish_if_done(r);
}

static bool
next_addr(struct auth_run *r, struct addr *a, const char **wl)
{
  while (r->ti < r->nt) {
    const struct engine_target *t = &r->t[r->ti];
    if (!target_is_ip(t->spec)) {
      r->ti++;
      continue;
    }
    if (!r->in_range) {
      target_iter_init(&r->it, t->spec);
      r->in_range = true;
    }
    *wl = t->watchlist;
    if (target_iter_next(&r->it, a))
      return true;
    r->in_range = false;
    r->ti++;
  }
  return false;
}

static void
ptr_feed(struct auth_run *r)
{
  if (r->feeding || !on(r, AUTH_PTR)) {
    r->ptr_cursor_done = r->ptr_cursor_done || !on(r, AUTH_PTR);
    return;
  }
  r->feeding = true;
  struct addr a;
  const char *wl;
  while (!r->ptr_cursor_done && r->ptr_inflight < AUTH_WINDOW) {
    if (!next_addr(r, &a, &wl)) {
      r->ptr_cursor_done = true;
      break;
    }
    char name[TARGET_ADDR_MAX];
    target_addr_str(&a, name, sizeof(name));
    if (r->destroyed)
      break;
    if (r->cancelled) {
      emit(r, AUTH_PTR, name, wl, RES_ERROR, SEV_GOOD, NULL, 0, "",
           DEADLINE_TEXT);
      continue;
    }
    struct ptr_job *j = calloc(1, sizeof(*j));
    if (j == NULL) {
      emit(r, AUTH_PTR, name, wl, RES_ERROR, SEV_GOOD, NULL, 0, "",
           "out of memory");
      continue;
    }
    j->r = r;
    j->j.f.a = a;
    j->j.dns = r->dns;
    j->j.stopped = &r->cancelled;
    j->j.seen = ptr_seen;
    j->j.done = ptr_done;
    j->watchlist = wl;
    snprintf(j->target, sizeof(j->target), "%s", name);
    r->ptr_inflight++;
    auth_ptr_fetch(&j->j);
  }
  r->feeding = false;
}


/* ---- the cycle ------------------------------------------------------------------- */
static uint64_t
on_deadline(void *arg)
{
  struct auth_run *r = arg;
  r->deadline_timer = 0;
  r->cancelled = true;
  dns_cancel(r->dns); /* every outstanding query completes, cancelled */
  ptr_feed(r);        /* the rest: not checked */
  for (size_t i = 0; i < r->ndoms; i++)
    domain_step(&r->doms[i]);
  finish_if_done(r);
  return 0;
}

static size_t
domain_targets(const struct engine_target *t, size_t nt)
{
  size_t n = 0;
  for (size_t i = 0; i < nt; i++)
    n += t[i].spec->kind == TARGET_DOMAIN;
  return n;
}

static void
selectors_of(const struct config *cfg, const char *wl, const char ***sel,
             size_t *n)
{
  *sel = cfg->dkim_selectors;
  *n = cfg->ndkim;
  for (size_t i = 0; cfg->wls && i < cfg->nwatchlists; i++)
    if (strcmp(cfg->wls[i].name, wl) == 0 && cfg->wls[i].ndkim > 0) {
      *sel = cfg->wls[i].dkim;
      *n = cfg->wls[i].ndkim;
    }
}

static uint64_t
auth_count(const struct config *cfg, const struct engine_target *t, size_t nt)
{
  uint64_t n = 0;
  if (!cfg->auth_on)
    return 0;
  for (size_t i = 0; i < nt; i++) {
    if (target_is_ip(t[i].spec)) {
      if (cfg->auth_checks & (1u << AUTH_PTR))
        n += target_count(t[i].spec);
      continue;
    }
    if (t[i].spec->kind != TARGET_DOMAIN)
      continue;
    const char **sel;
    size_t ns;
    selectors_of(cfg, t[i].watchlist, &sel, &ns);
    for (unsigned k = AUTH_SPF; k < AUTH_NCHECKS; k++)
      if ((cfg->auth_checks >> k) & 1u)
        n += k != AUTH_DKIM || ns > 0;
  }
  return n;
}

static void auth_end(struct auth_run *r);

static struct auth_run *
auth_start(const struct engine_ctx *c, struct list_state *states)
{
  struct auth_run *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  const struct engine_target *t = c->targets;
  size_t nt = c->ntargets;
  uint64_t deadline_ms = c->deadline_ms;
  struct loop *l = c->loop;
  r->loop = l;
  r->dns = c->dns;
  r->cfg = c->cfg;
  r->t = t;
  r->nt = nt;
  r->sink = c->sink;
  r->arg = c->sink_arg;
  r->done = c->done;
  r->done_arg = c->done_arg;
  r->st = states;
  r->cache = dnscache_new(c->dns);
  r->ndoms = domain_targets(t, nt);
  r->doms = calloc(r->ndoms ? r->ndoms : 1, sizeof(*r->doms));
  if (r->doms == NULL || r->cache == NULL) {
    auth_end(r);
    return NULL;
  }
  for (size_t k = 0; k < AUTH_NCHECKS; k++) {
    memset(&states[k], 0, sizeof(states[k]));
    if (!on(r, (enum auth_check)k))
      continue; /* list stays NULL: not part of this cycle */
    states[k].list = auth_source((enum auth_check)k);
    states[k].health = HEALTH_UNKNOWN;
    snprintf(states[k].zone, sizeof(states[k].zone), "dns");
  }
  bool any_domain_check = false;
  for (unsigned k = AUTH_SPF; k < AUTH_NCHECKS; k++)
    any_domain_check = any_domain_check || on(r, (enum auth_check)k);
  size_t n = 0;
  for (size_t i = 0; i < nt && any_domain_check; i++) {
    if (t[i].spec->kind != TARGET_DOMAIN)
      continue;
    struct domain_job *dj = &r->doms[n++];
    const char **sel;
    dj->r = r;
    dj->d.domain = t[i].spec->domain;
    dj->d.watchlist = t[i].watchlist;
    selectors_of(c->cfg, t[i].watchlist, &sel, &dj->d.nsel);
    dj->d.sel = sel;
    dj->d.t = t;
    dj->d.nt = nt;
    dj->d.need = domain_need;
    dj->d.cache = r->cache;
  }
  r->ndoms = n;
  r->doms_left = n;
  if (deadline_ms > 0)
    r->deadline_timer = loop_timer(l, deadline_ms, on_deadline, r);
  ptr_feed(r);
  for (size_t i = 0; i < r->ndoms; i++)
    domain_step(&r->doms[i]);
  finish_if_done(r);
  return r;
}

static void
auth_cancel(struct auth_run *r)
{
  if (r == NULL || r->finished)
    return;
  if (r->deadline_timer != 0)
    loop_timer_cancel(r->loop, r->deadline_timer);
  r->deadline_timer = 0;
  on_deadline(r);
}

static bool
auth_finished(const struct auth_run *r)
{
  return r == NULL || r->finished;
}

static void
auth_end(struct auth_run *r)
{
  if (r == NULL)
    return;
  if (r->deadline_timer != 0)
    loop_timer_cancel(r->loop, r->deadline_timer);
  dnscache_free(r->cache);
  free(r->doms);
  free(r);
}

/* ---- the engine ---------------------------------------------------------------- */
static size_t
eng_nsources(const struct engine_ctx *c)
{
  return c->cfg->auth_on ? AUTH_NCHECKS : 0;
}

static uint64_t
eng_count(const struct engine_ctx *c)
{
  return c->cfg->auth_on ? auth_count(c->cfg, c->targets, c->ntargets) : 0;
}

static void *
eng_start(const struct engine_ctx *c, struct list_state *states)
{
  return auth_start(c, states);
}

static bool
eng_finished(const void *run)
{
  return auth_finished(run);
}

static void
eng_cancel(void *run)
{
  auth_cancel(run);
}

static void
eng_end(void *run)
{
  auth_end(run);
}

const struct engine engine_auth = {
  "auth", CHECK_AUTH, false, eng_nsources, eng_count, eng_start,
  eng_finished, eng_cancel, eng_end};
