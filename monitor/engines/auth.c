#include "auth.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <stdarg.h>
#include <glib.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authrec.h"
#include "config.h"
#include "dns.h"
#include "loop.h"
#include "spf.h"

/* ---- reasons: static texts, the details go to txt ------------------------------ */
static const char R_NO_PTR[] = "no PTR record: many receivers refuse mail "
  "from an address without one (Gmail: 550-5.7.25)";
static const char R_NOT_FCRDNS[] = "the PTR name does not resolve back to "
  "the address (not forward-confirmed): add an A/AAAA record for it";
static const char R_GENERIC[] = "the PTR name looks generic or dynamic: "
  "lists such as Spamhaus PBL and many receivers punish it; use a name of "
  "your own, such as mail.example.com";
static const char R_PTR_OK[] = "PTR forward-confirmed";
static const char R_SPF_FAIL[] = "SPF fails for a sending address: receivers "
  "reject its mail; add it to the record";
static const char R_SPF_PERM[] = "the SPF record is broken (permerror): "
  "receivers treat it as a failure";
static const char R_SPF_SOFT[] = "SPF softfails for a sending address: add "
  "it to the record";
static const char R_SPF_NEUTRAL[] = "SPF does not cover a sending address "
  "(neutral): add it, and end the record with -all or ~all";
static const char R_SPF_NONE[] = "no SPF record: publish one, such as "
  "v=spf1 ip4:192.0.2.10 -all (Gmail and Yahoo require SPF or DKIM)";
static const char R_SPF_PASS[] = "SPF passes for every sending address";
static const char R_SPF_VALID[] = "SPF record valid (the watchlist has no "
  "sending address to evaluate it for)";
static const char R_DMARC_VALID[] = "DMARC published (whether mail passes "
  "it is not judged: no sending address, no DKIM selector)";
static const char R_DMARC_NONE[] = "no DMARC record: publish _dmarc TXT "
  "v=DMARC1; p=none; rua=mailto:... (Gmail and Yahoo require one of bulk "
  "senders)";
static const char R_DMARC_BAD[] = "the DMARC record is not valid: receivers "
  "ignore it";
static const char R_DMARC_FAILS[] = "DMARC fails: mail passes neither SPF "
  "for every sending address nor a valid DKIM selector; with p=quarantine "
  "or p=reject receivers act on it";
static const char R_DMARC_FAILS_NONE[] = "DMARC would fail (p=none, so only "
  "reported): mail passes neither SPF for every sending address nor a "
  "valid DKIM selector";
static const char R_DMARC_EXT[] = "DMARC reports go to another domain that "
  "has not agreed to receive them (no _report._dmarc record there)";
static const char R_DMARC_NORUA[] = "DMARC has no rua=: you receive no "
  "aggregate reports";
static const char R_DMARC_OK[] = "DMARC published, and mail can pass it";
static const char R_DKIM_MISSING[] = "a DKIM selector has no key record: "
  "mail signed with it fails DKIM";
static const char R_DKIM_REVOKED[] = "a DKIM key is revoked (empty p=)";
static const char R_DKIM_BAD[] = "a DKIM key record is not valid";
static const char R_DKIM_WEAK[] = "a DKIM RSA key is shorter than 1024 bits: "
  "receivers ignore it";
static const char R_DKIM_SHORT[] = "a DKIM RSA key is shorter than 2048 "
  "bits: publish a 2048-bit key";
static const char R_DKIM_SHA1[] = "a DKIM key allows only sha1 (h=sha1): "
  "receivers ignore sha1 signatures";
static const char R_DKIM_TEST[] = "a DKIM selector is in test mode (t=y)";
static const char R_DKIM_OK[] = "DKIM keys published";
static const char R_MX_NXDOMAIN[] = "the domain does not exist (NXDOMAIN): "
  "receivers reject senders from it";
static const char R_MX_NONE[] = "the domain has no MX and no address: "
  "replies and bounces cannot reach it, and receivers reject such senders";
static const char R_MX_NULL[] = "null MX: the domain receives no mail; some "
  "receivers reject senders that cannot receive replies";
static const char R_MX_DEAD[] = "no MX host of the domain resolves to an "
  "address";
static const char R_MX_SOMEDEAD[] = "an MX host of the domain does not "
  "resolve to an address";
static const char R_MX_IMPLICIT[] = "no MX record: mail to the domain goes "
  "to its address record";

/* Whether mail passes SPF for every address, or has a usable DKIM key. */
enum verdict { V_NO, V_YES, V_UNKNOWN };

/* ---- the run ------------------------------------------------------------------- */
struct domain_job;

struct waiter {
  struct domain_job *dj;
  struct waiter *next;
};

struct fetch {
  struct auth_run *r;
  char *key;
  char name[256];
  int type;
  struct waiter *w;
};

struct ptr_job {
  struct auth_run *r;
  struct addr a;
  char target[TARGET_NAME_MAX];
  const char *watchlist;
  enum dq_status status;
  char error[160];
  char names[10][256];
  bool ok[10], err[10];
  size_t n, pending;
  bool cut;                       /* the deadline stopped its lookups */
};

struct domain_job {
  struct auth_run *r;
  const char *domain, *watchlist;
  const char **sel;
  size_t nsel;
  bool done;
  /* SPF over the watchlist's addresses, one at a time */
  size_t ti;
  struct target_iter it;
  bool in_range, have_ip, probe_only, spf_done;
  struct addr ip;
  uint64_t n[SPF_NEED];           /* results by kind */
  char spf_txt[400];
  size_t spf_notes;
  bool stepping, again;           /* domain_step() re-entered */
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
  GHashTable *cache, *pending;
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

static const char *
deadline_text(void)
{
  return "not checked: the deadline (resolver.deadline) was reached";
}

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

/* ---- DNS answers -------------------------------------------------------------- */
void
auth_answer_free(struct dq_answer *a)
{
  if (a == NULL)
    return;
  for (size_t i = 0; a->strs && i < a->n; i++)
    free(a->strs[i]);
  free(a->strs);
  free(a->addrs);
  free(a);
}

static void
answer_destroy(gpointer p) /* the cache's GDestroyNotify */
{
  auth_answer_free(p);
}

static char *
lower_dup(const char *s)
{
  char *d = strdup(s);
  size_t n = d ? strlen(d) : 0;
  for (size_t i = 0; i < n; i++)
    d[i] = (char)tolower((unsigned char)d[i]);
  while (n > 0 && d[n - 1] == '.')
    d[--n] = '\0';
  return d;
}

static bool
add_str(struct dq_answer *a, char *s)
{
  char **p = realloc(a->strs, (a->n + 1) * sizeof(*p));
  if (p == NULL || s == NULL) {
    free(s);
    if (p != NULL)
      a->strs = p;
    return false;
  }
  a->strs = p;
  a->strs[a->n++] = s;
  return true;
}

static bool
add_addr(struct dq_answer *a, const struct addr *x)
{
  struct addr *p = realloc(a->addrs, (a->n + 1) * sizeof(*p));
  if (p == NULL)
    return false;
  a->addrs = p;
  a->addrs[a->n++] = *x;
  return true;
}

static int
cmp_mx(const void *x, const void *y)
{
  const struct ares_mx_reply *const *a = x, *const *b = y;
  return (int)(*a)->priority - (int)(*b)->priority;
}

static int
parse_txt(struct dq_answer *a, const unsigned char *abuf, int alen,
          const struct addr *ptr_of)
{
  (void)ptr_of;
  struct ares_txt_ext *txt = NULL;
  int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
  struct sbuf rec;
  sbuf_init(&rec, 65536);
  for (struct ares_txt_ext *t = txt; rc == ARES_SUCCESS && t; t = t->next) {
    if (t->record_start && rec.len > 0) {
      add_str(a, strdup(sbuf_str(&rec)));
      sbuf_reset(&rec);
    }
    if (t->record_start)
      sbuf_add(&rec, "", 0);
    if (dns_txt_append(&rec, t->txt, t->length) != RBL_OK)
      rc = ARES_EBADRESP; /* never a record spliced from what fits */
  }
  if (rec.p != NULL)
    add_str(a, strdup(sbuf_str(&rec)));
  sbuf_free(&rec);
  if (txt)
    ares_free_data(txt);
  return rc;
}

static int
parse_a(struct dq_answer *a, const unsigned char *abuf, int alen,
        const struct addr *ptr_of)
{
  (void)ptr_of;
  struct ares_addrttl v[64];
  int n = 64;
  int rc = ares_parse_a_reply(abuf, alen, NULL, v, &n);
  for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
    struct addr x = {TARGET_IP4, {0}};
    memcpy(x.b, &v[i].ipaddr, 4);
    add_addr(a, &x);
  }
  return rc;
}

static int
parse_aaaa(struct dq_answer *a, const unsigned char *abuf, int alen,
           const struct addr *ptr_of)
{
  (void)ptr_of;
  struct ares_addr6ttl v[64];
  int n = 64;
  int rc = ares_parse_aaaa_reply(abuf, alen, NULL, v, &n);
  for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
    struct addr x = {TARGET_IP6, {0}};
    memcpy(x.b, &v[i].ip6addr, 16);
    add_addr(a, &x);
  }
  return rc;
}

static int
parse_mx(struct dq_answer *a, const unsigned char *abuf, int alen,
         const struct addr *ptr_of)
{
  (void)ptr_of;
  struct ares_mx_reply *mx = NULL;
  int rc = ares_parse_mx_reply(abuf, alen, &mx);
  struct ares_mx_reply *list[64];
  size_t n = 0;
  for (struct ares_mx_reply *m = mx; rc == ARES_SUCCESS && m && n < 64;
       m = m->next)
    list[n++] = m;
  qsort(list, n, sizeof(*list), cmp_mx);
  for (size_t i = 0; i < n; i++)
    add_str(a, lower_dup(list[i]->host));
  if (mx)
    ares_free_data(mx);
  return rc;
}

static int
parse_ptr(struct dq_answer *a, const unsigned char *abuf, int alen,
          const struct addr *ptr_of)
{
  struct hostent *h = NULL;
  unsigned char b[16];
  memcpy(b, ptr_of->b, 16);
  int rc = ares_parse_ptr_reply(abuf, alen, b,
                            ptr_of->kind == TARGET_IP4 ? 4 : 16,
                            ptr_of->kind == TARGET_IP4 ? AF_INET : AF_INET6,
                            &h);
  if (rc == ARES_SUCCESS && h != NULL) {
    add_str(a, lower_dup(h->h_name));
    for (char **al = h->h_aliases; al && *al && a->n < 10; al++)
      add_str(a, lower_dup(*al));
  }
  if (h)
    ares_free_hostent(h);
  return rc;
}

/* One parser a query type, over c-ares' own. */
static const struct {
  int type;
  int (*parse)(struct dq_answer *a, const unsigned char *abuf, int alen,
               const struct addr *ptr_of);
} parsers[] = {
  {DQ_TXT, parse_txt}, {DQ_A, parse_a}, {DQ_AAAA, parse_aaaa},
  {DQ_MX, parse_mx}, {DQ_PTR, parse_ptr},
};

struct dq_answer *
auth_parse_answer(int type, int status, const unsigned char *abuf, int alen,
                  const struct addr *ptr_of)
{
  struct dq_answer *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return NULL;
  if (status == ARES_ENOTFOUND) {
    a->status = DQ_NXDOMAIN;
    return a;
  }
  if (status == ARES_ENODATA) {
    a->status = DQ_NODATA;
    return a;
  }
  if (status != ARES_SUCCESS) {
    a->status = DQ_ERROR;
    a->error = dns_strerror(status);
    return a;
  }
  a->status = DQ_OK;
  int rc = ARES_SUCCESS;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(parsers); i++)
    if (parsers[i].type == type)
      rc = parsers[i].parse(a, abuf, alen, ptr_of);
  if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && a->n == 0))
    a->status = DQ_NODATA;
  else if (rc != ARES_SUCCESS) {
    a->status = DQ_ERROR;
    a->error = "a malformed answer";
  }
  return a;
}

static char *
cache_key(const char *name, int type)
{
  char *k = g_strdup_printf("%d %s", type, name);
  for (char *p = k; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  size_t n = strlen(k);
  while (n > 0 && k[n - 1] == '.')
    k[--n] = '\0';
  return k;
}

static const struct dq_answer *
cache_get(void *arg, const char *name, int type)
{
  struct auth_run *r = arg;
  char *k = cache_key(name, type);
  const struct dq_answer *a = g_hash_table_lookup(r->cache, k);
  g_free(k);
  return a;
}

static void
on_fetch(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct fetch *f = arg;
  struct auth_run *r = f->r;
  note_cancel(r, status);
  struct addr none;
  memset(&none, 0, sizeof(none));
  struct dq_answer *a = auth_parse_answer(f->type, status, abuf, alen, &none);
  g_hash_table_steal(r->pending, f->key);
  if (a != NULL)
    g_hash_table_insert(r->cache, f->key, a);
  else
    g_free(f->key);
  for (struct waiter *w = f->w, *next; w != NULL; w = next) {
    next = w->next;
    if (!r->destroyed)
      domain_step(w->dj);
    free(w);
  }
  free(f);
}

/* The cached answer, or NULL after asking for it: dj is stepped again
 * when it arrives (perhaps at once, from inside dns_query()). */
static const struct dq_answer *
need(struct domain_job *dj, const char *name, int type)
{
  struct auth_run *r = dj->r;
  char *k = cache_key(name, type);
  const struct dq_answer *a = g_hash_table_lookup(r->cache, k);
  if (a != NULL || r->cancelled) {
    g_free(k);
    return a;
  }
  struct fetch *f = g_hash_table_lookup(r->pending, k);
  bool start = f == NULL;
  if (start) {
    if ((f = calloc(1, sizeof(*f))) == NULL) {
      g_free(k);
      return NULL;
    }
    f->r = r;
    f->key = k;
    f->type = type;
    snprintf(f->name, sizeof(f->name), "%s", name);
    g_hash_table_insert(r->pending, k, f);
  } else {
    g_free(k);
  }
  bool waiting = false;
  for (struct waiter *w = f->w; w && !waiting; w = w->next)
    waiting = w->dj == dj;
  struct waiter *w = waiting ? NULL : calloc(1, sizeof(*w));
  if (w != NULL) {
    w->dj = dj;
    w->next = f->w;
    f->w = w;
  }
  if (start) {
    dns_query(r->dns, f->name, type, on_fetch, f); /* f may be gone now */
  }
  return NULL;
}

/* ---- domains: SPF, DKIM, DMARC, MX ------------------------------------------ */
/* The next sending address of the domain's watchlist. */
static bool
next_ip(struct domain_job *dj, struct addr *out)
{
  struct auth_run *r = dj->r;
  while (dj->ti < r->nt) {
    const struct engine_target *t = &r->t[dj->ti];
    if (t->spec->kind == TARGET_DOMAIN || strcmp(t->watchlist, dj->watchlist)) {
      dj->ti++;
      continue;
    }
    if (!dj->in_range) {
      target_iter_init(&dj->it, t->spec);
      dj->in_range = true;
    }
    if (target_iter_next(&dj->it, out))
      return true;
    dj->in_range = false;
    dj->ti++;
  }
  return false;
}

static void
spf_note(struct domain_job *dj, const struct addr *ip, const char *what,
         const char *why)
{
  if (dj->spf_notes >= 4) {
    if (dj->spf_notes++ == 4) {
      size_t o = strlen(dj->spf_txt);
      snprintf(dj->spf_txt + o, sizeof(dj->spf_txt) - o, "; ...");
    }
    return;
  }
  char a[TARGET_ADDR_MAX];
  size_t o = strlen(dj->spf_txt);
  if (ip != NULL)
    target_addr_str(ip, a, sizeof(a));
  snprintf(dj->spf_txt + o, sizeof(dj->spf_txt) - o, "%s%s%s%s (%.160s)",
           o ? "; " : "", ip ? a : "", ip ? " " : "", what, why);
  dj->spf_notes++;
}

/* Evaluates SPF for each address in turn; false while waiting for DNS. */
static bool
spf_progress(struct domain_job *dj)
{
  struct auth_run *r = dj->r;
  char sender[300];
  snprintf(sender, sizeof(sender), "postmaster@%s", dj->domain);
  while (!dj->spf_done) {
    if (!dj->have_ip) {
      if (next_ip(dj, &dj->ip)) {
        dj->have_ip = true;
      } else if (dj->n[SPF_PASS] + dj->n[SPF_FAIL] + dj->n[SPF_SOFTFAIL] +
                   dj->n[SPF_NEUTRAL] + dj->n[SPF_NONE] +
                   dj->n[SPF_PERMERROR] + dj->n[SPF_TEMPERROR] == 0) {
        /* no sending address in the watchlist: read the record for its
         * syntax and limits with an address nobody authorises */
        target_addr_parse("0.0.0.1", &dj->ip);
        dj->have_ip = dj->probe_only = true;
      } else {
        dj->spf_done = true;
        break;
      }
    }
    struct spf_out o;
    enum spf_result res = spf_check(&dj->ip, dj->domain, sender, cache_get,
                                    r, &o);
    if (res == SPF_NEED) {
      if (need(dj, o.need_name, o.need_type) == NULL)
        return false;
      continue;
    }
    dj->have_ip = false;
    if (dj->probe_only) {
      if (res == SPF_PASS || res == SPF_FAIL || res == SPF_SOFTFAIL ||
          res == SPF_NEUTRAL)
        res = SPF_PASS; /* the record reads well; nobody to judge */
      dj->n[res]++;
      if (res != SPF_PASS)
        spf_note(dj, NULL, spf_result_names[res], o.why);
      else
        spf_note(dj, NULL, "no sending address in the watchlist: record",
                 "syntax and limits checked");
      dj->spf_done = true;
      break;
    }
    dj->n[res]++;
    if (res != SPF_PASS)
      spf_note(dj, &dj->ip, spf_result_names[res], o.why);
  }
  return true;
}

static void
emit_spf(struct domain_job *dj)
{
  struct auth_run *r = dj->r;
  const uint64_t *n = dj->n;
  static const struct {
    enum spf_result res;
    const char *reason;
    enum severity sev;
  } order[] = {
    {SPF_PERMERROR, R_SPF_PERM, SEV_CRITICAL},
    {SPF_FAIL, R_SPF_FAIL, SEV_CRITICAL},
    {SPF_SOFTFAIL, R_SPF_SOFT, SEV_WARNING},
    {SPF_NEUTRAL, R_SPF_NEUTRAL, SEV_WARNING},
    {SPF_NONE, R_SPF_NONE, SEV_WARNING},
  };
  const char *reasons[RESULT_MAX_CODES];
  size_t nr = 0;
  enum severity worst = SEV_NOTICE;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(order); i++)
    if (n[order[i].res] > 0) {
      reasons[nr++] = order[i].reason;
      if (order[i].sev > worst)
        worst = order[i].sev;
    }
  char txt[512];
  snprintf(txt, sizeof(txt), "%llu pass%s%s",
           (unsigned long long)n[SPF_PASS], dj->spf_txt[0] ? "; " : "",
           dj->spf_txt);
  if (dj->probe_only)
    snprintf(txt, sizeof(txt), "%s", dj->spf_txt);
  if (n[SPF_TEMPERROR] > 0 && nr == 0) {
    emit(r, AUTH_SPF, dj->domain, dj->watchlist, RES_ERROR, SEV_GOOD, NULL,
         0, txt, "SPF could not be evaluated: a DNS lookup failed "
         "(temperror)");
    return;
  }
  if (nr > 0) {
    emit(r, AUTH_SPF, dj->domain, dj->watchlist, RES_LISTED, worst, reasons,
         nr, txt, NULL);
    return;
  }
  const char *ok = dj->probe_only ? R_SPF_VALID : R_SPF_PASS;
  emit(r, AUTH_SPF, dj->domain, dj->watchlist, RES_CLEAN, SEV_GOOD, &ok, 1,
       txt, NULL);
}

/* DKIM: each selector's record; true when all are known.  usable: a key
 * receivers would verify with (V_UNKNOWN when a lookup failed and no other
 * key is usable). */
/* What each DKIM finding says, and how bad it is. */
static const struct {
  const char *reason;
  enum severity sev;
} dkim_meaning[DKIM_NFINDINGS] = {
  [DKIM_MISSING] = {R_DKIM_MISSING, SEV_CRITICAL},
  [DKIM_MULTIPLE] = {R_DKIM_BAD, SEV_CRITICAL},
  [DKIM_INVALID] = {R_DKIM_BAD, SEV_CRITICAL},
  [DKIM_REVOKED] = {R_DKIM_REVOKED, SEV_CRITICAL},
  [DKIM_WEAK] = {R_DKIM_WEAK, SEV_CRITICAL},
  [DKIM_SHA1] = {R_DKIM_SHA1, SEV_CRITICAL},
  [DKIM_SHORT] = {R_DKIM_SHORT, SEV_WARNING},
  [DKIM_TESTING] = {R_DKIM_TEST, SEV_NOTICE},
  [DKIM_FINE] = {NULL, SEV_GOOD},
};

static const struct dq_answer *
selector_answer(struct domain_job *dj, size_t i, bool fetch, char *name,
                size_t size)
{
  snprintf(name, size, "%s._domainkey.%s", dj->sel[i], dj->domain);
  return fetch ? need(dj, name, DQ_TXT) : cache_get(dj->r, name, DQ_TXT);
}

/* One result for every selector together: the worst finding, each
 * reason once, the keys described in txt. */
static void
dkim_emit(struct domain_job *dj)
{
  const char *reasons[RESULT_MAX_CODES];
  size_t nr = 0, o = 0;
  enum severity worst = SEV_GOOD;
  char txt[512] = "", err[200] = "";
  bool error = false;
  for (size_t i = 0; i < dj->nsel; i++) {
    char name[300];
    const struct dq_answer *a = selector_answer(dj, i, false, name,
                                                sizeof(name));
    if (a == NULL || a->status == DQ_ERROR) {
      error = true;
      snprintf(err, sizeof(err), "%.120s: %.70s", name, a && a->error ? a->error
                                                                : "no answer");
      continue;
    }
    struct dkim_judgement j;
    authrec_dkim_judge((const char *const *)a->strs,
                       a->status == DQ_OK ? a->n : 0, &j);
    o += (size_t)snprintf(txt + o, o < sizeof(txt) ? sizeof(txt) - o : 0,
                          "%s%s: %s", o ? "; " : "", dj->sel[i], j.what);
    if (o >= sizeof(txt))
      o = sizeof(txt) - 1;
    const char *why = dkim_meaning[j.finding].reason;
    if (why == NULL)
      continue;
    bool dup = false;
    for (size_t q = 0; q < nr; q++)
      dup = dup || reasons[q] == why;
    if (!dup && nr < RESULT_MAX_CODES)
      reasons[nr++] = why;
    if (dkim_meaning[j.finding].sev > worst)
      worst = dkim_meaning[j.finding].sev;
  }
  const char *ok = R_DKIM_OK;
  if (error && nr == 0)
    emit(dj->r, AUTH_DKIM, dj->domain, dj->watchlist, RES_ERROR, SEV_GOOD,
         NULL, 0, txt, err);
  else if (nr > 0)
    emit(dj->r, AUTH_DKIM, dj->domain, dj->watchlist, RES_LISTED, worst,
         reasons, nr, txt, NULL);
  else
    emit(dj->r, AUTH_DKIM, dj->domain, dj->watchlist, RES_CLEAN, SEV_GOOD,
         &ok, 1, txt, NULL);
}

static bool
dkim_step(struct domain_job *dj, bool emit_now, enum verdict *usable)
{
  bool complete = true;
  *usable = V_NO;
  for (size_t i = 0; i < dj->nsel; i++) {
    char name[300];
    if (selector_answer(dj, i, true, name, sizeof(name)) == NULL)
      complete = false;
  }
  if (complete && emit_now)
    dkim_emit(dj);
  for (size_t i = 0; complete && i < dj->nsel; i++) {
    char name[300];
    const struct dq_answer *a = selector_answer(dj, i, false, name,
                                                sizeof(name));
    if (a == NULL || a->status == DQ_ERROR) {
      if (*usable == V_NO)
        *usable = V_UNKNOWN;
      continue;
    }
    struct dkim_judgement j;
    authrec_dkim_judge((const char *const *)a->strs,
                       a->status == DQ_OK ? a->n : 0, &j);
    if (j.usable)
      *usable = V_YES;
  }
  return complete;
}

/* The organisational domain, roughly: the last two labels (rblmon has no
 * public suffix list). */
static const char *
org_domain(const char *d)
{
  const char *last = strrchr(d, '.');
  if (last == NULL)
    return d;
  const char *p = last;
  while (p > d && p[-1] != '.')
    p--;
  return p;
}

static const struct dq_answer *
dmarc_record(struct domain_job *dj, bool *complete, const char **rec,
             size_t *nrec, char *where, size_t wsize)
{
  char name[300];
  snprintf(name, sizeof(name), "_dmarc.%s", dj->domain);
  snprintf(where, wsize, "%s", name);
  const struct dq_answer *a = need(dj, name, DQ_TXT);
  *rec = NULL;
  *nrec = 0;
  if (a == NULL) {
    *complete = false;
    return NULL;
  }
  const char *org = org_domain(dj->domain);
  bool found = false;
  for (size_t i = 0; a->status == DQ_OK && i < a->n; i++)
    found = found || authrec_is_dmarc(a->strs[i]);
  if (a->status != DQ_ERROR && !found && strcasecmp(org, dj->domain) != 0) {
    snprintf(name, sizeof(name), "_dmarc.%s", org);
    snprintf(where, wsize, "%s", name);
    if ((a = need(dj, name, DQ_TXT)) == NULL) {
      *complete = false;
      return NULL;
    }
  }
  for (size_t i = 0; a->status == DQ_OK && i < a->n; i++)
    if (authrec_is_dmarc(a->strs[i])) {
      *rec = a->strs[i];
      (*nrec)++;
    }
  return a;
}

/* What one check found: its reasons, the worst, the details. */
struct finding {
  const char *reasons[RESULT_MAX_CODES];
  size_t nr;
  enum severity worst;
  char txt[512];
  const char *ok;                 /* the reason when nothing was found */
};

static void
found(struct finding *f, const char *why, enum severity sev)
{
  if (f->nr < RESULT_MAX_CODES)
    f->reasons[f->nr++] = why;
  if (f->worst < sev)
    f->worst = sev;
}

static void
emit_finding(struct domain_job *dj, enum auth_check k, const struct finding *f)
{
  if (f->nr > 0)
    emit(dj->r, k, dj->domain, dj->watchlist, RES_LISTED, f->worst,
         f->reasons, f->nr, f->txt, NULL);
  else
    emit(dj->r, k, dj->domain, dj->watchlist, RES_CLEAN, SEV_GOOD, &f->ok, 1,
         f->txt, NULL);
}

/* The report domains of another organisation (nd of them), the names of
 * their consent records in name; true when doms[i] needs one. */
static bool
consent_name(const struct domain_job *dj, const char *where,
             const char *dom, char *name, size_t size)
{
  if (strcasecmp(org_domain(dom), org_domain(dj->domain)) == 0)
    return false;
  snprintf(name, size, "%.253s._report._dmarc.%.255s",
           where + 7 /* the policy domain, after "_dmarc." */, dom);
  return true;
}

/* Reports to another organisation need its consent (RFC 7489 7.1). */
static void
dmarc_consent(struct domain_job *dj, const char *where, char doms[][256],
              int nd, struct finding *f)
{
  for (int i = 0; i < nd; i++) {
    char name[600];
    if (!consent_name(dj, where, doms[i], name, sizeof(name)))
      continue;
    const struct dq_answer *x = cache_get(dj->r, name, DQ_TXT);
    bool agreed = false;
    for (size_t j = 0; x && x->status == DQ_OK && j < x->n; j++)
      agreed = agreed || authrec_is_dmarc(x->strs[j]);
    size_t o = strlen(f->txt);
    if (x == NULL || x->status == DQ_ERROR) {
      snprintf(f->txt + o, sizeof(f->txt) - o, "; whether %.100s accepts "
               "reports is unknown (DNS error)", doms[i]);
      continue;
    }
    if (!agreed) {
      found(f, R_DMARC_EXT, SEV_WARNING);
      snprintf(f->txt + o, sizeof(f->txt) - o, "; %.100s does not accept "
               "reports for it", doms[i]);
      break;
    }
  }
}

/* A valid record: can mail pass it?  false when that cannot be told
 * (the error is emitted). */
static bool
dmarc_judge(struct domain_job *dj, const struct dmarc_rec *d,
            const char *where, enum verdict spf, enum verdict dkim,
            struct finding *f)
{
  static const char *const spf_words[] = {
    [V_NO] = "does not pass for every address",
    [V_YES] = "passes for every address",
    [V_UNKNOWN] = "not evaluated (no address, or a DNS error)"};
  static const char *const dkim_words[] = {
    [V_NO] = "has no usable key", [V_YES] = "has a usable key",
    [V_UNKNOWN] = "could not be read"};
  /* alignment: rblmon checks MAIL FROM and DKIM d= as the domain
   * itself, which aligns in relaxed and strict mode alike */
  snprintf(f->txt, sizeof(f->txt), "%.100s: p=%s sp=%s adkim=%c aspf=%c "
           "pct=%u%s%.160s%s; SPF %s; DKIM %s; aligned", where, d->p, d->sp,
           d->adkim, d->aspf, d->pct, d->rua[0] ? " rua=" : "", d->rua,
           d->p_defaulted ? " (p= missing or wrong: taken as none)" : "",
           spf_words[spf], dj->nsel ? dkim_words[dkim]
                                    : "selectors not configured");
  bool enforcing = strcasecmp(d->p, "none") != 0;
  if (spf == V_YES || dkim == V_YES)
    return true;
  if (spf == V_NO && (dkim == V_NO || dj->nsel == 0)) {
    found(f, enforcing ? R_DMARC_FAILS : R_DMARC_FAILS_NONE,
          enforcing ? SEV_CRITICAL : SEV_WARNING);
  } else if (dj->n[SPF_TEMPERROR] > 0 || dkim == V_UNKNOWN) {
    emit(dj->r, AUTH_DMARC, dj->domain, dj->watchlist, RES_ERROR, SEV_GOOD,
         NULL, 0, f->txt, "whether mail passes DMARC cannot be told: a DNS "
         "lookup for SPF or DKIM failed");
    return false;
  } else {
    f->ok = R_DMARC_VALID;
  }
  return true;
}

static bool
dmarc_step(struct domain_job *dj, bool emit_now, enum verdict spf,
           enum verdict dkim)
{
  bool complete = true;
  const char *rec;
  size_t nrec;
  char where[300];
  const struct dq_answer *a = dmarc_record(dj, &complete, &rec, &nrec, where,
                                           sizeof(where));
  struct dmarc_rec d;
  bool valid = rec != NULL && nrec == 1 && authrec_dmarc(rec, &d);
  char doms[16][256];
  int nd = 0;
  if (valid) {
    int n1 = authrec_dmarc_domains(d.rua, doms, 8);
    int n2 = authrec_dmarc_domains(d.ruf, doms + (n1 > 0 ? n1 : 0), 8);
    nd = (n1 > 0 ? n1 : 0) + (n2 > 0 ? n2 : 0);
    for (int i = 0; i < nd; i++) {
      char name[600];
      if (consent_name(dj, where, doms[i], name, sizeof(name)) &&
          need(dj, name, DQ_TXT) == NULL)
        complete = false;
    }
  }
  if (!complete || !emit_now)
    return complete;
  if (a->status == DQ_ERROR) {
    char e[200];
    snprintf(e, sizeof(e), "%.150s: %.40s", where, a->error ? a->error : "?");
    emit(dj->r, AUTH_DMARC, dj->domain, dj->watchlist, RES_ERROR, SEV_GOOD,
         NULL, 0, "", e);
    return true;
  }
  struct finding f = {{NULL}, 0, SEV_GOOD, "", R_DMARC_OK};
  char any[1][256];
  if (rec == NULL) {
    found(&f, R_DMARC_NONE, SEV_WARNING);
    snprintf(f.txt, sizeof(f.txt), "no record at _dmarc.%s", dj->domain);
  } else if (!valid) {
    found(&f, R_DMARC_BAD, SEV_CRITICAL);
    snprintf(f.txt, sizeof(f.txt), "%.150s: %.200s", where,
             nrec > 1 ? "more than one DMARC record" : d.error);
  } else if (!dmarc_judge(dj, &d, where, spf, dkim, &f)) {
    return true;
  } else {
    dmarc_consent(dj, where, doms, nd, &f);
    if (authrec_dmarc_domains(d.rua, any, 1) == 0)
      found(&f, R_DMARC_NORUA, SEV_NOTICE);
  }
  emit_finding(dj, AUTH_DMARC, &f);
  return true;
}

static bool
mx_step(struct domain_job *dj, bool emit_now)
{
  const struct dq_answer *mx = need(dj, dj->domain, DQ_MX);
  if (mx == NULL)
    return false;
  bool complete = true;
  size_t hosts = 0, dead = 0, errors = 0;
  char txt[512] = "";
  size_t o = 0;
  bool null_mx = mx->status == DQ_OK && mx->n == 1 && mx->strs[0][0] == '\0';
  if (mx->status == DQ_OK && !null_mx) {
    for (size_t i = 0; i < mx->n && i < 10; i++) {
      if (mx->strs[i][0] == '\0')
        continue;
      const struct dq_answer *a4 = need(dj, mx->strs[i], DQ_A);
      const struct dq_answer *a6 = need(dj, mx->strs[i], DQ_AAAA);
      if (a4 == NULL || a6 == NULL) {
        complete = false;
        continue;
      }
      hosts++;
      bool resolves = (a4->status == DQ_OK && a4->n > 0) ||
                      (a6->status == DQ_OK && a6->n > 0);
      if (!resolves && (a4->status == DQ_ERROR || a6->status == DQ_ERROR))
        errors++; /* not known to be dead */
      else
        dead += !resolves;
      if (o < sizeof(txt))
        o += (size_t)snprintf(txt + o, sizeof(txt) - o, "%s%s%s",
                              o ? " " : "MX ", mx->strs[i],
                              resolves ? "" : " (no address)");
    }
  } else if (mx->status == DQ_NODATA) {
    const struct dq_answer *a4 = need(dj, dj->domain, DQ_A);
    const struct dq_answer *a6 = need(dj, dj->domain, DQ_AAAA);
    if (a4 == NULL || a6 == NULL)
      complete = false;
  }
  if (!complete || !emit_now)
    return complete;
  const char *reason = NULL;
  enum severity sev = SEV_GOOD;
  enum result_status st = RES_LISTED;
  const char *error = NULL;
  if (mx->status == DQ_ERROR) {
    st = RES_ERROR;
    error = mx->error;
  } else if (mx->status == DQ_NXDOMAIN) {
    reason = R_MX_NXDOMAIN;
    sev = SEV_CRITICAL;
  } else if (null_mx) {
    reason = R_MX_NULL;
    sev = SEV_WARNING;
    snprintf(txt, sizeof(txt), "MX 0 .");
  } else if (mx->status == DQ_NODATA &&
             (cache_get(dj->r, dj->domain, DQ_A)->status == DQ_ERROR ||
              cache_get(dj->r, dj->domain, DQ_AAAA)->status == DQ_ERROR)) {
    st = RES_ERROR;
    error = "no MX, and the address lookup of the domain failed";
  } else if (mx->status == DQ_NODATA) {
    const struct dq_answer *a4 = cache_get(dj->r, dj->domain, DQ_A);
    const struct dq_answer *a6 = cache_get(dj->r, dj->domain, DQ_AAAA);
    bool addr = (a4->status == DQ_OK && a4->n) || (a6->status == DQ_OK &&
                                                   a6->n);
    reason = addr ? R_MX_IMPLICIT : R_MX_NONE;
    sev = addr ? SEV_NOTICE : SEV_CRITICAL;
    snprintf(txt, sizeof(txt), "no MX%s", addr ? "; an address record" : "");
  } else if (errors > 0 && dead + errors == hosts) {
    st = RES_ERROR;
    error = "the address lookup of the MX hosts failed";
  } else if (hosts > 0 && dead == hosts) {
    reason = R_MX_DEAD;
    sev = SEV_CRITICAL;
  } else if (dead > 0) {
    reason = R_MX_SOMEDEAD;
    sev = SEV_WARNING;
  } else {
    st = RES_CLEAN;
  }
  emit(dj->r, AUTH_MX, dj->domain, dj->watchlist, st, sev,
       reason ? &reason : NULL, reason ? 1 : 0, txt, error);
  return true;
}

/* Everything of one domain, from the cache; asks for what is missing and
 * emits when all is known. */
static void
domain_compute(struct domain_job *dj)
{
  struct auth_run *r = dj->r;
  bool spf = on(r, AUTH_SPF) || on(r, AUTH_DMARC);
  bool dkim = dj->nsel > 0 && (on(r, AUTH_DKIM) || on(r, AUTH_DMARC));
  bool complete = true;
  enum verdict usable = V_NO;
  if (spf && !spf_progress(dj))
    complete = false;
  if (dkim && !dkim_step(dj, false, &usable))
    complete = false;
  if (on(r, AUTH_DMARC) && !dmarc_step(dj, false, V_NO, V_NO))
    complete = false;
  if (on(r, AUTH_MX) && !mx_step(dj, false))
    complete = false;
  if (!complete && !r->cancelled)
    return;
  dj->done = true;
  if (r->cancelled) { /* the deadline: answers may be cut; not checked */
    for (size_t k = AUTH_SPF; k < AUTH_NCHECKS; k++)
      if (on(r, (enum auth_check)k) && (k != AUTH_DKIM || dj->nsel > 0))
        emit(r, (enum auth_check)k, dj->domain, dj->watchlist, RES_ERROR,
             SEV_GOOD, NULL, 0, "", deadline_text());
  } else {
    const uint64_t *n = dj->n;
    enum verdict spf_v =
      n[SPF_FAIL] + n[SPF_SOFTFAIL] + n[SPF_NEUTRAL] + n[SPF_NONE] +
          n[SPF_PERMERROR] > 0 && !dj->probe_only ? V_NO
      : n[SPF_TEMPERROR] > 0 || dj->probe_only || n[SPF_PASS] == 0
          ? (dj->probe_only && n[SPF_PERMERROR] + n[SPF_NONE] > 0 ? V_NO
                                                                  : V_UNKNOWN)
          : V_YES;
    if (on(r, AUTH_SPF))
      emit_spf(dj);
    if (dkim)
      dkim_step(dj, on(r, AUTH_DKIM), &usable);
    if (on(r, AUTH_DMARC))
      dmarc_step(dj, true, spf_v, usable);
    if (on(r, AUTH_MX))
      mx_step(dj, true);
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
ptr_emit(struct ptr_job *j)
{
  struct auth_run *r = j->r;
  const char *reasons[3];
  size_t nr = 0;
  char txt[512] = "";
  size_t o = 0;
  for (size_t i = 0; i < j->n && o < sizeof(txt); i++)
    o += (size_t)snprintf(txt + o, sizeof(txt) - o, "%s%s%s", i ? " " : "",
                          j->names[i], j->ok[i] ? " (confirmed)"
                                       : j->err[i] ? " (lookup failed)"
                                                   : " (does not resolve back)");
  if (j->status == DQ_ERROR) {
    emit(r, AUTH_PTR, j->target, j->watchlist, RES_ERROR, SEV_GOOD, NULL, 0,
         "", j->error);
    return;
  }
  if (j->status != DQ_OK || j->n == 0) {
    reasons[nr++] = R_NO_PTR;
    emit(r, AUTH_PTR, j->target, j->watchlist, RES_LISTED, SEV_CRITICAL,
         reasons, nr, "no PTR record", NULL);
    return;
  }
  bool confirmed = false, errors = false, generic = false;
  for (size_t i = 0; i < j->n; i++) {
    confirmed = confirmed || j->ok[i];
    errors = errors || j->err[i];
    if (j->ok[i] && authrec_ptr_generic(j->names[i], &j->a))
      generic = true;
  }
  if (!confirmed && errors) {
    emit(r, AUTH_PTR, j->target, j->watchlist, RES_ERROR, SEV_GOOD, NULL, 0,
         txt, "the PTR name could not be looked up");
    return;
  }
  enum severity sev = SEV_WARNING;
  if (!confirmed) {
    reasons[nr++] = R_NOT_FCRDNS;
    sev = SEV_CRITICAL;
    generic = false;
    for (size_t i = 0; i < j->n; i++)
      generic = generic || authrec_ptr_generic(j->names[i], &j->a);
  }
  if (generic)
    reasons[nr++] = R_GENERIC;
  if (nr > 0) {
    emit(r, AUTH_PTR, j->target, j->watchlist, RES_LISTED, sev, reasons, nr,
         txt, NULL);
    return;
  }
  reasons[nr++] = R_PTR_OK;
  emit(r, AUTH_PTR, j->target, j->watchlist, RES_CLEAN, SEV_GOOD, reasons,
       nr, txt, NULL);
}

static void
ptr_done(struct ptr_job *j)
{
  struct auth_run *r = j->r;
  if (r->destroyed) { /* dns_free() at teardown: nothing is reported */
    r->ptr_inflight--;
    free(j);
    return;
  }
  if (r->cancelled && (j->status == DQ_ERROR || j->cut)) {
    j->status = DQ_ERROR;
    snprintf(j->error, sizeof(j->error), "%s", deadline_text());
  }
  ptr_emit(j);
  r->ptr_inflight--;
  free(j);
  ptr_feed(r);
  finish_if_done(r);
}

struct fwd {
  struct ptr_job *j;
  size_t i;
};

static void
on_fwd(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct fwd *f = arg;
  struct ptr_job *j = f->j;
  note_cancel(j->r, status);
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION)
    j->cut = true;
  int type = j->a.kind == TARGET_IP4 ? DQ_A : DQ_AAAA;
  struct dq_answer *a = auth_parse_answer(type, status, abuf, alen, &j->a);
  if (a == NULL || a->status == DQ_ERROR)
    j->err[f->i] = true;
  for (size_t k = 0; a && a->status == DQ_OK && k < a->n; k++)
    if (memcmp(a->addrs[k].b, j->a.b, j->a.kind == TARGET_IP4 ? 4 : 16) == 0)
      j->ok[f->i] = true;
  auth_answer_free(a);
  free(f);
  if (--j->pending == 0)
    ptr_done(j);
}

static void
on_ptr(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct ptr_job *j = arg;
  struct auth_run *r = j->r;
  note_cancel(r, status);
  struct dq_answer *a = auth_parse_answer(DQ_PTR, status, abuf, alen, &j->a);
  if (a == NULL) {
    j->status = DQ_ERROR;
    snprintf(j->error, sizeof(j->error), "out of memory");
  } else {
    j->status = a->status;
    if (a->status == DQ_ERROR)
      snprintf(j->error, sizeof(j->error), "PTR lookup: %s", a->error);
    for (size_t i = 0; a->status == DQ_OK && i < a->n && j->n < 10; i++) {
      bool dup = false; /* c-ares gives the name as an alias too */
      for (size_t k = 0; k < j->n; k++)
        dup = dup || strcmp(j->names[k], a->strs[i]) == 0;
      if (!dup)
        snprintf(j->names[j->n++], sizeof(j->names[0]), "%s", a->strs[i]);
    }
  }
  auth_answer_free(a);
  if (j->n == 0 || r->cancelled) {
    j->cut = j->n > 0;
    ptr_done(j);
    return;
  }
  j->pending = j->n + 1; /* +1: held while sending */
  for (size_t i = 0; i < j->n; i++) {
    struct fwd *f = malloc(sizeof(*f));
    if (f == NULL) {
      j->err[i] = true;
      j->pending--;
      continue;
    }
    f->j = j;
    f->i = i;
    dns_query(r->dns, j->names[i], j->a.kind == TARGET_IP4 ? DQ_A : DQ_AAAA,
              on_fwd, f);
  }
  if (--j->pending == 0)
    ptr_done(j);
}

static bool
next_addr(struct auth_run *r, struct addr *a, const char **wl)
{
  while (r->ti < r->nt) {
    const struct engine_target *t = &r->t[r->ti];
    if (t->spec->kind == TARGET_DOMAIN) {
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
           deadline_text());
      continue;
    }
    struct ptr_job *j = calloc(1, sizeof(*j));
    if (j == NULL) {
      emit(r, AUTH_PTR, name, wl, RES_ERROR, SEV_GOOD, NULL, 0, "",
           "out of memory");
      continue;
    }
    j->r = r;
    j->a = a;
    j->watchlist = wl;
    snprintf(j->target, sizeof(j->target), "%s", name);
    char rev[128];
    spf_reverse_name(&a, rev, sizeof(rev));
    r->ptr_inflight++;
    dns_query(r->dns, rev, DQ_PTR, on_ptr, j);
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
    if (t[i].spec->kind != TARGET_DOMAIN) {
      if (cfg->auth_checks & (1u << AUTH_PTR))
        n += target_count(t[i].spec);
      continue;
    }
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
  r->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                   answer_destroy);
  r->pending = g_hash_table_new(g_str_hash, g_str_equal);
  r->ndoms = domain_targets(t, nt);
  r->doms = calloc(r->ndoms ? r->ndoms : 1, sizeof(*r->doms));
  if (r->doms == NULL) {
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
    dj->r = r;
    dj->domain = t[i].spec->domain;
    dj->watchlist = t[i].watchlist;
    selectors_of(c->cfg, t[i].watchlist, &dj->sel, &dj->nsel);
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
  if (r->cache)
    g_hash_table_destroy(r->cache);
  if (r->pending)
    g_hash_table_destroy(r->pending);
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

/* ---- from_spf ------------------------------------------------------------------ */
struct sync_q {
  struct auth_run *r;
  int type;
  char *key;
  bool done;
};

static void
on_sync(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct sync_q *q = arg;
  struct addr none;
  memset(&none, 0, sizeof(none));
  struct dq_answer *a = auth_parse_answer(q->type, status, abuf, alen, &none);
  if (a == NULL) {
    a = calloc(1, sizeof(*a));
    if (a != NULL) {
      a->status = DQ_ERROR;
      a->error = "out of memory";
    }
  }
  if (a != NULL)
    g_hash_table_replace(q->r->cache, g_strdup(q->key), a);
  q->done = true;
  loop_stop(q->r->loop);
}

#define FROM_SPF_MAX_NETS 256
#define FROM_SPF_MIN_PREFIX4 20   /* larger ranges are not walked */

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

int
auth_from_spf(struct loop *l, struct dns *d, const struct config *cfg,
              from_spf_add add, void *add_arg, uint64_t deadline_ms,
              struct sbuf *report)
{
  uint64_t start = loop_now(l);
  struct auth_run r;
  memset(&r, 0, sizeof(r));
  r.loop = l;
  r.dns = d;
  r.cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                  answer_destroy);
  int outcome = FROM_SPF_OK;
  struct spf_net *nets = calloc(FROM_SPF_MAX_NETS, sizeof(*nets));
  if (nets == NULL) {
    g_hash_table_destroy(r.cache);
    return FROM_SPF_FAILED;
  }
  for (size_t w = 0; cfg->wls && w < cfg->nwatchlists; w++) {
    for (size_t i = 0; i < cfg->wls[w].nfrom_spf; i++) {
      const char *dom = cfg->wls[w].from_spf[i].s;
      struct spf_out o;
      size_t n = 0;
      char notes[512];
      enum spf_result res;
      while ((res = spf_authorized(dom, cache_get, &r, nets,
                                   FROM_SPF_MAX_NETS, &n, notes,
                                   sizeof(notes), &o)) == SPF_NEED) {
        if (deadline_ms > 0 && loop_now(l) - start >= deadline_ms) {
          snprintf(o.why, sizeof(o.why), "the deadline (resolver.deadline) "
                   "was reached");
          res = SPF_TEMPERROR;
          break;
        }
        struct sync_q q = {&r, o.need_type, cache_key(o.need_name,
                                                      o.need_type), false};
        dns_query(d, o.need_name, o.need_type, on_sync, &q);
        while (!q.done)
          loop_run(l);
        g_free(q.key);
      }
      if (res != SPF_PASS) {
        report_line(report, "from_spf %s (watchlist %s): %s; its addresses "
                    "are not checked", dom, cfg->wls[w].name, o.why);
        /* a DNS failure passes; a broken record stays until it is fixed */
        outcome = res == SPF_TEMPERROR ? FROM_SPF_FAILED
                  : outcome == FROM_SPF_OK ? FROM_SPF_PARTIAL : outcome;
        continue;
      }
      if (notes[0] != '\0')
        report_line(report, "from_spf %s: %s", dom, notes);
      if (o.partial && outcome == FROM_SPF_OK)
        outcome = FROM_SPF_PARTIAL;
      for (size_t k = 0; k < n; k++) {
        struct target_spec spec;
        memset(&spec, 0, sizeof(spec));
        spec.kind = nets[k].a.kind;
        spec.base = nets[k].a;
        spec.prefix = nets[k].prefix;
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
                      "from", dom, txt, spec.prefix);
          continue;
        }
        rbl_status st = add(add_arg, &spec, cfg->wls[w].name);
        if (st != RBL_OK) {
          report_line(report, "from_spf %s: %s/%u: %s", dom, txt,
                      spec.prefix, rbl_strerror(st));
          outcome = FROM_SPF_FAILED;
          break;
        }
      }
    }
  }
  free(nets);
  g_hash_table_destroy(r.cache);
  return outcome;
}
