#include "dnsbl.h"
#include "hashq.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- interpretation ----------------------------------------------------- */
static void
add_reason(struct interp *o, const char *reason)
{
  if (reason != NULL && o->nreasons < RESULT_MAX_CODES) {
    for (size_t i = 0; i < o->nreasons; i++)
      if (o->reasons[i] == reason)
        return;
    o->reasons[o->nreasons++] = reason;
  }
}

static void
add_code(struct interp *o, uint32_t a, const char *reason)
{
  if (o->ncodes < RESULT_MAX_CODES)
    o->codes[o->ncodes++] = a;
  add_reason(o, reason);
}

void
dnsbl_interpret(const struct list_def *l, const uint32_t *a, size_t n,
                struct interp *out)
{
  memset(out, 0, sizeof(*out));
  bool listed = false;
  enum severity worst = SEV_GOOD;
  for (size_t i = 0; i < n; i++) {
    /* RFC 5782 section 2.3: only 127.0.0.0/8 answers are list data. */
    if ((a[i] >> 24) != 127) {
      out->kind = INTERP_BROKEN;
      out->bad = a[i];
      return;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const struct code_rule *e = catalog_match(l->errors, l->nerrors, a[i]);
    if (e != NULL) {
      out->kind = INTERP_ERROR;
      out->error = e->meaning;
      out->bad = a[i];
      return;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (l->bitmask) {
      uint32_t bits = a[i] & 0xff;
      add_code(out, a[i], NULL);
      if (bits == 0) { /* no bit set: nothing the list documents */
        add_reason(out, "unknown code (no bit set in a bitmask answer)");
        listed = true;
        if (worst < SEV_WARNING)
          worst = SEV_WARNING;
        continue;
      }
      for (unsigned b = 0; b < 8; b++) {
        uint32_t bit = 1u << b;
        if (!(bits & bit))
          continue;
        const struct code_rule *r =
          catalog_match(l->codes, l->ncodes, 0x7f000000u | bit);
        if (r != NULL && r->prefix == 32) {
          add_reason(out, r->meaning);
          if (r->sev != SEV_GOOD) {
            listed = true;
            if (r->sev > worst)
              worst = r->sev;
          }
        } else {
          add_reason(out, "unknown bit in a bitmask answer");
          listed = true;
          if (worst < SEV_WARNING)
            worst = SEV_WARNING;
        }
      }
      continue;
    }
    const struct code_rule *r = catalog_match(l->codes, l->ncodes, a[i]);
    if (r == NULL) {
      add_code(out, a[i], "unknown code (not in the catalog)");
      listed = true;
      if (worst < SEV_WARNING)
        worst = SEV_WARNING;
    } else if (r->sev == SEV_GOOD) {
      add_code(out, a[i], r->meaning);
    } else {
      add_code(out, a[i], r->meaning);
      listed = true;
      if (r->sev > worst)
        worst = r->sev;
    }
  }
  out->kind = listed ? INTERP_LISTED : INTERP_GOOD;
  out->sev = listed ? worst : SEV_GOOD;
}

/* ---- plan --------------------------------------------------------------- */
static bool
list_fits(const struct list_def *l, const struct target_spec *s)
{
  if (!target_dns_checkable(s) || l->feed != NULL)
    return false;   /* wider ranges, and lists read from feeds */
  switch (s->kind) {
  case TARGET_IP4:    return list_takes_ip4(l);
  case TARGET_IP6:    return list_takes_ip6(l);
  case TARGET_DOMAIN: return l->type == LIST_DOMAIN;
  case TARGET_EMAIL:  return l->type == LIST_EMAIL;
  }
  return false;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
count_for_list(const struct list_def *l, const struct engine_target *t,
               size_t nt)
{
  uint64_t sum = 0;
  for (size_t i = 0; i < nt; i++)
    if (list_fits(l, t[i].spec))
      sum = sat_add(sum, target_count(t[i].spec));
  return sum;
}

uint64_t
dnsbl_count(const struct list_def *const *lists, size_t nlists,
            const struct engine_target *t, size_t nt)
{
  uint64_t sum = 0;
  for (size_t i = 0; i < nlists; i++)
    sum = sat_add(sum, count_for_list(lists[i], t, nt));
  return sum;
}

/* ---- the cycle ---------------------------------------------------------- */
/* Probe slots: listed and unlisted test point, for IPv4 (or the domain)
 * and for IPv6. */
enum { P4_LISTED, P4_UNLISTED, P6_LISTED, P6_UNLISTED, NPROBE };

struct probe_outcome {
  bool used, done;
  int status;
  struct interp in;
  char point[72];  /* test points are short; longer ones are cut in messages */
};

struct run;

struct job {
  struct run *run;
  size_t list;
  int slot;
  bool is_domain, requeried, txt_requeried; /* one retry per query */
  struct addr addr;
  struct result res;
  struct job *next_free;
};

struct run {
  struct loop *loop;
  struct dns *dns;
  const struct list_def *const *lists;
  size_t nlists;
  struct list_state *st;
  struct probe_outcome (*probes)[NPROBE];
  size_t probes_pending;
  const struct engine_target *t;
  size_t nt;
  /* cursor over (address, list) pairs */
  size_t ti, li;
  struct target_iter it;
  bool have_addr, cursor_done;
  struct addr cur;
  /* window: AIMD, like TCP: halved on a timeout (answers are being lost,
   * usually to a full receive buffer), grown by one per window of
   * answers, never above max_inflight */
  unsigned inflight, max_inflight, window, credit;
  struct job *free_jobs;
  result_sink sink;
  void *sink_arg;
  unsigned deadline_timer;
  bool cancelled, finished;
  bool feeding;                   /* feed() is running: callbacks that
                                     complete at once must not recurse */
  const char *stop_reason;        /* why the rest of the plan is not asked */
  size_t *range_told;             /* per list: 1 + the range target whose
                                     one "not checked" result went out */
  uint64_t deadline_ms;
  void (*done)(void *arg);        /* told when every result is out */
  void *done_arg;
};

static struct job *
job_get(struct run *r)
{
  struct job *j = r->free_jobs;
  if (j != NULL)
    r->free_jobs = j->next_free;
  else
    j = malloc(sizeof(*j));
  if (j != NULL)
    memset(j, 0, sizeof(*j));
  return j;
}

static void
job_put(struct run *r, struct job *j)
{
  j->next_free = r->free_jobs;
  r->free_jobs = j;
}

static void feed(struct run *r);

static void
finish_if_done(struct run *r)
{
  if (r->finished || r->probes_pending > 0 || r->inflight > 0 ||
      !r->cursor_done)
    return;
  r->finished = true;
  if (r->deadline_timer)
    loop_timer_cancel(r->loop, r->deadline_timer);
  r->deadline_timer = 0;
  if (r->done != NULL)
    r->done(r->done_arg);
}

static void
emit(struct run *r, size_t li, struct result *res)
{
  struct list_state *s = &r->st[li];
  switch (res->status) {
  case RES_LISTED: s->listed++; break;
  case RES_CLEAN:  s->clean++;  break;
  case RES_ERROR:
  case RES_SKIPPED: s->errors++; break;
  }
  r->sink(r->sink_arg, res);
}

static void
result_from_interp(struct result *res, const struct interp *in,
                   const struct list_def *l)
{
  char ab[TARGET_ADDR_MAX];
  struct addr a = {TARGET_IP4, {0}};
  switch (in->kind) {
  case INTERP_LISTED:
  case INTERP_GOOD:
    res->status = in->kind == INTERP_LISTED ? RES_LISTED : RES_CLEAN;
    res->has_sev = true;
    res->sev = in->sev;
    memcpy(res->codes, in->codes, sizeof(res->codes));
    memcpy(res->reasons, in->reasons, sizeof(res->reasons));
    res->ncodes = in->ncodes;
    res->nreasons = in->nreasons;
    return;
  case INTERP_ERROR:
  case INTERP_BROKEN:
    a.b[0] = (uint8_t)(in->bad >> 24);
    a.b[1] = (uint8_t)(in->bad >> 16);
    a.b[2] = (uint8_t)(in->bad >> 8);
    a.b[3] = (uint8_t)in->bad;
    target_addr_str(&a, ab, sizeof(ab));
    res->status = RES_ERROR;
    res->codes[0] = in->bad;
    res->ncodes = 1;
    if (in->kind == INTERP_ERROR)
      snprintf(res->error, sizeof(res->error), "%s answered %s: %s", l->name,
               ab, in->error);
    else
      snprintf(res->error, sizeof(res->error),
               "%s answered %s, outside 127.0.0.0/8: the zone is dead or "
               "hijacked", l->name, ab);
    return;
  }
}

static rbl_status
qname_for(const struct run *r, const struct job *j, char *buf, size_t size)
{
  const struct list_def *l = r->lists[j->list];
  const char *zone = r->st[j->list].zone;
  if (l->type == LIST_EMAIL)  /* the target is the e-mail address */
    return hashq_qname(j->res.target, l->hash, l->hash_enc, zone, buf, size);
  return j->is_domain ? target_qname_domain(j->res.target, zone, buf, size)
                      : target_qname_addr(&j->addr, zone, buf, size);
}

static void on_target(void *arg, int status, const unsigned char *abuf,
                      int alen);

static void
on_txt(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct job *j = arg;
  struct run *r = j->run;
  /* The listing stands either way; its reason is worth one more try, as
   * for the A query (a TCP connection the server closed fails them all). */
  if ((status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED) &&
      !j->txt_requeried && !r->cancelled) {
    char q[TARGET_NAME_MAX + 80];
    j->txt_requeried = true;
    if (qname_for(r, j, q, sizeof(q)) == RBL_OK) {
      r->st[j->list].queries++;
      dns_query(r->dns, q, ns_t_txt, on_txt, j);
      return;
    }
  }
  if (status == ARES_SUCCESS)
    dns_parse_txt(abuf, alen, j->res.txt, sizeof(j->res.txt));
  r->inflight--;
  emit(r, j->list, &j->res);
  job_put(r, j);
  feed(r);
  finish_if_done(r);
}

static void
adapt_window(struct run *r, int status)
{
  if (status == ARES_ETIMEOUT) {
    r->window = r->window / 2 > 4 ? r->window / 2 : 4;
    r->credit = 0;
  } else if (r->window < r->max_inflight && ++r->credit >= r->window) {
    r->window++;
    r->credit = 0;
  }
}

static void
on_target(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct job *j = arg;
  struct run *r = j->run;
  adapt_window(r, status);
  const struct list_def *l = r->lists[j->list];
  struct result *res = &j->res;
  /* One more try after a timeout, with the window already halved: a burst
   * of lost answers should not turn into "not checked".  The same after a
   * refused or dropped connection: a TCP connection the server closed
   * fails every query on it at once. */
  if ((status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED) &&
      !j->requeried && !r->cancelled) {
    char q[TARGET_NAME_MAX + 80];
    j->requeried = true;
    if (qname_for(r, j, q, sizeof(q)) == RBL_OK) {
      r->st[j->list].queries++;
      dns_query(r->dns, q, ns_t_a, on_target, j);
      return;
    }
  }
  if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    res->status = RES_CLEAN;  /* NXDOMAIN / no A record: not listed */
  } else if (status != ARES_SUCCESS) {
    res->status = RES_ERROR;
    snprintf(res->error, sizeof(res->error), "%s", dns_strerror(status));
  } else {
    uint32_t a[16];
    size_t n = dns_parse_a(abuf, alen, a, UTIL_ARRAY_LEN(a));
    if (n == 0) {
      res->status = RES_ERROR;
      snprintf(res->error, sizeof(res->error),
               "malformed answer from %s (no usable A record)", l->name);
    } else {
      struct interp in;
      dnsbl_interpret(l, a, n, &in);
      result_from_interp(res, &in, l);
    }
  }
  /* A listing's reason text (RFC 5782 section 2.1): one more query. */
  if (res->status == RES_LISTED && !r->cancelled) {
    char q[TARGET_NAME_MAX + 80];
    if (qname_for(r, j, q, sizeof(q)) == RBL_OK) {
      r->st[j->list].queries++; /* counts against daily limits too */
      dns_query(r->dns, q, ns_t_txt, on_txt, j);
      return;
    }
  }
  r->inflight--;
  emit(r, j->list, res);
  job_put(r, j);
  feed(r);
  finish_if_done(r);
}

/* Next (address, list) pair; false when the plan is exhausted. */
static bool
cursor_next(struct run *r, size_t *li)
{
  for (;;) {
    if (!r->have_addr) {
      if (r->ti >= r->nt)
        return false;
      const struct target_spec *s = r->t[r->ti].spec;
      if (!target_is_ip(s)) {
        r->have_addr = r->it.next == 0;
        r->it.next = 1;
        r->it.spec = s;
      } else {
        r->have_addr = target_iter_next(&r->it, &r->cur);
      }
      if (!r->have_addr) {
        r->ti++;
        if (r->ti < r->nt) {
          target_iter_init(&r->it, r->t[r->ti].spec);
          r->it.next = 0;
        }
        continue;
      }
      r->li = 0;
    }
    if (r->li >= r->nlists) {
      r->have_addr = false;
      continue;
    }
    size_t cand = r->li++;
    if (list_fits(r->lists[cand], r->t[r->ti].spec)) {
      *li = cand;
      return true;
    }
  }
}

static void
fill_target(struct run *r, struct result *res, bool *is_domain,
            struct addr *addr)
{
  const struct engine_target *t = &r->t[r->ti];
  res->watchlist = t->watchlist;
  if (!target_is_ip(t->spec)) {  /* a domain or an e-mail address */
    *is_domain = true;
    snprintf(res->target, sizeof(res->target), "%s", t->spec->domain);
  } else {
    *is_domain = false;
    *addr = r->cur;
    target_addr_str(&r->cur, res->target, sizeof(res->target));
  }
}

/* A result for the current pair without a query: the list is unhealthy or
 * skipped, or the run was cancelled (deadline, out of memory). */
static void
emit_unchecked(struct run *r, size_t li, bool whole_range)
{
  struct list_state *s = &r->st[li];
  struct result res;
  bool dom;
  struct addr a;
  memset(&res, 0, sizeof(res));
  fill_target(r, &res, &dom, &a);
  if (whole_range) {
    target_spec_str(r->t[r->ti].spec, res.target, sizeof(res.target));
    res.covers = target_count(r->t[r->ti].spec);
  }
  res.list = r->lists[li];
  if (r->cancelled) {
    res.status = RES_ERROR;
    snprintf(res.error, sizeof(res.error), "not checked: %s", r->stop_reason);
  } else {
    res.status = s->health == HEALTH_SKIPPED ? RES_SKIPPED : RES_ERROR;
    snprintf(res.error, sizeof(res.error), "%s", s->detail);
  }
  emit(r, li, &res);
}

static void
feed(struct run *r)
{
  /* A query can complete inside dns_query() (out of memory, no socket):
   * its callback feeds again; the loop below picks that up instead of
   * recursing once per pair. */
  if (r->probes_pending > 0 || r->cursor_done || r->feeding)
    return;
  r->feeding = true;
  while (r->inflight < r->window) {
    size_t li;
    if (!cursor_next(r, &li)) {
      r->cursor_done = true;
      break;
    }
    struct list_state *s = &r->st[li];
    bool healthy = s->health == HEALTH_OK || s->health == HEALTH_UNKNOWN;
    const struct target_spec *spec = r->t[r->ti].spec;
    if (!healthy && target_is_ip(spec) &&
        spec->prefix < (spec->kind == TARGET_IP4 ? 32u : 128u)) {
      /* A list that cannot be asked: one result for the range as written,
       * not one per address (the state keeps what it knew of them), also
       * when the deadline comes in the middle of the range. */
      if (r->range_told[li] != r->ti + 1) {
        r->range_told[li] = r->ti + 1;
        emit_unchecked(r, li, true);
      }
      continue;
    }
    if (!healthy || r->cancelled) {
      emit_unchecked(r, li, false);
      continue;
    }
    struct job *j = job_get(r);
    if (j == NULL) {
      /* Out of memory: the rest of the plan is reported as not checked,
       * never dropped (a missing result would read as "no longer
       * watched" to the state). */
      r->cancelled = true;
      r->stop_reason = "out of memory";
      emit_unchecked(r, li, false);
      continue;
    }
    j->run = r;
    j->list = li;
    j->res.list = r->lists[li];
    fill_target(r, &j->res, &j->is_domain, &j->addr);
    char q[TARGET_NAME_MAX + 80];
    if (qname_for(r, j, q, sizeof(q)) != RBL_OK) {
      j->res.status = RES_ERROR;
      snprintf(j->res.error, sizeof(j->res.error), "not checked: the query "
               "name for this target on %s is longer than DNS allows (253)",
               r->lists[li]->zone);
      emit(r, li, &j->res);
      job_put(r, j);
      continue;
    }
    r->inflight++;
    s->queries++;
    dns_query(r->dns, q, ns_t_a, on_target, j);
  }
  r->feeding = false;
}

/* ---- health (RFC 5782 section 5) --------------------------------------- */
/* The whitelist guard: a blocked or over-limit resolver gets the same
 * "trusted" answer for every address (dnswl.org answers 127.0.10.x;
 * catalog audit, "Severity choices that could mislead"), so a list with
 * good codes is believed only while its negative test point stays clean.
 * A list that publishes no test point (test: false) has only its negative
 * one asked - the RFC 5782 default, which lists nothing: when it answers,
 * the list is a wildcard and none of its answers are used. */
static bool
probes_listed(const struct list_def *l)
{
  return l->probe;
}

static bool
probes_unlisted(const struct list_def *l)
{
  return l->probe || list_has_good(l);
}

/* Whether a listed test point of list li was asked: only then can a clean
 * negative point prove the list alive. */
static bool
listed_asked(const struct run *r, size_t li)
{
  return r->probes[li][P4_LISTED].used || r->probes[li][P6_LISTED].used;
}

static void
verdict(struct run *r, size_t li)
{
  struct list_state *s = &r->st[li];
  const struct list_def *l = r->lists[li];
  struct probe_outcome *p = r->probes[li];
  for (int k = 0; k < NPROBE; k++) {
    if (!p[k].used)
      continue;
    bool want_listed = k == P4_LISTED || k == P6_LISTED;
    enum list_health h = HEALTH_OK;
    char detail[320] = "";
    if (p[k].status == ARES_ENOTFOUND || p[k].status == ARES_ENODATA) {
      if (want_listed) {
        h = HEALTH_DEAD;
        snprintf(detail, sizeof(detail), "list %s is not answering: its test "
                 "point %s is not listed (RFC 5782); results would be "
                 "meaningless", l->name, p[k].point);
      }
    } else if (p[k].status != ARES_SUCCESS) {
      h = HEALTH_UNREACHABLE;
      snprintf(detail, sizeof(detail), "list %s cannot be queried: %s",
               l->name, dns_strerror(p[k].status));
    } else if (p[k].in.kind == INTERP_BROKEN) {
      h = HEALTH_BROKEN;
      snprintf(detail, sizeof(detail), "list %s answers outside 127.0.0.0/8 "
               "for %s: the zone is dead or hijacked", l->name, p[k].point);
    } else if (p[k].in.kind == INTERP_ERROR) {
      h = HEALTH_REFUSING;
      snprintf(detail, sizeof(detail), "list %s refuses queries: %s",
               l->name, p[k].in.error);
    } else if (!want_listed && l->probe) {
      h = HEALTH_WILDCARD;
      snprintf(detail, sizeof(detail), "list %s lists its not-listed test "
               "point %s: it lists everything (wildcard)", l->name,
               p[k].point);
    } else if (!want_listed && p[k].in.kind == INTERP_GOOD) {
      /* the whitelist guard of a list without test points: only a good
       * answer for an address nobody vouches for gives it away */
      h = HEALTH_WILDCARD;
      snprintf(detail, sizeof(detail), "list %s answers 'good' for %s, an "
               "address no list vouches for: it vouches for everything (an "
               "over-limit or blocked resolver?), its answers are not used",
               l->name, p[k].point);
    }
    /* The first problem found is the one reported. */
    if (h != HEALTH_OK && (s->health == HEALTH_OK ||
                           s->health == HEALTH_UNKNOWN)) {
      s->health = h;
      snprintf(s->detail, sizeof(s->detail), "%s", detail);
    }
  }
}

/* A resolver that answers NXDOMAIN (or nothing) to everything makes a list
 * without test points look clean.  When no probed list passed its test
 * points, answers from the untested ones are not trusted either. */
static void
distrust_untested(struct run *r)
{
  size_t probed = 0;
  for (size_t i = 0; i < r->nlists; i++) {
    if (r->st[i].health == HEALTH_OK)
      return;
    probed += listed_asked(r, i) && r->st[i].health != HEALTH_SKIPPED;
  }
  if (probed == 0)
    return;
  for (size_t i = 0; i < r->nlists; i++) {
    struct list_state *s = &r->st[i];
    if (s->health != HEALTH_UNKNOWN)
      continue;
    s->health = HEALTH_UNREACHABLE;
    snprintf(s->detail, sizeof(s->detail),
             "list %s has no test point, and no list answered its test points "
             "through this resolver: its answers cannot be trusted",
             r->lists[i]->name);
  }
}

static void
on_probe(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct job *j = arg;
  struct run *r = j->run;
  struct probe_outcome *p = &r->probes[j->list][j->slot];
  p->done = true;
  p->status = status;
  if (status == ARES_SUCCESS) {
    uint32_t a[16];
    size_t n = dns_parse_a(abuf, alen, a, UTIL_ARRAY_LEN(a));
    if (n == 0)
      p->status = ARES_EBADRESP;
    else
      dnsbl_interpret(r->lists[j->list], a, n, &p->in);
  }
  size_t li = j->list;
  job_put(r, j);
  bool all = true;
  for (int k = 0; k < NPROBE; k++)
    all = all && (!r->probes[li][k].used || r->probes[li][k].done);
  if (all && r->st[li].health != HEALTH_UNREACHABLE) {
    /* Only the negative point asked (the whitelist guard on a list
     * without test points, a hash list with only that point): a clean
     * answer does not prove the list alive. */
    r->st[li].health = listed_asked(r, li) ? HEALTH_OK : HEALTH_UNKNOWN;
    verdict(r, li);
  }
  if (--r->probes_pending == 0) {
    distrust_untested(r);
    feed(r);
  }
  finish_if_done(r);
}

static void
send_probe(struct run *r, size_t li, int slot, const char *point)
{
  struct probe_outcome *p = &r->probes[li][slot];
  struct job *j = job_get(r);
  char q[TARGET_NAME_MAX + 80];
  struct addr a;
  rbl_status st;
  snprintf(p->point, sizeof(p->point), "%s", point);
  if (r->lists[li]->type == LIST_EMAIL)
    st = hashq_qname(point, r->lists[li]->hash, r->lists[li]->hash_enc,
                     r->st[li].zone, q, sizeof(q));
  else if (target_addr_parse(point, &a))
    st = target_qname_addr(&a, r->st[li].zone, q, sizeof(q));
  else
    st = target_qname_domain(point, r->st[li].zone, q, sizeof(q));
  if (j == NULL || st != RBL_OK) {
    if (j != NULL)
      job_put(r, j);
    r->st[li].health = HEALTH_UNREACHABLE;
    snprintf(r->st[li].detail, sizeof(r->st[li].detail), "list %s cannot be "
             "probed: %s", r->lists[li]->name,
             j == NULL ? "out of memory" : "test point name too long");
    return;
  }
  p->used = true;
  j->run = r;
  j->list = li;
  j->slot = slot;
  r->probes_pending++;
  r->st[li].queries++;
  dns_query(r->dns, q, ns_t_a, on_probe, j);
}

static void
start_probes(struct run *r, size_t li)
{
  const struct list_def *l = r->lists[li];
  bool want_l = probes_listed(l), want_u = probes_unlisted(l);
  struct addr a;
  const char *lp = l->test_listed, *up = l->test_unlisted;
  if (l->type == LIST_EMAIL) {
    /* RFC 5782 has no default test point for a hash list: only the
     * catalog's own */
    if (want_l && lp != NULL)
      send_probe(r, li, P4_LISTED, lp);
    if (want_u && up != NULL)
      send_probe(r, li, P4_UNLISTED, up);
    return;
  }
  if (l->type == LIST_DOMAIN) {
    if (want_l)
      send_probe(r, li, P4_LISTED, lp ? lp : "test");
    if (want_u)
      send_probe(r, li, P4_UNLISTED, up ? up : "invalid");
    return;
  }
  /* An override applies to the family of its address.  The guard of a
   * list without test points asks a documentation address (RFC 5737,
   * 3849), not 127.0.0.1: such lists often answer 127.0.0.1 itself. */
  bool lp6 = lp && target_addr_parse(lp, &a) && a.kind == TARGET_IP6;
  bool up6 = up && target_addr_parse(up, &a) && a.kind == TARGET_IP6;
  const char *u4 = l->probe ? "127.0.0.1" : "192.0.2.1";
  const char *u6 = l->probe ? "::ffff:7f00:1" : "2001:db8::1";
  if (list_takes_ip4(l) && want_l)
    send_probe(r, li, P4_LISTED, lp && !lp6 ? lp : "127.0.0.2");
  if (list_takes_ip4(l) && want_u)
    send_probe(r, li, P4_UNLISTED, up && !up6 ? up : u4);
  if (list_takes_ip6(l) && want_l)
    send_probe(r, li, P6_LISTED, lp6 ? lp : "::ffff:7f00:2");
  if (list_takes_ip6(l) && want_u)
    send_probe(r, li, P6_UNLISTED, up6 ? up : u6);
}

static uint64_t
on_deadline(void *arg)
{
  struct run *r = arg;
  r->deadline_timer = 0;
  r->cancelled = true;
  r->stop_reason = ENGINE_DEADLINE;
  dns_cancel(r->dns);   /* every outstanding query completes as an error */
  feed(r);              /* the rest of the plan is emitted as not checked */
  r->cursor_done = true;
  finish_if_done(r);
  return 0;
}

static bool
key_valid(const char *k)
{
  size_t n = strlen(k);
  if (n == 0 || n > 63)
    return false;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
          (*k >= '0' && *k <= '9') || *k == '-'))
      return false;
  return true;
}

/* Fills states with zones and pre-probe health (missing keys, limits). */
static void
prepare_states(struct run *r, const struct config *cfg,
               const uint64_t *used_today)
{
  for (size_t i = 0; i < r->nlists; i++) {
    const struct list_def *l = r->lists[i];
    struct list_state *s = &r->st[i];
    memset(s, 0, sizeof(*s));
    s->list = l;
    s->health = HEALTH_UNKNOWN;
    const char *kp = strstr(l->zone, "{key}");
    if (kp != NULL) {
      const char *key = config_list_key(cfg, l);
      if (key == NULL || !key_valid(key)) {
        s->health = HEALTH_SKIPPED;
        snprintf(s->detail, sizeof(s->detail),
                 key == NULL ? "list %s needs a key: set lists.keys.%s%s%s"
                             : "list %s: the key in lists.keys.%s%s%s is not "
                               "a valid DNS label",
                 l->name, l->key_name, l->key_env ? " or $" : "",
                 l->key_env ? l->key_env : "");
        continue;
      }
      /* {key} is a whole label, the first or not (_email.{key}.hbl...) */
      snprintf(s->zone, sizeof(s->zone), "%.*s%s%s", (int)(kp - l->zone),
               l->zone, key, kp + 5);
    } else {
      snprintf(s->zone, sizeof(s->zone), "%s", l->zone);
    }
    /* The operator's published daily limit (its terms), or rblmon's
     * fair-use one, counting what earlier runs sent in the last 24 hours.
     * Probes count too. */
    uint64_t want = count_for_list(l, r->t, r->nt) + 4;
    uint64_t used = used_today ? used_today[i] : 0;
    uint64_t limit = list_daily_limit(l, NULL);
    if (limit > 0 && want + used > limit) {
      s->health = HEALTH_SKIPPED;
      snprintf(s->detail, sizeof(s->detail),
               "not queried: %llu queries now and %llu in the last 24 hours "
               "would exceed the %llu a day that %s; check less often or "
               "fewer addresses, or use %s's data feed or a keyed service",
               (unsigned long long)want, (unsigned long long)used,
               (unsigned long long)limit, list_limit_why(l), l->name);
    }
  }
}

/* What a run takes of the cycle's engine_ctx. */
struct dnsbl_opts {
  unsigned max_inflight;
  uint64_t deadline_ms;
  /* Queries already sent to each list in the last 24 hours (from the
   * state), counted against its daily limit; NULL: none known. */
  const uint64_t *used_today;
  void (*done)(void *arg);        /* every pair has its result */
  void *done_arg;
};

static struct dnsbl_run *
dnsbl_start(struct loop *l, struct dns *d, const struct config *cfg,
            const struct list_def *const *lists, size_t nlists,
            const struct engine_target *t, size_t nt,
            const struct dnsbl_opts *o, result_sink sink, void *arg,
            struct list_state *states)
{
  struct run *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  r->loop = l;
  r->dns = d;
  r->lists = lists;
  r->nlists = nlists;
  r->st = states;
  r->t = t;
  r->nt = nt;
  r->max_inflight = o->max_inflight ? o->max_inflight : 1;
  r->window = r->max_inflight;
  r->sink = sink;
  r->sink_arg = arg;
  r->deadline_ms = o->deadline_ms;
  r->done = o->done;
  r->done_arg = o->done_arg;
  r->probes = calloc(nlists ? nlists : 1, sizeof(*r->probes));
  r->range_told = calloc(nlists ? nlists : 1, sizeof(*r->range_told));
  if (r->probes == NULL || r->range_told == NULL) {
    free(r->probes);
    free(r->range_told);
    free(r);
    return NULL;
  }
  if (nt > 0)
    target_iter_init(&r->it, t[0].spec);
  prepare_states(r, cfg, o->used_today);
  if (o->deadline_ms > 0)
    r->deadline_timer = loop_timer(l, o->deadline_ms, on_deadline, r);
  for (size_t i = 0; i < nlists; i++)
    if (states[i].health == HEALTH_UNKNOWN)
      start_probes(r, i);
  feed(r);
  finish_if_done(r);
  return (struct dnsbl_run *)r;
}

static void
dnsbl_cancel(struct dnsbl_run *dr)
{
  struct run *r = (struct run *)dr;
  if (r != NULL && !r->finished) {
    if (r->deadline_timer)
      loop_timer_cancel(r->loop, r->deadline_timer);
    r->deadline_timer = 0;
    on_deadline(r);
  }
}

static bool
dnsbl_finished(const struct dnsbl_run *dr)
{
  return dr == NULL || ((const struct run *)dr)->finished;
}

static void
dnsbl_end(struct dnsbl_run *dr)
{
  struct run *r = (struct run *)dr;
  if (r == NULL)
    return;
  if (r->deadline_timer)
    loop_timer_cancel(r->loop, r->deadline_timer);
  while (r->free_jobs != NULL) {
    struct job *j = r->free_jobs;
    r->free_jobs = j->next_free;
    free(j);
  }
  free(r->probes);
  free(r->range_told);
  free(r);
}

/* ---- the engine ------------------------------------------------------------ */
static size_t
eng_nsources(const struct engine_ctx *c)
{
  return c->nlists;
}

static uint64_t
eng_count(const struct engine_ctx *c)
{
  return dnsbl_count(c->lists, c->nlists, c->targets, c->ntargets);
}

static void *
eng_start(const struct engine_ctx *c, struct list_state *states)
{
  struct dnsbl_opts o = {(unsigned)c->cfg->max_inflight, c->deadline_ms,
                         c->used_today, c->done, c->done_arg};
  return dnsbl_start(c->loop, c->dns, c->cfg, c->lists, c->nlists,
                     c->targets, c->ntargets, &o, c->sink, c->sink_arg,
                     states);
}

static bool
eng_finished(const void *run)
{
  return dnsbl_finished(run);
}

static void
eng_cancel(void *run)
{
  dnsbl_cancel(run);
}

static void
eng_end(void *run)
{
  dnsbl_end(run);
}

const struct engine engine_dnsbl = {
  "dnsbl", CHECK_DNSBL, false, eng_nsources, eng_count, eng_start,
  eng_finished, eng_cancel, eng_end};
