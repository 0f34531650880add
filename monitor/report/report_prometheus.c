/* report_prometheus.c - metrics in the Prometheus text format, for the
 * node_exporter textfile collector (rblmon check --output FILE writes the
 * file atomically).  Names follow the Prometheus conventions
 * (https://prometheus.io/docs/practices/naming/): base units, a Unix time
 * is *_timestamp_seconds, an enum is one 0/1 series per state.
 *
 * Every checked (target, list) pair has one rblmon_listed series that
 * keeps its identity from 0 to 1 (the severity, known only while listed
 * and changing with the code, is a series of its own), so alert rules
 * compare values and never need absent().  A pair whose check failed has
 * rblmon_check_error 1 and keeps the state's verdict (1 while its listing
 * is open: a list's outage is not a delisting); without the state it has
 * no rblmon_listed series, because neither 0 nor 1 would be true.  At most
 * PROM_MAX_SERIES pairs are exported, listed ones and failures first: a
 * /16 of clean addresses is not 65,536 zeros per list, and what is left
 * out is counted. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define PROM_MAX_SERIES 10000

/* What a pair's series say, and rblmon_listed_series_dropped's label. */
enum pair_kind { PAIR_LISTED, PAIR_CLEAN, PAIR_ERROR, PAIR_KINDS };
static const char *const pair_kind_names[PAIR_KINDS] = {"listed", "clean",
                                                        "error"};

struct pair {
  char target[TARGET_NAME_MAX];
  const char *watchlist;          /* interned in prom.wls */
  const struct list_def *list;
  enum pair_kind kind;
  enum severity sev;
  const struct episode *open;     /* at the end: its open listing, or NULL */
};

struct prom {
  FILE *out;
  /* listed and failed pairs from the front, clean ones from the back: a
   * listing that comes when the rows are full takes a clean pair's place */
  struct pair *rows;
  size_t nfront, nclean;
  uint64_t dropped[PAIR_KINDS];
  char **wls;                     /* the watchlist names seen, copied */
  size_t nwls;
};

/* ---- the text format ------------------------------------------------------ */
/* A label value: backslash, double quote and line feed escaped, as the
 * exposition format asks (watchlist names are the operator's text). */
static void
prom_value(FILE *f, const char *s)
{
  for (; *s != '\0'; s++) {
    if (*s == '\\' || *s == '"')
      fputc('\\', f);
    if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
}

static void
prom_family(FILE *f, const char *name, const char *help)
{
  fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{target="..",list="..",watchlist=".."[,extra="xval"]} */
static void
prom_pair(FILE *f, const char *name, const char *target, const char *list,
          const char *watchlist, const char *extra, const char *xval)
{
  fprintf(f, "%s{target=\"", name);
  prom_value(f, target);
  fputs("\",list=\"", f);
  prom_value(f, list);
  fputs("\",watchlist=\"", f);
  prom_value(f, watchlist != NULL ? watchlist : "");
  if (extra != NULL) {
    fprintf(f, "\",%s=\"", extra);
    prom_value(f, xval);
  }
  fputs("\"} ", f);
}

/* rblmon_list_health{list,health}: every state, the list's one 1. */
static void
prom_health(FILE *f, const char *list, const char *health)
{
  size_t now = HEALTH_UNKNOWN; /* a name this version does not know */
  for (size_t k = 0; health_names[k] != NULL; k++)
    if (strcmp(health_names[k], health) == 0)
      now = k;
  for (size_t k = 0; health_names[k] != NULL; k++) {
    fputs("rblmon_list_health{list=\"", f);
    prom_value(f, list);
    fprintf(f, "\",health=\"%s\"} %d\n", health_names[k], k == now);
  }
}

/* ---- check ---------------------------------------------------------------- */
static void *
prom_begin(const struct report_opts *o)
{
  struct prom *p = calloc(1, sizeof(*p));
  if (p != NULL)
    p->out = o->out;
  return p;
}

/* The watchlist name, copied once (results borrow theirs); "" when it
 * cannot be copied, which only misnames a label. */
static const char *
prom_intern(struct prom *p, const char *wl)
{
  if (wl == NULL || *wl == '\0')
    return "";
  for (size_t i = p->nwls; i-- > 0;)
    if (strcmp(p->wls[i], wl) == 0)
      return p->wls[i];
  char **n = realloc(p->wls, (p->nwls + 1) * sizeof(*n));
  if (n == NULL)
    return "";
  p->wls = n;
  if ((n[p->nwls] = strdup(wl)) == NULL)
    return "";
  return n[p->nwls++];
}

static void
prom_result(void *st, const struct result *r)
{
  struct prom *p = st;
  enum pair_kind k = r->status == RES_LISTED  ? PAIR_LISTED
                     : r->status == RES_CLEAN ? PAIR_CLEAN
                                              : PAIR_ERROR;
  if (p->rows == NULL &&
      (p->rows = malloc(PROM_MAX_SERIES * sizeof(*p->rows))) == NULL) {
    p->dropped[k]++;
    return;
  }
  struct pair *row;
  if (p->nfront + p->nclean < PROM_MAX_SERIES)
    row = k == PAIR_CLEAN ? &p->rows[PROM_MAX_SERIES - ++p->nclean]
                          : &p->rows[p->nfront++];
  else if (k != PAIR_CLEAN && p->nclean > 0) {
    p->nclean--; /* the last clean pair's place: nfront + nclean was full */
    p->dropped[PAIR_CLEAN]++;
    row = &p->rows[p->nfront++];
  } else {
    p->dropped[k]++;
    return;
  }
  snprintf(row->target, sizeof(row->target), "%s", r->target);
  row->watchlist = prom_intern(p, r->watchlist);
  row->list = r->list;
  row->kind = k;
  row->sev = r->sev;
  row->open = NULL;
}

/* The open episodes by (target, list), for a lookup per pair. */
static int
open_cmp(const void *a, const void *b)
{
  const struct episode *x = *(const struct episode *const *)a;
  const struct episode *y = *(const struct episode *const *)b;
  int c = strcmp(x->target, y->target);
  return c ? c : strcmp(x->source, y->source);
}

/* Each listed or failed pair's open listing, when the state is known. */
static void
prom_find_open(struct prom *p, const struct report_summary *s)
{
  if (!s->open_known || s->nopen == 0)
    return;
  const struct episode **by = malloc(s->nopen * sizeof(*by));
  if (by == NULL)
    return;
  for (size_t i = 0; i < s->nopen; i++)
    by[i] = &s->open[i];
  qsort(by, s->nopen, sizeof(*by), open_cmp);
  for (size_t i = 0; i < p->nfront; i++) {
    struct episode key = {.target = p->rows[i].target,
                          .source = p->rows[i].list->name};
    const struct episode *k = &key, **e =
      bsearch(&k, by, s->nopen, sizeof(*by), open_cmp);
    p->rows[i].open = e != NULL ? *e : NULL;
  }
  free(by);
}

/* Listed now, or failed with the listing still open in the state. */
static bool
pair_listed(const struct pair *r, enum severity *sev)
{
  if (r->kind == PAIR_LISTED) {
    *sev = r->sev;
    return true;
  }
  if (r->kind == PAIR_ERROR && r->open != NULL) {
    *sev = r->open->sev;
    return true;
  }
  return false;
}

static void
prom_pairs(FILE *f, const struct prom *p, const struct report_summary *s)
{
  enum severity sev;
  prom_family(f, "rblmon_listed", "1 when the target is listed on the list, "
              "0 when clean; a failed check keeps the state's open listing.");
  for (size_t i = 0; i < p->nfront; i++) {
    const struct pair *r = &p->rows[i];
    if (pair_listed(r, &sev)) {
      prom_pair(f, "rblmon_listed", r->target, r->list->name, r->watchlist,
                NULL, NULL);
      fputs("1\n", f);
    }
  }
  for (size_t i = 0; i < p->nclean; i++) {
    const struct pair *r = &p->rows[PROM_MAX_SERIES - 1 - i];
    prom_pair(f, "rblmon_listed", r->target, r->list->name, r->watchlist,
              NULL, NULL);
    fputs("0\n", f);
  }
  prom_family(f, "rblmon_listed_severity", "1 for a listed pair's severity "
              "(notice, warning, critical).");
  for (size_t i = 0; i < p->nfront; i++) {
    const struct pair *r = &p->rows[i];
    if (pair_listed(r, &sev)) {
      prom_pair(f, "rblmon_listed_severity", r->target, r->list->name,
                r->watchlist, "severity", severity_names[sev]);
      fputs("1\n", f);
    }
  }
  if (s->open_known) {
    prom_family(f, "rblmon_listed_since_timestamp_seconds",
                "When the listing was first seen (Unix time).");
    for (size_t i = 0; i < p->nfront; i++) {
      const struct pair *r = &p->rows[i];
      if (pair_listed(r, &sev) && r->open != NULL && r->open->first_seen > 0) {
        prom_pair(f, "rblmon_listed_since_timestamp_seconds", r->target,
                  r->list->name, r->watchlist, NULL, NULL);
        fprintf(f, "%lld\n", (long long)r->open->first_seen);
      }
    }
  }
  prom_family(f, "rblmon_check_error", "1 when the pair could not be "
              "checked this time (an error, or skipped).");
  for (size_t i = 0; i < p->nfront; i++) {
    const struct pair *r = &p->rows[i];
    if (r->kind == PAIR_ERROR) {
      prom_pair(f, "rblmon_check_error", r->target, r->list->name,
                r->watchlist, NULL, NULL);
      fputs("1\n", f);
    }
  }
}

static void
prom_end(void *st, const struct report_summary *s)
{
  struct prom *p = st;
  FILE *f = p->out;
  const struct tally *t = s->tally;
  prom_find_open(p, s);
  prom_pairs(f, p, s);
  prom_family(f, "rblmon_list_health", "1 for the list's current health, 0 "
              "for the other states.");
  for (size_t i = 0; i < s->nlists; i++)
    prom_health(f, s->lists[i].list->name, health_names[s->lists[i].health]);
  prom_family(f, "rblmon_list_errors", "Checks on the list that failed this "
              "cycle.");
  for (size_t i = 0; i < s->nlists; i++) {
    fputs("rblmon_list_errors{list=\"", f);
    prom_value(f, s->lists[i].list->name);
    fprintf(f, "\"} %llu\n", (unsigned long long)s->lists[i].errors);
  }
  fprintf(f,
          "# HELP rblmon_checks Checks in the last cycle, by result.\n"
          "# TYPE rblmon_checks gauge\n"
          "rblmon_checks{result=\"listed\"} %llu\n"
          "rblmon_checks{result=\"clean\"} %llu\n"
          "rblmon_checks{result=\"error\"} %llu\n",
          (unsigned long long)t->listed, (unsigned long long)t->clean,
          (unsigned long long)(t->errors + t->skipped));
  fprintf(f, "# HELP rblmon_listed_series_dropped Checked pairs not exported "
          "(at most %d are, listed and failed ones first), by result.\n"
          "# TYPE rblmon_listed_series_dropped gauge\n", PROM_MAX_SERIES);
  for (int k = 0; k < PAIR_KINDS; k++)
    fprintf(f, "rblmon_listed_series_dropped{result=\"%s\"} %llu\n",
            pair_kind_names[k], (unsigned long long)p->dropped[k]);
  fprintf(f,
          "# HELP rblmon_check_duration_seconds How long the cycle took.\n"
          "# TYPE rblmon_check_duration_seconds gauge\n"
          "rblmon_check_duration_seconds %.3f\n"
          "# HELP rblmon_last_check_timestamp_seconds When the cycle ended "
          "(Unix time).\n"
          "# TYPE rblmon_last_check_timestamp_seconds gauge\n"
          "rblmon_last_check_timestamp_seconds %lld\n"
          "# HELP rblmon_status Nagios-style state: 0 OK, 1 WARNING, 2 "
          "CRITICAL, 3 UNKNOWN.\n# TYPE rblmon_status gauge\n"
          "rblmon_status %d\n",
          (double)s->elapsed_ms / 1000.0, (long long)s->now, s->exit_code);
  for (size_t i = 0; i < p->nwls; i++)
    free(p->wls[i]);
  free(p->wls);
  free(p->rows);
  free(p);
}

/* ---- status: the same families from the state ----------------------------- */
/* The kinds of correlate_unexplained() (correlate.h), each with a series. */
static const char *const unexplained_kinds[] = {
  "unmonitored-list", "receiver-block", "cleared-listing", "not-seen-listed",
  "not-listed", "receiver-error"};
#define NKINDS (sizeof(unexplained_kinds) / sizeof(unexplained_kinds[0]))

static void
status_unexplained(FILE *f, const struct status_view *v)
{
  uint64_t n[NKINDS] = {0};
  prom_family(f, "rblmon_rejections_unexplained", "Rejections in the last 7 "
              "days that no listing explains, by kind.");
  if (v->unexplained == NULL) /* not known: no series rather than zeros */
    return;
  for (size_t i = 0; i < v->nunexplained; i++)
    for (size_t k = 0; k < NKINDS; k++)
      if (strcmp(v->unexplained[i].kind, unexplained_kinds[k]) == 0)
        n[k] += v->unexplained[i].count;
  for (size_t k = 0; k < NKINDS; k++)
    fprintf(f, "rblmon_rejections_unexplained{kind=\"%s\"} %llu\n",
            unexplained_kinds[k], (unsigned long long)n[k]);
}

static void
status_prom(FILE *f, const struct status_view *v)
{
  prom_family(f, "rblmon_listed", "1 for each open listing in the state.");
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct listing_view *l = &v->listings[i];
    prom_pair(f, "rblmon_listed", l->e->target, l->e->source, l->watchlist,
              NULL, NULL);
    fputs("1\n", f);
  }
  prom_family(f, "rblmon_listed_severity", "1 for a listed pair's severity "
              "(notice, warning, critical).");
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct listing_view *l = &v->listings[i];
    prom_pair(f, "rblmon_listed_severity", l->e->target, l->e->source,
              l->watchlist, "severity", severity_names[l->e->sev]);
    fputs("1\n", f);
  }
  prom_family(f, "rblmon_listed_since_timestamp_seconds",
              "When the listing was first seen (Unix time).");
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct listing_view *l = &v->listings[i];
    prom_pair(f, "rblmon_listed_since_timestamp_seconds", l->e->target,
              l->e->source, l->watchlist, NULL, NULL);
    fprintf(f, "%lld\n", (long long)l->e->first_seen);
  }
  prom_family(f, "rblmon_listed_rejections_24h", "Rejections in the last "
              "24 hours that cite the listing (rblmon scan-logs).");
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct listing_view *l = &v->listings[i];
    if (l->ev == NULL)
      continue;
    prom_pair(f, "rblmon_listed_rejections_24h", l->e->target, l->e->source,
              l->watchlist, NULL, NULL);
    fprintf(f, "%llu\n", (unsigned long long)l->ev->day);
  }
  status_unexplained(f, v);
  prom_family(f, "rblmon_list_health", "1 for the list's last health, 0 for "
              "the other states.");
  for (size_t i = 0; i < v->nhealth; i++)
    prom_health(f, v->health[i].source, v->health[i].health);
  fprintf(f, "# HELP rblmon_last_check_timestamp_seconds When the last check "
          "ended (Unix time; 0: never).\n"
          "# TYPE rblmon_last_check_timestamp_seconds gauge\n"
          "rblmon_last_check_timestamp_seconds %lld\n"
          "# HELP rblmon_status Nagios-style state: 0 OK, 1 WARNING, 2 "
          "CRITICAL, 3 UNKNOWN.\n# TYPE rblmon_status gauge\n"
          "rblmon_status %d\n",
          (long long)v->last_check, v->exit_code);
}

const struct reporter report_prometheus = {
  .name = "prometheus", .begin = prom_begin, .result = prom_result,
  .end = prom_end, .status = status_prom, .needs_open = true};
