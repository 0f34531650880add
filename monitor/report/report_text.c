/* report_text.c - the readable report: listings (and good standing) as a
 * table, errors grouped per list, list health, a summary line, and what
 * to do next (delisting). */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "scanresult.h"

#define TEXT_MAX_ROWS 5000
#define TEXT_MAX_GROUPS 64

struct err_group {
  const struct list_def *list;
  char error[320];
  char example[TARGET_NAME_MAX];
  uint64_t count;
};

/* What the table needs of a result: compact, since a large range can
 * have thousands of listings (struct result carries big fixed buffers). */
struct row {
  char *target, *txt;             /* malloc'ed */
  const struct list_def *list;
  enum result_status status;
  bool has_sev;
  enum severity sev;
  uint32_t codes[RESULT_MAX_CODES];
  const char *reasons[RESULT_MAX_CODES];
  size_t ncodes, nreasons;
};

struct text {
  struct report_opts o;
  struct row *rows;
  size_t nrows, dropped;
  struct err_group groups[TEXT_MAX_GROUPS];
  size_t ngroups;
  uint64_t other_errors;
};

enum { C_RESET, C_RED, C_YELLOW, C_GREEN, C_DIM, C_BOLD };
static const char *const ansi[] = {"\033[0m", "\033[31m", "\033[33m",
                                   "\033[32m", "\033[2m", "\033[1m"};

static const char *
col(const struct text *t, int c)
{
  return t->o.color ? ansi[c] : "";
}

/* Who can fix a listing of l with codes[0..n), and how: one "who can
 * fix" and one "fix" line per distinct piece of advice (the code named
 * when the listing's codes ask for different things), after indent. */
static void
print_advice(FILE *f, const char *indent, const struct list_def *l,
             const uint32_t *codes, size_t n)
{
  struct code_advice adv[RESULT_MAX_CODES * 8];
  size_t k = catalog_advise(l, codes, n, adv, UTIL_ARRAY_LEN(adv));
  for (size_t i = 0; i < k; i++) {
    char code[24] = "";
    if (k > 1) {
      char c[20];
      report_code_str(adv[i].code, c, sizeof(c));
      snprintf(code, sizeof(code), " (%s)", c);
    }
    const char *who = catalog_scope_who(adv[i].scope);
    if (who != NULL)
      fprintf(f, "%swho can fix%s: %s [%s]\n", indent, code, who,
              catalog_scope_name(adv[i].scope));
    if (adv[i].fix != NULL)
      fprintf(f, "%sfix%s: %s\n", indent, code, adv[i].fix);
  }
}

static void *
text_begin(const struct report_opts *o)
{
  struct text *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->o = *o;
  return t;
}

static void
text_result(void *st, const struct result *r)
{
  struct text *t = st;
  if (r->status == RES_ERROR || r->status == RES_SKIPPED) {
    for (size_t i = 0; i < t->ngroups; i++) {
      struct err_group *g = &t->groups[i];
      if (g->list == r->list && strcmp(g->error, r->error) == 0) {
        g->count++;
        return;
      }
    }
    if (t->ngroups == TEXT_MAX_GROUPS) {
      t->other_errors++;
      return;
    }
    struct err_group *g = &t->groups[t->ngroups++];
    g->list = r->list;
    snprintf(g->error, sizeof(g->error), "%s", r->error);
    snprintf(g->example, sizeof(g->example), "%s", r->target);
    g->count = 1;
    return;
  }
  bool show = r->status == RES_LISTED || r->has_sev || t->o.all;
  if (!show)
    return;
  if (t->nrows == TEXT_MAX_ROWS) {
    t->dropped++;
    return;
  }
  if (t->rows == NULL) {
    t->rows = malloc(TEXT_MAX_ROWS * sizeof(*t->rows));
    if (t->rows == NULL) {
      t->dropped++;
      return;
    }
  }
  struct row *w = &t->rows[t->nrows];
  char target[TARGET_NAME_MAX + 48];
  if (r->range_except > 0) /* the clean rest of a range, from a feed */
    snprintf(target, sizeof(target), "%s (all but %llu)", r->target,
             (unsigned long long)r->range_except);
  else
    snprintf(target, sizeof(target), "%s", r->target);
  w->target = strdup(target);
  w->txt = r->txt[0] ? strdup(r->txt) : NULL;
  if (w->target == NULL || (r->txt[0] && w->txt == NULL)) {
    free(w->target);
    free(w->txt);
    t->dropped++;
    return;
  }
  w->list = r->list;
  w->status = r->status;
  w->has_sev = r->has_sev;
  w->sev = r->sev;
  memcpy(w->codes, r->codes, sizeof(w->codes));
  memcpy(w->reasons, r->reasons, sizeof(w->reasons));
  w->ncodes = r->ncodes;
  w->nreasons = r->nreasons;
  t->nrows++;
}

static void
free_rows(struct text *t)
{
  for (size_t i = 0; i < t->nrows; i++) {
    free(t->rows[i].target);
    free(t->rows[i].txt);
  }
  free(t->rows);
}

static int
row_cmp(const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  /* Listings first, worst first; then by target and list. */
  int rx = x->status == RES_LISTED ? 10 + (int)x->sev : x->has_sev;
  int ry = y->status == RES_LISTED ? 10 + (int)y->sev : y->has_sev;
  if (rx != ry)
    return ry - rx;
  int c = strcmp(x->target, y->target);
  return c ? c : strcmp(x->list->name, y->list->name);
}

static void
print_row(struct text *t, const struct row *r)
{
  FILE *f = t->o.out;
  char codes[128] = "";
  size_t o = 0;
  for (size_t i = 0; i < r->ncodes && o < sizeof(codes); i++) {
    char c[20];
    report_code_str(r->codes[i], c, sizeof(c));
    o += (size_t)snprintf(codes + o, sizeof(codes) - o, "%s%s", i ? "," : "",
                          c);
  }
  const char *what, *color;
  if (r->status == RES_LISTED) {
    what = severity_names[r->sev];
    color = col(t, r->sev == SEV_CRITICAL ? C_RED
                   : r->sev == SEV_WARNING ? C_YELLOW : C_BOLD);
  } else if (r->has_sev) {
    what = "good";
    color = col(t, C_GREEN);
  } else {
    what = "clean";
    color = col(t, C_DIM);
  }
  fprintf(f, "%-39s %-24s %s%-8s%s %-15s", r->target, r->list->name, color,
          what, col(t, C_RESET), codes);
  for (size_t i = 0; i < r->nreasons; i++)
    fprintf(f, "%s%s", i ? "; " : " ", r->reasons[i]);
  fputc('\n', f);
  if (r->txt != NULL) {
    struct sbuf e;
    sbuf_init(&e, 4096);
    util_escape(&e, r->txt, strlen(r->txt));
    fprintf(f, "%-39s %s%s: %s%s\n", "", col(t, C_DIM),
            r->list->provider ? "ANSWER" : r->list->auth ? "FOUND" : "TXT",
            sbuf_str(&e),
            col(t, C_RESET));
    sbuf_free(&e);
  }
  if (r->status == RES_LISTED && !r->list->auth)
    print_advice(f, "                                        ", r->list,
                 r->codes, r->ncodes);
}

static void
print_errors(const struct text *t, FILE *f)
{
  fprintf(f, "%sNot checked%s (never counted as clean):\n", col(t, C_BOLD),
          col(t, C_RESET));
  for (size_t i = 0; i < t->ngroups; i++) {
    const struct err_group *g = &t->groups[i];
    struct sbuf e; /* composed, its untrusted parts escaped: made sure */
    sbuf_init(&e, 4 * sizeof(g->error));
    util_escape_composed(&e, g->error, strlen(g->error), false);
    if (g->count == 1)
      fprintf(f, "  %s on %s: %s\n", g->example, g->list->name,
              sbuf_str(&e));
    else
      fprintf(f, "  %llu targets on %s (e.g. %s): %s\n",
              (unsigned long long)g->count, g->list->name, g->example,
              sbuf_str(&e));
    sbuf_free(&e);
  }
  if (t->other_errors > 0)
    fprintf(f, "  and %llu more errors\n",
            (unsigned long long)t->other_errors);
  fputc('\n', f);
}

/* What to fix first on list l: the fix for each code its listings
 * returned (the list's fix_first for codes without their own). */
static void
print_fixes_first(const struct text *t, const struct list_def *l, FILE *f)
{
  uint32_t codes[64];
  size_t n = 0;
  for (size_t k = 0; k < t->nrows; k++) {
    const struct row *r = &t->rows[k];
    if (r->list != l || r->status != RES_LISTED)
      continue;
    for (size_t i = 0; i < r->ncodes && n < UTIL_ARRAY_LEN(codes); i++) {
      bool seen = false;
      for (size_t j = 0; j < n && !seen; j++)
        seen = codes[j] == r->codes[i];
      if (!seen)
        codes[n++] = r->codes[i];
    }
  }
  struct code_advice adv[64];
  size_t k = catalog_advise(l, codes, n, adv, UTIL_ARRAY_LEN(adv));
  for (size_t i = 0; i < k; i++) {
    bool dup = adv[i].fix == NULL;
    for (size_t j = 0; j < i && !dup; j++) /* same fix, other scope */
      dup = adv[j].fix != NULL && strcmp(adv[j].fix, adv[i].fix) == 0;
    if (dup)
      continue;
    char c[20];
    report_code_str(adv[i].code, c, sizeof(c));
    fprintf(f, "    fix first%s%s%s: %s\n", k > 1 ? " (" : "", k > 1 ? c : "",
            k > 1 ? ")" : "", adv[i].fix);
  }
}

/* What to do next, one line per list with a listing: delisting for the
 * blocklists, the DNS fix for authentication findings (auth). */
static void
print_next_steps(const struct text *t, const struct report_summary *s,
                 FILE *f, bool auth)
{
  bool header = false;
  for (size_t i = 0; i < s->nlists; i++) {
    const struct list_state *ls = &s->lists[i];
    bool has_listing = false;
    for (size_t k = 0; k < t->nrows && !has_listing; k++)
      has_listing = t->rows[k].list == ls->list &&
                    t->rows[k].status == RES_LISTED;
    if (!has_listing || ls->list->auth != auth)
      continue;
    if (!header)
      fprintf(f, auth ? "%sTo fix%s (sender authentication):\n"
                      : "%sTo get delisted%s (fix the cause first):\n",
              col(t, C_BOLD), col(t, C_RESET));
    header = true;
    if (auth) {
      fprintf(f, "  %s: %s\n", ls->list->name, ls->list->fix_first);
      continue;
    }
    char d[512];
    report_delist_str(ls->list, d, sizeof(d));
    fprintf(f, "  %s: %s\n", ls->list->name, d[0] ? d : "no delisting URL");
    print_fixes_first(t, ls->list, f);
  }
  if (header)
    fputc('\n', f);
}

static void
print_totals(const struct text *t, const struct report_summary *s, FILE *f)
{
  const struct tally *ty = s->tally;
  fprintf(f, "%s%s%s: %llu check%s on %zu list%s: %llu listed",
          col(t, s->exit_code == 2 ? C_RED : s->exit_code == 0 ? C_GREEN
                                                               : C_YELLOW),
          report_exit_name(s->exit_code), col(t, C_RESET),
          (unsigned long long)ty->total, ty->total == 1 ? "" : "s", s->nlists,
          s->nlists == 1 ? "" : "s", (unsigned long long)ty->listed);
  static const char *const sev[] = {"critical", "warning", "notice"};
  const uint64_t cnt[] = {ty->critical, ty->warning, ty->notice};
  for (size_t i = 0, shown = 0; i < 3; i++)
    if (cnt[i] > 0)
      fprintf(f, "%s%llu %s", shown++ ? ", " : " (", (unsigned long long)cnt[i],
              sev[i]);
  if (ty->listed > 0)
    fputc(')', f);
  fprintf(f, ", %llu clean", (unsigned long long)ty->clean);
  if (ty->good > 0)
    fprintf(f, " (%llu in good standing)", (unsigned long long)ty->good);
  fprintf(f, ", %llu not checked", (unsigned long long)(ty->errors +
                                                        ty->skipped));
  fprintf(f, " in %.1fs\n", (double)s->elapsed_ms / 1000.0);
  size_t unhealthy = 0;
  for (size_t i = 0; i < s->nlists; i++)
    unhealthy += s->lists[i].health != HEALTH_OK &&
                 s->lists[i].health != HEALTH_UNKNOWN;
  if (unhealthy > 0) {
    fprintf(f, "List health:");
    for (size_t i = 0; i < s->nlists; i++)
      if (s->lists[i].health != HEALTH_OK &&
          s->lists[i].health != HEALTH_UNKNOWN)
        fprintf(f, " %s=%s", s->lists[i].list->name,
                health_names[s->lists[i].health]);
    fputc('\n', f);
  }
}

static void
text_end(void *st, const struct report_summary *s)
{
  struct text *t = st;
  FILE *f = t->o.out;
  if (s->changes_only) {
    report_changes_text(f, s->changes, s->nchanges);
    free_rows(t);
    free(t);
    return;
  }
  if (s->nchanges > 0) {
    fprintf(f, "%sChanges since the last check:%s\n", col(t, C_BOLD),
            col(t, C_RESET));
    report_changes_text(f, s->changes, s->nchanges);
    fputc('\n', f);
  }
  if (t->nrows > 0) {
    qsort(t->rows, t->nrows, sizeof(*t->rows), row_cmp);
    fprintf(f, "%s%-39s %-24s %-8s %-15s %s%s\n", col(t, C_BOLD), "TARGET",
            "LIST", "RESULT", "CODES", "MEANING", col(t, C_RESET));
    for (size_t i = 0; i < t->nrows; i++)
      print_row(t, &t->rows[i]);
    if (t->dropped > 0)
      fprintf(f, "(%zu more rows not shown; use --format json for all)\n",
              t->dropped);
    fputc('\n', f);
  }
  if (t->ngroups > 0)
    print_errors(t, f);
  print_next_steps(t, s, f, false);
  print_next_steps(t, s, f, true);
  print_totals(t, s, f);
  free_rows(t);
  free(t);
}

/* ---- the other views --------------------------------------------------- */
void
report_put_escaped(FILE *f, const char *s, bool composed)
{
  struct sbuf e;
  sbuf_init(&e, 4096);
  if (s != NULL && composed)
    util_escape_composed(&e, s, strlen(s), false);
  else if (s != NULL)
    util_escape(&e, s, strlen(s));
  fputs(sbuf_str(&e), f);
  sbuf_free(&e);
}

static void
listing_text(FILE *f, const struct listing_view *lv, int64_t now)
{
  const struct episode *e = lv->e;
  char since[32], age[32], d[512] = "";
  report_time(e->first_seen, since, sizeof(since));
  report_age(now - e->first_seen, age, sizeof(age));
  if (lv->list != NULL)
    report_delist_str(lv->list, d, sizeof(d));
  fprintf(f, "%-39s %-22s %-8s %-20s %-8s %s\n", e->target, e->source,
          severity_names[e->sev], since, age, e->codes);
  fprintf(f, "    %s\n", e->reasons);
  if (e->txt != NULL) {
    fputs("    TXT: ", f);
    report_put_escaped(f, e->txt, false);
    fputc('\n', f);
  }
  if (d[0])
    fprintf(f, "    delist: %s\n", d);
  if (lv->list != NULL) {
    uint32_t codes[RESULT_MAX_CODES];
    size_t n = catalog_parse_codes(e->codes, codes, RESULT_MAX_CODES);
    print_advice(f, "    ", lv->list, codes, n);
  }
  const struct evidence *ev = lv->ev;
  fprintf(f, "    evidence: %llu rejections in 24 h, %llu in 7 days",
          (unsigned long long)ev->day, (unsigned long long)ev->week);
  for (size_t i = 0; i < ev->nreceivers; i++)
    fprintf(f, "%s%s", i ? ", " : " at ", ev->receivers[i]);
  for (size_t i = 0; ev->nservers > 1 && i < ev->nservers; i++) {
    struct sbuf h; /* a log's host name: untrusted */
    sbuf_init(&h, 256);
    util_escape(&h, ev->servers[i], strlen(ev->servers[i]));
    fprintf(f, "%s%s %llu", i ? ", " : "; from ", sbuf_str(&h),
            (unsigned long long)ev->per_server[i]);
    sbuf_free(&h);
  }
  if (report_urgent(e, ev))
    fputs(" (URGENT)", f);
  fputc('\n', f);
  const struct reminder *rm = lv->rem;
  if (rm != NULL) {
    char due[32];
    report_time(rm->due, due, sizeof(due));
    fprintf(f, "    reminder %lld: %s, next %s (rblmon ack %lld when removal "
            "is requested)\n", (long long)rm->id,
            reminder_state_names[rm->state], due, (long long)rm->id);
  }
}

static void
finding_text(FILE *f, const struct finding *fi)
{
  char last[32];
  report_time(fi->last, last, sizeof(last));
  /* what comes from a receiver's reply (a captured block code): escaped */
  struct sbuf w;
  sbuf_init(&w, 1024);
  util_escape(&w, fi->what, strlen(fi->what));
  fprintf(f, "  %-18s %-28s %4llu rejection%s, last %s\n", fi->kind,
          sbuf_str(&w), (unsigned long long)fi->count,
          fi->count == 1 ? "" : "s", last);
  sbuf_free(&w);
  if (fi->theirs) {
    fputs("    receiver: ", f);
    /* a recipient's domain at worst */
    report_put_escaped(f, fi->receiver, false);
    if (fi->checked != 0) {
      char at[32];
      report_time(fi->checked, at, sizeof(at));
      fprintf(f, "; clean on %s at %s (list healthy)", fi->what, at);
    }
    fputc('\n', f);
  }
  fputs("    ", f);
  report_put_escaped(f, fi->advice, true);
  fputc('\n', f);
}

/* The findings of one side (theirs: the receivers'), under title;
 * nothing when they are not known. */
static void
findings_text(FILE *f, const char *title, const struct status_view *v,
              bool theirs)
{
  if (v->unexplained == NULL)
    return;
  fprintf(f, "\n%s\n", title);
  size_t n = 0;
  for (size_t i = 0; i < v->nunexplained; i++)
    if (v->unexplained[i].theirs == theirs) {
      finding_text(f, &v->unexplained[i]);
      n++;
    }
  if (n == 0)
    fputs("  none\n", f);
}

static void
status_text(FILE *f, const struct status_view *v)
{
  char when[32] = "never", age[32] = "";
  if (v->last_check) {
    report_time(v->last_check, when, sizeof(when));
    report_age(v->now - v->last_check, age, sizeof(age));
  }
  fprintf(f, "Listed now (last check %s%s%s%s):\n%-39s %-22s %-8s %-20s %-8s "
          "%s\n", when, age[0] ? ", " : "", age, age[0] ? " ago" : "",
          "TARGET", "LIST", "SEVERITY", "SINCE", "FOR", "CODES");
  for (size_t i = 0; i < v->nlistings; i++)
    listing_text(f, &v->listings[i], v->now);
  if (v->nlistings == 0)
    fputs("  nothing: no monitored target is listed\n", f);
  fputs("\nUnhealthy lists (results on them are not counted as clean):\n", f);
  size_t bad = 0;
  for (size_t i = 0; i < v->nhealth; i++) {
    const struct health_row *h = &v->health[i];
    if (strcmp(h->health, "ok") == 0 || strcmp(h->health, "unknown") == 0)
      continue;
    char since[32];
    report_time(h->since, since, sizeof(since));
    fprintf(f, "  %-24s %-11s since %s: ", h->source, h->health, since);
    report_put_escaped(f, h->detail, true); /* composed: what it let through */
    fputc('\n', f);
    bad++;
  }
  if (bad == 0)
    fputs("  none\n", f);
  findings_text(f, "Blocks no listing explains (last 7 days):", v, false);
  findings_text(f, "The receivers' problems, not ours (last 7 days; no "
                "listing, no reminder):", v, true);
}

static void
history_text(FILE *f, const struct history_view *v)
{
  fprintf(f, "%-39s %-22s %-20s %-20s %-8s %-8s %s\n", "TARGET", "LIST",
          "LISTED", "DELISTED", "FOR", "SEVERITY", "CODES");
  for (size_t i = 0; i < v->n; i++) {
    const struct episode *e = v->episodes[i].e;
    char since[32], until[32] = "listed now", age[32];
    report_time(e->first_seen, since, sizeof(since));
    if (e->cleared_at)
      report_time(e->cleared_at, until, sizeof(until));
    report_age((e->cleared_at ? e->cleared_at : v->now) - e->first_seen, age,
               sizeof(age));
    fprintf(f, "%-39s %-22s %-20s %-20s %-8s %-8s %s\n", e->target,
            e->source, since, until, age, severity_names[e->sev], e->codes);
  }
  if (v->n == 0)
    fprintf(f, "no listing episodes%s%s\n", v->target ? " for " : "",
            v->target ? v->target : "");
}

static int
health_width(const struct lists_view *v)
{
  return v->probe || v->show_known ? 12 : v->all ? 26 : 0;
}

/* The list's scope; "by-code" when only its codes say; "-": not known. */
static const char *
scope_col(const struct list_def *l)
{
  if (l->scope != SCOPE_UNSPECIFIED)
    return catalog_scope_name(l->scope);
  for (size_t i = 0; l->code_fixes != NULL && i < l->ncodes; i++)
    if (l->code_fixes[i].scope != SCOPE_UNSPECIFIED)
      return "by-code";
  return "-";
}

static void
lists_row_text(FILE *f, const struct lists_view *v, const struct lists_row *r)
{
  char d[512], lim[24] = "-";
  report_delist_str(r->list, d, sizeof(d));
  if (r->limit > 0)
    snprintf(lim, sizeof(lim), "%llu%s", (unsigned long long)r->limit,
             r->published ? "" : "*");
  const char *col = r->probed ? health_names[r->probed->health]
                    : v->probe ? "-"
                    : v->show_known ? (r->known ? r->known->health : "-")
                    : r->use;
  fprintf(f, "%-26s %-36s %-6s %-*s%-9s %-8s %s\n", r->list->name,
          r->list->zone ? r->list->zone : "(file only)",
          list_type_names[r->list->type], health_width(v),
          v->probe || v->all || v->show_known ? col : "", lim,
          scope_col(r->list), d);
  if (r->probed != NULL && r->probed->detail[0] != '\0')
    fprintf(f, "  %s\n", r->probed->detail);
}

static void
providers_text(FILE *f, const struct lists_view *v)
{
  if (v->nproviders == 0)
    return;
  fprintf(f, "\n%-20s %-7s %-9s %-9s %-12s %s\n", "PROVIDER", "TARGETS",
          "EVERY", "LIMIT/DAY", "HEALTH", "URL");
  for (size_t i = 0; i < v->nproviders; i++) {
    const struct provider *p = v->providers[i].p;
    char every[24], lim[24] = "-";
    util_format_duration(p->min_interval_ms, every, sizeof(every));
    if (p->daily_limit)
      snprintf(lim, sizeof(lim), "%llu", (unsigned long long)p->daily_limit);
    fprintf(f, "%-20s %-7s %-9s %-9s %-12s %s\n", p->def.name,
            list_type_names[p->def.type], every, lim,
            v->providers[i].known ? v->providers[i].known->health : "-",
            p->url);
  }
  fprintf(f, "%zu reputation provider%s (asked by rblmon check only)\n",
          v->nproviders, v->nproviders == 1 ? "" : "s");
}

/* The lists read from files: each file, what it holds, its age and
 * health, and its first bad lines (untrusted: escaped). */
static void
feeds_text(FILE *f, const struct lists_view *v)
{
  bool head = false;
  for (size_t i = 0; i < v->n; i++) {
    const struct feed *fd = v->rows[i].feed;
    if (fd == NULL)
      continue;
    if (!head)
      fprintf(f, "\n%-26s %-10s %-8s %-8s %s\n", "FEED", "ENTRIES", "AGE",
              "HEALTH", "FILE");
    head = true;
    char age[32] = "-";
    if (fd->nfiles > 0)
      report_age(v->now - fd->oldest, age, sizeof(age));
    fprintf(f, "%-26s %-10llu %-8s %-8s %s%s%s\n", fd->list->name,
            (unsigned long long)fd->entries, age, health_names[fd->health],
            fd->list->feed->path, fd->list->feed->path6 ? ", " : "",
            fd->list->feed->path6 ? fd->list->feed->path6 : "");
    const char *lines[FEEDPARSE_WARN_MAX + 1];
    size_t n = 0;
    if (fd->health != HEALTH_OK)
      lines[n++] = fd->detail;
    for (size_t k = 0; k < fd->nwarn; k++)
      lines[n++] = fd->warn[k];
    for (size_t k = 0; k < n; k++) { /* file names and file text */
      fputs("  ", f);
      report_put_escaped(f, lines[k], false);
      fputc('\n', f);
    }
    if (fd->bad > fd->nwarn)
      fprintf(f, "  (%llu bad lines in all, skipped)\n",
              (unsigned long long)fd->bad);
  }
}

static void
lists_text(FILE *f, const struct lists_view *v)
{
  bool fair_use = false;
  fprintf(f, "%-26s %-36s %-6s %-*s%-9s %-8s %s\n", "NAME", "ZONE", "TYPE",
          health_width(v),
          v->probe || v->show_known ? "HEALTH" : v->all ? "USE" : "",
          "LIMIT/DAY", "SCOPE", "DELIST");
  for (size_t i = 0; i < v->n; i++) {
    lists_row_text(f, v, &v->rows[i]);
    fair_use = fair_use || (v->rows[i].limit > 0 && !v->rows[i].published);
  }
  if (fair_use)
    fprintf(f, "* no published limit: rblmon keeps to %d queries a day "
            "(fair use)\n", LIST_FAIR_USE_PER_DAY);
  fprintf(f, "%zu list%s selected, %zu in the catalog (%s)%s\n",
          v->nselected, v->nselected == 1 ? "" : "s", v->ncatalog,
          v->catalog_dir, v->all ? "" : "; --all shows every entry");
  feeds_text(f, v);
  providers_text(f, v);
}

static void
remind_text(FILE *f, const struct remind_view *v)
{
  for (size_t i = 0; i < v->n; i++) {
    fputs(v->items[i].text, f);
    fputc('\n', f);
  }
}

/* ---- scan-logs ----------------------------------------------------------- */
#define TALLY_MAX 256

struct count {
  char key[256];
  uint64_t n;
};

/* The most frequent values of one field: the first TALLY_MAX distinct
 * ones are counted, the rest as other. */
struct counts {
  struct count c[TALLY_MAX];
  size_t n;
  uint64_t other;
};

struct scan_text {
  FILE *f;
  struct counts receivers, ips, blocks, texts, reqs, loghosts;
};

static void
count(struct counts *c, const char *key)
{
  if (key == NULL || *key == '\0')
    return;
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->c[i].key, key) == 0) {
      c->c[i].n++;
      return;
    }
  if (c->n == TALLY_MAX) {
    c->other++;
    return;
  }
  snprintf(c->c[c->n].key, sizeof(c->c[0].key), "%s", key);
  c->c[c->n++].n = 1;
}

static void *
scan_text_begin(FILE *f)
{
  struct scan_text *k = calloc(1, sizeof(*k));
  if (k != NULL)
    k->f = f;
  return k;
}

static void
scan_text_hit(void *st, const struct scan_hit *h)
{
  struct scan_text *k = st;
  const struct verdict *v = h->v;
  const struct rejection *r = h->r;
  count(&k->receivers, v->receiver ? v->receiver : r->domain);
  count(&k->loghosts, r->loghost);
  count(&k->ips, v->named_ip);
  char what[256];
  const char *named = v->list          ? v->list
                      : v->zone[0]     ? v->zone
                      : v->operator_name ? v->operator_name
                                         : NULL;
  bool code = v->block[0] && strcmp(v->block, v->zone) != 0 &&
              (v->operator_name == NULL ||
               strcmp(v->block, v->operator_name) != 0);
  snprintf(what, sizeof(what), "%.100s%s%.100s%s%s", named ? named : "",
           named && code ? " (" : "", named && !code ? "" : v->block,
           named && code ? ")" : "",
           v->cause == CAUSE_RECEIVER_ERROR ? " [the receiver's query failed]"
                                             : "");
  count(&k->blocks, what);
  if (v->req != NULL) {
    char rq[256];
    snprintf(rq, sizeof(rq), "%.120s: %.120s", v->req->title, v->req->url);
    count(&k->reqs, rq);
  }
  char tx[160];
  snprintf(tx, sizeof(tx), "%d %.150s", r->code, r->text);
  count(&k->texts, tx);
}

/* The max most frequent of c, most frequent first, escaped. */
static void
print_top(FILE *f, const char *title, struct counts *c, size_t max)
{
  if (c->n == 0)
    return;
  fprintf(f, "%s:\n", title);
  for (size_t shown = 0; shown < max && shown < c->n; shown++) {
    size_t best = shown;
    for (size_t i = shown + 1; i < c->n; i++)
      if (c->c[i].n > c->c[best].n)
        best = i;
    struct count tmp = c->c[shown];
    c->c[shown] = c->c[best];
    c->c[best] = tmp;
    struct sbuf e;
    sbuf_init(&e, 1024);
    util_escape(&e, c->c[shown].key, strlen(c->c[shown].key));
    fprintf(f, "  %6llu  %s\n", (unsigned long long)c->c[shown].n,
            sbuf_str(&e));
    sbuf_free(&e);
  }
}

static void
scan_text_end(void *st, const struct scan_summary *sum)
{
  struct scan_text *k = st;
  if (sum == NULL) {
    free(k);
    return;
  }
  FILE *f = k->f;
  size_t files = sum->files;
  fprintf(f, "Scanned %zu file%s, %llu lines (%.1f MB): %llu rejection%s of "
          "outgoing mail (%llu permanent, %llu temporary)", files,
          files == 1 ? "" : "s", (unsigned long long)sum->st.lines,
          (double)sum->st.bytes / 1e6, (unsigned long long)sum->found,
          sum->found == 1 ? "" : "s", (unsigned long long)sum->permanent,
          (unsigned long long)sum->temporary);
  if (sum->stateful && !sum->store_failed)
    fprintf(f, ", %llu new", (unsigned long long)sum->stored_new);
  fprintf(f, ".\n");
  if (sum->st.long_lines > 0)
    fprintf(f, "%llu lines longer than %u KiB were skipped.\n",
            (unsigned long long)sum->st.long_lines, LOGREAD_LINE_MAX / 1024);
  if (sum->found > 0) {
    fprintf(f, "By cause:\n");
    for (int i = 0; i < CAUSE_COUNT; i++)
      if (sum->by_cause[i] > 0)
        fprintf(f, "  %6llu  %s\n", (unsigned long long)sum->by_cause[i],
                cause_names[i]);
    if (k->loghosts.n > 1) /* several mail servers log to one place */
      print_top(f, "By mail server (syslog host)", &k->loghosts, 10);
    print_top(f, "By receiver", &k->receivers, 10);
    print_top(f, "By IP named in the reply", &k->ips, 10);
    print_top(f, "By list or block", &k->blocks, 10);
    print_top(f, "Receivers' sender requirements named", &k->reqs, 10);
    print_top(f, "Top replies", &k->texts, 5);
  }
  free(k);
}

const struct reporter report_text = {
  .name = "text", .begin = text_begin, .result = text_result,
  .end = text_end, .status = status_text, .history = history_text,
  .lists = lists_text, .remind = remind_text, .scan_begin = scan_text_begin,
  .scan_hit = scan_text_hit, .scan_end = scan_text_end};
