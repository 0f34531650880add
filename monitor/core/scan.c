/* scan.c - one log pass (scan.h): the rejections of our outgoing mail in
 * the MTA logs, classified, stored (idempotently) with the cursors in one
 * transaction, and a spike of them notified. */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logsource.h"
#include "notify.h"
#include "report.h"
#include "store.h"
#include "target.h"

struct scan {
  const struct app *a;
  /* what is ours: single addresses sorted (found by bsearch), and ranges */
  struct addr *singles;
  size_t nsingles;
  const struct target_spec **ranges;
  size_t nranges;
  struct classifier *cl;
  struct store *store;
  int64_t cutoff;                 /* --since: older records are skipped */
  const struct scan_sink *sink;
  struct scan_summary *sum;
};

static int
cmp_addr(const void *x, const void *y)
{
  const struct addr *a = x, *b = y;
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  return memcmp(a->b, b->b, sizeof(a->b));
}

/* Indexes the watchlists' addresses; false when out of memory. */
static bool
index_ours(struct scan *k)
{
  const struct config *cfg = &k->a->cfg;
  size_t n = cfg->nitems ? cfg->nitems : 1;
  k->singles = calloc(n, sizeof(*k->singles));
  k->ranges = calloc(n, sizeof(*k->ranges));
  if (k->singles == NULL || k->ranges == NULL)
    return false;
  for (size_t i = 0; i < cfg->nitems; i++) {
    const struct target_spec *s = &cfg->items[i].spec;
    if (!target_is_ip(s))
      continue;
    if (s->prefix == (s->kind == TARGET_IP4 ? 32u : 128u))
      k->singles[k->nsingles++] = s->base;
    else
      k->ranges[k->nranges++] = s;
  }
  qsort(k->singles, k->nsingles, sizeof(*k->singles), cmp_addr);
  return true;
}

static bool
ours(const struct scan *k, const char *ip)
{
  struct addr ad;
  if (ip[0] == '\0' || !target_addr_parse(ip, &ad))
    return false;
  if (bsearch(&ad, k->singles, k->nsingles, sizeof(ad), cmp_addr) != NULL)
    return true;
  for (size_t i = 0; i < k->nranges; i++)
    if (target_spec_contains(k->ranges[i], &ad))
      return true;
  return false;
}

/* One rejection read: classified, counted, stored, handed on. */
static void
found(void *arg, const struct rejection *r, const char *file, uint64_t line)
{
  struct scan *k = arg;
  struct scan_summary *sum = k->sum;
  if (k->cutoff > 0 && r->time < k->cutoff)
    return;
  struct verdict v;
  classify(k->cl, r, &v);
  bool our = ours(k, v.named_ip);
  sum->found++;
  if (r->permanent)
    sum->permanent++;
  else
    sum->temporary++;
  sum->by_cause[v.cause]++;
  if (r->permanent && cause_is_ours(v.cause))
    sum->ours_permanent++;
  if (k->store != NULL && !sum->store_failed) {
    bool is_new = false;
    if (store_rejection(k->store, r, &v, our, file, line, &is_new) != RBL_OK)
      sum->store_failed = true;
    sum->stored_new += is_new;
  }
  if (k->sink->hit != NULL) {
    struct scan_hit h = {r, &v, our, file, line};
    k->sink->hit(k->sink->arg, &h);
  }
}

static void
warn(void *arg, const char *msg)
{
  (void)arg;
  fprintf(stderr, "rblmon: %s\n", msg);
}

/* A file of the configuration: incremental through its cursor, following
 * rotation (logsource_resume()); the cursor moves to where the live file
 * was read to, in the scan's transaction. */
static bool
read_configured(struct scan *k, const char *path, bool backfill)
{
  struct logcursor cur = {0}, next;
  bool have = false;
  if (k->store != NULL &&
      store_cursor_get(k->store, path, &cur, &have) != RBL_OK) {
    k->sum->store_failed = true;
    return false;
  }
  struct logsource_sink sink = {found, warn, k};
  rbl_status rs = logsource_resume(path, have ? &cur : NULL, backfill, &sink,
                                   &k->sum->st, &next);
  if (k->store != NULL && next.inode != 0 &&
      store_cursor_put(k->store, path, &next) != RBL_OK)
    k->sum->store_failed = true;
  return rs == RBL_OK;
}

/* The rules the replies are classified by (the catalog's, or
 * logs.rules); NULL after printing why they cannot be read. */
static struct classifier *
load_rules(const struct app *a)
{
  char rules[4200];
  struct classifier *cl = NULL;
  if (a->cfg.log_rules != NULL)
    snprintf(rules, sizeof(rules), "%s", a->cfg.log_rules);
  else
    snprintf(rules, sizeof(rules), "%s/rules/rejections.yaml",
             app_catalog_dir(a));
  struct diag d;
  diag_init(&d);
  rbl_status st = classify_load(rules, &a->cat, &cl, &d);
  diag_print(&d);
  diag_free(&d);
  return st == RBL_OK ? cl : NULL;
}

/* Every file of the pass; failed ones counted. */
static void
read_all(struct scan *k, const struct scan_spec *spec)
{
  struct scan_summary *sum = k->sum;
  struct logsource_sink sink = {found, warn, k};
  if (spec->nfiles > 0) {
    for (size_t i = 0; i < spec->nfiles; i++, sum->files++) {
      uint64_t off = 0, line = 0;
      sum->failed += logsource_read(spec->files[i], &off, &line, &sink,
                                    &sum->st, NULL) != RBL_OK;
    }
  } else {
    const struct config *cfg = &k->a->cfg;
    for (size_t i = 0; i < cfg->nlog_files; i++, sum->files++)
      sum->failed += !read_configured(k, cfg->log_files[i],
                                      spec->since_ms > 0);
  }
}

/* Commits the pass, or rolls it back and says why. */
static void
finish(struct scan *k)
{
  struct scan_summary *sum = k->sum;
  char err[512] = "";
  if (k->store != NULL && !sum->store_failed &&
      store_scan_commit(k->store, k->a->cfg.retention_ms, err, sizeof(err))
        != RBL_OK)
    sum->store_failed = true;
  if (sum->store_failed) {
    if (err[0] == '\0')
      store_failure(k->store, "the scan was not saved", err, sizeof(err));
    store_cycle_rollback(k->store);
    fprintf(stderr, "rblmon: %s\n", err);
  }
  if (k->store != NULL && !sum->store_failed &&
      sum->stored_new >= k->a->cfg.spike && sum->ours_permanent > 0)
    notify_spike(&k->a->cfg, sum); /* news for the notifiers */
  /* A user-unknown bounce is the recipient's business: it warns, and
   * only a permanent rejection about our sending is critical. */
  sum->exit = sum->ours_permanent > 0 ? RBL_EXIT_CRITICAL
              : sum->found > 0       ? RBL_EXIT_WARNING
                                     : RBL_EXIT_OK;
  if (sum->failed > 0 && sum->exit == RBL_EXIT_OK)
    sum->exit = sum->failed == sum->files ? RBL_EXIT_UNKNOWN
                                          : RBL_EXIT_WARNING;
  if (sum->store_failed)
    sum->exit = RBL_EXIT_UNKNOWN;
}

/* Rules, the index of what is ours, and the state's transaction. */
static rbl_status
prepare(struct scan *k, const struct scan_spec *spec, int64_t now)
{
  const struct app *a = k->a;
  if (spec->nfiles == 0 && a->cfg.nlog_files == 0) {
    fprintf(stderr, "rblmon: no logs to scan: add logs: files: [...] to %s "
            "or name files on the command line\n", a->config_path);
    return RBL_ENOTFOUND;
  }
  if ((k->cl = load_rules(a)) == NULL)
    return RBL_ECONFIG;
  if (!index_ours(k)) {
    fprintf(stderr, "rblmon: out of memory\n");
    return RBL_ENOMEM;
  }
  /* Files named on the command line are read whole, without cursors; the
   * rejections still go into the state (idempotently). */
  if (!spec->no_state) {
    char err[512];
    if ((k->store = app_store(a, false)) == NULL)
      return RBL_EIO;
    if (store_scan_begin(k->store, now, err, sizeof(err)) != RBL_OK) {
      fprintf(stderr, "rblmon: %s\n", err);
      return RBL_EIO;
    }
  }
  return RBL_OK;
}

rbl_status
scan_run(const struct app *a, const struct scan_spec *spec,
         const struct scan_sink *sink, struct scan_summary *sum)
{
  memset(sum, 0, sizeof(*sum));
  sum->exit = RBL_EXIT_UNKNOWN;
  struct scan *k = calloc(1, sizeof(*k));
  if (k == NULL)
    return RBL_ENOMEM;
  k->a = a;
  k->sink = sink;
  k->sum = sum;
  int64_t now = clock_now();
  if (spec->since_ms > 0)
    k->cutoff = now - (int64_t)(spec->since_ms / 1000);
  rbl_status st = prepare(k, spec, now);
  if (st == RBL_OK) {
    sum->stateful = k->store != NULL;
    read_all(k, spec);
    finish(k);
    if (sink->end != NULL)
      sink->end(sink->arg, sum);
  }
  if (k->store != NULL)
    store_close(k->store);
  classify_free(k->cl);
  free(k->singles);
  free(k->ranges);
  free(k);
  return st;
}

/* ---- printed by a reporter ---------------------------------------------- */
/* The reporter's state between its calls. */
struct printing {
  const struct reporter *rep;
  void *st;
  FILE *out;
};

static void
on_hit(void *arg, const struct scan_hit *h)
{
  struct printing *p = arg;
  p->rep->scan_hit(p->st, h);
}

/* Before the state is let go: what was committed is out. */
static void
on_end(void *arg, const struct scan_summary *sum)
{
  struct printing *p = arg;
  p->rep->scan_end(p->st, sum);
  p->st = NULL;
  fflush(p->out);
}

int
scan_report(const struct app *a, const struct scan_spec *spec,
            const struct reporter *rep, FILE *out)
{
  struct printing p = {rep, rep->scan_begin(out), out};
  if (p.st == NULL)
    return RBL_EXIT_UNKNOWN;
  struct scan_summary sum;
  struct scan_sink sink = {on_hit, on_end, &p};
  int rc = scan_run(a, spec, &sink, &sum) == RBL_OK ? sum.exit
                                                    : RBL_EXIT_UNKNOWN;
  if (p.st != NULL) /* the pass did not begin: nothing is printed */
    rep->scan_end(p.st, NULL);
  fflush(out);
  return rc;
}
