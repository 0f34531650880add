#include "config.h"

#include "authsource.h"

#include <arpa/inet.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


void
config_init(struct config *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->timeout_ms = 2000;
  cfg->tries = 2;
  cfg->deadline_ms = 600000;
  cfg->max_inflight = 100;
  cfg->remind_every_ms = 24 * 3600000ULL;
  cfg->remind_after_request_ms = 72 * 3600000ULL;
  cfg->remind_window_ms = 24 * 3600000ULL;
  cfg->retention_ms = 400 * 86400000ULL;
  cfg->lock_wait_ms = 60000;
  cfg->hook_timeout_ms = 10000;
  cfg->spike = 10;
  static const uint64_t sched_defaults[] = {
    3600000, 3600000, 6 * 3600000, 300000, 3600000, 60000};
  memcpy(cfg->sched_ms, sched_defaults, sizeof(sched_defaults));
  cfg->jitter_ms = 300000;
}

void
config_free(struct config *cfg)
{
  if (cfg == NULL)
    return;
  for (size_t i = 0; i < cfg->nproviders; i++)
    provider_free(cfg->providers[i]);
  free(cfg->items);
  if (cfg->item_index != NULL)
    g_hash_table_destroy(cfg->item_index);
  arena_free(&cfg->arena);
  memset(cfg, 0, sizeof(*cfg));
}

/* ---- helpers ----------------------------------------------------------- */
static struct cfg_ref *
ref_append(struct yctx *c, struct cfg_ref **arr, size_t *n, struct ynode *v)
{
  struct cfg_ref *p = arena_alloc(c->arena, (*n + 1) * sizeof(*p));
  if (p == NULL)
    return NULL;
  if (*n)
    memcpy(p, *arr, *n * sizeof(*p));
  p[*n] = (struct cfg_ref){v->str, v->line, v->col};
  *arr = p;
  return &p[(*n)++];
}

/* ---- watchlists -------------------------------------------------------- */
/* The item index: a target's first item, and whether a watchlist has it
 * (100,000 targets are looked up in constant time, not against each
 * other). */
static char *
item_key(const struct target_spec *spec, const char *watchlist)
{
  char s[TARGET_NAME_MAX + 8];
  target_spec_str(spec, s, sizeof(s));
  return watchlist ? g_strdup_printf("%s\n%s", s, watchlist) : g_strdup(s);
}

static size_t
item_find(const struct config *cfg, const struct target_spec *spec,
          const char *watchlist)
{
  if (cfg->item_index == NULL)
    return 0;
  char *k = item_key(spec, watchlist);
  size_t i = GPOINTER_TO_SIZE(g_hash_table_lookup(cfg->item_index, k));
  g_free(k);
  return i;
}

/* Appends an item and indexes it. */
static rbl_status
item_add(struct config *cfg, const struct watch_item *it)
{
  /* what DNS would ask: wider ranges go to the feeds only */
  uint64_t n = target_dns_checkable(&it->spec) ? target_count(&it->spec) : 0;
  if (cfg->nitems >= CFG_MAX_TARGETS ||
      cfg->naddresses + n > CFG_MAX_ADDRESSES)
    return RBL_ETOOBIG;
  if (cfg->item_index == NULL)
    cfg->item_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            NULL);
  if (cfg->nitems == cfg->capitems) {
    size_t cap = cfg->capitems ? cfg->capitems * 2 : 16;
    struct watch_item *p = realloc(cfg->items, cap * sizeof(*p));
    if (p == NULL)
      return RBL_ENOMEM;
    cfg->items = p;
    cfg->capitems = cap;
  }
  cfg->items[cfg->nitems++] = *it;
  cfg->naddresses += n;
  gpointer idx = GSIZE_TO_POINTER(cfg->nitems);
  char *k = item_key(&it->spec, NULL);
  if (g_hash_table_contains(cfg->item_index, k))
    g_free(k);
  else
    g_hash_table_insert(cfg->item_index, k, idx);
  g_hash_table_insert(cfg->item_index, item_key(&it->spec, it->watchlist),
                      idx);
  return RBL_OK;
}

struct wl_parse {
  struct config *cfg;
  const char *name;
  struct cfg_watchlist *wl;
};

/* The watchlist key each kind of target goes under, by target_kind. */
static const char *const target_section[] = {"ips", "ips", "domains",
                                             "emails"};
static const char *const target_what[] = {"an IP address or range",
                                          "an IP address or range",
                                          "a domain", "an e-mail address"};

static void
add_target(struct yctx *c, struct ynode *v, void *obj, enum target_kind want)
{
  struct wl_parse *w = obj;
  struct config *cfg = w->cfg;
  struct target_spec spec;
  char err[320];
  if (target_parse(v->str, &spec, err, sizeof(err)) != RBL_OK) {
    yerror(c, v, "%s", err);
    return;
  }
  if (strcmp(target_section[want], target_section[spec.kind]) != 0) {
    yerror(c, v, "'%.64s' is %s; put it under %s:, not %s:", v->str,
           target_what[spec.kind], target_section[spec.kind],
           target_section[want]);
    return;
  }
  size_t dup = item_find(cfg, &spec, NULL);
  if (dup > 0) {
    const struct watch_item *o = &cfg->items[dup - 1];
    yerror(c, v, "duplicate target '%.64s' (already in watchlist '%s' at "
           "line %u)", v->str, o->watchlist, o->line);
    return;
  }
  struct watch_item it = {spec, w->name ? w->name : "", v->line, v->col};
  rbl_status st = item_add(cfg, &it);
  /* past a limit, the first target says so once for all that follow */
  if (st == RBL_ETOOBIG && cfg->over_limit)
    return;
  if (st == RBL_ETOOBIG && cfg->nitems >= CFG_MAX_TARGETS)
    yerror(c, v, "more than %d targets: this one and every one after it "
           "are not read; split the watchlists over several "
           "configurations", CFG_MAX_TARGETS);
  else if (st == RBL_ETOOBIG)
    yerror(c, v, "with '%.64s' the watchlists hold more than %u addresses, "
           "more than one machine should query address by address: check "
           "a network this large against a list's data feed (this target "
           "and those after it are not read)", v->str, CFG_MAX_ADDRESSES);
  else if (st != RBL_OK)
    yerror(c, v, "out of memory");
  cfg->over_limit = st == RBL_ETOOBIG;
}

static void
add_ip(struct yctx *c, struct ynode *v, void *obj)
{
  add_target(c, v, obj, TARGET_IP4);
}

static void
add_domain(struct yctx *c, struct ynode *v, void *obj)
{
  add_target(c, v, obj, TARGET_DOMAIN);
}

static void
add_email(struct yctx *c, struct ynode *v, void *obj)
{
  add_target(c, v, obj, TARGET_EMAIL);
}

static void
check_spf_domain(struct yctx *c, struct ynode *v, void *obj)
{
  struct wl_parse *w = obj;
  if (!target_domain_valid(v->str)) {
    yerror(c, v, "from_spf: '%.64s' is not a domain", v->str);
    return;
  }
  if (w->wl != NULL)
    ref_append(c, &w->wl->from_spf, &w->wl->nfrom_spf, v);
}

/* A DKIM selector: labels of letters, digits, '-' and '_'. */
static bool
selector_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > 63 * 2 || s[0] == '.' || s[n - 1] == '.' ||
      strstr(s, "..") != NULL)
    return false;
  for (const char *l = s; *l;) { /* each label: a DNS label */
    size_t len = strcspn(l, ".");
    if (len > 63)
      return false;
    l += len + (l[len] == '.');
  }
  return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789-_.") == n;
}

static void
add_selector(struct yctx *c, struct ynode *v, const char ***arr, size_t *n)
{
  if (!selector_ok(v->str)) {
    yerror(c, v, "'%.64s' is not a DKIM selector (letters, digits, '-', "
           "'_', dots between labels)", v->str);
    return;
  }
  const char **p = arena_alloc(c->arena, (*n + 1) * sizeof(*p));
  if (p == NULL)
    return;
  if (*n)
    memcpy(p, *arr, *n * sizeof(*p));
  p[(*n)++] = v->str;
  *arr = p;
}

static void
add_wl_selector(struct yctx *c, struct ynode *v, void *obj)
{
  struct wl_parse *w = obj;
  if (w->wl != NULL)
    add_selector(c, v, &w->wl->dkim, &w->wl->ndkim);
}

static void
wl_dkim(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_wl_selector, obj, "dkim_selectors");
}

static void
wl_name(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct wl_parse *)obj)->name, "watchlist name");
}

static void
wl_ips(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_ip, obj, "ips");
}

static void
wl_domains(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_domain, obj, "domains");
}

static void
wl_emails(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_email, obj, "emails");
}

static void
wl_from_spf(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, check_spf_domain, obj, "from_spf");
}

static void
wl_labels(struct yctx *c, struct ynode *v, void *obj)
{
  (void)obj;
  if (!ydoc_kind(c, v, Y_MAP, "labels"))
    return;
  for (size_t i = 0; i < v->n; i++)
    ydoc_kind(c, v->items[2 * i + 1], Y_SCALAR, "a label value");
}

static const struct yfield wl_fields[] = {
  {"name", wl_name, true},
  {"labels", wl_labels, false},
  {"ips", wl_ips, false},
  {"domains", wl_domains, false},
  {"emails", wl_emails, false},
  {"from_spf", wl_from_spf, false},
  {"dkim_selectors", wl_dkim, false},
};

static void
f_watchlists(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  if (!ydoc_kind(c, v, Y_SEQ, "watchlists"))
    return;
  cfg->wls = arena_alloc(c->arena, (v->n ? v->n : 1) * sizeof(*cfg->wls));
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *m = v->items[i];
    struct wl_parse w = {cfg, NULL, cfg->wls ? &cfg->wls[i] : NULL};
    /* The name first, so targets can be attributed to it. */
    if (m->kind == Y_MAP)
      for (size_t k = 0; k < m->n; k++)
        if (m->items[2 * k]->kind == Y_SCALAR &&
            strcmp(m->items[2 * k]->str, "name") == 0 &&
            m->items[2 * k + 1]->kind == Y_SCALAR)
          w.name = m->items[2 * k + 1]->str;
    for (size_t j = 0; j < i && w.name; j++) {
      struct ynode *o = v->items[j];
      for (size_t k = 0; o->kind == Y_MAP && k < o->n; k++) {
        struct ynode *key = o->items[2 * k], *val = o->items[2 * k + 1];
        if (key->kind == Y_SCALAR && val->kind == Y_SCALAR &&
            strcmp(key->str, "name") == 0 && strcmp(val->str, w.name) == 0)
          yerror(c, m, "duplicate watchlist name '%s'", w.name);
      }
    }
    if (w.wl != NULL)
      w.wl->name = w.name ? w.name : "";
    ydoc_map(c, m, wl_fields, UTIL_ARRAY_LEN(wl_fields), &w, "a watchlist");
    cfg->nwatchlists++;
  }
}

/* ---- lists ------------------------------------------------------------- */
static void
add_use(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  ref_append(c, &cfg->use, &cfg->nuse, v);
}

static void
add_exclude(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  ref_append(c, &cfg->exclude, &cfg->nexclude, v);
}

static void
l_use(struct yctx *c, struct ynode *v, void *obj)
{
  ((struct config *)obj)->use_given = true;
  ydoc_each(c, v, add_use, obj, "lists.use");
}

static void
l_exclude(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_exclude, obj, "lists.exclude");
}

static void
l_keys(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  if (!ydoc_kind(c, v, Y_MAP, "lists.keys"))
    return;
  cfg->keys = arena_alloc(c->arena, (v->n ? v->n : 1) * sizeof(*cfg->keys));
  if (cfg->keys == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    const char *s;
    if (!ydoc_str(c, val, &s, "a list key"))
      continue;
    cfg->keys[cfg->nkeys++] = (struct cfg_key){k->str, s, val->line, val->col};
  }
}

static void
l_custom(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  if (!ydoc_kind(c, v, Y_SEQ, "lists.custom"))
    return;
  cfg->custom = arena_alloc(c->arena, (v->n ? v->n : 1) * sizeof(*cfg->custom));
  if (cfg->custom == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct list_def *d = catalog_parse_entry(c, v->items[i], "custom", true);
    if (d == NULL)
      continue;
    cfg->custom[cfg->ncustom++] = d;
  }
}

static void
l_feeds(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  if (!ydoc_kind(c, v, Y_MAP, "lists.feeds"))
    return;
  cfg->feeds = arena_alloc(c->arena, (v->n ? v->n : 1) * sizeof(*cfg->feeds));
  if (cfg->feeds == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    struct feed_def *f = feed_def_parse(c, val, k->str, c->file);
    if (f != NULL) {
      f->line = k->line;
      f->col = k->col;
      cfg->feeds[cfg->nfeeds++] = f;
    }
  }
}

static const struct yfield lists_fields[] = {
  {"use", l_use, false},
  {"exclude", l_exclude, false},
  {"keys", l_keys, false},
  {"custom", l_custom, false},
  {"feeds", l_feeds, false},
};

static void
f_lists(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, lists_fields, UTIL_ARRAY_LEN(lists_fields), obj, "lists");
}

static void
f_catalog(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct config *)obj)->catalog_dir, "catalog");
}

/* ---- resolver ---------------------------------------------------------- */
static void
add_server(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  char host[64];
  uint64_t port = 53;
  const char *s = v->str;
  const char *colon = strrchr(s, ':');
  struct in6_addr a6;
  struct in_addr a4;
  char out[80];
  if (s[0] == '[') {
    const char *end = strchr(s, ']');
    if (end == NULL || (size_t)(end - s - 1) >= sizeof(host) ||
        (end[1] != '\0' && end[1] != ':')) {
      yerror(c, v, "resolver server '%.64s': expected [IPv6]:port", s);
      return;
    }
    memcpy(host, s + 1, (size_t)(end - s - 1));
    host[end - s - 1] = '\0';
    if (end[1] == ':' && util_parse_u64(end + 2, 65535, &port) != RBL_OK)
      port = 0;
  } else if (colon != NULL && strchr(s, ':') == colon) { /* v4:port */
    if ((size_t)(colon - s) >= sizeof(host)) {
      yerror(c, v, "resolver server '%.64s' is not an IP address", s);
      return;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (util_parse_u64(colon + 1, 65535, &port) != RBL_OK)
      port = 0;
  } else {
    snprintf(host, sizeof(host), "%s", s);
  }
  if (port == 0) {
    yerror(c, v, "resolver server '%.64s': port must be 1-65535", s);
    return;
  }
  if (inet_pton(AF_INET, host, &a4) == 1)
    snprintf(out, sizeof(out), "%s:%u", host, (unsigned)port);
  else if (inet_pton(AF_INET6, host, &a6) == 1)
    snprintf(out, sizeof(out), "[%s]:%u", host, (unsigned)port);
  else {
    yerror(c, v, "resolver server '%.64s' must be an IP address, optionally "
           "with :port (IPv6 as [addr]:port)", s);
    return;
  }
  size_t len = strlen(cfg->servers_csv);
  if (len + strlen(out) + 2 > sizeof(cfg->servers_csv)) {
    yerror(c, v, "too many resolver servers");
    return;
  }
  snprintf(cfg->servers_csv + len, sizeof(cfg->servers_csv) - len, "%s%s",
           len ? "," : "", out);
}

static void
r_servers(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_server, obj, "resolver.servers");
}

static void
r_timeout(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 100, 60000, &((struct config *)obj)->timeout_ms,
                "resolver.timeout");
}

static void
r_tries(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 1, 10, &((struct config *)obj)->tries, "resolver.tries");
}

static void
r_deadline(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 1000, 86400000, &((struct config *)obj)->deadline_ms,
                "resolver.deadline");
}

static void
r_inflight(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 1, 10000, &((struct config *)obj)->max_inflight,
           "resolver.max_inflight");
}

static const struct yfield resolver_fields[] = {
  {"servers", r_servers, false},
  {"timeout", r_timeout, false},
  {"tries", r_tries, false},
  {"deadline", r_deadline, false},
  {"max_inflight", r_inflight, false},
};

static void
f_resolver(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, resolver_fields, UTIL_ARRAY_LEN(resolver_fields), obj,
           "resolver");
}

/* ---- auth: sender authentication checks (auth.c) ----------------------- */
static void
add_auth_check(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  int k;
  if (ydoc_enum(c, v, auth_check_names, &k, "auth.checks"))
    cfg->auth_checks |= 1u << k;
}

static void
au_checks(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  cfg->auth_checks = 0;
  ydoc_each(c, v, add_auth_check, obj, "auth.checks");
  if (v->kind == Y_SEQ && v->n == 0)
    yerror(c, v, "auth.checks: name at least one of ptr, spf, dmarc, dkim, "
           "mx (or remove the auth section)");
}

static void
add_auth_selector(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  add_selector(c, v, &cfg->dkim_selectors, &cfg->ndkim);
}

static void
au_dkim(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_auth_selector, obj, "auth.dkim_selectors");
}

static const struct yfield auth_fields[] = {
  {"checks", au_checks, false},
  {"dkim_selectors", au_dkim, false},
};

static void
f_auth(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  cfg->auth_on = true;
  cfg->auth_checks = AUTH_ALL;
  ydoc_map(c, v, auth_fields, UTIL_ARRAY_LEN(auth_fields), obj, "auth");
}

/* ---- reputation: provider.c ------------------------------------------- */
static void
f_reputation(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  provider_parse_all(c, v, &cfg->providers, &cfg->nproviders);
}

static void
add_log_file(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  const char **p = arena_alloc(c->arena, (cfg->nlog_files + 1) * sizeof(*p));
  if (p == NULL)
    return;
  if (cfg->nlog_files)
    memcpy(p, cfg->log_files, cfg->nlog_files * sizeof(*p));
  p[cfg->nlog_files++] = v->str;
  cfg->log_files = p;
}

static void
lg_files(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_each(c, v, add_log_file, obj, "logs.files");
}

static void
lg_rules(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct config *)obj)->log_rules, "logs.rules");
}

static const struct yfield logs_fields[] = {
  {"files", lg_files, false}, {"format", NULL, false}, {"since", NULL, false},
  {"our_ips", NULL, false}, {"rules", lg_rules, false},
};

static void
f_logs(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, logs_fields, UTIL_ARRAY_LEN(logs_fields), obj, "logs");
}

static void
sched_interval(struct yctx *c, struct ynode *v, void *obj, int job,
               const char *what)
{
  struct config *cfg = obj;
  if (v->kind == Y_SCALAR && strcmp(v->str, "off") == 0) {
    cfg->sched_ms[job] = 0;
    return;
  }
  ydoc_duration(c, v, 60000, 30 * 86400000ULL, &cfg->sched_ms[job], what);
}

static void
sc_dnsbl(struct yctx *c, struct ynode *v, void *obj)
{
  sched_interval(c, v, obj, 0, "schedule.dnsbl");
}

static void
sc_reputation(struct yctx *c, struct ynode *v, void *obj)
{
  sched_interval(c, v, obj, 1, "schedule.reputation");
}

static void
sc_auth(struct yctx *c, struct ynode *v, void *obj)
{
  sched_interval(c, v, obj, 2, "schedule.auth");
}

static void
sc_logs(struct yctx *c, struct ynode *v, void *obj)
{
  sched_interval(c, v, obj, 3, "schedule.logs");
}

static void
sc_reminders(struct yctx *c, struct ynode *v, void *obj)
{
  sched_interval(c, v, obj, 4, "schedule.reminders");
}

static void
sc_feeds(struct yctx *c, struct ynode *v, void *obj)
{
  sched_interval(c, v, obj, 5, "schedule.feeds");
}

static void
sc_jitter(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 0, 86400000ULL, &((struct config *)obj)->jitter_ms,
                "schedule.jitter");
}

static const struct yfield schedule_fields[] = {
  {"dnsbl", sc_dnsbl, false}, {"reputation", sc_reputation, false},
  {"auth", sc_auth, false}, {"logs", sc_logs, false},
  {"reminders", sc_reminders, false}, {"feeds", sc_feeds, false},
  {"jitter", sc_jitter, false},
};

static void
f_schedule(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, schedule_fields, UTIL_ARRAY_LEN(schedule_fields), obj,
           "schedule");
}

/* Event names for notify.<channel>.events (bit n = name n). */
const char *const notify_event_names[] = {"listed", "delisted", "reminder",
                                          "health", "spike", NULL};

struct chan_parse {
  struct config *cfg;
  bool *on;
  unsigned *events;
  bool is_command;
};

static void
ch_enabled(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_bool(c, v, ((struct chan_parse *)obj)->on, "enabled");
}

static void
add_event(struct yctx *c, struct ynode *v, void *obj)
{
  int i;
  if (ydoc_enum(c, v, notify_event_names, &i, "an event"))
    *((struct chan_parse *)obj)->events |= 1u << i;
}

static void
ch_events(struct yctx *c, struct ynode *v, void *obj)
{
  *((struct chan_parse *)obj)->events = 0;
  ydoc_each(c, v, add_event, obj, "events");
}

static void
ch_argv(struct yctx *c, struct ynode *v, void *obj)
{
  struct chan_parse *p = obj;
  if (!p->is_command) {
    yerror(c, v, "argv belongs to notify.command");
    return;
  }
  if (!ydoc_kind(c, v, Y_SEQ, "notify.command.argv"))
    return;
  if (v->n == 0) {
    yerror(c, v, "notify.command.argv needs at least the program");
    return;
  }
  const char **argv = arena_alloc(c->arena, (v->n + 1) * sizeof(*argv));
  if (argv == NULL)
    return;
  for (size_t i = 0; i < v->n; i++)
    if (!ydoc_str(c, v->items[i], &argv[i], "an argument"))
      return;
  if (argv[0][0] != '/') {
    yerror(c, v->items[0], "notify.command.argv: the program must be an "
           "absolute path (it is run without a shell or PATH search)");
    return;
  }
  p->cfg->hook_argv = argv;
}

static void
ch_timeout(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 100, 600000,
                &((struct chan_parse *)obj)->cfg->hook_timeout_ms,
                "notify.command.timeout");
}

static const struct yfield channel_fields[] = {
  {"enabled", ch_enabled, false}, {"events", ch_events, false},
  {"argv", ch_argv, false}, {"timeout", ch_timeout, false},
};

static void
channel(struct yctx *c, struct ynode *v, struct chan_parse *p,
        const char *what)
{
  *p->on = true;
  *p->events = ~0u;
  ydoc_map(c, v, channel_fields, UTIL_ARRAY_LEN(channel_fields), p, what);
}

static void
n_desktop(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  struct chan_parse p = {cfg, &cfg->desktop.on, &cfg->desktop.events, false};
  channel(c, v, &p, "notify.desktop");
}

static void
n_command(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  struct chan_parse p = {cfg, &cfg->command.on, &cfg->command.events, true};
  channel(c, v, &p, "notify.command");
  if (cfg->command.on && cfg->hook_argv == NULL)
    yerror(c, v, "notify.command needs argv: [/path/to/program, args...]");
}

static void
n_stdout(struct yctx *c, struct ynode *v, void *obj)
{
  bool on;
  unsigned ev;
  struct chan_parse p = {obj, &on, &ev, false};
  channel(c, v, &p, "notify.stdout");
}

static void
n_spike(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 1, 1000000, &((struct config *)obj)->spike, "notify.spike");
}

static const struct yfield notify_fields[] = {
  {"desktop", n_desktop, false}, {"command", n_command, false},
  {"stdout", n_stdout, false}, {"spike", n_spike, false},
};

static void
f_notify(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, notify_fields, UTIL_ARRAY_LEN(notify_fields), obj, "notify");
}

static void
rm_every(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 60000, 366 * 86400000ULL,
                &((struct config *)obj)->remind_every_ms, "remind.every");
}

static void
rm_after(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 60000, 366 * 86400000ULL,
                &((struct config *)obj)->remind_after_request_ms,
                "remind.after_request");
}

static void
rm_window(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 0, 30 * 86400000ULL,
                &((struct config *)obj)->remind_window_ms, "remind.window");
}

static const struct yfield remind_fields[] = {
  {"every", rm_every, false},
  {"after_request", rm_after, false},
  {"window", rm_window, false},
};

static void
f_remind(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, remind_fields, UTIL_ARRAY_LEN(remind_fields), obj, "remind");
}

static void
st_path(struct yctx *c, struct ynode *v, void *obj)
{
  struct config *cfg = obj;
  if (!ydoc_str(c, v, &cfg->state_path, "state.path"))
    return;
  /* the lock, the log and the temporary file add their suffixes to it */
  if (v->len + 16 >= PATH_MAX) {
    yerror(c, v, "state.path is %zu characters long, more than the %d a "
           "path may have here: choose a shorter one", v->len,
           PATH_MAX - 16);
    cfg->state_path = NULL;
  }
}

static void
st_retention(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 86400000, 3650 * 86400000ULL,
                &((struct config *)obj)->retention_ms, "state.retention");
}

static void
st_lock_wait(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 0, 3600000, &((struct config *)obj)->lock_wait_ms,
                "state.lock_wait");
}

static const struct yfield state_fields[] = {
  {"path", st_path, false},
  {"retention", st_retention, false},
  {"lock_wait", st_lock_wait, false},
};

static void
f_state(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, state_fields, UTIL_ARRAY_LEN(state_fields), obj, "state");
}

static void
f_version(struct yctx *c, struct ynode *v, void *obj)
{
  (void)obj;
  uint64_t ver;
  ydoc_u64(c, v, 1, 1, &ver, "version");
}

static const struct yfield top_fields[] = {
  {"version", f_version, false},
  {"catalog", f_catalog, false},
  {"watchlists", f_watchlists, false},
  {"lists", f_lists, false},
  {"resolver", f_resolver, false},
  {"reputation", f_reputation, false},
  {"auth", f_auth, false},
  {"logs", f_logs, false},
  {"schedule", f_schedule, false},
  {"notify", f_notify, false},
  {"remind", f_remind, false},
  {"state", f_state, false},
};

/* A relative path in the file is relative to the file's directory. */
static const char *
relative_to(struct arena *a, const char *file, const char *path)
{
  const char *slash = strrchr(file, '/');
  if (path == NULL || path[0] == '/' || slash == NULL)
    return path;
  return arena_printf(a, "%.*s/%s", (int)(slash - file), file, path);
}

static rbl_status
config_walk(struct config *cfg, struct ydoc *doc, const char *name,
            struct diag *d, unsigned before)
{
  cfg->path = arena_strdup(&cfg->arena, name);
  struct yctx c = {cfg->path, d, &cfg->arena};
  if (doc->root != NULL && !ydoc_is_null(doc->root))
    ydoc_map(&c, doc->root, top_fields, UTIL_ARRAY_LEN(top_fields), cfg,
             "the configuration");
  arena_merge(&cfg->arena, &doc->arena);
  cfg->catalog_dir = relative_to(&cfg->arena, cfg->path, cfg->catalog_dir);
  cfg->state_path = relative_to(&cfg->arena, cfg->path, cfg->state_path);
  cfg->log_rules = relative_to(&cfg->arena, cfg->path, cfg->log_rules);
  for (size_t i = 0; i < cfg->nlog_files; i++)
    cfg->log_files[i] = relative_to(&cfg->arena, cfg->path, cfg->log_files[i]);
  return d->errors == before ? RBL_OK : RBL_ECONFIG;
}

rbl_status
config_load_string(struct config *cfg, const char *name, const char *text,
                   size_t len, struct diag *d)
{
  struct ydoc doc;
  unsigned before = d->errors;
  rbl_status st = ydoc_load_string(&doc, name, text, len, d);
  if (st == RBL_OK)
    st = config_walk(cfg, &doc, name, d, before);
  ydoc_free(&doc);
  return st;
}

rbl_status
config_load(struct config *cfg, const char *path, struct diag *d)
{
  struct ydoc doc;
  unsigned before = d->errors;
  rbl_status st = ydoc_load_file(&doc, path, d);
  cfg->file_st = doc.st;
  cfg->have_file_st = doc.have_st;
  if (st == RBL_OK)
    st = config_walk(cfg, &doc, path, d, before);
  ydoc_free(&doc);
  return st;
}

rbl_status
config_check_owner(const struct config *cfg, const char *path,
                   struct diag *d)
{
  if (!cfg->have_file_st) {
    diag_error(d, path, 0, 0, "cannot tell who may change this file; "
               "rblmon reads only a configuration it can check");
    return RBL_ECONFIG;
  }
  const struct stat *st = &cfg->file_st;
  unsigned mode = (unsigned)(st->st_mode & 07777), before = d->errors;
  if (st->st_mode & S_IWOTH)
    diag_error(d, path, 0, 0, "writable by every user (mode %04o): anyone "
               "could change what rblmon asks, where its state goes and what "
               "it runs; run chmod o-w %s", mode, path);
  else if (geteuid() == 0 && st->st_uid != 0)
    diag_error(d, path, 0, 0, "owned by uid %u, but rblmon runs as root: "
               "that user could make it run commands, read or write files as "
               "root; chown root %s, or run rblmon as that user",
               (unsigned)st->st_uid, path);
  else if (geteuid() == 0 && (st->st_mode & S_IWGRP))
    diag_error(d, path, 0, 0, "writable by its group (mode %04o), but rblmon "
               "runs as root: the group could make it run commands as root; "
               "run chmod g-w %s", mode, path);
  /* A key in the text itself is read by whoever may read the file. */
  for (size_t i = 0; (st->st_mode & S_IROTH) && i < cfg->nkeys; i++) {
    const char *v = cfg->keys[i].value;
    if (strncmp(v, "${", 2) != 0)
      diag_error(d, path, cfg->keys[i].line, cfg->keys[i].col,
                 "lists.keys.%s is written here, and every user may read "
                 "this file (mode %04o): write \"${VARIABLE}\" and set the "
                 "key in the environment, or run chmod o-r %s",
                 cfg->keys[i].name, mode, path);
  }
  return d->errors == before ? RBL_OK : RBL_ECONFIG;
}

bool
config_find(const char *explicit_path, char *buf, size_t size,
            bool *explicit_out)
{
  *explicit_out = true;
  if (explicit_path != NULL) {
    snprintf(buf, size, "%s", explicit_path);
    return true;
  }
  const char *env = getenv("RBLMON_CONFIG");
  if (env != NULL && *env != '\0') {
    snprintf(buf, size, "%s", env);
    return true;
  }
  *explicit_out = false;
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  if (xdg != NULL && *xdg == '/')
    snprintf(buf, size, "%s/rblmon/rblmon.yaml", xdg);
  else if (home != NULL && *home == '/')
    snprintf(buf, size, "%s/.config/rblmon/rblmon.yaml", home);
  else
    buf[0] = '\0';
  if (buf[0] != '\0' && access(buf, F_OK) == 0)
    return true;
  snprintf(buf, size, "/etc/rblmon/rblmon.yaml");
  return access(buf, F_OK) == 0;
}

/* ---- second pass: list selection ------------------------------------- */
static bool
ref_matches(const struct cfg_ref *r, const struct list_def *l)
{
  return strcmp(r->s, "all") == 0 || strcmp(r->s, l->name) == 0 ||
         list_has_tag(l, r->s);
}

static bool
ref_known(const struct catalog *cat, const struct cfg_ref *r)
{
  if (strcmp(r->s, "all") == 0)
    return true;
  for (size_t i = 0; i < cat->n; i++)
    if (list_is_dnsbl(cat->lists[i]) &&
        (strcmp(r->s, cat->lists[i]->name) == 0 ||
         list_has_tag(cat->lists[i], r->s)))
      return true;
  return false;
}

static const struct cfg_ref default_use = {"major", 0, 0};

/* A range wider than DNS checks take needs a selected list with a feed
 * that takes its family. */
static void
check_wide(const struct config *cfg, const struct list_def **sel, size_t n,
           struct diag *d)
{
  for (size_t i = 0; i < cfg->nitems; i++) {
    const struct watch_item *it = &cfg->items[i];
    if (target_dns_checkable(&it->spec))
      continue;
    bool fed = false;
    for (size_t k = 0; k < n && !fed; k++)
      fed = sel[k]->feed != NULL &&
            feed_def_takes(sel[k]->feed, (int)sel[k]->type,
                           (int)it->spec.kind);
    if (fed)
      continue;
    char s[TARGET_NAME_MAX];
    target_spec_str(&it->spec, s, sizeof(s));
    diag_error(d, cfg->path, it->line, it->col, "'%s': %s", s,
               target_wide_why(it->spec.kind));
  }
}

/* A list that takes IPv4 and IPv6, read from a feed with data for one
 * family only, while the watchlists hold the other: said once, since
 * each check gives those pairs an error result. */
static void
check_feed_families(const struct config *cfg, const struct list_def **sel,
                    size_t n, struct diag *d)
{
  bool has[2] = {false, false};
  for (size_t i = 0; i < cfg->nitems; i++)
    if (target_is_ip(&cfg->items[i].spec))
      has[cfg->items[i].spec.kind == TARGET_IP6] = true;
  for (size_t k = 0; k < n; k++) {
    const struct feed_def *f = sel[k]->feed;
    if (f == NULL || sel[k]->type != LIST_IP)
      continue;
    for (int fam = 0; fam < 2; fam++)
      if (has[fam] && !feed_def_takes(f, LIST_IP, fam ? TARGET_IP6
                                                       : TARGET_IP4))
        diag_warn(d, f->file, f->line, f->col, "the feed of '%s' has no "
                  "%s data, so its %s targets get an error result: add "
                  "path6: (and type6:) for the IPv6 file", sel[k]->name,
                  fam ? "IPv6" : "IPv4", fam ? "IPv6" : "IPv4");
  }
}

/* lists.feeds: each names a DNSBL of the catalog (a custom list carries
 * its own feed:), which is then read from the file. */
static void
attach_feeds(struct config *cfg, struct catalog *cat, struct diag *d)
{
  for (size_t i = 0; i < cfg->nfeeds; i++) {
    const struct feed_def *f = cfg->feeds[i];
    struct list_def *l = NULL;
    for (size_t j = 0; j < cat->n && l == NULL; j++)
      if (strcmp(cat->lists[j]->name, f->list) == 0)
        l = cat->lists[j];
    if (l == NULL || !list_is_dnsbl(l))
      diag_error(d, cfg->path, f->line, f->col, "lists.feeds: no DNSBL "
                 "named '%s' (rblmon lists --all shows the catalog; a list "
                 "of your own goes in lists.custom, with feed:)", f->list);
    else if (l->feed != NULL)
      diag_error(d, cfg->path, f->line, f->col, "lists.feeds: '%s' has a "
                 "feed already (in lists.custom)", f->list);
    else
      l->feed = f;
  }
}

rbl_status
config_select_lists(struct config *cfg, struct catalog *cat,
                    const struct list_def ***out, size_t *n, struct diag *d)
{
  unsigned before = d->errors;
  *out = NULL;
  *n = 0;
  struct yctx c = {cfg->path, d, &cfg->arena};
  for (size_t i = 0; i < cfg->ncustom; i++)
    catalog_add(cat, &c, cfg->custom[i]);
  /* providers share the namespace of lists: results, state, reminders */
  for (size_t i = 0; i < cfg->nproviders; i++)
    catalog_add(cat, &c, &cfg->providers[i]->def);
  for (unsigned k = 0; cfg->auth_on && k < AUTH_NCHECKS; k++)
    catalog_add(cat, &c, auth_source((enum auth_check)k));
  attach_feeds(cfg, cat, d);
  const struct cfg_ref *use = cfg->use_given ? cfg->use : &default_use;
  size_t nuse = cfg->use_given ? cfg->nuse : 1;
  for (size_t i = 0; i < nuse; i++)
    if (!ref_known(cat, &use[i]))
      diag_error(d, cfg->path, use[i].line, use[i].col,
                 "lists.use: no list or tag named '%s' (rblmon lists shows "
                 "the catalog)", use[i].s);
  for (size_t i = 0; i < cfg->nexclude; i++)
    if (!ref_known(cat, &cfg->exclude[i]))
      diag_error(d, cfg->path, cfg->exclude[i].line, cfg->exclude[i].col,
                 "lists.exclude: no list or tag named '%s'",
                 cfg->exclude[i].s);
  for (size_t i = 0; i < cfg->nkeys; i++) {
    bool used = false;
    for (size_t j = 0; j < cat->n && !used; j++)
      used = cat->lists[j]->key_name != NULL &&
             strcmp(cat->lists[j]->key_name, cfg->keys[i].name) == 0;
    if (!used)
      diag_warn(d, cfg->path, cfg->keys[i].line, cfg->keys[i].col,
                "lists.keys: no list uses a key named '%s'",
                cfg->keys[i].name);
  }
  const struct list_def **sel = calloc(cat->n ? cat->n : 1, sizeof(*sel));
  if (sel == NULL)
    return RBL_ENOMEM;
  size_t cnt = 0;
  for (size_t i = 0; i < cat->n; i++) {
    const struct list_def *l = cat->lists[i];
    if (!list_is_dnsbl(l))
      continue;
    /* Named anywhere in use: counts as explicit, whatever the order. */
    const struct cfg_ref *by = NULL;
    for (size_t k = 0; k < nuse && by == NULL; k++)
      if (strcmp(use[k].s, l->name) == 0)
        by = &use[k];
    bool named = by != NULL;
    for (size_t k = 0; k < nuse && by == NULL; k++)
      if (ref_matches(&use[k], l))
        by = &use[k];
    /* a list with a feed is named by it */
    if (by == NULL && !l->custom && l->feed == NULL)
      continue;
    bool excluded = false;
    for (size_t k = 0; k < cfg->nexclude && !excluded; k++)
      excluded = ref_matches(&cfg->exclude[k], l);
    if (excluded)
      continue;
    /* A keyed list picked by a tag (say "major") without a key is left
     * out quietly; named explicitly, it reports "needs a key". */
    if (l->key_name != NULL && !named && !l->custom && l->feed == NULL &&
        config_list_key(cfg, l) == NULL)
      continue;
    if (l->defunct && l->feed == NULL) {
      if (named)
        diag_warn(d, cfg->path, by->line, by->col,
                  "list '%s' is defunct since %s and is never queried: %s",
                  l->name, l->defunct_since ? l->defunct_since : "?",
                  l->defunct_reason ? l->defunct_reason : "");
      continue;
    }
    sel[cnt++] = l;
  }
  check_wide(cfg, sel, cnt, d);
  check_feed_families(cfg, sel, cnt, d);
  if (d->errors != before) {
    free(sel);
    return RBL_ECONFIG;
  }
  *out = sel;
  *n = cnt;
  return RBL_OK;
}

const char *
config_list_key(const struct config *cfg, const struct list_def *l)
{
  if (l->key_name == NULL)
    return NULL;
  for (size_t i = 0; i < cfg->nkeys; i++) {
    if (strcmp(cfg->keys[i].name, l->key_name) != 0)
      continue;
    const char *v = cfg->keys[i].value;
    size_t len = strlen(v);
    if (len > 3 && v[0] == '$' && v[1] == '{' && v[len - 1] == '}') {
      char env[128];
      if (len - 3 >= sizeof(env))
        return NULL;
      memcpy(env, v + 2, len - 3);
      env[len - 3] = '\0';
      const char *e = getenv(env);
      return e != NULL && *e != '\0' ? e : NULL;
    }
    return v;
  }
  if (l->key_env != NULL) {
    const char *e = getenv(l->key_env);
    if (e != NULL && *e != '\0')
      return e;
  }
  return NULL;
}
