/* cmd_run.c - rblmon run: the long-running scheduler.  One process; each
 * job (DNSBL checks, reputation providers, authentication checks, log
 * scans, reminders) runs the same code as its command, in turn, at its own
 * interval plus a jitter, with the configuration pinned in memory: SIGHUP
 * reads the file again and keeps the old one when the new one is bad;
 * SIGTERM or SIGINT stops what is in flight as the deadline would, commits
 * and exits 0.  Each job opens the state for itself, so a cron "rblmon
 * check" waits for the job in progress (state.lock_wait) or says why not.
 *
 * Lists with a published daily limit are paced: a list is asked only as
 * often as its limit allows for the watchlists' size.
 *
 * RBLMON_RUN_SIMULATE=SECONDS (tests): the run's clock jumps from one due
 * job to the next instead of waiting, RBLMON_NOW follows it, and the run
 * ends after that many simulated seconds. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dnsbl.h"
#include "schedule.h"
#include "store.h"

#define RUN_CONFIG_MAX (16u << 20)

struct paced {                    /* a list asked less often than dnsbl */
  char name[72];
  uint64_t every_ms;              /* UINT64_MAX: its limit allows none */
  int64_t due;
  bool in_job;                    /* asked by the DNSBL job running */
};

struct run {
  char path[4096];
  char *text;                     /* the configuration in force */
  size_t len;
  struct stat st;                 /* of the file it was read from */
  struct sched sched;
  struct paced *paced;
  size_t npaced;
  /* simulation */
  bool simulate;
  int64_t sim_now, sim_end;       /* ms */
  int64_t epoch0;                 /* wall seconds at the start */
  sigset_t sigs;
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
  if (r->simulate)
    return r->sim_now;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGTERM or SIGINT pending (they are blocked; nothing is lost). */
static bool
stop_pending(void)
{
  sigset_t p;
  return sigpending(&p) == 0 &&
         (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1);
}

static bool
read_config(const char *path, char **text, size_t *len, struct stat *st)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    logmsg(3, "cannot read %s: %s", path, strerror(errno));
    return false;
  }
  if (fstat(fileno(f), st) != 0) { /* who may change what is read */
    logmsg(3, "cannot read %s: %s", path, strerror(errno));
    fclose(f);
    return false;
  }
  struct sbuf b;
  sbuf_init(&b, RUN_CONFIG_MAX);
  char chunk[8192];
  size_t n;
  bool ok = true;
  while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    ok = sbuf_add(&b, chunk, n) == RBL_OK;
  ok = ok && !ferror(f);
  fclose(f);
  if (!ok) {
    logmsg(3, "cannot read %s (at most 16 MiB)", path);
    sbuf_free(&b);
    return false;
  }
  *len = b.len;
  *text = b.p ? b.p : strdup("");
  return *text != NULL;
}

/* Whether the state saw queries to list within the last every ms. */
static bool
asked_within(const struct run *r, const struct app *a, const char *list,
             uint64_t every)
{
  char path[4096], err[512];
  struct store *st = NULL;
  (void)r;
  if (a->cfg.state_path != NULL)
    snprintf(path, sizeof(path), "%s", a->cfg.state_path);
  else
    store_default_path(path, sizeof(path));
  if (access(path, R_OK) != 0 ||
      store_open(path, true, 0, &st, err, sizeof(err)) != RBL_OK)
    return false;
  uint64_t n = 0;
  /* unreadable: as if asked, so that a restart never asks too soon */
  bool asked = store_queries_since(st, list, store_now() -
                                   (int64_t)(every / 1000), &n) != RBL_OK ||
               n > 0;
  store_close(st);
  return asked;
}

/* The configuration in text, checked as every job will read it; fills
 * what the schedule needs.  false: it has errors (printed). */
static bool
adopt(struct run *r, char *text, size_t len, const struct stat *st,
      bool first)
{
  struct cli c;
  memset(&c, 0, sizeof(c));
  c.config_path = r->path;
  c.config_text = text;
  c.config_len = len;
  c.config_st = st;
  c.log_tag = "rblmon run";
  struct app a;
  if (app_load(&a, &c, true) != RBL_EXIT_OK) {
    app_free(&a);
    return false;
  }
  uint64_t iv[JOB_N];
  memcpy(iv, a.cfg.sched_ms, sizeof(iv));
  /* a job with nothing to do does not run */
  if (a.cfg.nproviders == 0)
    iv[JOB_REPUTATION] = 0;
  if (!a.cfg.auth_on)
    iv[JOB_AUTH] = 0;
  if (a.cfg.nlog_files == 0)
    iv[JOB_LOGS] = 0;
  if (a.nlists == 0)
    iv[JOB_DNSBL] = 0;
  int64_t now = now_ms(r);
  if (first)
    sched_init(&r->sched, iv, a.cfg.jitter_ms,
               (uint64_t)getpid() ^ (uint64_t)time(NULL), now);
  else
    sched_update(&r->sched, iv, a.cfg.jitter_ms, now);
  /* pacing: the lists whose daily limit does not allow every dnsbl
   * interval for this many addresses */
  struct dnsbl_target *t = calloc(a.cfg.nitems ? a.cfg.nitems : 1,
                                  sizeof(*t));
  struct paced *p = calloc(a.nlists ? a.nlists : 1, sizeof(*p));
  size_t np = 0;
  for (size_t i = 0; t && i < a.cfg.nitems; i++)
    t[i] = (struct dnsbl_target){&a.cfg.items[i].spec,
                                 a.cfg.items[i].watchlist};
  for (size_t i = 0; t && p && i < a.nlists; i++) {
    const struct list_def *l = a.lists[i];
    uint64_t limit = list_daily_limit(l, NULL);
    if (limit == 0 || iv[JOB_DNSBL] == 0)
      continue;
    uint64_t q = dnsbl_count(&a.lists[i], 1, t, a.cfg.nitems) + 4;
    uint64_t every = sched_list_interval_ms(q, limit);
    if (every <= iv[JOB_DNSBL])
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
    if (!known && every != UINT64_MAX && asked_within(r, &a, l->name, every))
      p[np].due = now + (int64_t)every;
    char e[32], d[32];
    util_format_duration(every, e, sizeof(e));
    util_format_duration(iv[JOB_DNSBL], d, sizeof(d));
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
    np++;
  }
  free(t);
  free(r->paced);
  r->paced = p;
  r->npaced = np;
  app_free(&a);
  free(r->text);
  r->text = text;
  r->len = len;
  r->st = *st;
  return true;
}

static void
reload(struct run *r)
{
  char *text;
  size_t len;
  struct stat st;
  if (!read_config(r->path, &text, &len, &st)) {
    logmsg(3, "reload failed: the previous configuration stays in force");
    return;
  }
  if (!adopt(r, text, len, &st, false)) {
    free(text);
    logmsg(3, "reload failed: %s has errors (above); the previous "
           "configuration stays in force", r->path);
    return;
  }
  logmsg(5, "reloaded %s", r->path);
}

/* A command line for a job: the configuration in force, pinned (with the
 * stat of the file it was read from). */
static void
pinned_cli(const struct run *r, struct cli *c)
{
  memset(c, 0, sizeof(*c));
  c->config_path = r->path;
  c->config_text = r->text;
  c->config_len = r->len;
  c->config_st = &r->st;
}

/* The lists of a DNSBL job (copies, freed by the caller): all but the
 * paced ones not due yet.  NULL without *filtered: all of them. */
static char **
due_lists(struct run *r, int64_t now, size_t *n, bool *filtered)
{
  *filtered = false;
  *n = 0;
  if (r->npaced == 0)
    return NULL;
  struct cli c;
  pinned_cli(r, &c);
  struct app a;
  char **names = NULL;
  if (app_load(&a, &c, true) == RBL_EXIT_OK &&
      (names = calloc(a.nlists ? a.nlists : 1, sizeof(*names))) != NULL) {
    *filtered = true;
    for (size_t i = 0; i < a.nlists; i++) {
      bool skip = false;
      for (size_t k = 0; k < r->npaced && !skip; k++)
        if (strcmp(r->paced[k].name, a.lists[i]->name) == 0) {
          skip = r->paced[k].due > now;
          r->paced[k].in_job = !skip;
        }
      if (!skip)
        names[(*n)++] = strdup(a.lists[i]->name);
    }
  }
  app_free(&a);
  return names;
}

static bool
should_stop(void)
{
  return stop_pending();
}

static void
cycle_began(void)
{
  logmsg(7, "cycle started (the state is locked until it commits)");
}

static int
run_job(struct run *r, int job, int64_t now)
{
  struct cli c;
  pinned_cli(r, &c);
  c.should_stop = should_stop;
  c.began = cycle_began;
  char **names = NULL;
  size_t n = 0;
  int rc;
  switch (job) {
  case JOB_DNSBL: {
    bool filtered;
    names = due_lists(r, now, &n, &filtered);
    if (filtered && n == 0) {
      logmsg(6, "dnsbl: every list is paced; none is due");
      return RBL_EXIT_OK;
    }
    c.kinds = CHECK_DNSBL;
    c.only_lists = filtered ? (const char *const *)names : NULL;
    c.nonly_lists = n;
    c.changes_only = true;
    rc = cmd_check(&c);
    /* a paced list waits its interval after a check that counted */
    for (size_t k = 0; k < r->npaced; k++) {
      if (r->paced[k].in_job && rc != RBL_EXIT_UNKNOWN)
        r->paced[k].due = now + (int64_t)r->paced[k].every_ms;
      r->paced[k].in_job = false;
    }
    break;
  }
  case JOB_REPUTATION:
    c.kinds = CHECK_REPUTATION;
    c.changes_only = true;
    rc = cmd_check(&c);
    break;
  case JOB_AUTH:
    c.kinds = CHECK_AUTH;
    c.changes_only = true;
    rc = cmd_check(&c);
    break;
  case JOB_LOGS:
    rc = cmd_scanlogs(&c);
    break;
  default:
    rc = cmd_remind(&c);
    break;
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  fflush(stdout);
  return rc;
}

int
cmd_run(struct cli *c)
{
  struct run r;
  memset(&r, 0, sizeof(r));
  if (c->nargs > 0) {
    fprintf(stderr, "rblmon: run takes no arguments; see rblmon run --help\n");
    return RBL_EXIT_UNKNOWN;
  }
  bool explicit;
  if (!config_find(c->config_path, r.path, sizeof(r.path), &explicit)) {
    fprintf(stderr, "rblmon: run needs a configuration (-c FILE, "
            "$RBLMON_CONFIG, ~/.config/rblmon/rblmon.yaml or "
            "/etc/rblmon/rblmon.yaml)\n");
    return RBL_EXIT_UNKNOWN;
  }
  const char *sim = getenv("RBLMON_RUN_SIMULATE");
  uint64_t sim_s = 0;
  if (sim != NULL && *sim != '\0') {
    if (util_parse_u64(sim, 10ULL * 366 * 86400, &sim_s) != RBL_OK) {
      fprintf(stderr, "rblmon: RBLMON_RUN_SIMULATE must be a number of "
              "seconds, not '%s'\n", sim);
      return RBL_EXIT_UNKNOWN;
    }
    r.simulate = true;
    r.sim_end = (int64_t)sim_s * 1000;
    r.epoch0 = store_now();
  }
  char *text;
  size_t len;
  struct stat st;
  if (!read_config(r.path, &text, &len, &st))
    return RBL_EXIT_UNKNOWN;
  if (!adopt(&r, text, len, &st, true)) {
    free(text);
    return RBL_EXIT_UNKNOWN;
  }
  /* Signals stay blocked and are taken with sigtimedwait(): none is lost
   * between two jobs, and a job asks should_stop() while it runs. */
  sigemptyset(&r.sigs);
  sigaddset(&r.sigs, SIGHUP);
  sigaddset(&r.sigs, SIGTERM);
  sigaddset(&r.sigs, SIGINT);
  sigprocmask(SIG_BLOCK, &r.sigs, NULL);
  logmsg(5, "started with %s (pid %ld)", r.path, (long)getpid());
  int rc = RBL_EXIT_OK;
  uint64_t jobs = 0;
  for (;;) {
    int64_t when;
    int job = sched_next(&r.sched, &when);
    if (job < 0) {
      logmsg(3, "nothing to schedule: no list, provider, authentication "
             "check, log or reminder is configured");
      rc = RBL_EXIT_UNKNOWN;
      break;
    }
    int64_t now = now_ms(&r);
    if (when > now) {
      if (r.simulate) {
        if (when >= r.sim_end)
          break;
        r.sim_now = when;
      } else {
        int64_t wait = when - now;
        struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000};
        int sig = sigtimedwait(&r.sigs, NULL, &ts);
        if (sig == SIGHUP) {
          reload(&r);
          continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
          logmsg(5, "stopping (signal %d)", sig);
          break;
        }
        continue; /* the timeout (or EINTR): look again */
      }
    }
    now = now_ms(&r);
    if (r.simulate) {
      char t[32];
      snprintf(t, sizeof(t), "%lld", (long long)(r.epoch0 + now / 1000));
      setenv("RBLMON_NOW", t, 1);
    }
    logmsg(7, "%s: starting", sched_job_names[job]);
    int jrc = run_job(&r, job, now);
    jobs++;
    logmsg(jrc == RBL_EXIT_UNKNOWN ? 4 : 6, "%s: exit %d", sched_job_names[job],
           jrc);
    sched_done(&r.sched, job, now);
    /* signals during the job (it stopped early and committed): a stop
     * wins over a reload */
    struct timespec zero = {0, 0};
    bool stop = false, hup = false;
    for (int sig; (sig = sigtimedwait(&r.sigs, NULL, &zero)) > 0;) {
      stop = stop || sig == SIGTERM || sig == SIGINT;
      hup = hup || sig == SIGHUP;
    }
    if (stop) {
      logmsg(5, "stopping");
      break;
    }
    if (hup)
      reload(&r);
  }
  logmsg(5, "stopped after %llu jobs", (unsigned long long)jobs);
  free(r.text);
  free(r.paced);
  return rc;
}
