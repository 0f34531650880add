/* report_json.c - one JSON object (DESIGN.md contract), streamed: results
 * are written as they arrive, lists and status at the end. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "scanresult.h"

struct json_rep {
  FILE *out;
  size_t n;
  bool changes_only;
};

static void *
json_begin(const struct report_opts *o)
{
  struct json_rep *j = calloc(1, sizeof(*j));
  if (j == NULL)
    return NULL;
  j->out = o->out;
  j->changes_only = o->changes_only;
  if (!j->changes_only)
    fprintf(j->out, "{\"schema_version\":%d,\"results\":[",
            REPORT_JSON_SCHEMA_VERSION);
  return j;
}

/* A watchlist's name, or null (command-line targets, list health). */
static json_t *
watchlist_json(const char *wl)
{
  return wl != NULL && *wl != '\0' ? json_string(wl) : json_null();
}

json_t *
report_change_json(const struct change *c)
{
  json_t *o = json_object();
  json_object_set_new(o, "change", json_string(change_names[c->kind]));
  json_object_set_new(o, "target", c->target[0] ? json_string(c->target)
                                                : json_null());
  json_object_set_new(o, "watchlist", c->target[0]
                                        ? watchlist_json(c->watchlist)
                                        : json_null());
  json_object_set_new(o, "source", json_string(c->list->name));
  json_object_set_new(o, "before", c->before[0] ? json_string(c->before)
                                                : json_null());
  json_object_set_new(o, "after", c->after[0] ? json_string(c->after)
                                              : json_null());
  json_object_set_new(o, "detail", report_json_composed(c->detail));
  char t[32];
  report_time(c->at, t, sizeof(t));
  json_object_set_new(o, "at", json_string(t));
  if (c->since > 0)
    report_time(c->since, t, sizeof(t));
  json_object_set_new(o, "since", c->since > 0 ? json_string(t)
                                               : json_null());
  bool sev = c->kind == CHANGE_LISTED || c->kind == CHANGE_RELISTED ||
             c->kind == CHANGE_CODES;
  json_object_set_new(o, "severity", sev ? json_string(severity_names[c->sev])
                                         : json_null());
  return o;
}

json_t *
report_json_text(const char *s)
{
  if (s == NULL || *s == '\0')
    return json_null();
  struct sbuf e;
  sbuf_init(&e, 8192);
  util_escape(&e, s, strlen(s));
  json_t *v = json_stringn(sbuf_str(&e), e.len);
  sbuf_free(&e);
  return v ? v : json_null();
}

json_t *
report_json_composed(const char *s)
{
  if (s == NULL || *s == '\0')
    return json_null();
  struct sbuf e;
  sbuf_init(&e, 65536);
  util_escape_composed(&e, s, strlen(s), true);
  json_t *v = json_stringn(sbuf_str(&e), e.len);
  sbuf_free(&e);
  return v ? v : json_null();
}

json_t *
report_delist_json(const struct list_def *l)
{
  if (l == NULL ||
      (l->delist_url == NULL && l->delist_proc == DELIST_UNSPECIFIED))
    return json_null();
  json_t *d = json_object();
  json_object_set_new(d, "url", l->delist_url ? json_string(l->delist_url)
                                              : json_null());
  json_object_set_new(d, "procedure",
                      l->delist_proc != DELIST_UNSPECIFIED
                        ? json_string(delist_proc_names[l->delist_proc])
                        : json_null());
  json_object_set_new(d, "expires_seconds",
                      l->delist_expires_ms > 0
                        ? json_integer((json_int_t)(l->delist_expires_ms /
                                                    1000))
                        : json_null());
  json_object_set_new(d, "fix_first", l->fix_first
                                        ? json_string(l->fix_first)
                                        : json_null());
  return d;
}

/* Who can fix a listing of l with codes[0..n), and how: "scope" and "fix"
 * of the worst code, and "fixes", one {code, scope, fix} per distinct
 * piece of advice (null, null, [] when nothing is known). */
void
report_advice_json(json_t *o, const struct list_def *l,
                   const uint32_t *codes, size_t n)
{
  struct code_advice adv[RESULT_MAX_CODES * 8];
  size_t k = l ? catalog_advise(l, codes, n, adv, UTIL_ARRAY_LEN(adv)) : 0;
  json_t *all = json_array();
  for (size_t i = 0; i < k; i++) {
    char c[20];
    report_code_str(adv[i].code, c, sizeof(c));
    const char *scope = catalog_scope_name(adv[i].scope);
    json_array_append_new(all, json_pack("{s:s?, s:s?, s:s?}", "code",
                                         n > 0 && adv[i].code ? c : NULL,
                                         "scope", scope,
                                         "fix", adv[i].fix));
  }
  const char *scope = k ? catalog_scope_name(adv[0].scope) : NULL;
  json_object_set_new(o, "scope", scope ? json_string(scope) : json_null());
  json_object_set_new(o, "fix", k && adv[0].fix ? json_string(adv[0].fix)
                                                : json_null());
  json_object_set_new(o, "fixes", all);
}

static void
json_result(void *st, const struct result *r)
{
  struct json_rep *j = st;
  if (j->changes_only)
    return;
  json_t *o = json_object();
  json_object_set_new(o, "target", json_string(r->target));
  json_object_set_new(o, "watchlist", watchlist_json(r->watchlist));
  json_object_set_new(o, "source", json_string(r->list->name));
  json_object_set_new(o, "status",
                      json_string(result_status_names[r->status]));
  json_t *codes = json_array(), *reasons = json_array();
  for (size_t i = 0; i < r->ncodes; i++) {
    char c[20];
    report_code_str(r->codes[i], c, sizeof(c));
    json_array_append_new(codes, json_string(c));
  }
  for (size_t i = 0; i < r->nreasons; i++)
    json_array_append_new(reasons, json_string(r->reasons[i]));
  json_object_set_new(o, "codes", codes);
  json_object_set_new(o, "reasons", reasons);
  json_object_set_new(o, "severity", r->has_sev
                                         ? json_string(severity_names[r->sev])
                                         : json_null());
  json_object_set_new(o, "txt", report_json_text(r->txt));
  json_object_set_new(o, "error", report_json_composed(r->error));
  if (strchr(r->target, '/') != NULL && !r->part) { /* a whole range's */
    json_t *g = json_object();
    json_object_set_new(g, "except", json_integer((json_int_t)r->range_except));
    json_object_set_new(o, "range", g);
  }
  report_advice_json(o, r->status == RES_LISTED ? r->list : NULL, r->codes,
              r->ncodes);
  json_object_set_new(o, "delist", r->status == RES_LISTED
                                       ? report_delist_json(r->list)
                                       : json_null());
  if (j->n++ > 0)
    fputc(',', j->out);
  fputc('\n', j->out);
  json_dumpf(o, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
}

static void
json_end(void *st, const struct report_summary *s)
{
  struct json_rep *j = st;
  json_t *changes = json_array();
  for (size_t i = 0; i < s->nchanges; i++)
    json_array_append_new(changes, report_change_json(&s->changes[i]));
  if (j->changes_only) { /* a document even when nothing changed */
    json_t *top = json_pack("{sisosssi}", "schema_version",
                            REPORT_JSON_SCHEMA_VERSION, "changes", changes,
                            "status", report_exit_name(s->exit_code), "exit",
                            s->exit_code);
    json_dumpf(top, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', j->out);
    json_decref(top);
    free(j);
    return;
  }
  json_t *lists = json_array();
  for (size_t i = 0; i < s->nlists; i++) {
    const struct list_state *ls = &s->lists[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(ls->list->name));
    /* The template, never the key-bearing zone. */
    json_object_set_new(o, "zone", ls->list->zone ? json_string(ls->list->zone)
                                                  : json_null()); /* a feed's */
    json_object_set_new(o, "health", json_string(health_names[ls->health]));
    json_object_set_new(o, "detail", report_json_composed(ls->detail));
    json_object_set_new(o, "queries", json_integer((json_int_t)ls->queries));
    json_object_set_new(o, "listed", json_integer((json_int_t)ls->listed));
    json_object_set_new(o, "errors", json_integer((json_int_t)ls->errors));
    json_array_append_new(lists, o);
  }
  const struct tally *t = s->tally;
  json_t *sum = json_pack("{sIsIsIsIsIsIsIsIsf}", "checks", (json_int_t)t->total,
                          "listed", (json_int_t)t->listed, "critical",
                          (json_int_t)t->critical, "warning",
                          (json_int_t)t->warning, "notice",
                          (json_int_t)t->notice, "clean", (json_int_t)t->clean,
                          "good", (json_int_t)t->good, "errors",
                          (json_int_t)(t->errors + t->skipped), "seconds",
                          (double)s->elapsed_ms / 1000.0);
  fputs("\n],\"lists\":", j->out);
  json_dumpf(lists, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  fputs(",\"summary\":", j->out);
  json_dumpf(sum, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s->stateful) {
    fputs(",\"changes\":", j->out);
    json_dumpf(changes, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  }
  json_decref(changes);
  fprintf(j->out, ",\"status\":\"%s\",\"exit\":%d}\n",
          report_exit_name(s->exit_code), s->exit_code);
  json_decref(lists);
  json_decref(sum);
  free(j);
}

/* ---- the other views --------------------------------------------------- */
static void
dump(FILE *f, json_t *top)
{
  json_dumpf(top, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  fputc('\n', f);
  json_decref(top);
}

static json_t *
split(const char *s, const char *sep)
{
  json_t *a = json_array();
  while (s != NULL && *s != '\0') {
    const char *e = strstr(s, sep);
    size_t n = e ? (size_t)(e - s) : strlen(s);
    json_array_append_new(a, json_stringn(s, n));
    s = e ? e + strlen(sep) : NULL;
  }
  return a;
}

json_t *
report_evidence_json(const struct evidence *ev)
{
  json_t *recv = json_array();
  for (size_t i = 0; i < ev->nreceivers; i++)
    json_array_append_new(recv, json_string(ev->receivers[i]));
  json_t *servers = json_array();
  for (size_t i = 0; i < ev->nservers; i++)
    json_array_append_new(servers, json_pack(
      "{sosI}", "host", report_json_text(ev->servers[i]), "rejections",
      (json_int_t)ev->per_server[i]));
  return json_pack("{sIsIsIsoso}", "rejections_24h", (json_int_t)ev->day,
                   "rejections_7d", (json_int_t)ev->week, "rejections",
                   (json_int_t)ev->total, "receivers", recv, "servers",
                   servers);
}

/* Status adds what goes with an open listing: evidence and reminder. */
static void
listing_extra_json(json_t *o, const struct listing_view *lv)
{
  const struct evidence *ev = lv->ev;
  json_object_set_new(o, "evidence", report_evidence_json(ev));
  json_object_set_new(o, "urgent", json_boolean(report_urgent(lv->e, ev)));
  const struct reminder *rm = lv->rem;
  char due[32];
  if (rm != NULL)
    report_time(rm->due, due, sizeof(due));
  json_object_set_new(o, "reminder",
                      rm ? json_pack("{sIssss}", "id", (json_int_t)rm->id,
                                     "state", reminder_state_names[rm->state],
                                     "next", due)
                         : json_null());
}

void
report_episode_json(json_t *o, const struct episode *e,
                    const struct list_def *l, int64_t now)
{
  char since[32], until[32] = "";
  report_time(e->first_seen, since, sizeof(since));
  if (e->cleared_at)
    report_time(e->cleared_at, until, sizeof(until));
  json_object_set_new(o, "target", json_string(e->target));
  json_object_set_new(o, "watchlist", watchlist_json(e->watchlist));
  json_object_set_new(o, "source", json_string(e->source));
  json_object_set_new(o, "codes", split(e->codes, ","));
  json_object_set_new(o, "reasons", split(e->reasons, "; "));
  json_object_set_new(o, "severity", json_string(severity_names[e->sev]));
  json_object_set_new(o, "txt", report_json_text(e->txt));
  json_object_set_new(o, "since", json_string(since));
  json_object_set_new(o, "cleared", until[0] ? json_string(until)
                                             : json_null());
  json_object_set_new(o, "seconds",
                      json_integer((e->cleared_at ? e->cleared_at : now)
                                   - e->first_seen));
  json_object_set_new(o, "delist", report_delist_json(l));
  uint32_t codes[RESULT_MAX_CODES];
  size_t n = catalog_parse_codes(e->codes, codes, RESULT_MAX_CODES);
  report_advice_json(o, l, codes, n);
}

static json_t *
listing_json(const struct listing_view *lv, int64_t now)
{
  json_t *o = json_object();
  report_episode_json(o, lv->e, lv->list, now);
  if (lv->ev != NULL)
    listing_extra_json(o, lv);
  return o;
}

static json_t *
finding_json(const struct finding *f)
{
  char first[32], last[32];
  report_time(f->first, first, sizeof(first));
  report_time(f->last, last, sizeof(last));
  /* what comes from a receiver's reply (a captured block code): escaped */
  json_t *o = json_pack("{sssososIssss}", "kind", f->kind, "what",
                        report_json_text(f->what), "advice",
                        report_json_composed(f->advice), "count",
                        (json_int_t)f->count, "first", first, "last", last);
  if (!f->theirs)
    return o;
  char at[32];
  if (f->checked != 0)
    report_time(f->checked, at, sizeof(at));
  json_object_set_new(o, "receiver", report_json_text(f->receiver));
  json_object_set_new(o, "contact", report_json_text(f->contact));
  json_object_set_new(o, "checked", f->checked ? json_string(at)
                                               : json_null());
  return o;
}

/* The findings of one side (theirs: the receivers'), an array (empty
 * when they are not known). */
static json_t *
findings_json(const struct status_view *v, bool theirs)
{
  json_t *a = json_array();
  for (size_t i = 0; v->unexplained != NULL && i < v->nunexplained; i++)
    if (v->unexplained[i].theirs == theirs)
      json_array_append_new(a, finding_json(&v->unexplained[i]));
  return a;
}

static void
status_json(FILE *f, const struct status_view *v)
{
  json_t *listings = json_array(), *lists = json_array();
  for (size_t i = 0; i < v->nlistings; i++)
    json_array_append_new(listings, listing_json(&v->listings[i], v->now));
  for (size_t i = 0; i < v->nhealth; i++) {
    const struct health_row *h = &v->health[i];
    char since[32];
    report_time(h->since, since, sizeof(since));
    json_array_append_new(lists,
                          json_pack("{sssssoss}", "name", h->source,
                                    "health", h->health, "detail",
                                    report_json_composed(h->detail),
                                    "since", since));
  }
  json_t *unexplained = findings_json(v, false);
  json_t *top = json_pack("{sisosososssi}", "schema_version",
                          REPORT_JSON_SCHEMA_VERSION, "listings", listings,
                          "lists",
                          lists, "unexplained", unexplained, "status",
                          report_exit_name(v->exit_code), "exit",
                          v->exit_code);
  json_object_set_new(top, "receiver_problems",
                      findings_json(v, true));
  char when[32];
  if (v->last_check)
    report_time(v->last_check, when, sizeof(when));
  json_object_set_new(top, "last_check",
                      v->last_check ? json_string(when) : json_null());
  dump(f, top);
}

static void
history_json(FILE *f, const struct history_view *v)
{
  json_t *arr = json_array();
  for (size_t i = 0; i < v->n; i++)
    json_array_append_new(arr, listing_json(&v->episodes[i], v->now));
  dump(f, json_pack("{siso}", "schema_version", REPORT_JSON_SCHEMA_VERSION,
                    "episodes", arr));
}

/* A list's feed as read now: its files, entries, bad lines, health. */
static json_t *
feed_json(const struct feed *fd)
{
  const struct feed_def *d = fd->list->feed;
  json_t *warn = json_array();
  for (size_t k = 0; k < fd->nwarn; k++)
    json_array_append_new(warn, report_json_text(fd->warn[k]));
  json_t *o = json_object();
  json_object_set_new(o, "path", json_string(d->path));
  json_object_set_new(o, "path6", d->path6 ? json_string(d->path6)
                                           : json_null());
  json_object_set_new(o, "format", json_string(feed_format_names[d->format]));
  json_object_set_new(o, "entries", json_integer((json_int_t)fd->entries));
  json_object_set_new(o, "lines", json_integer((json_int_t)fd->lines));
  json_object_set_new(o, "bad_lines", json_integer((json_int_t)fd->bad));
  json_object_set_new(o, "bad_examples", warn);
  char changed[32];
  if (fd->nfiles)
    report_time(fd->oldest, changed, sizeof(changed));
  json_object_set_new(o, "changed", fd->nfiles ? json_string(changed)
                                               : json_null());
  json_object_set_new(o, "health", json_string(health_names[fd->health]));
  json_object_set_new(o, "detail", fd->detail[0] ? report_json_text(fd->detail)
                                                 : json_null());
  return o;
}

/* The list's own scope (or null), and every scope its answers can have. */
static void
scopes_json(json_t *o, const struct list_def *l)
{
  bool seen[SCOPE_POLICY + 1] = {false};
  seen[l->scope] = true;
  for (size_t i = 0; l->code_fixes != NULL && i < l->ncodes; i++)
    seen[l->code_fixes[i].scope] = true;
  json_t *all = json_array();
  for (int s = SCOPE_ADDRESS; s <= SCOPE_POLICY; s++)
    if (seen[s])
      json_array_append_new(all, json_string(
        catalog_scope_name((enum list_scope)s)));
  const char *own = catalog_scope_name(l->scope);
  json_object_set_new(o, "scope", own ? json_string(own) : json_null());
  json_object_set_new(o, "scopes", all);
}

static json_t *
lists_row_json(const struct lists_row *r)
{
  const struct list_def *l = r->list;
  json_t *tags = json_array();
  for (size_t k = 0; k < l->ntags; k++)
    json_array_append_new(tags, json_string(l->tags[k]));
  json_t *o = json_pack("{ssss?sssssoss}", "name", l->name, "zone", l->zone,
                        "type", list_type_names[l->type], "operator",
                        l->operator_name, "tags", tags, "use", r->use);
  json_object_set_new(o, "title", l->title ? json_string(l->title)
                                           : json_null());
  scopes_json(o, l);
  json_object_set_new(o, "delist", report_delist_json(l));
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
  if (r->probed == NULL && r->known != NULL) { /* from the state */
    char when[32];
    report_time(r->known->checked_at, when, sizeof(when));
    json_object_set_new(o, "health", json_string(r->known->health));
    json_object_set_new(o, "health_checked", json_string(when));
  }
  if (r->feed != NULL)
    json_object_set_new(o, "feed", feed_json(r->feed));
  if (r->probed != NULL) {
    json_object_set_new(o, "health",
                        json_string(health_names[r->probed->health]));
    json_object_set_new(o, "detail", r->probed->detail[0]
                                       ? json_string(r->probed->detail)
                                       : json_null());
  }
  return o;
}

static json_t *
provider_json(const struct lists_provider *lp)
{
  const struct provider *p = lp->p;
  char every[24];
  util_format_duration(p->min_interval_ms, every, sizeof(every));
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
  json_object_set_new(o, "health", lp->known ? json_string(lp->known->health)
                                             : json_null());
  return o;
}

static void
lists_json(FILE *f, const struct lists_view *v)
{
  json_t *lists = json_array(), *providers = json_array();
  for (size_t i = 0; i < v->n; i++)
    json_array_append_new(lists, lists_row_json(&v->rows[i]));
  for (size_t i = 0; i < v->nproviders; i++)
    json_array_append_new(providers, provider_json(&v->providers[i]));
  json_t *top = json_pack("{sisoso}", "schema_version",
                          REPORT_JSON_SCHEMA_VERSION, "lists", lists,
                          "providers", providers);
  if (v->probe) {
    json_object_set_new(top, "status",
                        json_string(report_exit_name(v->exit_code)));
    json_object_set_new(top, "exit", json_integer(v->exit_code));
  }
  dump(f, top);
}

static void
remind_json(FILE *f, const struct remind_view *v)
{
  json_t *arr = json_array();
  for (size_t i = 0; i < v->n; i++)
    json_array_append(arr, v->items[i].json);
  dump(f, json_pack("{sisosssi}", "schema_version",
                    REPORT_JSON_SCHEMA_VERSION, "reminders", arr, "status",
                    report_exit_name(v->exit_code), "exit", v->exit_code));
}

/* ---- scan-logs ----------------------------------------------------------- */
struct scan_json {
  FILE *f;
  bool started;
  size_t n;
};

static void *
scan_json_begin(FILE *f)
{
  struct scan_json *k = calloc(1, sizeof(*k));
  if (k != NULL)
    k->f = f;
  return k;
}

/* The array opens with the first rejection or the end: nothing is printed
 * for a pass that could not begin. */
static void
scan_json_start(struct scan_json *k)
{
  if (!k->started)
    fprintf(k->f, "{\"schema_version\":%d,\"rejections\":[",
            REPORT_JSON_SCHEMA_VERSION);
  k->started = true;
}

/* A receiver's requirement the reply names, or null. */
static json_t *
requirement_json(const struct requirement *q)
{
  if (q == NULL)
    return json_null();
  return json_pack("{s:s, s:s, s:s?, s:s, s:s}", "id", q->id, "receiver",
                   q->receiver, "code", q->code, "title", q->title, "url",
                   q->url);
}

static json_t *
scan_hit_json(const struct scan_hit *h)
{
  const struct rejection *r = h->r;
  const struct verdict *v = h->v;
  char t[32];
  report_time(r->time, t, sizeof(t));
  json_t *o = json_object();
  json_object_set_new(o, "file", report_json_text(h->file));
  json_object_set_new(o, "line", json_integer((json_int_t)h->line));
  json_object_set_new(o, "time", json_string(t));
  json_object_set_new(o, "mta", json_string(r->mta));
  json_object_set_new(o, "loghost", report_json_text(r->loghost));
  json_object_set_new(o, "queue_id", report_json_text(r->queue_id));
  json_object_set_new(o, "recipient", report_json_text(r->recipient));
  json_object_set_new(o, "domain", report_json_text(r->domain));
  json_object_set_new(o, "host", report_json_text(r->host));
  json_object_set_new(o, "ip", report_json_text(r->ip));
  json_object_set_new(o, "code", json_integer(r->code));
  json_object_set_new(o, "enhanced", report_json_text(r->enhanced));
  json_object_set_new(o, "stage", json_string(r->stage));
  json_object_set_new(o, "permanent", json_boolean(r->permanent));
  json_object_set_new(o, "text", report_json_text(r->text));
  json_object_set_new(o, "named_ip", report_json_text(v->named_ip));
  json_object_set_new(o, "ours", json_boolean(h->ours));
  json_object_set_new(o, "cause", json_string(cause_name(v->cause)));
  json_object_set_new(o, "detail", report_json_text(v->detail));
  json_object_set_new(o, "list", report_json_text(v->list));
  json_object_set_new(o, "zone", report_json_text(v->zone));
  json_object_set_new(o, "operator", report_json_text(v->operator_name));
  json_object_set_new(o, "scope", report_json_text(v->scope));
  json_object_set_new(o, "fix", report_json_text(v->fix));
  json_object_set_new(o, "block", report_json_text(v->block));
  json_object_set_new(o, "receiver", report_json_text(v->receiver));
  json_object_set_new(o, "postmaster", report_json_text(v->postmaster));
  json_object_set_new(o, "requirement", requirement_json(v->req));
  json_object_set_new(o, "rule", report_json_text(v->rule));
  return o;
}

static void
scan_json_hit(void *st, const struct scan_hit *h)
{
  struct scan_json *k = st;
  scan_json_start(k);
  json_t *o = scan_hit_json(h);
  fputs(k->n++ ? ",\n" : "\n", k->f);
  json_dumpf(o, k->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
}

static void
scan_json_end(void *st, const struct scan_summary *sum)
{
  struct scan_json *k = st;
  if (sum == NULL) {
    free(k);
    return;
  }
  scan_json_start(k);
  json_t *causes = json_object();
  for (int i = 0; i < CAUSE_COUNT; i++)
    json_object_set_new(causes, cause_names[i],
                        json_integer((json_int_t)sum->by_cause[i]));
  json_t *js = json_pack("{sIsIsIsIsIsIso}", "files", (json_int_t)sum->files,
                         "lines", (json_int_t)sum->st.lines, "bytes",
                         (json_int_t)sum->st.bytes, "rejections",
                         (json_int_t)sum->found, "new",
                         (json_int_t)sum->stored_new, "permanent",
                         (json_int_t)sum->permanent, "by_cause", causes);
  json_object_set_new(js, "long_lines_skipped",
                      json_integer((json_int_t)sum->st.long_lines));
  fputs("\n],\"summary\":", k->f);
  json_dumpf(js, k->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
  fprintf(k->f, ",\"status\":\"%s\",\"exit\":%d}\n",
          report_exit_name(sum->exit), sum->exit);
  json_decref(js);
  free(k);
}

const struct reporter report_json = {
  .name = "json", .begin = json_begin, .result = json_result,
  .end = json_end, .status = status_json, .history = history_json,
  .lists = lists_json, .remind = remind_json, .scan_begin = scan_json_begin,
  .scan_hit = scan_json_hit, .scan_end = scan_json_end};
