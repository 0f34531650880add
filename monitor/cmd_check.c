/* cmd_check.c - rblmon check: one cycle against the selected lists,
 * recorded in the state (one transaction), changes found, then reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"
#include "auth.h"
#include "dnsbl.h"
#include "http.h"
#include "notify.h"
#include "report.h"
#include "reputation.h"
#include "store.h"

#define CHECK_MAX_CHANGES 100000

struct check {
  const struct reporter *rep;
  void *rep_state;
  struct tally tally;
  uint64_t total, covered;        /* pairs of the plan, pairs answered */
  bool progress_shown;
  struct store *store;
  bool store_failed;
  char store_err[1024];
  struct change *changes;
  size_t nchanges, capchanges, dropped;
};

static void
on_change(void *arg, const struct change *c)
{
  struct check *k = arg;
  if (k->nchanges == k->capchanges) {
    size_t cap = k->capchanges ? k->capchanges * 2 : 16;
    struct change *p = cap > CHECK_MAX_CHANGES
                         ? NULL
                         : realloc(k->changes, cap * sizeof(*p));
    if (p == NULL) {
      k->dropped++;
      return;
    }
    k->changes = p;
    k->capchanges = cap;
  }
  k->changes[k->nchanges++] = *c;
}

static void
sink(void *arg, const struct result *r)
{
  struct check *k = arg;
  tally_add(&k->tally, r);
  k->covered += r->covers ? r->covers : 1;
  k->rep->result(k->rep_state, r);
  if (k->store != NULL && !k->store_failed &&
      store_cycle_result(k->store, r, on_change, k) != RBL_OK) {
    k->store_failed = true;
    store_error(k->store, "cannot record a result", k->store_err,
                sizeof(k->store_err));
  }
}

/* A progress line on a terminal for runs longer than a second. */
static uint64_t
progress(void *arg)
{
  struct check *k = arg;
  uint64_t done = k->covered;
  fprintf(stderr, "\r\033[Kchecking: %llu/%llu (%llu%%), %llu listed",
          (unsigned long long)done, (unsigned long long)k->total,
          (unsigned long long)(k->total ? done * 100 / k->total : 0),
          (unsigned long long)k->tally.listed);
  k->progress_shown = true;
  return 250;
}

/* Targets from the command line, or every watchlist entry. */
static int
collect_targets(const struct cli *c, const struct app *a,
                struct target_spec **specs, struct dnsbl_target **targets,
                size_t *nt)
{
  size_t n = c->nargs > 0 ? (size_t)c->nargs : a->cfg.nitems;
  *specs = calloc(n ? n : 1, sizeof(**specs));
  *targets = calloc(n ? n : 1, sizeof(**targets));
  *nt = 0;
  if (*specs == NULL || *targets == NULL) {
    fprintf(stderr, "rblmon: out of memory\n");
    return RBL_EXIT_UNKNOWN;
  }
  uint64_t addresses = 0;
  for (int i = 0; i < c->nargs; i++) {
    char err[256];
    if (target_parse(c->args[i], &(*specs)[i], err, sizeof(err)) != RBL_OK) {
      fprintf(stderr, "rblmon: argument %d: %s\n", i + 1, err);
      return RBL_EXIT_UNKNOWN;
    }
    if ((addresses += target_count(&(*specs)[i])) > CFG_MAX_ADDRESSES) {
      fprintf(stderr, "rblmon: argument %d: with %s the arguments hold more "
              "than %u addresses; check fewer at a time\n", i + 1,
              c->args[i], CFG_MAX_ADDRESSES);
      return RBL_EXIT_UNKNOWN;
    }
    (*targets)[(*nt)++] = (struct dnsbl_target){&(*specs)[i], ""};
  }
  for (size_t i = 0; c->nargs == 0 && i < a->cfg.nitems; i++)
    (*targets)[(*nt)++] = (struct dnsbl_target){&a->cfg.items[i].spec,
                                                a->cfg.items[i].watchlist};
  if (*nt == 0) {
    fprintf(stderr, "rblmon: nothing to check: %s has no watchlist targets; "
            "add ips: or domains: to a watchlist, or name targets on the "
            "command line\n", a->config_path);
    return RBL_EXIT_UNKNOWN;
  }
  if (a->nlists == 0 && a->cfg.nproviders == 0 && !a->cfg.auth_on) {
    fprintf(stderr, "rblmon: no lists selected: check lists.use and "
            "lists.exclude in %s (rblmon lists --all shows the catalog)\n",
            a->have_config ? a->config_path : "the configuration");
    return RBL_EXIT_UNKNOWN;
  }
  return RBL_EXIT_OK;
}

/* rblmon run asks, every 200 ms, whether it was told to stop; then the
 * engines stop as at their deadline. */
struct stop_watch {
  bool (*should_stop)(void);
  struct dnsbl_run *d;
  struct rep_run *r;
  struct auth_run *a;
};

static uint64_t
watch_stop(void *arg)
{
  struct stop_watch *w = arg;
  if (!w->should_stop())
    return 200;
  dnsbl_cancel(w->d);
  rep_cancel(w->r);
  auth_cancel(w->a);
  return 0;
}

/* from_spf: watchlists take the addresses their domains' SPF authorises;
 * what could not be read is said, and makes the check incomplete. */
static bool
expand_from_spf(struct app *a, struct loop *loop, struct dns *dns,
                bool *incomplete, bool *unread)
{
  bool any = false;
  for (size_t i = 0; a->cfg.wls && i < a->cfg.nwatchlists; i++)
    any = any || a->cfg.wls[i].nfrom_spf > 0;
  if (!any)
    return true;
  struct sbuf report;
  sbuf_init(&report, 1 << 16);
  int outcome = auth_from_spf(loop, dns, &a->cfg, a->cfg.deadline_ms,
                              &report);
  *incomplete = outcome != FROM_SPF_OK;
  *unread = outcome == FROM_SPF_FAILED;
  const char *p = sbuf_str(&report);
  while (*p) {
    size_t n = strcspn(p, "\n");
    fprintf(stderr, "rblmon: %.*s\n", (int)n, p);
    p += n + (p[n] == '\n');
  }
  sbuf_free(&report);
  return true;
}

/* Opens the state and begins the cycle's transaction.  When the state
 * cannot be used (read-only, damaged, full) the check still runs and
 * reports, unrecorded (*unrecorded, the reason in k->store_err); only
 * another rblmon holding it, or out of memory, stops it (false). */
static bool
open_state(const struct app *a, struct check *k, int64_t now,
           const struct cli *c, bool *unrecorded)
{
  char err[512];
  rbl_status st = app_store_open(a, false, &k->store, err, sizeof(err));
  if (st == RBL_ETIMEOUT || st == RBL_ENOMEM) {
    fprintf(stderr, "rblmon: %s\n", err);
    return false;
  }
  if (st == RBL_OK && store_cycle_begin(k->store, now, err, sizeof(err)) !=
                        RBL_OK) {
    store_close(k->store);
    k->store = NULL;
    st = RBL_EIO;
  }
  if (st != RBL_OK) {
    *unrecorded = true;
    snprintf(k->store_err, sizeof(k->store_err), "%s; this check was not "
             "recorded (the report shows all of it) and no notification was "
             "sent", err);
    return true;
  }
  if (c->began != NULL)
    c->began();
  return true;
}

int
cmd_check(struct cli *c)
{
  struct app a;
  struct dnsbl_target *targets = NULL;
  struct target_spec *specs = NULL;
  struct list_state *states = NULL;
  struct loop *loop = NULL;
  struct dns *dns = NULL;
  struct http *http = NULL;
  struct dnsbl_run *drun = NULL;
  struct rep_run *rrun = NULL;
  struct auth_run *arun = NULL;
  bool incomplete = false, from_spf_unread = false;
  const char **configured = NULL;
  size_t nconfigured = 0;
  struct check k;
  FILE *out = NULL;
  uint64_t *used = NULL;
  struct afile af = {0};
  size_t nt = 0;
  int rc = RBL_EXIT_UNKNOWN;
  memset(&k, 0, sizeof(k));
  const struct reporter *rep = report_find(c->format ? c->format : "text");
  if (rep == NULL) {
    fprintf(stderr, "rblmon: unknown format '%s' (one of %s)\n", c->format,
            report_names);
    return RBL_EXIT_UNKNOWN;
  }
  if (c->changes_only && c->no_state) {
    fprintf(stderr, "rblmon: --changes-only needs the state of the last "
            "check; drop --no-state\n");
    return RBL_EXIT_UNKNOWN;
  }
  /* Targets on the command line make a one-off check: the state of the
   * watchlists is neither read nor written. */
  bool stateful = !c->no_state && c->nargs == 0;
  if (c->changes_only && c->nargs > 0) {
    fprintf(stderr, "rblmon: --changes-only compares with the watchlists' "
            "last check; drop the targets\n");
    return RBL_EXIT_UNKNOWN;
  }
  if (app_load(&a, c, c->nargs == 0) != RBL_EXIT_OK)
    goto done;
  if (app_engine(&a, &loop, &dns) != RBL_EXIT_OK)
    goto done;
  uint64_t t_start = loop_now(loop);
  if (c->nargs == 0 &&
      !expand_from_spf(&a, loop, dns, &incomplete, &from_spf_unread))
    goto done;
  if (collect_targets(c, &a, &specs, &targets, &nt) != RBL_EXIT_OK)
    goto done;
  /* rblmon run asks part of the configuration at a time; the commit then
   * needs every source of the configuration, to close the removed ones */
  unsigned kinds = c->kinds ? c->kinds : CHECK_ALL;
  bool full = kinds == CHECK_ALL && c->only_lists == NULL;
  configured = calloc(a.nlists + a.cfg.nproviders + AUTH_NCHECKS + 1,
                      sizeof(*configured));
  if (configured == NULL)
    goto done;
  for (size_t i = 0; i < a.nlists; i++)
    configured[nconfigured++] = a.lists[i]->name;
  for (size_t i = 0; i < a.cfg.nproviders; i++)
    configured[nconfigured++] = a.cfg.providers[i]->def.name;
  for (unsigned ck = 0; a.cfg.auth_on && ck < AUTH_NCHECKS; ck++)
    if ((a.cfg.auth_checks >> ck) & 1u)
      configured[nconfigured++] = auth_source((enum auth_check)ck)->name;
  if (!(kinds & CHECK_DNSBL))
    a.nlists = 0;
  if (c->only_lists != NULL) {
    size_t w = 0;
    for (size_t i = 0; i < a.nlists; i++)
      for (size_t j = 0; j < c->nonly_lists; j++)
        if (strcmp(a.lists[i]->name, c->only_lists[j]) == 0) {
          a.lists[w++] = a.lists[i];
          break;
        }
    a.nlists = w;
  }
  size_t np = kinds & CHECK_REPUTATION ? a.cfg.nproviders : 0;
  size_t na = kinds & CHECK_AUTH && a.cfg.auth_on ? AUTH_NCHECKS : 0;
  size_t nstates = a.nlists + np + na;
  states = calloc(nstates ? nstates : 1, sizeof(*states));
  if (states == NULL)
    goto done;
  if (np > 0) {
    char err[256];
    if ((http = http_new(loop, err, sizeof(err))) == NULL) {
      fprintf(stderr, "rblmon: %s\n", err);
      goto done;
    }
  }
  int64_t now = store_now();
  bool unrecorded = false;        /* the state could not be opened */
  if (stateful && !open_state(&a, &k, now, c, &unrecorded))
    goto done;
  if (k.store != NULL) {
    char err[512];
    if ((used = calloc(a.nlists ? a.nlists : 1, sizeof(*used))) == NULL)
      goto done;
    for (size_t i = 0; i < a.nlists && !store_failed(k.store); i++)
      if (list_daily_limit(a.lists[i], NULL) > 0)
        store_queries_since(k.store, a.lists[i]->name, now - 86400,
                            &used[i]);
    if (store_failed(k.store)) { /* daily limits unknown: ask nothing */
      store_failure(k.store, "nothing was checked (the queries of the last "
                    "24 hours, counted against the lists' daily limits, "
                    "could not be read)", err, sizeof(err));
      fprintf(stderr, "rblmon: %s\n", err);
      goto done;
    }
  }
  out = stdout;
  if (c->output != NULL) {
    char err[PATH_MAX + 64];
    if (!afile_open(&af, c->output, err, sizeof(err))) {
      fprintf(stderr, "rblmon: %s\n", err);
      goto done;
    }
    out = af.f;
  }
  /* without the state there are no changes to show: all of it */
  struct report_opts ro = {out, false, c->all,
                           c->changes_only && !unrecorded};
  const char *nc = getenv("NO_COLOR");
  ro.color = c->output == NULL && isatty(STDOUT_FILENO) &&
             (nc == NULL || *nc == '\0');
  k.rep = rep;
  if ((k.rep_state = rep->begin(&ro)) == NULL)
    goto done;
  k.total = dnsbl_count(a.lists, a.nlists, targets, nt);
  uint64_t more = rep_count(a.cfg.providers, np, targets, nt);
  more += na > 0 ? auth_count(&a.cfg, targets, nt) : 0;
  k.total = k.total + more < k.total ? UINT64_MAX : k.total + more;
  uint64_t started = loop_now(loop);
  unsigned ptimer = isatty(STDERR_FILENO)
                      ? loop_timer(loop, 1000, progress, &k) : 0;
  /* resolver.deadline bounds the whole check, from_spf included */
  uint64_t spent = loop_now(loop) - t_start, deadline = a.cfg.deadline_ms;
  if (deadline > 0)
    deadline = spent + 1000 < deadline ? deadline - spent : 1000;
  struct dnsbl_opts o = {(unsigned)a.cfg.max_inflight, deadline,
                         used};
  struct rep_opts ropts = {k.store, now, deadline};
  /* Both engines on the one loop: DNS queries and HTTP requests overlap. */
  drun = dnsbl_start(loop, dns, &a.cfg, a.lists, a.nlists, targets, nt, &o,
                     sink, &k, states);
  if (drun != NULL && np > 0)
    rrun = rep_start(loop, http, a.cfg.providers, np, targets, nt, &ropts,
                     sink, &k, states + a.nlists);
  if (drun != NULL && na > 0)
    arun = auth_start(loop, dns, &a.cfg, targets, nt, deadline, sink,
                      &k, states + a.nlists + np);
  if (drun == NULL || (np > 0 && rrun == NULL) || (na > 0 && arun == NULL)) {
    fprintf(stderr, "rblmon: out of memory\n");
    goto done;
  }
  struct stop_watch sw = {c->should_stop, drun, rrun, arun};
  unsigned stimer = c->should_stop ? loop_timer(loop, 200, watch_stop, &sw)
                                   : 0;
  while (!dnsbl_finished(drun) || !rep_finished(rrun) ||
         !auth_finished(arun))
    loop_run(loop);
  if (stimer)
    loop_timer_cancel(loop, stimer);
  if (ptimer)
    loop_timer_cancel(loop, ptimer);
  if (k.progress_shown)
    fputs("\r\033[K", stderr);
  rc = tally_exit(&k.tally);
  { /* states of checks that were not part of the cycle go */
    size_t w = 0;
    for (size_t i = 0; i < nstates; i++)
      if (states[i].list != NULL)
        states[w++] = states[i];
    nstates = w;
  }
  if (incomplete && rc == RBL_EXIT_OK)
    rc = RBL_EXIT_WARNING; /* from_spf could not add every address */

  bool saved = false;
  /* A cycle that did not produce a result for every pair of the plan is
   * not recorded: missing pairs would read as "no longer watched". */
  if (k.store != NULL && from_spf_unread && !k.store_failed) {
    /* addresses the SPF record could not give now would read as "no
     * longer watched", closing their listings */
    k.store_failed = true;
    snprintf(k.store_err, sizeof(k.store_err), "a from_spf record could not "
             "be read, so this check was not recorded; the previous state "
             "is intact");
  }
  if (k.store != NULL && k.covered != k.total && !k.store_failed) {
    k.store_failed = true;
    snprintf(k.store_err, sizeof(k.store_err), "the check produced %llu of "
             "%llu results and was not recorded; the previous state is "
             "intact",
             (unsigned long long)k.covered, (unsigned long long)k.total);
  }
  if (k.store != NULL) {
    for (size_t i = 0; i < nstates && !k.store_failed; i++)
      if (store_cycle_health(k.store, &states[i], on_change, &k) != RBL_OK) {
        k.store_failed = true;
        store_error(k.store, "cannot record list health", k.store_err,
                    sizeof(k.store_err));
      }
    if (!k.store_failed &&
        store_cycle_commit(k.store, a.cfg.retention_ms, &k.tally, rc, full,
                           configured, nconfigured,
                           k.store_err, sizeof(k.store_err)) != RBL_OK)
      k.store_failed = true;
    if (store_failed(k.store)) /* SQLite failed: say what to do */
      store_failure(k.store, "this check's results were not recorded and "
                    "no notification was sent", k.store_err,
                    sizeof(k.store_err));
    if (k.store_failed) {
      store_cycle_rollback(k.store);
      k.nchanges = 0; /* not committed: not news */
    }
    saved = !k.store_failed;
  }
  struct report_summary s = {&k.tally, states, nstates,
                             loop_now(loop) - started, rc, k.changes,
                             k.nchanges, saved, c->changes_only && !unrecorded,
                             saved ? k.store : NULL, store_now()};
  rep->end(k.rep_state, &s);
  if (k.dropped > 0)
    fprintf(stderr, "rblmon: %zu more changes not shown\n", k.dropped);
  if (saved && k.nchanges > 0) { /* only what was committed is news */
    struct notify_event *ev = NULL;
    size_t nev = 0;
    notify_from_changes(k.changes, k.nchanges, &ev, &nev);
    if (nev > 0)
      notify_send(&a.cfg, ev, nev, false);
    notify_free(ev, nev);
  }
  if (k.store_failed || unrecorded) {
    fprintf(stderr, "rblmon: %s\n", k.store_err);
    rc = RBL_EXIT_UNKNOWN;
  }
  if (out != stdout) {
    char err[PATH_MAX + 64];
    out = NULL;
    if (!afile_commit(&af, err, sizeof(err))) {
      fprintf(stderr, "rblmon: %s\n", err);
      rc = RBL_EXIT_UNKNOWN;
    }
  } else {
    fflush(stdout);
  }
done:
  afile_abort(&af);
  http_free(http);       /* aborts without callbacks */
  dns_free(dns);         /* cancels: callbacks see their run still */
  rep_end(rrun);
  dnsbl_end(drun);
  auth_end(arun);
  store_close(k.store);
  free(configured);
  free(used);
  free(k.changes);
  loop_free(loop);
  free(states);
  free(targets);
  free(specs);
  app_free(&a);
  return rc;
}
