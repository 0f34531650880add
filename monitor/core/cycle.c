/* cycle.c - one check cycle (see cycle.h): each stage a function, in the
 * order the data flows; the state changes in one transaction, committed
 * only when every pair of the plan has its result. */
#include "cycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "authsource.h"
#include "dnsbl.h"
#include "dns.h"
#include "feed.h"
#include "feedload.h"
#include "fromspf.h"
#include "http.h"
#include "loop.h"
#include "notify.h"
#include "report.h"
#include "store.h"
#include "targets.h"

#define CYCLE_MAX_CHANGES 100000
/* What the engines get when the deadline has passed before they start. */
#define CYCLE_MIN_DEADLINE_MS 100

/* Changes as they come (bounded: past CYCLE_MAX_CHANGES they are
 * counted, not kept). */
struct changes {
  struct change *c;
  size_t n, cap, dropped;
};

struct cycle {
  const struct app *a;
  const struct cycle_opts *o;
  struct loop *loop;
  struct dns *dns;
  struct http *http;
  uint64_t t_start;               /* loop time at the start */
  /* targets and plan */
  struct target_set set;
  bool incomplete, from_spf_unread; /* from_spf could not add all */
  struct fromspf_run *spf;        /* from_spf, while it runs */
  bool cancelled;                 /* cycle_cancel(): no engine goes on */
  const struct list_def **lists;  /* the DNSBLs of this cycle, over DNS */
  size_t nlists;
  const struct list_def **feed_lists; /* and read from feeds */
  size_t nfeed_lists;
  struct feed_cache own_feeds;    /* when the caller keeps none */
  struct engine_target *narrow, *wide; /* the targets: DNS, feeds only */
  size_t nnarrow, nwide;
  const char **configured;        /* every source of the configuration */
  size_t nconfigured;
  bool full;                      /* every kind, every list */
  struct list_state *states;
  size_t nstates;
  void *runs[ENGINES_MAX];         /* per engine (engines[]) */
  /* the state */
  int64_t now;
  struct store *store;
  bool unrecorded;                /* the state could not be opened */
  bool store_failed;
  char store_err[1024];
  uint64_t *used;                 /* queries per list, last 24 h */
  struct changes changes;         /* this cycle's */
  struct changes news;            /* o->reader's: those it has not seen */
  /* the report */
  FILE *out;
  struct afile af;
  void *rep_state;
  struct tally tally;
  uint64_t total, covered;        /* pairs of the plan, pairs answered */
  bool progress_shown;
  uint64_t started;
};

static void
changes_add(struct changes *l, const struct change *c)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct change *p = cap > CYCLE_MAX_CHANGES
                         ? NULL
                         : realloc(l->c, cap * sizeof(*p));
    if (p == NULL) {
      l->dropped++;
      return;
    }
    l->c = p;
    l->cap = cap;
  }
  l->c[l->n++] = *c;
}

static void
on_change(void *arg, const struct change *c)
{
  struct cycle *y = arg;
  changes_add(&y->changes, c);
}

/* A kept change, its watchlist named as this configuration has it (the
 * row's text lives only for the call; NULL: no longer configured). */
static void
on_news(void *arg, const struct change *c)
{
  struct cycle *y = arg;
  struct change k = *c;
  const struct config *cfg = &y->a->cfg;
  k.watchlist = NULL;
  for (size_t i = 0; c->watchlist != NULL && i < cfg->nwatchlists; i++)
    if (strcmp(cfg->wls[i].name, c->watchlist) == 0)
      k.watchlist = cfg->wls[i].name;
  changes_add(&y->news, &k);
}

/* The source a kept change names, as this configuration has it (NULL: it
 * is no longer configured). */
static const struct list_def *
source_of(void *arg, const char *name)
{
  const struct app *a = ((const struct cycle *)arg)->a;
  for (size_t i = 0; i < a->nlists; i++)
    if (strcmp(a->lists[i]->name, name) == 0)
      return a->lists[i];
  for (size_t i = 0; i < a->cfg.nproviders; i++)
    if (strcmp(a->cfg.providers[i]->def.name, name) == 0)
      return &a->cfg.providers[i]->def;
  for (unsigned ck = 0; a->cfg.auth_on && ck < AUTH_NCHECKS; ck++)
    if (((a->cfg.auth_checks >> ck) & 1u) &&
        strcmp(auth_source((enum auth_check)ck)->name, name) == 0)
      return auth_source((enum auth_check)ck);
  return NULL;
}

static void
sink(void *arg, const struct result *r)
{
  struct cycle *y = arg;
  tally_add(&y->tally, r);
  if (!r->part)
    y->covered += r->covers ? r->covers : 1;
  y->o->rep->result(y->rep_state, r);
  if (y->store != NULL && !y->store_failed &&
      store_cycle_result(y->store, r, on_change, y) != RBL_OK) {
    y->store_failed = true;
    store_error(y->store, "cannot record a result", y->store_err,
                sizeof(y->store_err));
  }
}

/* A progress line on a terminal for runs longer than a second. */
static uint64_t
progress(void *arg)
{
  struct cycle *y = arg;
  uint64_t done = y->covered;
  fprintf(stderr, "\r\033[Kchecking: %llu/%llu (%llu%%), %llu listed",
          (unsigned long long)done, (unsigned long long)y->total,
          (unsigned long long)(y->total ? done * 100 / y->total : 0),
          (unsigned long long)y->tally.listed);
  y->progress_shown = true;
  return 250;
}

/* ---- targets ------------------------------------------------------------ */

static rbl_status
add_target(void *arg, const struct target_spec *spec, const char *wl)
{
  return targets_add_uncovered(arg, spec, wl);
}

static void
spf_done(void *arg)
{
  struct cycle *y = arg;
  loop_stop(y->loop);
}

/* from_spf: watchlists take the addresses their domains' SPF authorises
 * (every domain at once, on the loop); what could not be read is said,
 * and makes the check incomplete. */
static void
expand_from_spf(struct cycle *y)
{
  bool none;
  y->spf = fromspf_start(y->loop, y->dns, &y->a->cfg, y->a->cfg.deadline_ms,
                         spf_done, y, &none);
  if (none)
    return;
  if (y->spf == NULL) {
    fprintf(stderr, "rblmon: from_spf: out of memory\n");
    y->incomplete = y->from_spf_unread = true;
    return;
  }
  if (y->o->current != NULL)
    *y->o->current = y;
  while (!fromspf_finished(y->spf))
    loop_run(y->loop);
  if (y->o->current != NULL)
    *y->o->current = NULL;
  struct sbuf report;
  sbuf_init(&report, 1 << 16);
  int outcome = fromspf_end(y->spf, add_target, &y->set, &report);
  y->spf = NULL;
  y->incomplete = outcome != FROM_SPF_OK;
  y->from_spf_unread = outcome == FROM_SPF_FAILED;
  const char *p = sbuf_str(&report);
  while (*p) {
    size_t n = strcspn(p, "\n");
    fprintf(stderr, "rblmon: %.*s\n", (int)n, p);
    p += n + (p[n] == '\n');
  }
  sbuf_free(&report);
}

/* Targets from the command line, or every watchlist entry and what
 * from_spf adds. */
static bool
collect_targets(struct cycle *y)
{
  const struct app *a = y->a;
  if (y->o->nargs > 0) {
    if (!targets_from_args(&y->set, y->o->args, y->o->nargs))
      return false;
  } else if (targets_from_config(&y->set, &a->cfg) != RBL_OK) {
    fprintf(stderr, "rblmon: out of memory\n");
    return false;
  } else {
    expand_from_spf(y);
  }
  if (y->set.n == 0) {
    fprintf(stderr, "rblmon: nothing to check: %s has no watchlist targets; "
            "add ips: or domains: to a watchlist, or name targets on the "
            "command line\n", a->config_path);
    return false;
  }
  if (a->nlists == 0 && a->cfg.nproviders == 0 && !a->cfg.auth_on) {
    fprintf(stderr, "rblmon: no lists selected: check lists.use and "
            "lists.exclude in %s (rblmon lists --all shows the catalog)\n",
            a->have_config ? a->config_path : "the configuration");
    return false;
  }
  return true;
}

/* ---- plan ----------------------------------------------------------------- */

static bool
wanted_list(const struct cycle_opts *o, const char *name)
{
  if (o->only_lists == NULL)
    return true;
  for (size_t j = 0; j < o->nonly_lists; j++)
    if (strcmp(name, o->only_lists[j]) == 0)
      return true;
  return false;
}

static bool
fed(const struct cycle *y, const struct target_spec *t)
{
  for (size_t k = 0; k < y->nfeed_lists; k++)
    if (feed_fits(y->feed_lists[k], t))
      return true;
  return false;
}

/* Which lists a wide range on the command line is checked against. */
static void
tell_feeds_only(const struct cycle *y, const struct target_spec *t,
                const char *s)
{
  char names[256] = "";
  size_t w = 0, n = 0;
  for (size_t k = 0; k < y->nfeed_lists; k++) {
    if (!feed_fits(y->feed_lists[k], t))
      continue;
    if (n++ < 4 && w < sizeof(names))
      w += (size_t)snprintf(names + w, sizeof(names) - w, "%s%s",
                            w ? ", " : "", y->feed_lists[k]->name);
  }
  fprintf(stderr, "rblmon: '%s' is checked against %s%s (read from data "
          "feeds) only: DNS lists are asked for ranges of at most 65,536 "
          "addresses\n", s, names, n > 4 ? " and more" : "");
}

/* DNS and HTTP take ranges of up to 65,536 addresses; wider ones go to
 * the feeds only.  A command-line range that no feed takes is an error
 * (a watchlist's was one when the configuration was read). */
static bool
split_targets(struct cycle *y)
{
  y->narrow = calloc(y->set.n + 1, sizeof(*y->narrow));
  y->wide = calloc(y->set.n + 1, sizeof(*y->wide));
  if (y->narrow == NULL || y->wide == NULL)
    return false;
  for (size_t i = 0; i < y->set.n; i++) {
    const struct engine_target *t = &y->set.t[i];
    if (target_dns_checkable(t->spec)) {
      y->narrow[y->nnarrow++] = *t;
      continue;
    }
    char s[TARGET_NAME_MAX];
    target_spec_str(t->spec, s, sizeof(s));
    if (y->o->nargs > 0 && !fed(y, t->spec)) {
      fprintf(stderr, "rblmon: argument %zu: '%s': %s\n", i + 1, s,
              target_wide_why(t->spec->kind));
      return false;
    }
    if (y->o->nargs > 0 && y->nlists > 0)
      tell_feeds_only(y, t->spec, s);
    y->wide[y->nwide++] = *t;
  }
  return true;
}

/* The sources of the configuration (a commit closes the removed ones),
 * and the lists this cycle asks. */
static bool
plan(struct cycle *y)
{
  const struct app *a = y->a;
  unsigned kinds = y->o->kinds ? y->o->kinds : CHECK_ALL;
  y->full = kinds == CHECK_ALL && y->o->only_lists == NULL;
  y->configured = calloc(a->nlists + a->cfg.nproviders + AUTH_NCHECKS + 1,
                         sizeof(*y->configured));
  y->lists = calloc(a->nlists + 1, sizeof(*y->lists));
  y->feed_lists = calloc(a->nlists + 1, sizeof(*y->feed_lists));
  if (y->configured == NULL || y->lists == NULL || y->feed_lists == NULL)
    return false;
  for (size_t i = 0; i < a->nlists; i++)
    y->configured[y->nconfigured++] = a->lists[i]->name;
  for (size_t i = 0; i < a->cfg.nproviders; i++)
    y->configured[y->nconfigured++] = a->cfg.providers[i]->def.name;
  for (unsigned ck = 0; a->cfg.auth_on && ck < AUTH_NCHECKS; ck++)
    if ((a->cfg.auth_checks >> ck) & 1u)
      y->configured[y->nconfigured++] = auth_source((enum auth_check)ck)->name;
  for (size_t i = 0; i < a->nlists; i++) {
    const struct list_def *l = a->lists[i];
    if (!wanted_list(y->o, l->name))
      continue;
    if (l->feed != NULL && (kinds & CHECK_FEED))
      y->feed_lists[y->nfeed_lists++] = l;
    else if (l->feed == NULL && (kinds & CHECK_DNSBL))
      y->lists[y->nlists++] = l;
  }
  return split_targets(y);
}

/* ---- the state ------------------------------------------------------------ */

/* Opens the state and begins the cycle's transaction.  When the state
 * cannot be used (read-only, damaged, full) the check still runs and
 * reports, unrecorded (the reason in store_err); only another rblmon
 * holding it, or out of memory, stops it (false). */
static bool
open_state(struct cycle *y)
{
  char err[512];
  rbl_status st = app_store_open(y->a, false, &y->store, err, sizeof(err));
  if (st == RBL_ETIMEOUT || st == RBL_ENOMEM) {
    fprintf(stderr, "rblmon: %s\n", err);
    return false;
  }
  if (st == RBL_OK &&
      store_cycle_begin(y->store, y->now, err, sizeof(err)) != RBL_OK) {
    store_close(y->store);
    y->store = NULL;
    st = RBL_EIO;
  }
  if (st != RBL_OK) {
    y->unrecorded = true;
    snprintf(y->store_err, sizeof(y->store_err), "%s; this check was not "
             "recorded (the report shows all of it) and no notification was "
             "sent", err);
    return true;
  }
  if (y->o->began != NULL)
    y->o->began(y->o->arg);
  return true;
}

/* The queries of the last 24 hours, counted against daily limits; false
 * when they cannot be read (then nothing is asked). */
static bool
read_usage(struct cycle *y)
{
  if (y->store == NULL)
    return true;
  if ((y->used = calloc(y->nlists ? y->nlists : 1, sizeof(*y->used))) ==
      NULL)
    return false;
  for (size_t i = 0; i < y->nlists && !store_failed(y->store); i++)
    if (list_daily_limit(y->lists[i], NULL) > 0)
      store_queries_since(y->store, y->lists[i]->name, y->now - 86400,
                          &y->used[i]);
  if (store_failed(y->store)) {
    char err[512];
    store_failure(y->store, "nothing was checked (the queries of the last "
                  "24 hours, counted against the lists' daily limits, "
                  "could not be read)", err, sizeof(err));
    fprintf(stderr, "rblmon: %s\n", err);
    return false;
  }
  return true;
}

/* ---- the report ----------------------------------------------------------- */

static bool
begin_report(struct cycle *y)
{
  y->out = stdout;
  if (y->o->output != NULL) {
    char err[PATH_MAX + 64];
    if (!afile_open(&y->af, y->o->output, err, sizeof(err))) {
      fprintf(stderr, "rblmon: %s\n", err);
      return false;
    }
    y->out = y->af.f;
  }
  /* without the state there are no changes to show: all of it */
  struct report_opts ro = {y->out, false, y->o->all,
                           y->o->changes_only && !y->unrecorded};
  const char *nc = getenv("NO_COLOR");
  ro.color = y->o->output == NULL && isatty(STDOUT_FILENO) &&
             (nc == NULL || *nc == '\0');
  return (y->rep_state = y->o->rep->begin(&ro)) != NULL;
}

/* ---- the engines ---------------------------------------------------------- */

static bool
engine_asked(const struct cycle *y, const struct engine *e)
{
  unsigned kinds = y->o->kinds ? y->o->kinds : CHECK_ALL;
  return (kinds & e->kind) != 0;
}

static bool
all_finished(const struct cycle *y)
{
  for (size_t i = 0; engines[i] != NULL; i++)
    if (y->runs[i] != NULL && !engines[i]->finished(y->runs[i]))
      return false;
  return true;
}

static void
engine_done(void *arg)
{
  struct cycle *y = arg;
  if (all_finished(y))
    loop_stop(y->loop);
}

static void
probe_done(void *arg)
{
  loop_stop(arg);
}

static void
no_result(void *arg, const struct result *r)
{
  (void)arg;
  (void)r;
}

rbl_status
cycle_probe(const struct app *a, struct loop *loop, struct dns *d,
            struct list_state *states)
{
  /* the lists asked over DNS (a feed's health is its file's) */
  const struct list_def **dns = calloc(a->nlists + 1, sizeof(*dns));
  struct list_state *st = calloc(a->nlists + 1, sizeof(*st));
  size_t n = 0;
  if (dns == NULL || st == NULL) {
    free(dns);
    free(st);
    return RBL_ENOMEM;
  }
  for (size_t i = 0; i < a->nlists; i++)
    if (a->lists[i]->feed == NULL)
      dns[n++] = a->lists[i];
  struct engine_ctx ctx = {
    .loop = loop, .dns = d, .cfg = &a->cfg, .lists = dns, .nlists = n,
    .now = clock_now(), .deadline_ms = a->cfg.deadline_ms,
    .sink = no_result, .done = probe_done, .done_arg = loop};
  void *run = engine_dnsbl.start(&ctx, st);
  if (run != NULL) {
    while (!engine_dnsbl.finished(run))
      loop_run(loop);
    engine_dnsbl.end(run);
    for (size_t i = 0, k = 0; i < a->nlists; i++)
      if (a->lists[i]->feed == NULL)
        states[i] = st[k++];
  }
  free(dns);
  free(st);
  return run != NULL ? RBL_OK : RBL_ENOMEM;
}

void
cycle_cancel(struct cycle *y)
{
  y->cancelled = true;
  if (y->spf != NULL)
    fromspf_cancel(y->spf);
  for (size_t i = 0; engines[i] != NULL; i++)
    if (y->runs[i] != NULL)
      engines[i]->cancel(y->runs[i]);
}

static struct engine_ctx
engine_ctx(struct cycle *y)
{
  /* resolver.deadline (or check --timeout) bounds the whole check,
   * from_spf and the wait for the state included; the engines still
   * start when it has passed, to report what they did not ask */
  uint64_t spent = loop_now(y->loop) - y->t_start;
  uint64_t deadline = y->a->cfg.deadline_ms;
  if (deadline > 0)
    deadline = spent + CYCLE_MIN_DEADLINE_MS < deadline
                 ? deadline - spent : CYCLE_MIN_DEADLINE_MS;
  return (struct engine_ctx){
    .loop = y->loop, .dns = y->dns, .http = y->http, .cfg = &y->a->cfg,
    .lists = y->lists, .nlists = y->nlists, .used_today = y->used,
    .feed_lists = y->feed_lists, .nfeed_lists = y->nfeed_lists,
    .feeds = y->o->feeds ? y->o->feeds : &y->own_feeds,
    .targets = y->narrow, .ntargets = y->nnarrow, .wide = y->wide,
    .nwide = y->nwide, .store = y->store, .now = y->now,
    .deadline_ms = deadline, .sink = sink, .sink_arg = y,
    .done = engine_done, .done_arg = y};
}

/* Sizes the plan: states for every source, the HTTP client if wanted;
 * before the state is opened and the report begun, as a failure here
 * (said) ends the cycle with nothing printed. */
static bool
size_engines(struct cycle *y)
{
  struct engine_ctx e = engine_ctx(y), *ctx = &e;
  size_t n = 0;
  bool http = false;
  for (size_t i = 0; engines[i] != NULL; i++) {
    if (!engine_asked(y, engines[i]))
      continue;
    size_t k = engines[i]->nsources(ctx);
    n += k;
    http = http || (k > 0 && engines[i]->needs_http);
    uint64_t c = engines[i]->count(ctx);
    y->total = y->total + c < y->total ? UINT64_MAX : y->total + c;
  }
  if ((y->states = calloc(n ? n : 1, sizeof(*y->states))) == NULL) {
    fprintf(stderr, "rblmon: out of memory\n");
    return false;
  }
  y->nstates = n;
  if (http) {
    char err[256];
    if ((y->http = http_new(y->loop, err, sizeof(err))) == NULL) {
      fprintf(stderr, "rblmon: %s\n", err);
      return false;
    }
  }
  return true;
}

/* What was answered is shown, not recorded, and why. */
static void
fail_record(struct cycle *y, const char *why)
{
  y->store_failed = true;
  snprintf(y->store_err, sizeof(y->store_err), "%s", why);
}

/* Every asked engine on the one loop: DNS queries and HTTP requests
 * overlap.  Only the cycle runs the loop. */
static bool
run_engines(struct cycle *y)
{
  if (y->cancelled) { /* rblmon run's SIGTERM came during from_spf */
    fail_record(y, "stopped before the lists were asked: this check was "
                "not recorded");
    return false;
  }
  struct engine_ctx ctx = engine_ctx(y);
  ctx.http = y->http;
  y->started = loop_now(y->loop);
  unsigned ptimer = isatty(STDERR_FILENO)
                      ? loop_timer(y->loop, 1000, progress, y) : 0;
  struct list_state *st = y->states;
  bool ok = true;
  for (size_t i = 0; ok && engines[i] != NULL; i++) {
    size_t k = engine_asked(y, engines[i]) ? engines[i]->nsources(&ctx) : 0;
    if (k == 0)
      continue;
    ok = (y->runs[i] = engines[i]->start(&ctx, st)) != NULL;
    st += k;
  }
  if (!ok) {
    fprintf(stderr, "rblmon: out of memory\n");
    fail_record(y, "out of memory: this check was not recorded");
    cycle_cancel(y);
  }
  if (y->o->current != NULL)
    *y->o->current = y;
  while (!all_finished(y))
    loop_run(y->loop);
  if (y->o->current != NULL)
    *y->o->current = NULL;
  if (ptimer)
    loop_timer_cancel(y->loop, ptimer);
  if (y->progress_shown)
    fputs("\r\033[K", stderr);
  size_t w = 0; /* states of checks that were not part of the cycle go */
  for (size_t i = 0; i < y->nstates; i++)
    if (y->states[i].list != NULL)
      y->states[w++] = y->states[i];
  y->nstates = w;
  return ok;
}

/* ---- recording -------------------------------------------------------------- */


/* Commits the cycle when it is whole; true when it was recorded. */
static bool
record(struct cycle *y, int rc)
{
  if (y->store == NULL)
    return false;
  /* addresses the SPF record could not give now would read as "no
   * longer watched", closing their listings */
  if (y->from_spf_unread && !y->store_failed)
    fail_record(y, "a from_spf record could not be read, so this check was "
                "not recorded; the previous state is intact");
  /* A cycle that did not produce a result for every pair of the plan is
   * not recorded: missing pairs would read as "no longer watched". */
  if (y->covered != y->total && !y->store_failed) {
    char why[256];
    snprintf(why, sizeof(why), "the check produced %llu of %llu results "
             "and was not recorded; the previous state is intact",
             (unsigned long long)y->covered, (unsigned long long)y->total);
    fail_record(y, why);
  }
  for (size_t i = 0; i < y->nstates && !y->store_failed; i++)
    if (store_cycle_health(y->store, &y->states[i], on_change, y) != RBL_OK) {
      y->store_failed = true;
      store_error(y->store, "cannot record list health", y->store_err,
                  sizeof(y->store_err));
    }
  /* the changes are kept for every reader; o->reader gets what it has
   * not seen, whoever's check found it */
  if (!y->store_failed &&
      (store_changes_put(y->store, y->changes.c, y->changes.n) != RBL_OK ||
       (y->o->reader != NULL &&
        store_changes_read(y->store, y->o->reader, CYCLE_MAX_CHANGES,
                           source_of, on_news, y) != RBL_OK))) {
    y->store_failed = true;
    store_error(y->store, "cannot record the changes", y->store_err,
                sizeof(y->store_err));
  }
  if (!y->store_failed &&
      store_cycle_commit(y->store, y->a->cfg.retention_ms, &y->tally, rc,
                         y->full, y->configured, y->nconfigured,
                         y->store_err, sizeof(y->store_err)) != RBL_OK)
    y->store_failed = true;
  if (store_failed(y->store)) /* SQLite failed: say what to do */
    store_failure(y->store, "this check's results were not recorded and "
                  "no notification was sent", y->store_err,
                  sizeof(y->store_err));
  if (y->store_failed) {
    store_cycle_rollback(y->store);
    y->changes.n = y->news.n = 0; /* not committed: not news */
  }
  return !y->store_failed;
}

/* The end of the report, the notifications of what was committed, and
 * the output file in place; returns the exit code. */
static int
finish(struct cycle *y, int rc, bool saved)
{
  /* an unrecorded check is UNKNOWN, and its report says so (a plugin's
   * status line is its exit code's) */
  if (y->store_failed || y->unrecorded)
    rc = RBL_EXIT_UNKNOWN;
  const struct changes *shown = y->o->reader ? &y->news : &y->changes;
  struct report_summary s = {&y->tally, y->states, y->nstates,
                             loop_now(y->loop) - y->started, rc,
                             shown->c, shown->n, saved,
                             y->o->changes_only && !y->unrecorded,
                             NULL, 0, false, clock_now()};
  /* what was committed: the open listings and when each began */
  struct arena ar = ARENA_INIT;
  struct episode *open = NULL;
  s.open_known = saved && y->o->rep->needs_open &&
                 store_current(y->store, &ar, &open, &s.nopen) == RBL_OK;
  s.open = open;
  y->o->rep->end(y->rep_state, &s);
  if (y->out == stdout) /* out before the notifications run */
    fflush(stdout);
  arena_free(&ar);
  y->rep_state = NULL;
  if (shown->dropped > 0)
    fprintf(stderr, "rblmon: %zu more changes not shown\n", shown->dropped);
  if (saved && y->changes.n > 0) { /* only what was committed is news */
    struct notify_event *ev = NULL;
    size_t nev = 0;
    notify_from_changes(y->changes.c, y->changes.n, &ev, &nev);
    if (nev > 0)
      notify_send(&y->a->cfg, ev, nev, false);
    notify_free(ev, nev);
  }
  if (y->store_failed || y->unrecorded)
    fprintf(stderr, "rblmon: %s\n", y->store_err);
  if (y->out != stdout) {
    char err[PATH_MAX + 64];
    y->out = NULL;
    if (!afile_commit(&y->af, err, sizeof(err))) {
      fprintf(stderr, "rblmon: %s\n", err);
      rc = RBL_EXIT_UNKNOWN;
    }
  } else {
    fflush(stdout);
  }
  return rc;
}

static void
cycle_free(struct cycle *y)
{
  afile_abort(&y->af);
  http_free(y->http);       /* aborts without callbacks */
  dns_free(y->dns);         /* cancels: callbacks see their run still */
  for (size_t i = 0; engines[i] != NULL; i++)
    if (y->runs[i] != NULL)
      engines[i]->end(y->runs[i]);
  store_close(y->store);
  free(y->configured);
  free(y->lists);
  free(y->feed_lists);
  free(y->narrow);
  free(y->wide);
  feed_cache_free(&y->own_feeds);
  free(y->used);
  free(y->changes.c);
  free(y->news.c);
  free(y->states);
  targets_free(&y->set);
}

int
cycle_run(const struct app *a, struct loop *loop, const struct cycle_opts *o)
{
  struct cycle y;
  memset(&y, 0, sizeof(y));
  y.a = a;
  y.o = o;
  y.loop = loop;
  targets_init(&y.set);
  feed_cache_init(&y.own_feeds);
  /* command-line targets make a one-off check: the state of the
   * watchlists is neither read nor written */
  bool stateful = !o->no_state && o->nargs == 0;
  int rc = RBL_EXIT_UNKNOWN;
  if ((y.dns = app_dns(a, loop)) == NULL)
    goto done;
  y.t_start = loop_now(loop);
  if (!collect_targets(&y) || !plan(&y) || !size_engines(&y))
    goto done;
  y.now = clock_now();
  if ((stateful && !open_state(&y)) || !read_usage(&y) ||
      !begin_report(&y))
    goto done;
  bool ran = run_engines(&y);
  rc = ran ? tally_exit(&y.tally) : RBL_EXIT_UNKNOWN;
  if (y.incomplete && rc == RBL_EXIT_OK)
    rc = RBL_EXIT_WARNING; /* from_spf could not add every address */
  bool saved = record(&y, rc);
  if (o->recorded != NULL)
    *o->recorded = saved;
  rc = finish(&y, rc, saved);
done:
  cycle_free(&y);
  return rc;
}
