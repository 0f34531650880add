/* cmd_lists.c - rblmon lists: the catalog, what is selected and why not,
 * and (--probe) each selected list's health through the resolver. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dnsbl.h"
#include "report.h"
#include "store.h"

/* Last known health from the state (no queries), by list name: rows in
 * the command's arena. */
struct known_list {
  struct health_row *k;
  size_t n;
};

static const struct health_row *
known_of(const struct known_list *l, const char *name)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->k[i].source, name) == 0)
      return &l->k[i];
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

/* The reputation providers of the configuration (never asked here: their
 * quotas are for checks), with their last known health. */
static json_t *
providers(const struct app *a, const struct known_list *known, bool json)
{
  json_t *arr = json_array();
  if (a->cfg.nproviders > 0 && !json)
    printf("\n%-20s %-7s %-9s %-9s %-12s %s\n", "PROVIDER", "TARGETS",
           "EVERY", "LIMIT/DAY", "HEALTH", "URL");
  for (size_t i = 0; i < a->cfg.nproviders; i++) {
    const struct provider *p = a->cfg.providers[i];
    const struct health_row *kn = known_of(known, p->def.name);
    char every[24], lim[24] = "-";
    util_format_duration(p->min_interval_ms, every, sizeof(every));
    if (p->daily_limit)
      snprintf(lim, sizeof(lim), "%llu", (unsigned long long)p->daily_limit);
    if (!json) {
      printf("%-20s %-7s %-9s %-9s %-12s %s\n", p->def.name,
             list_type_names[p->def.type], every, lim,
             kn ? kn->health : "-", p->url);
      continue;
    }
    json_t *o = json_pack("{sssssssssIss}", "name", p->def.name, "url", p->url,
                          "targets", list_type_names[p->def.type],
                          "min_interval", every, "min_interval_seconds",
                          (json_int_t)(p->min_interval_ms / 1000), "format",
                          rep_format_names[p->format]);
    json_object_set_new(o, "preset", p->preset ? json_string(p->preset)
                                               : json_null());
    json_object_set_new(o, "daily_limit",
                        p->daily_limit ? json_integer((json_int_t)p->daily_limit)
                                       : json_null());
    json_object_set_new(o, "health", kn ? json_string(kn->health)
                                        : json_null());
    json_array_append_new(arr, o);
  }
  if (a->cfg.nproviders > 0 && !json)
    printf("%zu reputation provider%s (asked by rblmon check only)\n",
           a->cfg.nproviders, a->cfg.nproviders == 1 ? "" : "s");
  return arr;
}

/* --probe: only the RFC 5782 test points of the selected lists; -1 when
 * no resolver could be set up (said). */
static int
probe(const struct app *a, struct list_state *states)
{
  struct loop *loop = NULL;
  struct dns *dns = NULL;
  int rc = -1;
  if (app_engine(a, &loop, &dns) == RBL_EXIT_OK &&
      dnsbl_probe(loop, dns, &a->cfg, a->lists, a->nlists,
                  a->cfg.deadline_ms, states) == RBL_OK) {
    size_t ok = 0, bad = 0;
    for (size_t i = 0; i < a->nlists; i++) {
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

/* Without --probe, the last health the state knows (if there is a
 * state): read-only, no lock, no query. */
static void
read_known(const struct app *a, struct arena *ar, struct known_list *known)
{
  char path[4096], err[512];
  struct store *st = NULL;
  if (a->cfg.state_path != NULL)
    snprintf(path, sizeof(path), "%s", a->cfg.state_path);
  else
    store_default_path(path, sizeof(path));
  if (access(path, R_OK) == 0 &&
      store_open(path, true, 0, &st, err, sizeof(err)) == RBL_OK) {
    store_health(st, ar, &known->k, &known->n);
    store_close(st);
  }
}

/* One row of the table: a list, what it is used for, its limit. */
struct row {
  const struct list_def *l;
  const char *use;
  const char *delist;
  uint64_t limit;
  const struct list_state *st;    /* probed now */
  const struct health_row *kn;         /* from the state */
};

static json_t *
row_json(const struct row *r)
{
  const struct list_def *l = r->l;
  json_t *tags = json_array();
  for (size_t k = 0; k < l->ntags; k++)
    json_array_append_new(tags, json_string(l->tags[k]));
  json_t *o = json_pack("{sssssssssoss}", "name", l->name, "zone", l->zone,
                        "type", list_type_names[l->type], "operator",
                        l->operator_name, "tags", tags, "use", r->use);
  json_object_set_new(o, "title", l->title ? json_string(l->title)
                                           : json_null());
  json_object_set_new(o, "delist", json_string(r->delist));
  json_object_set_new(o, "queries_per_day",
                      l->queries_per_day
                        ? json_integer((json_int_t)l->queries_per_day)
                        : json_null());
  json_object_set_new(o, "daily_limit",
                      r->limit ? json_integer((json_int_t)r->limit)
                               : json_null());
  if (l->defunct)
    json_object_set_new(o, "defunct",
                        json_pack("{ssss}", "since", l->defunct_since,
                                  "reason", l->defunct_reason));
  if (r->st == NULL && r->kn != NULL) { /* from the state: when known */
    char when[32];
    report_time(r->kn->checked_at, when, sizeof(when));
    json_object_set_new(o, "health", json_string(r->kn->health));
    json_object_set_new(o, "health_checked", json_string(when));
  }
  if (r->st != NULL) {
    json_object_set_new(o, "health", json_string(health_names[r->st->health]));
    json_object_set_new(o, "detail", r->st->detail[0]
                                       ? json_string(r->st->detail)
                                       : json_null());
  }
  return o;
}

/* The table's columns: HEALTH (probed or known), USE (--all) or none. */
struct columns {
  bool probe, all, show_known;
};

static int
health_width(const struct columns *k)
{
  return k->probe || k->show_known ? 12 : k->all ? 26 : 0;
}

static void
row_text(const struct row *r, const struct columns *k, const char *lim)
{
  const char *col = r->st ? health_names[r->st->health]
                    : k->probe ? "-"
                    : k->show_known ? (r->kn ? r->kn->health : "-") : r->use;
  printf("%-26s %-36s %-6s %-*s%-9s %s\n", r->l->name, r->l->zone,
         list_type_names[r->l->type], health_width(k),
         k->probe || k->all || k->show_known ? col : "", lim, r->delist);
  if (r->st != NULL && r->st->detail[0] != '\0')
    printf("  %s\n", r->st->detail);
}

/* The DNSBLs, as a table or into arr; true when a limit is rblmon's own
 * fair-use ceiling. */
static bool
print_lists(const struct app *a, const struct columns *k, bool json,
            const struct list_state *states, const struct known_list *known,
            json_t *arr)
{
  bool fair_use = false;
  size_t n = k->all ? a->cat.n : a->nlists;
  if (!json)
    printf("%-26s %-36s %-6s %-*s%-9s %s\n", "NAME", "ZONE", "TYPE",
           health_width(k),
           k->probe || k->show_known ? "HEALTH" : k->all ? "USE" : "",
           "LIMIT/DAY", "DELIST");
  for (size_t i = 0; i < n; i++) {
    const struct list_def *l = k->all ? a->cat.lists[i] : a->lists[i];
    if (!list_is_dnsbl(l))
      continue; /* below, with the providers */
    char d[512], ub[64], lim[24] = "-";
    struct row r = {l, use_of(a, l, ub, sizeof(ub)), d, 0,
                    k->probe && !k->all ? &states[i] : NULL,
                    known_of(known, l->name)};
    report_delist_str(l, d, sizeof(d));
    bool published;
    r.limit = list_daily_limit(l, &published);
    if (r.limit > 0)
      snprintf(lim, sizeof(lim), "%llu%s", (unsigned long long)r.limit,
               published ? "" : "*");
    fair_use = fair_use || (r.limit > 0 && !published);
    for (size_t j = 0; k->probe && k->all && j < a->nlists; j++)
      if (a->lists[j] == l)
        r.st = &states[j];
    if (json)
      json_array_append_new(arr, row_json(&r));
    else
      row_text(&r, k, lim);
  }
  return fair_use;
}

int
cmd_lists(struct cli *c)
{
  const char *fmt = c->format ? c->format : "text";
  bool json = strcmp(fmt, "json") == 0;
  if (!json && strcmp(fmt, "text") != 0) {
    fprintf(stderr, "rblmon: lists: format must be text or json\n");
    return RBL_EXIT_UNKNOWN;
  }
  if (c->nargs > 0) {
    fprintf(stderr, "rblmon: lists takes no arguments; see rblmon lists "
            "--help\n");
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  struct list_state *states = NULL;
  struct known_list known = {0};
  struct arena ar = ARENA_INIT;
  int rc = cmd_app_load(&a, c, false);
  if (rc != RBL_EXIT_OK)
    goto done;
  if (c->probe) {
    rc = RBL_EXIT_UNKNOWN;
    states = calloc(a.nlists ? a.nlists : 1, sizeof(*states));
    if (states == NULL || (rc = probe(&a, states)) < 0) {
      rc = RBL_EXIT_UNKNOWN;
      goto done;
    }
  } else {
    read_known(&a, &ar, &known);
  }
  struct columns k = {c->probe, c->all, known.n > 0 && !c->all};
  json_t *arr = json_array();
  bool fair_use = print_lists(&a, &k, json, states, &known, arr);
  if (json) {
    json_t *top = json_pack("{soso}", "lists", arr, "providers",
                            providers(&a, &known, true));
    if (c->probe)
      json_object_set_new(top, "status", json_string(report_exit_name(rc)));
    json_dumpf(top, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(top);
  } else {
    json_decref(arr);
    if (fair_use)
      printf("* no published limit: rblmon keeps to %d queries a day "
             "(fair use)\n", LIST_FAIR_USE_PER_DAY);
    printf("%zu list%s selected, %zu in the catalog (%s)%s\n", a.nlists,
           a.nlists == 1 ? "" : "s", dnsbl_count_in(&a.cat),
           app_catalog_dir(&a), c->all ? "" : "; --all shows every entry");
    json_decref(providers(&a, &known, false));
  }
done:
  arena_free(&ar);
  free(states);
  app_free(&a);
  return rc;
}
