/* report_text.c - the readable report: listings (and good standing) as a
 * table, errors grouped per list, list health, a summary line, and what
 * to do next (delisting). */
#include <stdlib.h>
#include <string.h>

#include "report.h"

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
  w->target = strdup(r->target);
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
    if (ls->list->fix_first != NULL)
      fprintf(f, "    fix first: %s\n", ls->list->fix_first);
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

const struct reporter report_text = {"text", text_begin, text_result,
                                     text_end};
