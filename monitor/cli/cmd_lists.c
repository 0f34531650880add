/* cmd_lists.c - rblmon lists: the catalog, what is selected and why not,
 * and (--probe) each selected list's health through the resolver;
 * gathered here, printed by the reporter of --format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "clock.h"
#include "cycle.h"
#include "dns.h"
#include "report.h"
#include "store.h"

/* Last known health from the state (no queries), by list name. */
struct known {
  struct health_row *h;
  size_t n;
};

static const struct health_row *
known_of(const struct known *k, const char *name)
{
  for (size_t i = 0; i < k->n; i++)
    if (strcmp(k->h[i].source, name) == 0)
      return &k->h[i];
  return NULL;
}

/* Why a catalog entry is or is not used by this configuration. */
static const char *
use_of(const struct app *a, const struct list_def *l, char *buf, size_t size)
{
  for (size_t i = 0; i < a->nlists; i++)
    if (a->lists[i] == l)
      return "selected";
  if (l->defunct) {
    snprintf(buf, size, "defunct since %s",
             l->defunct_since ? l->defunct_since : "?");
    return buf;
  }
  if (l->key_name != NULL && config_list_key(&a->cfg, l) == NULL) {
    snprintf(buf, size, "needs key %s", l->key_name);
    return buf;
  }
  return "-";
}

static size_t
dnsbl_count_in(const struct catalog *cat)
{
  size_t n = 0;
  for (size_t i = 0; i < cat->n; i++)
    n += list_is_dnsbl(cat->lists[i]);
  return n;
}

/* --probe: only the RFC 5782 test points of the selected lists (a
 * feed's health is its file's, read already); -1 when no resolver could
 * be set up or memory ran out (said). */
static int
probe(const struct app *a, struct list_state *states,
      struct feed *const *feeds)
{
  struct loop *loop = NULL;
  struct dns *dns = NULL;
  int rc = -1;
  rbl_status st = RBL_EDNS;
  if (app_engine(a, &loop, &dns) == RBL_EXIT_OK &&
      (st = cycle_probe(a, loop, dns, states)) != RBL_OK)
    fprintf(stderr, "rblmon: %s\n", rbl_strerror(st));
  if (st == RBL_OK) {
    size_t ok = 0, bad = 0;
    for (size_t i = 0; i < a->nlists; i++) {
      if (feeds[i] != NULL)
        states[i].health = feeds[i]->health;
      if (states[i].health == HEALTH_OK)
        ok++;
      else if (states[i].health != HEALTH_UNKNOWN)
        bad++;
    }
    rc = bad == 0 ? RBL_EXIT_OK : ok > 0 ? RBL_EXIT_WARNING
                                         : RBL_EXIT_UNKNOWN;
  }
  dns_free(dns);
  loop_free(loop);
  return rc;
}

/* The feeds of the selected lists, read now (NULL for the others); false
 * when out of memory (said). */
static bool
read_feeds(const struct app *a, struct feed **feeds)
{
  for (size_t i = 0; i < a->nlists; i++)
    if (a->lists[i]->feed != NULL &&
        (feeds[i] = feed_load(a->lists[i], clock_now())) == NULL) {
      fprintf(stderr, "rblmon: out of memory\n");
      return false;
    }
  return true;
}

/* Without --probe, the last health the state knows (if there is a
 * state): read-only, no lock, no query. */
static void
read_known(const struct app *a, struct arena *ar, struct known *known)
{
  struct store *st = app_store_peek(a);
  if (st != NULL) {
    store_health(st, ar, &known->h, &known->n);
    store_close(st);
  }
}

/* The view: the DNSBLs of the table (every entry with --all), the
 * providers, each with what the state or the probe knows of it. */
static bool
gather(const struct app *a, struct arena *ar, const struct list_state *states,
       struct feed *const *feeds, const struct known *known,
       struct lists_view *v)
{
  size_t n = v->all ? a->cat.n : a->nlists, np = a->cfg.nproviders;
  struct lists_row *rows = arena_alloc(ar, (n ? n : 1) * sizeof(*rows));
  struct lists_provider *pr = arena_alloc(ar, (np ? np : 1) * sizeof(*pr));
  if (rows == NULL || pr == NULL)
    return false;
  for (size_t i = 0; i < n; i++) {
    const struct list_def *l = v->all ? a->cat.lists[i] : a->lists[i];
    if (!list_is_dnsbl(l))
      continue; /* below, with the providers */
    char ub[64];
    struct lists_row *r = &rows[v->n++];
    r->list = l;
    if ((r->use = arena_strdup(ar, use_of(a, l, ub, sizeof(ub)))) == NULL)
      return false;
    r->limit = list_daily_limit(l, &r->published);
    r->probed = v->probe && !v->all ? &states[i] : NULL;
    r->feed = v->all ? NULL : feeds[i];
    for (size_t j = 0; j < a->nlists; j++)
      if (a->lists[j] == l) {
        r->feed = feeds[j];
        if (v->probe && v->all)
          r->probed = &states[j];
      }
    if (r->feed != NULL)
      r->probed = NULL; /* the feed's own health says it */
    r->known = known_of(known, l->name);
  }
  for (size_t i = 0; i < np; i++)
    pr[i] = (struct lists_provider){a->cfg.providers[i],
                                    known_of(known,
                                             a->cfg.providers[i]->def.name)};
  v->rows = rows;
  v->providers = pr;
  v->nproviders = np;
  v->nselected = a->nlists;
  v->ncatalog = dnsbl_count_in(&a->cat);
  v->catalog_dir = app_catalog_dir(a);
  return true;
}

int
cmd_lists(struct cli *c)
{
  struct app a;
  struct list_state *states = NULL;
  struct known known = {NULL, 0};
  struct arena ar = ARENA_INIT;
  struct feed **feeds = NULL;
  int rc = cmd_app_load(&a, c, false);
  if (rc != RBL_EXIT_OK)
    goto done;
  if ((feeds = calloc(a.nlists + 1, sizeof(*feeds))) == NULL ||
      !read_feeds(&a, feeds)) {
    rc = RBL_EXIT_UNKNOWN;
    goto done;
  }
  if (c->probe) {
    rc = RBL_EXIT_UNKNOWN;
    states = calloc(a.nlists ? a.nlists : 1, sizeof(*states));
    if (states == NULL || (rc = probe(&a, states, feeds)) < 0) {
      rc = RBL_EXIT_UNKNOWN;
      goto done;
    }
  } else {
    read_known(&a, &ar, &known);
  }
  struct lists_view v;
  memset(&v, 0, sizeof(v));
  v.probe = c->probe;
  v.all = c->all;
  v.show_known = known.n > 0 && !c->all;
  v.exit_code = rc;
  v.now = clock_now();
  if (!gather(&a, &ar, states, feeds, &known, &v)) {
    fprintf(stderr, "rblmon: out of memory\n");
    rc = RBL_EXIT_UNKNOWN;
    goto done;
  }
  c->rep->lists(stdout, &v);
done:
  for (size_t i = 0; feeds != NULL && i < a.nlists; i++)
    feed_free(feeds[i]);
  free(feeds);
  arena_free(&ar);
  free(states);
  app_free(&a);
  return rc;
}
