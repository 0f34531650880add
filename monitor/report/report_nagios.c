/* report_nagios.c - the Nagios and Icinga plugin output of check and
 * status (exit code = state), as the Nagios Plugins Development
 * Guidelines describe it (https://www.monitoring-plugins.org/doc/
 * guidelines.html):
 *
 *   RBLMON CRITICAL - 1 listed: 192.0.2.1 on bl | listed=1;;;0 ...
 *   192.0.2.1 on bl: critical, 127.0.0.2 (spam)
 *
 * The first line is the status and all the performance data; each line
 * after it is long text, one per listing (Nagios 3 and later show them;
 * notifications carry the first line).  Thresholds use the guidelines'
 * range syntax: a range "0" alerts when the value is outside 0..0, that
 * is above 0, so "critical=N;;0;0" says one critical listing is
 * critical. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define NAGIOS_NAMES 5
/* Nagios 3 reads at most 8 KB of a plugin's output: the long text stops
 * short of it and says how much was left out. */
#define NAGIOS_LONG_MAX 7000

struct nagios {
  FILE *out;
  char first[NAGIOS_NAMES][TARGET_NAME_MAX + 70];
  size_t nfirst;
  struct sbuf lines;              /* the long text */
  size_t omitted;                 /* listings past NAGIOS_LONG_MAX */
};

static void *
nagios_begin(const struct report_opts *o)
{
  struct nagios *n = calloc(1, sizeof(*n));
  if (n != NULL) {
    n->out = o->out;
    sbuf_init(&n->lines, NAGIOS_LONG_MAX);
  }
  return n;
}

/* One listing of the long text: target, list, severity, codes and what
 * they mean (the catalog's words; a TXT answer is a stranger's and is left
 * to the other formats). */
static void
long_line(struct sbuf *b, size_t *omitted, const char *target,
          const char *list, enum severity sev, const char *codes,
          const char *reasons, const char *since)
{
  /* a line that does not fit is left out whole (sbuf_addf adds nothing) */
  if (sbuf_addf(b, "%s on %s: %s, %s%s%s%s%s%s\n", target, list,
                severity_names[sev], codes, reasons[0] ? " (" : "", reasons,
                reasons[0] ? ")" : "", since[0] ? ", since " : "",
                since) != RBL_OK)
    (*omitted)++;
}

static void
long_end(FILE *f, struct sbuf *b, size_t omitted)
{
  fputs(sbuf_str(b), f);
  if (omitted > 0)
    fprintf(f, "... and %zu more listings (rblmon status shows them all)\n",
            omitted);
  sbuf_free(b);
}

static void
nagios_result(void *st, const struct result *r)
{
  struct nagios *n = st;
  if (r->status != RES_LISTED)
    return;
  if (n->nfirst < NAGIOS_NAMES)
    snprintf(n->first[n->nfirst++], sizeof(n->first[0]), "%s on %s",
             r->target, r->list->name);
  char codes[RESULT_MAX_CODES * 17] = "", reasons[512] = "";
  size_t w = 0;
  for (size_t i = 0; i < r->ncodes && w < sizeof(codes) - 16; i++) {
    char c[16];
    report_code_str(r->codes[i], c, sizeof(c));
    w += (size_t)snprintf(codes + w, sizeof(codes) - w, "%s%s", i ? " " : "",
                          c);
  }
  w = 0;
  for (size_t i = 0; i < r->nreasons && w < sizeof(reasons); i++)
    w += (size_t)snprintf(reasons + w, sizeof(reasons) - w, "%s%s",
                          i ? "; " : "", r->reasons[i]);
  long_line(&n->lines, &n->omitted, r->target, r->list->name,
            r->has_sev ? r->sev : SEV_WARNING, codes, reasons, "");
}

static void
nagios_end(void *st, const struct report_summary *s)
{
  struct nagios *n = st;
  const struct tally *t = s->tally;
  unsigned long long failed = t->errors + t->skipped;
  fprintf(n->out, "RBLMON %s - ", report_exit_name(s->exit_code));
  if (t->listed > 0) {
    fprintf(n->out, "%llu listed:", (unsigned long long)t->listed);
    for (size_t i = 0; i < n->nfirst; i++)
      fprintf(n->out, "%s %s", i ? "," : "", n->first[i]);
    if (t->listed > n->nfirst)
      fputs(", ...", n->out);
  } else if (t->listed + t->clean == 0) {
    fputs("nothing could be checked", n->out);
  } else {
    fprintf(n->out, "not listed on %zu lists", s->nlists);
  }
  if (failed > 0)
    fprintf(n->out, " (%llu not checked)", failed);
  fprintf(n->out,
          " | listed=%llu;;;0 critical=%llu;;0;0 warning=%llu;0;;0 "
          "clean=%llu;;;0 errors=%llu;0;;0 checks=%llu;;;0 time=%.3fs;;;0\n",
          (unsigned long long)t->listed, (unsigned long long)t->critical,
          (unsigned long long)t->warning, (unsigned long long)t->clean,
          failed, (unsigned long long)t->total,
          (double)s->elapsed_ms / 1000.0);
  long_end(n->out, &n->lines, n->omitted);
  free(n);
}

/* rblmon status: the open listings and the age of the last check, from
 * the state; a stale state (no check for longer than v->stale_after) is
 * said, and its age is a perfdata value with that threshold. */
static void
nagios_status(FILE *f, const struct status_view *v)
{
  unsigned long long crit = 0, warn = 0;
  for (size_t i = 0; i < v->nlistings; i++) {
    crit += v->listings[i].e->sev == SEV_CRITICAL;
    warn += v->listings[i].e->sev == SEV_WARNING;
  }
  fprintf(f, "RBLMON %s - ", report_exit_name(v->exit_code));
  if (v->nlistings > 0) {
    fprintf(f, "%zu listed:", v->nlistings);
    for (size_t i = 0; i < v->nlistings && i < NAGIOS_NAMES; i++)
      fprintf(f, "%s %s on %s", i ? "," : "", v->listings[i].e->target,
              v->listings[i].e->source);
    if (v->nlistings > NAGIOS_NAMES)
      fputs(", ...", f);
  } else if (v->last_check > 0) {
    fputs("not listed", f);
  }
  int64_t age = v->last_check > 0 ? v->now - v->last_check : 0;
  if (age < 0)
    age = 0;
  char a[32], limit[32];
  report_age(age, a, sizeof(a));
  report_age(v->stale_after, limit, sizeof(limit));
  if (v->last_check == 0)
    fprintf(f, "%sno check was recorded yet", v->nlistings ? "; " : "");
  else
    fprintf(f, "; last check %s ago%s%s%s%s", a,
            v->stale ? " (stale: older than " : "", v->stale ? limit : "",
            v->stale ? ")" : "",
            v->last_exit == RBL_EXIT_UNKNOWN ? ", it could check nothing"
                                             : "");
  fprintf(f, " | listed=%zu;;;0 critical=%llu;;0;0 warning=%llu;0;;0",
          v->nlistings, crit, warn);
  if (v->last_check > 0)
    fprintf(f, " age=%llds;%lld;;0", (long long)age,
            (long long)v->stale_after);
  fputc('\n', f);
  struct sbuf b;
  size_t omitted = 0;
  sbuf_init(&b, NAGIOS_LONG_MAX);
  for (size_t i = 0; i < v->nlistings; i++) {
    const struct episode *e = v->listings[i].e;
    char since[32];
    report_time(e->first_seen, since, sizeof(since));
    long_line(&b, &omitted, e->target, e->source, e->sev, e->codes,
              e->reasons ? e->reasons : "", since);
  }
  long_end(f, &b, omitted);
}

const struct reporter report_nagios = {
  .name = "nagios", .begin = nagios_begin, .result = nagios_result,
  .end = nagios_end, .status = nagios_status};
