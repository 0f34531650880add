/* cmd_status.c - rblmon status and rblmon history: what the state knows,
 * without a single query (the rejection rules are read for the receivers'
 * postmaster pages when a finding names a receiver).  Gathered here as
 * rows, printed by the reporter of --format (main has checked it and the
 * arguments). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "cmd.h"
#include "correlate.h"
#include "diag.h"
#include "report.h"
#include "schedule.h"
#include "store.h"

/* The last check is stale when it is older than twice the check interval
 * (schedule.dnsbl, which cron users set to their crontab's interval; one
 * hour when it is off): one missed run is tolerated, two are not. */
#define STATUS_STALE_FACTOR 2
#define STATUS_STALE_INTERVAL_MS 3600000ULL

/* The configuration, the catalog and the state opened read-only; NULL
 * (said, a freed) when one is missing. */
static struct store *
open_state(struct app *a, const struct cli *c)
{
  struct store *s = NULL;
  if (cmd_app_load(a, c, false) != RBL_EXIT_OK ||
      (s = app_store(a, true)) == NULL) {
    app_free(a);
    return NULL;
  }
  return s;
}

static const struct reminder *
rem_of(const struct reminder *r, size_t n, int64_t episode)
{
  for (size_t i = 0; i < n; i++)
    if (r[i].episode == episode)
      return &r[i];
  return NULL;
}

/* The findings correlate_unexplained() hands out one at a time (ours and
 * the receivers': the reporters tell them apart by theirs). */
struct findings {
  struct arena *ar;
  struct finding *f;
  size_t n, cap;
  bool oom;
};

static void
keep_finding(void *arg, const struct finding *f)
{
  struct findings *l = arg;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct finding *p = arena_alloc(l->ar, cap * sizeof(*p));
    if (p == NULL) {
      l->oom = true;
      return;
    }
    if (l->n > 0)
      memcpy(p, l->f, l->n * sizeof(*p));
    l->f = p;
    l->cap = cap;
  }
  l->f[l->n++] = *f; /* kind is a literal; the rest are arrays */
}

/* The receivers' postmaster pages, from the rejection rules (those
 * scan-logs classifies by), read at the first receiver's finding.  Rules
 * that cannot be read give no page (scan-logs says what is wrong). */
struct contacts {
  const struct app *a;
  struct classifier *cl;
  bool tried;
  char req[320];
};

static void
load_rules(struct contacts *c)
{
  if (!c->tried) {
    char rules[4200];
    struct diag d;
    c->tried = true;
    if (c->a->cfg.log_rules != NULL)
      snprintf(rules, sizeof(rules), "%s", c->a->cfg.log_rules);
    else
      snprintf(rules, sizeof(rules), "%s/rules/rejections.yaml",
               app_catalog_dir(c->a));
    diag_init(&d);
    if (classify_load(rules, &c->a->cat, &c->cl, &d) != RBL_OK)
      c->cl = NULL;
    diag_free(&d);
  }
}

static const char *
postmaster_of(void *arg, const char *receiver)
{
  struct contacts *c = arg;
  load_rules(c);
  return c->cl ? classify_postmaster(c->cl, receiver) : NULL;
}

static const char *
requirement_of(void *arg, const char *id)
{
  struct contacts *c = arg;
  load_rules(c);
  const struct requirement *q = c->cl ? classify_requirement(c->cl, id) : NULL;
  if (q == NULL)
    return NULL;
  snprintf(c->req, sizeof(c->req), "%.150s: %.150s", q->title, q->url);
  return c->req;
}

/* The blocks no listing explains, ours and the receivers', into v. */
static rbl_status
gather_findings(struct store *s, const struct app *a, struct arena *ar,
                struct status_view *v)
{
  struct findings f = {ar, NULL, 0, 0, false};
  struct contacts pm = {a, NULL, false, ""};
  struct correlate_scope sc = {
    &a->cat, a->lists, a->nlists, (int64_t)(a->cfg.remind_window_ms / 1000),
    v->now, postmaster_of, &pm, requirement_of};
  rbl_status st = correlate_unexplained(s, &sc, keep_finding, &f);
  classify_free(pm.cl);
  if (st == RBL_OK && f.oom)
    st = RBL_ENOMEM;
  static const struct finding none;
  if (st == RBL_OK) {
    v->unexplained = f.n ? f.f : &none;
    v->nunexplained = f.n;
  }
  return st;
}

/* Each open listing with its list, its evidence and its reminder. */
static rbl_status
gather_listings(struct store *s, const struct app *a, struct arena *ar,
                struct status_view *v)
{
  struct episode *eps;
  struct reminder *rems = NULL;
  size_t n, nrems = 0;
  /* a reminder that cannot be read is left out, as it always was */
  store_reminders(s, v->now, true, ar, &rems, &nrems);
  rbl_status st = store_current(s, ar, &eps, &n);
  struct listing_view *lv = arena_alloc(ar, (n ? n : 1) * sizeof(*lv));
  struct evidence *ev = arena_alloc(ar, (n ? n : 1) * sizeof(*ev));
  if (st == RBL_OK && (lv == NULL || ev == NULL))
    st = RBL_ENOMEM;
  if (st != RBL_OK)
    return st;
  for (size_t i = 0; i < n; i++) {
    correlate_listing(s, &a->cat, &eps[i],
                      (int64_t)(a->cfg.remind_window_ms / 1000), v->now,
                      &ev[i]);
    lv[i] = (struct listing_view){&eps[i], catalog_find(&a->cat,
                                                        eps[i].source),
                                  &ev[i], rem_of(rems, nrems, eps[i].id),
                                  eps[i].watchlist ? eps[i].watchlist : ""};
    int code = report_listing_exit(&eps[i]);
    if (code > v->exit_code)
      v->exit_code = code;
  }
  v->listings = lv;
  v->nlistings = n;
  return RBL_OK;
}

/* Everything status shows, into v (strings and rows in ar). */
static rbl_status
gather_status(struct store *s, const struct app *a, struct arena *ar,
              struct status_view *v)
{
  int64_t started;
  memset(v, 0, sizeof(*v));
  v->now = clock_now();
  v->exit_code = RBL_EXIT_OK;
  store_last_cycle(s, &started, &v->last_check, &v->last_exit);
  uint64_t every = a->cfg.sched_ms[JOB_DNSBL] ? a->cfg.sched_ms[JOB_DNSBL]
                                              : STATUS_STALE_INTERVAL_MS;
  v->stale_after = (int64_t)(every / 1000 * STATUS_STALE_FACTOR);
  v->stale = v->last_check > 0 && v->now - v->last_check > v->stale_after;
  struct health_row *h = NULL;
  rbl_status st = gather_listings(s, a, ar, v);
  if (st == RBL_OK)
    st = store_health(s, ar, &h, &v->nhealth);
  v->health = h;
  if (st == RBL_OK)
    st = gather_findings(s, a, ar, v);
  /* Never OK on a stale state, nor on a last check that could check
   * nothing. */
  if (v->stale && v->exit_code == RBL_EXIT_OK)
    v->exit_code = RBL_EXIT_WARNING;
  if (v->last_check == 0 || v->last_exit == RBL_EXIT_UNKNOWN)
    v->exit_code = RBL_EXIT_UNKNOWN;
  return st;
}

int
cmd_status(struct cli *c)
{
  struct app a;
  struct store *s = open_state(&a, c);
  if (s == NULL)
    return RBL_EXIT_UNKNOWN;
  struct arena ar = ARENA_INIT;
  struct status_view v;
  rbl_status st = gather_status(s, &a, &ar, &v);
  c->rep->status(stdout, &v);
  int rc = v.exit_code;
  if (st != RBL_OK) {
    fprintf(stderr, "rblmon: cannot read the state\n");
    rc = RBL_EXIT_UNKNOWN;
  }
  arena_free(&ar);
  store_close(s);
  app_free(&a);
  return rc;
}

/* TARGET as the state writes it (an address or a domain), in norm; false
 * (said) when it is neither. */
static bool
history_target(const char *target, char *norm, size_t size)
{
  struct target_spec spec;
  char err[256];
  if (target_parse(target, &spec, err, sizeof(err)) != RBL_OK ||
      (target_is_ip(&spec) &&
       spec.prefix != (spec.kind == TARGET_IP4 ? 32u : 128u))) {
    fprintf(stderr, "rblmon: history: '%s' is not an address or domain\n",
            target);
    return false;
  }
  if (!target_is_ip(&spec))
    snprintf(norm, size, "%s", spec.domain);
  else
    target_addr_str(&spec.base, norm, size);
  return true;
}

int
cmd_history(struct cli *c)
{
  char norm[TARGET_NAME_MAX];
  const char *target = c->nargs == 1 ? norm : NULL;
  if (target != NULL && !history_target(c->args[0], norm, sizeof(norm)))
    return RBL_EXIT_UNKNOWN;
  struct app a;
  struct store *s = open_state(&a, c);
  if (s == NULL)
    return RBL_EXIT_UNKNOWN;
  struct arena ar = ARENA_INIT;
  struct episode *eps;
  size_t n;
  rbl_status st = store_history(s, target, &ar, &eps, &n);
  struct listing_view *lv = arena_alloc(&ar, (n ? n : 1) * sizeof(*lv));
  if (st == RBL_OK && lv == NULL)
    st = RBL_ENOMEM;
  for (size_t i = 0; st == RBL_OK && i < n; i++)
    lv[i] = (struct listing_view){&eps[i], catalog_find(&a.cat,
                                                        eps[i].source),
                                  NULL, NULL, NULL};
  struct history_view v = {clock_now(), target, lv, st == RBL_OK ? n : 0};
  c->rep->history(stdout, &v);
  if (st != RBL_OK)
    fprintf(stderr, "rblmon: cannot read the state\n");
  arena_free(&ar);
  store_close(s);
  app_free(&a);
  return st == RBL_OK ? RBL_EXIT_OK : RBL_EXIT_UNKNOWN;
}
