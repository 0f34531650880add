/* fromspf.c - from_spf (fromspf.h): one job a domain, stepped as its
 * answers arrive. */
#include "fromspf.h"

#include <ares.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnscache.h"
#include "engine.h"
#include "loop.h"
#include "spf.h"

#define FROM_SPF_MAX_NETS 256
#define FROM_SPF_MIN_PREFIX4 20   /* larger ranges are not walked */

struct spf_job {
  struct fromspf_run *r;
  const char *domain, *watchlist; /* the configuration's */
  bool done, stepping, again;
  enum spf_result res;
  struct spf_out o;
  struct spf_net nets[FROM_SPF_MAX_NETS];
  size_t n;
  char notes[512];
};

struct fromspf_run {
  struct loop *loop;
  struct dns *dns;
  struct dnscache *cache;
  struct spf_job *jobs;
  size_t njobs, left;
  unsigned deadline_timer;
  bool cancelled;
  void (*done)(void *arg);
  void *arg;
};

static void job_step(struct spf_job *j);

static void
on_ready(void *arg, int status)
{
  struct spf_job *j = arg;
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION)
    j->r->cancelled = true;
  job_step(j);
}

/* Evaluates the record from the cache; asks for what is missing. */
static void
job_compute(struct spf_job *j)
{
  struct fromspf_run *r = j->r;
  while (!r->cancelled) {
    j->res = spf_authorized(j->domain, dnscache_lookup, r->cache, j->nets,
                            FROM_SPF_MAX_NETS, &j->n, j->notes,
                            sizeof(j->notes), &j->o);
    if (j->res != SPF_NEED)
      break;
    if (dnscache_need(r->cache, j->o.need_name, j->o.need_type, on_ready,
                      j) == NULL)
      return; /* stepped again when it arrives */
  }
  if (r->cancelled) {
    snprintf(j->o.why, sizeof(j->o.why), "%s", ENGINE_DEADLINE);
    j->res = SPF_TEMPERROR;
  }
  j->done = true;
  if (--r->left == 0) {
    if (r->deadline_timer != 0)
      loop_timer_cancel(r->loop, r->deadline_timer);
    r->deadline_timer = 0;
    r->done(r->arg);
  }
}

/* An answer may arrive from inside dnscache_need(): it is taken after. */
static void
job_step(struct spf_job *j)
{
  if (j->done)
    return;
  if (j->stepping) {
    j->again = true;
    return;
  }
  j->stepping = true;
  do {
    j->again = false;
    job_compute(j);
  } while (j->again && !j->done);
  j->stepping = false;
}

static uint64_t
on_deadline(void *arg)
{
  struct fromspf_run *r = arg;
  r->deadline_timer = 0;
  fromspf_cancel(r);
  return 0;
}

void
fromspf_cancel(struct fromspf_run *r)
{
  r->cancelled = true;
  dns_cancel(r->dns); /* every outstanding query completes, cancelled */
  for (size_t i = 0; i < r->njobs; i++)
    job_step(&r->jobs[i]);
}

static size_t
count_domains(const struct config *cfg)
{
  size_t n = 0;
  for (size_t w = 0; cfg->wls && w < cfg->nwatchlists; w++)
    n += cfg->wls[w].nfrom_spf;
  return n;
}

struct fromspf_run *
fromspf_start(struct loop *l, struct dns *d, const struct config *cfg,
              uint64_t deadline_ms, void (*done)(void *arg), void *arg,
              bool *none)
{
  size_t n = count_domains(cfg);
  *none = n == 0;
  if (n == 0)
    return NULL;
  struct fromspf_run *r = calloc(1, sizeof(*r));
  if (r == NULL || (r->jobs = calloc(n, sizeof(*r->jobs))) == NULL ||
      (r->cache = dnscache_new(d)) == NULL) {
    if (r != NULL)
      free(r->jobs);
    free(r);
    return NULL;
  }
  *r = (struct fromspf_run){l, d, r->cache, r->jobs, n, n, 0, false, done,
                            arg};
  size_t k = 0;
  for (size_t w = 0; w < cfg->nwatchlists; w++)
    for (size_t i = 0; i < cfg->wls[w].nfrom_spf; i++)
      r->jobs[k++] = (struct spf_job){.r = r,
                                      .domain = cfg->wls[w].from_spf[i].s,
                                      .watchlist = cfg->wls[w].name};
  if (deadline_ms > 0)
    r->deadline_timer = loop_timer(l, deadline_ms, on_deadline, r);
  for (size_t i = 0; i < n; i++)
    job_step(&r->jobs[i]);
  return r;
}

bool
fromspf_finished(const struct fromspf_run *r)
{
  return r->left == 0;
}

/* One line of the report, escaped: records are untrusted text. */
static void
report_line(struct sbuf *report, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

static void
report_line(struct sbuf *report, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  util_escape(report, buf, strlen(buf));
  sbuf_adds(report, "\n");
}

/* The addresses one passing record authorises, handed to add. */
static int
hand_over(const struct spf_job *j, from_spf_add add, void *add_arg,
          struct sbuf *report, int outcome)
{
  for (size_t k = 0; k < j->n; k++) {
    struct target_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.kind = j->nets[k].a.kind;
    spec.base = j->nets[k].a;
    spec.prefix = j->nets[k].prefix;
    for (unsigned b = spec.prefix; b < (spec.kind == TARGET_IP4 ? 32u
                                                               : 128u);
         b++) /* SPF allows host bits: ip4:192.0.2.5/24 */
      spec.base.b[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
    char txt[64];
    target_addr_str(&spec.base, txt, sizeof(txt));
    unsigned min = spec.kind == TARGET_IP4 ? FROM_SPF_MIN_PREFIX4
                                           : TARGET_IP6_MIN_PREFIX;
    if (spec.prefix < min) {
      report_line(report, "from_spf %s: %s/%u is too large to check "
                  "address by address; list the addresses you send "
                  "from", j->domain, txt, spec.prefix);
      continue;
    }
    rbl_status st = add(add_arg, &spec, j->watchlist);
    if (st != RBL_OK) {
      report_line(report, "from_spf %s: %s/%u: %s", j->domain, txt,
                  spec.prefix, rbl_strerror(st));
      return FROM_SPF_FAILED;
    }
  }
  return outcome;
}

int
fromspf_end(struct fromspf_run *r, from_spf_add add, void *add_arg,
            struct sbuf *report)
{
  int outcome = FROM_SPF_OK;
  if (!fromspf_finished(r)) /* nothing may call into r once it is freed */
    fromspf_cancel(r);
  for (size_t i = 0; i < r->njobs; i++) {
    const struct spf_job *j = &r->jobs[i];
    if (j->res != SPF_PASS) { /* every job is done: cancelled if not */
      report_line(report, "from_spf %s (watchlist %s): %s; its addresses "
                  "are not checked", j->domain, j->watchlist, j->o.why);
      /* a DNS failure passes; a broken record stays until it is fixed */
      outcome = j->res == SPF_TEMPERROR ? FROM_SPF_FAILED
                : outcome == FROM_SPF_OK ? FROM_SPF_PARTIAL : outcome;
      continue;
    }
    if (j->notes[0] != '\0')
      report_line(report, "from_spf %s: %s", j->domain, j->notes);
    if (j->o.partial && outcome == FROM_SPF_OK)
      outcome = FROM_SPF_PARTIAL;
    outcome = hand_over(j, add, add_arg, report, outcome);
  }
  if (r->deadline_timer != 0)
    loop_timer_cancel(r->loop, r->deadline_timer);
  dnscache_free(r->cache);
  free(r->jobs);
  free(r);
  return outcome;
}
