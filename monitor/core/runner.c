/* runner.c - rblmon run, the scheduler (runner.h).  One process, one
 * application (configuration, catalog, list selection: loaded at the start
 * and on SIGHUP, never per job) and one event loop: each job is a timer on
 * the loop, at its own interval plus a jitter.  Signals arrive on the loop
 * (signalfd).  Each job opens the state for itself, so a cron "rblmon
 * check" waits for the job in progress (state.lock_wait) or says why not.
 *
 * Lists with a published daily limit are paced: a list is asked only as
 * often as its limit allows for the watchlists' size. */
#include "runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cycle.h"
#include "dnsbl.h"
#include "feedload.h"
#include "loop.h"
#include "remindpass.h"
#include "report.h"
#include "scan.h"
#include "schedule.h"
#include "store.h"

struct paced {                    /* a list asked less often than dnsbl */
  char name[72];
  uint64_t every_ms;              /* UINT64_MAX: its limit allows none */
  int64_t due;
  bool in_job;                    /* asked by the DNSBL job running */
};

struct run {
  char path[4096];
  struct app *app;                /* in force */
  struct loop *loop;
  struct sched sched;
  struct paced *paced;
  size_t npaced;
  /* the loop's events */
  int sigfd;
  unsigned timer;                 /* the next job's */
  int next_job, due_job;          /* -1: none */
  bool stop, hup;
  struct cycle *current;          /* a check cycle in flight */
  struct feed_cache feeds;        /* the lists read from files, kept */
  uint64_t feeds_sig;             /* their files at the last feeds job */
  bool feeds_checked;             /* feeds_sig is of this configuration */
  /* simulation */
  bool simulate;
  int64_t sim_now, sim_end;       /* ms */
  int64_t epoch0;                 /* wall seconds at the start */
  uint64_t hup_every;             /* jobs (RBLMON_RUN_SIMULATE_HUP) */
};

/* Log lines for journald and syslog: a <N> priority prefix (sd-daemon(3)),
 * no colour. */
static void
logmsg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logmsg(int level, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  fprintf(stderr, "<%d>rblmon run: %s\n", level, buf);
  fflush(stderr);
}

static int64_t
now_ms(const struct run *r)
{
  return r->simulate ? r->sim_now : (int64_t)loop_now(r->loop);
}

/* ---- pacing ---------------------------------------------------------------- */

/* Whether the state saw queries to list within the last every ms. */
static bool
asked_within(const struct app *a, const char *list, uint64_t every)
{
  struct store *st = app_store_peek(a);
  if (st == NULL) /* no state yet: never asked */
    return false;
  uint64_t n = 0;
  /* unreadable: as if asked, so that a restart never asks too soon */
  bool asked = store_queries_since(st, list, clock_now() -
                                   (int64_t)(every / 1000), &n) != RBL_OK ||
               n > 0;
  store_close(st);
  return asked;
}

static void
tell_paced(const struct list_def *l, uint64_t q, uint64_t limit,
           uint64_t every, uint64_t dnsbl_ms)
{
  char e[32], d[32];
  util_format_duration(every, e, sizeof(e));
  util_format_duration(dnsbl_ms, d, sizeof(d));
  if (every == UINT64_MAX)
    logmsg(4, "list %s: one check takes %llu queries, more than the %llu "
           "a day %s: it is not checked (use its data feed or a keyed "
           "service)", l->name, (unsigned long long)q,
           (unsigned long long)limit, list_limit_why(l));
  else
    logmsg(4, "list %s: %llu queries a check every %s would pass the %llu "
           "a day %s; it is checked every %s instead (use its data feed "
           "or a keyed service to check more often)", l->name,
           (unsigned long long)q, d, (unsigned long long)limit,
           list_limit_why(l), e);
}

/* The lists whose daily limit does not allow every dnsbl interval for
 * this many addresses; a list paced before keeps its place. */
static bool
pace(struct run *r, const struct app *a, uint64_t dnsbl_ms, int64_t now)
{
  struct engine_target *t = calloc(a->cfg.nitems ? a->cfg.nitems : 1,
                                   sizeof(*t));
  struct paced *p = calloc(a->nlists ? a->nlists : 1, sizeof(*p));
  size_t np = 0;
  if (t == NULL || p == NULL) {
    free(t);
    free(p);
    return false;
  }
  for (size_t i = 0; i < a->cfg.nitems; i++)
    t[i] = (struct engine_target){&a->cfg.items[i].spec,
                                  a->cfg.items[i].watchlist};
  for (size_t i = 0; dnsbl_ms > 0 && i < a->nlists; i++) {
    const struct list_def *l = a->lists[i];
    if (l->feed != NULL)
      continue;     /* read from a file: no queries */
    uint64_t limit = list_daily_limit(l, NULL);
    uint64_t q = dnsbl_count(&a->lists[i], 1, t, a->cfg.nitems) + 4;
    uint64_t every = limit ? sched_list_interval_ms(q, limit) : 0;
    if (limit == 0 || every <= dnsbl_ms)
      continue;
    snprintf(p[np].name, sizeof(p[np].name), "%s", l->name);
    p[np].every_ms = every;
    p[np].due = every == UINT64_MAX ? INT64_MAX : now;
    bool known = false;
    for (size_t k = 0; k < r->npaced; k++) /* keep its place */
      if (strcmp(r->paced[k].name, l->name) == 0) {
        p[np].due = r->paced[k].due;
        known = true;
      }
    /* asked within its interval already (an earlier run): not at once */
    if (!known && every != UINT64_MAX && asked_within(a, l->name, every))
      p[np].due = now + (int64_t)every;
    tell_paced(l, q, limit, every, dnsbl_ms);
    np++;
  }
  free(t);
  free(r->paced);
  r->paced = p;
  r->npaced = np;
  return true;
}

/* ---- the application ------------------------------------------------------- */

/* Loads the files; the new application replaces the one in force only
 * when it has no errors (they are printed).  false: it had. */
static bool
adopt(struct run *r, bool first)
{
  struct app *a = calloc(1, sizeof(*a));
  struct app_source src = {r->path, NULL, 0, NULL, "rblmon run", false};
  if (a == NULL || app_load(a, &src, true) != RBL_EXIT_OK) {
    if (a != NULL)
      app_free(a);
    free(a);
    return false;
  }
  uint64_t iv[JOB_N];
  memcpy(iv, a->cfg.sched_ms, sizeof(iv));
  /* a job with nothing to do does not run */
  if (a->cfg.nproviders == 0)
    iv[JOB_REPUTATION] = 0;
  if (!a->cfg.auth_on)
    iv[JOB_AUTH] = 0;
  if (a->cfg.nlog_files == 0)
    iv[JOB_LOGS] = 0;
  size_t nfeeds = 0;
  for (size_t i = 0; i < a->nlists; i++)
    nfeeds += a->lists[i]->feed != NULL;
  if (a->nlists == nfeeds)
    iv[JOB_DNSBL] = 0;
  if (nfeeds == 0)
    iv[JOB_FEEDS] = 0;
  r->feeds_checked = false;     /* a new configuration: check the feeds */
  int64_t now = now_ms(r);
  if (!pace(r, a, iv[JOB_DNSBL], now)) {
    app_free(a);
    free(a);
    return false;
  }
  if (first)
    sched_init(&r->sched, iv, a->cfg.jitter_ms,
               (uint64_t)getpid() ^ (uint64_t)time(NULL), now);
  else
    sched_update(&r->sched, iv, a->cfg.jitter_ms, now);
  if (r->app != NULL)
    app_free(r->app);
  free(r->app);
  r->app = a;
  /* the cached feeds name the lists of the old configuration */
  feed_cache_free(&r->feeds);
  feed_cache_init(&r->feeds);
  return true;
}

static void
reload(struct run *r)
{
  if (!adopt(r, false)) {
    logmsg(3, "reload failed: %s has errors (above); the previous "
           "configuration stays in force", r->path);
    return;
  }
  logmsg(5, "reloaded %s", r->path);
}

/* ---- the jobs -------------------------------------------------------------- */

/* The lists of a DNSBL job: all but the paced ones not due yet. */
static size_t
due_lists(struct run *r, int64_t now, const char **names)
{
  size_t n = 0;
  for (size_t i = 0; i < r->app->nlists; i++) {
    bool skip = false;
    for (size_t k = 0; k < r->npaced && !skip; k++)
      if (strcmp(r->paced[k].name, r->app->lists[i]->name) == 0) {
        skip = r->paced[k].due > now;
        r->paced[k].in_job = !skip;
      }
    if (!skip)
      names[n++] = r->app->lists[i]->name;
  }
  return n;
}

static void
cycle_began(void *arg)
{
  (void)arg;
  logmsg(7, "cycle started (the state is locked until it commits)");
}

static int
run_check(struct run *r, unsigned kind, const char *const *only, size_t n,
          bool *recorded)
{
  struct cycle_opts o = {report_find("text"), NULL, false, true, false, NULL,
                         0, kind, only, n, cycle_began, r, &r->current,
                         &r->feeds, recorded, NULL};
  return cycle_run(r->app, r->loop, &o);
}

static int
run_dnsbl(struct run *r, int64_t now)
{
  if (r->npaced == 0)
    return run_check(r, CHECK_DNSBL, NULL, 0, NULL);
  const char **names = calloc(r->app->nlists + 1, sizeof(*names));
  if (names == NULL)
    return RBL_EXIT_UNKNOWN;
  size_t n = due_lists(r, now, names);
  int rc = RBL_EXIT_OK;
  if (n == 0)
    logmsg(6, "dnsbl: every list is paced; none is due");
  else
    rc = run_check(r, CHECK_DNSBL, names, n, NULL);
  /* a paced list waits its interval after a check that counted */
  for (size_t k = 0; k < r->npaced; k++) {
    if (r->paced[k].in_job && n > 0 && rc != RBL_EXIT_UNKNOWN)
      r->paced[k].due = now + (int64_t)r->paced[k].every_ms;
    r->paced[k].in_job = false;
  }
  free(names);
  return rc;
}

/* The feeds job: a check against the feeds when one of their files
 * changed (or went stale) since the last, else nothing. */
static int
run_feeds(struct run *r)
{
  int64_t now = clock_now();
  uint64_t sig = UTIL_FNV_INIT;
  for (size_t i = 0; i < r->app->nlists; i++)
    if (r->app->lists[i]->feed != NULL) {
      uint64_t h = feed_signature(r->app->lists[i], now);
      sig = util_fnv1a(sig, &h, sizeof(h));
    }
  if (r->feeds_checked && sig == r->feeds_sig) {
    logmsg(7, "feeds: no file changed since the last check");
    return RBL_EXIT_OK;
  }
  bool recorded = false;
  int rc = run_check(r, CHECK_FEED, NULL, 0, &recorded);
  if (recorded) { /* a check the state did not take is tried again */
    r->feeds_sig = sig;
    r->feeds_checked = true;
  }
  return rc;
}

static int
run_job(struct run *r, int job, int64_t now)
{
  struct scan_spec scan = {0, false, NULL, 0}; /* what is new */
  int rc;
  switch (job) {
  case JOB_DNSBL: rc = run_dnsbl(r, now); break;
  case JOB_REPUTATION: rc = run_check(r, CHECK_REPUTATION, NULL, 0, NULL); break;
  case JOB_AUTH: rc = run_check(r, CHECK_AUTH, NULL, 0, NULL); break;
  case JOB_LOGS: rc = scan_report(r->app, &scan, &report_text, stdout); break;
  case JOB_FEEDS: rc = run_feeds(r); break;
  default: rc = remindpass_run(r->app, &report_text, stdout); break;
  }
  fflush(stdout);
  return rc;
}

/* ---- the loop's events ----------------------------------------------------- */

/* Signals pending on the signalfd: a stop cancels a cycle in flight (it
 * commits what was answered); a reload waits for the job to end. */
static void
take_signals(struct run *r)
{
  struct signalfd_siginfo si;
  while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (si.ssi_signo == SIGHUP) {
      r->hup = true;
      continue;
    }
    if (!r->stop)
      logmsg(5, "stopping (signal %u)", si.ssi_signo);
    r->stop = true;
    if (r->current != NULL)
      cycle_cancel(r->current);
  }
}

static void
on_signal(void *arg, int fd, short revents)
{
  struct run *r = arg;
  (void)fd;
  (void)revents;
  take_signals(r);
  if (r->current == NULL)
    loop_stop(r->loop); /* between jobs: the driver looks at once */
}

static uint64_t
on_due(void *arg)
{
  struct run *r = arg;
  r->timer = 0;
  r->due_job = r->next_job;
  loop_stop(r->loop);
  return 0;
}

/* Sets the timer of the job due first; false when there is none, or the
 * simulation is over. */
static bool
arm_next(struct run *r, int *rc)
{
  int64_t when;
  int job = sched_next(&r->sched, &when);
  if (job < 0) {
    logmsg(3, "nothing to schedule: no list, provider, authentication "
           "check, log or reminder is configured");
    *rc = RBL_EXIT_UNKNOWN;
    return false;
  }
  int64_t now = now_ms(r);
  if (r->simulate && when > now) {
    if (when >= r->sim_end)
      return false;
    r->sim_now = when;
  }
  if (r->simulate)
    clock_set(r->epoch0 + r->sim_now / 1000);
  uint64_t delay = when > now_ms(r) ? (uint64_t)(when - now_ms(r)) : 0;
  r->next_job = job;
  r->due_job = -1;
  r->timer = loop_timer(r->loop, delay, on_due, r);
  if (r->timer == 0)
    r->due_job = job; /* out of memory for a timer: run it now */
  return true;
}

/* ---- the run ----------------------------------------------------------------- */

static bool
start(struct run *r)
{
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGHUP);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  /* blocked, and taken from the signalfd: none is lost between jobs */
  sigprocmask(SIG_BLOCK, &sigs, NULL);
  r->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
  if ((r->loop = loop_new()) == NULL || r->sigfd < 0 ||
      loop_watch(r->loop, r->sigfd, POLLIN, on_signal, r) != RBL_OK) {
    fprintf(stderr, "rblmon: cannot set up the run: %s\n",
            r->sigfd < 0 ? strerror(errno) : "out of memory");
    return false;
  }
  if (!adopt(r, true))
    return false;
  logmsg(5, "started with %s (pid %ld)", r->path, (long)getpid());
  return true;
}

static int
drive(struct run *r)
{
  int rc = RBL_EXIT_OK;
  uint64_t jobs = 0;
  while (!r->stop && arm_next(r, &rc)) {
    while (r->due_job < 0 && !r->stop && !r->hup)
      loop_run(r->loop);
    if (r->timer != 0)
      loop_timer_cancel(r->loop, r->timer);
    r->timer = 0;
    if (r->stop)
      break;
    if (r->due_job < 0) { /* a reload while waiting */
      r->hup = false;
      reload(r);
      continue;
    }
    int job = r->due_job;
    int64_t now = now_ms(r);
    logmsg(7, "%s: starting", sched_job_names[job]);
    int jrc = run_job(r, job, now);
    jobs++;
    logmsg(jrc == RBL_EXIT_UNKNOWN ? 4 : 6, "%s: exit %d",
           sched_job_names[job], jrc);
    sched_done(&r->sched, job, now);
    if (r->hup_every > 0 && jobs % r->hup_every == 0)
      kill(getpid(), SIGHUP);
    /* signals during the job (a cycle stopped early and committed): a
     * stop wins over a reload */
    take_signals(r);
    if (r->hup && !r->stop) {
      r->hup = false;
      reload(r);
      if (r->hup_every > 0)
        raise(SIGSTOP);
    }
  }
  logmsg(5, "stopped after %llu jobs", (unsigned long long)jobs);
  return rc;
}

int
runner_run(const struct runner_opts *o)
{
  struct run r;
  memset(&r, 0, sizeof(r));
  r.sigfd = -1;
  snprintf(r.path, sizeof(r.path), "%s", o->config_path);
  if (o->simulate) {
    r.simulate = true;
    r.sim_end = (int64_t)o->simulate_s * 1000;
    r.epoch0 = clock_now();
    r.hup_every = o->hup_every;
  }
  int rc = RBL_EXIT_UNKNOWN;
  if (start(&r))
    rc = drive(&r);
  if (r.app != NULL)
    app_free(r.app);
  free(r.app);
  free(r.paced);
  feed_cache_free(&r.feeds);
  loop_free(r.loop);
  if (r.sigfd >= 0)
    close(r.sigfd);
  return rc;
}
