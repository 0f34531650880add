/* dnscache.c - DNS answers parsed into struct dq_answer, and the cycle's
 * cache of them (see dnscache.h). */
#include "dnscache.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <glib.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "loop.h"
#include "util.h"

struct dnscache {
  struct dns *dns;
  GHashTable *answers;            /* key -> struct dq_answer */
  GHashTable *pending;            /* key -> struct fetch */
};

/* ---- DNS answers -------------------------------------------------------------- */
void
dnscache_answer_free(struct dq_answer *a)
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
  dnscache_answer_free(p);
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
    /* c-ares gives the first PTR name as h_name and every one (the
     * first again) as an alias */
    add_str(a, lower_dup(h->h_name));
    for (char **al = h->h_aliases; al && *al && a->n < 10; al++)
      if (al != h->h_aliases || strcasecmp(*al, h->h_name) != 0)
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
dnscache_parse_answer(int type, int status, const unsigned char *abuf,
                      int alen, const struct addr *ptr_of)
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


/* ---- the cache ---------------------------------------------------------------- */
struct waiter {
  dnscache_ready_fn ready;
  void *arg;
  struct waiter *next;
};

struct fetch {
  struct dnscache *c;
  char *key;
  char name[256];
  int type;
  struct waiter *w;
};

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

struct dnscache *
dnscache_new(struct dns *d)
{
  struct dnscache *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->dns = d;
  c->answers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     answer_destroy);
  c->pending = g_hash_table_new(g_str_hash, g_str_equal);
  return c;
}

void
dnscache_free(struct dnscache *c)
{
  if (c == NULL)
    return;
  g_hash_table_destroy(c->answers);
  g_hash_table_destroy(c->pending);
  free(c);
}

const struct dq_answer *
dnscache_lookup(void *arg, const char *name, int type)
{
  struct dnscache *c = arg;
  char *k = cache_key(name, type);
  const struct dq_answer *a = g_hash_table_lookup(c->answers, k);
  g_free(k);
  return a;
}

/* The answer of a lookup that memory ran out for: an error, never a
 * wait for a wake-up nobody will send. */
static const struct dq_answer no_memory = {DQ_ERROR, 0, NULL, NULL,
                                           "out of memory"};

static void
on_fetch(void *arg, int status, const unsigned char *abuf, int alen)
{
  struct fetch *f = arg;
  struct dnscache *c = f->c;
  struct addr none;
  memset(&none, 0, sizeof(none));
  struct dq_answer *a = dnscache_parse_answer(f->type, status, abuf, alen,
                                              &none);
  if (a == NULL && (a = calloc(1, sizeof(*a))) != NULL)
    *a = no_memory; /* cached, so that the waiters do not ask again */
  g_hash_table_steal(c->pending, f->key);
  if (a != NULL)
    g_hash_table_insert(c->answers, f->key, a);
  else
    g_free(f->key);
  for (struct waiter *w = f->w, *next; w != NULL; w = next) {
    next = w->next;
    w->ready(w->arg, status);
    free(w);
  }
  free(f);
}

/* The fetch of key under way, or a new one (NULL: out of memory); key is
 * taken either way. */
static struct fetch *
fetch_of(struct dnscache *c, char *key, const char *name, int type,
         bool *start)
{
  struct fetch *f = g_hash_table_lookup(c->pending, key);
  *start = f == NULL;
  if (!*start) {
    g_free(key);
    return f;
  }
  if ((f = calloc(1, sizeof(*f))) == NULL) {
    g_free(key);
    return NULL;
  }
  f->c = c;
  f->key = key;
  f->type = type;
  snprintf(f->name, sizeof(f->name), "%s", name);
  g_hash_table_insert(c->pending, key, f);
  return f;
}

const struct dq_answer *
dnscache_need(struct dnscache *c, const char *name, int type,
              dnscache_ready_fn ready, void *arg)
{
  char *k = cache_key(name, type);
  const struct dq_answer *a = g_hash_table_lookup(c->answers, k);
  if (a != NULL) {
    g_free(k);
    return a;
  }
  bool start;
  struct fetch *f = fetch_of(c, k, name, type, &start);
  if (f == NULL)
    return &no_memory;
  bool waiting = false;
  for (struct waiter *w = f->w; w && !waiting; w = w->next)
    waiting = w->ready == ready && w->arg == arg;
  struct waiter *w = waiting ? NULL : calloc(1, sizeof(*w));
  if (w != NULL) {
    w->ready = ready;
    w->arg = arg;
    w->next = f->w;
    f->w = w;
  }
  if (start)
    dns_query(c->dns, f->name, type, on_fetch, f); /* f may be gone now */
  return waiting || w != NULL ? NULL : &no_memory;
}
