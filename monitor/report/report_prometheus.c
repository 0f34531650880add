/* report_prometheus.c - metrics in the Prometheus text format, for the
 * node_exporter textfile collector (rblmon check --output FILE writes the
 * file atomically).  Only listed pairs get a series: a /16 of clean
 * addresses is not 655,360 zeros. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define PROM_MAX_SERIES 10000

struct listed {
  char target[TARGET_NAME_MAX];
  const struct list_def *list;
  enum severity sev;
};

struct prom {
  FILE *out;
  struct listed *rows;
  size_t n, dropped;
};

static void *
prom_begin(const struct report_opts *o)
{
  struct prom *p = calloc(1, sizeof(*p));
  if (p != NULL)
    p->out = o->out;
  return p;
}

static void
prom_result(void *st, const struct result *r)
{
  struct prom *p = st;
  if (r->status != RES_LISTED)
    return;
  if (p->n == PROM_MAX_SERIES) {
    p->dropped++;
    return;
  }
  if (p->rows == NULL &&
      (p->rows = malloc(PROM_MAX_SERIES * sizeof(*p->rows))) == NULL) {
    p->dropped++;
    return;
  }
  struct listed *l = &p->rows[p->n++];
  snprintf(l->target, sizeof(l->target), "%s", r->target);
  l->list = r->list;
  l->sev = r->sev;
}

/* The open episodes by (target, list), for a lookup per listed pair. */
static int
open_cmp(const void *a, const void *b)
{
  const struct episode *x = *(const struct episode *const *)a;
  const struct episode *y = *(const struct episode *const *)b;
  int c = strcmp(x->target, y->target);
  return c ? c : strcmp(x->source, y->source);
}

static void
prom_since(FILE *f, const struct prom *p, const struct report_summary *s)
{
  fputs("# HELP rblmon_listed_since_seconds When the listing was first "
        "seen (Unix time).\n# TYPE rblmon_listed_since_seconds gauge\n", f);
  const struct episode **by = malloc((s->nopen ? s->nopen : 1) *
                                     sizeof(*by));
  if (by == NULL)
    return;
  for (size_t i = 0; i < s->nopen; i++)
    by[i] = &s->open[i];
  qsort(by, s->nopen, sizeof(*by), open_cmp);
  for (size_t i = 0; i < p->n; i++) {
    struct episode key = {.target = p->rows[i].target,
                          .source = p->rows[i].list->name};
    const struct episode *k = &key, **e =
      bsearch(&k, by, s->nopen, sizeof(*by), open_cmp);
    if (e != NULL && (*e)->first_seen > 0)
      fprintf(f, "rblmon_listed_since_seconds{target=\"%s\",list=\"%s\"} "
              "%lld\n", p->rows[i].target, p->rows[i].list->name,
              (long long)(*e)->first_seen);
  }
  free(by);
}

static void
prom_end(void *st, const struct report_summary *s)
{
  struct prom *p = st;
  FILE *f = p->out;
  const struct tally *t = s->tally;
  /* Label values are addresses, domains and catalog names: no quotes or
   * backslashes can occur in them. */
  fputs("# HELP rblmon_listed 1 when the target is listed on the list.\n"
        "# TYPE rblmon_listed gauge\n", f);
  for (size_t i = 0; i < p->n; i++)
    fprintf(f, "rblmon_listed{target=\"%s\",list=\"%s\",severity=\"%s\"} 1\n",
            p->rows[i].target, p->rows[i].list->name,
            severity_names[p->rows[i].sev]);
  if (s->open_known)
    prom_since(f, p, s);
  fputs("# HELP rblmon_list_health 1 for the list's current health.\n"
        "# TYPE rblmon_list_health gauge\n", f);
  for (size_t i = 0; i < s->nlists; i++)
    fprintf(f, "rblmon_list_health{list=\"%s\",health=\"%s\"} 1\n",
            s->lists[i].list->name, health_names[s->lists[i].health]);
  fputs("# HELP rblmon_list_errors Checks on the list that failed this "
        "cycle.\n# TYPE rblmon_list_errors gauge\n", f);
  for (size_t i = 0; i < s->nlists; i++)
    fprintf(f, "rblmon_list_errors{list=\"%s\"} %llu\n",
            s->lists[i].list->name, (unsigned long long)s->lists[i].errors);
  fprintf(f,
          "# HELP rblmon_checks Checks in the last cycle, by result.\n"
          "# TYPE rblmon_checks gauge\n"
          "rblmon_checks{result=\"listed\"} %llu\n"
          "rblmon_checks{result=\"clean\"} %llu\n"
          "rblmon_checks{result=\"error\"} %llu\n"
          "# HELP rblmon_listed_series_dropped Listed pairs beyond %d not "
          "exported.\n# TYPE rblmon_listed_series_dropped gauge\n"
          "rblmon_listed_series_dropped %zu\n"
          "# HELP rblmon_check_duration_seconds How long the cycle took.\n"
          "# TYPE rblmon_check_duration_seconds gauge\n"
          "rblmon_check_duration_seconds %.3f\n"
          "# HELP rblmon_last_check_timestamp_seconds When the cycle ended.\n"
          "# TYPE rblmon_last_check_timestamp_seconds gauge\n"
          "rblmon_last_check_timestamp_seconds %lld\n"
          "# HELP rblmon_status Nagios-style state: 0 OK, 1 WARNING, 2 "
          "CRITICAL, 3 UNKNOWN.\n# TYPE rblmon_status gauge\n"
          "rblmon_status %d\n",
          (unsigned long long)t->listed, (unsigned long long)t->clean,
          (unsigned long long)(t->errors + t->skipped), PROM_MAX_SERIES,
          p->dropped, (double)s->elapsed_ms / 1000.0, (long long)s->now,
          s->exit_code);
  free(p->rows);
  free(p);
}

/* rblmon status: the same families from the state. */
static void
status_prom(FILE *f, const struct status_view *v)
{
  fputs("# HELP rblmon_listed 1 when the target is listed on the list.\n"
        "# TYPE rblmon_listed gauge\n", f);
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct episode *e = v->listings[i].e;
    fprintf(f, "rblmon_listed{target=\"%s\",list=\"%s\",severity=\"%s\"} "
            "1\n", e->target, e->source, severity_names[e->sev]);
  }
  fputs("# HELP rblmon_listed_since_seconds When the listing was first "
        "seen (Unix time).\n# TYPE rblmon_listed_since_seconds gauge\n", f);
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct episode *e = v->listings[i].e;
    fprintf(f, "rblmon_listed_since_seconds{target=\"%s\",list=\"%s\"} "
            "%lld\n", e->target, e->source, (long long)e->first_seen);
  }
  fputs("# HELP rblmon_list_health 1 for the list's current health.\n"
        "# TYPE rblmon_list_health gauge\n", f);
  for (size_t i = 0; i < v->nhealth; i++)
    fprintf(f, "rblmon_list_health{list=\"%s\",health=\"%s\"} 1\n",
            v->health[i].source, v->health[i].health);
  fprintf(f, "# HELP rblmon_last_check_timestamp_seconds When the last check "
          "ended.\n# TYPE rblmon_last_check_timestamp_seconds gauge\n"
          "rblmon_last_check_timestamp_seconds %lld\n"
          "# HELP rblmon_status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
          "# TYPE rblmon_status gauge\nrblmon_status %d\n",
          (long long)v->last_check, v->exit_code);
}

const struct reporter report_prometheus = {
  .name = "prometheus", .begin = prom_begin, .result = prom_result,
  .end = prom_end, .status = status_prom, .needs_open = true};
