#include "reputation.h"
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repread.h"
#include "store.h"

#define REP_URL_MAX 4096
#define REP_PAUSE_DEFAULT 3600    /* s, when a 429 says nothing */
#define REP_PAUSE_MIN 60
#define REP_PAUSE_MAX (7 * 86400)

struct prov;

struct job {                      /* one request in flight */
  struct prov *pv;
  char target[TARGET_NAME_MAX];   /* "" for a shared request */
  const char *watchlist;
  char *hdr_store[REP_MAX_HEADERS];
  const char *hdrs[REP_MAX_HEADERS + 1];
  struct job *prev, *next;
};

struct prov {
  struct rep_run *run;
  const struct provider *p;
  struct list_state *st;
  struct rep_secrets sec;
  /* why the rest is not asked: a missing key, a pause, the daily limit,
   * repeated failures; results then carry stop_status and stop_why */
  bool stopped;
  enum result_status stop_status;
  char stop_why[320];
  enum list_health stop_health;
  uint64_t used;                  /* requests in the last 24 hours */
  unsigned inflight, fails;
  bool answered, unusable, cached_any;
  bool feeding;                   /* feed() is running for this provider */
  bool finished;                  /* every target has its result */
  uint64_t fp;                    /* definition and secrets: cache key */
  char last_error[320];
  /* cursor over the targets this provider takes */
  size_t ti;
  struct target_iter it;
  bool in_range, cursor_done;
};

/* What a run takes of the cycle's engine_ctx. */
struct rep_opts {
  struct store *store;            /* NULL: no cache, pauses or budget */
  int64_t now;                    /* wall clock (clock_now()) */
  uint64_t deadline_ms;           /* 0: none; else resolver.deadline */
  void (*done)(void *arg);        /* every pair has its result */
  void *done_arg;
};

struct rep_run {
  struct loop *loop;
  struct http *http;
  struct prov *pv;
  size_t np;
  const struct engine_target *t;
  size_t nt;
  struct rep_opts o;
  result_sink sink;
  void *arg;
  struct job *jobs;
  size_t done;                    /* providers finished */
  unsigned deadline_timer;
};

static bool
fits(const struct provider *p, const struct target_spec *s)
{
  if (s->kind == TARGET_EMAIL)
    return false;   /* only hash lists take e-mail addresses */
  if (s->kind == TARGET_DOMAIN)
    return p->def.type == LIST_DOMAIN;
  return s->kind == TARGET_IP4 ? list_takes_ip4(&p->def)
                               : list_takes_ip6(&p->def);
}

static uint64_t
rep_count(struct provider *const *p, size_t np, const struct engine_target *t,
          size_t nt)
{
  uint64_t n = 0;
  for (size_t i = 0; i < np; i++)
    for (size_t k = 0; k < nt; k++)
      if (fits(p[i], t[k].spec)) {
        uint64_t c = target_count(t[k].spec);
        n = n + c < n ? UINT64_MAX : n + c;
      }
  return n;
}

/* The next target of pv: its text and watchlist; false when done. */
static bool
next_target(struct prov *pv, char *buf, size_t size, const char **wl)
{
  struct rep_run *r = pv->run;
  while (pv->ti < r->nt) {
    const struct engine_target *t = &r->t[pv->ti];
    if (!fits(pv->p, t->spec)) {
      pv->ti++;
      continue;
    }
    *wl = t->watchlist;
    if (t->spec->kind == TARGET_DOMAIN) {
      snprintf(buf, size, "%s", t->spec->domain);
      pv->ti++;
      return true;
    }
    if (!pv->in_range) {
      target_iter_init(&pv->it, t->spec);
      pv->in_range = true;
    }
    struct addr a;
    if (target_iter_next(&pv->it, &a)) {
      target_addr_str(&a, buf, size);
      return true;
    }
    pv->in_range = false;
    pv->ti++;
  }
  pv->cursor_done = true;
  return false;
}

static void
emit(struct prov *pv, const char *target, const char *wl,
     const struct rep_verdict *v, bool fresh)
{
  struct result res;
  memset(&res, 0, sizeof(res));
  snprintf(res.target, sizeof(res.target), "%s", target);
  res.watchlist = wl;
  res.list = &pv->p->def;
  res.status = v->status;
  res.has_sev = v->has_sev;
  res.sev = v->sev;
  res.nreasons = v->nreasons;
  memcpy(res.reasons, v->reasons, v->nreasons * sizeof(*res.reasons));
  snprintf(res.txt, sizeof(res.txt), "%s", v->txt);
  snprintf(res.error, sizeof(res.error), "%s", v->error);
  provider_redact(&pv->sec, res.txt, sizeof(res.txt));
  provider_redact(&pv->sec, res.error, sizeof(res.error));
  switch (res.status) {
  case RES_LISTED: pv->st->listed++; break;
  case RES_CLEAN:  pv->st->clean++;  break;
  default:         pv->st->errors++; break;
  }
  if (fresh && pv->run->o.store != NULL &&
      (res.status == RES_LISTED || res.status == RES_CLEAN))
    store_rep_cache_put(pv->run->o.store, &res, pv->fp);
  pv->run->sink(pv->run->arg, &res);
}

static void
fmt_time(int64_t t, char *buf, size_t size)
{
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* The answer kept from an earlier cycle, if still within min_interval. */
static bool
emit_cached(struct prov *pv, const char *target, const char *wl)
{
  const struct provider *p = pv->p;
  struct rep_cached c;
  struct store *s = pv->run->o.store;
  if (s == NULL || p->min_interval_ms == 0 ||
      !store_rep_cache_get(s, p->def.name, target, pv->fp, &c) ||
      c.checked_at + (int64_t)(p->min_interval_ms / 1000) <=
        pv->run->o.now)
    return false;
  struct rep_verdict v;
  memset(&v, 0, sizeof(v));
  v.status = c.status;
  v.has_sev = c.has_sev;
  v.sev = c.sev;
  /* the reasons are the provider's own texts ("; " between them): find
   * each again, exactly */
  for (char *r = c.reasons, *next; r != NULL && *r != '\0'; r = next) {
    next = strstr(r, "; ");
    if (next != NULL) {
      *next = '\0';
      next += 2;
    }
    const char *own = strcmp(r, rep_not_found_reason) == 0
                        ? rep_not_found_reason : NULL;
    for (size_t i = 0; i < p->nrules && own == NULL; i++)
      if (strcmp(r, p->rules[i].reason) == 0)
        own = p->rules[i].reason;
    if (own == NULL)
      return false; /* not ours (a rule's text changed): ask again */
    if (v.nreasons < RESULT_MAX_CODES)
      v.reasons[v.nreasons++] = own;
  }
  char when[40];
  fmt_time(c.checked_at, when, sizeof(when));
  snprintf(v.txt, sizeof(v.txt), "%.400s%s(answer of %s)", c.txt,
           c.txt[0] ? " " : "", when);
  pv->cached_any = true;
  emit(pv, target, wl, &v, false);
  return true;
}

static void
emit_stopped(struct prov *pv, const char *target, const char *wl)
{
  struct rep_verdict v;
  memset(&v, 0, sizeof(v));
  v.status = pv->stop_status;
  snprintf(v.error, sizeof(v.error), "%s", pv->stop_why);
  emit(pv, target, wl, &v, false);
}

static void
stop(struct prov *pv, enum result_status st, enum list_health h,
     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
stop(struct prov *pv, enum result_status st, enum list_health h,
     const char *fmt, ...)
{
  if (pv->stopped)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pv->stop_why, sizeof(pv->stop_why), fmt, ap);
  va_end(ap);
  provider_redact(&pv->sec, pv->stop_why, sizeof(pv->stop_why));
  pv->stopped = true;
  pv->stop_status = st;
  pv->stop_health = h;
}

static void
pause_provider(struct prov *pv, const struct http_answer *a,
               const char *error)
{
  int64_t retry_after = http_parse_retry(a->retry_after, pv->run->o.now);
  if (retry_after < 0)
    retry_after = http_parse_retry(a->ratelimit_reset, pv->run->o.now);
  int64_t secs = retry_after < 0 ? REP_PAUSE_DEFAULT : retry_after;
  if (secs < REP_PAUSE_MIN)
    secs = REP_PAUSE_MIN;
  if (secs > REP_PAUSE_MAX)
    secs = REP_PAUSE_MAX;
  int64_t until = pv->run->o.now + secs;
  char when[40];
  fmt_time(until, when, sizeof(when));
  stop(pv, RES_ERROR, HEALTH_REFUSING, "rate limited by %s: not asked "
       "again before %s%s", pv->p->def.name, when,
       retry_after < 0 ? " (it gave no Retry-After)" : "");
  if (pv->run->o.store != NULL) {
    char why[320];
    snprintf(why, sizeof(why), "%s", error); /* redacted already */
    provider_redact(&pv->sec, why, sizeof(why));
    store_rep_pause(pv->run->o.store, pv->p->def.name, until, why);
  }
}

static void job_done(void *arg, const struct http_answer *a);

static void
job_free(struct rep_run *r, struct job *j)
{
  if (j->prev != NULL)
    j->prev->next = j->next;
  else
    r->jobs = j->next;
  if (j->next != NULL)
    j->next->prev = j->prev;
  for (size_t i = 0; i < REP_MAX_HEADERS; i++)
    free(j->hdr_store[i]);
  free(j);
}

/* Sends the request for target ("" for a shared one); false with v set
 * when it cannot be made. */
static bool
send_request(struct prov *pv, const char *target, const char *wl,
             struct rep_verdict *v)
{
  const struct provider *p = pv->p;
  struct rep_run *r = pv->run;
  char url[REP_URL_MAX];
  memset(v, 0, sizeof(*v));
  v->status = RES_ERROR;
  struct job *j = calloc(1, sizeof(*j));
  if (j == NULL) {
    snprintf(v->error, sizeof(v->error), "out of memory");
    return false;
  }
  j->pv = pv;
  j->watchlist = wl;
  snprintf(j->target, sizeof(j->target), "%s", target);
  bool ok = provider_expand(p->url, target, &pv->sec, r->o.now, true, url,
                            sizeof(url));
  for (size_t i = 0; ok && i < p->nheaders && i < REP_MAX_HEADERS; i++) {
    char buf[2048];
    ok = provider_expand(p->headers[i], target, &pv->sec, r->o.now, false,
                         buf, sizeof(buf)) &&
         (j->hdr_store[i] = strdup(buf)) != NULL;
    j->hdrs[i] = j->hdr_store[i];
  }
  if (!ok) {
    snprintf(v->error, sizeof(v->error), "the request cannot be made: the "
             "url or a header is too long or would hold a line break");
    job_free(r, j);
    return false;
  }
  struct http_req req = {url, p->method, j->hdrs, p->ca_file,
                         p->connect_to, p->timeout_ms, (size_t)p->max_size};
  if (http_get(r->http, &req, job_done, j) != RBL_OK) {
    snprintf(v->error, sizeof(v->error), "out of memory");
    job_free(r, j);
    return false;
  }
  j->next = r->jobs;
  if (r->jobs != NULL)
    r->jobs->prev = j;
  r->jobs = j;
  pv->inflight++;
  pv->st->queries++;
  return true;
}

static void feed(struct prov *pv);

static void
prov_finish_if_done(struct prov *pv)
{
  struct rep_run *r = pv->run;
  if (!pv->cursor_done || pv->inflight > 0 || pv->finished)
    return;
  pv->finished = true;
  struct list_state *s = pv->st;
  if (pv->stopped) {
    s->health = pv->stop_health;
    snprintf(s->detail, sizeof(s->detail), "%s", pv->stop_why);
  } else if (pv->answered) {
    s->health = HEALTH_OK;
  } else if (pv->unusable) {
    s->health = HEALTH_BROKEN;
    snprintf(s->detail, sizeof(s->detail), "%s", pv->last_error);
  } else if (s->queries > 0) {
    s->health = HEALTH_UNREACHABLE;
    snprintf(s->detail, sizeof(s->detail), "%s", pv->last_error);
  } else {
    s->health = HEALTH_OK;
    if (pv->cached_any)
      snprintf(s->detail, sizeof(s->detail), "not asked: answers from the "
               "last min_interval were used");
  }
  provider_redact(&pv->sec, s->detail, sizeof(s->detail));
  if (++r->done == r->np) {
    if (r->deadline_timer != 0)
      loop_timer_cancel(r->loop, r->deadline_timer);
    r->deadline_timer = 0;
    if (r->o.done != NULL)
      r->o.done(r->o.done_arg);
  }
}

/* Per-target providers: keep REP_WINDOW requests in flight. */
static void
feed(struct prov *pv)
{
  char target[TARGET_NAME_MAX];
  const char *wl;
  if (pv->feeding)
    return;
  pv->feeding = true;
  while (pv->inflight < REP_WINDOW && !pv->cursor_done &&
         next_target(pv, target, sizeof(target), &wl)) {
    if (emit_cached(pv, target, wl))
      continue;
    const struct provider *p = pv->p;
    if (!pv->stopped && p->daily_limit > 0 &&
        pv->used + pv->st->queries >= p->daily_limit)
      stop(pv, RES_SKIPPED, HEALTH_SKIPPED, "not asked: %llu requests in the "
           "last 24 hours reached %s's daily_limit of %llu",
           (unsigned long long)(pv->used + pv->st->queries), p->def.name,
           (unsigned long long)p->daily_limit);
    if (pv->stopped) {
      emit_stopped(pv, target, wl);
      continue;
    }
    struct rep_verdict v;
    if (!send_request(pv, target, wl, &v))
      emit(pv, target, wl, &v, false);
  }
  pv->feeding = false;
  prov_finish_if_done(pv);
}

/* Shared providers: every target from one answer (or its failure). */
static void
emit_all(struct prov *pv, const struct rep_doc *doc,
         const struct rep_verdict *failure)
{
  char target[TARGET_NAME_MAX];
  const char *wl;
  while (next_target(pv, target, sizeof(target), &wl)) {
    if (doc != NULL) {
      struct rep_verdict v;
      rep_read_doc(pv->p, doc, target, &v);
      emit(pv, target, wl, &v, true);
    } else if (!emit_cached(pv, target, wl)) {
      if (failure != NULL)
        emit(pv, target, wl, failure, false);
      else
        emit_stopped(pv, target, wl);
    }
  }
}

/* For a shared provider: is any target's cached answer too old? */
static bool
shared_needed(struct prov *pv)
{
  struct rep_run *r = pv->run;
  const struct provider *p = pv->p;
  if (r->o.store == NULL || p->min_interval_ms == 0)
    return true;
  for (size_t i = 0; i < r->nt; i++) {
    if (!fits(p, r->t[i].spec))
      continue;
    struct target_iter it;
    struct addr a;
    char name[TARGET_NAME_MAX];
    struct rep_cached c;
    target_iter_init(&it, r->t[i].spec);
    for (;;) {
      if (r->t[i].spec->kind == TARGET_DOMAIN) {
        snprintf(name, sizeof(name), "%s", r->t[i].spec->domain);
      } else {
        if (!target_iter_next(&it, &a))
          break;
        target_addr_str(&a, name, sizeof(name));
      }
      if (!store_rep_cache_get(r->o.store, p->def.name, name, pv->fp,
                               &c) ||
          c.checked_at + (int64_t)(p->min_interval_ms / 1000) <= r->o.now)
        return true;
      if (r->t[i].spec->kind == TARGET_DOMAIN)
        break;
    }
  }
  return false;
}

/* The answer's body with every secret hidden, before anything quotes or
 * cuts it (a snippet could end inside a key). */
static char *
redacted_body(const struct prov *pv, const struct http_answer *a)
{
  char *b = malloc(a->len + 1);
  if (b == NULL)
    return NULL;
  memcpy(b, a->body, a->len + 1);
  for (size_t i = 0; i < a->len; i++) /* a NUL must not hide the rest */
    if (b[i] == '\0')
      b[i] = '?';
  provider_redact(&pv->sec, b, a->len + 1);
  return b;
}

static void
job_done(void *arg, const struct http_answer *a)
{
  struct job *j = arg;
  struct prov *pv = j->pv;
  struct rep_run *r = pv->run;
  const struct provider *p = pv->p;
  struct rep_verdict v;
  struct rep_doc doc;
  bool have_doc = false;
  char *body = NULL;
  pv->inflight--;
  memset(&v, 0, sizeof(v));
  v.status = RES_ERROR;
  if (!a->ok) {
    char why[sizeof(a->error)];
    snprintf(why, sizeof(why), "%s", a->error);
    provider_redact(&pv->sec, why, sizeof(why));
    snprintf(v.error, sizeof(v.error), "%.300s", why);
    snprintf(pv->last_error, sizeof(pv->last_error), "%.300s", why);
    if (a->too_big)
      pv->unusable = true;
    else if (++pv->fails >= REP_MAX_FAILS)
      stop(pv, RES_ERROR, HEALTH_UNREACHABLE, "not asked: %u requests in a "
           "row failed (last: %s)", pv->fails, why);
  } else if ((body = redacted_body(pv, a)) == NULL) {
    snprintf(v.error, sizeof(v.error), "out of memory");
  } else if (rep_read_status(p, a->status, body, strlen(body), &v)) {
    pv->fails = 0;
    if (v.rate_limited) {
      pause_provider(pv, a, v.error);
    } else if (v.refused) {
      snprintf(pv->last_error, sizeof(pv->last_error), "%s", v.error);
      stop(pv, RES_ERROR, HEALTH_REFUSING, "not asked: %s refused the "
           "request (HTTP %ld): check the key", p->def.name, a->status);
    } else if (v.status == RES_ERROR) {
      snprintf(pv->last_error, sizeof(pv->last_error), "%s", v.error);
    } else {
      pv->answered = true; /* a 404 with a meaning */
    }
  } else if (memchr(a->body, '\0', a->len) != NULL) {
    pv->fails = 0;
    pv->unusable = true;
    v.status = RES_ERROR;
    snprintf(v.error, sizeof(v.error), "the answer holds NUL bytes: not %s",
             rep_format_names[p->format]);
    snprintf(pv->last_error, sizeof(pv->last_error), "%s", v.error);
  } else if (v.status = RES_ERROR,
             !rep_doc_parse(p, a->content_type, body, strlen(body), &doc)) {
    pv->fails = 0;
    pv->unusable = true;
    snprintf(v.error, sizeof(v.error), "%s", doc.error);
    snprintf(pv->last_error, sizeof(pv->last_error), "%s", doc.error);
    rep_doc_free(&doc);
  } else {
    pv->fails = 0;
    pv->answered = true;
    have_doc = true;
  }
  if (j->target[0] == '\0') { /* the shared request */
    emit_all(pv, have_doc ? &doc : NULL,
             have_doc || v.rate_limited || v.refused ? NULL : &v);
  } else if (have_doc) {
    rep_read_doc(p, &doc, j->target, &v);
    emit(pv, j->target, j->watchlist, &v, true);
  } else {
    emit(pv, j->target, j->watchlist, &v, v.status != RES_ERROR);
  }
  if (have_doc)
    rep_doc_free(&doc);
  free(body);
  job_free(r, j);
  if (p->per_target)
    feed(pv);
  else
    prov_finish_if_done(pv);
}

static void
start_provider(struct prov *pv)
{
  struct rep_run *r = pv->run;
  const struct provider *p = pv->p;
  char err[320], why[256];
  pv->st->list = &p->def;
  pv->st->health = HEALTH_UNKNOWN;
  snprintf(pv->st->zone, sizeof(pv->st->zone), "%s", p->url);
  if (!provider_secrets(p, &pv->sec, err, sizeof(err)))
    stop(pv, RES_SKIPPED, HEALTH_SKIPPED, "%s", err);
  /* another key is another account (SNDS): its answers are not ours */
  pv->fp = p->fingerprint;
  for (size_t i = 0; i < pv->sec.nredact; i++)
    for (const char *c = pv->sec.redact[i]; ; c++) {
      pv->fp = (pv->fp ^ (unsigned char)*c) * 1099511628211ULL;
      if (*c == '\0')
        break;
    }
  if (r->o.store != NULL) {
    int64_t until = store_rep_paused(r->o.store, p->def.name, why,
                                     sizeof(why));
    if (until > 0) {
      char when[40];
      fmt_time(until, when, sizeof(when));
      stop(pv, RES_ERROR, HEALTH_REFUSING, "not asked: %s rate limited "
           "rblmon (%s); paused until %s", p->def.name, why, when);
    }
    if (p->daily_limit > 0 && !pv->stopped &&
        store_queries_since(r->o.store, p->def.name, r->o.now - 86400,
                            &pv->used) != RBL_OK)
      stop(pv, RES_ERROR, HEALTH_UNKNOWN, "not asked: its requests of the "
           "last 24 hours could not be read from the state");
  }
  if (p->per_target) {
    feed(pv);
    return;
  }
  if (!pv->stopped && p->daily_limit > 0 && pv->used >= p->daily_limit)
    stop(pv, RES_SKIPPED, HEALTH_SKIPPED, "not asked: %llu requests in the "
         "last 24 hours reached %s's daily_limit of %llu",
         (unsigned long long)pv->used, p->def.name,
         (unsigned long long)p->daily_limit);
  struct rep_verdict v;
  if (pv->stopped || !shared_needed(pv)) {
    emit_all(pv, NULL, NULL);
  } else if (!send_request(pv, "", "", &v)) {
    emit_all(pv, NULL, &v);
  }
  if (pv->inflight == 0)
    pv->cursor_done = true;
  prov_finish_if_done(pv);
}

/* resolver.deadline: what is in flight is dropped, the rest is not asked;
 * every pair still gets its result ("not checked"). */
static uint64_t
on_deadline(void *arg)
{
  struct rep_run *r = arg;
  r->deadline_timer = 0;
  http_cancel_all(r->http);
  for (size_t i = 0; i < r->np; i++)
    stop(&r->pv[i], RES_ERROR, HEALTH_UNREACHABLE,
         "not checked: " ENGINE_DEADLINE);
  while (r->jobs != NULL) {
    struct job *j = r->jobs;
    struct prov *pv = j->pv;
    pv->inflight--;
    if (j->target[0] == '\0')
      emit_all(pv, NULL, NULL);
    else
      emit_stopped(pv, j->target, j->watchlist);
    job_free(r, j);
  }
  for (size_t i = 0; i < r->np; i++) {
    if (r->pv[i].p->per_target)
      feed(&r->pv[i]);
    r->pv[i].cursor_done = true;
    prov_finish_if_done(&r->pv[i]);
  }
  return 0;
}

static struct rep_run *
rep_start(struct loop *l, struct http *h, struct provider *const *p,
          size_t np, const struct engine_target *t, size_t nt,
          const struct rep_opts *o, result_sink sink, void *arg,
          struct list_state *states)
{
  struct rep_run *r = calloc(1, sizeof(*r));
  if (r == NULL || (r->pv = calloc(np ? np : 1, sizeof(*r->pv))) == NULL) {
    free(r);
    return NULL;
  }
  r->loop = l;
  r->http = h;
  r->np = np;
  r->t = t;
  r->nt = nt;
  r->o = *o;
  r->sink = sink;
  r->arg = arg;
  for (size_t i = 0; i < np; i++) {
    memset(&states[i], 0, sizeof(states[i]));
    r->pv[i].run = r;
    r->pv[i].p = p[i];
    r->pv[i].st = &states[i];
  }
  if (o->deadline_ms > 0)
    r->deadline_timer = loop_timer(l, o->deadline_ms, on_deadline, r);
  for (size_t i = 0; i < np; i++)
    start_provider(&r->pv[i]);
  return r;
}

static void
rep_cancel(struct rep_run *r)
{
  if (r == NULL || r->done == r->np)
    return;
  if (r->deadline_timer != 0)
    loop_timer_cancel(r->loop, r->deadline_timer);
  r->deadline_timer = 0;
  on_deadline(r);
}

static bool
rep_finished(const struct rep_run *r)
{
  return r == NULL || r->done == r->np;
}

static void
rep_end(struct rep_run *r)
{
  if (r == NULL)
    return;
  if (r->deadline_timer != 0)
    loop_timer_cancel(r->loop, r->deadline_timer);
  while (r->jobs != NULL)
    job_free(r, r->jobs);
  free(r->pv);
  free(r);
}

/* ---- the engine ------------------------------------------------------------ */
static size_t
eng_nsources(const struct engine_ctx *c)
{
  return c->cfg->nproviders;
}

static uint64_t
eng_count(const struct engine_ctx *c)
{
  return rep_count(c->cfg->providers, c->cfg->nproviders, c->targets,
                   c->ntargets);
}

static void *
eng_start(const struct engine_ctx *c, struct list_state *states)
{
  struct rep_opts o = {c->store, c->now, c->deadline_ms, c->done,
                       c->done_arg};
  return rep_start(c->loop, c->http, c->cfg->providers, c->cfg->nproviders,
                   c->targets, c->ntargets, &o, c->sink, c->sink_arg,
                   states);
}

static bool
eng_finished(const void *run)
{
  return rep_finished(run);
}

static void
eng_cancel(void *run)
{
  rep_cancel(run);
}

static void
eng_end(void *run)
{
  rep_end(run);
}

const struct engine engine_reputation = {
  "reputation", CHECK_REPUTATION, true, eng_nsources, eng_count, eng_start,
  eng_finished, eng_cancel, eng_end};
