/* cmd_status.c - rblmon status and rblmon history: what the state knows,
 * without a single query. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "correlate.h"
#include "report.h"
#include "store.h"

enum fmt { F_TEXT, F_JSON, F_PROM };

struct view {
  const struct app *a;
  enum fmt fmt;
  int64_t now;
  size_t n;
  int worst;               /* exit code from the listings */
  json_t *arr;
  bool history;            /* text layout: one line per episode */
  int pass;                /* prometheus: 0 listed, 1 since (one family
                              of samples at a time) */
  size_t nhealth;
  struct store *store;     /* status: evidence and reminders */
  struct reminder *rems;   /* rows in the command's arena */
  size_t nrems;
};

static const struct reminder *
rem_of(const struct view *v, int64_t episode)
{
  for (size_t i = 0; i < v->nrems; i++)
    if (v->rems[i].episode == episode)
      return &v->rems[i];
  return NULL;
}

static bool
parse_fmt(const struct cli *c, bool prom_ok, enum fmt *f)
{
  const char *s = c->format ? c->format : "text";
  *f = strcmp(s, "json") == 0 ? F_JSON
       : strcmp(s, "prometheus") == 0 && prom_ok ? F_PROM
       : F_TEXT;
  if (*f == F_TEXT && strcmp(s, "text") != 0) {
    fprintf(stderr, "rblmon: format must be text, json%s\n",
            prom_ok ? " or prometheus" : "");
    return false;
  }
  return true;
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

static json_t *
episode_json(const struct view *v, const struct episode *e, const char *since,
             const char *until, const char *d)
{
  json_t *o = json_object();
  json_object_set_new(o, "target", json_string(e->target));
  json_object_set_new(o, "source", json_string(e->source));
  json_object_set_new(o, "codes", split(e->codes, ","));
  json_object_set_new(o, "reasons", split(e->reasons, "; "));
  json_object_set_new(o, "severity", json_string(severity_names[e->sev]));
  json_object_set_new(o, "txt", report_json_text(e->txt));
  json_object_set_new(o, "since", json_string(since));
  json_object_set_new(o, "cleared", until[0] ? json_string(until)
                                             : json_null());
  json_object_set_new(o, "seconds",
                      json_integer((e->cleared_at ? e->cleared_at : v->now)
                                   - e->first_seen));
  json_object_set_new(o, "delist", d[0] ? json_string(d) : json_null());
  if (!v->history && v->store != NULL) {
    struct evidence ev;
    correlate_listing(v->store, &v->a->cat, e,
                      (int64_t)(v->a->cfg.remind_window_ms / 1000), v->now,
                      &ev);
    json_t *recv = json_array();
    for (size_t i = 0; i < ev.nreceivers; i++)
      json_array_append_new(recv, json_string(ev.receivers[i]));
    json_object_set_new(o, "evidence",
                        json_pack("{sIsIsIso}", "rejections_24h",
                                  (json_int_t)ev.day, "rejections_7d",
                                  (json_int_t)ev.week, "rejections",
                                  (json_int_t)ev.total, "receivers", recv));
    json_object_set_new(o, "urgent",
                        json_boolean(e->sev == SEV_CRITICAL &&
                                     ev.day > 0));
    const struct reminder *rm = rem_of(v, e->id);
    char due[32];
    if (rm != NULL)
      report_time(rm->due, due, sizeof(due));
    json_object_set_new(o, "reminder",
                        rm ? json_pack("{sIssss}", "id", (json_int_t)rm->id,
                                       "state", reminder_state_names[rm->state],
                                       "next", due)
                           : json_null());
  }
  return o;
}

static void
episode_text(const struct view *v, const struct episode *e,
             const struct list_def *l, const char *since, const char *age,
             const char *d)
{
  printf("%-39s %-22s %-8s %-20s %-8s %s\n", e->target, e->source,
         severity_names[e->sev], since, age, e->codes);
  printf("    %s\n", e->reasons);
  if (e->txt != NULL) {
    struct sbuf esc;
    sbuf_init(&esc, 4096);
    util_escape(&esc, e->txt, strlen(e->txt));
    printf("    TXT: %s\n", sbuf_str(&esc));
    sbuf_free(&esc);
  }
  if (d[0])
    printf("    delist: %s\n", d);
  if (l != NULL && l->fix_first != NULL)
    printf("    fix first: %s\n", l->fix_first);
  if (v->store != NULL) {
    struct evidence ev;
    correlate_listing(v->store, &v->a->cat, e,
                      (int64_t)(v->a->cfg.remind_window_ms / 1000), v->now,
                      &ev);
    printf("    evidence: %llu rejections in 24 h, %llu in 7 days",
           (unsigned long long)ev.day, (unsigned long long)ev.week);
    for (size_t i = 0; i < ev.nreceivers; i++)
      printf("%s%s", i ? ", " : " at ", ev.receivers[i]);
    if (e->sev == SEV_CRITICAL && ev.day > 0)
      printf(" (URGENT)");
    putchar('\n');
    const struct reminder *rm = rem_of(v, e->id);
    if (rm != NULL) {
      char due[32];
      report_time(rm->due, due, sizeof(due));
      printf("    reminder %lld: %s, next %s (rblmon ack %lld when removal "
             "is requested)\n", (long long)rm->id, reminder_state_names[rm->state], due,
             (long long)rm->id);
    }
  }
}

static void
episode_out(struct view *v, const struct episode *e)
{
  const struct list_def *l = catalog_find(&v->a->cat, e->source);
  char since[32], until[32] = "", age[32], d[512] = "";
  report_time(e->first_seen, since, sizeof(since));
  if (e->cleared_at)
    report_time(e->cleared_at, until, sizeof(until));
  report_age((e->cleared_at ? e->cleared_at : v->now) - e->first_seen, age,
             sizeof(age));
  if (l != NULL)
    report_delist_str(l, d, sizeof(d));
  if (e->cleared_at == 0) {
    int code = e->sev == SEV_CRITICAL  ? RBL_EXIT_CRITICAL
               : e->sev == SEV_WARNING ? RBL_EXIT_WARNING
                                       : RBL_EXIT_OK;
    if (code > v->worst)
      v->worst = code;
  }
  v->n++;
  if (v->fmt == F_JSON) {
    json_array_append_new(v->arr, episode_json(v, e, since, until, d));
  } else if (v->fmt == F_PROM && v->pass == 0) {
    printf("rblmon_listed{target=\"%s\",list=\"%s\",severity=\"%s\"} 1\n",
           e->target, e->source, severity_names[e->sev]);
  } else if (v->fmt == F_PROM) {
    printf("rblmon_listed_since_seconds{target=\"%s\",list=\"%s\"} %lld\n",
           e->target, e->source, (long long)e->first_seen);
  } else if (!v->history) {
    episode_text(v, e, l, since, age, d);
  } else { /* history */
    printf("%-39s %-22s %-20s %-20s %-8s %-8s %s\n", e->target, e->source,
           since, until[0] ? until : "listed now", age, severity_names[e->sev],
           e->codes);
  }
}

static void
health_out(struct view *v, const struct health_row *h)
{
  char since[32];
  report_time(h->since, since, sizeof(since));
  if (v->fmt == F_JSON) {
    json_array_append_new(v->arr,
                          json_pack("{sssssoss}", "name", h->source,
                                    "health", h->health, "detail",
                                    report_json_composed(h->detail),
                                    "since", since));
  } else if (v->fmt == F_PROM) {
    printf("rblmon_list_health{list=\"%s\",health=\"%s\"} 1\n", h->source,
           h->health);
  } else if (strcmp(h->health, "ok") != 0 &&
             strcmp(h->health, "unknown") != 0 && ++v->nhealth) {
    struct sbuf e; /* composed; what it let through made safe */
    sbuf_init(&e, 4096);
    if (h->detail != NULL)
      util_escape_composed(&e, h->detail, strlen(h->detail), false);
    printf("  %-24s %-11s since %s: %s\n", h->source, h->health, since,
           sbuf_str(&e));
    sbuf_free(&e);
  }
}

struct finding_view {
  bool json;
  json_t *arr;
  size_t n;
};

static void
finding_out(void *arg, const struct finding *f)
{
  struct finding_view *fv = arg;
  char first[32], last[32];
  report_time(f->first, first, sizeof(first));
  report_time(f->last, last, sizeof(last));
  fv->n++;
  /* what comes from a receiver's reply (a captured block code): escaped */
  if (fv->json) {
    json_array_append_new(fv->arr,
                          json_pack("{sssosssIssss}", "kind", f->kind, "what",
                                    report_json_text(f->what), "advice",
                                    f->advice, "count", (json_int_t)f->count,
                                    "first", first, "last", last));
    return;
  }
  struct sbuf w;
  sbuf_init(&w, 1024);
  util_escape(&w, f->what, strlen(f->what));
  printf("  %-18s %-28s %4llu rejection%s, last %s\n    %s\n", f->kind,
         sbuf_str(&w), (unsigned long long)f->count, f->count == 1 ? "" : "s",
         last, f->advice);
  sbuf_free(&w);
}

int
cmd_status(struct cli *c)
{
  enum fmt f;
  if (!parse_fmt(c, true, &f))
    return RBL_EXIT_UNKNOWN;
  if (c->nargs > 0) {
    fprintf(stderr, "rblmon: status takes no arguments\n");
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = cmd_app_load(&a, c, false);
  struct store *s = NULL;
  if (rc != RBL_EXIT_OK || (s = app_store(&a, true)) == NULL) {
    app_free(&a);
    return RBL_EXIT_UNKNOWN;
  }
  struct view v = {&a, f, clock_now(), 0, RBL_EXIT_OK, NULL, false, 0, 0,
                   s, NULL, 0};
  struct arena ar = ARENA_INIT;
  struct episode *eps = NULL;
  struct health_row *hs = NULL;
  size_t neps = 0, nhs = 0;
  store_reminders(s, v.now, true, &ar, &v.rems, &v.nrems);
  int64_t started, finished;
  int last_exit;
  store_last_cycle(s, &started, &finished, &last_exit);
  char when[32] = "never", age[32] = "";
  if (finished) {
    report_time(finished, when, sizeof(when));
    report_age(v.now - finished, age, sizeof(age));
  }
  json_t *listings = NULL, *lists = NULL;
  if (f == F_JSON)
    v.arr = listings = json_array();
  else if (f == F_PROM)
    fputs("# HELP rblmon_listed 1 when the target is listed on the list.\n"
          "# TYPE rblmon_listed gauge\n", stdout);
  else
    printf("Listed now (last check %s%s%s%s):\n%-39s %-22s %-8s %-20s %-8s "
           "%s\n", when, age[0] ? ", " : "", age, age[0] ? " ago" : "",
           "TARGET", "LIST", "SEVERITY", "SINCE", "FOR", "CODES");
  rbl_status st = store_current(s, &ar, &eps, &neps);
  for (size_t i = 0; i < neps; i++)
    episode_out(&v, &eps[i]);
  if (f == F_PROM && st == RBL_OK) {
    fputs("# HELP rblmon_listed_since_seconds When the listing was first "
          "seen (Unix time).\n# TYPE rblmon_listed_since_seconds gauge\n",
          stdout);
    v.pass = 1;
    for (size_t i = 0; i < neps; i++)
      episode_out(&v, &eps[i]);
    fputs("# HELP rblmon_list_health 1 for the list's current health.\n"
          "# TYPE rblmon_list_health gauge\n", stdout);
  }
  size_t nlisted = v.n;
  if (f == F_TEXT && nlisted == 0)
    printf("  nothing: no monitored target is listed\n");
  if (f == F_JSON)
    v.arr = lists = json_array();
  else if (f == F_TEXT)
    printf("\nUnhealthy lists (results on them are not counted as clean):\n");
  if (st == RBL_OK)
    st = store_health(s, &ar, &hs, &nhs);
  for (size_t i = 0; i < nhs; i++)
    health_out(&v, &hs[i]);
  if (f == F_TEXT && v.nhealth == 0)
    printf("  none\n");
  json_t *unexplained = f == F_JSON ? json_array() : NULL;
  if (f != F_PROM && st == RBL_OK) {
    struct finding_view fv = {f == F_JSON, unexplained, 0};
    if (f == F_TEXT)
      printf("\nBlocks no listing explains (last 7 days):\n");
    st = correlate_unexplained(s, &a.cat, a.lists, a.nlists,
                               (int64_t)(a.cfg.remind_window_ms / 1000),
                               v.now, finding_out, &fv);
    if (f == F_TEXT && fv.n == 0)
      printf("  none\n");
  }
  /* Never OK on a last check that could check nothing. */
  rc = finished == 0 || last_exit == RBL_EXIT_UNKNOWN ? RBL_EXIT_UNKNOWN
                                                      : v.worst;
  if (f == F_JSON) {
    json_t *top = json_pack("{sosososssi}", "listings", listings, "lists",
                            lists, "unexplained", unexplained, "status",
                            report_exit_name(rc), "exit", rc);
    json_object_set_new(top, "last_check",
                        finished ? json_string(when) : json_null());
    json_dumpf(top, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(top);
  } else if (f == F_PROM) {
    printf("# HELP rblmon_last_check_timestamp_seconds When the last check "
           "ended.\n# TYPE rblmon_last_check_timestamp_seconds gauge\n"
           "rblmon_last_check_timestamp_seconds %lld\n"
           "# HELP rblmon_status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
           "# TYPE rblmon_status gauge\nrblmon_status %d\n",
           (long long)finished, rc);
  }
  if (st != RBL_OK) {
    fprintf(stderr, "rblmon: cannot read the state\n");
    rc = RBL_EXIT_UNKNOWN;
  }
  arena_free(&ar);
  store_close(s);
  app_free(&a);
  return rc;
}

int
cmd_history(struct cli *c)
{
  enum fmt f;
  if (!parse_fmt(c, false, &f))
    return RBL_EXIT_UNKNOWN;
  if (c->nargs > 1) {
    fprintf(stderr, "rblmon: usage: rblmon history [TARGET]\n");
    return RBL_EXIT_UNKNOWN;
  }
  const char *target = c->nargs == 1 ? c->args[0] : NULL;
  struct target_spec spec;
  char norm[TARGET_NAME_MAX], err[256];
  if (target != NULL) {
    if (target_parse(target, &spec, err, sizeof(err)) != RBL_OK ||
        (spec.kind != TARGET_DOMAIN && spec.prefix != (spec.kind == TARGET_IP4
                                                         ? 32u : 128u))) {
      fprintf(stderr, "rblmon: history: '%s' is not an address or domain\n",
              target);
      return RBL_EXIT_UNKNOWN;
    }
    if (spec.kind == TARGET_DOMAIN)
      snprintf(norm, sizeof(norm), "%s", spec.domain);
    else
      target_addr_str(&spec.base, norm, sizeof(norm));
    target = norm;
  }
  struct app a;
  int rc = cmd_app_load(&a, c, false);
  struct store *s = NULL;
  if (rc != RBL_EXIT_OK || (s = app_store(&a, true)) == NULL) {
    app_free(&a);
    return RBL_EXIT_UNKNOWN;
  }
  json_t *arr = f == F_JSON ? json_array() : NULL;
  struct view v = {&a, f, clock_now(), 0, RBL_EXIT_OK, arr, true, 0, 0,
                   NULL, NULL, 0};
  if (f == F_TEXT)
    printf("%-39s %-22s %-20s %-20s %-8s %-8s %s\n", "TARGET", "LIST",
           "LISTED", "DELISTED", "FOR", "SEVERITY", "CODES");
  struct arena ar = ARENA_INIT;
  struct episode *eps = NULL;
  size_t neps = 0;
  rbl_status st = store_history_rows(s, target, &ar, &eps, &neps);
  for (size_t i = 0; i < neps; i++)
    episode_out(&v, &eps[i]);
  if (f == F_JSON) {
    json_t *top = json_pack("{so}", "episodes", arr);
    json_dumpf(top, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(top);
  } else if (v.n == 0) {
    printf("no listing episodes%s%s\n", target ? " for " : "",
           target ? target : "");
  }
  rc = st == RBL_OK ? RBL_EXIT_OK : RBL_EXIT_UNKNOWN;
  if (st != RBL_OK)
    fprintf(stderr, "rblmon: cannot read the state\n");
  arena_free(&ar);
  store_close(s);
  app_free(&a);
  return rc;
}
